//! Housekeeping (issue 15, point 4): what nothing needs any more leaves the data
//! file, a small batch at a time. Each batch is found in a read transaction (which
//! never blocks a writer) and removed, with its index entries, in one short write
//! transaction of at most `batch` rows, so a payment never waits long behind it.
//!
//! Removed: expired idempotency keys (24 h), one-time operation keys older than their
//! retention, welcome links used or expired more than a day ago, emails sent or
//! given up and callbacks delivered or given up older than their retention, and what
//! the sweeper purged before (dead sessions, idle sign-in counters). Pending emails
//! and callbacks are never removed.

use redb::ReadableTable;
use time::OffsetDateTime;

use super::tables::{
    CALLBACK_DUE_AT_ID, CALLBACK_ID_TO_CALLBACK, IDEMPOTENCY, IDEMPOTENCY_BY_TIME, MAIL_DUE_AT_ID,
    MAIL_ID_TO_MAIL, MERCHANT_ID_CALLBACK_ID, OP_KEY_TO_TX_ID, REQUEST_ID_CALLBACK_ID, TX_ID_TO_TX,
    WELCOME_HASH_TO_LINK,
};
use super::{Db, Result, codec};
use crate::domain::callback::{Callback, CallbackState};
use crate::domain::outbox::{Mail, MailState};
use crate::domain::transaction::Transaction;
use crate::domain::welcome::WelcomeLink;

/// Rows removed per write transaction by the sweeper.
pub const DEFAULT_BATCH: usize = 500;
/// Rows looked at per batch, at most, for each row removed at most (old rows that
/// must stay, such as a pending email, are stepped over).
const SCAN_FACTOR: usize = 8;
/// A used or expired welcome link is kept this long after (seconds).
pub const WELCOME_GRACE: i64 = 86_400;
const DAY: i64 = 86_400;

/// How long finished records are kept, in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Emails sent or given up (`--retain-emails-days`).
    pub emails_days: u32,
    /// Callbacks delivered or given up (`--retain-callbacks-days`).
    pub callbacks_days: u32,
    /// One-time keys of confirmed operation forms, by the age of the transaction they
    /// wrote: a confirmation page is not resubmitted after this.
    pub operation_keys_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            emails_days: 180,
            callbacks_days: 180,
            operation_keys_days: 30,
        }
    }
}

/// What housekeeping removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub sign_in_counters: u64,
    pub idempotency_keys: u64,
    pub operation_keys: u64,
    pub welcome_links: u64,
    pub emails: u64,
    pub callbacks: u64,
    /// Write transactions used.
    pub batches: u64,
}

impl Purged {
    /// Rows removed, all kinds together.
    pub fn total(&self) -> u64 {
        self.sessions
            + self.sign_in_counters
            + self.idempotency_keys
            + self.operation_keys
            + self.welcome_links
            + self.emails
            + self.callbacks
    }

    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &Purged) {
        self.sessions += o.sessions;
        self.sign_in_counters += o.sign_in_counters;
        self.idempotency_keys += o.idempotency_keys;
        self.operation_keys += o.operation_keys;
        self.welcome_links += o.welcome_links;
        self.emails += o.emails;
        self.callbacks += o.callbacks;
        self.batches += o.batches;
    }
}

/// Where a housekeeping pass is: the kind of row it purges and how far it has read.
/// A pass is a sequence of [`Db::housekeep_step`] calls on one cursor.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    phase: u8,
    /// The last key read in the current phase (exclusive start of the next batch).
    after_id: u64,
    after_key: Option<String>,
    /// Operation keys of transactions below this id are old (found once per pass).
    op_cutoff_id: Option<u64>,
}

impl Cursor {
    fn next_phase(&mut self) {
        *self = Cursor {
            phase: self.phase + 1,
            ..Cursor::default()
        };
    }
}

const PHASES: u8 = 6;

impl Db {
    /// A whole housekeeping pass at `now`: batches of at most `batch` rows, one write
    /// transaction each, until nothing is left to remove. Blocking; the thread yields
    /// between batches so other writers get the lock.
    pub fn housekeep(
        &self,
        now: OffsetDateTime,
        retention: &Retention,
        batch: usize,
    ) -> Result<Purged> {
        let mut cursor = Cursor::default();
        let mut total = Purged::default();
        while let Some(p) = self.housekeep_step(now, retention, batch, &mut cursor)? {
            total.add(&p);
            std::thread::yield_now();
        }
        Ok(total)
    }

