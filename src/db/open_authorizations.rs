//! Authorizations to capture: the accepted authorizations of the last 7 days, found
//! in the column store, less those with an accepted capture or cancellation among
//! their follow-ups (one walk of `PARENT_ID_CHILD_ID` from the first candidate on).
//! Only the week's rows are walked, so the cost follows a week of traffic, not the
//! whole file.

use redb::ReadableDatabase;

use super::columns::Columns;
use super::tables::{PARENT_ID_CHILD_ID, TX_ID_TO_TX};
use super::{Db, Result, Scope, codec};
use crate::domain::open_authorization::{OpenAuthorization, hold_window};
use crate::domain::transaction::{Operation, Transaction};

/// Whether column row `i` is an accepted capture or cancellation (which closes its
/// authorization).
fn closes(c: &Columns, i: usize) -> bool {
    c.code[i] == 0
        && (c.op[i] == Operation::Capture.index() || c.op[i] == Operation::Cancel.index())
}

impl Db {
    /// Every authorization still holding at `now` in `scope` (and of `merchant`, when
    /// given), soonest expiry first. See [`Db::open_authorizations_first`].
    pub fn open_authorizations(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        now: i64,
    ) -> Result<Vec<OpenAuthorization>> {
        Ok(self
            .open_authorizations_first(scope, merchant, now, usize::MAX)?
            .1)
    }

    /// How many authorizations still hold at `now` and the first `limit` of them,
    /// soonest expiry first (oldest first; ties by id). Holding: accepted, created in
    /// the 7 days up to `now` (inclusive at both ends, as
    /// [`crate::domain::transaction::authorization_state`] says), with no accepted
    /// capture or cancellation. A merchant scope sees only its own (another
    /// `merchant` asked: none); the admin scope all, or `merchant`'s.
    /// `limit` 0 counts without reading a transaction.
    pub fn open_authorizations_first(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        now: i64,
        limit: usize,
    ) -> Result<(u64, Vec<OpenAuthorization>)> {
        let merchant = match (scope, merchant) {
            (Scope::Merchant(m), Some(asked)) if asked != m => return Ok((0, Vec::new())),
            (Scope::Merchant(m), _) => Some(m),
            (Scope::Admin, asked) => asked,
        };
        let merchant = merchant.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
        // Begun before the sync: every follow-up this read sees is in the columns.
        let rtx = self.inner.begin_read()?;
        self.store.sync(&self.inner)?;
        let (from, to) = hold_window(now);
        let auth = Operation::Authorization.index();
        let candidates: Vec<u64> = self.store.with(|c| {
            c.time_range(from, to)
                .filter(|&i| {
                    c.op[i] == auth && c.code[i] == 0 && merchant.is_none_or(|m| c.merchant[i] == m)
                })
                .map(|i| i as u64 + 1)
                .collect()
        })?;
        let mut candidates = candidates;
        candidates.sort_unstable();
        // One walk of the follow-ups of every row from the first candidate on,
        // merged with the candidates (a seek per candidate costs more at 10M rows:
        // the week's follow-ups lie together at the end of the table).
        let parents = rtx.open_table(PARENT_ID_CHILD_ID)?;
        let mut follow_ups: Vec<(usize, u64)> = Vec::new();
        if let Some(&lo) = candidates.first() {
            let mut n = 0;
            for row in parents.range((lo, 0)..)? {
                let (parent, child) = row?.0.value();
                while n < candidates.len() && candidates[n] < parent {
                    n += 1;
                }
                if n == candidates.len() {
                    break;
                }
                if candidates[n] == parent {
                    follow_ups.push((n, child));
                }
            }
        }
        let mut closed = vec![false; candidates.len()];
        let mut unsynced = Vec::new();
        self.store.with(|c| {
            for &(n, child) in &follow_ups {
                let i = (child - 1) as usize;
                if i < c.len() {
                    closed[n] |= closes(c, i);
                } else {
                    unsynced.push((n, child));
                }
            }
        })?;
        // Not expected (the read began before the sync), but never wrong.
        let txs = rtx.open_table(TX_ID_TO_TX)?;
        for (n, child) in unsynced {
            if let Some(v) = txs.get(child)? {
                let t: Transaction = codec::decode("transactions", v.value())?;
                closed[n] |= t.code.is_accepted()
                    && matches!(t.operation, Operation::Capture | Operation::Cancel);
            }
        }
        let open: Vec<u64> = candidates
            .iter()
            .zip(&closed)
            .filter(|(_, closed)| !**closed)
            .map(|(id, _)| *id)
            .collect();
        let mut first = Vec::with_capacity(open.len().min(limit));
        for &id in open.iter().take(limit) {
            if let Some(v) = txs.get(id)? {
                let t: Transaction = codec::decode("transactions", v.value())?;
                if scope.allows(t.merchant_id) {
                    first.push(OpenAuthorization::new(t));
                }
            }
        }
        Ok((open.len() as u64, first))
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, OffsetDateTime};

    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::tests::{T0, tx};

