//! `guichet bench --only payments` (issue 15): durable payments through the gateway
//! with 1, 8 and 32 concurrent clients, each write grouped into shared durable
//! commits or committed durably alone (as before), on this disk and with a 2 ms
//! pause in every durable commit (a slow disk's fsync). Printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::CliError;
use super::bench::{ms, percentile};
use crate::db::{Db, GroupCommit};

/// Payments per client, by number of clients: enough for a stable p99.
fn per_client(clients: usize) -> usize {
    match clients {
        1 => 500,
        8 => 250,
        _ => 100,
    }
}

/// A Luhn-valid Visa number the simulator accepts without a challenge, one per `n`
/// (every payment its own card: no velocity lock shared by design).
fn card_number(n: u64) -> String {
    let body = format!("4970{:011}", n % 100_000_000_000);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Prints the table: grouped and alone, without and with the 2 ms pause.
pub(super) fn run() -> Result<(), CliError> {
    println!(
        "\n{:<44} {:>8} {:>8} {:>8} {:>10} {:>9} {:>11}",
        "durable payments, N clients (issue 15)",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "per second",
        "commits",
        "CPU µs/pay"
    );
    // `GUICHET_BENCH_ONLY=8,group` (clients, "group"/"alone", "slow"): one line of
    // the table, for a profiler.
    let only = std::env::var("GUICHET_BENCH_ONLY").unwrap_or_default();
    let wanted = |clients: usize, enabled: bool, delay: Duration| {
        only.is_empty()
            || only.split(',').all(|w| match w {
                "group" => enabled,
                "alone" => !enabled,
                "slow" => !delay.is_zero(),
                "fast" => delay.is_zero(),
                n => n.parse() == Ok(clients),
            })
    };
    for delay in [Duration::ZERO, Duration::from_millis(2)] {
        for enabled in [false, true] {
            for clients in [1, 8, 32] {
                if !wanted(clients, enabled, delay) {
                    continue;
                }
                let mut c = GroupCommit {
                    enabled,
                    fsync_delay: delay,
                    ..GroupCommit::default()
                };
                // Bench knob: `GUICHET_BENCH_LINGER_US` (default: GroupCommit's).
                if let Some(us) = std::env::var("GUICHET_BENCH_LINGER_US")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    c.linger = Duration::from_micros(us);
                }
                let r = clients_run(c, clients)?;
                println!(
                    "{:<44} {:>8.2} {:>8.2} {:>8.2} {:>10.0} {:>9} {:>11}",
                    format!(
                        "{} clients, {}{}",
                        clients,
                        if enabled {
                            "group commit"
                        } else {
                            "one commit each"
                        },
                        if delay.is_zero() { "" } else { ", fsync +2 ms" }
                    ),
                    ms(percentile(&r.latencies, 0.50)),
                    ms(percentile(&r.latencies, 0.95)),
                    ms(percentile(&r.latencies, 0.99)),
                    r.per_second,
                    r.commits,
                    r.cpu_per_payment
                        .map_or("-".to_string(), |d| d.as_micros().to_string())
                );
            }
        }
    }
    Ok(())
}

struct Figures {
    latencies: Vec<Duration>,
    per_second: f64,
    /// Durable commits for the payments (each makes two writes: pending, then rows).
    commits: u64,
    /// The process's CPU time (user + system, every thread) per payment: what the
    /// figures would be on idle cores, whatever else the machine runs.
    cpu_per_payment: Option<Duration>,
}

/// `clients` threads paying requests created beforehand, each with its own card,
/// email and IP, on a fresh data file with the fraud rules off.
fn clients_run(c: GroupCommit, clients: usize) -> Result<Figures, CliError> {
    use crate::domain::card_form::CardForm;
    use crate::domain::payment::RequestForm;
    let dir = tempfile::tempdir()?;
    let db = Db::open(&dir.path().join("group.redb"))?;
    let m = super::bench::add_merchant(&db, "Bench", Vec::new())?;
    super::bench::limits_off(&db, m.id)?;
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
    let gateway = super::bench::simulated_gateway(&db, clock.clone())?;
    let today = clock.now().date();
    let n = per_client(clients);
    // The requests first (not timed): the figures are the payments'.
    let mut work: Vec<Vec<(String, u64)>> = Vec::new();
    let mut k = 0u64;
    for _ in 0..clients {
        let mut mine = Vec::new();
        for _ in 0..n {
            k += 1;
            let form = RequestForm {
                order_id: format!("G-{k}"),
                amount: "100".into(),
                currency: "MAD".into(),
                name: "Bench".into(),
                email: format!("client{k}@example.ma"),
                ..RequestForm::default()
            };
            let input = form
                .parse(today, crate::domain::Lang::Fr)
                .map_err(|_| CliError::Bench("form"))?;
            let req = gateway
                .create_request(input, m.id, 0, "bench", false)?
                .request;
            mine.push((req.token, k));
        }
        work.push(mine);
    }
    db.set_group_commit(c);
    let commits = db.durable_commits();
    let cpu = process_cpu();
    let t = Instant::now();
    let threads: Vec<_> = work
        .into_iter()
        .map(|mine| {
            let g = gateway.clone();
            std::thread::spawn(move || -> Result<Vec<Duration>, CliError> {
                let mut lat = Vec::with_capacity(mine.len());
                for (token, k) in mine {
                    let card = CardForm {
                        holder: format!("Client {k}"),
                        number: card_number(k),
                        expiry: "12/39".into(),
                        cvv: "123".into(),
                        ..CardForm::default()
                    };
                    let details = card.parse(today).map_err(|_| CliError::Bench("card"))?;
                    let ip = format!("196.200.{}.{}", (k / 250) % 250, 1 + k % 250);
                    let s = Instant::now();
                    let start = g.pay(&token, details, "", &ip)?;
                    lat.push(s.elapsed());
                    let crate::gateway::Start::Answer(crate::gateway::Answer::Result(_)) = start
                    else {
                        return Err(CliError::Bench("payment not written"));
                    };
                }
                Ok(lat)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for th in threads {
        latencies.extend(th.join().map_err(|_| CliError::Bench("thread"))??);
    }
    let per_second = latencies.len() as f64 / t.elapsed().as_secs_f64();
    let payments = u32::try_from(latencies.len()).unwrap_or(u32::MAX).max(1);
    let cpu_per_payment = cpu
        .zip(process_cpu())
        .map(|(before, after)| after.saturating_sub(before) / payments);
    latencies.sort();
    Ok(Figures {
        latencies,
        per_second,
        commits: db.durable_commits() - commits,
        cpu_per_payment,
    })
}

/// This process's CPU time so far (Linux: `/proc/self/stat`, in clock ticks of
/// 10 ms); `None` elsewhere.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bench_cards_are_luhn_valid_and_distinct() {
        let a = super::card_number(1);
        let b = super::card_number(2);
        assert_ne!(a, b);
        for n in [a, b] {
            assert_eq!(n.len(), 16);
            assert!(crate::domain::card::luhn_valid(&n), "{n}");
        }
    }
}
