//! The transaction search: candidates from an index when a rare filter is given
//! (order id, email, holder, buyer, merchant account, last 4, reference) or from a
//! selection of ids, otherwise the period's range of rows; then the column store
//! checks the other filters (the scope among them), counting every match for an exact
//! total and its totals line (accepted rows, net amount per currency) and keeping only
//! the page asked for.

use redb::ReadableDatabase;

use super::columns::Columns;
use super::tables::{FIELD_VALUE_TX_ID, PARENT_ID_CHILD_ID, TX_ID_TO_TX};
use super::transactions::Field;
use super::{Db, Result, Scope, codec};
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::filter::{ATTEMPT_OPERATIONS, Filter, PageRequest};
use crate::domain::list_row::net_sign;
use crate::domain::money::{Currency, saturating_total};
use crate::domain::search::Totals;
use crate::domain::transaction::Operation;
use crate::domain::transaction::{Status, Transaction};

pub use crate::domain::search::SearchPage;

/// The abandoned code as the column store keeps it.
const ABANDONED: u16 = ResultCode::ABANDONED.value();

/// The column checks of a filter, compiled once.
struct Matcher {
    from: i64,
    to: i64,
    merchant: Option<u32>,
    terminal: Option<u32>,
    op: Option<u8>,
    code: Option<u16>,
    status: Option<Status>,
    /// Per currency (its place in `Currency::ALL`): the bounds in its minor units;
    /// empty without an amount filter.
    amount_bounds: Vec<(i64, i64)>,
    brand: Option<u8>,
    bin: Option<u32>,
    last4: Option<u16>,
    /// An operation left out unless asked for (3-D Secure checks, hidden by default).
    hidden_op: Option<u8>,
    /// Only payment attempts: one bit per operation index that may be one, and the
    /// abandoned code left out (see `Filter::attempts`).
    attempt_ops: Option<u8>,
    /// The ranks the caller keeps (a page), when it does not need every match.
    window: Option<(u64, u64)>,
}

impl Matcher {
    /// `None` when the scope and the filter cannot both hold (nothing matches).
    fn new(scope: Scope, f: &Filter) -> Option<Matcher> {
        let merchant = match (scope, f.merchant) {
            (Scope::Merchant(m), Some(asked)) if asked != m => return None,
            (Scope::Merchant(m), _) => Some(m),
            (Scope::Admin, asked) => asked,
        };
        Some(Matcher {
            from: f.from,
            to: f.to,
            merchant: merchant.map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
            terminal: f.terminal,
            op: f.operation.map(|o| o.index()),
            code: f.code.map(|c| c.value()),
            status: f.status,
            amount_bounds: if f.amount_min.is_none() && f.amount_max.is_none() {
                Vec::new()
            } else {
                Currency::ALL.iter().map(|c| f.minor_bounds(*c)).collect()
            },
            brand: f
                .brand
                .and_then(|b| Brand::ALL.iter().position(|x| *x == b))
                .map(|i| i as u8),
            bin: f.bin.as_ref().and_then(|b| b.parse().ok()),
            last4: f.last4.as_ref().and_then(|l| l.parse().ok()),
            hidden_op: (!f.show_3ds).then_some(Operation::ThreeDSecure.index()),
            attempt_ops: f.attempts.then(|| {
                ATTEMPT_OPERATIONS
                    .iter()
                    .fold(0u8, |bits, op| bits | (1 << op.index()))
            }),
            window: None,
        })
    }

    /// True when only the period constrains the rows (the count is the range's length).
    fn period_only(&self) -> bool {
        self.merchant.is_none()
            && self.terminal.is_none()
            && self.op.is_none()
            && self.code.is_none()
            && self.status.is_none()
            && self.amount_bounds.is_empty()
            && self.brand.is_none()
            && self.bin.is_none()
            && self.last4.is_none()
            && self.hidden_op.is_none()
            && self.attempt_ops.is_none()
    }

