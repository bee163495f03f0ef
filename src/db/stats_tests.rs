//! The statistics scan against a brute-force recount of the rows.

use proptest::prelude::*;

use super::rollup_tests::{BASE, db, spec, write};
use super::rollups::{BUCKET_SECONDS, Dim};
use super::{Error, Scope};
use crate::domain::card::Brand;
use crate::domain::figures::{Cell, recount};
use crate::domain::transaction::Transaction;

fn sorted(mut cells: Vec<Cell>) -> Vec<Cell> {
    cells.sort_by_key(|c| (c.period, c.value, c.op.index(), c.code, c.currency.code()));
    cells
}

fn kept(
    rows: &[Transaction],
    merchant: Option<u64>,
    terminal: Option<u32>,
    brand: Option<Brand>,
) -> impl Iterator<Item = &Transaction> {
    rows.iter().filter(move |r| {
        merchant.is_none_or(|m| r.merchant_id == m)
            && terminal.is_none_or(|t| r.initiator.terminal == t)
            && brand.is_none_or(|b| r.card.as_ref().and_then(|c| c.brand) == Some(b))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_scan_under_any_terminal_and_brand_filter_equals_a_recount_of_the_rows(
        specs in proptest::collection::vec(spec(), 0..200),
        cuts in proptest::collection::vec(0usize..200, 0..3),
        merchant in proptest::option::of(1u64..=4),
        terminal in proptest::option::of(0u32..3),
        brand in proptest::option::of(0..Brand::ALL.len()),
        quarters in proptest::collection::btree_set(-8i64..200, 2..12),
    ) {
        let (_dir, db) = db();
        let mut cuts = cuts;
        cuts.sort();
        let rows = write(&db, &specs, &cuts);
        let bounds: Vec<i64> = quarters
            .into_iter()
            .map(|q| BASE - 86_400 + q * BUCKET_SECONDS)
            .collect();
        let brand = brand.map(|b| Brand::ALL[b]);
        let together = db
            .figures_scan_many(Scope::Admin, merchant, &bounds, (terminal, brand), &Dim::ALL, u64::MAX)
            .unwrap();
        for (dim, one_walk) in Dim::ALL.into_iter().zip(together) {
            let expected = recount(kept(&rows, merchant, terminal, brand), &bounds, |tx| dim.value_of(tx));
            prop_assert_eq!(sorted(one_walk.unwrap()), sorted(expected.clone()), "all at once: {:?}", dim);
            let got = db.figures_scan(Scope::Admin, merchant, &bounds, terminal, brand, dim).unwrap();
            prop_assert_eq!(sorted(got), sorted(expected), "{:?}", dim);
            if let Some(m) = merchant {
                let own = db.figures_scan(Scope::Merchant(m), merchant, &bounds, terminal, brand, dim).unwrap();
                let all = db.figures_scan(Scope::Admin, merchant, &bounds, terminal, brand, dim).unwrap();
                prop_assert_eq!(own, all);
            }
        }
    }
}

#[test]
fn a_scan_refuses_another_merchant_bad_periods_and_too_many_rows_for_a_country_split() {
    let (_dir, db) = db();
    let specs: Vec<_> = (0..20)
        .map(|i| (1 + i % 2, 1, 0, 100, Some(0), 0, 1, 0, 0, 60))
        .collect();
    write(&db, &specs, &[]);
    let bounds = [BASE - 86_400, BASE + 86_400];
    let scan =
        |scope, m, dim, limit| db.figures_scan_limited(scope, m, &bounds, (None, None), dim, limit);
    assert!(matches!(
        scan(Scope::Merchant(1), Some(2), Dim::Total, 10),
        Err(Error::NotFound)
    ));
    assert!(matches!(
        scan(Scope::Merchant(1), None, Dim::Total, 10),
        Err(Error::NotFound)
    ));
    assert!(matches!(
        db.figures_scan(
            Scope::Admin,
            None,
            &[BASE, BASE - 900],
            None,
            None,
            Dim::Total
        ),
        Err(Error::BadRange(_))
    ));
    assert!(matches!(
        scan(Scope::Admin, Some(1), Dim::IpCountry, 9),
        Err(Error::TooManyRows { rows: 10, limit: 9 })
    ));
    // The limit holds for the records read, not the column walk.
    assert!(scan(Scope::Admin, Some(1), Dim::Terminal, 9).is_ok());
    assert!(scan(Scope::Admin, Some(1), Dim::IpCountry, 10).is_ok());
}