    /// One batch of a housekeeping pass (at most one write transaction of at most
    /// `batch` rows), moving `cursor` on. `None` once the pass is over.
    pub fn housekeep_step(
        &self,
        now: OffsetDateTime,
        retention: &Retention,
        batch: usize,
        cursor: &mut Cursor,
    ) -> Result<Option<Purged>> {
        let batch = batch.max(1);
        let t = now.unix_timestamp();
        let mut p = Purged::default();
        match cursor.phase {
            0 => {
                // Sessions and sign-in counters: small tables, one write each.
                p.sessions = self.purge_sessions(now)?;
                p.sign_in_counters = self.purge_attempts(now)?;
                p.batches = 2;
                cursor.next_phase();
            }
            1 => {
                p.idempotency_keys = self.purge_idempotency(t, batch)?;
                p.batches = 1;
                if p.idempotency_keys < batch as u64 {
                    cursor.next_phase();
                }
            }
            2 => {
                let cutoff_at = t.saturating_sub(i64::from(retention.operation_keys_days) * DAY);
                let cutoff_id = match cursor.op_cutoff_id {
                    Some(id) => id,
                    None => {
                        let id = self.first_tx_at_or_after(cutoff_at)?;
                        cursor.op_cutoff_id = Some(id);
                        id
                    }
                };
                let (n, more) = self.purge_operation_keys(cutoff_id, batch, cursor)?;
                p.operation_keys = n;
                p.batches = 1;
                if !more {
                    cursor.next_phase();
                }
            }
            3 => {
                let (n, more) = self.purge_welcome_links(t - WELCOME_GRACE, batch, cursor)?;
                p.welcome_links = n;
                p.batches = 1;
                if !more {
                    cursor.next_phase();
                }
            }
            4 => {
                let before = t.saturating_sub(i64::from(retention.emails_days) * DAY);
                let (n, more) = self.purge_emails(before, batch, cursor)?;
                p.emails = n;
                p.batches = 1;
                if !more {
                    cursor.next_phase();
                }
            }
            5 => {
                let before = t.saturating_sub(i64::from(retention.callbacks_days) * DAY);
                let (n, more) = self.purge_callbacks(before, batch, cursor)?;
                p.callbacks = n;
                p.batches = 1;
                if !more {
                    cursor.next_phase();
                }
            }
            _ => return Ok(None),
        }
        debug_assert!(cursor.phase <= PHASES);
        Ok(Some(p))
    }

    /// Removes up to `batch` idempotency entries expired at `now` (unix seconds).
    fn purge_idempotency(&self, now: i64, batch: usize) -> Result<u64> {
        let cutoff = now.saturating_sub(super::idempotency::TTL_SECONDS);
        let old: Vec<(i64, String, String)> = {
            let rtx = self.begin_read()?;
            let by_time = rtx.open_table(IDEMPOTENCY_BY_TIME)?;
            let mut out = Vec::new();
            for row in by_time
                .range(..(cutoff.saturating_add(1), "", ""))?
                .take(batch)
            {
                let (k, _) = row?;
                let (at, o, k) = k.value();
                out.push((at, o.to_string(), k.to_string()));
            }
            out
        };
        if old.is_empty() {
            return Ok(0);
        }
        let wtx = self.begin_write()?;
        let mut n = 0;
        {
            let mut t = wtx.open_table(IDEMPOTENCY)?;
            let mut by_time = wtx.open_table(IDEMPOTENCY_BY_TIME)?;
            for (at, o, k) in &old {
                if by_time.remove((*at, o.as_str(), k.as_str()))?.is_none() {
                    continue;
                }
                n += 1;
                let same = t
                    .get((o.as_str(), k.as_str()))?
                    .is_some_and(|v| v.value().0 == *at);
                if same {
                    t.remove((o.as_str(), k.as_str()))?;
                }
            }
        }
        wtx.commit()?;
        Ok(n)
    }

    /// The id of the first transaction dated at or after `at` (one past the last id
    /// when none is): ids grow with time, so a binary search over ids finds it.
    pub(crate) fn first_tx_at_or_after(&self, at: i64) -> Result<u64> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let at_of = |id: u64| -> Result<Option<(u64, i64)>> {
            match t.range(id..)?.next() {
                Some(row) => {
                    let (k, v) = row?;
                    let tx: Transaction = codec::decode("transactions", v.value())?;
                    Ok(Some((k.value(), tx.at)))
                }
                None => Ok(None),
            }
        };
        let (Some(first), Some(last)) = (
            t.first()?.map(|(k, _)| k.value()),
            t.last()?.map(|(k, _)| k.value()),
        ) else {
            return Ok(0);
        };
        // Invariant: every id below `lo` is older than `at`; the first row at or after
        // `hi` (if any) is not.
        let (mut lo, mut hi) = (first, last.saturating_add(1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match at_of(mid)? {
                Some((id, when)) if when < at => lo = id + 1,
                _ => hi = mid,
            }
        }
        Ok(lo)
    }

