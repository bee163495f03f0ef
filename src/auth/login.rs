//! Signing in and changing passwords, as blocking procedures over the data file.
//! Unknown usernames go through the same steps as known ones (AUTH-3).

use time::OffsetDateTime;

use super::AccountError;
use super::hashing::{HashError, decoy_hash, hash_password, verify_password};
use crate::db::sessions::SessionStage;
use crate::db::{self, Db, audit, security, sessions, users};
use crate::domain::Lang;
use crate::domain::auth::{
    Attempts, MAX_USERNAME_CHARS, is_expired, normalise_username, password_too_old,
};
use crate::domain::password::{HISTORY, NewPassword, PasswordError};
use crate::domain::user::User;

/// Why a sign-in is refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password or unknown username: indistinguishable on purpose.
    #[error("wrong username or password")]
    Invalid,
    #[error("too many failures: the username is locked for a while")]
    Locked,
    #[error("the account expired (unused for too long)")]
    Expired,
    #[error("the account is disabled")]
    Disabled,
    /// The decoy hash that unknown usernames are checked against could not be made.
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Storage(#[from] db::Error),
}

impl SignInError {
    /// What the sign-in page tells the user; `None` for a failure of the appliance
    /// itself (storage, hashing), which is an internal error.
    pub fn message(&self, lang: Lang) -> Option<&'static str> {
        Some(match self {
            SignInError::Invalid => lang.pick("Nom d'utilisateur ou mot de passe incorrect.", "Wrong username or password."),
            SignInError::Locked => lang.pick(
                "Trop de tentatives : l'accès est bloqué pendant 30 minutes. Contactez le support pour le débloquer.",
                "Too many attempts: access is blocked for 30 minutes. Contact support to unlock it.",
            ),
            SignInError::Expired => lang.pick(
                "Ce compte a expiré (30 jours sans connexion). Contactez le support pour le réactiver.",
                "This account has expired (30 days without signing in). Contact support to reactivate it.",
            ),
            SignInError::Disabled => lang.pick("Ce compte est désactivé. Contactez le support.", "This account is disabled. Contact support."),
            SignInError::Hash(_) | SignInError::Storage(_) => return None,
        })
    }
}

/// What the steps shared by the account procedures (counting an attempt, settling
/// it) answer when they do not go through.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The name is locked (by this attempt or others meanwhile).
    Locked,
    Storage(db::Error),
}

impl From<db::Error> for Refusal {
    fn from(e: db::Error) -> Self {
        Refusal::Storage(e)
    }
}

impl From<Refusal> for SignInError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Locked => SignInError::Locked,
            Refusal::Storage(e) => SignInError::Storage(e),
        }
    }
}

/// A password step that went through: the session opened, full or waiting for the
/// second factor.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub token: String,
    pub stage: SessionStage,
}

/// Checks the credentials and opens a session (full, or waiting for the second
/// factor when the user has one). `chosen`: the language picked on the sign-in page,
/// kept on the account.
pub fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    now: OffsetDateTime,
    ip: &str,
    chosen: Option<Lang>,
) -> Result<SignedIn, SignInError> {
    sign_in_with(db, username, password, now, ip, chosen, &|| {})
}

