//! Users and the failed-sign-in counters.

use redb::{ReadableTable, ReadableTableMetadata};

use super::Tx;
use super::tables::{
    USER_ID_TO_TIME_ZONE, USER_ID_TO_USER, USERNAME_TO_ATTEMPTS, USERNAME_TO_LAST_FAILURE,
    USERNAME_TO_USER_ID,
};
use super::{Db, Error, Result, Scope, codec, next_id};
use crate::domain::auth::Attempts;
use crate::domain::user::User;
use crate::domain::zone::Zone;

/// A stored user record with its zone (kept beside it) filled in. A name the zone
/// database no longer knows reads as no choice (the appliance's zone); `guichet
/// check` reports it.
fn decode(bytes: &[u8], zones: &impl ReadableTable<u64, &'static str>) -> Result<User> {
    let mut u: User = codec::decode("users", bytes)?;
    u.time_zone = zones
        .get(u.id)?
        .and_then(|name| Zone::parse(name.value()).ok());
    Ok(u)
}

/// Writes (or clears) the zone of `user` beside its record.
fn put_zone(wtx: &Tx, user: &User) -> Result<()> {
    let mut t = wtx.open_table(USER_ID_TO_TIME_ZONE)?;
    match &user.time_zone {
        Some(z) => {
            t.insert(user.id, z.name())?;
        }
        None => {
            t.remove(user.id)?;
        }
    }
    Ok(())
}

impl Db {
    pub fn user(&self, id: u64) -> Result<Option<User>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(USER_ID_TO_USER)?;
        let zones = rtx.open_table(USER_ID_TO_TIME_ZONE)?;
        t.get(id)?.map(|v| decode(v.value(), &zones)).transpose()
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let rtx = self.begin_read()?;
        let names = rtx.open_table(USERNAME_TO_USER_ID)?;
        let Some(id) = names
            .get(username.trim().to_lowercase().as_str())?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        let t = rtx.open_table(USER_ID_TO_USER)?;
        let zones = rtx.open_table(USER_ID_TO_TIME_ZONE)?;
        t.get(id)?.map(|v| decode(v.value(), &zones)).transpose()
    }

    /// Users visible in `scope`, by username.
    pub fn users(&self, scope: Scope) -> Result<Vec<User>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(USER_ID_TO_USER)?;
        let zones = rtx.open_table(USER_ID_TO_TIME_ZONE)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (_, v) = row?;
            let u = decode(v.value(), &zones)?;
            let visible = match scope {
                Scope::Admin => true,
                Scope::Merchant(m) => u.merchant_id() == Some(m),
            };
            if visible {
                out.push(u);
            }
        }
        out.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(out)
    }

    pub fn user_count(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(USER_ID_TO_USER)?.len()?)
    }

    pub fn attempts(&self, username: &str) -> Result<Attempts> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(USERNAME_TO_ATTEMPTS)?;
        Ok(t.get(username)?
            .map(|v| from_row(v.value()))
            .unwrap_or_default())
    }

    /// Stores the counters for a username (durably: a lock must survive a restart).
    pub fn set_attempts(&self, username: &str, attempts: Attempts) -> Result<()> {
        let wtx = self.begin_write()?;
        put_attempts(&wtx, username, attempts)?;
        wtx.commit()?;
        Ok(())
    }
}

fn from_row((failures, locked_until): (u32, i64)) -> Attempts {
    Attempts {
        failures,
        locked_until: (locked_until != 0).then_some(locked_until),
    }
}

/// Stores a counter that just took a failure at `at` (unix seconds).
pub fn put_failure(wtx: &Tx, username: &str, attempts: Attempts, at: i64) -> Result<()> {
    put_attempts(wtx, username, attempts)?;
    if attempts != Attempts::default() {
        wtx.open_table(USERNAME_TO_LAST_FAILURE)?
            .insert(username, at)?;
    }
    Ok(())
}

pub fn put_attempts(wtx: &Tx, username: &str, attempts: Attempts) -> Result<()> {
    let mut t = wtx.open_table(USERNAME_TO_ATTEMPTS)?;
    if attempts == Attempts::default() {
        t.remove(username)?;
        wtx.open_table(USERNAME_TO_LAST_FAILURE)?.remove(username)?;
    } else {
        t.insert(
            username,
            (attempts.failures, attempts.locked_until.unwrap_or(0)),
        )?;
    }
    Ok(())
}

/// Inserts a new user, giving it an id. `UsernameTaken` when the username is taken.
pub fn insert(wtx: &Tx, mut user: User) -> Result<User> {
    let mut names = wtx.open_table(USERNAME_TO_USER_ID)?;
    if names.get(user.username.as_str())?.is_some() {
        return Err(Error::UsernameTaken(user.username));
    }
    user.id = next_id(wtx, "next_user_id", 1)?;
    names.insert(user.username.as_str(), user.id)?;
    wtx.open_table(USER_ID_TO_USER)?
        .insert(user.id, codec::encode(&user)?.as_slice())?;
    put_zone(wtx, &user)?;
    Ok(user)
}

/// Replaces a stored user (the username never changes).
pub fn update(wtx: &Tx, user: &User) -> Result<()> {
    let mut t = wtx.open_table(USER_ID_TO_USER)?;
    if t.get(user.id)?.is_none() {
        return Err(Error::NotFound);
    }
    t.insert(user.id, codec::encode(user)?.as_slice())?;
    put_zone(wtx, user)?;
    Ok(())
}

/// Reads a user inside a write transaction (for read-modify-write).
pub fn get(wtx: &Tx, id: u64) -> Result<Option<User>> {
    let t = wtx.open_table(USER_ID_TO_USER)?;
    let zones = wtx.open_table(USER_ID_TO_TIME_ZONE)?;
    let v = t.get(id)?;
    v.map(|v| decode(v.value(), &zones)).transpose()
}

/// Reads a user by (normalised) username inside a write transaction.
pub fn get_by_username(wtx: &Tx, username: &str) -> Result<Option<User>> {
    let id = wtx
        .open_table(USERNAME_TO_USER_ID)?
        .get(username)?
        .map(|v| v.value());
    match id {
        Some(id) => get(wtx, id),
        None => Ok(None),
    }
}
