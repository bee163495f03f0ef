//! Integration tests: one binary, a real server on 127.0.0.1:0 per test, a temp data file.
//!
//! `support` holds the server, the client and readers of pages and files; `fixtures`
//! the data tests write or create through the pages; every other module holds tests,
//! and imports only from those two (never from a sibling test module).

mod accessibility;
mod acme;
mod admin;
mod api_credentials;
mod architecture;
mod auth;
mod authorizations;
mod backup;
mod blacklist;
mod browser_flows;
mod callbacks;
mod cards;
mod chargebacks;
mod crash;
mod dashboard_browser;
mod design;
mod email;
mod email_templates;
mod exports;
mod fixtures;
mod group_commit;
mod hardening;
mod home;
mod honest_email;
mod housekeeping;
mod https;
mod input;
mod journeys;
mod list_fields;
mod list_phone;
mod merchant_api;
mod merchant_settings;
mod migration;
mod money;
mod no_full_card_number;
mod observability;
mod one_language;
mod operations;
mod own_profile;
mod packaging;
mod pay_page;
mod payments;
mod pending_operations;
mod proxy;
mod routes;
mod second_factor;
mod security;
mod signin;
mod statistics;
mod support;
mod support_contacts;
mod support_tickets;
mod time_zone;
mod transactions;
mod welcome;
