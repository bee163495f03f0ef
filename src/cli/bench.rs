//! `guichet bench`: figures on a generated data file, printed as tables (never
//! asserted). Searches are timed server-side (storage + rendering-free); exports
//! end to end over HTTP against an in-process server on 127.0.0.1.

use std::time::{Duration, Instant};

use super::CliError;
use crate::db::{Db, Scope};
use crate::domain::filter::{Filter, PageRequest, RawFilter, parse};
use crate::domain::user::Role;

/// One line of the search table.
struct Line {
    name: String,
    p50: Duration,
    p95: Duration,
    matched: u64,
}

pub(super) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn time_search(
    db: &Db,
    scope: Scope,
    f: &Filter,
    req: PageRequest,
    runs: usize,
) -> crate::db::Result<Line> {
    let mut samples = Vec::with_capacity(runs);
    let mut matched = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let page = db.search(scope, f, req)?;
        samples.push(t.elapsed());
        matched = page.total;
    }
    samples.sort();
    Ok(Line {
        name: String::new(),
        p50: percentile(&samples, 0.5),
        p95: percentile(&samples, 0.95),
        matched,
    })
}

fn filter(pairs: &[(&str, &str)], today: time::Date) -> Option<(Filter, PageRequest)> {
    let raw: RawFilter =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).ok()?).ok()?;
    // The bench times searches, not zones: its days are UTC days.
    parse(&raw, today, &crate::domain::zone::Zone::utc()).ok()
}

/// A named query: scope and query-string pairs.
type Case = (String, Scope, Vec<(String, String)>);

/// The query mix of the Processing issue, relative to the newest transaction's day.
fn cases(db: &Db, today: time::Date) -> crate::db::Result<Vec<Case>> {
    let merchants = db.merchants(Scope::Admin)?;
    let big = merchants.first().map_or(1, |m| m.id);
    let latest = db.latest_transactions(Scope::Admin, 1)?;
    let sample = latest.first();
    let last4 = sample
        .and_then(|t| t.card.as_ref())
        .map(|c| c.last4.clone())
        .unwrap_or_default();
    let email = sample.map(|t| t.buyer.email.clone()).unwrap_or_default();
    let order = sample.map(|t| t.sale.order_id.clone()).unwrap_or_default();
    let d30 = (today - time::Duration::days(30)).to_string();
    let year = (today - time::Duration::days(365)).to_string();
    let t = today.to_string();
    let m = big.to_string();
    let s = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    Ok(vec![
        (
            "page 1, default (today), admin".into(),
            Scope::Admin,
            s(&[]),
        ),
        (
            "page 1, merchant + 30 days".into(),
            Scope::Merchant(big),
            s(&[("from", &d30), ("to", &t)]),
        ),
        (
            "year, status=refused".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("status", "refused")]),
        ),
        (
            "year, operation=sale".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("operation", "sale")]),
        ),
        (
            "year, amount 100..500".into(),
            Scope::Admin,
            s(&[
                ("from", &year),
                ("to", &t),
                ("amount_min", "100"),
                ("amount_max", "500"),
            ]),
        ),
        (
            "year, merchant + code 051".into(),
            Scope::Admin,
            s(&[
                ("from", &year),
                ("to", &t),
                ("merchant", &m),
                ("code", "051"),
            ]),
        ),
        (
            "year, brand visa + status accepted".into(),
            Scope::Admin,
            s(&[
                ("from", &year),
                ("to", &t),
                ("brand", "visa"),
                ("status", "accepted"),
            ]),
        ),
        (
            "year, last4 (index)".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("last4", &last4)]),
        ),
        (
            "year, email (index)".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("email", &email)]),
        ),
        (
            "year, order id (index)".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("order", &order)]),
        ),
        (
            "year, holder prefix 'm' + refused".into(),
            Scope::Admin,
            s(&[
                ("from", &year),
                ("to", &t),
                ("holder", "m"),
                ("status", "refused"),
            ]),
        ),
        (
            "page 1000, year, all rows".into(),
            Scope::Admin,
            s(&[("from", &year), ("to", &t), ("page", "1000")]),
        ),
    ])
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the searches and the exports and prints both tables.
pub async fn run(
    data: &std::path::Path,
    key_file: Option<&std::path::Path>,
    reads_only: bool,
    only: Option<&str>,
) -> Result<(), CliError> {
    if only == Some("payments") {
        payment_bench()?;
        return super::bench_group::run();
    }
    if only == Some("api") {
        return super::bench_api::run().await;
    }
    let db = super::open_data(data, key_file, crate::db::CACHE_BYTES)?;
    if only == Some("fraud") {
        return super::bench_fraud::run(&db, reads_only);
    }
    if only == Some("backup") {
        return super::bench_backup::run(&db);
    }
    let n = db.transaction_count()?;
    let t = Instant::now();
    let today = db
        .latest_transactions(Scope::Admin, 1)?
        .first()
        .map_or_else(
            || time::OffsetDateTime::now_utc().date(),
            |t| t.created_at().date(),
        );
    db.search(
        Scope::Admin,
        &filter(&[], today).ok_or(CliError::Bench("filter"))?.0,
        PageRequest {
            page: 1,
            per_page: 10,
        },
    )?;
    println!(
        "{n} transactions in {}; column store loaded in {:.2} s, RSS {} MB\n",
        data.display(),
        t.elapsed().as_secs_f64(),
        rss_kb() / 1024
    );
    println!(
        "{:<40} {:>10} {:>10} {:>12}",
        "query (server-side, warm)", "p50 ms", "p95 ms", "rows matched"
    );
    for (name, scope, pairs) in cases(&db, today)? {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let Some((f, req)) = filter(&refs, today) else {
            continue;
        };
        let mut line = time_search(&db, scope, &f, req, 30)?;
        line.name = name;
        println!(
            "{:<40} {:>10.2} {:>10.2} {:>12}",
            line.name,
            ms(line.p50),
            ms(line.p95),
            line.matched
        );
    }
    open_authorizations_bench(&db)?;
    super::bench_rollups::run(&db)?;
    super::bench_fraud::run(&db, reads_only)?;
    if reads_only {
        return Ok(());
    }
    export_bench(db.clone(), today).await?;
    payment_bench()?;
    super::bench_group::run()?;
    super::bench_api::run().await?;
    // The backup copies the file three times: the 1M file only (`--only backup`
    // for a bigger one, with the disk for it).
    if n <= 2_000_000 {
        super::bench_backup::run(&db)
    } else {
        println!("\nbackup: skipped on {n} rows (run `guichet bench --only backup`)");
        Ok(())
    }
}

