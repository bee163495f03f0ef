//! The figures of Home and Statistics (HOME-1 … HOME-4, STAT-1), computed from
//! rollup cells: counts and sums per period, value of a dimension, operation, result
//! code and currency. Pure: the same functions run on a brute-force recount in the
//! tests, so every figure is checked against the rows it claims to count.
//!
//! The rules, stated once and shown on the pages:
//! - **revenue** (net): accepted sales, captures and rebills, less accepted refunds
//!   and chargebacks, per currency (the transaction list's net amount);
//! - **payment attempts**: sales, authorizations and rebills whose code is not 098
//!   (an abandon is not an attempt; 3-D Secure checks are steps of an attempt);
//! - **acceptance rate**: accepted attempts ÷ attempts, computed in `Decimal` and
//!   rounded half up to a tenth of a percent (`money::percent_tenths`, the one rule of
//!   every rate, share and change; the list's totals line does the same over its rows).
//! - sums of money are checked: a total past `money::MAX_TOTAL` shows as an overflow.

use std::collections::BTreeMap;

use super::Lang;
use super::codes::ResultCode;
use super::list_row::net_sign;
use super::money::{Currency, percent_tenths, saturating_total};
use super::transaction::{Operation, Transaction};

/// Totals of the rows of one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Index of the period (bucket) in the query's periods.
    pub period: usize,
    /// The value of the dimension split on (0 without a split or without a value).
    pub value: u32,
    pub op: Operation,
    /// The result code's number (a code unknown to this version keeps its number).
    pub code: u16,
    pub currency: Currency,
    pub count: u64,
    /// Sum of the amounts, minor units, unsigned (as stored).
    pub sum: i64,
}

impl Cell {
    pub fn accepted(&self) -> bool {
        self.code == ResultCode::ACCEPTED.value()
    }

    /// A payment attempt: a sale, authorization or rebill that was not abandoned.
    pub fn is_attempt(&self) -> bool {
        is_attempt(self.op, self.code)
    }
}

/// Whether a row of `op` ending with `code` is a payment attempt.
pub fn is_attempt(op: Operation, code: u16) -> bool {
    super::filter::ATTEMPT_OPERATIONS.contains(&op) && code != ResultCode::ABANDONED.value()
}

/// The operations Home and Statistics count (every one but the 3-D Secure checks,
/// which are steps of a payment, not operations of their own).
pub const COUNTED_OPS: [Operation; 7] = [
    Operation::Sale,
    Operation::Authorization,
    Operation::Capture,
    Operation::Cancel,
    Operation::Refund,
    Operation::Rebill,
    Operation::Chargeback,
];

/// Money per currency, in `Currency::ALL` order, only currencies that occur.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerCurrency(pub Vec<(Currency, i128)>);

