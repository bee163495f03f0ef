//! The quarter-hour rollups against a brute-force recount of the rows.

use std::collections::BTreeMap;

use proptest::prelude::*;
use redb::ReadableTable;

use super::rollups::{self, BUCKET_SECONDS, Dim, Group, RollupQuery, Totals};
use super::{Db, Error, Scope, tables};
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::money::{Amount, Currency};
use crate::domain::transaction::tests::tx;
use crate::domain::transaction::{Operation, Transaction};

/// 2026-03-28 00:00 UTC: a week before Casablanca's spring change of offset.
pub(super) const BASE: i64 = 1_774_656_000;

pub(super) fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("r.redb")).unwrap();
    (dir, db)
}

/// One generated row: (merchant, op, code, minor, brand, card country, buyer
/// country, terminal, currency, seconds after the previous row).
pub(super) type Spec = (
    u64,
    usize,
    usize,
    i64,
    Option<usize>,
    usize,
    usize,
    u32,
    usize,
    i64,
);

const COUNTRIES: [&str; 4] = ["MA", "fr", "", "USA"];

fn row(s: &Spec, at: i64) -> Transaction {
    let (merchant, op, code, minor, brand, cc, bc, terminal, cur, _) = *s;
    let mut t = tx(
        0,
        Operation::ALL[op],
        minor,
        ResultCode::ALL[code],
        time::OffsetDateTime::UNIX_EPOCH,
    );
    t.at = at;
    t.merchant_id = merchant;
    t.amount = Amount::from_minor(minor).unwrap();
    t.currency = Currency::ALL[cur];
    match (brand, t.card.as_mut()) {
        (Some(b), Some(card)) if b < Brand::ALL.len() => {
            card.brand = Some(Brand::ALL[b]);
            card.country = COUNTRIES[cc].into();
        }
        _ => t.card = None,
    }
    t.buyer.country = COUNTRIES[bc].into();
    t.initiator.terminal = terminal;
    t
}

pub(super) fn spec() -> impl Strategy<Value = Spec> {
    (
        1u64..=3,
        // Few operations and codes (and below, currencies and countries) so that
        // series hold many buckets and period edges fall inside them.
        prop_oneof![4 => 0..2usize, 1 => 0..Operation::ALL.len()],
        prop_oneof![4 => 0..2usize, 1 => 0..ResultCode::ALL.len()],
        1i64..1_000_000,
        proptest::option::of(0..Brand::ALL.len() + 1),
        0..COUNTRIES.len(),
        0..COUNTRIES.len(),
        0u32..3,
        prop_oneof![4 => Just(0usize), 1 => 0..Currency::ALL.len()],
        // Mostly minutes apart, sometimes hours: periods cross midnights and
        // quarter-hour edges.
        prop_oneof![8 => 0i64..600, 1 => 0i64..20_000],
    )
}

/// Writes the rows in several write transactions (the running totals must carry
/// over from one to the next); returns them as stored.
pub(super) fn write(db: &Db, specs: &[Spec], cuts: &[usize]) -> Vec<Transaction> {
    let mut at = BASE - 86_400;
    let mut rows: Vec<Transaction> = specs
        .iter()
        .map(|s| {
            at += s.9;
            row(s, at)
        })
        .collect();
    let mut start = 0;
    for cut in cuts.iter().copied().chain([rows.len()]) {
        let end = cut.clamp(start, rows.len());
        db.insert_transactions(&mut rows[start..end]).unwrap();
        start = end;
    }
    rows
}

/// The answer computed from the rows themselves.
fn brute_force(rows: &[Transaction], q: &RollupQuery) -> BTreeMap<Group, Totals> {
    let mut out: BTreeMap<Group, Totals> = BTreeMap::new();
    for r in rows {
        let value = q.dim.value_of(r);
        if q.merchant.is_some_and(|m| m != r.merchant_id) || q.value.is_some_and(|v| v != value) {
            continue;
        }
        let Some(period) = q
            .bounds
            .windows(2)
            .position(|w| w[0] <= r.at && r.at < w[1])
        else {
            continue;
        };
        let t = out
            .entry(Group {
                period,
                value,
                op: r.operation.index(),
                code: r.code.value(),
                currency: super::columns::currency_index(r.currency),
            })
            .or_default();
        t.count += 1;
        t.sum += r.amount.minor();
    }
    out
}

