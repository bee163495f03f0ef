//! Housekeeping and table sizes (issue 15, points 4 and 5): old finished records
//! leave the data file, the pages that listed them still render, and
//! `guichet check` reports what each table costs.

use std::process::Command;

use guichet::clock::Clock;
use guichet::db::Scope;
use guichet::db::housekeeping::{DEFAULT_BATCH, Retention};
use guichet::db::outbox::MailAttempt;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, shop};
use crate::support::spawn_app;

#[tokio::test]
async fn a_payment_request_and_the_outbox_still_render_after_their_email_is_purged() {
    let app = spawn_app().await;
    let (merchant, c) = shop(&app).await;
    let (id, _) = new_request(&c, merchant, &[("action", "send")]).await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    let mail_id = *req.emails.last().expect("an email was queued");
    let now = app.clock.now();
    let attempt = MailAttempt {
        at: now.unix_timestamp(),
        error: None,
    };
    app.db.record_mail_attempt(mail_id, attempt, None).unwrap();

    // 181 days later the sent email is purged; the request still lists its id.
    let later = now + time::Duration::days(181);
    let purged = app
        .db
        .housekeep(later, &Retention::default(), DEFAULT_BATCH)
        .unwrap();
    assert_eq!(purged.emails, 1);
    assert!(app.db.mail(mail_id).unwrap().is_none());
    assert!(
        app.db
            .payment_request(Scope::Admin, id)
            .unwrap()
            .unwrap()
            .emails
            .contains(&mail_id)
    );

    // (The pass at that date also ended the sessions: sign in again.)
    let c = app.signed_in("atlas.manager").await;
    let (status, body) = c.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("CMD-2026-001"));
    let admin = app.admin().await;
    let (status, body) = admin.page("/parameters/emails").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(app.db.check().unwrap().is_ok());
}

#[tokio::test]
async fn guichet_check_reports_each_tables_rows_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    {
        let db = guichet::db::Db::open(&data).unwrap();
        let sizes = db.table_sizes().unwrap();
        assert!(sizes.iter().any(|t| t.name == "transactions"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["check", "--sizes-only", "--data", data.to_str().unwrap()])
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("bytes/tx"), "{text}");
    assert!(text.contains("meta "), "{text}");
    assert!(text.contains("file: "), "{text}");
    assert!(!text.contains("checked "), "sizes only: {text}");
}