/// Authorizations to capture as of the newest transaction: the count with the first
/// 500 rows (the page), for every merchant and for the first one.
fn open_authorizations_bench(db: &Db) -> Result<(), CliError> {
    let now = db
        .latest_transactions(Scope::Admin, 1)?
        .first()
        .map_or(0, |t| t.at);
    let big = db.merchants(Scope::Admin)?.first().map(|m| m.id);
    println!(
        "\n{:<40} {:>10} {:>10} {:>12}",
        "authorizations to capture (first 500)", "p50 ms", "p95 ms", "open"
    );
    for (name, merchant) in [
        ("admin, every merchant", None),
        ("admin, first merchant", big),
    ] {
        let mut samples = Vec::with_capacity(30);
        let mut open = 0;
        for _ in 0..30 {
            let t = Instant::now();
            open = db
                .open_authorizations_first(Scope::Admin, merchant, now, 500)?
                .0;
            samples.push(t.elapsed());
        }
        samples.sort();
        println!(
            "{:<40} {:>10.2} {:>10.2} {:>12}",
            name,
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            open
        );
    }
    Ok(())
}

/// Payments and refunds through the gateway, first with the fraud rules off, then
/// with every rule on and 100,000 blacklist entries (issue 12: within 10 %).
fn payment_bench() -> Result<(), CliError> {
    println!(
        "\n{:<40} {:>10} {:>10} {:>12}",
        "payments (durable writes)", "p50 ms", "p95 ms", "per second"
    );
    let (off_one, off_eight) = payment_run(false)?;
    let (on_one, on_eight) = payment_run(true)?;
    println!(
        "every rule on vs off: one at a time {:+.1} %, 8 threads {:+.1} %",
        (on_one / off_one - 1.0) * 100.0,
        (on_eight / off_eight - 1.0) * 100.0
    );
    Ok(())
}

/// Who changes settings in the benches (audited like anyone).
pub(super) fn bench_actor() -> crate::domain::actor::Actor {
    crate::domain::actor::Actor::new(0, "bench", "local")
}

/// Adds merchant `name` with `terminals` to a bench's data file.
pub(super) fn add_merchant(
    db: &Db,
    name: &str,
    terminals: Vec<crate::domain::merchant::Terminal>,
) -> Result<crate::domain::user::Merchant, CliError> {
    let wtx = db.begin_write()?;
    let m = crate::db::merchants::insert(
        &wtx,
        crate::domain::user::Merchant {
            name: name.into(),
            terminals,
            ..Default::default()
        },
    )?;
    wtx.commit()?;
    Ok(m)
}