    /// Removes up to `batch` operation keys whose transaction id is below `cutoff_id`,
    /// reading on from the cursor. Returns (removed, more to read).
    fn purge_operation_keys(
        &self,
        cutoff_id: u64,
        batch: usize,
        cursor: &mut Cursor,
    ) -> Result<(u64, bool)> {
        let (old, more) = {
            let rtx = self.begin_read()?;
            let t = rtx.open_table(OP_KEY_TO_TX_ID)?;
            let mut rows = match &cursor.after_key {
                Some(k) => t.range::<&str>((
                    std::ops::Bound::Excluded(k.as_str()),
                    std::ops::Bound::Unbounded,
                ))?,
                None => t.range::<&str>(..)?,
            };
            let mut old = Vec::new();
            let mut more = false;
            for _ in 0..batch * SCAN_FACTOR {
                let Some(row) = rows.next() else { break };
                let (k, v) = row?;
                let key = k.value().to_string();
                if v.value() < cutoff_id {
                    old.push(key.clone());
                }
                cursor.after_key = Some(key);
                if old.len() >= batch {
                    break;
                }
            }
            if rows.next().is_some() {
                more = true;
            }
            (old, more)
        };
        if old.is_empty() {
            return Ok((0, more));
        }
        let wtx = self.begin_write()?;
        let mut n = 0;
        {
            let mut t = wtx.open_table(OP_KEY_TO_TX_ID)?;
            for k in &old {
                let stale = t.get(k.as_str())?.is_some_and(|v| v.value() < cutoff_id);
                if stale {
                    t.remove(k.as_str())?;
                    n += 1;
                }
            }
        }
        wtx.commit()?;
        Ok((n, more))
    }

    /// Removes up to `batch` welcome links used or expired before `before`.
    fn purge_welcome_links(
        &self,
        before: i64,
        batch: usize,
        cursor: &mut Cursor,
    ) -> Result<(u64, bool)> {
        let done_before = |l: &WelcomeLink| {
            l.used_at.is_some_and(|u| u < before) || (l.used_at.is_none() && l.expires_at < before)
        };
        let (old, more) = {
            let rtx = self.begin_read()?;
            let t = rtx.open_table(WELCOME_HASH_TO_LINK)?;
            let mut rows = match &cursor.after_key {
                Some(k) => t.range::<&str>((
                    std::ops::Bound::Excluded(k.as_str()),
                    std::ops::Bound::Unbounded,
                ))?,
                None => t.range::<&str>(..)?,
            };
            let mut old = Vec::new();
            for _ in 0..batch * SCAN_FACTOR {
                let Some(row) = rows.next() else { break };
                let (k, v) = row?;
                let link: WelcomeLink = codec::decode("welcome_links", v.value())?;
                let key = k.value().to_string();
                if done_before(&link) {
                    old.push(key.clone());
                }
                cursor.after_key = Some(key);
                if old.len() >= batch {
                    break;
                }
            }
            (old, rows.next().is_some())
        };
        if old.is_empty() {
            return Ok((0, more));
        }
        let wtx = self.begin_write()?;
        let mut n = 0;
        {
            let mut t = wtx.open_table(WELCOME_HASH_TO_LINK)?;
            for k in &old {
                let link: Option<WelcomeLink> = t
                    .get(k.as_str())?
                    .map(|v| codec::decode("welcome_links", v.value()))
                    .transpose()?;
                if link.is_some_and(|l| done_before(&l)) {
                    t.remove(k.as_str())?;
                    n += 1;
                }
            }
        }
        wtx.commit()?;
        Ok((n, more))
    }

