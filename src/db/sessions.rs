//! Server-side sessions: the cookie holds a random token, the data file holds its
//! SHA-256 with the user, creation and last-seen times.

use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Tx;
use super::tables::SESSION_HASH_TO_SESSION;
use super::{Db, Result, codec};
use crate::domain::auth::{SessionCheck, check_session, second_factor_expired};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: u64,
    pub created_at: i64,
    pub last_seen: i64,
    pub ip: String,
    pub stage: SessionStage,
}

/// How far a session got in signing in.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum SessionStage {
    /// Signed in: the back office is open (within the user's rights).
    Full = 0,
    /// The password was right; the second-factor code is awaited (5 minutes). Such a
    /// session reaches only the code page and sign-out.
    SecondFactor = 1,
}

pub(crate) fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 256 random bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Db {
    /// Starts a full session and returns the token for the cookie.
    pub fn create_session(&self, user_id: u64, now: i64, ip: &str) -> Result<String> {
        let wtx = self.begin_write()?;
        let token = insert(&wtx, user_id, now, ip, SessionStage::Full)?;
        wtx.commit()?;
        Ok(token)
    }

    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(SESSION_HASH_TO_SESSION)?;
        t.get(hash(token).as_str())?
            .map(|v| codec::decode("sessions", v.value()))
            .transpose()
    }

    /// Records activity. Not durable on its own: losing a last-seen time in a crash
    /// only shortens a session.
    pub fn touch_session(&self, token: &str, now: i64) -> Result<()> {
        let mut wtx = self.begin_write()?;
        wtx.set_not_durable()?;
        {
            let mut t = wtx.open_table(SESSION_HASH_TO_SESSION)?;
            let key = hash(token);
            let current = t
                .get(key.as_str())?
                .map(|v| codec::decode::<Session>("sessions", v.value()))
                .transpose()?;
            if let Some(mut s) = current {
                s.last_seen = now;
                t.insert(key.as_str(), codec::encode(&s)?.as_slice())?;
            }
        }
        wtx.commit()?;
        Ok(())
    }

    pub fn end_session(&self, token: &str) -> Result<()> {
        let wtx = self.begin_write()?;
        wtx.open_table(SESSION_HASH_TO_SESSION)?
            .remove(hash(token).as_str())?;
        wtx.commit()?;
        Ok(())
    }

    /// Removes the sessions that can no longer be used at `now`: idle or too old, and
    /// those that waited for a second factor longer than allowed. Returns how many went.
    pub fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let wtx = self.begin_write()?;
        let removed = {
            let mut t = wtx.open_table(SESSION_HASH_TO_SESSION)?;
            let before = t.len()?;
            t.retain(|_, v| {
                codec::decode::<Session>("sessions", v).is_ok_and(|s| usable(&s, now))
            })?;
            before - t.len()?
        };
        wtx.commit()?;
        Ok(removed)
    }

    pub fn session_count(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(SESSION_HASH_TO_SESSION)?.len()?)
    }
}

/// Whether a session may still be used at `now`.
pub fn usable(s: &Session, now: OffsetDateTime) -> bool {
    let alive = check_session(s.created_at, s.last_seen, now) == SessionCheck::Alive;
    match s.stage {
        SessionStage::Full => alive,
        SessionStage::SecondFactor => alive && !second_factor_expired(s.created_at, now),
    }
}

/// Starts a session at `stage` inside a write transaction; returns the cookie token.
pub fn insert(wtx: &Tx, user_id: u64, now: i64, ip: &str, stage: SessionStage) -> Result<String> {
    let token = new_token();
    let session = Session {
        user_id,
        created_at: now,
        last_seen: now,
        ip: ip.to_string(),
        stage,
    };
    wtx.open_table(SESSION_HASH_TO_SESSION)?
        .insert(hash(&token).as_str(), codec::encode(&session)?.as_slice())?;
    Ok(token)
}

/// Reads a session inside a write transaction.
pub fn get(wtx: &Tx, token: &str) -> Result<Option<Session>> {
    let t = wtx.open_table(SESSION_HASH_TO_SESSION)?;
    let v = t.get(hash(token).as_str())?;
    v.map(|v| codec::decode("sessions", v.value())).transpose()
}

/// Ends one session inside a write transaction.
pub fn remove(wtx: &Tx, token: &str) -> Result<()> {
    wtx.open_table(SESSION_HASH_TO_SESSION)?
        .remove(hash(token).as_str())?;
    Ok(())
}

/// Ends every session of a user (disabled, reset, password changed elsewhere).
pub fn end_all_for_user(wtx: &Tx, user_id: u64) -> Result<()> {
    wtx.open_table(SESSION_HASH_TO_SESSION)?.retain(|_, v| {
        codec::decode::<Session>("sessions", v).is_ok_and(|s| s.user_id != user_id)
    })?;
    Ok(())
}

/// Ends every session of a user but the one with `keep_token`.
pub fn end_others_for_user(wtx: &Tx, user_id: u64, keep_token: &str) -> Result<()> {
    let keep = hash(keep_token);
    wtx.open_table(SESSION_HASH_TO_SESSION)?.retain(|k, v| {
        k == keep || codec::decode::<Session>("sessions", v).is_ok_and(|s| s.user_id != user_id)
    })?;
    Ok(())
}