    fn row(merchant: u64, op: Operation, code: ResultCode, at: OffsetDateTime) -> Transaction {
        let mut t = tx(0, op, 10_000, code, at);
        t.merchant_id = merchant;
        t
    }

    fn follow(parent: &Transaction, op: Operation, code: ResultCode) -> Transaction {
        let mut t = row(parent.merchant_id, op, code, T0 + Duration::days(8));
        t.parent_id = Some(parent.id);
        t
    }

    #[test]
    fn open_authorizations_are_the_accepted_uncaptured_uncancelled_ones_of_the_week() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let ok = ResultCode::ACCEPTED;
        let refused = ResultCode::INSUFFICIENT_FUNDS;
        let auth = Operation::Authorization;
        let day = |d: i64| T0 + Duration::days(d);
        let mut v = vec![
            row(1, auth, ok, day(0)),                      // 1: expired at `now`
            row(1, auth, ok, day(2)),                      // 2: open, 1 day left
            row(1, auth, ok, day(3)),                      // 3: captured
            row(1, auth, ok, day(4)),                      // 4: cancelled
            row(1, auth, ok, day(5)),                      // 5: capture refused: open
            row(2, auth, ok, day(5) + Duration::hours(1)), // 6: another merchant
            row(1, auth, refused, day(6)),                 // 7: refused
            row(1, Operation::Sale, ok, day(6)),           // 8: a sale
            row(1, auth, ok, day(7)),                      // 9: open, the newest
        ];
        db.insert_transactions(&mut v).unwrap();
        let mut kids = vec![
            follow(&v[2], Operation::Capture, ok),
            follow(&v[3], Operation::Cancel, ok),
            follow(&v[4], Operation::Capture, refused),
        ];
        db.insert_transactions(&mut kids).unwrap();
        let now = day(8).unix_timestamp();
        let ids = |scope, merchant| -> Vec<u64> {
            db.open_authorizations(scope, merchant, now)
                .unwrap()
                .iter()
                .map(|o| o.tx.id)
                .collect()
        };
        assert_eq!(
            ids(Scope::Merchant(1), None),
            [2, 5, 9],
            "soonest expiry first"
        );
        assert_eq!(ids(Scope::Merchant(1), Some(1)), [2, 5, 9]);
        assert_eq!(ids(Scope::Merchant(1), Some(2)), [0u64; 0], "not another's");
        assert_eq!(ids(Scope::Merchant(2), None), [6]);
        assert_eq!(ids(Scope::Admin, None), [2, 5, 6, 9]);
        assert_eq!(ids(Scope::Admin, Some(2)), [6]);
        let first = db.open_authorizations(Scope::Admin, None, now).unwrap();
        assert_eq!(first[0].expires_at, day(9).unix_timestamp());
        // Counted without reading a row; the first two only.
        let (n, none) = db
            .open_authorizations_first(Scope::Admin, None, now, 0)
            .unwrap();
        assert_eq!((n, none.len()), (4, 0));
        let (n, two) = db
            .open_authorizations_first(Scope::Admin, None, now, 2)
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(two.iter().map(|o| o.tx.id).collect::<Vec<_>>(), [2, 5]);
        // Exactly seven days old still holds; a second later it has expired.
        let at_1 = v[1].at;
        let held = |now: i64| {
            db.open_authorizations(Scope::Merchant(1), None, now)
                .unwrap()
                .iter()
                .any(|o| o.tx.id == 2)
        };
        assert!(held(at_1 + 7 * 86_400));
        assert!(!held(at_1 + 7 * 86_400 + 1));
        // Before its creation an authorization is not listed either.
        assert!(ids(Scope::Admin, None).contains(&9));
        let before_9 = db
            .open_authorizations(Scope::Admin, None, v[8].at - 1)
            .unwrap();
        assert!(before_9.iter().all(|o| o.tx.id != 9));
    }
}
