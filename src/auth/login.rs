//! Signing in and changing passwords, as blocking procedures over the data file.
//! Unknown usernames go through the same steps as known ones (AUTH-3).

use time::OffsetDateTime;

use super::hashing::{decoy_hash, hash_password, verify_password};
use crate::db::{self, Db, audit, sessions, users};
use crate::domain::auth::is_expired;
use crate::domain::password::{HISTORY, NewPassword, PasswordError};
use crate::domain::user::User;

/// Why a sign-in is refused.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong password or unknown username: indistinguishable on purpose.
    Invalid,
    Locked,
    Expired,
    Disabled,
    Storage(db::Error),
}

impl From<db::Error> for SignInError {
    fn from(e: db::Error) -> Self {
        SignInError::Storage(e)
    }
}

/// Checks the credentials and opens a session. Returns the user and the session token.
pub fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    now: OffsetDateTime,
    ip: &str,
) -> Result<(User, String), SignInError> {
    let name = username.trim().to_lowercase();
    let attempts = db.attempts(&name)?;
    let user = db.user_by_username(&name)?;
    let hash = user
        .as_ref()
        .map_or(decoy_hash(), |u| u.password_hash.as_str());
    let matches = verify_password(password, hash);
    if attempts.is_locked(now) {
        return Err(SignInError::Locked);
    }
    let Some(mut user) = user.filter(|_| matches) else {
        let after = attempts.after_failure(now);
        db.set_attempts(&name, after)?;
        return Err(if after.is_locked(now) {
            SignInError::Locked
        } else {
            SignInError::Invalid
        });
    };
    if attempts != Default::default() {
        db.set_attempts(&name, Default::default())?;
    }
    if user.disabled {
        return Err(SignInError::Disabled);
    }
    if is_expired(user.last_used_at, now) {
        return Err(SignInError::Expired);
    }
    user.last_used_at = now.unix_timestamp();
    let wtx = db.begin_write()?;
    users::update(&wtx, &user)?;
    wtx.commit().map_err(db::Error::from)?;
    let token = db.create_session(user.id, now.unix_timestamp(), ip)?;
    Ok((user, token))
}

/// Why a password change is refused.
#[derive(Debug)]
pub enum ChangeError {
    WrongCurrent,
    Policy(PasswordError),
    Storage(db::Error),
}

impl From<db::Error> for ChangeError {
    fn from(e: db::Error) -> Self {
        ChangeError::Storage(e)
    }
}

/// Changes a user's own password after checking the current one and the policy.
/// Other sessions of the user end; the one with `keep_token` stays.
pub fn change_password(
    db: &Db,
    user_id: u64,
    current: &str,
    new: &str,
    confirm: &str,
    keep_token: &str,
) -> Result<(), ChangeError> {
    let mut user = db.user(user_id)?.ok_or(db::Error::NotFound)?;
    if !verify_password(current, &user.password_hash) {
        return Err(ChangeError::WrongCurrent);
    }
    let recent = |candidate: &str| {
        std::iter::once(&user.password_hash)
            .chain(user.previous_hashes.iter())
            .take(HISTORY)
            .any(|h| verify_password(candidate, h))
    };
    let new =
        NewPassword::parse(new, confirm, &user.username, recent).map_err(ChangeError::Policy)?;
    let hash = hash_password(new.expose()).map_err(|e| db::Error::Conflict(e.to_string()))?;
    let old = std::mem::replace(&mut user.password_hash, hash);
    user.previous_hashes.insert(0, old);
    user.previous_hashes.truncate(HISTORY);
    user.must_change_password = false;
    let wtx = db.begin_write()?;
    users::update(&wtx, &user)?;
    sessions::end_others_for_user(&wtx, user.id, keep_token)?;
    wtx.commit().map_err(db::Error::from)?;
    Ok(())
}

/// A one-time password: 16 characters from an alphabet without look-alikes,
/// with letters and digits so it also passes the policy.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        let s: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        if s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(|c| c.is_ascii_alphabetic()) {
            return s;
        }
    }
}

/// Gives a user a fresh one-time password (reset or reactivation): the user must
/// change it at next sign-in, the expiry clock restarts, live sessions end, the
/// lock is lifted. Returns the password to show once.
pub fn issue_one_time_password(
    db: &Db,
    user_id: u64,
    now: OffsetDateTime,
    entry: audit::AuditEntry,
) -> db::Result<String> {
    let otp = one_time_password();
    let hash = hash_password(&otp).map_err(db::Error::Conflict)?;
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    let old = std::mem::replace(&mut user.password_hash, hash);
    user.previous_hashes.insert(0, old);
    user.previous_hashes.truncate(HISTORY);
    user.must_change_password = true;
    user.last_used_at = now.unix_timestamp();
    users::update(&wtx, &user)?;
    users::put_attempts(&wtx, &user.username, Default::default())?;
    sessions::end_all_for_user(&wtx, user.id)?;
    audit::append(&wtx, &entry)?;
    wtx.commit()?;
    Ok(otp)
}