/// [`sign_in`] with a hook run between the password check and the write transaction
/// that applies it (tests park a sign-in there).
///
/// The attempt is counted before the password is checked, in one write transaction
/// that refuses at once when the name is locked (M1); the slow check runs outside any
/// transaction; then one write transaction re-reads the user and the counter and
/// refuses when the password, the state or the lock changed meanwhile (H2).
pub fn sign_in_with(
    db: &Db,
    username: &str,
    password: &str,
    now: OffsetDateTime,
    ip: &str,
    chosen: Option<Lang>,
    pause: &dyn Fn(),
) -> Result<SignedIn, SignInError> {
    let Some(name) = normalise_username(username) else {
        // Too long to be a username: same work, same answer, nothing stored.
        verify_password(password, decoy_hash()?);
        return Err(SignInError::Invalid);
    };
    let Some((counted, snapshot)) = count_attempt(db, &name, now)? else {
        return Err(SignInError::Locked);
    };
    let hash = match &snapshot {
        Some(u) => u.password_hash.as_str(),
        None => decoy_hash()?,
    };
    let matches = verify_password(password, hash);
    pause();
    let merchant = snapshot.as_ref().and_then(User::merchant_id);
    let Some(snapshot) = snapshot.filter(|_| matches) else {
        record_failure(db, &name, merchant, counted, now, ip)?;
        return Err(if counted.is_locked(now) {
            SignInError::Locked
        } else {
            SignInError::Invalid
        });
    };
    finish_password_step(db, &name, &snapshot, counted, now, ip, chosen)
}

/// Counts one provisional failure for `name` (refusing when locked) and reads the
/// user, in one write transaction. `None` when the name is locked.
fn count_attempt(
    db: &Db,
    name: &str,
    now: OffsetDateTime,
) -> db::Result<Option<(Attempts, Option<User>)>> {
    let wtx = db.begin_write()?;
    let before = security::attempts_in(&wtx, name)?;
    if before.is_locked(now) {
        return Ok(None);
    }
    let counted = before.after_failure(now);
    users::put_failure(&wtx, name, counted, now.unix_timestamp())?;
    let user = users::get_by_username(&wtx, name)?;
    wtx.commit()?;
    Ok(Some((counted, user)))
}

/// Audits a refused password (and the lock it set), in its own transaction: the
/// failure itself was counted before the check.
fn record_failure(
    db: &Db,
    name: &str,
    merchant_id: Option<u64>,
    counted: Attempts,
    now: OffsetDateTime,
    ip: &str,
) -> db::Result<()> {
    let wtx = db.begin_write()?;
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(name, ip, "auth.failure", merchant_id, now),
    )?;
    if counted.is_locked(now) {
        audit::append(
            &wtx,
            db.audit_key(),
            &entry(name, ip, "auth.lockout", merchant_id, now),
        )?;
    }
    wtx.commit()?;
    Ok(())
}

/// An audit entry of a sign-in event done by `name` itself.
pub(crate) fn entry(
    name: &str,
    ip: &str,
    action: &str,
    merchant_id: Option<u64>,
    now: OffsetDateTime,
) -> audit::AuditEntry {
    audit::AuditEntry {
        at: now.unix_timestamp(),
        actor: name.chars().take(MAX_USERNAME_CHARS).collect(),
        ip: ip.to_string(),
        action: action.into(),
        target: format!(
            "user {}",
            name.chars().take(MAX_USERNAME_CHARS).collect::<String>()
        ),
        merchant_id,
        outcome: match action {
            "auth.failure" => "refused",
            "auth.lockout" => "locked",
            _ => "ok",
        }
        .into(),
        detail: String::new(),
    }
}

/// Settles the provisional failure of a right password inside the final transaction.
/// `Err(Locked)` when other attempts locked the name since it was counted; otherwise
/// the counter is reset (`full`) or only this attempt is taken back (a second factor
/// still has to come, so earlier wrong codes keep counting).
pub(crate) fn settle(
    wtx: &db::Tx,
    name: &str,
    counted: Attempts,
    now: OffsetDateTime,
    full: bool,
) -> Result<(), Refusal> {
    let current = security::attempts_in(wtx, name)?;
    if current.is_locked(now) && current != counted {
        return Err(Refusal::Locked);
    }
    let settled = if full {
        Attempts::default()
    } else {
        current.without_one_failure()
    };
    users::put_attempts(wtx, name, settled)?;
    Ok(())
}