    /// The ids of records of `table` (keyed by a growing id, so by creation time)
    /// that `finished` picks, read in one read transaction from `cursor` on: at most
    /// `batch` of them, scanning at most `batch * SCAN_FACTOR` rows and stopping at the
    /// first created at or after `before`. `true` when the scan stopped early (more
    /// may follow); the cursor moves past what was scanned.
    fn finished_before<T: serde::de::DeserializeOwned>(
        &self,
        (table, name): (redb::TableDefinition<u64, &[u8]>, &'static str),
        (before, batch, cursor): (i64, usize, &mut Cursor),
        created_at: impl Fn(&T) -> i64,
        finished: impl Fn(&T) -> bool,
    ) -> Result<(Vec<u64>, bool)> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(table)?;
        let mut old = Vec::new();
        for (scanned, row) in t.range(cursor.after_id..)?.enumerate() {
            let (k, v) = row?;
            let record: T = codec::decode(name, v.value())?;
            if created_at(&record) >= before {
                break;
            }
            if scanned == batch * SCAN_FACTOR || old.len() == batch {
                return Ok((old, true));
            }
            cursor.after_id = k.value() + 1;
            if finished(&record) {
                old.push(k.value());
            }
        }
        Ok((old, false))
    }

    /// Removes up to `batch` emails sent or given up, created before `before`, oldest
    /// first (ids grow with time: the scan stops at the first newer one).
    fn purge_emails(&self, before: i64, batch: usize, cursor: &mut Cursor) -> Result<(u64, bool)> {
        let finished = |m: &Mail| m.state != MailState::Pending && m.created_at < before;
        let (old, more) = self.finished_before(
            (MAIL_ID_TO_MAIL, "outbox"),
            (before, batch, cursor),
            |m: &Mail| m.created_at,
            finished,
        )?;
        if old.is_empty() {
            return Ok((0, more));
        }
        let wtx = self.begin_write()?;
        let mut n = 0;
        {
            let mut t = wtx.open_table(MAIL_ID_TO_MAIL)?;
            let mut due = wtx.open_table(MAIL_DUE_AT_ID)?;
            for id in &old {
                let mail: Option<Mail> = t
                    .get(*id)?
                    .map(|v| codec::decode("outbox", v.value()))
                    .transpose()?;
                let Some(mail) = mail.filter(|m| finished(m)) else {
                    continue;
                };
                t.remove(*id)?;
                due.remove((mail.next_at, mail.id))?;
                n += 1;
            }
        }
        wtx.commit()?;
        Ok((n, more))
    }

    /// Removes up to `batch` callbacks delivered or given up, created before
    /// `before`, with their index entries.
    fn purge_callbacks(
        &self,
        before: i64,
        batch: usize,
        cursor: &mut Cursor,
    ) -> Result<(u64, bool)> {
        let finished = |c: &Callback| c.state != CallbackState::Pending && c.created_at < before;
        let (old, more) = self.finished_before(
            (CALLBACK_ID_TO_CALLBACK, "callbacks"),
            (before, batch, cursor),
            |c: &Callback| c.created_at,
            finished,
        )?;
        if old.is_empty() {
            return Ok((0, more));
        }
        let wtx = self.begin_write()?;
        let mut n = 0;
        {
            let mut t = wtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
            let mut due = wtx.open_table(CALLBACK_DUE_AT_ID)?;
            let mut by_request = wtx.open_table(REQUEST_ID_CALLBACK_ID)?;
            let mut by_merchant = wtx.open_table(MERCHANT_ID_CALLBACK_ID)?;
            for id in &old {
                let cb: Option<Callback> = t
                    .get(*id)?
                    .map(|v| codec::decode("callbacks", v.value()))
                    .transpose()?;
                let Some(cb) = cb.filter(|c| finished(c)) else {
                    continue;
                };
                t.remove(*id)?;
                due.remove((cb.next_at, cb.id))?;
                by_request.remove((cb.request_id, cb.id))?;
                by_merchant.remove((cb.merchant_id, cb.id))?;
                n += 1;
            }
        }
        wtx.commit()?;
        Ok((n, more))
    }
}

#[cfg(test)]
mod tests {
    use redb::ReadableTableMetadata;
    use time::macros::datetime;

