//! Security settings: the password maximum age, the merchants whose users need a
//! second factor, and the housekeeping of sign-in attempt counters.

use redb::ReadableTable;
use time::OffsetDateTime;

use super::Tx;
use super::tables::{
    META, SECOND_FACTOR_MERCHANT_IDS, USERNAME_TO_ATTEMPTS, USERNAME_TO_LAST_FAILURE,
};
use super::{Db, Result, codec};
use crate::domain::auth::{Attempts, DEFAULT_PASSWORD_MAX_AGE_DAYS};

const MAX_AGE_KEY: &str = "password_max_age_days";

pub use crate::domain::security::SecuritySettings;

impl Db {
    pub fn security_settings(&self) -> Result<SecuritySettings> {
        let rtx = self.begin_read()?;
        let meta = rtx.open_table(META)?;
        let days = meta
            .get(MAX_AGE_KEY)?
            .and_then(|v| codec::u32_from(v.value()))
            .unwrap_or(DEFAULT_PASSWORD_MAX_AGE_DAYS);
        let t = rtx.open_table(SECOND_FACTOR_MERCHANT_IDS)?;
        let mut merchants = Vec::new();
        for row in t.iter()? {
            merchants.push(row?.0.value());
        }
        Ok(SecuritySettings {
            password_max_age_days: days,
            second_factor_merchants: merchants,
        })
    }

    /// Whether the users of `merchant_id` must sign in with a second factor.
    pub fn second_factor_required_for(&self, merchant_id: u64) -> Result<bool> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(SECOND_FACTOR_MERCHANT_IDS)?;
        Ok(t.get(merchant_id)?.is_some())
    }

    /// Removes the counters whose lock ran out at `now`. Returns how many went.
    pub fn purge_attempts(&self, now: OffsetDateTime) -> Result<u64> {
        let wtx = self.begin_write()?;
        let n = purge_attempts_in(&wtx, now)?;
        wtx.commit()?;
        Ok(n)
    }

    /// How many usernames have a counter (for tests and `check`).
    pub fn attempts_rows(&self) -> Result<u64> {
        use redb::ReadableTableMetadata;
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(USERNAME_TO_ATTEMPTS)?.len()?)
    }
}

/// The password maximum age, read inside a write transaction.
pub fn password_max_age_days(wtx: &Tx) -> Result<u32> {
    let meta = wtx.open_table(META)?;
    let v = meta.get(MAX_AGE_KEY)?;
    Ok(v.and_then(|v| codec::u32_from(v.value()))
        .unwrap_or(DEFAULT_PASSWORD_MAX_AGE_DAYS))
}

/// Whether the users of `merchant_id` need a second factor, inside a write transaction.
pub fn second_factor_required_in(wtx: &Tx, merchant_id: u64) -> Result<bool> {
    Ok(wtx
        .open_table(SECOND_FACTOR_MERCHANT_IDS)?
        .get(merchant_id)?
        .is_some())
}

/// Stores the settings (the caller audits in the same transaction).
pub fn put_settings(wtx: &Tx, s: &SecuritySettings) -> Result<()> {
    wtx.open_table(META)?.insert(
        MAX_AGE_KEY,
        s.password_max_age_days.to_le_bytes().as_slice(),
    )?;
    let mut t = wtx.open_table(SECOND_FACTOR_MERCHANT_IDS)?;
    t.retain(|_, _| false)?;
    for m in &s.second_factor_merchants {
        t.insert(*m, ())?;
    }
    Ok(())
}

/// The counters of a username, read inside a write transaction.
pub fn attempts_in(wtx: &Tx, username: &str) -> Result<Attempts> {
    let t = wtx.open_table(USERNAME_TO_ATTEMPTS)?;
    let v = t.get(username)?;
    Ok(v.map(|v| {
        let (failures, locked_until) = v.value();
        Attempts {
            failures,
            locked_until: (locked_until != 0).then_some(locked_until),
        }
    })
    .unwrap_or_default())
}

/// A counter with no failure for this long is forgotten (when not locked).
pub const IDLE_COUNTER: time::Duration = time::Duration::days(1);

