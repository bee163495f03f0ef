//! The fraud part of `guichet bench` (issue 12): what the checks cost a payment with
//! 100,000 blacklist entries of every kind (on a scratch data file, so the bench file
//! keeps its own list), and a velocity check with the bench file's counters.

use std::time::Instant;

use super::CliError;
use super::bench::{ms, percentile};
use crate::db::blacklist::NewEntry;
use crate::db::{Db, Scope};
use crate::domain::actor::Actor;
use crate::domain::blacklist::{Candidate, Kind, parse_value};
use crate::domain::fraud::Subject;

/// Entries on the scratch list.
const ENTRIES: u64 = 100_000;

fn entry(i: u64) -> Option<NewEntry> {
    let (kind, raw) = match i % 4 {
        0 => (Kind::Email, format!("fraud{i}@example.net")),
        1 => (Kind::Ip, format!("10.{}.{}.0/24", (i >> 8) & 255, i & 255)),
        2 => (Kind::Name, format!("Porteur Suspect {i}")),
        _ => (Kind::Card, format!("tok-{i:016x}")),
    };
    let (key, shown) = match kind {
        Kind::Card => (raw.clone(), format!("411111XXXXXX{:04}", i % 10_000)),
        _ => parse_value(kind, &raw).ok()?,
    };
    Some(NewEntry {
        kind,
        key,
        shown,
        merchant_id: i.is_multiple_of(3).then_some(1 + i % 12),
        reason: "bench".into(),
    })
}

/// Prints the blacklist lookup and velocity check times.
pub fn run(db: &Db) -> Result<(), CliError> {
    let dir = tempfile::tempdir()?;
    let scratch = Db::open(&dir.path().join("fraud.redb"))?;
    let actor = Actor::new(0, "bench", "local");
    let t = Instant::now();
    // Each add is audited; the bench's 100,000 lines stay out of the log.
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
        let wtx = scratch.begin_write()?;
        for i in 0..ENTRIES {
            if let Some(e) = entry(i) {
                crate::db::blacklist::add_in(&wtx, scratch.audit_key(), e, &actor)?;
            }
        }
        wtx.commit()
    })?;
    println!(
        "\nfraud checks ({} blacklist entries, written in {:.1} s)   p50 ms     p95 ms     p99 ms",
        scratch.blacklist_len()?,
        t.elapsed().as_secs_f64()
    );
    // Payments that match nothing (the usual case) and payments that match an IP range.
    let mut misses = Vec::new();
    let mut hits = Vec::new();
    let mut found = 0;
    for i in 0..5_000u64 {
        let email = format!("client{i}@example.ma");
        let token = format!("tok-x{i}");
        let ip = format!("196.200.{}.{}", i % 250, 1 + i % 200);
        let holder = format!("Client Normal {i}");
        // Entry `k` lists the range 10.x.y.0/24 (for its merchant, or for all).
        let k = 4 * i + 1;
        let listed_ip = format!("10.{}.{}.7", (k >> 8) & 255, k & 255);
        for (out, ip, merchant) in [
            (&mut misses, &ip, 1 + i % 12),
            (&mut hits, &listed_ip, 1 + k % 12),
        ] {
            let c = Candidate {
                merchant_id: merchant,
                card_token: Some(&token),
                email: &email,
                ip,
                holder: &holder,
            };
            let t = Instant::now();
            found += scratch.blacklist_hits(&c)?.len();
            out.push(t.elapsed());
        }
    }
    for (name, samples) in [
        ("blacklist lookup, no match", &mut misses),
        ("blacklist lookup, IP in a listed range", &mut hits),
    ] {
        samples.sort();
        println!(
            "{:<52} {:>9.3} {:>9.3} {:>9.3}",
            name,
            ms(percentile(samples, 0.5)),
            ms(percentile(samples, 0.95)),
            ms(percentile(samples, 0.99))
        );
    }
    if found < 5_000 {
        return Err(CliError::Bench("a listed IP range was not found"));
    }
    // Velocity: the merchant's rules and the counts of a recent payment's card, email,
    // IP and holder, on the bench file.
    let recent = db.latest_transactions(Scope::Admin, 200)?;
    let mut samples = Vec::new();
    for tx in &recent {
        let subject = Subject::of(tx);
        let t = Instant::now();
        db.velocity_check(tx.merchant_id, &subject, tx.at)?;
        samples.push(t.elapsed());
    }
    samples.sort();
    println!(
        "{:<52} {:>9.3} {:>9.3} {:>9.3}",
        "velocity check (4 keys), the bench file's counters",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95)),
        ms(percentile(&samples, 0.99))
    );
    Ok(())
}
