//! Emails against a real SMTP server (aiosmtpd from PyPI), with the real `guichet`
//! binary as a child process: the message arrives in the chosen language and its
//! link opens the payment page; with the server down it waits, and leaves once the
//! server is back, across a restart of Guichet. Then a scan of the data file, the
//! logs and the emails for card numbers and security codes.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use guichet::auth::bootstrap::new_user;
use guichet::db::{Db, merchants, users};
use guichet::domain::user::{Merchant, Permissions, Role, Terminal};
use reqwest::StatusCode;

use crate::payments::token_in_link;
use crate::support::{Client, USER_PASSWORD, field_in};

static VENV: Mutex<()> = Mutex::new(());

/// The Python of the test virtualenv with aiosmtpd, created on first use
/// (`make test` creates it beforehand).
fn python() -> PathBuf {
    if let Ok(p) = std::env::var("GUICHET_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-smtp");
    let py = root.join("bin/python");
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&py) {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&root)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(root.join("bin/pip"))
                .args(["install", "-q", "aiosmtpd==1.4.6"])
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            ok && ready(&py),
            "cannot set up aiosmtpd: install python3-venv (apt-get install python3-venv) and run `make test`"
        );
    }
    py
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// aiosmtpd writing each message into a maildir.
struct Smtp {
    maildir: PathBuf,
    child: Option<Child>,
}

impl Smtp {
    async fn start(port: u16, maildir: &Path) -> Smtp {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port).await;
        Smtp {
            maildir: maildir.to_path_buf(),
            child: Some(child),
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The raw messages received so far, oldest first.
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} emails arrived",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `guichet serve` binary on a data file, its output appended to a log file.
struct Guichet {
    child: Option<Child>,
    base: String,
}

impl Guichet {
    async fn start(data: &Path, port: u16, smtp_port: u16, log: &Path) -> Guichet {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["serve", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data)
            .args(["--smtp-host", "127.0.0.1", "--smtp-port"])
            .arg(smtp_port.to_string())
            .args([
                "--smtp-security",
                "plain",
                "--mail-from",
                "boutique@guichet.test",
            ])
            .env("GUICHET_LOG", "debug")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        wait_for_port(port).await;
        Guichet {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Stops it the way a service manager does (SIGTERM), waiting for the exit.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while c.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }
}

impl Drop for Guichet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A data file with one merchant and its manager (password already chosen).
fn seed(data: &Path) -> u64 {
    let db = Db::open(data).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let wtx = db.begin_write().unwrap();
    let m = merchants::insert(
        &wtx,
        Merchant {
            name: "Riad Atlas".into(),
            company: "Riad Atlas SARL".into(),
            terminals: vec![Terminal {
                number: 21114,
                label: "Web".into(),
            }],
            accounts: vec!["VPS_RIAD_DH".into()],
            ..Merchant::default()
        },
    )
    .unwrap();
    let mut u = new_user(
        "riad.manager",
        USER_PASSWORD,
        Role::Merchant {
            merchant_id: m.id,
            permissions: Permissions::ALL,
        },
        now,
    )
    .unwrap();
    u.must_change_password = false;
    users::insert(&wtx, u).unwrap();
    wtx.commit().unwrap();
    m.id
}

async fn sign_in(g: &Guichet) -> Client {
    let c = g.client();
    let r = c.login("riad.manager", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

async fn send_request(c: &Client, merchant: u64, lang: &str, order: &str) -> (u64, String) {
    let terminal = format!("{merchant}:21114");
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", &terminal),
                ("operation", "sale"),
                ("order_id", order),
                ("amount", "1 200,00"),
                ("currency", "MAD"),
                ("lang", lang),
                ("name", "Karim Benali"),
                ("email", "karim@example.ma"),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = location
        .trim_start_matches("/payment-requests/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (id, String::new())
}

/// Like [`send_request`], then, once that email has left, "New link" (the emailed
/// link is never shown again, L8): the token of the new link; the emailed one no
/// longer works.
async fn send_request_with_new_link(
    c: &Client,
    merchant: u64,
    lang: &str,
    order: &str,
) -> (u64, String) {
    let (id, _) = send_request(c, merchant, lang, order).await;
    // A new link withdraws the emails still waiting with the old one: let it leave.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
        if page.contains(">Envoyé<") || page.contains(">Sent<") {
            break;
        }
        assert!(Instant::now() < deadline, "the link email never left");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (id, crate::payments::new_link(c, id).await)
}

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

#[tokio::test]
async fn emails_arrive_in_their_language_wait_while_smtp_is_down_and_leave_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let log = dir.path().join("guichet.log");
    let merchant = seed(&data);
    let (smtp_port, port) = (free_port(), free_port());
    let mut smtp = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    let mut g = Guichet::start(&data, port, smtp_port, &log).await;
    let c = sign_in(&g).await;

    send_request(&c, merchant, "en", "ORDER-EN-1").await;
    let mail = &smtp.wait_for(1).await[0];
    let msg = parse(mail);
    let token = token_in_link(msg.body_text(0).unwrap().as_ref());
    assert_eq!(
        msg.subject(),
        Some("Payment request – order ORDER-EN-1 – Riad Atlas SARL")
    );
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("karim@example.ma")
    );
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("Hello Karim Benali,"), "{text}");
    assert!(text.contains("1,200.00 MAD"), "{text}");
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("Pay the order"), "{html}");
    let link = format!("{}/payment/{token}", g.base);
    assert!(
        text.contains(&link) && html.contains(&link),
        "link built from the base URL"
    );
    let (status, page) = g.client().page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("PAYMENT REQUEST") && page.contains("ORDER-EN-1"));

