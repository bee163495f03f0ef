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
    for dim in [Dim::Brand, Dim::CardCountry, Dim::IpCountry, Dim::Terminal] {
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
    home_as_served(db, latest.at)?;
    statistics_as_served(db, latest.at)?;
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

/// Home as the page reads it (`Db::home_data`: the rollup cells of its periods and
/// the authorizations to capture), in Africa/Casablanca, for all merchants, on the
/// day of the file's latest row: by day (30 days), week (12 weeks) and month (12
/// months: the year); the year is also recounted by scanning the rows.
fn home_as_served(db: &Db, latest: i64) -> Result<(), CliError> {
    use crate::domain::buckets::{Granularity, bounds, last_n};
    use crate::domain::zone::Zone;
    let zone = Zone::default();
    let Some(today) = zone.date_of(latest) else {
        return Ok(());
    };
    println!(
        "\n{:<44} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "Home page as served, all merchants (Casablanca)",
        "p50 ms",
        "p95 ms",
        "scan p50",
        "ratio",
        "groups"
    );
    for (by, n) in [
        (Granularity::Day, 30),
        (Granularity::Week, 12),
        (Granularity::Month, 12),
    ] {
        let Some(at) = bounds(&zone, &last_n(by, today, n)) else {
            continue;
        };
        let (p50, p95, groups) = time(30, || {
            let d = db.home_data(Scope::Admin, None, at.clone(), latest, 5)?;
            Ok(d.cells.len())
        })?;
        let name = format!("by {} ({n} buckets)", by.key());
        if by == Granularity::Month {
            let q = query(Dim::Total, at.clone());
            let (s50, _, scanned) = time(1, || {
                Ok(db.rollup_by_scan(Scope::Admin, std::slice::from_ref(&q))?[0].len())
            })?;
            if scanned != groups {
                return Err(CliError::Bench("the rollups and the scan disagree"));
            }
            println!(
                "{:<44} {:>9.2} {:>9.2} {:>9.1} {:>7.0}× {:>8}",
                name,
                ms(p50),
                ms(p95),
                ms(s50),
                s50.as_secs_f64() / p50.as_secs_f64().max(1e-9),
                groups
            );
        } else {
            println!(
                "{:<44} {:>9.2} {:>9.2} {:>9} {:>8} {:>8}",
                name,
                ms(p50),
                ms(p95),
                "",
                "",
                groups
            );
        }
    }
    Ok(())
}

/// Statistics as the page reads it (`Db::statistics`) for the year up to the latest
/// row, in Africa/Casablanca, all merchants: unfiltered (rollups only), then with a
/// card brand (the other splits from one scan of the column store; the country
/// splits refused past 200,000 rows), and for one merchant and a month.
fn statistics_as_served(db: &Db, latest: i64) -> Result<(), CliError> {
    use crate::domain::stats::{RawStats, parse};
    use crate::domain::zone::Zone;
    let zone = Zone::default();
    let Some(today) = zone.date_of(latest) else {
        return Ok(());
    };
    let first = db.merchants(Scope::Admin)?.first().map(|m| m.id);
    let year_ago = today - time::Duration::days(364);
    let month_ago = today - time::Duration::days(29);
    println!(
        "\n{:<44} {:>9} {:>9}",
        "Statistics page as served (Casablanca)", "p50 ms", "p95 ms"
    );
    let cases = [
        ("year by week, all merchants", year_ago, "", None),
        (
            "year by week, all merchants, brand visa",
            year_ago,
            "visa",
            None,
        ),
        ("30 days by day, first merchant", month_ago, "", first),
        (
            "30 days by day, first merchant, visa",
            month_ago,
            "visa",
            first,
        ),
    ];
    for (name, from, brand, merchant) in cases {
        let raw = RawStats {
            from: from.to_string(),
            to: today.to_string(),
            brand: brand.into(),
            ..RawStats::default()
        };
        let Ok(q) = parse(&raw, today, &zone) else {
            return Err(CliError::Bench("statistics query"));
        };
        let (p50, p95, _) = time(10, || {
            db.statistics(Scope::Admin, merchant, &q)?;
            Ok(0)
        })?;
        println!("{:<44} {:>9.2} {:>9.2}", name, ms(p50), ms(p95));
    }
    Ok(())
}
