//! `guichet bench --only backup`: a backup of the bench file while 8 clients pay.
//! The bench file is first copied (itself a backup, timed idle) to a temporary live
//! file beside it, which takes the payments, so the bench file is left as it was.
//! Printed, never asserted.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::CliError;
use super::bench::{ms, percentile};
use crate::backup::{Encryption, Passphrase};
use crate::db::Db;
use crate::domain::backup::BackupReport;
use crate::gateway::Gateway;

const CLIENTS: u64 = 8;

pub(super) fn run(source: &Db) -> Result<(), CliError> {
    let data = source.path();
    let dir = tempfile::Builder::new()
        .prefix(".bench-backup-")
        .tempdir_in(
            data.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )?;
    let live = dir.path().join("live.redb");
    let t = Instant::now();
    let rows = source.copy_to(&live)?;
    let idle = t.elapsed();
    crate::keys::save(&live.with_extension("keys"), source.keys())
        .map_err(crate::db::Error::from)?;
    println!(
        "\nbackup of {} ({} transactions, {} rows): copy alone, idle, {:.1} s, {:.0} MB",
        data.display(),
        rows.get("transactions").copied().unwrap_or(0),
        rows.values().sum::<u64>(),
        idle.as_secs_f64(),
        std::fs::metadata(&live).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    let db = Db::open(&live)?;
    let (gateway, merchant) = paying_gateway(&db)?;
    println!(
        "{:<36} {:>8} {:>9} {:>11} {:>8} {:>8} {:>8}",
        format!("{CLIENTS} clients paying"),
        "seconds",
        "MB",
        "rows",
        "pay/s",
        "p50 ms",
        "p99 ms"
    );
    let line = |name: &str, secs: f64, report: Option<&BackupReport>, lat: &mut Vec<Duration>| {
        lat.sort();
        let (mb, rows) = report.map_or((String::new(), String::new()), |r| {
            (
                format!("{:.0}", r.size as f64 / 1e6),
                r.rows.values().sum::<u64>().to_string(),
            )
        });
        let (p50, p99) = if lat.is_empty() {
            (0.0, 0.0)
        } else {
            (ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
        };
        println!(
            "{name:<36} {secs:>8.1} {mb:>9} {rows:>11} {:>8.0} {p50:>8.2} {p99:>8.2}",
            lat.len() as f64 / secs
        );
    };
    // Payments alone, for comparison.
    let (secs, mut lat, _) = while_paying(&gateway, merchant, || {
        std::thread::sleep(Duration::from_secs(5));
        Ok(None::<BackupReport>)
    })?;
    line("payments alone", secs, None, &mut lat);
    let pass = Passphrase::new("bench passphrase, not a secret").map_err(CliError::Usage)?;
    for (name, file, encryption) in [
        ("during a backup", "plain.redb", Encryption::None),
        (
            "during an encrypted backup",
            "sealed.redb.age",
            Encryption::Passphrase(pass),
        ),
    ] {
        let dest = dir.path().join(file);
        let (secs, mut lat, report) = while_paying(&gateway, merchant, || {
            let at = time::OffsetDateTime::now_utc().unix_timestamp();
            Ok(Some(crate::backup::make(&db, &dest, &encryption, at)?))
        })?;
        line(name, secs, report.as_ref(), &mut lat);
        if let Some(r) = &report {
            println!(
                "{:<36} copy {:.1} s ({:.0} MB), checks {:.1} s: {}; {} transactions in it, {} in flight",
                "",
                r.copy_ms as f64 / 1000.0,
                r.data_size as f64 / 1e6,
                r.check_ms as f64 / 1000.0,
                if r.passed() { "passed" } else { "FAILED" },
                r.transactions(),
                r.in_flight.len()
            );
        }
        if let Encryption::Passphrase(p) = &encryption {
            let restored = dir.path().join("restored.redb");
            let t = Instant::now();
            let r = crate::backup::restore(&crate::backup::RestoreOptions {
                from: dest.clone(),
                data: restored.clone(),
                key_file: Some(dir.path().join("restored.keys")),
                passphrase: Some(p.clone()),
                ..Default::default()
            })?;
            println!(
                "{:<36} restored (decrypted, checked, rows equal to its report) in {:.1} s: {} transactions",
                "",
                t.elapsed().as_secs_f64(),
                r.check.transactions
            );
            let _ = std::fs::remove_file(&restored);
        }
        let _ = std::fs::remove_file(&dest);
    }
    Ok(())
}

/// A gateway on the live copy with a merchant whose fraud limits are off.
fn paying_gateway(db: &Db) -> Result<(Arc<Gateway>, u64), CliError> {
    let m = super::bench::add_merchant(db, "Bench backup", Vec::new())?;
    super::bench::limits_off(db, m.id)?;
    let gateway = super::bench::simulated_gateway(db, Arc::new(crate::clock::SystemClock))?;
    Ok((gateway, m.id))
}

/// Runs `work` while `CLIENTS` threads pay; returns its seconds, the latencies of
/// the payments made meanwhile, and what it returned.
fn while_paying<T>(
    gateway: &Arc<Gateway>,
    merchant: u64,
    work: impl FnOnce() -> Result<Option<T>, CliError>,
) -> Result<(f64, Vec<Duration>, Option<T>), CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (g, stop, counter) = (gateway.clone(), stop.clone(), counter.clone());
            std::thread::spawn(move || pay_until(&g, merchant, &stop, &counter))
        })
        .collect();
    // Let the clients get going first.
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let out = work();
    let secs = started.elapsed().as_secs_f64();
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for th in threads {
        let samples = th.join().map_err(|_| CliError::Bench("thread"))??;
        lat.extend(
            samples
                .into_iter()
                .filter(|(at, _)| *at >= started && *at <= ended)
                .map(|(_, d)| d),
        );
    }
    Ok((secs, lat, out?))
}

/// Pays new requests one after the other until `stop`: (start, latency) of each.
fn pay_until(
    g: &Gateway,
    merchant: u64,
    stop: &AtomicBool,
    counter: &AtomicU64,
) -> Result<Vec<(Instant, Duration)>, CliError> {
    use crate::domain::card_form::CardForm;
    use crate::domain::payment::RequestForm;
    let today = time::OffsetDateTime::now_utc().date();
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let form = RequestForm {
            order_id: format!("BB-{n}"),
            amount: "100".into(),
            currency: "MAD".into(),
            name: "Bench".into(),
            email: format!("client{n}@example.ma"),
            ..RequestForm::default()
        };
        let input = form
            .parse(today, crate::domain::Lang::Fr)
            .map_err(|_| CliError::Bench("form"))?;
        let req = g
            .create_request(input, merchant, 0, "bench", false)?
            .request;
        let card = CardForm {
            holder: format!("Client {n}"),
            number: "4111111111111111".into(),
            expiry: "12/39".into(),
            cvv: "123".into(),
            ..CardForm::default()
        };
        let details = card.parse(today).map_err(|_| CliError::Bench("card"))?;
        let ip = format!("196.200.{}.{}", (n / 250) % 250, 1 + n % 250);
        let t = Instant::now();
        g.pay(&req.token, details, "", &ip)?;
        out.push((t, t.elapsed()));
    }
    Ok(out)
}
