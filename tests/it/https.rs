//! HTTPS served by the binary (issue 16): a certificate the test makes (rcgen) and
//! clients that trust its CA only. Pages and the payment page over TLS with HSTS,
//! `__Host-` cookies that are `Secure; HttpOnly; SameSite`, the plain-HTTP listener
//! redirecting with the path and query, and a new certificate picked up by new
//! connections (file watch, SIGHUP) while open ones go on. Plain HTTP stays as it was.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{SET_COOKIE, STRICT_TRANSPORT_SECURITY};

use crate::fixtures::payments::{new_request, pay};
use crate::support::https::{Ca, plain_client, spawn_https_app};
use crate::support::{USER_PASSWORD, free_port, spawn_app};
use guichet::domain::user::Permissions;

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The Set-Cookie header of `r` that sets `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name} in {:?}", r.headers()))
}

fn assert_secure_host_cookie(cookie: &str) {
    for attribute in ["; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn pages_and_the_payment_page_are_served_over_https_with_hsts_and_secure_host_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Guichet test CA");
    let app = spawn_https_app(&ca, dir.path(), |_| {}).await;
    assert!(app.base.starts_with("https://127.0.0.1:"), "{}", app.base);

    // A first visit: the sign-in page, its CSRF cookie under the __Host- prefix.
    let r = plain_client(&ca.pem)
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[STRICT_TRANSPORT_SECURITY], HSTS);
    assert_secure_host_cookie(&set_cookie(&r, "__Host-guichet_csrf"));

    // Signing in sets the session cookie the same way; the back office answers.
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let manager = app.client();
    let r = manager.login("atlas.manager", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_secure_host_cookie(&set_cookie(&r, "__Host-guichet_session"));
    let (status, home) = manager.page("/transactions").await;
    assert_eq!(status, StatusCode::OK, "{home}");

    // A payment link over HTTPS, paid over HTTPS.
    let (_, token) = new_request(&manager, m.id, &[]).await;
    let customer = app.client();
    let r = customer.get(&format!("/payment/{token}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[STRICT_TRANSPORT_SECURITY], HSTS);
    let page = r.text().await.unwrap();
    assert!(page.contains("Payer 250,00 MAD"), "{page}");
    let result = pay(&customer, &token, "4111111111111111", "").await;
    let (status, receipt) = customer.page(&result).await;
    assert_eq!(status, StatusCode::OK);
    assert!(receipt.contains("Paiement accepté"), "{receipt}");

    // An admin signs in with the second factor through the pages, over HTTPS.
    let admin = app.admin().await;
    let (status, _) = admin.page("/parameters/audit").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn plain_http_keeps_cookies_without_secure_or_prefix_and_sends_no_hsts() {
    let app = spawn_app().await;
    let r = app.client().get("/login").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.headers().contains_key(STRICT_TRANSPORT_SECURITY));
    let cookie = set_cookie(&r, "guichet_csrf");
    assert!(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn the_plain_http_listener_redirects_to_https_keeping_the_path_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Guichet test CA");
    let port = free_port();
    let app = spawn_https_app(&ca, dir.path(), |c| {
        c.http_redirect_addr = Some(format!("127.0.0.1:{port}").parse().unwrap())
    })
    .await;
    guichet::callbacks::client::use_ring_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let plain = format!("http://127.0.0.1:{port}");
    // The server binds its plain listener as it starts, after the HTTPS one.
    let deadline = Instant::now() + Duration::from_secs(5);
    while http.get(format!("{plain}/")).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the plain listener never answered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = http
        .get(format!("{plain}/payment/0123abcd?lang=en&x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        format!("{}/payment/0123abcd?lang=en&x=1", app.base).as_str()
    );
    assert!(!r.headers().contains_key(SET_COOKIE));
    // A form posted to plain HTTP is sent on with its method (308), never answered.
    let r = http
        .post(format!("{plain}/login"))
        .form(&[("username", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        format!("{}/login", app.base).as_str()
    );
    // A Host header chosen by the client changes nothing.
    let r = http
        .get(format!("{plain}/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], format!("{}/", app.base).as_str());
    // A browser following it lands on the HTTPS page.
    let r = crate::support::https::client_builder(&ca.pem)
        .build()
        .unwrap()
        .get(format!("{plain}/login?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().as_str(), format!("{}/login?lang=en", app.base));
    assert_eq!(r.headers()[STRICT_TRANSPORT_SECURITY], HSTS);
}

/// Whether a new connection trusting `ca` only gets an answer from `url`.
async fn trusted(ca: &Ca, url: &str) -> bool {
    plain_client(&ca.pem).get(url).send().await.is_ok()
}

/// Waits (5 s at most) until a new connection trusting `ca` gets an answer.
async fn until_trusted(ca: &Ca, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !trusted(ca, url).await {
        assert!(
            Instant::now() < deadline,
            "the new certificate is not served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_new_certificate_on_disk_is_served_to_new_connections_while_open_ones_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (Ca::new("First CA"), Ca::new("Second CA"));
    let app = spawn_https_app(&first, dir.path(), |_| {}).await;
    let health = format!("{}/healthz", app.base);
    // One connection opened under the first certificate, kept alive.
    let open = plain_client(&first.pem);
    assert_eq!(
        open.get(&health).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(!trusted(&second, &health).await);

    second.write_server(dir.path());
    until_trusted(&second, &health).await;
    assert!(
        !trusted(&first, &health).await,
        "new connections get the new one"
    );
    // The connection opened before goes on (a new one would not trust the server).
    assert_eq!(
        open.get(&health).send().await.unwrap().status(),
        StatusCode::OK
    );

    // A broken pair on disk is refused: the certificate in use stays.
    std::fs::write(dir.path().join("cert.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(trusted(&second, &health).await);
}

/// `guichet serve` with `args`, its output in `log`.
fn start(data: &Path, log: &Path, args: &[&str]) -> Child {
    let out = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("serve")
        .args(["--data", data.to_str().unwrap()])
        .args(args)
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .env_remove("GUICHET_BASE_URL")
        .env_remove("GUICHET_BACKUP_DIR")
        .env_remove("GUICHET_SMTP_HOST")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap()
}

/// Ends the server it started (by its own id) when the test ends, even on a failure.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_https_and_takes_a_new_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (Ca::new("First CA"), Ca::new("Second CA"));
    let (cert, key) = first.write_server(dir.path());
    let (port, plain) = (free_port(), free_port());
    let log = dir.path().join("guichet.log");
    let mut server = Running(start(
        &dir.path().join("g.redb"),
        &log,
        &[
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--tls-watch-seconds",
            "0",
            "--http-redirect-addr",
            &format!("127.0.0.1:{plain}"),
        ],
    ));
    let base = format!("https://127.0.0.1:{port}");
    let health = format!("{base}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !trusted(&first, &health).await {
        let stopped = server.0.try_wait().unwrap();
        assert!(
            stopped.is_none() && Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = plain_client(&first.pem)
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[STRICT_TRANSPORT_SECURITY], HSTS);
    assert_secure_host_cookie(&set_cookie(&r, "__Host-guichet_csrf"));
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{plain}/support?q=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        format!("{base}/support?q=1").as_str()
    );
    let printed = std::fs::read_to_string(&log).unwrap();
    assert!(printed.contains(&format!("Sign in at {base}")), "{printed}");
    assert!(
        printed.contains(&format!("listening on {base}")),
        "{printed}"
    );

    // Without a file watch (0 s), a new certificate waits for SIGHUP.
    second.write_server(dir.path());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!trusted(&second, &health).await);
    let hup = Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    until_trusted(&second, &health).await;
    assert!(server.0.try_wait().unwrap().is_none(), "still running");
    let printed = std::fs::read_to_string(&log).unwrap();
    assert!(
        printed.contains("TLS certificate reloaded (SIGHUP)"),
        "{printed}"
    );
}

#[test]
fn a_certificate_that_cannot_be_used_stops_the_server_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = Ca::new("A").write_server(dir.path());
    // The key of another certificate.
    let other = tempfile::tempdir().unwrap();
    let (_, other_key) = Ca::new("B").write_server(other.path());
    let data = dir.path().join("g.redb");
    let run = |args: &[&str]| {
        let log = dir.path().join("out.log");
        let mut child = start(&data, &log, args);
        let status = child.wait().unwrap();
        (status, std::fs::read_to_string(&log).unwrap())
    };
    let addr = format!("127.0.0.1:{}", free_port());
    let (status, out) = run(&[
        "--addr",
        &addr,
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        other_key.to_str().unwrap(),
    ]);
    assert!(!status.success());
    assert!(out.contains("does not go with the certificate"), "{out}");
    let (status, out) = run(&[
        "--addr",
        &addr,
        "--tls-cert",
        dir.path().join("missing.pem").to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(!status.success());
    assert!(out.contains("missing.pem"), "{out}");
    let (status, out) = run(&["--addr", &addr, "--http-redirect-addr", "127.0.0.1:1"]);
    assert!(!status.success());
    assert!(out.contains("--http-redirect-addr"), "{out}");
    let (status, out) = run(&["--addr", &addr, "--acme-domain", "pay example"]);
    assert!(!status.success());
    assert!(
        out.contains("\"pay example\" is not a domain name"),
        "{out}"
    );
    let (status, out) = run(&[
        "--addr",
        &addr,
        "--acme-domain",
        "pay.example.ma",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(!status.success());
    assert!(out.contains("cannot be used with"), "{out}");
    assert!(!data.exists(), "nothing is opened");
}