    #[inline]
    fn matches(&self, c: &Columns, i: usize) -> bool {
        let at = c.at[i];
        at >= self.from
            && at < self.to
            && self.merchant.is_none_or(|m| c.merchant[i] == m)
            && self.terminal.is_none_or(|t| c.terminal[i] == t)
            && self.op.is_none_or(|o| c.op[i] == o)
            && self.code.is_none_or(|k| c.code[i] == k)
            && self
                .status
                .is_none_or(|s| (c.code[i] == 0) == (s == Status::Accepted))
            && (self.amount_bounds.is_empty() || {
                // A row of a currency this version does not know matches no amount.
                let (lo, hi) = self
                    .amount_bounds
                    .get(usize::from(c.currency[i]))
                    .copied()
                    .unwrap_or((i64::MAX, i64::MIN));
                (lo..=hi).contains(&c.amount[i])
            })
            && self.brand.is_none_or(|b| c.brand[i] == b)
            && self.bin.is_none_or(|b| c.bin[i] == b)
            && self.last4.is_none_or(|l| c.last4[i] == l)
            && self.hidden_op.is_none_or(|o| c.op[i] != o)
            && self.attempt_ops.is_none_or(|bits| {
                c.op[i] < 8 && bits & (1 << c.op[i]) != 0 && c.code[i] != ABANDONED
            })
    }
}

/// The totals of the matching rows, added up as the walk meets them.
struct Tally {
    accepted: u64,
    /// Payment attempts among the rows, and the accepted ones (the acceptance rate).
    attempts: u64,
    attempts_accepted: u64,
    /// Whether each operation index is one of a payment attempt.
    attempt_ops: [bool; Operation::ALL.len()],
    net: [i128; Currency::ALL.len()],
    /// The accepted rows' amounts, unsigned.
    gross: [i128; Currency::ALL.len()],
    seen: [bool; Currency::ALL.len()],
    /// `net_sign` of each operation, by its index.
    signs: [i8; Operation::ALL.len()],
}

impl Tally {
    fn new() -> Tally {
        let mut signs = [0; Operation::ALL.len()];
        let mut attempt_ops = [false; Operation::ALL.len()];
        for op in Operation::ALL {
            signs[usize::from(op.index())] = net_sign(op);
            attempt_ops[usize::from(op.index())] = ATTEMPT_OPERATIONS.contains(&op);
        }
        Tally {
            accepted: 0,
            attempts: 0,
            attempts_accepted: 0,
            attempt_ops,
            net: [0; Currency::ALL.len()],
            gross: [0; Currency::ALL.len()],
            seen: [false; Currency::ALL.len()],
            signs,
        }
    }

    #[inline]
    fn add(&mut self, c: &Columns, i: usize) {
        let cur = usize::from(c.currency[i]);
        if let Some(seen) = self.seen.get_mut(cur) {
            *seen = true;
        }
        let attempt = self.attempt_ops.get(usize::from(c.op[i])).copied() == Some(true)
            && c.code[i] != ResultCode::ABANDONED.value();
        if attempt {
            self.attempts += 1;
        }
        if c.code[i] != 0 {
            return;
        }
        self.accepted += 1;
        if attempt {
            self.attempts_accepted += 1;
        }
        let sign = self.signs.get(usize::from(c.op[i])).copied().unwrap_or(0);
        // Checked: a total past what can be shown turns into an overflow, never wraps.
        if let Some(net) = self.net.get_mut(cur) {
            *net = saturating_total(*net, i128::from(sign) * i128::from(c.amount[i]));
        }
        if let Some(gross) = self.gross.get_mut(cur) {
            *gross = saturating_total(*gross, i128::from(c.amount[i]));
        }
    }

    fn totals(self, count: u64) -> Totals {
        let per_currency = |sums: &[i128; Currency::ALL.len()]| {
            Currency::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| self.seen[*i])
                .map(|(i, cur)| (*cur, sums[i]))
                .collect()
        };
        Totals {
            count,
            accepted: self.accepted,
            attempts: self.attempts,
            attempts_accepted: self.attempts_accepted,
            net: per_currency(&self.net),
            gross: per_currency(&self.gross),
        }
    }
}

