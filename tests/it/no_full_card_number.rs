//! Card numbers never in full: not on any page, in any export, in the data file,
//! the logs or the emails.

use std::io::Write;

use calamine::Data;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::dataset::{period_pairs, seed};
use crate::support::cards::{contains, full_card_numbers, grouped, standalone};
use crate::support::download::every_format;
use crate::support::html::{field_in, get_htmx, list_url};
use crate::support::sheets::Sheet;
use crate::support::smtp::{Guichet, Smtp, seed_data_file, send_request_with_new_link};
use crate::support::{USER_PASSWORD, free_port, spawn_app};

#[tokio::test]
async fn no_page_ever_shows_a_full_card_number() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let uber = d.merchant("Uber");
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let manager = app.signed_in("uber.manager").await;
    // Every page with the merchant whose rows it shows (None: a list, for anyone).
    let mut pages: Vec<(String, Option<u64>)> = Vec::new();
    for page in 1..=d.rows.len().div_ceil(100) {
        let path = list_url(&period_pairs(&[
            ("per_page", "100"),
            ("page", &page.to_string()),
        ]));
        pages.push((path, None));
    }
    for t in d.rows.iter().step_by(9) {
        let owner = Some(t.merchant_id);
        pages.push((format!("/transactions/{}", t.id), owner));
        pages.push((format!("/transactions/{}/tab/associated", t.id), owner));
        pages.push((format!("/transactions/{}?tab=journal", t.id), owner));
    }
    pages.push((list_url(&period_pairs(&[("holder", "mohamed")])), None));
    let (mut masked, mut shown, mut hidden) = (0, 0, 0);
    for (c, only) in [(&admin, None), (&manager, Some(uber))] {
        for (path, owner) in &pages {
            // The manager sees Uber's rows; another merchant's row is a 404 page.
            let visible = only.is_none() || owner.is_none() || *owner == only;
            for htmx in [false, true] {
                let (status, _, body) = get_htmx(c, path, htmx).await;
                if visible {
                    assert_eq!(status, StatusCode::OK, "{path} (htmx: {htmx})");
                    shown += 1;
                } else {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{path} (htmx: {htmx})");
                    hidden += 1;
                }
                let full = full_card_numbers(&body);
                assert!(full.is_empty(), "{path}: {full:?}");
                masked += body.matches("XXXXXX").count();
            }
        }
    }
    assert!(
        shown > 0 && hidden > 0,
        "{shown} pages shown and {hidden} refused: both are scanned"
    );
    assert!(masked > 0, "detail pages show masked numbers");
}

#[tokio::test]
async fn no_export_holds_a_full_card_number() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let mut masked = 0;
    // Every row, 3-D Secure checks included.
    for (format, file) in every_format(&admin, &period_pairs(&[("three_ds", "1")])).await {
        let texts: Vec<String> = if format == "xlsx" {
            let s = Sheet::read(&file.body);
            assert_eq!(s.height(), d.rows.len() + 1);
            s.cells
                .used_cells()
                .map(|(_, _, v)| match v {
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        } else {
            vec![file.text().to_string()]
        };
        for text in &texts {
            let full = full_card_numbers(text);
            assert!(full.is_empty(), "{format}: {full:?}");
            masked += text.matches("411111XXXXXX1111").count();
        }
    }
    assert!(masked >= 6, "the masked numbers are there, in every format");
}

#[tokio::test]
async fn no_card_number_or_security_code_reaches_the_data_file_the_logs_or_the_emails() {
    scan_everything("text").await;
}

/// The same scan with `--log-format json`: every log line is a JSON object, each
/// request is logged once with its id (the one of `X-Request-Id` and of the error
/// page), route template, status, duration and user, and no new field carries a
/// secret.
#[tokio::test]
async fn json_logs_hold_no_secret_and_log_each_request_once_with_its_id() {
    scan_everything("json").await;
}

async fn scan_everything(log_format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let log = dir.path().join("guichet.log");
    let merchant = seed_data_file(&data);
    let api_secret = {
        // Every test card from one address: more refusals than the default limits let through.
        let db = guichet::db::Db::open(&data).unwrap();
        let actor = guichet::domain::actor::Actor::new(0, "admin", "127.0.0.1");
        db.set_fraud_rules(
            merchant,
            &crate::fixtures::payments::no_velocity_limits(),
            &actor,
        )
        .unwrap()
        .unwrap();
        let issued = db.api_credential_create(merchant, &actor).unwrap().unwrap();
        (issued.credential.originator, issued.password)
    };
    let (smtp_port, port) = (free_port(), free_port());
    let smtp = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    let mut g =
        Guichet::start_with(&data, port, smtp_port, &log, &["--log-format", log_format]).await;
    let c = g.client();
    let r = c.login("riad.manager", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = session_cookie(&r);
    // A wrong password, a page that does not exist and a call of the merchant API.
    let wrong = "Wrong-secret-pass-2026";
    let r = g.client().login("riad.manager", wrong).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let missing = c.get("/transactions/987654").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let request_id = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(missing.text().await.unwrap().contains(&request_id));
    let api = reqwest::Client::new()
        .get(format!("{}/account?apiVersion=002.73", g.base))
        .basic_auth(&api_secret.0, Some(&api_secret.1))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
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
    // Passwords, the session token and the API secret appear in no log line.
    let text = String::from_utf8(std::fs::read(&log).unwrap()).unwrap();
    for (what, secret) in [
        ("password", USER_PASSWORD),
        ("wrong password", wrong),
        ("session token", session.as_str()),
        ("API secret", api_secret.1.as_str()),
    ] {
        assert!(!text.contains(secret), "the {what} is in the log");
    }
    if log_format == "json" {
        json_lines(&text, &request_id);
    }
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "scan done").unwrap();
}

/// The session token a sign-in answer sets.
fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("guichet_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

/// Every line of a JSON log is an object; the requests are logged once each, with
/// their fields; `missing_id` is the request of the 404 page, signed in.
fn json_lines(text: &str, missing_id: &str) {
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["level"].is_string()));
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "guichet::request")
        .collect();
    assert!(requests.len() > 20, "{} request lines", requests.len());
    for r in &requests {
        for field in ["request_id", "method", "route", "user", "ip"] {
            assert!(r[field].is_string(), "{field} in {r}");
        }
        assert!(r["status"].is_u64() && r["duration_ms"].is_number(), "{r}");
        // Routes are templates: never a payment link's secret.
        let route = r["route"].as_str().unwrap();
        assert!(route == "unmatched" || route.starts_with('/'), "{route}");
        assert!(
            !route.contains("/payment/") || route.starts_with("/payment/:token"),
            "{route}"
        );
    }
    let ids: std::collections::BTreeSet<&str> = requests
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), requests.len(), "each request is logged once");
    let missing: Vec<&&serde_json::Value> = requests
        .iter()
        .filter(|r| r["request_id"] == missing_id)
        .collect();
    assert_eq!(missing.len(), 1, "the 404 page's request");
    let m = missing[0];
    assert_eq!(m["status"], 404);
    assert_eq!(m["route"], "/transactions/:id");
    assert_eq!(m["method"], "GET");
    assert_eq!(m["user"], "riad.manager");
    assert!(m["user_id"].as_u64().unwrap() > 0);
    // Lines logged inside a request carry its id in their span.
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"].is_string() && l["target"] != "guichet::request"),
        "some line inside a request"
    );
}