impl PerCurrency {
    fn add(&mut self, currency: Currency, minor: i128) {
        match self.0.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, v)) => *v = saturating_total(*v, minor),
            None => {
                self.0.push((currency, saturating_total(0, minor)));
                // `Currency` orders as `Currency::ALL`.
                self.0.sort_by_key(|(c, _)| *c);
            }
        }
    }

    pub fn get(&self, currency: Currency) -> i128 {
        self.0
            .iter()
            .find(|(c, _)| *c == currency)
            .map_or(0, |(_, v)| *v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Net revenue per period (`periods` of them) and currency.
pub fn revenue(cells: &[Cell], periods: usize) -> Vec<PerCurrency> {
    let mut out = vec![PerCurrency::default(); periods];
    for c in cells.iter().filter(|c| c.accepted()) {
        let sign = net_sign(c.op);
        if let Some(p) = out.get_mut(c.period)
            && sign != 0
        {
            p.add(c.currency, i128::from(sign) * i128::from(c.sum));
        }
    }
    out
}

/// The currency most accepted rows are in (MAD when there are none).
pub fn main_currency(cells: &[Cell]) -> Currency {
    let mut n = [0u64; Currency::ALL.len()];
    for c in cells.iter().filter(|c| c.accepted()) {
        n[usize::from(c.currency.index())] += c.count;
    }
    let best = (0..n.len()).rev().max_by_key(|i| n[*i]).unwrap_or(0);
    if n[best] == 0 {
        Currency::Mad
    } else {
        Currency::ALL[best]
    }
}

/// A ratio of accepted to counted rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub accepted: u64,
    pub count: u64,
}

impl Rate {
    /// Tenths of a percent, rounded half up (`money::percent_tenths`); `None` when
    /// nothing is counted.
    pub fn per_mille(self) -> Option<u32> {
        per_mille(self.accepted, self.count)
    }

    /// "92,3 %" / "92.3%", or "—" when nothing is counted.
    pub fn text(self, lang: Lang) -> String {
        self.per_mille()
            .map_or_else(|| "—".into(), |p| per_mille_text(p, lang))
    }
}

/// `part / whole` in tenths of a percent, computed in `Decimal` and rounded half up
/// (`money::percent_tenths`); `None` when `whole` is 0.
pub fn per_mille(part: u64, whole: u64) -> Option<u32> {
    percent_tenths(part.into(), whole.into()).and_then(|p| u32::try_from(p).ok())
}

/// The share of `v` in `total` (signed, e.g. a revenue), tenths of a percent, rounded
/// half up (away from zero); 0 when `total` is 0 or it does not fit.
pub fn share_per_mille(v: i128, total: i128) -> i64 {
    percent_tenths(v, total).unwrap_or(0)
}

/// The change from `prev` to `cur` in tenths of a percent, rounded half up (away from
/// zero): +10,0 % from 100 to 110; `None` unless `prev` is positive.
pub fn change_per_mille(cur: i128, prev: i128) -> Option<i128> {
    if prev <= 0 {
        return None;
    }
    percent_tenths(cur.checked_sub(prev)?, prev).map(i128::from)
}

/// A count for people: "1 234" / "1,234".
pub fn count_text(n: u64, lang: Lang) -> String {
    super::money::format_count(n, lang)
}

/// Tenths of a percent for people: "92,3 %" / "92.3%".
pub fn per_mille_text(p: u32, lang: Lang) -> String {
    let (whole, tenth) = (p / 10, p % 10);
    match lang {
        Lang::Fr => format!("{whole},{tenth}\u{a0}%"),
        Lang::En => format!("{whole}.{tenth}%"),
    }
}

/// The acceptance rate of each period.
pub fn acceptance(cells: &[Cell], periods: usize) -> Vec<Rate> {
    let mut out = vec![Rate::default(); periods];
    for c in cells.iter().filter(|c| c.is_attempt()) {
        if let Some(r) = out.get_mut(c.period) {
            r.count += c.count;
            if c.accepted() {
                r.accepted += c.count;
            }
        }
    }
    out
}

/// What one operation type did over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpLine {
    pub op: Operation,
    pub accepted: u64,
    /// Refused rows, abandons (098) of a payment attempt's operation left out.
    pub refused: u64,
    /// Sales, authorizations or rebills the customer abandoned (098): not attempts.
    pub abandoned: u64,
    /// Sum of the accepted rows' amounts, per currency (unsigned).
    pub amount: PerCurrency,
}

/// One line per counted operation (in [`COUNTED_OPS`] order) over the periods
/// `periods` (a range of period indexes).
pub fn operations(cells: &[Cell], periods: std::ops::Range<usize>) -> Vec<OpLine> {
    COUNTED_OPS
        .iter()
        .map(|op| {
            let mut line = OpLine {
                op: *op,
                accepted: 0,
                refused: 0,
                abandoned: 0,
                amount: PerCurrency::default(),
            };
            for c in cells
                .iter()
                .filter(|c| c.op == *op && periods.contains(&c.period))
            {
                if c.accepted() {
                    line.accepted += c.count;
                    line.amount.add(c.currency, i128::from(c.sum));
                } else if is_attempt(c.op, ResultCode::ACCEPTED.value()) && !c.is_attempt() {
                    line.abandoned += c.count;
                } else {
                    line.refused += c.count;
                }
            }
            line
        })
        .collect()
}

/// Refused rows of one result code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusals {
    pub code: u16,
    pub count: u64,
    /// Share of all refused rows, tenths of a percent.
    pub share: u32,
}

