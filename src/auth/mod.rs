//! Accounts: hashing, sign-in, password changes, one-time passwords, bootstrap.

pub mod api_door;
pub mod bootstrap;
pub mod hashing;
pub mod login;
pub mod second_factor;
pub mod throttle;

pub use hashing::{HashError, hash_password, verify_password};

/// A step that hashes a password and writes the account (first admin, one-time
/// passwords): either part may fail.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Storage(#[from] crate::db::Error),
}
