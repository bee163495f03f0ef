//! The appliance watched from outside (issue 16): `/metrics` behind its bearer token
//! with the listed series (a payment, an operation and sign-in failures move their
//! counters; routes are templates, never paths), a request id on every answer and
//! its error page, `/readyz` (200, 503 when the outbox is stuck; details for an admin
//! only) and Parameters › System for the admin.

use std::collections::BTreeMap;

use guichet::config::{SmtpConfig, SmtpSecurity};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use serde_json::Value;

use crate::fixtures::payments::{new_request, pay, request, shop};
use crate::support::{Client, TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "metrics-token-0123456789abcdef";

async fn spawn_with_metrics() -> TestApp {
    spawn_app_with(|c| c.metrics_token = Some(TOKEN.into())).await
}

/// `/metrics` with `authorization` (none: no header).
async fn scrape(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(format!("{}/metrics", app.base));
    if let Some(a) = authorization {
        r = r.header("authorization", a);
    }
    r.send().await.unwrap()
}

/// The samples of a scrape: series (name and labels, as written) → value.
async fn samples(app: &TestApp) -> BTreeMap<String, f64> {
    let r = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.headers()
    );
    let text = r.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse::<f64>().unwrap())
        })
        .collect()
}

fn value(s: &BTreeMap<String, f64>, series: &str) -> f64 {
    s.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_off_by_default_and_refused_without_the_right_bearer_token() {
    let off = spawn_app().await;
    let r = scrape(&off, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let app = spawn_with_metrics().await;
    for auth in [
        None,
        Some("Bearer wrong-token-0123456789abcdef".to_string()),
        Some(format!("Bearer {TOKEN}x")),
        Some(TOKEN.to_string()),
    ] {
        let r = scrape(&app, auth.as_deref()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert!(!r.text().await.unwrap().contains("guichet_"));
    }
    // A signed-in admin's session is no token either.
    let admin = app.admin().await;
    assert_eq!(
        admin.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let s = samples(&app).await;
    assert_eq!(
        value(&s, r#"guichet_build_info{version="0.1.0"}"#),
        1.0,
        "{s:?}"
    );
}

#[tokio::test]
async fn metrics_expose_the_listed_series_and_a_payment_moves_the_payment_counters() {
    let app = spawn_with_metrics().await;
    let (m, c) = shop(&app).await;
    let before = samples(&app).await;
    let accepted = r#"guichet_payments_total{code="000",outcome="accepted"}"#;
    let refused = r#"guichet_payments_total{code="051",outcome="refused"}"#;
    assert_eq!(value(&before, accepted), 0.0);

    let (paid, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let (_, token) = new_request(&c, m, &[("order_id", "CMD-2026-002")]).await;
    pay(&app.client(), &token, "4000000000009995", "").await;
    let after = samples(&app).await;
    assert_eq!(value(&after, accepted), 1.0, "{after:?}");
    assert_eq!(value(&after, refused), 1.0, "{after:?}");

    // An operation, and the route templates of the pages it went through.
    let sale = request(&app, paid).paid_tx.unwrap();
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = c.page(&format!("/transactions/{sale}")).await;
    assert_eq!(status, StatusCode::OK);
    // Sign-in failures, and a name locked by the third.
    app.merchant_user("omar", m, Permissions::ALL);
    for _ in 0..3 {
        let r = app.client().login("omar", "wrong-password-1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.client().login("omar", "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let s = samples(&app).await;
    assert_eq!(
        value(
            &s,
            r#"guichet_operations_total{code="000",operation="refund",outcome="accepted"}"#
        ),
        1.0,
        "{s:?}"
    );
    assert_eq!(
        value(&s, r#"guichet_sign_in_failures_total{step="password"}"#),
        4.0
    );
    assert_eq!(value(&s, "guichet_sign_in_lockouts_total"), 1.0);
    for series in [
        r#"guichet_http_requests_total{method="GET",route="/transactions/:id",status="200"}"#,
        r#"guichet_http_requests_total{method="POST",route="/transactions/:id/operations/:op",status="303"}"#,
        r#"guichet_http_requests_total{method="GET",route="/payment/:token",status="200"}"#,
        r#"guichet_http_request_duration_seconds_count{method="GET",route="/transactions/:id"}"#,
    ] {
        assert!(value(&s, series) >= 1.0, "{series} in {s:?}");
    }
    // Labels are templates: no transaction id, no payment link's secret.
    let names: Vec<&String> = s.keys().collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains(&format!("/transactions/{sale}")) || n.contains(&token)),
        "{names:?}"
    );
    // The gauges, read at the scrape.
    for gauge in [
        "guichet_outbox_depth",
        "guichet_outbox_oldest_overdue_seconds",
        "guichet_callbacks_depth",
        "guichet_callbacks_oldest_overdue_seconds",
        r#"guichet_writer_writes{state="running"}"#,
        r#"guichet_writer_writes{state="waiting"}"#,
    ] {
        assert!(s.contains_key(gauge), "{gauge} in {s:?}");
    }
    // No SMTP server: the receipt of the accepted payment waits in the outbox.
    assert!(value(&s, "guichet_outbox_depth") >= 1.0);
    assert!(value(&s, "guichet_data_file_bytes") > 0.0);
    assert_eq!(value(&s, "guichet_backup_last_age_seconds"), -1.0);
    let anonymous = app.client().get("/transactions/12").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    // Sent to sign in before any route took it: no route is named.
    let s = samples(&app).await;
    assert_eq!(
        value(
            &s,
            r#"guichet_http_requests_total{method="GET",route="/*",status="303"}"#
        ),
        1.0,
        "{s:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_that_its_error_page_shows() {
    let app = spawn_app().await;
    let (_, c) = shop(&app).await;
    let r = c.get("/no-such-page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(r#"<code class="request-id">{id}</code>"#)),
        "{body}"
    );
    let again = c.get("/no-such-page").await;
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    // A refused form, a page, the health check and the merchant API too.
    let r = c.post_raw("/login", &[("username", "x")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(r.text().await.unwrap().contains(&id));
    for path in ["/login", "/healthz", "/transaction/1/info"] {
        let r = c.get(path).await;
        assert!(r.headers().contains_key("x-request-id"), "{path}");
    }
}

async fn ready(c: &Client) -> (StatusCode, Value) {
    let r = c.get("/readyz").await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn readyz_answers_ready_and_gives_its_details_only_to_an_admin() {
    let app = spawn_app().await;
    let (status, body) = ready(&app.client()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ready"}));
    let (_, c) = shop(&app).await;
    let (status, body) = ready(&c).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ready"}));
    let admin = app.admin().await;
    let (status, body) = ready(&admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    for check in ["data_file", "writer", "outbox", "callbacks"] {
        assert_eq!(body["checks"][check]["ok"], true, "{body}");
        assert!(body["checks"][check]["detail"].is_string(), "{body}");
    }
    // Liveness is unchanged.
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
}

#[tokio::test]
async fn readyz_answers_503_when_the_outbox_is_stuck_past_its_limit() {
    // An SMTP server that accepts connections and never greets: the sender waits
    // on its first message (its own time-out is 30 s).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let app = spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
        });
        c.ready_stuck_minutes = 15;
    })
    .await;
    let (m, c) = shop(&app).await;
    new_request(&c, m, &[("action", "send")]).await;
    let (status, _) = ready(&app.client()).await;
    assert_eq!(status, StatusCode::OK, "just queued: not stuck");
    app.clock.advance(time::Duration::minutes(16));
    let (status, body) = ready(&app.client()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, serde_json::json!({"status": "not ready"}));
    let admin = app.admin().await;
    let (status, body) = ready(&admin).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["checks"]["outbox"]["ok"], false, "{body}");
    assert_eq!(body["checks"]["data_file"]["ok"], true, "{body}");
    let detail = body["checks"]["outbox"]["detail"].as_str().unwrap();
    assert!(detail.contains("stuck"), "{detail}");
    let (status, page) = admin.page("/parameters/system").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Pas prêt"), "{page}");
    drop(silent);
}

#[tokio::test]
async fn the_system_page_shows_the_key_figures_to_admins_in_french_and_english_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, page) = admin.page("/parameters/system").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Système",
        "Prêt",
        "Fichier de données",
        "Dernière sauvegarde",
        "Emails en attente",
        "Paiements acceptés",
        "Échecs de connexion",
        "--metrics-token-file",
        r#"href="/parameters/system""#,
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    let r = admin
        .post("/lang", &[("lang", "en"), ("next", "/parameters/system")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.page("/parameters/system").await;
    for text in [
        "System",
        "Ready",
        "Data file",
        "Last backup",
        "Emails waiting",
        "Payments accepted",
        "Sign-in failures",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    let (_, merchant) = shop(&app).await;
    let (status, _) = merchant.page("/parameters/system").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, parameters) = merchant.page("/parameters/profile").await;
    assert!(!parameters.contains("/parameters/system"));
    let r = app.client().get("/parameters/system").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