fn finish_password_step(
    db: &Db,
    name: &str,
    snapshot: &User,
    counted: Attempts,
    now: OffsetDateTime,
    ip: &str,
    chosen: Option<Lang>,
) -> Result<SignedIn, SignInError> {
    let wtx = db.begin_write()?;
    let Some(mut user) = users::get(&wtx, snapshot.id)? else {
        return Err(SignInError::Invalid);
    };
    if user.password_hash != snapshot.password_hash {
        // Reset or changed while this attempt was being checked.
        return Err(SignInError::Invalid);
    }
    let two_steps = user.has_second_factor();
    settle(&wtx, name, counted, now, !two_steps)?;
    if user.disabled || is_expired(user.last_used_at, now) {
        let (action, error) = if user.disabled {
            ("auth.refused_disabled", SignInError::Disabled)
        } else {
            ("auth.refused_expired", SignInError::Expired)
        };
        let mut e = entry(name, ip, action, user.merchant_id(), now);
        e.outcome = "refused".into();
        audit::append(&wtx, db.audit_key(), &e)?;
        wtx.commit()?;
        return Err(error);
    }
    let new_lang = chosen.filter(|l| *l != user.lang);
    if let Some(l) = new_lang {
        user.lang = l;
    }
    let stage = if two_steps {
        if new_lang.is_some() {
            users::update(&wtx, &user)?;
        }
        SessionStage::SecondFactor
    } else {
        let max_age = security::password_max_age_days(&wtx)?;
        if password_too_old(user.password_changed_at, now, max_age) {
            user.must_change_password = true;
        }
        user.last_used_at = now.unix_timestamp();
        users::update(&wtx, &user)?;
        let merchant = user.merchant_id();
        audit::append(
            &wtx,
            db.audit_key(),
            &entry(name, ip, "auth.sign_in", merchant, now),
        )?;
        SessionStage::Full
    };
    let token = sessions::insert(&wtx, user.id, now.unix_timestamp(), ip, stage)?;
    wtx.commit()?;
    Ok(SignedIn { user, token, stage })
}

/// Why a password change is refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("wrong current password")]
    WrongCurrent,
    /// Too many wrong current passwords: the account is locked and its sessions ended.
    #[error("too many wrong passwords: the account is locked and its sessions ended")]
    Locked,
    /// The password was changed or reset elsewhere meanwhile.
    #[error("the password was changed elsewhere meanwhile")]
    Changed,
    #[error("the new password is refused: {0}")]
    Policy(PasswordError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Storage(#[from] db::Error),
}

impl From<Refusal> for ChangeError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Locked => ChangeError::Locked,
            Refusal::Storage(e) => ChangeError::Storage(e),
        }
    }
}

/// Counts a provisional failure for a signed-in user's password check; returns the
/// counter and the user as read. `Locked` (sessions ended) when the name is locked.
pub(crate) fn count_own_attempt(
    db: &Db,
    user_id: u64,
    now: OffsetDateTime,
) -> Result<(Attempts, User), Refusal> {
    let wtx = db.begin_write()?;
    let user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    let before = security::attempts_in(&wtx, &user.username)?;
    if before.is_locked(now) {
        sessions::end_all_for_user(&wtx, user_id)?;
        wtx.commit()?;
        return Err(Refusal::Locked);
    }
    let counted = before.after_failure(now);
    users::put_failure(&wtx, &user.username, counted, now.unix_timestamp())?;
    wtx.commit()?;
    Ok((counted, user))
}

/// Audits a wrong password (or code) of a signed-in user; when it locked the account,
/// ends the user's sessions too. Returns whether it locked the account.
pub(crate) fn own_failure(
    db: &Db,
    user: &User,
    counted: Attempts,
    now: OffsetDateTime,
    ip: &str,
) -> db::Result<bool> {
    let wtx = db.begin_write()?;
    let name = &user.username;
    let m = user.merchant_id();
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(name, ip, "auth.failure", m, now),
    )?;
    let locked = counted.is_locked(now);
    if locked {
        audit::append(
            &wtx,
            db.audit_key(),
            &entry(name, ip, "auth.lockout", m, now),
        )?;
        sessions::end_all_for_user(&wtx, user.id)?;
    }
    wtx.commit()?;
    Ok(locked)
}

