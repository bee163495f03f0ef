//! Guichet: a self-hosted payment gateway and its back office in one binary.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod acme;
pub mod acquirer;
pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod callbacks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connection;
pub mod db;
pub mod demo;
pub mod domain;
pub mod export;
pub mod fragments;
pub mod gateway;
pub mod handlers;
pub mod keys;
pub mod mail;
pub mod observe;
pub mod pages;
pub mod recovery;
pub mod tls;
