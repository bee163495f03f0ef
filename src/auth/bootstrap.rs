//! First start (OPSX-2): on a database without users, create the first admin with a
//! one-time password printed once.

use time::OffsetDateTime;

use super::AccountError;
use super::hashing::{HashError, hash_password};
use super::login::one_time_password;
use crate::db::{Db, audit, users};
use crate::domain::Lang;
use crate::domain::actor::Actor;
use crate::domain::user::{Role, User};

/// Creates the admin `username` when no user exists yet. Returns its one-time password.
pub fn first_admin(
    db: &Db,
    username: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, AccountError> {
    if db.user_count()? > 0 {
        return Ok(None);
    }
    let otp = one_time_password();
    let user = new_user(username, &otp, Role::Admin, now)?;
    let wtx = db.begin_write()?;
    users::insert(&wtx, user)?;
    let entry = audit::AuditEntry::by(
        &Actor::system(now.unix_timestamp()),
        "user.create",
        format!("user {username}"),
        None,
    )
    .with_detail("role: admin");
    audit::append(&wtx, db.audit_key(), &entry)?;
    wtx.commit()?;
    Ok(Some(otp))
}

/// Who a new back-office account is, as the users form gives it.
pub struct NewAccount {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub role: Role,
}

/// Creates an account holding the one-time password `otp` (hashed here), audited as
/// done by `actor`. `None` when the username is taken (nothing is written).
pub fn create_account(
    db: &Db,
    account: NewAccount,
    otp: &str,
    now: OffsetDateTime,
    actor: &Actor,
) -> Result<Option<User>, AccountError> {
    let user = User {
        full_name: account.full_name,
        email: account.email,
        ..new_user(&account.username, otp, account.role, now)?
    };
    match db.create_user(user, actor) {
        Err(crate::db::Error::UsernameTaken(_)) => Ok(None),
        other => Ok(Some(other?)),
    }
}

/// A new account holding a one-time password that must be changed at first sign-in.
pub fn new_user(
    username: &str,
    otp: &str,
    role: Role,
    now: OffsetDateTime,
) -> Result<User, HashError> {
    let password_hash = hash_password(otp)?;
    Ok(User {
        id: 0,
        username: username.to_string(),
        full_name: String::new(),
        email: String::new(),
        password_hash,
        previous_hashes: Vec::new(),
        must_change_password: true,
        role,
        lang: Lang::Fr,
        disabled: false,
        last_used_at: now.unix_timestamp(),
        created_at: now.unix_timestamp(),
        password_changed_at: now.unix_timestamp(),
        disabled_by_admin: false,
        second_factor: None,
        time_zone: None,
    })
}
