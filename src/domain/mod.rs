//! Pure types and rules of the gateway: money, cards, result codes, transactions,
//! passwords and sign-in rules. No I/O, no clock: time is always passed in.

pub mod account;
pub mod actor;
pub mod api_credentials;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod blacklist;
pub mod buckets;
pub mod c2p;
pub mod c2p_crypto;
pub mod c2p_status;
pub mod callback;
pub mod card;
pub mod card_form;
pub mod card_text;
pub mod chargeback;
pub mod codes;
pub mod countries;
pub mod customer_ref;
pub mod detail;
pub mod figures;
pub mod filter;
pub mod form;
pub mod fraud;
pub mod fraud_form;
#[cfg(test)]
mod fraud_tests;
#[cfg(test)]
mod fuzz;
pub mod geo;
pub mod journal;
pub mod lang;
pub mod list_row;
pub mod location;
pub mod merchant;
pub mod merchant_settings;
pub mod money;
pub mod navigation;
pub mod note;
pub mod open_authorization;
pub mod operation_rules;
pub mod outbox;
pub mod password;
pub mod payment;
pub mod pending;
pub mod period;
pub mod permission;
pub mod rebill;
pub mod request_form;
pub mod search;
pub mod security;
pub mod stats;
pub mod stats_tables;
pub mod support_contacts;
pub mod text;
pub mod time;
pub mod totp;
pub mod transaction;
pub mod tx_log;
pub mod user;
pub mod welcome;
pub mod zone;

pub use lang::Lang;