/// Walks matches newest first, calling `visit(n, id)` with the match's rank `n`, and
/// adding every match to `tally` when one is given. Returns the number of matches.
fn walk(
    c: &Columns,
    m: &Matcher,
    candidates: Option<&[u64]>,
    mut tally: Option<&mut Tally>,
    mut visit: impl FnMut(u64, u64),
) -> u64 {
    let mut n = 0u64;
    if candidates.is_none() && m.period_only() {
        // Every row of the period matches: rank n is row hi - 1 - n, no match check.
        let range = c.time_range(m.from, m.to);
        let total = range.len() as u64;
        if let Some(t) = tally {
            for i in range.clone() {
                t.add(c, i);
            }
        }
        let mut visit_range = |first: u64, last: u64| {
            for n in first..last.min(total) {
                visit(n, range.end as u64 - n);
            }
        };
        if let Some((first, last)) = m.window {
            visit_range(first, last);
        } else {
            visit_range(0, total);
        }
        return total;
    }
    match candidates {
        Some(ids) => {
            for &id in ids.iter().rev() {
                let Some(i) = id.checked_sub(1).map(|i| i as usize) else {
                    continue;
                };
                if i < c.len() && m.matches(c, i) {
                    if let Some(t) = tally.as_deref_mut() {
                        t.add(c, i);
                    }
                    visit(n, id);
                    n += 1;
                }
            }
        }
        None => {
            for i in c.time_range(m.from, m.to).rev() {
                if m.matches(c, i) {
                    if let Some(t) = tally.as_deref_mut() {
                        t.add(c, i);
                    }
                    visit(n, i as u64 + 1);
                    n += 1;
                }
            }
        }
    }
    n
}

impl Db {
    /// One page of the transactions matching `f` in `scope`, newest first, with the
    /// exact total and the totals line of every match (same walk).
    pub fn search(&self, scope: Scope, f: &Filter, page: PageRequest) -> Result<SearchPage> {
        self.store.sync(&self.inner)?;
        let Some(mut m) = Matcher::new(scope, f) else {
            return Ok(SearchPage {
                total: 0,
                rows: Vec::new(),
                totals: Totals::default(),
                children: Vec::new(),
            });
        };
        let candidates = self.candidates(f)?;
        let (first, last) = (
            page.offset(),
            page.offset().saturating_add(u64::from(page.per_page)),
        );
        m.window = Some((first, last));
        let mut ids = Vec::with_capacity(page.per_page as usize);
        let mut tally = Tally::new();
        let total = self.store.with(|c| {
            walk(c, &m, candidates.as_deref(), Some(&mut tally), |n, id| {
                if n >= first && n < last {
                    ids.push(id);
                }
            })
        })?;
        let rows = self.fetch(&ids)?;
        let children = self.children_of(&rows)?;
        Ok(SearchPage {
            total,
            rows,
            totals: tally.totals(total),
            children,
        })
    }

    /// The follow-up rows (refunds, captures, cancellations) of the accepted sales,
    /// captures, rebills and authorizations among `rows` (a page): one range read of
    /// `PARENT_ID_CHILD_ID` per such row, never a scan.
    pub fn children_of(&self, rows: &[Transaction]) -> Result<Vec<Transaction>> {
        let mut ids = Vec::new();
        {
            let rtx = self.inner.begin_read()?;
            let parents = rtx.open_table(PARENT_ID_CHILD_ID)?;
            let may_have = |t: &&Transaction| {
                t.code.is_accepted()
                    && (t.operation.debits() || t.operation == Operation::Authorization)
            };
            for tx in rows.iter().filter(may_have) {
                for row in parents.range((tx.id, 0)..=(tx.id, u64::MAX))? {
                    ids.push(row?.0.value().1);
                }
            }
        }
        self.fetch(&ids)
    }

    /// Every matching id, newest first (for exports).
    pub fn search_ids(&self, scope: Scope, f: &Filter) -> Result<Vec<u64>> {
        self.store.sync(&self.inner)?;
        let Some(m) = Matcher::new(scope, f) else {
            return Ok(Vec::new());
        };
        let candidates = self.candidates(f)?;
        let mut ids = Vec::new();
        self.store
            .with(|c| walk(c, &m, candidates.as_deref(), None, |_, id| ids.push(id)))?;
        Ok(ids)
    }

