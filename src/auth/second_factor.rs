//! The second factor as blocking procedures over the data file: enrolment, the code
//! step of sign-in, disabling it (own profile) and resetting it (admin), and the
//! housekeeping of sessions and counters. Every change re-reads the user inside its
//! write transaction and is audited there.

use time::OffsetDateTime;

use super::hashing::verify_password;
use super::login::{Refusal, count_own_attempt, entry, own_failure, settle};
use crate::db::sessions::SessionStage;
use crate::db::{self, Db, audit, security, sessions, users};
use crate::domain::auth::{is_expired, second_factor_expired};
use crate::domain::totp::{
    self, RECOVERY_CODES, SECRET_BYTES, SecondFactor, recovery_code_from, recovery_hash,
};
use crate::domain::user::User;

/// Whether `user` must sign in with a second factor: every admin, and the users of
/// merchants for which an admin asked for it.
pub fn required(db: &Db, user: &User) -> db::Result<bool> {
    match user.merchant_id() {
        None => Ok(user.is_admin()),
        Some(m) => db.second_factor_required_for(m),
    }
}

fn required_in(wtx: &db::Tx, user: &User) -> db::Result<bool> {
    match user.merchant_id() {
        None => Ok(user.is_admin()),
        Some(m) => security::second_factor_required_in(wtx, m),
    }
}

/// Why the code step refuses.
#[derive(Debug, thiserror::Error)]
pub enum CodeStepError {
    /// No session waiting for a code (signed out, or more than 5 minutes ago).
    #[error("no sign-in is waiting for a code")]
    NoPending,
    /// Wrong, replayed or already used code.
    #[error("wrong, replayed or already used code")]
    Wrong,
    /// Too many wrong passwords or codes: locked for 30 minutes.
    #[error("too many failures: the username is locked for a while")]
    Locked,
    /// Disabled or expired meanwhile.
    #[error("the account was disabled or expired meanwhile")]
    Refused,
    #[error(transparent)]
    Storage(#[from] db::Error),
}

/// Whether `token` is a session waiting for its code at `now`; its user if so.
pub fn pending_user(db: &Db, token: &str, now: OffsetDateTime) -> db::Result<Option<User>> {
    let Some(s) = db.session(token)? else {
        return Ok(None);
    };
    if s.stage != SessionStage::SecondFactor || second_factor_expired(s.created_at, now) {
        return Ok(None);
    }
    db.user(s.user_id)
}

/// Completes a sign-in waiting for its second factor with a TOTP code or a recovery
/// code. In one write transaction: the waiting session, the user and the counter are
/// read; a wrong code counts like a wrong password; a right one opens a NEW full
/// session (the waiting one ends). Returns the user and the new token.
pub fn complete_sign_in(
    db: &Db,
    pending_token: &str,
    code: &str,
    now: OffsetDateTime,
    ip: &str,
) -> Result<(User, String), CodeStepError> {
    // A cookie that names no pending sign-in costs a read, never a durable write.
    if db
        .session(pending_token)?
        .is_none_or(|s| s.stage != SessionStage::SecondFactor)
    {
        return Err(CodeStepError::NoPending);
    }
    let wtx = db.begin_write()?;
    let session = match sessions::get(&wtx, pending_token)? {
        Some(s)
            if s.stage == SessionStage::SecondFactor
                && !second_factor_expired(s.created_at, now) =>
        {
            s
        }
        Some(s) if s.stage == SessionStage::SecondFactor => {
            sessions::remove(&wtx, pending_token)?;
            wtx.commit()?;
            return Err(CodeStepError::NoPending);
        }
        _ => return Err(CodeStepError::NoPending),
    };
    let mut user = users::get(&wtx, session.user_id)?.ok_or(db::Error::NotFound)?;
    let name = user.username.clone();
    let merchant = user.merchant_id();
    let attempts = security::attempts_in(&wtx, &name)?;
    let refused = if attempts.is_locked(now) {
        Some(CodeStepError::Locked)
    } else if user.disabled || is_expired(user.last_used_at, now) {
        Some(CodeStepError::Refused)
    } else {
        None
    };
    if let Some(e) = refused {
        let action = match e {
            CodeStepError::Locked => "auth.code_refused_locked",
            _ => "auth.code_refused_account",
        };
        let mut line = entry(&name, ip, action, merchant, now);
        line.outcome = "refused".into();
        audit::append(&wtx, db.audit_key(), &line)?;
        sessions::remove(&wtx, pending_token)?;
        wtx.commit()?;
        return Err(e);
    }
    let Some(factor) = user.second_factor.as_mut().filter(|f| f.is_confirmed()) else {
        sessions::remove(&wtx, pending_token)?;
        wtx.commit()?;
        return Err(CodeStepError::NoPending);
    };
    let used_recovery =
        match totp::check(&factor.secret, code, now.unix_timestamp(), factor.last_step) {
            Ok(step) => {
                factor.last_step = step;
                false
            }
            Err(_) if totp::use_recovery(&mut factor.recovery, code) => true,
            Err(_) => {
                let after = attempts.after_failure(now);
                users::put_failure(&wtx, &name, after, now.unix_timestamp())?;
                audit::append(
                    &wtx,
                    db.audit_key(),
                    &entry(&name, ip, "auth.failure", merchant, now),
                )?;
                let locked = after.is_locked(now);
                if locked {
                    audit::append(
                        &wtx,
                        db.audit_key(),
                        &entry(&name, ip, "auth.lockout", merchant, now),
                    )?;
                    sessions::remove(&wtx, pending_token)?;
                }
                wtx.commit()?;
                return Err(if locked {
                    CodeStepError::Locked
                } else {
                    CodeStepError::Wrong
                });
            }
        };
    users::put_attempts(&wtx, &name, Default::default())?;
    user.last_used_at = now.unix_timestamp();
    users::update(&wtx, &user)?;
    sessions::remove(&wtx, pending_token)?;
    let token = sessions::insert(&wtx, user.id, now.unix_timestamp(), ip, SessionStage::Full)?;
    if used_recovery {
        audit::append(
            &wtx,
            db.audit_key(),
            &entry(&name, ip, "auth.recovery_code", merchant, now),
        )?;
    }
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(&name, ip, "auth.sign_in", merchant, now),
    )?;
    wtx.commit()?;
    Ok((user, token))
}

