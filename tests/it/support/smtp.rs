//! A real SMTP server (aiosmtpd, from the `.venv-smtp` that `make test` creates) and
//! the real `guichet` binary as a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guichet::auth::bootstrap::new_user;
use guichet::db::{Db, merchants, users};
use guichet::domain::user::{Merchant, Permissions, Role, Terminal};
use reqwest::StatusCode;

use crate::support::{Client, USER_PASSWORD};

/// The Python of the `.venv-smtp` virtualenv with aiosmtpd, which `make test` creates
/// (the tests install nothing). `GUICHET_TEST_PYTHON` names another Python instead.
pub(crate) fn python() -> PathBuf {
    if let Ok(p) = std::env::var("GUICHET_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-smtp/bin/python");
    let ready = Command::new(&py)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ready,
        "no aiosmtpd in {}: run make test, or make .venv-smtp/bin/aiosmtpd",
        py.display()
    );
    py
}

pub(crate) async fn wait_for_port(port: u16) {
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
pub(crate) struct Smtp {
    pub(crate) maildir: PathBuf,
    pub(crate) child: Option<Child>,
}

impl Smtp {
    pub(crate) async fn start(port: u16, maildir: &Path) -> Smtp {
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

    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The raw messages received so far, oldest first.
    pub(crate) fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
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
pub(crate) struct Guichet {
    pub(crate) child: Option<Child>,
    pub(crate) base: String,
}

impl Guichet {
    pub(crate) async fn start(data: &Path, port: u16, smtp_port: u16, log: &Path) -> Guichet {
        Guichet::start_with(data, port, smtp_port, log, &[]).await
    }

    /// [`Guichet::start`] with more arguments (`--log-format json`, …).
    pub(crate) async fn start_with(
        data: &Path,
        port: u16,
        smtp_port: u16,
        log: &Path,
        extra: &[&str],
    ) -> Guichet {
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
            .args(extra)
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
    pub(crate) fn stop(&mut self) {
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

    pub(crate) fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for Guichet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A data file with one merchant and its manager (password already chosen).
pub(crate) fn seed_data_file(data: &Path) -> u64 {
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

pub(crate) async fn sign_in(g: &Guichet) -> Client {
    let c = g.client();
    let r = c.login("riad.manager", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

pub(crate) async fn send_request(
    c: &Client,
    merchant: u64,
    lang: &str,
    order: &str,
) -> (u64, String) {
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
pub(crate) async fn send_request_with_new_link(
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
    (id, crate::fixtures::payments::new_link(c, id).await)
}
