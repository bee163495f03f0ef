//! The rollup part of `guichet bench`: Home and Statistics for a year, all merchants,
//! from the quarter-hour rollups and by scanning the rows; what the rollups take in
//! the file and add to a payment's write.

use std::time::{Duration, Instant};

use super::CliError;
use super::bench::{ms, percentile};
use crate::db::rollups::{BUCKET_SECONDS, Dim, RollupQuery};
use crate::db::{Db, Scope};

const DAY: i64 = 86_400;
/// Day boundaries at UTC+1 (Casablanca most of the year): not UTC midnights.
const OFFSET: i64 = 3_600;

fn query(dim: Dim, bounds: Vec<i64>) -> RollupQuery {
    RollupQuery {
        merchant: None,
        dim,
        value: None,
        bounds,
    }
}

/// Home: the year by local day, by operation, code and currency.
fn home(end: i64) -> Vec<RollupQuery> {
    vec![query(
        Dim::Total,
        (0..=365).map(|d| end - (365 - d) * DAY).collect(),
    )]
}

/// Statistics: the year by day, and the year split by brand, card country, buyer
/// country and terminal (each by operation and code).
fn statistics(end: i64) -> Vec<RollupQuery> {
    let mut qs = home(end);
    for dim in [
        Dim::Brand,
        Dim::CardCountry,
        Dim::BuyerCountry,
        Dim::Terminal,
    ] {
        qs.push(query(dim, vec![end - 365 * DAY, end]));
    }
    qs
}

fn time(
    runs: usize,
    mut f: impl FnMut() -> crate::db::Result<usize>,
) -> crate::db::Result<(Duration, Duration, usize)> {
    // One untimed run: the rollups live in the OS page cache, not redb's 16 MB one.
    f()?;
    let mut samples = Vec::with_capacity(runs);
    let mut groups = 0;
    for _ in 0..runs {
        let t = Instant::now();
        groups = f()?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok((
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        groups,
    ))
}

/// Prints the rollup table.
pub fn run(db: &Db) -> Result<(), CliError> {
    let Some(latest) = db.latest_transactions(Scope::Admin, 1)?.into_iter().next() else {
        return Ok(());
    };
    let end = (latest.at.div_euclid(DAY) + 1) * DAY - OFFSET;
    let end = end + if end <= latest.at { DAY } else { 0 };
    debug_assert_eq!(end % BUCKET_SECONDS, 0);
    println!(
        "\n{:<44} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "year, all merchants, days at UTC+1",
        "roll p50",
        "roll p95",
        "scan p50",
        "scan p95",
        "ratio",
        "groups"
    );
    let big = db.merchants(Scope::Admin)?.first().map_or(1, |m| m.id);
    let mut one_merchant = home(end);
    one_merchant[0].merchant = Some(big);
    for (name, qs) in [
        ("Home (by day × operation × code)", home(end)),
        ("Statistics (+ brand, countries, terminal)", statistics(end)),
        ("Home, first merchant only", one_merchant),
    ] {
        let (r50, r95, groups) = time(30, || {
            let mut n = 0;
            for q in &qs {
                n += db.rollup(Scope::Admin, q)?.len();
            }
            Ok(n)
        })?;
        let (s50, s95, scanned) = time(3, || {
            Ok(db
                .rollup_by_scan(Scope::Admin, &qs)?
                .iter()
                .map(|m| m.len())
                .sum())
        })?;
        if scanned != groups {
            return Err(CliError::Bench("the rollups and the scan disagree"));
        }
        println!(
            "{:<44} {:>9.2} {:>9.2} {:>9.1} {:>9.1} {:>7.0}× {:>7}",
            name,
            ms(r50),
            ms(r95),
            ms(s50),
            ms(s95),
            s50.as_secs_f64() / r50.as_secs_f64().max(1e-9),
            groups
        );
    }
    let stats = db.rollup_stats()?;
    println!(
        "rollups in the file: {} entries, {:.1} MB of pages ({:.1} MB of keys and values)",
        stats.entries,
        stats.page_bytes as f64 / 1e6,
        stats.stored_bytes as f64 / 1e6
    );
    // A payment writes two rows (3-D Secure, sale): their rollups, timed alone.
    let mut rows = db.latest_transactions(Scope::Admin, 2)?;
    for r in &mut rows {
        r.at = latest.at;
    }
    let mut samples = Vec::new();
    for _ in 0..200 {
        samples.push(db.rollup_write_time(&rows)?);
    }
    samples.sort();
    println!(
        "rollup writes of one payment (2 rows, 20 series): p50 {:.3} ms, p95 {:.3} ms",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95))
    );
    Ok(())
}