/// Starts (or keeps) a pending enrolment with a fresh secret. Nothing changes when a
/// confirmed factor exists or one is already pending.
pub fn start_enrolment(db: &Db, user_id: u64) -> db::Result<()> {
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    if user.second_factor.is_none() {
        let mut secret = vec![0u8; SECRET_BYTES];
        rand::fill(secret.as_mut_slice());
        user.second_factor = Some(SecondFactor::pending(secret));
        users::update(&wtx, &user)?;
    }
    wtx.commit()?;
    Ok(())
}

/// Why an enrolment is not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The account password, asked again so that a session left open cannot bind
    /// another person's phone, is wrong (counted like a sign-in failure).
    #[error("wrong password")]
    WrongPassword,
    /// Too many wrong passwords: locked, sessions ended.
    #[error("too many wrong passwords: the account is locked and its sessions ended")]
    Locked,
    /// The app's code does not match (or no enrolment is under way).
    #[error("the code does not match (or no enrolment is under way)")]
    WrongCode,
    #[error(transparent)]
    Storage(#[from] db::Error),
}

impl From<Refusal> for EnrolError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Locked => EnrolError::Locked,
            Refusal::Storage(e) => EnrolError::Storage(e),
        }
    }
}

/// Confirms the enrolment under way with the account password and the app's first
/// code. The user's other sessions end (they were opened with the password alone);
/// the one in `keep_token` stays. Returns the recovery codes to show once.
pub fn confirm_enrolment(
    db: &Db,
    user_id: u64,
    password: &str,
    code: &str,
    now: OffsetDateTime,
    ip: &str,
    keep_token: &str,
) -> Result<Vec<String>, EnrolError> {
    let (counted, snapshot) = count_own_attempt(db, user_id, now)?;
    if !verify_password(password, &snapshot.password_hash) {
        return Err(if own_failure(db, &snapshot, counted, now, ip)? {
            EnrolError::Locked
        } else {
            EnrolError::WrongPassword
        });
    }
    let wtx = db.begin_write()?;
    settle(&wtx, &snapshot.username, counted, now, true)?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    let name = user.username.clone();
    let merchant = user.merchant_id();
    let step = match user.second_factor.as_mut().filter(|f| !f.is_confirmed()) {
        Some(f) if user.password_hash == snapshot.password_hash => {
            totp::check(&f.secret, code, now.unix_timestamp(), f.last_step).ok()
        }
        _ => None,
    };
    let (Some(step), Some(factor)) = (step, user.second_factor.as_mut()) else {
        // The password was right: only the settled counter is kept.
        wtx.commit()?;
        return Err(EnrolError::WrongCode);
    };
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::fill(&mut bytes);
            recovery_code_from(&bytes)
        })
        .collect();
    factor.last_step = step;
    factor.confirmed_at = Some(now.unix_timestamp());
    factor.recovery = codes.iter().map(|c| recovery_hash(c)).collect();
    users::update(&wtx, &user)?;
    sessions::end_others_for_user(&wtx, user_id, keep_token)?;
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(&name, ip, "second_factor.enrol", merchant, now),
    )?;
    wtx.commit()?;
    Ok(codes)
}

