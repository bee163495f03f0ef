//! Processing › Authorizations to capture: exactly the accepted authorizations still
//! holding (not captured, not cancelled, under 7 days), soonest expiry first, in the
//! reader's scope, with the time each has left.

use guichet::clock::Clock;
use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::fixtures::rows::{sale, write};
use crate::support::{TestApp, spawn_app};

/// The listed ids in page order (each row's `data-id`).
fn rows_in(body: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(r#" data-id=""#) {
        rest = &rest[at + 10..];
        out.push(rest[..rest.find('"').unwrap()].parse().unwrap());
    }
    out
}

/// The count in the heading.
fn count_in(body: &str) -> u64 {
    let marker = r#"id="open-count" data-count=""#;
    let at = body.find(marker).expect("a heading with the count") + marker.len();
    body[at..at + body[at..].find('"').unwrap()]
        .parse()
        .unwrap()
}

fn authorization(merchant: u64, ago: Duration, app: &TestApp, code: ResultCode) -> Transaction {
    let mut t = sale(merchant, app.clock.now() - ago, 10_000, "Salma Idrissi");
    t.operation = Operation::Authorization;
    t.code = code;
    t
}

fn follow_up(parent: &Transaction, op: Operation, code: ResultCode, app: &TestApp) -> Transaction {
    let mut t = sale(
        parent.merchant_id,
        app.clock.now() - Duration::minutes(30),
        10_000,
        "",
    );
    t.operation = op;
    t.code = code;
    t.parent_id = Some(parent.id);
    t
}

/// Two merchants' authorizations in every state: the merchants, and the open ids
/// soonest first as the admin sees them, Atlas's and Bahia's.
struct Week {
    atlas: u64,
    bahia: u64,
    all: Vec<u64>,
    atlas_open: Vec<u64>,
    bahia_open: Vec<u64>,
}

fn week(app: &TestApp) -> Week {
    let atlas = app.merchant("Atlas").id;
    let bahia = app.merchant("Bahia").id;
    let ok = ResultCode::ACCEPTED;
    let d = Duration::days;
    let h = Duration::hours;
    let rows = write(
        app,
        vec![
            authorization(atlas, d(8), app, ok),         // expired
            authorization(atlas, d(6) + h(2), app, ok),  // 22 h left
            authorization(bahia, d(5), app, ok),         // Bahia's
            authorization(atlas, d(4) + h(20), app, ok), // 2 d 4 h left
            authorization(atlas, d(3), app, ok),         // captured
            authorization(atlas, d(2), app, ok),         // cancelled
            authorization(atlas, d(1), app, ok),         // capture refused
            authorization(atlas, h(1), app, ResultCode::INSUFFICIENT_FUNDS), // refused
        ],
    );
    write(
        app,
        vec![
            follow_up(&rows[4], Operation::Capture, ok, app),
            follow_up(&rows[5], Operation::Cancel, ok, app),
            follow_up(
                &rows[6],
                Operation::Capture,
                ResultCode::ISSUER_REFUSED,
                app,
            ),
        ],
    );
    let id = |i: usize| rows[i].id;
    Week {
        atlas,
        bahia,
        all: vec![id(1), id(2), id(3), id(6)],
        atlas_open: vec![id(1), id(3), id(6)],
        bahia_open: vec![id(2)],
    }
}

