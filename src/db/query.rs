//! The transaction search: candidates from an index when a rare filter is given
//! (order id, email, holder, buyer, merchant account, last 4, reference), otherwise
//! the period's range of rows; then the column store checks the other filters,
//! counting every match for an exact total and keeping only the page asked for.

use redb::ReadableDatabase;

use super::columns::Columns;
use super::tables::{FIELD_VALUE_TX_ID, PARENT_ID_CHILD_ID, TX_ID_TO_TX};
use super::transactions::Field;
use super::{Db, Result, Scope, codec};
use crate::domain::card::Brand;
use crate::domain::filter::{Filter, PageRequest};
use crate::domain::transaction::{Status, Transaction};

pub use crate::domain::search::SearchPage;

/// The column checks of a filter, compiled once.
struct Matcher {
    from: i64,
    to: i64,
    merchant: Option<u32>,
    terminal: Option<u32>,
    op: Option<u8>,
    code: Option<u16>,
    status: Option<Status>,
    amount_min: i64,
    amount_max: i64,
    brand: Option<u8>,
    bin: Option<u32>,
    last4: Option<u16>,
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
            amount_min: f.amount_min.map_or(i64::MIN, |a| a.minor()),
            amount_max: f.amount_max.map_or(i64::MAX, |a| a.minor()),
            brand: f
                .brand
                .and_then(|b| Brand::ALL.iter().position(|x| *x == b))
                .map(|i| i as u8),
            bin: f.bin.as_ref().and_then(|b| b.parse().ok()),
            last4: f.last4.as_ref().and_then(|l| l.parse().ok()),
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
            && self.amount_min == i64::MIN
            && self.amount_max == i64::MAX
            && self.brand.is_none()
            && self.bin.is_none()
            && self.last4.is_none()
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
            && c.amount[i] >= self.amount_min
            && c.amount[i] <= self.amount_max
            && self.brand.is_none_or(|b| c.brand[i] == b)
            && self.bin.is_none_or(|b| c.bin[i] == b)
            && self.last4.is_none_or(|l| c.last4[i] == l)
    }
}

/// Walks matches newest first, calling `visit(n, id)` with the match's rank `n`.
fn walk(
    c: &Columns,
    m: &Matcher,
    candidates: Option<&[u64]>,
    mut visit: impl FnMut(u64, u64),
) -> u64 {
    let mut n = 0u64;
    if candidates.is_none() && m.period_only() {
        // Every row of the period matches: rank n is row hi - 1 - n, no scan needed.
        let range = c.time_range(m.from, m.to);
        let total = range.len() as u64;
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
                let i = (id - 1) as usize;
                if i < c.len() && m.matches(c, i) {
                    visit(n, id);
                    n += 1;
                }
            }
        }
        None => {
            for i in c.time_range(m.from, m.to).rev() {
                if m.matches(c, i) {
                    visit(n, i as u64 + 1);
                    n += 1;
                }
            }
        }
    }
    n
}

impl Db {
    /// One page of the transactions matching `f` in `scope`, newest first, with the exact total.
    pub fn search(&self, scope: Scope, f: &Filter, page: PageRequest) -> Result<SearchPage> {
        self.store.sync(&self.inner)?;
        let Some(mut m) = Matcher::new(scope, f) else {
            return Ok(SearchPage {
                total: 0,
                rows: Vec::new(),
            });
        };
        let candidates = self.candidates(f)?;
        let (first, last) = (
            page.offset(),
            page.offset().saturating_add(u64::from(page.per_page)),
        );
        m.window = Some((first, last));
        let mut ids = Vec::with_capacity(page.per_page as usize);
        let total = self.store.with(|c| {
            walk(c, &m, candidates.as_deref(), |n, id| {
                if n >= first && n < last {
                    ids.push(id);
                }
            })
        })?;
        Ok(SearchPage {
            total,
            rows: self.fetch(&ids)?,
        })
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
            .with(|c| walk(c, &m, candidates.as_deref(), |_, id| ids.push(id)))?;
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

    /// Sorted candidate ids from the indexes of the rare filters; `None` when no such
    /// filter is set (the period's rows are scanned instead).
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
