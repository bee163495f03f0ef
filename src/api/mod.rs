//! The merchant API (issue 13): the Connect2Pay protocol (`../shared/spec/connect2pay.md`)
//! served to web shops over HTTP Basic, JSON in and out.

pub mod auth;