#[tokio::test]
async fn the_page_lists_exactly_the_open_authorizations_soonest_first() {
    let app = spawn_app().await;
    let w = week(&app);
    let admin = app.admin().await;
    let (status, body) = admin.page("/authorizations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows_in(&body), w.all);
    assert_eq!(count_in(&body), 4);
    assert!(body.contains("4 autorisations à capturer"), "{body}");
    // Each row leads to its transaction's Operations tab.
    for id in &w.all {
        assert!(body.contains(&format!(r#"href="/transactions/{id}?tab=operations""#)));
    }
    // The admin sees the merchant column and may choose one.
    assert!(body.contains(r#"name="merchant""#) && body.contains("Bahia"));
    // The database agrees.
    let now = app.clock.now().unix_timestamp();
    let db: Vec<u64> = app
        .db
        .open_authorizations(Scope::Admin, None, now)
        .unwrap()
        .iter()
        .map(|o| o.tx.id)
        .collect();
    assert_eq!(db, w.all);
}

#[tokio::test]
async fn the_time_left_is_said_in_words_and_the_last_day_is_urgent() {
    let app = spawn_app().await;
    let w = week(&app);
    let admin = app.admin().await;
    let (_, body) = admin.page("/authorizations").await;
    let urgent = format!(r#"<tr class="urgent" data-id="{}""#, w.atlas_open[0]);
    assert!(body.contains(&urgent), "{body}");
    assert_eq!(body.matches(r#"class="urgent""#).count(), 1);
    assert!(body.contains("dans 22\u{a0}h 0\u{a0}min"), "{body}");
    assert!(body.contains("dans 2\u{a0}j 4\u{a0}h"), "{body}");
    let r = admin.post("/lang", &[("lang", "en")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, en) = admin.page("/authorizations").await;
    assert!(en.contains("4 authorizations to capture"));
    assert!(en.contains("in 2\u{a0}d 4\u{a0}h") && en.contains("in 22\u{a0}h 0\u{a0}min"));
}

#[tokio::test]
async fn merchant_users_see_only_their_own_and_another_merchants_id_is_not_found() {
    let app = spawn_app().await;
    let w = week(&app);
    let view = Permissions {
        view: true,
        ..Permissions::default()
    };
    app.merchant_user("atlas.viewer", w.atlas, view);
    let c = app.signed_in("atlas.viewer").await;
    let (status, body) = c.page("/authorizations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows_in(&body), w.atlas_open);
    assert!(body.contains("3 autorisations à capturer"));
    assert!(!body.contains("Bahia"), "no merchant column nor choice");
    assert!(!body.contains(r#"name="merchant""#));
    let (status, own) = c
        .page(&format!("/authorizations?merchant={}", w.atlas))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows_in(&own), w.atlas_open);
    for other in [w.bahia.to_string(), "999".into(), "x".into()] {
        let (status, body) = c.page(&format!("/authorizations?merchant={other}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
        for id in &w.bahia_open {
            assert!(!body.contains(&format!(r#"data-id="{id}""#)));
        }
    }
}

#[tokio::test]
async fn admins_see_every_merchant_or_the_one_asked_for() {
    let app = spawn_app().await;
    let w = week(&app);
    let admin = app.admin().await;
    let (_, bahia) = admin
        .page(&format!("/authorizations?merchant={}", w.bahia))
        .await;
    assert_eq!(rows_in(&bahia), w.bahia_open);
    assert!(bahia.contains("1 autorisation à capturer"));
    let (_, atlas) = admin
        .page(&format!("/authorizations?merchant={}", w.atlas))
        .await;
    assert_eq!(rows_in(&atlas), w.atlas_open);
    let (_, all) = admin.page("/authorizations?merchant=").await;
    assert_eq!(rows_in(&all), w.all);
    let (status, _) = admin.page("/authorizations?merchant=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_nothing_to_capture_the_page_says_so() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, body) = admin.page("/authorizations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_in(&body), 0);
    assert!(body.contains("0 autorisation à capturer"));
    assert!(body.contains(r#"id="no-open""#) && !body.contains("<table"));
}

#[tokio::test]
async fn an_authorization_captured_in_full_leaves_the_list() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let mut auths = Vec::new();
    for _ in 0..2 {
        let (request, token) = new_request(&manager, m, &[("operation", "authorization")]).await;
        pay(&app.client(), &token, "4111111111111111", "").await;
        let req = app
            .db
            .payment_request(Scope::Admin, request)
            .unwrap()
            .unwrap();
        auths.push(*req.attempts.last().unwrap());
    }
    let (_, body) = manager.page("/authorizations").await;
    assert_eq!(rows_in(&body), auths);
    let r = manager
        .post(
            &format!("/transactions/{}/operations/capture", auths[0]),
            &[("amount", "250,00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = manager
        .post(
            &format!("/transactions/{}/operations/cancel", auths[1]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, body) = manager.page("/authorizations").await;
    assert!(rows_in(&body).is_empty(), "{body}");
    assert_eq!(count_in(&body), 0);
}

#[tokio::test]
async fn on_a_390_px_phone_each_authorization_is_a_card_without_sideways_scroll() {
    let app = spawn_app().await;
    let w = week(&app);
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = crate::support::browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in_with_code("boss", &secret, app.clock.now().unix_timestamp())
        .await;
    p.c.set_window_size(390, 844).await.unwrap();
    p.goto("/authorizations").await;
    p.wait_for("#open-auths tbody tr").await;
    let inner = p.js("return window.innerWidth;").await.as_f64().unwrap();
    assert!(inner <= 400.0, "the window is a phone's: {inner}");
    assert_eq!(
        p.js("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await,
        true,
        "sideways scroll at 390 px"
    );
    let cards = p
        .js(
            "return [...document.querySelectorAll('#open-auths tbody tr')].map(tr => {
               const r = tr.getBoundingClientRect();
               return [r.left, r.right, getComputedStyle(tr).display];
             });",
        )
        .await;
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), w.all.len());
    for c in cards {
        let (left, right) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(left >= 0.0 && right <= inner, "a card overflows: {c}");
        assert_ne!(c[2], "table-row", "not stacked: {c}");
    }
    b.screenshot("target/screenshots/authorizations-390.png")
        .await;
}
