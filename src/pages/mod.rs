//! Full documents: the layout and one function per screen.

pub mod audit;
pub mod authorizations;
pub mod chargeback;
pub mod emails;
pub mod error;
pub mod home;
pub mod layout;
pub mod list_summary;
pub mod login;
pub mod merchants;
pub mod operations;
pub mod pay;
pub mod pay_result;
pub mod payment_requests;
pub mod profile;
pub mod restrictions;
pub mod second_factor;
pub mod statistics;
pub mod statistics_tables;
pub mod terminal;
pub mod transaction;
pub mod transaction_general;
pub mod transaction_summary;
pub mod transactions;
pub mod users;
