//! Load test (`make loadtest`): does a sign-in flood slow down a signed-in user?
//!
//! Starts the release binary on a fresh data file with one merchant user, measures
//! the p50/p95 of an authenticated page (the transaction list) alone, then again
//! while 200 concurrent clients — each from its own loopback address
//! 127.0.0.x, so the per-address limit does not simply stop them all at once —
//! post wrong passwords as fast as they are answered. Prints the figures.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use guichet::auth::bootstrap::new_user;
use guichet::db::{Db, merchants, users};
use guichet::domain::user::{Merchant, Permissions, Role, Terminal};

const FLOODERS: u8 = 200;
const SECONDS: u64 = 20;
const PASSWORD: &str = "Load-test-pass-2026";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn csrf_in(body: &str) -> String {
    let marker = r#"name="csrf-token" content=""#;
    body.find(marker)
        .map(|i| body[i + marker.len()..i + marker.len() + 64].to_string())
        .unwrap_or_default()
}

fn client(from: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .build()
        .expect("http client")
}

/// Times `GET path` from `workers` loops until `until`; returns milliseconds.
async fn measure(base: &str, c: &reqwest::Client, until: Instant, workers: usize) -> Vec<f64> {
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (c, url) = (c.clone(), format!("{base}/transactions"));
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let r = c.get(&url).send().await;
                let ok = match r {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    out.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_by(f64::total_cmp);
    all
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("load.redb");
    {
        let db = Db::open(&data)?;
        let now = time::OffsetDateTime::now_utc();
        let wtx = db.begin_write()?;
        let m = merchants::insert(
            &wtx,
            Merchant {
                name: "Load".into(),
                company: "Load SARL".into(),
                terminals: vec![Terminal {
                    number: 1,
                    label: "Web".into(),
                }],
                ..Merchant::default()
            },
        )?;
        let mut u = new_user(
            "load.viewer",
            PASSWORD,
            Role::Merchant {
                merchant_id: m.id,
                permissions: Permissions::ALL,
            },
            now,
        )?;
        u.must_change_password = false;
        users::insert(&wtx, u)?;
        wtx.commit()?;
    }
    let bin = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("guichet"))
        .ok_or("no binary path")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        Command::new(&bin)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&data)
            .env("GUICHET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let pid = server.0.id();
    let user = client(None);
    for _ in 0..100 {
        if user.get(format!("{base}/login")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = user
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = user
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("username", "load.viewer"),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("sign-in failed: {}", r.status()).into());
    }

    let quiet = measure(&base, &user, Instant::now() + Duration::from_secs(10), 2).await;
    let rss_quiet = peak_rss_mb(pid);

    let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
    let until = Instant::now() + Duration::from_secs(SECONDS);
    let mut flood = Vec::new();
    for i in 0..FLOODERS {
        let (base, counts) = (base.clone(), counts.clone());
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1 + i));
        flood.push(tokio::spawn(async move {
            let c = client(Some(from));
            let Ok(r) = c.get(format!("{base}/login")).send().await else {
                return;
            };
            let token = csrf_in(&r.text().await.unwrap_or_default());
            let mut n = 0u32;
            while Instant::now() < until {
                n += 1;
                let name = format!("guess{i}-{}", n % 7);
                let r = c
                    .post(format!("{base}/login"))
                    .form(&[
                        ("csrf", token.as_str()),
                        ("username", &name),
                        ("password", "wrong password 1"),
                    ])
                    .send()
                    .await;
                let k = match r.map(|r| r.status().as_u16()) {
                    Ok(401) => 0,
                    Ok(429) => 1,
                    Ok(_) => 2,
                    Err(_) => 3,
                };
                counts[k].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let busy = measure(&base, &user, until, 2).await;
    for f in flood {
        let _ = f.await;
    }
    let c: Vec<u64> = counts.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    println!(
        "sign-in flood: {FLOODERS} concurrent clients for {SECONDS} s, each from its own loopback address"
    );
    println!(
        "  answered 401 (password checked): {}   429 (throttled): {}   other: {}   errors: {}",
        c[0], c[1], c[2], c[3]
    );
    println!("authenticated GET /transactions (2 loops)   requests   p50 ms   p95 ms   max ms");
    for (label, v) in [("  alone", &quiet), ("  during the flood", &busy)] {
        println!(
            "{label:<44}{:>8}{:>9.1}{:>9.1}{:>9.1}",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.95),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!(
        "server peak RSS: {rss_quiet:.0} MB before the flood, {:.0} MB after",
        peak_rss_mb(pid)
    );
    drop(server);
    Ok(())
}