    use super::*;
    use crate::db::callbacks::{NewCallback, enqueue_in};
    use crate::db::idempotency::{self, Answer};
    use crate::db::outbox::{MailAttempt, MailKind, enqueue};
    use crate::db::{operation_keys, tables, transactions};
    use crate::domain::callback::CallbackAttempt;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::Operation;
    use crate::domain::transaction::tests::tx;

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("h.redb")).unwrap();
        (dir, db)
    }

    fn days_ago(d: i64) -> i64 {
        NOW.unix_timestamp() - d * DAY
    }

    fn len<K: redb::Key + 'static, V: redb::Value + 'static>(
        db: &Db,
        t: redb::TableDefinition<K, V>,
    ) -> u64 {
        db.begin_read()
            .unwrap()
            .open_table(t)
            .unwrap()
            .len()
            .unwrap()
    }

    fn mail(db: &Db, created_at: i64, sent: bool) -> u64 {
        let wtx = db.begin_write().unwrap();
        let mut m = Mail {
            id: 0,
            created_at,
            kind: MailKind::Receipt,
            merchant_id: 1,
            request_id: 9,
            to: "a@b.ma".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            state: MailState::Pending,
            next_at: created_at,
            attempts: Vec::new(),
        };
        let id = enqueue(&wtx, &mut m).unwrap();
        wtx.commit().unwrap();
        if sent {
            let attempt = MailAttempt {
                at: created_at,
                error: None,
            };
            db.record_mail_attempt(id, attempt, None).unwrap();
        }
        id
    }

    fn callback(db: &Db, created_at: i64, delivered: bool) -> u64 {
        let wtx = db.begin_write().unwrap();
        let id = enqueue_in(
            &wtx,
            NewCallback {
                merchant_id: 1,
                request_id: 9,
                url: "https://shop.ma/cb".into(),
                body: "{}".into(),
                at: created_at,
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        if delivered {
            let attempt = CallbackAttempt {
                at: created_at,
                http_status: Some(200),
                error: None,
                millis: 3,
            };
            db.record_callback_attempts(vec![(id, attempt)]).unwrap();
        }
        id
    }

    fn answer(at: i64) -> Answer {
        Answer {
            at,
            fingerprint: [1; 32],
            status: 200,
            content_type: String::new(),
            body: b"{}".to_vec(),
        }
    }

    #[test]
    fn old_finished_records_are_purged_and_recent_or_pending_ones_kept() {
        let (_dir, db) = db();
        let r = Retention::default();
        // Emails: old sent, old pending, recent sent.
        let old_sent = mail(&db, days_ago(200), true);
        let old_pending = mail(&db, days_ago(200), false);
        let recent_sent = mail(&db, days_ago(10), true);
        // Callbacks: old delivered, old pending, recent delivered.
        let old_cb = callback(&db, days_ago(200), true);
        let pending_cb = callback(&db, days_ago(200), false);
        let recent_cb = callback(&db, days_ago(10), true);
        // Idempotency keys: expired and fresh.
        // (the fresh one first: a write prunes the keys expired at its time).
        idempotency::store(&db, "shop", "new", &answer(days_ago(0) - 60)).unwrap();
        idempotency::store(&db, "shop", "old", &answer(days_ago(2))).unwrap();
        // Operation keys: of a 40-day-old and of a 1-day-old transaction.
        let wtx = db.begin_write().unwrap();
        let mut txs = vec![
            tx(
                0,
                Operation::Sale,
                100,
                ResultCode::ACCEPTED,
                NOW - time::Duration::days(40),
            ),
            tx(
                0,
                Operation::Sale,
                100,
                ResultCode::ACCEPTED,
                NOW - time::Duration::days(1),
            ),
        ];
        transactions::insert_many(&wtx, &mut txs).unwrap();
        operation_keys::remember(&wtx, "old-key", txs[0].id).unwrap();
        operation_keys::remember(&wtx, "new-key", txs[1].id).unwrap();
        // Welcome links: used 3 days ago, expired 2 days ago, still valid.
        let mut links = wtx.open_table(tables::WELCOME_HASH_TO_LINK).unwrap();
        let used = WelcomeLink {
            used_at: Some(days_ago(3)),
            ..WelcomeLink::new(1, days_ago(4))
        };
        for (k, l) in [
            ("used", used),
            ("expired", WelcomeLink::new(2, days_ago(3))),
            ("valid", WelcomeLink::new(3, days_ago(0) - 60)),
        ] {
            links
                .insert(k, codec::encode(&l).unwrap().as_slice())
                .unwrap();
        }
        drop(links);
        wtx.commit().unwrap();

        let p = db.housekeep(NOW, &r, DEFAULT_BATCH).unwrap();
        assert_eq!(
            (
                p.emails,
                p.callbacks,
                p.idempotency_keys,
                p.operation_keys,
                p.welcome_links
            ),
            (1, 1, 1, 1, 2)
        );
        assert!(db.mail(old_sent).unwrap().is_none());
        assert!(db.mail(old_pending).unwrap().is_some(), "pending mail kept");
        assert!(db.mail(recent_sent).unwrap().is_some());
        assert!(db.callback(old_cb).unwrap().is_none());
        assert!(
            db.callback(pending_cb).unwrap().is_some(),
            "pending callback kept"
        );
        assert!(db.callback(recent_cb).unwrap().is_some());
        // The callback indexes follow their rows: the check finds nothing wrong.
        assert_eq!(db.callbacks_of_request(9).unwrap().len(), 2);
        assert_eq!(db.callbacks_of_merchant(1, 10).unwrap().len(), 2);
        assert_eq!(len(&db, tables::REQUEST_ID_CALLBACK_ID), 2);
        assert_eq!(len(&db, tables::MERCHANT_ID_CALLBACK_ID), 2);
        assert_eq!(len(&db, tables::IDEMPOTENCY), 1);
        assert_eq!(len(&db, tables::IDEMPOTENCY_BY_TIME), 1);
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        let wtx = db.begin_write().unwrap();
        assert_eq!(operation_keys::find(&wtx, "old-key").unwrap(), None);
        assert_eq!(
            operation_keys::find(&wtx, "new-key").unwrap(),
            Some(txs[1].id)
        );
        drop(wtx);
        assert!(
            db.welcome_link("valid").unwrap().is_none(),
            "user 3 does not exist"
        );
        assert_eq!(len(&db, tables::WELCOME_HASH_TO_LINK), 1);

        // A second pass finds nothing more.
        assert_eq!(db.housekeep(NOW, &r, DEFAULT_BATCH).unwrap().total(), 0);
    }

    #[test]
    fn a_pass_removes_at_most_one_batch_per_write_transaction() {
        let (_dir, db) = db();
        for _ in 0..25 {
            mail(&db, days_ago(200), true);
            callback(&db, days_ago(200), true);
        }
        let keep = mail(&db, days_ago(1), true);
        let r = Retention::default();
        let mut cursor = Cursor::default();
        let mut steps = Vec::new();
        while let Some(p) = db.housekeep_step(NOW, &r, 10, &mut cursor).unwrap() {
            assert!(p.total() <= 10 || p.batches > 1, "{p:?}");
            assert!(p.emails <= 10 && p.callbacks <= 10);
            steps.push(p);
        }
        let emails: Vec<u64> = steps.iter().map(|p| p.emails).filter(|n| *n > 0).collect();
        let callbacks: Vec<u64> = steps
            .iter()
            .map(|p| p.callbacks)
            .filter(|n| *n > 0)
            .collect();
        assert_eq!(emails, [10, 10, 5]);
        assert_eq!(callbacks, [10, 10, 5]);
        assert_eq!(len(&db, tables::MAIL_ID_TO_MAIL), 1);
        assert!(db.mail(keep).unwrap().is_some());
        assert_eq!(len(&db, tables::CALLBACK_ID_TO_CALLBACK), 0);
        assert_eq!(len(&db, tables::REQUEST_ID_CALLBACK_ID), 0);
        assert_eq!(len(&db, tables::MERCHANT_ID_CALLBACK_ID), 0);
    }

    #[test]
    fn the_email_retention_is_a_setting() {
        let (_dir, db) = db();
        let id = mail(&db, days_ago(40), true);
        let keep_long = Retention::default();
        assert_eq!(db.housekeep(NOW, &keep_long, 100).unwrap().emails, 0);
        let short = Retention {
            emails_days: 30,
            ..Retention::default()
        };
        assert_eq!(db.housekeep(NOW, &short, 100).unwrap().emails, 1);
        assert!(db.mail(id).unwrap().is_none());
    }

    #[test]
    fn the_first_transaction_at_a_time_is_found_by_its_id() {
        let (_dir, db) = db();
        assert_eq!(db.first_tx_at_or_after(0).unwrap(), 0);
        let wtx = db.begin_write().unwrap();
        let mut txs: Vec<_> = (0..7)
            .map(|d| {
                tx(
                    0,
                    Operation::Sale,
                    100,
                    ResultCode::ACCEPTED,
                    NOW - time::Duration::days(10 - d),
                )
            })
            .collect();
        transactions::insert_many(&wtx, &mut txs).unwrap();
        wtx.commit().unwrap();
        assert_eq!(db.first_tx_at_or_after(0).unwrap(), 1);
        assert_eq!(db.first_tx_at_or_after(days_ago(8)).unwrap(), 3);
        assert_eq!(db.first_tx_at_or_after(days_ago(8) + 1).unwrap(), 4);
        assert_eq!(db.first_tx_at_or_after(NOW.unix_timestamp()).unwrap(), 8);
    }
}
