//! The durable callback queue (issue 13, Connect2Pay §7): a callback is written in
//! the same write transaction as the payment it reports, then delivered by the
//! callback worker (`crate::callbacks`), retried with back-off until the shop
//! acknowledges it or three days pass, each attempt recorded. Also each merchant's
//! signing secret.

use std::collections::BTreeMap;

use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::{
    CALLBACK_DUE_AT_ID, CALLBACK_ID_TO_CALLBACK, MERCHANT_ID_CALLBACK_ID,
    MERCHANT_ID_TO_CALLBACK_SECRET, REQUEST_ID_CALLBACK_ID,
};
use super::{Db, Result, codec, next_id};
use crate::domain::actor::Actor;
use crate::domain::callback::next_try;

pub use crate::domain::callback::{Callback, CallbackAttempt, CallbackState};

/// A callback to queue: POST `body` (the payment status JSON, §5) to `url` (a
/// `ctrlCallbackURL` already checked with `domain::callback::check_url`), due at
/// once. `at` is the payment's time (unix seconds, the app's clock).
#[derive(Clone, Debug)]
pub struct NewCallback {
    pub merchant_id: u64,
    pub request_id: u64,
    pub url: String,
    pub body: String,
    pub at: i64,
}

/// A merchant's callback signing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningSecret {
    /// 64 hex characters (256 random bits); the HMAC key is these characters.
    pub secret: String,
    /// Unix seconds when it was made.
    pub created_at: i64,
}

/// A callback due, with the secret to sign it.
#[derive(Clone, Debug)]
pub struct Due {
    pub callback: Callback,
    pub secret: String,
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn secret_in(wtx: &Tx, merchant_id: u64) -> Result<Option<SigningSecret>> {
    wtx.open_table(MERCHANT_ID_TO_CALLBACK_SECRET)?
        .get(merchant_id)?
        .map(|v| codec::decode("callback_secrets", v.value()))
        .transpose()
}

fn put_secret(wtx: &Tx, merchant_id: u64, at: i64) -> Result<String> {
    let s = SigningSecret {
        secret: new_secret(),
        created_at: at,
    };
    wtx.open_table(MERCHANT_ID_TO_CALLBACK_SECRET)?
        .insert(merchant_id, codec::encode(&s)?.as_slice())?;
    Ok(s.secret)
}

/// Queues a callback inside the caller's write transaction (the payment's own), so
/// it commits with the payment or not at all; returns its id. A merchant without a
/// signing secret gets one here (callbacks are always signed). Call
/// `crate::callbacks::notify()` after the commit to have it sent at once.
pub fn enqueue_in(wtx: &Tx, c: NewCallback) -> Result<u64> {
    if secret_in(wtx, c.merchant_id)?.is_none() {
        put_secret(wtx, c.merchant_id, c.at)?;
    }
    let id = next_id(wtx, "next_callback_id", 1)?;
    let cb = Callback {
        id,
        merchant_id: c.merchant_id,
        request_id: c.request_id,
        url: c.url,
        body: c.body,
        created_at: c.at,
        state: CallbackState::Pending,
        next_at: c.at,
        attempts: Vec::new(),
    };
    wtx.open_table(CALLBACK_ID_TO_CALLBACK)?
        .insert(id, codec::encode(&cb)?.as_slice())?;
    wtx.open_table(CALLBACK_DUE_AT_ID)?
        .insert((cb.next_at, id), ())?;
    wtx.open_table(REQUEST_ID_CALLBACK_ID)?
        .insert((cb.request_id, id), ())?;
    wtx.open_table(MERCHANT_ID_CALLBACK_ID)?
        .insert((cb.merchant_id, id), ())?;
    Ok(id)
}

/// Records `attempt` on a pending callback: delivered when it has no error, else
/// pending again at the back-off's next time, or given up after three days.
fn record_in(wtx: &Tx, id: u64, attempt: CallbackAttempt) -> Result<Option<Callback>> {
    let mut t = wtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
    let mut due = wtx.open_table(CALLBACK_DUE_AT_ID)?;
    let found: Option<Callback> = t
        .get(id)?
        .map(|v| codec::decode("callbacks", v.value()))
        .transpose()?;
    let Some(mut cb) = found.filter(|c| c.state == CallbackState::Pending) else {
        return Ok(None);
    };
    due.remove((cb.next_at, cb.id))?;
    let at = attempt.at;
    let failed = attempt.error.is_some();
    cb.attempts.push(attempt);
    if failed {
        let failures = cb.attempts.iter().filter(|a| a.error.is_some()).count();
        match next_try(cb.created_at, at, failures) {
            Some(next) => {
                cb.next_at = next;
                due.insert((next, cb.id), ())?;
            }
            None => cb.state = CallbackState::GivenUp,
        }
    } else {
        cb.state = CallbackState::Delivered;
    }
    t.insert(cb.id, codec::encode(&cb)?.as_slice())?;
    Ok(Some(cb))
}

fn decode_all(
    t: &impl ReadableTable<u64, &'static [u8]>,
    ids: impl Iterator<Item = u64>,
) -> Result<Vec<Callback>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = t.get(id)? {
            out.push(codec::decode("callbacks", v.value())?);
        }
    }
    Ok(out)
}