/// Why a user's own request to turn the second factor off is refused.
#[derive(Debug, thiserror::Error)]
pub enum DisableError {
    /// Admins, and users of merchants that require it, keep it.
    #[error("the second factor is required for this account")]
    Required,
    #[error("wrong password")]
    WrongPassword,
    #[error("wrong code")]
    WrongCode,
    #[error("too many failures: the account is locked and its sessions ended")]
    Locked,
    #[error("the password or the second factor changed meanwhile")]
    Changed,
    #[error(transparent)]
    Storage(#[from] db::Error),
}

impl From<Refusal> for DisableError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Locked => DisableError::Locked,
            Refusal::Storage(e) => DisableError::Storage(e),
        }
    }
}

/// Turns the user's own second factor off, with the current password and a code
/// (TOTP or recovery). Wrong passwords and codes count like sign-in failures.
pub fn disable_own(
    db: &Db,
    user_id: u64,
    password: &str,
    code: &str,
    now: OffsetDateTime,
    ip: &str,
) -> Result<(), DisableError> {
    let user = db.user(user_id)?.ok_or(db::Error::NotFound)?;
    if required(db, &user)? {
        return Err(DisableError::Required);
    }
    let (counted, snapshot) = count_own_attempt(db, user_id, now)?;
    if !verify_password(password, &snapshot.password_hash) {
        return Err(if own_failure(db, &snapshot, counted, now, ip)? {
            DisableError::Locked
        } else {
            DisableError::WrongPassword
        });
    }
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    // The password was right when checked: any refusal from here is no failure.
    let refuse = |wtx: db::Tx, e: DisableError| -> Result<(), DisableError> {
        settle(&wtx, &snapshot.username, counted, now, false)?;
        wtx.commit()?;
        Err(e)
    };
    if user.password_hash != snapshot.password_hash {
        return refuse(wtx, DisableError::Changed);
    }
    if required_in(&wtx, &user)? {
        return refuse(wtx, DisableError::Required);
    }
    if !user
        .second_factor
        .as_ref()
        .is_some_and(|f| f.is_confirmed())
    {
        return refuse(wtx, DisableError::Changed);
    }
    let Some(factor) = user.second_factor.as_mut() else {
        return refuse(wtx, DisableError::Changed);
    };
    let ok = match totp::check(&factor.secret, code, now.unix_timestamp(), factor.last_step) {
        Ok(_) => true,
        Err(_) => totp::use_recovery(&mut factor.recovery, code),
    };
    if !ok {
        drop(wtx);
        // The provisional failure stays counted.
        return Err(if own_failure(db, &snapshot, counted, now, ip)? {
            DisableError::Locked
        } else {
            DisableError::WrongCode
        });
    }
    settle(&wtx, &user.username, counted, now, true)?;
    user.second_factor = None;
    users::update(&wtx, &user)?;
    let (name, m) = (user.username.clone(), user.merchant_id());
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(&name, ip, "second_factor.disable", m, now),
    )?;
    wtx.commit()?;
    Ok(())
}

/// An admin removes a user's second factor (lost phone): the user's sessions end and
/// the next sign-in asks for enrolment again where it is required.
pub fn admin_reset(db: &Db, user_id: u64, entry: &audit::AuditEntry) -> db::Result<()> {
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    user.second_factor = None;
    users::update(&wtx, &user)?;
    sessions::end_all_for_user(&wtx, user_id)?;
    audit::append(&wtx, db.audit_key(), entry)?;
    wtx.commit()?;
    Ok(())
}

/// Removes dead sessions (idle, too old, or waiting for a code too long) and counters
/// whose lock ran out. Run every 5 minutes by the sweeper (`gateway::sweeper`).
pub fn housekeeping(db: &Db, now: OffsetDateTime) -> db::Result<(u64, u64)> {
    Ok((db.purge_sessions(now)?, db.purge_attempts(now)?))
}
