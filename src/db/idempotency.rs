//! The first answer to each `Idempotency-Key` of the merchant API (issue 13, API-3),
//! per originator, kept 24 hours: a retry with the same key and the same request gets
//! it back instead of acting twice (see `api::idempotency`). Entries older than a day
//! are ignored, and pruned a few per write through a by-time index, so the tables stay
//! bounded by one day of API traffic.
//!
//! The record is a redb tuple (see `tables::IDEMPOTENCY`), not a postcard struct: its
//! layout is written in the table's type, which redb checks on open.

use redb::ReadableTable;

use super::tables::{IDEMPOTENCY, IDEMPOTENCY_BY_TIME, IdempotencyRow};
use super::{Db, Result, Tx};

/// How long an answer is replayed: a key reused after a day is a new request.
pub const TTL_SECONDS: i64 = 86_400;

/// Expired entries removed per write at most (each write adds one).
const PRUNE_PER_WRITE: usize = 8;

/// The stored first answer to a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Unix seconds of the first request.
    pub at: i64,
    /// SHA-256 of the first request (method, path, body): see
    /// `api::idempotency::fingerprint`.
    pub fingerprint: [u8; 32],
    /// HTTP status of the answer.
    pub status: u16,
    /// Its `Content-Type` header ("" when it had none).
    pub content_type: String,
    /// Its body.
    pub body: Vec<u8>,
}

/// Whether an answer stored at `at` is still replayed at `now`.
fn fresh(at: i64, now: i64) -> bool {
    now.saturating_sub(at) < TTL_SECONDS
}

/// The answer stored for (`originator`, `key`), unless none or older than 24 h at `now`.
pub fn find(db: &Db, originator: &str, key: &str, now: i64) -> Result<Option<Answer>> {
    let rtx = db.begin_read()?;
    let t = rtx.open_table(IDEMPOTENCY)?;
    find_from(&t, originator, key, now)
}

/// [`find`] inside a write transaction.
pub fn find_in(wtx: &Tx, originator: &str, key: &str, now: i64) -> Result<Option<Answer>> {
    let t = wtx.open_table(IDEMPOTENCY)?;
    find_from(&t, originator, key, now)
}

fn find_from(
    t: &impl ReadableTable<(&'static str, &'static str), IdempotencyRow<'static>>,
    originator: &str,
    key: &str,
    now: i64,
) -> Result<Option<Answer>> {
    let Some(v) = t.get((originator, key))? else {
        return Ok(None);
    };
    let (at, fingerprint, status, content_type, body) = v.value();
    if !fresh(at, now) {
        return Ok(None);
    }
    Ok(Some(Answer {
        at,
        fingerprint,
        status,
        content_type: content_type.to_string(),
        body: body.to_vec(),
    }))
}

/// Stores the first answer to (`originator`, `key`) in its own durable write
/// (grouped with the payments being written, see `Db::write`).
pub fn store(db: &Db, originator: &str, key: &str, answer: &Answer) -> Result<()> {
    db.write(|wtx| store_in(wtx, originator, key, answer))
}

/// Stores the answer to (`originator`, `key`) in `wtx` (replacing an expired one) and
/// prunes a few entries that expired by `answer.at`.
pub fn store_in(wtx: &Tx, originator: &str, key: &str, answer: &Answer) -> Result<()> {
    let mut t = wtx.open_table(IDEMPOTENCY)?;
    let mut by_time = wtx.open_table(IDEMPOTENCY_BY_TIME)?;
    let previous = t.get((originator, key))?.map(|v| v.value().0);
    if let Some(at) = previous {
        by_time.remove((at, originator, key))?;
    }
    t.insert(
        (originator, key),
        (
            answer.at,
            answer.fingerprint,
            answer.status,
            answer.content_type.as_str(),
            answer.body.as_slice(),
        ),
    )?;
    by_time.insert((answer.at, originator, key), ())?;

    // Every entry stored at or before `cutoff` has expired at `answer.at`.
    let cutoff = answer.at.saturating_sub(TTL_SECONDS);
    let mut old = Vec::new();
    for row in by_time
        .range(..(cutoff.saturating_add(1), "", ""))?
        .take(PRUNE_PER_WRITE)
    {
        let (k, _) = row?;
        let (at, o, k) = k.value();
        old.push((at, o.to_string(), k.to_string()));
    }
    for (at, o, k) in old {
        by_time.remove((at, o.as_str(), k.as_str()))?;
        let same = t
            .get((o.as_str(), k.as_str()))?
            .is_some_and(|v| v.value().0 == at);
        if same {
            t.remove((o.as_str(), k.as_str()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use redb::ReadableTableMetadata;

    use super::*;

    fn answer(at: i64, body: &str) -> Answer {
        Answer {
            at,
            fingerprint: [7; 32],
            status: 200,
            content_type: "application/json".into(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn rows(db: &Db) -> (u64, u64) {
        let rtx = db.begin_read().unwrap();
        (
            rtx.open_table(IDEMPOTENCY).unwrap().len().unwrap(),
            rtx.open_table(IDEMPOTENCY_BY_TIME).unwrap().len().unwrap(),
        )
    }

    #[test]
    fn a_stored_answer_is_found_for_24_hours_and_only_by_its_originator() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("i.redb")).unwrap();
        let t0 = 1_780_000_000;
        store(&db, "shop-a", "k1", &answer(t0, "{}")).unwrap();
        assert_eq!(
            find(&db, "shop-a", "k1", t0).unwrap(),
            Some(answer(t0, "{}"))
        );
        assert_eq!(
            find(&db, "shop-a", "k1", t0 + TTL_SECONDS - 1).unwrap(),
            Some(answer(t0, "{}"))
        );
        assert_eq!(find(&db, "shop-a", "k1", t0 + TTL_SECONDS).unwrap(), None);
        assert_eq!(find(&db, "shop-b", "k1", t0).unwrap(), None);
        assert_eq!(find(&db, "shop-a", "k2", t0).unwrap(), None);
    }

    #[test]
    fn an_expired_answer_is_replaced_and_old_entries_are_pruned_a_few_per_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("i.redb")).unwrap();
        let t0 = 1_780_000_000;
        for i in 0..20 {
            store(&db, "shop", &format!("k{i}"), &answer(t0 + i, "old")).unwrap();
        }
        assert_eq!(rows(&db), (20, 20));

        // A day later the same key is a new request: its answer replaces the old one
        // and the write prunes up to PRUNE_PER_WRITE expired entries.
        let t1 = t0 + TTL_SECONDS + 100;
        store(&db, "shop", "k0", &answer(t1, "new")).unwrap();
        assert_eq!(
            find(&db, "shop", "k0", t1).unwrap(),
            Some(answer(t1, "new"))
        );
        assert_eq!(rows(&db), (20 - 8 + 1 - 1, 20 - 8 + 1 - 1));
        // A few more writes prune the rest; the fresh answer stays.
        for i in 0..3 {
            store(&db, "other", &format!("n{i}"), &answer(t1, "x")).unwrap();
        }
        assert_eq!(rows(&db), (4, 4));
        assert_eq!(
            find(&db, "shop", "k0", t1).unwrap(),
            Some(answer(t1, "new"))
        );
    }
}