impl Db {
    /// Pending callbacks due at `now`, oldest due first, each with its merchant's
    /// signing secret.
    pub fn due_callbacks(&self, now: i64, limit: usize) -> Result<Vec<Due>> {
        let rtx = self.begin_read()?;
        let due = rtx.open_table(CALLBACK_DUE_AT_ID)?;
        let t = rtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
        let secrets = rtx.open_table(MERCHANT_ID_TO_CALLBACK_SECRET)?;
        let mut known: BTreeMap<u64, String> = BTreeMap::new();
        let mut out = Vec::new();
        for row in due.range(..=(now, u64::MAX))?.take(limit) {
            let id = row?.0.value().1;
            let Some(v) = t.get(id)? else { continue };
            let callback: Callback = codec::decode("callbacks", v.value())?;
            let secret = match known.get(&callback.merchant_id) {
                Some(s) => s.clone(),
                None => {
                    let s = secrets
                        .get(callback.merchant_id)?
                        .map(|v| codec::decode::<SigningSecret>("callback_secrets", v.value()))
                        .transpose()?
                        .map(|s| s.secret)
                        .unwrap_or_default();
                    known.insert(callback.merchant_id, s.clone());
                    s
                }
            };
            out.push(Due { callback, secret });
        }
        Ok(out)
    }

    /// The earliest time a pending callback is due, if any.
    pub fn next_callback_due(&self) -> Result<Option<i64>> {
        let rtx = self.begin_read()?;
        let due = rtx.open_table(CALLBACK_DUE_AT_ID)?;
        Ok(due.first()?.map(|(k, _)| k.value().0))
    }

    /// Records the attempts of a delivery round in one write transaction (see
    /// `record_in`). Returns the callbacks updated (a callback no longer pending is
    /// left as it is).
    pub fn record_callback_attempts(
        &self,
        attempts: Vec<(u64, CallbackAttempt)>,
    ) -> Result<Vec<Callback>> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        // Grouped with the payments being written (see `Db::write`).
        self.write(|wtx| {
            let mut out = Vec::with_capacity(attempts.len());
            for (id, attempt) in &attempts {
                if let Some(cb) = record_in(wtx, *id, attempt.clone())? {
                    out.push(cb);
                }
            }
            Ok(out)
        })
    }

    pub fn callback(&self, id: u64) -> Result<Option<Callback>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
        t.get(id)?
            .map(|v| codec::decode("callbacks", v.value()))
            .transpose()
    }

    /// The callbacks of a payment request, oldest first. The caller has checked
    /// that the reader may see the request (its merchant's scope).
    pub fn callbacks_of_request(&self, request_id: u64) -> Result<Vec<Callback>> {
        let rtx = self.begin_read()?;
        let idx = rtx.open_table(REQUEST_ID_CALLBACK_ID)?;
        let t = rtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
        let mut ids = Vec::new();
        for row in idx.range((request_id, 0)..=(request_id, u64::MAX))? {
            ids.push(row?.0.value().1);
        }
        decode_all(&t, ids.into_iter())
    }

    /// A merchant's last `limit` callbacks, newest first. The caller has checked
    /// that the reader may see the merchant.
    pub fn callbacks_of_merchant(&self, merchant_id: u64, limit: usize) -> Result<Vec<Callback>> {
        let rtx = self.begin_read()?;
        let idx = rtx.open_table(MERCHANT_ID_CALLBACK_ID)?;
        let t = rtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
        let mut ids = Vec::new();
        for row in idx
            .range((merchant_id, 0)..=(merchant_id, u64::MAX))?
            .rev()
            .take(limit)
        {
            ids.push(row?.0.value().1);
        }
        decode_all(&t, ids.into_iter())
    }

    /// A merchant's signing secret, if it has one yet.
    pub fn callback_secret(&self, merchant_id: u64) -> Result<Option<SigningSecret>> {
        let rtx = self.begin_read()?;
        rtx.open_table(MERCHANT_ID_TO_CALLBACK_SECRET)?
            .get(merchant_id)?
            .map(|v| codec::decode("callback_secrets", v.value()))
            .transpose()
    }

    /// Gives the merchant a new signing secret (the old one stops signing at once;
    /// callbacks still queued are signed with the new one when sent), audited.
    /// Returns the secret, to show once; `None` for an unknown merchant.
    pub fn rotate_callback_secret(
        &self,
        merchant_id: u64,
        actor: &Actor,
    ) -> Result<Option<String>> {
        let wtx = self.begin_write()?;
        let Some(m) = super::merchants::get_in(&wtx, merchant_id)? else {
            return Ok(None);
        };
        let first = secret_in(&wtx, merchant_id)?.is_none();
        let secret = put_secret(&wtx, merchant_id, actor.at)?;
        let entry = AuditEntry::by(
            actor,
            "merchant.callback_secret",
            format!("merchant {}", m.name),
            Some(merchant_id),
        )
        .with_detail(if first { "first=1" } else { "" });
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(secret))
    }

    /// How many callbacks wait for delivery.
    pub fn pending_callback_count(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(CALLBACK_DUE_AT_ID)?.len()?)
    }
}

