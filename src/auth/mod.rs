//! Accounts: hashing, sign-in, password changes, one-time passwords, bootstrap.

pub mod bootstrap;
pub mod hashing;
pub mod login;
pub mod second_factor;
pub mod throttle;

pub use hashing::{hash_password, verify_password};
