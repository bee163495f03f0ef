//! The crash harness (issue 15): the real binary under payment and refund load from
//! several clients, killed with SIGKILL at random moments and restarted on the same
//! data file. After every restart (which settles what was with the acquirer at the
//! kill) `guichet check` passes, and every payment and refund
//! whose HTTP answer was received is in the file exactly once, with its receipt in
//! the outbox; no payment request holds two accepted sales and no sale two refunds.
//!
//! `GUICHET_CRASH_CYCLES` sets the number of cycles (5 by default; `make crash-test`
//! runs 100 in release mode). The figures are printed on one line starting `crash:`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use guichet::db::{Db, Scope, merchants};
use guichet::domain::actor::Actor;
use guichet::domain::outbox::MailKind;
use guichet::domain::transaction::Operation;
use guichet::domain::user::{Merchant, Terminal};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::free_port;
use crate::support::html::field_in;

/// The amount of each payment, and of each refund (partial), in cents.
const AMOUNT: i64 = 25_000;
const REFUND: i64 = 5_000;
/// Clients paying and refunding at once.
const CLIENTS: usize = 4;

fn guichet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `guichet serve` on `data` and `port`, its output appended to `log`; returns once
/// `/healthz` answers.
async fn serve(data: &Path, port: u16, log: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("serve")
        .args(["--data", data.to_str().unwrap()])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .env_remove("GUICHET_BACKUP_DIR")
        .env_remove("GUICHET_SMTP_HOST")
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status() == StatusCode::OK
        {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the server stopped ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The data file with a merchant whose fraud limits are off (every payment reaches
/// the acquirer) and an API credential; returns (originator, password).
fn prepare_data(data: &Path) -> (String, String) {
    let db = Db::open(data).unwrap();
    let wtx = db.begin_write().unwrap();
    let m = merchants::insert(
        &wtx,
        Merchant {
            name: "Atlas Voyages".into(),
            company: "Atlas Voyages SARL".into(),
            terminals: vec![Terminal {
                number: 21114,
                label: "Web".into(),
            }],
            accounts: vec!["VPS_TEST_DH".into()],
            ..Merchant::default()
        },
    )
    .unwrap();
    wtx.commit().unwrap();
    let actor = Actor::new(0, "admin", "127.0.0.1");
    let mut rules = guichet::domain::fraud::MerchantRules::default();
    for l in [
        &mut rules.card,
        &mut rules.email,
        &mut rules.ip,
        &mut rules.holder,
    ] {
        l.max_accepted = None;
        l.max_refused = None;
    }
    db.set_fraud_rules(m.id, &rules, &actor).unwrap().unwrap();
    let issued = db.api_credential_create(m.id, &actor).unwrap().unwrap();
    (issued.credential.originator, issued.password)
}

/// A payment whose card form was answered (the result page): acknowledged.
struct Paid {
    merchant_token: String,
    /// The refund whose answer was received.
    refund: Option<u64>,
    /// A refund was sent (answered or not).
    refund_sent: bool,
}

/// What the clients were told, over all cycles.
#[derive(Default)]
struct Ledger {
    /// Every prepared payment (answered), paid or not.
    prepared: Vec<String>,
    paid: Vec<Paid>,
}

struct Shop {
    base: String,
    originator: String,
    password: String,
}

/// One client: prepare, pay on the payment page, read the sale's id, refund part of
/// it; again until a request gets no answer (the server was killed).
async fn client(shop: Arc<Shop>, who: usize, n: Arc<AtomicU64>, ledger: Arc<Mutex<Ledger>>) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let base = &shop.base;
    loop {
        let n = n.fetch_add(1, Ordering::Relaxed);
        let body = format!(
            r#"{{"apiVersion":"002.73","currency":"MAD","amount":{AMOUNT},"operation":"sale",
            "shopper":{{"firstName":"Salma","lastName":"Idrissi","email":"client{who}.{n}@example.ma"}},
            "order":{{"id":"CRASH-{n}","description":"Deux billets"}}}}"#
        );
        let Ok(r) = http
            .post(format!("{base}/payment/prepare"))
            .basic_auth(&shop.originator, Some(&shop.password))
            .header("Idempotency-Key", format!("prepare-{n}"))
            .body(body)
            .send()
            .await
        else {
            return;
        };
        let Ok(v) = r.json::<Value>().await else {
            return;
        };
        assert_eq!(v["code"], "200", "{v}");
        let mt = v["merchantToken"].as_str().unwrap().to_string();
        let ct = v["customerToken"].as_str().unwrap().to_string();
        ledger.lock().unwrap().prepared.push(mt.clone());
        // The customer pays on the page.
        let Ok(r) = http.get(format!("{base}/payment/{ct}")).send().await else {
            return;
        };
        assert_eq!(r.status(), StatusCode::OK);
        let Ok(page) = r.text().await else { return };
        let (csrf, attempt) = (field_in(&page, "csrf"), field_in(&page, "attempt"));
        let Ok(r) = http
            .post(format!("{base}/payment/{ct}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("attempt", &attempt),
                ("lang", "fr"),
                ("holder", "Salma Idrissi"),
                ("number", "4111111111111111"),
                ("expiry", "12/39"),
                ("cvv", "123"),
            ])
            .send()
            .await
        else {
            return;
        };
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.contains("/result/"), "{to}");
        ledger.lock().unwrap().paid.push(Paid {
            merchant_token: mt.clone(),
            refund: None,
            refund_sent: false,
        });
        // The shop reads the sale's id, and refunds part of it.
        let Ok(r) = http
            .get(format!("{base}/payment/{mt}/status"))
            .basic_auth(&shop.originator, Some(&shop.password))
            .send()
            .await
        else {
            return;
        };
        let Ok(v) = r.json::<Value>().await else {
            return;
        };
        let sale = v["transactions"][0]["transactionID"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string();
        set_refund(&ledger, &mt, None);
        let Ok(r) = http
            .post(format!("{base}/transaction/{sale}/refund"))
            .basic_auth(&shop.originator, Some(&shop.password))
            .header("Idempotency-Key", format!("refund-{n}"))
            .body(format!(r#"{{"apiVersion":"002.73","amount":{REFUND}}}"#))
            .send()
            .await
        else {
            return;
        };
        let Ok(v) = r.json::<Value>().await else {
            return;
        };
        assert_eq!(v["code"], "000", "{v}");
        let id = v["transactionID"].as_str().unwrap().parse().unwrap();
        set_refund(&ledger, &mt, Some(id));
    }
}

/// Marks the refund of payment `mt` as sent, and answered with `id`.
fn set_refund(ledger: &Mutex<Ledger>, mt: &str, id: Option<u64>) {
    let mut l = ledger.lock().unwrap();
    let p = l
        .paid
        .iter_mut()
        .rev()
        .find(|p| p.merchant_token == mt)
        .unwrap();
    p.refund_sent = true;
    p.refund = p.refund.or(id);
}

/// What a check of the data file against the ledger found.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    acknowledged_payments: usize,
    acknowledged_refunds: usize,
    found: usize,
    duplicates: usize,
    lost: usize,
    problems: Vec<String>,
}

/// Checks the (closed) data file against the ledger.
fn verify(data: &Path, ledger: &Ledger) -> Figures {
    let out = guichet(&["check", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "guichet check: {}", text(&out));
    let db = Db::open(data).unwrap();
    let mut f = Figures::default();
    let paid: HashSet<&str> = ledger
        .paid
        .iter()
        .map(|p| p.merchant_token.as_str())
        .collect();
    // No request holds two accepted sales, acknowledged or not.
    for mt in ledger
        .prepared
        .iter()
        .filter(|mt| !paid.contains(mt.as_str()))
    {
        let Some(id) = db.request_of_merchant_token(mt).unwrap() else {
            f.lost += 1;
            f.problems.push(format!("prepared payment {mt} is missing"));
            continue;
        };
        let req = db.payment_request(Scope::Admin, id).unwrap().unwrap();
        let accepted = req
            .attempts
            .iter()
            .filter(|a| {
                db.transaction(Scope::Admin, **a)
                    .unwrap()
                    .is_some_and(|t| t.code.is_accepted())
            })
            .count();
        if accepted > 1 {
            f.duplicates += 1;
            f.problems.push(format!("request {id}: {accepted} sales"));
        }
    }
    for p in &ledger.paid {
        f.acknowledged_payments += 1;
        f.acknowledged_refunds += usize::from(p.refund.is_some());
        let Some(id) = db.request_of_merchant_token(&p.merchant_token).unwrap() else {
            f.lost += 1;
            f.problems
                .push(format!("payment {} is missing", p.merchant_token));
            continue;
        };
        let req = db.payment_request(Scope::Admin, id).unwrap().unwrap();
        let sales: Vec<_> = req
            .attempts
            .iter()
            .filter_map(|a| db.transaction(Scope::Admin, *a).unwrap())
            .filter(|t| t.code.is_accepted())
            .collect();
        match (sales.len(), req.paid_tx) {
            (1, Some(s)) if s == sales[0].id => f.found += 1,
            (0, _) | (_, None) => {
                f.lost += 1;
                f.problems
                    .push(format!("request {id}: its sale is missing"));
                continue;
            }
            (n, _) => {
                f.duplicates += 1;
                f.problems.push(format!("request {id}: {n} accepted sales"));
                continue;
            }
        }
        let sale = &sales[0];
        // The receipt, queued with the payment.
        let receipts = req
            .emails
            .iter()
            .filter_map(|m| db.mail(*m).unwrap())
            .filter(|m| m.kind == MailKind::Receipt)
            .count();
        if receipts != 1 {
            f.lost += usize::from(receipts == 0);
            f.duplicates += usize::from(receipts > 1);
            f.problems
                .push(format!("request {id}: {receipts} receipts in the outbox"));
        }
        let refunds: Vec<_> = db
            .children(Scope::Admin, sale.id)
            .unwrap()
            .into_iter()
            .filter(|t| t.operation == Operation::Refund && t.code.is_accepted())
            .collect();
        let refunded: i64 = refunds.iter().map(|t| t.amount.minor()).sum();
        assert!(
            refunded <= sale.amount.minor(),
            "sale {}: over-refunded",
            sale.id
        );
        match (p.refund, refunds.len()) {
            (Some(r), 1) if refunds[0].id == r => f.found += 1,
            (Some(r), 0) => {
                f.lost += 1;
                f.problems.push(format!("refund {r} is missing"));
            }
            (None, 0) => {}
            // Sent, its answer lost in the kill: written or not, once at most.
            (None, 1) if p.refund_sent => {}
            (_, n) => {
                f.duplicates += 1;
                f.problems.push(format!(
                    "sale {}: {n} refunds, {:?} answered",
                    sale.id, p.refund
                ));
            }
        }
    }
    f
}

#[tokio::test]
async fn killing_the_server_at_random_moments_loses_and_doubles_nothing() {
    let cycles: usize = std::env::var("GUICHET_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    guichet::callbacks::client::use_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("g.redb");
    let log = dir.path().join("serve.log");
    let (originator, password) = prepare_data(&data);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let n = Arc::new(AtomicU64::new(0));
    let mut figures = Figures::default();
    let started = Instant::now();
    for cycle in 0..cycles {
        let port = free_port();
        let mut server = serve(&data, port, &log).await;
        let shop = Arc::new(Shop {
            base: format!("http://127.0.0.1:{port}"),
            originator: originator.clone(),
            password: password.clone(),
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|who| tokio::spawn(client(shop.clone(), who, n.clone(), ledger.clone())))
            .collect();
        let delay = rand::random_range(50..500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        for c in clients {
            c.await.unwrap();
        }
        // The restart settles what was with the acquirer at the kill; then the file
        // is checked with no server (redb locks it), that one killed idle.
        let mut restarted = serve(&data, free_port(), &log).await;
        restarted.kill().unwrap();
        restarted.wait().unwrap();
        figures = verify(&data, &ledger.lock().unwrap());
        assert!(
            figures.problems.is_empty(),
            "cycle {cycle} (killed after {delay} ms): {:?}\n{}",
            figures.problems,
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    println!(
        "crash: {cycles} cycles in {:.1} s, acknowledged {} payments and {} refunds, found {}, duplicates {}, lost {}",
        started.elapsed().as_secs_f64(),
        figures.acknowledged_payments,
        figures.acknowledged_refunds,
        figures.found,
        figures.duplicates,
        figures.lost
    );
    assert_eq!((figures.duplicates, figures.lost), (0, 0));
    assert!(
        cycles == 0 || figures.acknowledged_payments > 0,
        "the clients paid nothing"
    );
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` when this process may not mount (not root, or no CAP_SYS_ADMIN).
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system of `dir` with a file `fill` until a write fails.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("fill")).unwrap();
    let chunk = vec![1u8; 16 * 1024];
    while f.write_all(&chunk).and_then(|()| f.flush()).is_ok() {}
    let _ = f.sync_all();
}

/// Prepares a payment through the API: the answer's status and body.
async fn prepare(http: &reqwest::Client, shop: &Shop, n: u64) -> (StatusCode, Value) {
    let body = format!(
        r#"{{"apiVersion":"002.73","currency":"MAD","amount":{AMOUNT},"operation":"sale",
        "shopper":{{"firstName":"Salma","lastName":"Idrissi","email":"disk.{n}@example.ma"}},
        "order":{{"id":"DISK-{n}"}}}}"#
    );
    let r = http
        .post(format!("{}/payment/prepare", shop.base))
        .basic_auth(&shop.originator, Some(&shop.password))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// Opens the payment page of `ct` and sends the card form: the form's answer, or
/// the page's when it is not 200.
async fn pay_page(http: &reqwest::Client, base: &str, ct: &str) -> (StatusCode, String) {
    let r = http
        .get(format!("{base}/payment/{ct}"))
        .send()
        .await
        .unwrap();
    let (status, page) = (r.status(), r.text().await.unwrap());
    if status != StatusCode::OK {
        return (status, page);
    }
    let (csrf, attempt) = (field_in(&page, "csrf"), field_in(&page, "attempt"));
    let r = http
        .post(format!("{base}/payment/{ct}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("attempt", &attempt),
            ("lang", "fr"),
            ("holder", "Salma Idrissi"),
            ("number", "4111111111111111"),
            ("expiry", "12/39"),
            ("cvv", "123"),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location.unwrap_or(r.text().await.unwrap()))
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_a_clear_503_keeps_nothing_half_written_and_resumes_once_space_returns()
 {
    guichet::callbacks::client::use_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let Some(volume) = Tmpfs::mount(dir.path(), "24m") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: the full-disk test must mount its tmpfs"
        );
        println!("full disk: skipped (mounting a tmpfs needs root)");
        return;
    };
    let data = volume.0.join("g.redb");
    // The log on another volume, as the journal is: on the full one, whether the
    // disk-full line fits would depend on the slack of the log's last page.
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let (originator, password) = prepare_data(&data);
    let port = free_port();
    let mut server = serve(&data, port, &log).await;
    let shop = Shop {
        base: format!("http://127.0.0.1:{port}"),
        originator,
        password,
    };
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut ledger = Ledger::default();
    // Space left: payments go through.
    let (status, v) = prepare(&http, &shop, 0).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mt = v["merchantToken"].as_str().unwrap().to_string();
    let (status, to) = pay_page(&http, &shop.base, v["customerToken"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    ledger.prepared.push(mt.clone());
    ledger.paid.push(Paid {
        merchant_token: mt,
        refund: None,
        refund_sent: false,
    });
    // One prepared before the disk fills, paid after.
    let (_, waiting) = prepare(&http, &shop, 1).await;
    ledger
        .prepared
        .push(waiting["merchantToken"].as_str().unwrap().to_string());
    fill(&volume.0);
    // The disk is full: payments are refused with a 503 that says so, never a 500.
    let mut refused = None;
    for n in 2..500 {
        let (status, v) = prepare(&http, &shop, n).await;
        if status == StatusCode::OK {
            ledger
                .prepared
                .push(v["merchantToken"].as_str().unwrap().to_string());
            continue;
        }
        refused = Some((status, v));
        break;
    }
    let (status, v) = refused.expect("a full disk refuses a payment");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["code"], "503", "{v}");
    assert!(v["message"].as_str().unwrap().contains("Disk full"), "{v}");
    let (status, page) = pay_page(
        &http,
        &shop.base,
        waiting["customerToken"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("Espace disque insuffisant"), "{page}");
    assert!(page.contains("n'a pas été enregistrée"), "{page}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("disk full: a write was refused"),
        "{logged}"
    );
    // Space returns. redb latched the failed write: this process refused every
    // write since; its watcher sees the volume take data again and the server
    // restarts in place (same process), then takes payments without anyone
    // restarting it.
    std::fs::remove_file(volume.0.join("fill")).unwrap();
    let started = std::time::Instant::now();
    let resumed = loop {
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        let r = http
            .post(format!("{}/payment/prepare", shop.base))
            .basic_auth(&shop.originator, Some(&shop.password))
            .body(format!(
                r#"{{"apiVersion":"002.73","currency":"MAD","amount":{AMOUNT},"operation":"sale",
                "shopper":{{"firstName":"Salma","lastName":"Idrissi","email":"disk.900@example.ma"}},
                "order":{{"id":"DISK-900"}}}}"#
            ))
            .send()
            .await;
        match r {
            Ok(r) if r.status() == StatusCode::OK => {
                break Some(r.json::<Value>().await.unwrap());
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    let v = resumed.expect("the server resumes by itself once space returns");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("space returned on the data file's volume"),
        "{logged}"
    );
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server restarted in place, it did not exit"
    );
    let (status, to) = pay_page(&http, &shop.base, v["customerToken"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    ledger
        .prepared
        .push(v["merchantToken"].as_str().unwrap().to_string());
    ledger.paid.push(Paid {
        merchant_token: v["merchantToken"].as_str().unwrap().to_string(),
        refund: None,
        refund_sent: false,
    });
    server.kill().unwrap();
    server.wait().unwrap();
    // The file holds what was answered, nothing half-written.
    let f = verify(&data, &ledger);
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!((f.found, f.lost, f.duplicates), (2, 0, 0));
    // And payments go through again.
    let port = free_port();
    let mut server = serve(&data, port, &log).await;
    let shop = Shop {
        base: format!("http://127.0.0.1:{port}"),
        ..shop
    };
    let (status, v) = prepare(&http, &shop, 901).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, to) = pay_page(&http, &shop.base, v["customerToken"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, to) = pay_page(
        &http,
        &shop.base,
        waiting["customerToken"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    server.kill().unwrap();
    server.wait().unwrap();
    let out = guichet(&["check", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    println!(
        "full disk: {} payment(s) prepared before the first refusal, 503 with a log line, resumed by itself once space returned (restart in place), and after a restart",
        ledger.prepared.len() - 2
    );
}
