//! Integration tests: one binary, a real server on 127.0.0.1:0 per test, a temp data file.

mod admin;
mod architecture;
mod auth;
mod browser;
mod browser_flows;
mod cards;
mod email;
mod exports;
mod hardening;
mod input;
mod migration;
mod operations;
mod payments;
mod routes;
mod second_factor;
mod security;
mod signin;
mod support;
mod transactions;