    // SMTP down: the message waits, each attempt visible.
    smtp.stop();
    let (id, _) = send_request(&c, merchant, "fr", "COMMANDE-FR-2").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
        if page.contains("Nouvel essai prévu") {
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt shown: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    g.stop();
    let smtp2 = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    smtp = smtp2;
    let g = Guichet::start(&data, port, smtp_port, &log).await;
    let mails = smtp.wait_for(2).await;
    let msg = parse(&mails[1]);
    assert_eq!(
        msg.subject(),
        Some("Demande de paiement – commande COMMANDE-FR-2 – Riad Atlas SARL")
    );
    let text = msg.body_text(0).unwrap();
    assert!(
        text.contains("Bonjour Karim Benali,") && text.contains("1 200,00 MAD"),
        "{text}"
    );
    assert!(msg.body_html(0).unwrap().contains("Payer la commande"));
    let c = sign_in(&g).await;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(page.contains("Envoyé"), "{page}");
    // Paying the first link sends the customer a receipt in the request's language.
    crate::payments::pay(&g.client(), &token, "4111111111111111", "").await;
    let mails = smtp.wait_for(3).await;
    let receipt = parse(&mails[2]);
    assert_eq!(
        receipt.subject(),
        Some("Payment accepted – order ORDER-EN-1 – Riad Atlas SARL")
    );
    let text = receipt.body_text(0).unwrap();
    assert!(
        text.contains("411111XXXXXX1111") && text.contains("1,200.00 MAD"),
        "{text}"
    );
    let mut log_text = String::new();
    std::fs::File::open(&log)
        .and_then(|mut f| std::io::Read::read_to_string(&mut f, &mut log_text))
        .unwrap();
    assert!(log_text.contains("email not sent"), "the failure is logged");
    assert!(log_text.contains("email sent"));
}

/// A card number as people type it: groups of four separated by spaces.
fn grouped(number: &str) -> String {
    number
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Occurrences of `needle` not glued to other digits.
/// `needle` as a word of its own: not inside a longer number, nor inside a hex
/// string (the log holds hashes and reference ids).
fn standalone(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).enumerate().any(|(i, w)| {
        w == needle
            && (i == 0 || !haystack[i - 1].is_ascii_alphanumeric())
            && haystack
                .get(i + needle.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_card_number_or_security_code_reaches_the_data_file_the_logs_or_the_emails() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let log = dir.path().join("guichet.log");
    let merchant = seed(&data);
    let (smtp_port, port) = (free_port(), free_port());
    let smtp = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    let mut g = Guichet::start(&data, port, smtp_port, &log).await;
    let c = sign_in(&g).await;
    const CVV: &str = "847";
    const AMEX_CVV: &str = "6294";
    let mut numbers: Vec<String> = guichet::acquirer::TEST_CARDS
        .iter()
        .map(|t| t.number.to_string())
        .collect();
    numbers.push("4242424242424242".into());
    numbers.push("5454545454545454".into());
    let mut accepted = Vec::new();
    for (i, number) in numbers.iter().enumerate() {
        let (id, token) =
            send_request_with_new_link(&c, merchant, "fr", &format!("SCAN-{i}")).await;
        let customer = g.client();
        // A typo first (Luhn), then the right number typed with spaces.
        let (_, page) = customer.page(&format!("/payment/{token}")).await;
        let csrf = field_in(&page, "csrf");
        let cvv = if number.starts_with("37") {
            AMEX_CVV
        } else {
            CVV
        };
        let r = customer
            .post_raw(
                &format!("/payment/{token}"),
                &[
                    ("csrf", &csrf),
                    ("attempt", "typo"),
                    ("holder", "Karim Benali"),
                    ("number", "4111111111111112"),
                    ("expiry", "11/29"),
                    ("cvv", cvv),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let spaced = grouped(number);
        let r = customer
            .post_raw(
                &format!("/payment/{token}"),
                &[
                    ("csrf", &csrf),
                    ("attempt", &field_in(&page, "attempt")),
                    ("holder", "Karim Benali"),
                    ("number", &spaced),
                    ("expiry", "11/29"),
                    ("cvv", cvv),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let mut to = r.headers()["location"].to_str().unwrap().to_string();
        if to.contains("/3ds/") {
            let (_, page) = customer.page(&to).await;
            let path = to.split('?').next().unwrap().to_string();
            let r = customer
                .post_raw(
                    &path,
                    &[("csrf", &field_in(&page, "csrf")), ("code", "123456")],
                )
                .await;
            to = r.headers()["location"].to_str().unwrap().to_string();
        }
        let (_, result) = customer.page(&to).await;
        if result.contains("Paiement accepté") {
            accepted.push(id);
        }
    }
    assert!(accepted.len() >= 4, "{accepted:?}");
    // Operations and an export go through the same data.
    let (_, request_page) = c.page(&format!("/payment-requests/{}", accepted[0])).await;
    let first_sale = request_page
        .split(r#"href="/transactions/"#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse::<u64>().ok())
        .expect("the paid attempt on the request page");
    let r = c
        .post(
            &format!("/transactions/{first_sale}/operations/rebill"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(
            &format!("/transactions/{first_sale}/operations/refund"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let export = c
        .get("/transactions/export?format=csv&scope=all")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        contains(&export, b"411111XXXXXX1111"),
        "the export shows masked cards"
    );
    smtp.wait_for(numbers.len() + accepted.len()).await;
    g.stop();

    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("data file".into(), std::fs::read(&data).unwrap()),
        ("log".into(), std::fs::read(&log).unwrap()),
        ("export".into(), export.to_vec()),
    ];
    for (i, m) in smtp.messages().into_iter().enumerate() {
        places.push((format!("email {i}"), m));
    }
    numbers.push("4111111111111112".into());
    for (place, bytes) in &places {
        for number in &numbers {
            assert!(
                !contains(bytes, number.as_bytes()),
                "{number} found in the {place}"
            );
            let spaced = grouped(number);
            assert!(
                !contains(bytes, spaced.as_bytes()),
                "{spaced} found in the {place}"
            );
        }
        if place == "data file" {
            // A stored string is its length then its bytes.
            for cvv in [CVV, AMEX_CVV] {
                let mut encoded = vec![u8::try_from(cvv.len()).unwrap()];
                encoded.extend_from_slice(cvv.as_bytes());
                assert!(
                    !contains(bytes, &encoded),
                    "security code {cvv} in the data file"
                );
            }
        } else {
            for cvv in [CVV, AMEX_CVV] {
                assert!(
                    !standalone(bytes, cvv.as_bytes()),
                    "security code {cvv} in the {place}"
                );
            }
        }
    }
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "scan done").unwrap();
}