    /// Reads transactions by id, in the order given.
    pub fn fetch(&self, ids: &[u64]) -> Result<Vec<Transaction>> {
        let rtx = self.inner.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(v) = t.get(id)? {
                out.push(codec::decode("transactions", v.value())?);
            }
        }
        Ok(out)
    }

    /// Reads transactions whose ids are given newest first. A dense run of ids is read
    /// with one range walk (much cheaper than a lookup per id); sparse ones by lookups.
    pub fn fetch_desc(&self, ids: &[u64]) -> Result<Vec<Transaction>> {
        let (Some(&hi), Some(&lo)) = (ids.first(), ids.last()) else {
            return Ok(Vec::new());
        };
        if hi < lo || (ids.len() as u64).saturating_mul(4) < hi - lo + 1 {
            return self.fetch(ids);
        }
        let rtx = self.inner.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let mut out = Vec::with_capacity(ids.len());
        let mut wanted = ids.iter().peekable();
        for row in t.range(lo..=hi)?.rev() {
            let (k, v) = row?;
            let id = k.value();
            while wanted.peek().is_some_and(|w| **w > id) {
                wanted.next();
            }
            if wanted.peek() == Some(&&id) {
                out.push(codec::decode("transactions", v.value())?);
                wanted.next();
            }
        }
        Ok(out)
    }

    /// Sorted candidate ids from the indexes of the rare filters and the selection of
    /// ids; `None` when no such filter is set (the period's rows are scanned instead).
    fn candidates(&self, f: &Filter) -> Result<Option<Vec<u64>>> {
        let rtx = self.inner.begin_read()?;
        let idx = rtx.open_table(FIELD_VALUE_TX_ID)?;
        let mut sets: Vec<Vec<u64>> = Vec::new();
        let prefix_fields = [
            (Field::OrderId, &f.order, false),
            (Field::Email, &f.email, false),
            (Field::Holder, &f.holder, false),
            (Field::BuyerName, &f.buyer, false),
            (Field::Account, &f.account, true),
            (Field::Last4, &f.last4, true),
        ];
        for (field, value, exact) in prefix_fields {
            let Some(value) = value else { continue };
            let mut ids = Vec::new();
            for row in idx.range((field as u8, value.as_str(), 0u64)..)? {
                let (k, _) = row?;
                let (fk, v, id) = k.value();
                let hit = if exact {
                    v == value.as_str()
                } else {
                    v.starts_with(value.as_str())
                };
                if fk != field as u8 || !hit {
                    break;
                }
                ids.push(id);
            }
            ids.sort_unstable();
            ids.dedup();
            sets.push(ids);
        }
        if let Some(ids) = &f.ids {
            // Transaction ids are the column store's row numbers + 1: the walk checks
            // scope and the other filters on them like any candidate.
            sets.push(ids.clone());
        }
        if let Some(r) = f.reference {
            let parents = rtx.open_table(PARENT_ID_CHILD_ID)?;
            let mut ids = vec![r];
            for row in parents.range((r, 0)..=(r, u64::MAX))? {
                ids.push(row?.0.value().1);
            }
            ids.sort_unstable();
            sets.push(ids);
        }
        Ok(sets.into_iter().reduce(|a, b| intersect(&a, &b)))
    }
}

fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use redb::ReadableTable;

    use super::super::tables::TX_ID_TO_COLS;
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::filter::{RawFilter, parse};
    use crate::domain::transaction::tests::tx;

    /// Every row of May 2026, 3-D Secure checks included.
    fn may() -> (Filter, PageRequest) {
        let raw = RawFilter {
            from: "2026-05-01".into(),
            to: "2026-05-31".into(),
            three_ds: "1".into(),
            ..RawFilter::default()
        };
        parse(
            &raw,
            time::macros::date!(2026 - 05 - 31),
            &crate::domain::zone::Zone::utc(),
        )
        .unwrap()
    }

    fn rows() -> Vec<Transaction> {
        let at = datetime!(2026-05-10 10:00 UTC);
        let ok = ResultCode::ACCEPTED;
        let mut v = vec![
            tx(0, Operation::ThreeDSecure, 1_000, ok, at),
            tx(0, Operation::Sale, 1_000, ok, at),
            tx(0, Operation::Sale, 500, ok, at),
            tx(0, Operation::Refund, 200, ok, at),
            tx(
                0,
                Operation::Sale,
                9_999,
                ResultCode::parse("051").unwrap(),
                at,
            ),
            tx(0, Operation::Authorization, 7_000, ok, at),
        ];
        v[1].currency = Currency::Eur;
        v[2].currency = Currency::Usd;
        v[3].currency = Currency::Eur;
        v
    }

    #[test]
    fn the_totals_count_every_match_and_net_the_accepted_money_per_currency() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        db.insert_transactions(&mut rows()).unwrap();
        let (f, page) = may();
        let found = db.search(Scope::Admin, &f, page).unwrap();
        assert_eq!(found.total, 6);
        assert_eq!(
            found.totals,
            Totals {
                count: 6,
                accepted: 5,
                // Two accepted sales, the refused one and the authorization.
                attempts: 4,
                attempts_accepted: 3,
                net: vec![
                    (Currency::Mad, 0),
                    (Currency::Eur, 800),
                    (Currency::Usd, 500)
                ],
                // The 3-D Secure check and the authorization hold no money, but their
                // amounts are summed; the refused sale is not.
                gross: vec![
                    (Currency::Mad, 8_000),
                    (Currency::Eur, 1_200),
                    (Currency::Usd, 500)
                ],
            }
        );
        // Hidden by default: the 3-D Secure check is neither listed nor counted.
        let hidden = Filter {
            show_3ds: false,
            ..f
        };
        let found = db.search(Scope::Admin, &hidden, page).unwrap();
        assert_eq!(
            (found.total, found.totals.count, found.totals.accepted),
            (5, 5, 4)
        );
    }

    #[test]
    fn the_attempts_filter_keeps_sales_authorizations_and_rebills_not_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let at = datetime!(2026-05-10 10:00 UTC);
        let mut v = rows();
        v.push(tx(0, Operation::Sale, 300, ResultCode::ABANDONED, at));
        v.push(tx(0, Operation::Rebill, 400, ResultCode::ACCEPTED, at));
        v.push(tx(0, Operation::Capture, 700, ResultCode::ACCEPTED, at));
        db.insert_transactions(&mut v).unwrap();
        let (f, page) = may();
        for show_3ds in [true, false] {
            let attempts = Filter {
                attempts: true,
                show_3ds,
                ..f.clone()
            };
            let found = db.search(Scope::Admin, &attempts, page).unwrap();
            // Three sales (one refused), the authorization and the rebill; not the
            // 3-D Secure check, the refund, the abandoned sale nor the capture.
            let mut ops: Vec<_> = found.rows.iter().map(|t| t.operation).collect();
            ops.sort();
            assert_eq!(
                ops,
                [
                    Operation::Sale,
                    Operation::Sale,
                    Operation::Sale,
                    Operation::Authorization,
                    Operation::Rebill
                ]
            );
            assert_eq!((found.totals.count, found.totals.accepted), (5, 4));
            let ids = db.search_ids(Scope::Admin, &attempts).unwrap();
            assert_eq!(ids.len(), 5);
        }
        // With the other filters: AND.
        let refused = Filter {
            attempts: true,
            status: Some(Status::Refused),
            ..f
        };
        assert_eq!(db.search(Scope::Admin, &refused, page).unwrap().total, 1);
    }

    #[test]
    fn old_34_byte_column_rows_get_their_currency_from_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        {
            let db = Db::open(&path).unwrap();
            db.insert_transactions(&mut rows()).unwrap();
            // Rewrite every column row as a file from before the currency byte holds it.
            let wtx = db.inner.begin_write().unwrap();
            {
                let mut cols = wtx.open_table(TX_ID_TO_COLS).unwrap();
                for id in 1..=6u64 {
                    let old = cols.get(id).unwrap().unwrap().value()[..34].to_vec();
                    cols.insert(id, old.as_slice()).unwrap();
                }
            }
            wtx.commit().unwrap();
        }
        let db = Db::open(&path).unwrap();
        let (f, page) = may();
        let found = db.search(Scope::Admin, &f, page).unwrap();
        assert_eq!(
            found.totals.net,
            vec![
                (Currency::Mad, 0),
                (Currency::Eur, 800),
                (Currency::Usd, 500)
            ]
        );
        // New rows are written with 35 bytes and read alongside the old ones.
        let mut more = vec![tx(
            0,
            Operation::Sale,
            50,
            ResultCode::ACCEPTED,
            datetime!(2026-05-11 10:00 UTC),
        )];
        more[0].currency = Currency::Usd;
        db.insert_transactions(&mut more).unwrap();
        let found = db.search(Scope::Admin, &f, page).unwrap();
        assert_eq!(found.totals.net[2], (Currency::Usd, 550));
    }

    #[test]
    fn an_amount_filter_is_in_units_of_each_row_currency() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let at = datetime!(2026-05-10 10:00 UTC);
        let ok = ResultCode::ACCEPTED;
        // 12.345 TND, 12.34 and 12.35 MAD, 12 JPY.
        let mut v = vec![
            tx(0, Operation::Sale, 12_345, ok, at),
            tx(0, Operation::Sale, 1_234, ok, at),
            tx(0, Operation::Sale, 1_235, ok, at),
            tx(0, Operation::Sale, 12, ok, at),
        ];
        v[0].currency = Currency::Tnd;
        v[3].currency = Currency::Jpy;
        db.insert_transactions(&mut v).unwrap();
        let (f, page) = may();
        let ids = |min: &str, max: &str| {
            let raw = RawFilter {
                from: "2026-05-01".into(),
                to: "2026-05-31".into(),
                amount_min: min.into(),
                amount_max: max.into(),
                ..RawFilter::default()
            };
            let (g, _) = parse(
                &raw,
                time::macros::date!(2026 - 05 - 31),
                &crate::domain::zone::Zone::utc(),
            )
            .unwrap();
            let mut ids: Vec<u64> = db
                .search(Scope::Admin, &g, page)
                .unwrap()
                .rows
                .iter()
                .map(|t| t.id)
                .collect();
            ids.sort_unstable();
            ids
        };
        // Exactly 12.345: the TND row only (no MAD amount has three decimals).
        assert_eq!(ids("12,3450", "12.3450"), [1]);
        assert_eq!(ids("12.34", "12.35"), [1, 2, 3]);
        assert_eq!(ids("12", "12"), [4]);
        assert_eq!(ids("12.3410", ""), [1, 3]);
        // A lone separator before three digits stays ambiguous in the filter.
        assert!(
            parse(
                &RawFilter {
                    amount: "12,345".into(),
                    ..RawFilter::default()
                },
                time::macros::date!(2026 - 05 - 31),
                &crate::domain::zone::Zone::utc()
            )
            .is_err()
        );
        assert_eq!(ids("", "12.3450"), [1, 2, 4]);
        assert_eq!(db.search(Scope::Admin, &f, page).unwrap().total, 4);
    }

    #[test]
    fn the_ids_filter_keeps_only_the_listed_transactions_in_scope() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let mut v = rows();
        v[4].merchant_id = 2;
        db.insert_transactions(&mut v).unwrap();
        let (f, page) = may();
        // 0 and ids past the last row are simply not found.
        let listed = Filter {
            ids: Some(vec![0, 2, 4, 5, 99]),
            ..f
        };
        let found = db.search(Scope::Admin, &listed, page).unwrap();
        let ids: Vec<u64> = found.rows.iter().map(|t| t.id).collect();
        assert_eq!(ids, [5, 4, 2]);
        assert_eq!((found.totals.count, found.totals.accepted), (3, 2));
        assert_eq!(db.search_ids(Scope::Admin, &listed).unwrap(), [5, 4, 2]);
        // Scope still applies: merchant 1 does not see merchant 2's row 5.
        let mine = db.search(Scope::Merchant(1), &listed, page).unwrap();
        assert_eq!(mine.rows.iter().map(|t| t.id).collect::<Vec<_>>(), [4, 2]);
        let theirs = Filter {
            ids: Some(vec![2, 4]),
            ..listed.clone()
        };
        assert_eq!(
            db.search(Scope::Merchant(2), &theirs, page).unwrap().total,
            0
        );
        // With the other filters: AND.
        let refunds = Filter {
            operation: Some(Operation::Refund),
            ..listed
        };
        assert_eq!(db.search(Scope::Admin, &refunds, page).unwrap().total, 1);
    }
}
