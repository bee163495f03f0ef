//! The fraud part of `guichet bench` (issue 12): what the checks cost a payment with
//! 100,000 blacklist entries of every kind and a million velocity events, every rule
//! on (on a scratch data file, so the bench file keeps its own list and counters),
//! and a backtest of the bench file's busiest merchant over 30 days.

use std::time::{Duration, Instant};

use super::CliError;
use super::bench::{ms, percentile};
use crate::db::blacklist::NewEntry;
use crate::db::{Db, Scope};
use crate::domain::actor::Actor;
use crate::domain::blacklist::{Candidate, Kind, parse_value};
use crate::domain::codes::ResultCode;
use crate::domain::fraud::{KeyKind, MAX_LIMIT, MerchantRules, Subject, Unit, Window};
use crate::domain::geo::ip_country;
use crate::domain::location::{CountryRule, ListMode, LocationRules, evaluate};
use crate::domain::transaction::{Operation, Transaction};

/// Entries on the scratch list.
const ENTRIES: u64 = 100_000;
/// Synthetic past payments on the scratch file (4 velocity events each).
const PAST_PAYMENTS: u64 = 250_000;

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

/// Lists 100,000 entries of every kind (a third for one of 12 merchants) in `db`, in
/// one write, their audit lines kept out of the log. Returns the seconds it took.
pub(super) fn fill_blacklist(db: &Db) -> Result<f64, CliError> {
    let actor = Actor::new(0, "bench", "local");
    let t = Instant::now();
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
        let wtx = db.begin_write()?;
        for i in 0..ENTRIES {
            if let Some(e) = entry(i) {
                crate::db::blacklist::add_in(&wtx, db.audit_key(), e, &actor)?;
            }
        }
        wtx.commit()
    })?;
    Ok(t.elapsed().as_secs_f64())
}

/// Every rule on, none that a bench payment breaks: the four velocity keys limited
/// (10,000 per key, windows from 24 hours to 90 days, so a busy key has thousands of
/// events to count), a card country allow-list and an IP country deny-list.
pub(super) fn all_rules() -> (MerchantRules, LocationRules) {
    let mut rules = MerchantRules::default();
    for (kind, window) in [
        (KeyKind::Card, Window::new(90, Unit::Days)),
        (KeyKind::Email, Window::new(30, Unit::Days)),
        (KeyKind::Ip, Window::new(24, Unit::Hours)),
        (KeyKind::Holder, Window::new(7, Unit::Days)),
    ] {
        let l = match kind {
            KeyKind::Card => &mut rules.card,
            KeyKind::Email => &mut rules.email,
            KeyKind::Ip => &mut rules.ip,
            KeyKind::Holder => &mut rules.holder,
        };
        l.max_accepted = Some(MAX_LIMIT);
        l.max_refused = Some(MAX_LIMIT);
        l.window = window;
    }
    let list = |mode, c: &[&str]| CountryRule {
        mode,
        countries: c.iter().map(|c| c.to_string()).collect(),
    };
    let location = LocationRules {
        card: list(ListMode::Allow, &["FR", "MA", "US"]),
        ip: list(ListMode::Deny, &["KP", "RU"]),
    };
    (rules, location)
}

/// Who the `i`th synthetic payment comes from: 50,000 cards, emails and holders,
/// 62,500 IP addresses, and one card in a hundred the same busy card.
fn subject(i: u64) -> Subject {
    let n = i % 50_000;
    Subject {
        card_token: if i.is_multiple_of(100) {
            "tok-busy".into()
        } else {
            format!("tok-v{n}")
        },
        holder: format!("Client Normal {n}"),
        email: format!("client{n}@example.ma"),
        ip: format!("196.200.{}.{}", (i / 250) % 250, 1 + i % 250),
    }
}

/// Writes the velocity events of `PAST_PAYMENTS` payments of merchant `m` spread over
/// the 90 days before `now` (one in five refused) into `db`, in one write.
fn fill_velocity(db: &Db, template: &Transaction, m: u64, now: i64) -> Result<(), CliError> {
    let step = crate::domain::fraud::MAX_WINDOW_SECONDS / PAST_PAYMENTS as i64;
    let rows: Vec<Transaction> = (0..PAST_PAYMENTS)
        .map(|i| {
            let s = subject(i);
            let mut tx = template.clone();
            tx.id = i + 1;
            tx.at = now - crate::domain::fraud::MAX_WINDOW_SECONDS + step * i as i64;
            tx.merchant_id = m;
            tx.operation = Operation::Sale;
            tx.code = if i.is_multiple_of(5) {
                ResultCode::ISSUER_REFUSED
            } else {
                ResultCode::ACCEPTED
            };
            if let Some(c) = tx.card.as_mut() {
                c.token = s.card_token;
                c.holder = s.holder;
            }
            tx.buyer.email = s.email;
            tx.initiator.ip = s.ip;
            tx
        })
        .collect();
    let mut wtx = db.begin_write()?;
    wtx.set_not_durable()?;
    crate::db::velocity::add_in(&wtx, &db.velocity_key(), &rows)?;
    wtx.commit()?;
    Ok(())
}