fn query() -> impl Strategy<Value = RollupQuery> {
    (
        proptest::option::of(1u64..=4),
        0..Dim::ALL.len(),
        proptest::option::of(0u32..3),
        proptest::collection::btree_set(-8i64..200, 2..12),
    )
        .prop_map(|(merchant, d, value, quarters)| {
            let dim = Dim::ALL[d];
            let value = match dim {
                Dim::Terminal => value,
                Dim::Brand => value.map(|v| v + 1),
                Dim::CardCountry | Dim::IpCountry => {
                    value.map(|v| rollups::country_value(COUNTRIES[v as usize]))
                }
                Dim::Total => None,
            };
            RollupQuery {
                merchant,
                dim,
                value,
                bounds: quarters
                    .into_iter()
                    .map(|q| BASE - 86_400 + q * BUCKET_SECONDS)
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_rollup_read_and_the_bench_scan_equal_a_recount_of_the_rows(
        specs in proptest::collection::vec(spec(), 0..200),
        cuts in proptest::collection::vec(0usize..200, 0..4),
        queries in proptest::collection::vec(query(), 1..12),
    ) {
        let (_dir, db) = db();
        let mut cuts = cuts;
        cuts.sort();
        let rows = write(&db, &specs, &cuts);
        for q in &queries {
            prop_assert_eq!(db.rollup(Scope::Admin, q).unwrap(), brute_force(&rows, q), "{:?}", q);
            if let Some(m) = q.merchant {
                prop_assert_eq!(db.rollup(Scope::Merchant(m), q).unwrap(), brute_force(&rows, q));
            }
        }
        let scanned = db.rollup_by_scan(Scope::Admin, &queries).unwrap();
        for (q, answer) in queries.iter().zip(scanned) {
            prop_assert_eq!(answer, brute_force(&rows, q));
        }
        let report = db.check().unwrap();
        prop_assert!(report.is_ok(), "{:?}", report.problems);
    }
}

fn sample(db: &Db) -> Vec<Transaction> {
    let specs: Vec<Spec> = (0..40)
        .map(|i| {
            (
                1 + i % 2,
                (i % 7) as usize,
                (i % 12) as usize,
                100 + i as i64,
                Some(0),
                0,
                1,
                1,
                0,
                700,
            )
        })
        .collect();
    write(db, &specs, &[13, 25])
}

#[test]
fn the_stored_totals_are_the_running_totals_of_a_recount() {
    let (_dir, db) = db();
    let rows = sample(&db);
    let rtx = db.begin_read().unwrap();
    let stored: BTreeMap<_, _> = rtx
        .open_table(tables::ROLLUP)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            let (count, sum) = v.value();
            (k.value(), Totals { count, sum })
        })
        .collect();
    assert_eq!(stored, rollups::recount(rows.iter()));
}

#[test]
fn check_fails_when_a_rollup_counter_is_changed() {
    let (_dir, db) = db();
    sample(&db);
    assert!(db.check().unwrap().is_ok());
    let wtx = db.begin_write().unwrap();
    {
        let mut t = wtx.open_table(tables::ROLLUP).unwrap();
        let (k, (count, sum)) = {
            let first = t.first().unwrap().unwrap();
            (first.0.value(), first.1.value())
        };
        t.insert(k, (count + 1, sum)).unwrap();
    }
    wtx.commit().unwrap();
    let report = db.check().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p == "1 quarter-hour rollup entries differ from a recount of the rows"),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_merchant_reads_only_its_own_rollups() {
    let (_dir, db) = db();
    sample(&db);
    let q = |merchant| RollupQuery {
        merchant,
        dim: Dim::Total,
        value: None,
        bounds: vec![0, BASE + 86_400 * 10],
    };
    assert!(matches!(
        db.rollup(Scope::Merchant(1), &q(Some(2))),
        Err(Error::NotFound)
    ));
    assert!(matches!(
        db.rollup(Scope::Merchant(1), &q(None)),
        Err(Error::NotFound)
    ));
    let own: u64 = db
        .rollup(Scope::Merchant(1), &q(Some(1)))
        .unwrap()
        .values()
        .map(|t| t.count)
        .sum();
    assert_eq!(own, 20);
    let all: u64 = db
        .rollup(Scope::Admin, &q(None))
        .unwrap()
        .values()
        .map(|t| t.count)
        .sum();
    assert_eq!(all, 40);
}

#[test]
fn periods_off_the_quarter_hour_or_out_of_order_are_refused() {
    let (_dir, db) = db();
    for bounds in [
        vec![BASE],
        vec![BASE, BASE + 60],
        vec![BASE + 900, BASE],
        vec![-900, 0],
    ] {
        let q = RollupQuery {
            merchant: None,
            dim: Dim::Total,
            value: None,
            bounds: bounds.clone(),
        };
        assert!(
            matches!(db.rollup(Scope::Admin, &q), Err(Error::BadRange(_))),
            "{bounds:?}"
        );
    }
}

#[test]
fn country_and_brand_values_round_trip() {
    assert_eq!(
        rollups::country_of(rollups::country_value("ma")).as_deref(),
        Some("MA")
    );
    assert_eq!(
        rollups::country_of(rollups::country_value("USA")).as_deref(),
        Some("USA")
    );
    assert_eq!(rollups::country_value("M1"), rollups::NO_VALUE);
    assert_eq!(rollups::country_of(rollups::NO_VALUE), None);
    for b in Brand::ALL {
        assert_eq!(rollups::brand_of(rollups::brand_value(Some(b))), Some(b));
    }
    assert_eq!(rollups::brand_of(rollups::brand_value(None)), None);
}

// ---------------------------------------------------------------------------------
// Home and Statistics figures in several zones (issue 11): rows around local
// midnights and the clock changes of Africa/Casablanca, periods cut into local days,
// weeks and months; every figure from the rollups equals the same figure from a
// brute-force recount of the rows.

mod zones {
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;

    use super::{Spec, db, row, spec};
    use crate::db::Scope;
    use crate::db::rollups::{Dim, RollupQuery};
    use crate::domain::buckets::{Granularity, bounds, cover, last_n};
    use crate::domain::figures::{self, Cell};
    use crate::domain::transaction::Transaction;
    use crate::domain::zone::Zone;

    const ZONES: [&str; 4] = ["UTC", "Africa/Casablanca", "Asia/Kolkata", "Asia/Kathmandu"];

    /// The first day rows fall on: before Morocco's Ramadan change (15 Feb 2026)
    /// and its return (22 Mar 2026).
    const FIRST: time::Date = date!(2026 - 02 - 08);

    /// A row at `minutes` around the local midnight starting day `day` after
    /// [`FIRST`] in zone `z`.
    fn at(day: i64, z: usize, minutes: i64) -> i64 {
        let zone = Zone::parse(ZONES[z]).unwrap();
        zone.day_start(FIRST + Duration::days(day)).unwrap() + minutes * 60
    }

    fn sorted(mut cells: Vec<Cell>) -> Vec<(usize, u32, u8, u16, &'static str, u64, i64)> {
        let mut out: Vec<_> = cells
            .drain(..)
            .map(|c| {
                (
                    c.period,
                    c.value,
                    c.op.index(),
                    c.code,
                    c.currency.code(),
                    c.count,
                    c.sum,
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Every figure the pages show, from `cells` over `n` periods.
    fn all_figures(cells: &[Cell], n: usize) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            figures::revenue(cells, n),
            figures::acceptance(cells, n),
            figures::operations(cells, 0..n),
            figures::refusals(cells, 0..n),
            figures::split(cells, 0..n),
            figures::counts(cells, n),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn home_and_statistics_figures_equal_a_recount_in_every_zone(
            rows in proptest::collection::vec(
                (spec(), 0i64..70, 0usize..ZONES.len(), -90i64..90), 1..150),
            periods in proptest::collection::vec((0usize..3, 0i64..70, 0i64..60), 1..4),
            merchant in proptest::option::of(1u64..=3),
        ) {
            let (_dir, db) = db();
            let mut txs: Vec<Transaction> = rows
                .iter()
                .map(|(s, day, z, minutes): &(Spec, i64, usize, i64)| row(s, at(*day, *z, *minutes)))
                .collect();
            txs.sort_by_key(|t| t.at);
            db.insert_transactions(&mut txs).unwrap();
            for name in ZONES {
                let zone = Zone::parse(name).unwrap();
                for (g, start, len) in &periods {
                    let g = Granularity::ALL[*g];
                    let first = FIRST + Duration::days(*start);
                    let mut cuts = vec![cover(g, first, first + Duration::days(*len))];
                    // Home: the last buckets up to a "today".
                    cuts.push(last_n(g, first + Duration::days(*len), 6));
                    for buckets in cuts {
                        let at = bounds(&zone, &buckets).unwrap();
                        for dim in Dim::ALL {
                            let q = RollupQuery { merchant, dim, value: None, bounds: at.clone() };
                            let got = db.figures(Scope::Admin, &q).unwrap();
                            let mine = txs.iter().filter(|t| merchant.is_none_or(|m| t.merchant_id == m));
                            let want = figures::recount(mine, &at, |t| dim.value_of(t));
                            prop_assert_eq!(
                                all_figures(&got, buckets.len()),
                                all_figures(&want, buckets.len()),
                                "{} {:?} {:?}", name, g, dim
                            );
                            prop_assert_eq!(sorted(got), sorted(want));
                        }
                    }
                }
            }
        }
    }
}