/// Removes the counters whose lock ran out at `now`, and those without a lock whose
/// last failure is more than [`IDLE_COUNTER`] old: what unknown names sprayed at the
/// sign-in page leave behind does not stay.
pub fn purge_attempts_in(wtx: &Tx, now: OffsetDateTime) -> Result<u64> {
    let idle_before = (now - IDLE_COUNTER).unix_timestamp();
    let recent: std::collections::HashSet<String> = {
        let t = wtx.open_table(USERNAME_TO_LAST_FAILURE)?;
        let mut out = std::collections::HashSet::new();
        for row in t.iter()? {
            let (k, v) = row?;
            if v.value() >= idle_before {
                out.insert(k.value().to_string());
            }
        }
        out
    };
    let mut t = wtx.open_table(USERNAME_TO_ATTEMPTS)?;
    let mut n = 0;
    t.retain(|name, (failures, locked_until)| {
        let a = Attempts {
            failures,
            locked_until: (locked_until != 0).then_some(locked_until),
        };
        let keep = a.is_locked(now) || (!a.lock_ran_out(now) && recent.contains(name));
        if !keep {
            n += 1;
        }
        keep
    })?;
    drop(t);
    wtx.open_table(USERNAME_TO_LAST_FAILURE)?
        .retain(|_, at| at >= idle_before)?;
    Ok(n)
}

/// What `guichet check` finds wrong with accounts: users and their username index,
/// sessions pointing at missing users, second factors out of shape, time zones of
/// missing users or unknown names, and second-factor flags of missing merchants.
pub(crate) fn account_problems(rtx: &redb::ReadTransaction) -> Result<Vec<String>> {
    use super::tables::{
        MERCHANT_ID_TO_MERCHANT, SESSION_HASH_TO_SESSION, USER_ID_TO_USER, USERNAME_TO_USER_ID,
    };
    use crate::domain::totp::{RECOVERY_CODES, SECRET_BYTES};
    use crate::domain::user::User;
    use redb::ReadableTableMetadata;
    let mut problems = Vec::new();
    let users = rtx.open_table(USER_ID_TO_USER)?;
    let names = rtx.open_table(USERNAME_TO_USER_ID)?;
    let mut ids = std::collections::HashSet::new();
    for row in users.iter()? {
        let (k, v) = row?;
        let u: User = codec::decode("users", v.value())?;
        ids.insert(u.id);
        if u.id != k.value() {
            problems.push(format!("row {} holds user {}", k.value(), u.id));
        }
        if names.get(u.username.as_str())?.map(|v| v.value()) != Some(u.id) {
            problems.push(format!("user {} is missing from the username index", u.id));
        }
        if let Some(f) = &u.second_factor
            && (f.secret.len() != SECRET_BYTES || f.recovery.len() > RECOVERY_CODES)
        {
            problems.push(format!("user {} has a malformed second factor", u.id));
        }
    }
    if names.len()? != ids.len() as u64 {
        problems.push(format!(
            "the username index has {} entries for {} users",
            names.len()?,
            ids.len()
        ));
    }
    for row in rtx.open_table(SESSION_HASH_TO_SESSION)?.iter()? {
        let (_, v) = row?;
        let s: super::sessions::Session = codec::decode("sessions", v.value())?;
        if !ids.contains(&s.user_id) {
            problems.push(format!("a session belongs to missing user {}", s.user_id));
        }
    }
    for row in rtx
        .open_table(super::tables::USER_ID_TO_TIME_ZONE)?
        .iter()?
    {
        let (k, v) = row?;
        let (id, name) = (k.value(), v.value());
        if !ids.contains(&id) {
            problems.push(format!("a time zone belongs to missing user {id}"));
        }
        if crate::domain::zone::Zone::parse(name).is_err() {
            problems.push(format!(
                "user {id} has the time zone {name:?}, which this binary does not know (dates show in the appliance's zone)"
            ));
        }
    }
    let merchants = rtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
    for row in rtx.open_table(SECOND_FACTOR_MERCHANT_IDS)?.iter()? {
        let id = row?.0.value();
        if merchants.get(id)?.is_none() {
            problems.push(format!("second factor required for missing merchant {id}"));
        }
    }
    Ok(problems)
}