/// Turns merchant `id`'s velocity limits off: a bench's payments (many on one card,
/// email or address) would meet them where a shop's varied customers never do.
pub(super) fn limits_off(db: &Db, id: u64) -> Result<(), CliError> {
    let mut rules = crate::domain::fraud::MerchantRules::default();
    for l in [
        &mut rules.card,
        &mut rules.email,
        &mut rules.ip,
        &mut rules.holder,
    ] {
        l.max_accepted = None;
        l.max_refused = None;
    }
    db.set_fraud_rules(id, &rules, &bench_actor())?;
    Ok(())
}

/// A gateway on `db` paying through the card simulator.
pub(super) fn simulated_gateway(
    db: &Db,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<std::sync::Arc<crate::gateway::Gateway>, CliError> {
    Ok(std::sync::Arc::new(crate::gateway::Gateway::new(
        db.clone(),
        clock,
        std::sync::Arc::new(crate::acquirer::Simulator::default()),
        "http://127.0.0.1".into(),
        3,
        // Nobody sends these: no "waits in the outbox" warning per payment.
        true,
    )?))
}

/// Payments and refunds through the gateway on a fresh temporary data file: every one
/// is a durable (fsync'd) write with its rows, indexes, rollups and journal. Returns
/// the payments per second one at a time and with 8 threads.
fn payment_run(rules_on: bool) -> Result<(f64, f64), CliError> {
    use crate::domain::card_form::CardForm;
    use crate::domain::payment::RequestForm;
    let dir = tempfile::tempdir()?;
    let db = Db::open(&dir.path().join("pay.redb"))?;
    let m = add_merchant(&db, "Bench", Vec::new())?;
    let suffix = if rules_on {
        let (rules, location) = super::bench_fraud::all_rules();
        db.set_restrictions(m.id, &rules, &location, &bench_actor())?;
        super::bench_fraud::fill_blacklist(&db)?;
        ", rules on"
    } else {
        limits_off(&db, m.id)?;
        ", rules off"
    };
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let gateway = simulated_gateway(&db, clock.clone())?;
    let today = clock.now().date();
    let form = RequestForm {
        order_id: "B-1".into(),
        amount: "100".into(),
        currency: "MAD".into(),
        name: "Bench".into(),
        email: "bench@example.ma".into(),
        ..RequestForm::default()
    };
    let card = CardForm {
        holder: "Bench".into(),
        number: "4111111111111111".into(),
        expiry: "12/39".into(),
        cvv: "123".into(),
        ..CardForm::default()
    };
    let merchant_id = m.id;
    // Each payment from its own customer (email, holder, address), as in a shop;
    // the one accepted test card pays them all, so its key counts every payment:
    // the velocity check's worst case.
    let customer = std::sync::atomic::AtomicU64::new(0);
    let one = move |g: &crate::gateway::Gateway| -> Result<(Duration, u64), CliError> {
        let n = customer.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut form = form.clone();
        form.email = format!("client{n}@example.ma");
        let input = form
            .parse(today, crate::domain::Lang::Fr)
            .map_err(|_| CliError::Bench("form"))?;
        let req = g
            .create_request(input, merchant_id, 0, "bench", false)?
            .request;
        let mut card = card.clone();
        card.holder = format!("Client {n}");
        let details = card.parse(today).map_err(|_| CliError::Bench("card"))?;
        let ip = format!("196.200.{}.{}", (n / 250) % 250, 1 + n % 250);
        let t = Instant::now();
        let start = g.pay(&req.token, details, "", &ip)?;
        let crate::gateway::Start::Answer(crate::gateway::Answer::Result(tx)) = start else {
            return Err(CliError::Bench("payment not written"));
        };
        Ok((t.elapsed(), tx))
    };
    let n = 300;
    let t = Instant::now();
    let mut lat = Vec::new();
    let mut sales = Vec::new();
    for _ in 0..n {
        let (d, tx) = one(&gateway)?;
        lat.push(d);
        sales.push(tx);
    }
    let total = t.elapsed();
    lat.sort();
    println!(
        "{:<40} {:>10.2} {:>10.2} {:>12.0}",
        format!("pay now, one at a time{suffix}"),
        ms(lat[n / 2]),
        ms(lat[n * 95 / 100]),
        n as f64 / total.as_secs_f64()
    );
    let one_at_a_time = n as f64 / total.as_secs_f64();
    let amount =
        crate::domain::money::Amount::from_minor(5_000).ok_or(CliError::Bench("amount"))?;
    let mut lat = Vec::new();
    let t = Instant::now();
    for id in &sales {
        let s = Instant::now();
        gateway.operate(
            Scope::Admin,
            *id,
            crate::domain::transaction::Operation::Refund,
            amount,
            &crate::domain::actor::Actor::new(0, "bench", "127.0.0.1"),
            "",
        )?;
        lat.push(s.elapsed());
    }
    let total = t.elapsed();
    lat.sort();
    println!(
        "{:<40} {:>10.2} {:>10.2} {:>12.0}",
        format!("refund, one at a time{suffix}"),
        ms(lat[n / 2]),
        ms(lat[n * 95 / 100]),
        n as f64 / total.as_secs_f64()
    );
    let t = Instant::now();
    let one = std::sync::Arc::new(one);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let g = gateway.clone();
            let one = one.clone();
            std::thread::spawn(move || -> Result<(), CliError> {
                for _ in 0..n / 8 {
                    one(&g)?;
                }
                Ok(())
            })
        })
        .collect();
    for th in threads {
        th.join().map_err(|_| CliError::Bench("thread"))??;
    }
    let eight = (n / 8 * 8) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{:<40} {:>10} {:>10} {:>12.0}",
        format!("pay now, 8 threads{suffix}"),
        "",
        "",
        eight
    );
    Ok((one_at_a_time, eight))
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn export_bench(db: Db, today: time::Date) -> Result<(), CliError> {
    let from = (today - time::Duration::days(400)).to_string();
    let all = filter(&[("from", &from), ("to", &today.to_string())], today)
        .ok_or(CliError::Bench("filter"))?
        .0;
    let rows = db.search_ids(Scope::Admin, &all)?.len();
    let admin = db
        .users(Scope::Admin)?
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .ok_or(CliError::Bench("no admin user in this data file"))?;
    // Admins sign in with a second factor: give the bench's admin one (a random
    // secret nobody holds) so that its session reaches the back office.
    if !admin.has_second_factor() {
        let wtx = db.begin_write()?;
        if let Some(mut u) = crate::db::users::get(&wtx, admin.id)? {
            let mut secret = vec![0u8; 20];
            rand::fill(secret.as_mut_slice());
            u.second_factor = Some(crate::domain::totp::SecondFactor {
                secret,
                confirmed_at: Some(time::OffsetDateTime::now_utc().unix_timestamp()),
                recovery: Vec::new(),
                last_step: 0,
            });
            crate::db::users::update(&wtx, &u)?;
        }
        wtx.commit()?;
    }
    let token = db.create_session(
        admin.id,
        time::OffsetDateTime::now_utc().unix_timestamp(),
        "127.0.0.1",
    )?;
    let mut config = crate::config::Config::new(
        "127.0.0.1:0".parse().map_err(|_| CliError::Bench("addr"))?,
        std::path::PathBuf::new(),
        None,
    )
    .map_err(CliError::Usage)?;
    // This server is never stopped: no socket beside the bench file.
    config.control_socket = false;
    let app = crate::app::App::with_db(db, config, std::sync::Arc::new(crate::clock::SystemClock))?;
    let (acceptor, addr) =
        crate::app::App::bind("127.0.0.1:0".parse().map_err(|_| CliError::Bench("addr"))?).await?;
    tokio::spawn(app.serve(acceptor, std::future::pending()));
    println!(
        "\n{:<10} {:>12} {:>10} {:>12} {:>14} {:>16}",
        "export", "rows", "seconds", "rows/s", "MB sent", "RSS growth MB"
    );
    // The first pass reads the data file from disk (cold OS cache); the others are warm.
    for (label, format) in [
        ("csv (cold)", "csv"),
        ("csv", "csv"),
        ("json", "json"),
        ("xlsx", "xlsx"),
    ] {
        if format == "xlsx" && rows > 1_048_575 {
            println!("{label:<10} {rows:>12}  refused: above Excel's 1,048,576-row sheet limit");
            continue;
        }
        let path = format!("/transactions/export?format={format}&scope=all&from={from}&to={today}");
        let before = rss_kb();
        let t = Instant::now();
        let bytes = http_get(addr, &path, &token).await?;
        let secs = t.elapsed().as_secs_f64();
        let growth = rss_kb().saturating_sub(before) / 1024;
        println!(
            "{label:<10} {rows:>12} {secs:>10.2} {:>12.0} {:>14.1} {growth:>16}",
            rows as f64 / secs,
            bytes as f64 / 1e6
        );
    }
    Ok(())
}

/// A plain HTTP/1.0 GET read to the end; returns the bytes received.
async fn http_get(addr: std::net::SocketAddr, path: &str, token: &str) -> std::io::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nCookie: guichet_session={token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    let mut head = Vec::new();
    loop {
        let k = s.read(&mut buf).await?;
        if k == 0 {
            break;
        }
        if head.len() < 16 {
            head.extend_from_slice(&buf[..k.min(16)]);
        }
        bytes += k as u64;
    }
    // A refused export (a redirect, an error page) must not pass for a fast one.
    if !head.starts_with(b"HTTP/1.0 200") && !head.starts_with(b"HTTP/1.1 200") {
        return Err(std::io::Error::other(format!(
            "{path}: {}",
            String::from_utf8_lossy(&head)
        )));
    }
    Ok(bytes)
}