/// Refused counted rows per result code, most frequent first (then by code).
pub fn refusals(cells: &[Cell], periods: std::ops::Range<usize>) -> Vec<Refusals> {
    let mut by_code: BTreeMap<u16, u64> = BTreeMap::new();
    for c in cells
        .iter()
        .filter(|c| !c.accepted() && c.op != Operation::ThreeDSecure && periods.contains(&c.period))
    {
        *by_code.entry(c.code).or_default() += c.count;
    }
    let total: u64 = by_code.values().sum();
    let mut out: Vec<Refusals> = by_code
        .into_iter()
        .map(|(code, count)| Refusals {
            code,
            count,
            share: per_mille(count, total).unwrap_or(0),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    out
}

/// One value of a split (a brand, a country, a terminal) over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitLine {
    pub value: u32,
    /// Counted rows (every operation but 3-D Secure checks).
    pub count: u64,
    /// Payment attempts and the accepted ones among them.
    pub attempts: Rate,
    pub revenue: PerCurrency,
    /// Share of the counted rows, tenths of a percent.
    pub share: u32,
}

/// One line per value of the dimension, most rows first (then by value).
pub fn split(cells: &[Cell], periods: std::ops::Range<usize>) -> Vec<SplitLine> {
    let mut by: BTreeMap<u32, SplitLine> = BTreeMap::new();
    for c in cells
        .iter()
        .filter(|c| c.op != Operation::ThreeDSecure && periods.contains(&c.period))
    {
        let line = by.entry(c.value).or_insert_with(|| SplitLine {
            value: c.value,
            count: 0,
            attempts: Rate::default(),
            revenue: PerCurrency::default(),
            share: 0,
        });
        line.count += c.count;
        if c.is_attempt() {
            line.attempts.count += c.count;
            if c.accepted() {
                line.attempts.accepted += c.count;
            }
        }
        let sign = net_sign(c.op);
        if c.accepted() && sign != 0 {
            line.revenue
                .add(c.currency, i128::from(sign) * i128::from(c.sum));
        }
    }
    let total: u64 = by.values().map(|l| l.count).sum();
    let mut out: Vec<SplitLine> = by
        .into_values()
        .map(|mut l| {
            l.share = per_mille(l.count, total).unwrap_or(0);
            l
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    out
}

/// Counted rows (every operation but 3-D Secure checks) per period.
pub fn counts(cells: &[Cell], periods: usize) -> Vec<u64> {
    let mut out = vec![0; periods];
    for c in cells.iter().filter(|c| c.op != Operation::ThreeDSecure) {
        if let Some(n) = out.get_mut(c.period) {
            *n += c.count;
        }
    }
    out
}

/// The brute-force oracle: the cells of `rows` for the periods bounded by `bounds`
/// (unix seconds, increasing), split by `value_of`; rows outside are left out.
pub fn recount<'a>(
    rows: impl IntoIterator<Item = &'a Transaction>,
    bounds: &[i64],
    value_of: impl Fn(&Transaction) -> u32,
) -> Vec<Cell> {
    type Key = (usize, u32, Operation, u16, &'static str);
    let mut map: BTreeMap<Key, (u64, i64)> = BTreeMap::new();
    for tx in rows {
        let Some(period) = bounds
            .windows(2)
            .position(|w| w[0] <= tx.at && tx.at < w[1])
        else {
            continue;
        };
        let k = (
            period,
            value_of(tx),
            tx.operation,
            tx.code.value(),
            tx.currency.code(),
        );
        let e = map.entry(k).or_default();
        e.0 += 1;
        e.1 += tx.amount.minor();
    }
    map.into_iter()
        .filter_map(|((period, value, op, code, currency), (count, sum))| {
            Some(Cell {
                period,
                value,
                op,
                code,
                currency: Currency::parse(currency)?,
                count,
                sum,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(
        period: usize,
        op: Operation,
        code: u16,
        currency: Currency,
        count: u64,
        sum: i64,
    ) -> Cell {
        Cell {
            period,
            value: 0,
            op,
            code,
            currency,
            count,
            sum,
        }
    }

    #[test]
    fn revenue_adds_accepted_debits_and_takes_off_refunds_and_chargebacks() {
        let cells = [
            cell(0, Operation::Sale, 0, Currency::Mad, 3, 30_000),
            cell(0, Operation::Sale, 51, Currency::Mad, 2, 99_999),
            cell(0, Operation::Refund, 0, Currency::Mad, 1, 5_000),
            cell(0, Operation::Chargeback, 0, Currency::Mad, 1, 1_000),
            cell(0, Operation::Authorization, 0, Currency::Mad, 1, 7_000),
            cell(1, Operation::Capture, 0, Currency::Eur, 1, 2_500),
        ];
        let r = revenue(&cells, 2);
        assert_eq!(r[0].0, vec![(Currency::Mad, 24_000)]);
        assert_eq!(r[1].0, vec![(Currency::Eur, 2_500)]);
    }

    #[test]
    fn abandons_and_3ds_checks_are_not_attempts() {
        let cells = [
            cell(0, Operation::Sale, 0, Currency::Mad, 9, 1),
            cell(0, Operation::Sale, 98, Currency::Mad, 5, 1),
            cell(0, Operation::ThreeDSecure, 656, Currency::Mad, 4, 1),
            cell(0, Operation::Authorization, 51, Currency::Mad, 1, 1),
            cell(0, Operation::Refund, 5, Currency::Mad, 7, 1),
        ];
        let a = acceptance(&cells, 1);
        assert_eq!(
            a[0],
            Rate {
                accepted: 9,
                count: 10
            }
        );
        assert_eq!(a[0].text(Lang::Fr), "90,0\u{a0}%");
        assert_eq!(a[0].text(Lang::En), "90.0%");
        assert_eq!(Rate::default().text(Lang::En), "—");
    }

    #[test]
    fn the_rate_rounds_half_up_like_the_list_totals_line() {
        for (accepted, count) in [
            (1, 3),
            (2, 3),
            (1, 8),
            (5, 7),
            (0, 1),
            (999, 1000),
            (1, 2000),
        ] {
            let list = crate::domain::search::Totals {
                attempts: count,
                attempts_accepted: accepted,
                ..Default::default()
            };
            assert_eq!(
                Some(Rate { accepted, count }.text(Lang::Fr)),
                list.acceptance_rate(Lang::Fr)
            );
        }
        assert_eq!(per_mille(1, 8), Some(125));
        assert_eq!(per_mille(1, 2000), Some(1));
    }

    #[test]
    fn refusals_are_shared_out_most_frequent_first() {
        let cells = [
            cell(0, Operation::Sale, 51, Currency::Mad, 3, 1),
            cell(0, Operation::Sale, 5, Currency::Mad, 1, 1),
            cell(0, Operation::Refund, 5, Currency::Eur, 2, 1),
            cell(0, Operation::ThreeDSecure, 656, Currency::Mad, 4, 1),
            cell(1, Operation::Sale, 12, Currency::Mad, 9, 1),
        ];
        let r = refusals(&cells, 0..1);
        assert_eq!(
            r,
            [
                Refusals {
                    code: 5,
                    count: 3,
                    share: 500
                },
                Refusals {
                    code: 51,
                    count: 3,
                    share: 500
                },
            ]
        );
    }

    #[test]
    fn a_split_counts_rows_attempts_and_revenue_per_value() {
        let mut a = cell(0, Operation::Sale, 0, Currency::Mad, 3, 300);
        a.value = 7;
        let mut b = cell(0, Operation::Sale, 51, Currency::Mad, 1, 100);
        b.value = 7;
        let mut c = cell(0, Operation::Refund, 0, Currency::Mad, 1, 50);
        c.value = 9;
        let s = split(&[a, b, c], 0..1);
        assert_eq!(s[0].value, 7);
        assert_eq!(s[0].count, 4);
        assert_eq!(
            s[0].attempts,
            Rate {
                accepted: 3,
                count: 4
            }
        );
        assert_eq!(s[0].revenue.get(Currency::Mad), 300);
        assert_eq!(s[0].share, 800);
        assert_eq!(s[1].revenue.get(Currency::Mad), -50);
    }
}