fn line(name: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "{:<52} {:>9.3} {:>9.3} {:>9.3}",
        name,
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.95)),
        ms(percentile(samples, 0.99))
    );
}

/// Prints the blacklist, location and velocity check times, all rules together, and
/// the backtest of the bench file's busiest merchant. With `reads_only` the bench
/// file is not written: its counters are filled from its rows only without it.
pub fn run(db: &Db, reads_only: bool) -> Result<(), CliError> {
    let dir = tempfile::tempdir()?;
    let scratch = Db::open(&dir.path().join("fraud.redb"))?;
    let seconds = fill_blacklist(&scratch)?;
    let m = super::bench::add_merchant(&scratch, "Bench", Vec::new())?.id;
    let (rules, location) = all_rules();
    scratch.set_restrictions(m, &rules, &location, &Actor::new(0, "bench", "local"))?;
    let latest = db.latest_transactions(Scope::Admin, 2_000)?;
    let template = latest
        .iter()
        .find(|t| t.card.is_some())
        .ok_or(CliError::Bench("the bench file has no card payment"))?;
    let now = template.at;
    let t = Instant::now();
    fill_velocity(&scratch, template, m, now)?;
    println!(
        "\nfraud checks ({} blacklist entries in {:.1} s; {} velocity events in {:.1} s)",
        scratch.blacklist_len()?,
        seconds,
        scratch.velocity_event_count()?,
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<52} {:>9} {:>9} {:>9}",
        "every rule on, per payment", "p50 ms", "p95 ms", "p99 ms"
    );
    let (mut misses, mut hits, mut places, mut counts, mut all) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut found = 0;
    for i in 0..5_000u64 {
        // A customer seen before (every 7th the busy card), from a Moroccan address.
        let s = subject(i * 7);
        // Entry `k` lists the range 10.x.y.0/24 (for its merchant, or for all).
        let k = 4 * i + 1;
        let listed_ip = format!("10.{}.{}.7", (k >> 8) & 255, k & 255);
        let candidate = |ip, merchant_id| Candidate {
            merchant_id,
            card_token: Some(&s.card_token),
            email: &s.email,
            ip,
            holder: &s.holder,
        };
        let t = Instant::now();
        found += scratch
            .blacklist_hits(&candidate(&listed_ip, 1 + k % 12))?
            .len();
        hits.push(t.elapsed());
        let start = Instant::now();
        if !scratch.blacklist_hits(&candidate(&s.ip, m))?.is_empty() {
            return Err(CliError::Bench("an unlisted customer was found listed"));
        }
        misses.push(start.elapsed());
        let t = Instant::now();
        let l = scratch.location_rules(m)?;
        if evaluate(&l, Some("MA"), ip_country(&s.ip), true).is_some() {
            return Err(CliError::Bench("a Moroccan payment was refused by country"));
        }
        places.push(t.elapsed());
        let t = Instant::now();
        if scratch.velocity_check(m, &s, now)?.1.is_some() {
            return Err(CliError::Bench("a velocity limit fired"));
        }
        counts.push(t.elapsed());
        all.push(start.elapsed());
    }
    if found < 5_000 {
        return Err(CliError::Bench("a listed IP range was not found"));
    }
    line("blacklist lookup, no match", &mut misses);
    line("blacklist lookup, IP in a listed range", &mut hits);
    line(
        "location lists (rules read, IP country looked up)",
        &mut places,
    );
    line("velocity check (4 keys, 1M events)", &mut counts);
    line("all rules: blacklist + location + velocity", &mut all);
    backtest(db, &latest, reads_only)
}

/// The backtest of the merchant with the most of the bench file's latest payments,
/// every rule on, over the 30 days before its newest transaction.
fn backtest(db: &Db, latest: &[Transaction], reads_only: bool) -> Result<(), CliError> {
    let Some(now) = latest.first().map(|t| t.at) else {
        return Ok(());
    };
    if db.velocity_event_count()? == 0 {
        if reads_only {
            println!(
                "(the bench file has no velocity counters: run `guichet bench` without --reads-only once to fill them)"
            );
        } else {
            let t = Instant::now();
            let rows = db.fill_velocity_events(now)?;
            println!(
                "velocity counters filled from the bench file's last 90 days: {rows} rows in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
    let mut per: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for t in latest {
        *per.entry(t.merchant_id).or_default() += 1;
    }
    let Some((&busiest, _)) = per.iter().max_by_key(|(_, n)| **n) else {
        return Ok(());
    };
    let (rules, location) = all_rules();
    let mut samples = Vec::new();
    let mut result = None;
    for _ in 0..3 {
        let t = Instant::now();
        result = Some(db.backtest(busiest, &rules, &location, now)?);
        samples.push(t.elapsed());
    }
    samples.sort();
    let r = result.unwrap_or_default();
    println!(
        "{:<52} {:>9.0} {:>9} {:>9}",
        format!(
            "backtest, 30 days of merchant {busiest} ({} payments, {} refused), ms",
            r.payments,
            r.refused.len()
        ),
        ms(samples[1]),
        "",
        ""
    );
    Ok(())
}