/// The queue's consistency (for `guichet check`): every pending callback has exactly
/// its due entry, nothing else is due, and both indexes list every callback.
pub(crate) fn problems(rtx: &redb::ReadTransaction) -> Result<Vec<String>> {
    let t = rtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
    let due = rtx.open_table(CALLBACK_DUE_AT_ID)?;
    let by_request = rtx.open_table(REQUEST_ID_CALLBACK_ID)?;
    let by_merchant = rtx.open_table(MERCHANT_ID_CALLBACK_ID)?;
    let mut out = Vec::new();
    let mut pending = 0u64;
    for row in t.iter()? {
        let (k, v) = row?;
        let cb: Callback = codec::decode("callbacks", v.value())?;
        if cb.id != k.value() {
            out.push(format!(
                "callback row {} holds callback {}",
                k.value(),
                cb.id
            ));
        }
        let is_due = due.get((cb.next_at, cb.id))?.is_some();
        match cb.state {
            CallbackState::Pending => {
                pending += 1;
                if !is_due {
                    out.push(format!(
                        "pending callback {} is not in the due index",
                        cb.id
                    ));
                }
            }
            _ if is_due => out.push(format!(
                "callback {} is {:?} but still in the due index",
                cb.id, cb.state
            )),
            _ => {}
        }
        if cb.state == CallbackState::Delivered
            && cb.attempts.last().is_none_or(|a| a.error.is_some())
        {
            out.push(format!(
                "callback {} is delivered without an acknowledged attempt",
                cb.id
            ));
        }
        if by_request.get((cb.request_id, cb.id))?.is_none() {
            out.push(format!(
                "callback {} is missing from its request's index",
                cb.id
            ));
        }
        if by_merchant.get((cb.merchant_id, cb.id))?.is_none() {
            out.push(format!(
                "callback {} is missing from its merchant's index",
                cb.id
            ));
        }
    }
    let n = t.len()?;
    let due_n = due.len()?;
    if due_n != pending {
        out.push(format!(
            "the callback due index has {due_n} entries for {pending} pending callbacks"
        ));
    }
    for (name, len) in [
        ("request", by_request.len()?),
        ("merchant", by_merchant.len()?),
    ] {
        if len != n {
            out.push(format!(
                "the callbacks' {name} index has {len} entries for {n} callbacks"
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        (dir, db)
    }

    fn queue(db: &Db, merchant_id: u64, request_id: u64, at: i64) -> u64 {
        let wtx = db.begin_write().unwrap();
        let id = enqueue_in(
            &wtx,
            NewCallback {
                merchant_id,
                request_id,
                url: "https://shop.example.com/cb".into(),
                body: r#"{"status":"Authorized"}"#.into(),
                at,
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        id
    }

    fn failed(at: i64) -> CallbackAttempt {
        CallbackAttempt {
            at,
            http_status: Some(500),
            error: Some("HTTP 500".into()),
            millis: 3,
        }
    }

    fn check(db: &Db) -> Vec<String> {
        problems(&db.begin_read().unwrap()).unwrap()
    }

    #[test]
    fn a_queued_callback_is_due_at_once_signed_and_listed_by_request_and_merchant() {
        let (_dir, db) = db();
        let id = queue(&db, 7, 42, 1000);
        assert_eq!(db.pending_callback_count().unwrap(), 1);
        assert!(db.due_callbacks(999, 10).unwrap().is_empty());
        let due = db.due_callbacks(1000, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].callback.id, id);
        assert_eq!(due[0].secret.len(), 64);
        assert_eq!(
            db.callback_secret(7).unwrap().unwrap().secret,
            due[0].secret
        );
        assert_eq!(db.callbacks_of_request(42).unwrap().len(), 1);
        assert!(db.callbacks_of_request(43).unwrap().is_empty());
        assert_eq!(db.callbacks_of_merchant(7, 100).unwrap()[0].id, id);
        assert_eq!(db.next_callback_due().unwrap(), Some(1000));
        assert!(check(&db).is_empty());
    }

    #[test]
    fn an_uncommitted_payment_leaves_no_callback() {
        let (_dir, db) = db();
        let wtx = db.begin_write().unwrap();
        enqueue_in(
            &wtx,
            NewCallback {
                merchant_id: 1,
                request_id: 1,
                url: "https://x.example/".into(),
                body: "{}".into(),
                at: 5,
            },
        )
        .unwrap();
        wtx.abort().unwrap();
        assert_eq!(db.pending_callback_count().unwrap(), 0);
        assert!(db.callback_secret(1).unwrap().is_none());
    }

    #[test]
    fn failures_back_off_an_acknowledgement_ends_and_three_days_give_up() {
        let (_dir, db) = db();
        let id = queue(&db, 1, 1, 0);
        let cb = db.record_callback_attempts(vec![(id, failed(0))]).unwrap();
        assert_eq!(cb[0].state, CallbackState::Pending);
        assert_eq!(cb[0].next_at, 10);
        assert!(db.due_callbacks(9, 10).unwrap().is_empty());
        let cb = db.record_callback_attempts(vec![(id, failed(10))]).unwrap();
        assert_eq!(cb[0].next_at, 40);
        let ok = CallbackAttempt {
            at: 40,
            http_status: Some(200),
            error: None,
            millis: 2,
        };
        let cb = db.record_callback_attempts(vec![(id, ok.clone())]).unwrap();
        assert_eq!(cb[0].state, CallbackState::Delivered);
        assert_eq!(cb[0].attempts.len(), 3);
        assert_eq!(db.pending_callback_count().unwrap(), 0);
        // A late result for a delivered callback changes nothing.
        assert!(
            db.record_callback_attempts(vec![(id, ok)])
                .unwrap()
                .is_empty()
        );
        assert!(check(&db).is_empty());

        let id = queue(&db, 1, 2, 0);
        let mut at = 0;
        loop {
            let cb = db.record_callback_attempts(vec![(id, failed(at))]).unwrap();
            if cb[0].state == CallbackState::GivenUp {
                break;
            }
            at = cb[0].next_at;
        }
        let cb = db.callback(id).unwrap().unwrap();
        assert!(cb.attempts.len() > 70);
        assert!(at <= crate::domain::callback::GIVE_UP_AFTER);
        assert_eq!(db.pending_callback_count().unwrap(), 0);
        assert!(check(&db).is_empty());
    }

    #[test]
    fn rotating_the_secret_replaces_it_audited_and_unknown_merchants_get_none() {
        let (_dir, db) = db();
        let wtx = db.begin_write().unwrap();
        let m = super::super::merchants::insert(
            &wtx,
            crate::domain::user::Merchant {
                name: "Atlas".into(),
                ..Default::default()
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        let actor = Actor::new(0, "admin", "127.0.0.1");
        let first = db.rotate_callback_secret(m.id, &actor).unwrap().unwrap();
        let second = db.rotate_callback_secret(m.id, &actor).unwrap().unwrap();
        assert_ne!(first, second);
        assert_eq!(db.callback_secret(m.id).unwrap().unwrap().secret, second);
        assert!(db.rotate_callback_secret(999, &actor).unwrap().is_none());
        let entries = db.audit(crate::db::Scope::Admin, 10).unwrap();
        assert!(
            entries
                .iter()
                .filter(|e| e.action == "merchant.callback_secret")
                .count()
                == 2
        );
        assert!(entries.iter().all(|e| !e.detail.contains(&second)));
    }

    #[test]
    fn the_stored_callback_keeps_its_bytes() {
        let cb = Callback {
            id: 1,
            merchant_id: 2,
            request_id: 3,
            url: "u".into(),
            body: "b".into(),
            created_at: 4,
            state: CallbackState::GivenUp,
            next_at: 5,
            attempts: vec![CallbackAttempt {
                at: 6,
                http_status: Some(500),
                error: Some("e".into()),
                millis: 7,
            }],
        };
        let hex: String = codec::encode(&cb)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "010102030175016208020a010c01f40301016507");
        let s = SigningSecret {
            secret: "k".into(),
            created_at: 1,
        };
        let hex: String = codec::encode(&s)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "01016b02");
    }
}
