//! Exports in flight (one per user, a stalled client dropped) and the audit trail.

use guichet::clock::Clock;
use guichet::db::{audit, transactions};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::support::{spawn_app, spawn_app_with};

async fn big_export_fixture(app: &crate::support::TestApp, n: usize) -> u64 {
    let m = app.merchant("Uber");
    let t0 = app.clock.now() - Duration::hours(2);
    let mut rows: Vec<_> = (0..n)
        .map(|i| {
            let mut t = crate::fixtures::rows::sale(
                m.id,
                t0 + Duration::milliseconds(i as i64),
                100,
                "Omar Benani",
            );
            t.sale.order_id = format!("UB-{i:06}-{}", "x".repeat(40));
            t
        })
        .collect();
    let wtx = app.db.begin_write().unwrap();
    transactions::insert_many(&wtx, &mut rows).unwrap();
    wtx.commit().unwrap();
    m.id
}

const ALL_CSV: &str = "/transactions/export?format=csv&scope=all&from=2026-05-31&to=2026-06-02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_export_by_the_same_user_waits_for_the_first_then_is_refused() {
    let app = spawn_app().await;
    big_export_fixture(&app, 60_000).await;
    let admin = app.admin().await;
    // The first download is started and not read: it stays in flight.
    let first = admin.get(ALL_CSV).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = admin.get(ALL_CSV).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.text().await.unwrap().contains("déjà en cours"));
    // Another user is not held up by it.
    let m = app.db.merchants(guichet::db::Scope::Admin).unwrap()[0].id;
    app.merchant_user("uber.exp", m, Permissions::ALL);
    let other = app.signed_in("uber.exp").await;
    let r = other.get(ALL_CSV).await;
    assert_eq!(r.status(), StatusCode::OK);
    drop(r);
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_an_export_is_dropped_and_frees_its_place() {
    let app = spawn_app_with(|c| c.export_stall = std::time::Duration::from_millis(500)).await;
    big_export_fixture(&app, 60_000).await;
    let admin = app.admin().await;
    let stalled = admin.get(ALL_CSV).await;
    assert_eq!(stalled.status(), StatusCode::OK);
    // Without reading a byte, the server gives up on it and the next export runs.
    let next = admin.get(ALL_CSV).await;
    assert_eq!(next.status(), StatusCode::OK);
    let body = next.bytes().await.unwrap();
    assert!(body.len() > 1_000_000);
    // The stalled transfer was cut: it never gets the whole file.
    let ended = stalled.bytes().await.map(|b| b.len()).unwrap_or(0);
    assert!(ended < body.len(), "{ended} of {} bytes", body.len());
}

#[tokio::test]
async fn exports_and_views_of_the_audit_log_are_audited_and_the_chain_holds() {
    let app = spawn_app().await;
    big_export_fixture(&app, 30).await;
    let admin = app.admin().await;
    let r = admin
        .get("/transactions/export?format=json&scope=all&from=2026-05-31&to=2026-06-02&status=accepted")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap();
    let (status, page) = admin.page("/parameters/audit").await;
    assert_eq!(status, StatusCode::OK);
    let log = app.db.audit(guichet::db::Scope::Admin, 10).unwrap();
    assert_eq!(log[0].action, "audit.view");
    let export = log.iter().find(|e| e.action == "export").unwrap();
    assert_eq!(export.actor, "admin");
    assert_eq!(export.ip, "127.0.0.1");
    assert!(
        export.detail.starts_with("format=json scope=all rows=30 "),
        "{}",
        export.detail
    );
    assert!(
        export.detail.contains("status=accepted"),
        "{}",
        export.detail
    );
    // The page shows the codes in words: 30 rows, all of them.
    assert!(
        page.contains("Exportation des transactions")
            && page.contains("toutes les lignes, 30 lignes"),
        "{page}"
    );

    let chain = app.db.verify_audit_chain().unwrap();
    assert_eq!(chain.first_break, None);
    assert!(chain.entries >= 3);
    // Someone edits the export line in the file: the check finds it.
    let seq = chain.entries - 1;
    audit::tamper_for_tests(&app.db, seq, |e| e.detail = "format=csv rows=1".into()).unwrap();
    let report = app.db.check().unwrap();
    assert!(!report.is_ok());
    assert!(
        report.problems[0].contains(&format!("breaks at entry {seq}")),
        "{:?}",
        report.problems
    );
}
