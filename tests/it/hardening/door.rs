//! The door: redirects after sign-in, cookies and HSTS, body limits, sign-in rate
//! limits (per address, per name, behind a proxy) and disabled accounts.

use guichet::clock::Clock;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::support::html::urlencode;
use crate::support::{USER_PASSWORD, spawn_app, spawn_app_with};

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

const EVIL_NEXTS: &[&str] = &[
    "/\t/evil.example",
    "/\t/evil.example/login",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\0/evil.example",
    "//evil.example",
    "/\\evil.example",
    "/x\\..\\..//evil.example",
    "/ /evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "/a//evil.example",
];

#[tokio::test]
async fn next_with_a_tab_a_backslash_or_a_control_character_redirects_home() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    for evil in EVIL_NEXTS {
        // A signed-in user opening the sign-in page is sent on at once.
        let r = c.get(&format!("/login?next={}", urlencode(evil))).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{evil:?}");
        assert_eq!(location(&r), "/", "{evil:?}");
        // The language switch follows `next` too.
        let r = c.post("/lang", &[("lang", "en"), ("next", evil)]).await;
        assert_eq!(location(&r), "/", "{evil:?}");
    }
    // A plain local path is kept.
    let r = c
        .get("/login?next=%2Ftransactions%3Fstatus%3Drefused")
        .await;
    assert_eq!(location(&r), "/transactions?status=refused");
}

#[tokio::test]
async fn after_signing_in_an_evil_next_is_not_followed() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    for evil in ["/\t/evil.example/login", "/\\evil.example"] {
        let c = app.client();
        let r = c
            .post(
                "/login",
                &[
                    ("username", "omar"),
                    ("password", USER_PASSWORD),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/", "{evil:?}");
    }
}

#[tokio::test]
async fn an_https_appliance_sends_hsts_and_host_prefixed_secure_cookies() {
    let app = spawn_app_with(|c| c.base_url = "https://gw.example".into()).await;
    let r = app.client().get("/login").await;
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-guichet_csrf="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");

    // Over plain http (a lab appliance) neither is sent.
    let plain = spawn_app().await;
    let r = plain.client().get("/login").await;
    assert!(r.headers().get("strict-transport-security").is_none());
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("guichet_csrf="), "{cookie}");
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413_before_csrf_or_sign_in() {
    let app = spawn_app().await;
    let c = app.client();
    let token = c.csrf().await;
    let huge = "x".repeat(200 * 1024);
    // Announced length.
    let r = c
        .http
        .post(format!("{}/login", app.base))
        .form(&[
            ("csrf", token.as_str()),
            ("username", &huge),
            ("password", "p"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("64 Kio"));
    // Streamed without a length (chunked), on a path that does not even exist.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /nowhere HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("2000\r\n{}\r\n", "a".repeat(0x2000));
        for _ in 0..40 {
            if s.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n").await;
        let mut answer = vec![0u8; 64];
        let n = s.read(&mut answer).await.unwrap();
        let status = String::from_utf8_lossy(&answer[..n]).to_string();
        assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    }
    // Nothing was stored for that username.
    assert_eq!(
        app.db.attempts(&huge.to_lowercase()).unwrap(),
        Default::default()
    );
    // A normal form still goes through.
    let r = c.login("nobody", "wrong password 1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_address_gets_ten_quick_sign_ins_then_429_without_a_password_check() {
    let app = spawn_app().await;
    let c = app.client();
    for i in 0..10 {
        let r = c.login(&format!("someone{i}"), "wrong password 1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = c.login("someone-else", "wrong password 1").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = r.text().await.unwrap();
    assert!(body.contains("Trop de tentatives"), "{body}");
    // Refused before anything was counted or stored for that name.
    assert_eq!(app.db.attempts("someone-else").unwrap(), Default::default());
}

#[tokio::test]
async fn one_username_gets_five_quick_sign_ins_then_429_whatever_its_spelling() {
    let app = spawn_app_with(|c| c.sign_in.per_ip.burst = 1000).await;
    let c = app.client();
    for name in ["victim", "Victim", " VICTIM", "victim ", "vIctim"] {
        let r = c.login(name, "wrong password 1").await;
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{name:?}");
    }
    let r = c.login("VICTIM", "wrong password 1").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another username from the same address still gets its answer.
    let r = c.login("other", "wrong password 1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited_and_audited() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let c = app.client();
    let token = c.csrf().await;
    let attempt = async |from: &str, name: String| {
        c.http
            .post(format!("{}/login", app.base))
            .header("x-forwarded-for", format!("6.6.6.6, {from}"))
            .form(&[
                ("csrf", token.as_str()),
                ("username", &name),
                ("password", "x"),
            ])
            .send()
            .await
            .unwrap()
            .status()
    };
    for i in 0..10 {
        assert_eq!(
            attempt("198.51.100.7", format!("u{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // That client is throttled; another one behind the same proxy is not.
    assert_eq!(
        attempt("198.51.100.7", "u10".into()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt("198.51.100.8", "u11".into()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn counters_left_by_names_sprayed_once_are_forgotten_after_a_day() {
    let app = spawn_app_with(|c| c.sign_in.per_ip.burst = 1000).await;
    let c = app.client();
    for i in 0..5 {
        let r = c.login(&format!("sprayed{i}"), "wrong password 1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.db.attempts_rows().unwrap(), 5);
    // An hour later nothing goes: a second failure would still count.
    app.clock.advance(Duration::hours(1));
    app.db.purge_attempts(app.clock.now()).unwrap();
    assert_eq!(app.db.attempts_rows().unwrap(), 5);
    let r = c.login("sprayed0", "wrong password 1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A day after their last failure they are gone; the one that failed again
    // an hour later stays until its own day is over.
    app.clock
        .advance(Duration::hours(23) + Duration::minutes(1));
    app.db.purge_attempts(app.clock.now()).unwrap();
    assert_eq!(app.db.attempts_rows().unwrap(), 1);
    assert_eq!(app.db.attempts("sprayed0").unwrap().failures, 2);
}

#[tokio::test]
async fn a_right_password_on_a_disabled_account_is_refused_and_audited() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    {
        let wtx = app.db.begin_write().unwrap();
        let mut row = guichet::db::users::get(&wtx, u.id).unwrap().unwrap();
        row.disabled = true;
        guichet::db::users::update(&wtx, &row).unwrap();
        wtx.commit().unwrap();
    }
    let r = app.client().login("omar", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let log = app.db.audit(guichet::db::Scope::Admin, 5).unwrap();
    assert_eq!(log[0].action, "auth.refused_disabled");
    assert_eq!(log[0].outcome, "refused");
    assert_eq!(log[0].merchant_id, Some(m.id));
}