/// Changes a user's own password after checking the current one and the policy.
/// Wrong current passwords count like sign-in failures. Every session of the user
/// ends and a new one is opened: its token is returned for the cookie.
#[allow(clippy::too_many_arguments)]
pub fn change_password(
    db: &Db,
    user_id: u64,
    current: &str,
    new: &str,
    confirm: &str,
    now: OffsetDateTime,
    ip: &str,
) -> Result<String, ChangeError> {
    change_password_with(db, user_id, current, new, confirm, now, ip, &|| {})
}

/// [`change_password`] with a hook between the checks and the final transaction.
#[allow(clippy::too_many_arguments)]
pub fn change_password_with(
    db: &Db,
    user_id: u64,
    current: &str,
    new: &str,
    confirm: &str,
    now: OffsetDateTime,
    ip: &str,
    pause: &dyn Fn(),
) -> Result<String, ChangeError> {
    let (counted, snapshot) = count_own_attempt(db, user_id, now)?;
    if !verify_password(current, &snapshot.password_hash) {
        return Err(if own_failure(db, &snapshot, counted, now, ip)? {
            ChangeError::Locked
        } else {
            ChangeError::WrongCurrent
        });
    }
    let recent = |candidate: &str| {
        std::iter::once(&snapshot.password_hash)
            .chain(snapshot.previous_hashes.iter())
            .take(HISTORY)
            .any(|h| verify_password(candidate, h))
    };
    let checked = NewPassword::parse(new, confirm, &snapshot.username, recent);
    let hash = match checked {
        Ok(p) => hash_password(p.expose())?,
        Err(e) => {
            // The current password was right: take the provisional failure back.
            let wtx = db.begin_write()?;
            settle(&wtx, &snapshot.username, counted, now, true)?;
            wtx.commit()?;
            return Err(ChangeError::Policy(e));
        }
    };
    pause();
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    if user.password_hash != snapshot.password_hash {
        // The password was right when checked: this attempt is no failure.
        settle(&wtx, &user.username, counted, now, false)?;
        wtx.commit()?;
        return Err(ChangeError::Changed);
    }
    settle(&wtx, &user.username, counted, now, true)?;
    let forced = user.must_change_password;
    let old = std::mem::replace(&mut user.password_hash, hash);
    user.previous_hashes.insert(0, old);
    user.previous_hashes.truncate(HISTORY);
    user.must_change_password = false;
    user.password_changed_at = now.unix_timestamp();
    users::update(&wtx, &user)?;
    sessions::end_all_for_user(&wtx, user.id)?;
    let token = sessions::insert(&wtx, user.id, now.unix_timestamp(), ip, SessionStage::Full)?;
    let action = if forced {
        "password.change_forced"
    } else {
        "password.change"
    };
    let m = user.merchant_id();
    audit::append(
        &wtx,
        db.audit_key(),
        &entry(&user.username, ip, action, m, now),
    )?;
    wtx.commit()?;
    Ok(token)
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
) -> Result<String, AccountError> {
    let otp = one_time_password();
    let hash = hash_password(&otp)?;
    let wtx = db.begin_write()?;
    let mut user = users::get(&wtx, user_id)?.ok_or(db::Error::NotFound)?;
    let old = std::mem::replace(&mut user.password_hash, hash);
    user.previous_hashes.insert(0, old);
    user.previous_hashes.truncate(HISTORY);
    user.must_change_password = true;
    user.last_used_at = now.unix_timestamp();
    user.password_changed_at = now.unix_timestamp();
    users::update(&wtx, &user)?;
    users::put_attempts(&wtx, &user.username, Default::default())?;
    sessions::end_all_for_user(&wtx, user.id)?;
    audit::append(&wtx, db.audit_key(), &entry)?;
    wtx.commit()?;
    Ok(otp)
}
