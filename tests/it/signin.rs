//! Sign-in under concurrency (H2, M1): admin changes committed while a sign-in is
//! parked between its password check and its write are never undone; parallel wrong
//! passwords lock after exactly three. Also the bounded attempt counters, the
//! housekeeping, and the migration of a schema-1 data file.

use std::sync::Barrier;

use guichet::auth::login::{
    ChangeError, SignInError, change_password, change_password_with, issue_one_time_password,
    sign_in, sign_in_with,
};
use guichet::auth::second_factor::housekeeping;
use guichet::clock::Clock;
use guichet::db::sessions::{self, SessionStage};
use guichet::db::{Db, Scope, audit, users};
use guichet::domain::auth::Attempts;
use guichet::domain::user::{Permissions, Role};
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};

use crate::support::{USER_PASSWORD, spawn_app, spawn_app_with};

const IP: &str = "192.0.2.7";

fn entry(action: &str) -> audit::AuditEntry {
    audit::AuditEntry {
        at: 0,
        actor: "admin".into(),
        ip: IP.into(),
        action: action.into(),
        target: "user omar".into(),
        merchant_id: None,
        ..Default::default()
    }
}

/// What the admin's Disable button commits.
fn disable(db: &Db, id: u64) {
    let wtx = db.begin_write().unwrap();
    let mut u = users::get(&wtx, id).unwrap().unwrap();
    u.disabled = true;
    sessions::end_all_for_user(&wtx, id).unwrap();
    users::update(&wtx, &u).unwrap();
    audit::append(&wtx, db.audit_key(), &entry("user.disable")).unwrap();
    wtx.commit().unwrap();
}

/// Puts a user back as the test wants it before an iteration.
fn restore(db: &Db, id: u64, hash: &str, role: Role) {
    let wtx = db.begin_write().unwrap();
    let mut u = users::get(&wtx, id).unwrap().unwrap();
    u.disabled = false;
    u.must_change_password = false;
    u.password_hash = hash.into();
    u.role = role;
    users::update(&wtx, &u).unwrap();
    users::put_attempts(&wtx, &u.username, Attempts::default()).unwrap();
    sessions::end_all_for_user(&wtx, id).unwrap();
    wtx.commit().unwrap();
}

#[tokio::test]
async fn a_disable_committed_while_a_sign_in_is_parked_is_never_undone() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    for i in 0..100 {
        restore(&app.db, u.id, &u.password_hash, u.role);
        let r = sign_in_with(&app.db, "omar", USER_PASSWORD, now, IP, None, &|| {
            disable(&app.db, u.id)
        });
        assert!(matches!(r, Err(SignInError::Disabled)), "{i}: {r:?}");
        assert!(app.db.user(u.id).unwrap().unwrap().disabled, "{i}");
        assert_eq!(app.db.session_count().unwrap(), 0, "{i}");
    }
}

#[tokio::test]
async fn a_password_reset_committed_while_a_sign_in_is_parked_is_never_undone() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    for i in 0..100 {
        restore(&app.db, u.id, &u.password_hash, u.role);
        let otp = std::cell::RefCell::new(String::new());
        let r = sign_in_with(&app.db, "omar", USER_PASSWORD, now, IP, None, &|| {
            let p = issue_one_time_password(&app.db, u.id, now, entry("user.reset")).unwrap();
            *otp.borrow_mut() = p;
        });
        assert!(matches!(r, Err(SignInError::Invalid)), "{i}: {r:?}");
        let after = app.db.user(u.id).unwrap().unwrap();
        assert!(after.must_change_password, "{i}");
        assert!(
            guichet::auth::verify_password(&otp.borrow(), &after.password_hash),
            "{i}"
        );
        assert_eq!(app.db.session_count().unwrap(), 0, "{i}");
    }
}

#[tokio::test]
async fn a_permission_removal_committed_while_a_sign_in_is_parked_is_never_undone() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    let reduced = Role::Merchant {
        merchant_id: m.id,
        permissions: Permissions {
            view: true,
            ..Permissions::default()
        },
    };
    for i in 0..100 {
        restore(&app.db, u.id, &u.password_hash, u.role);
        let r = sign_in_with(&app.db, "omar", USER_PASSWORD, now, IP, None, &|| {
            let wtx = app.db.begin_write().unwrap();
            let mut x = users::get(&wtx, u.id).unwrap().unwrap();
            x.role = reduced;
            users::update(&wtx, &x).unwrap();
            wtx.commit().unwrap();
        })
        .unwrap();
        assert_eq!(r.user.role, reduced, "{i}");
        assert_eq!(app.db.user(u.id).unwrap().unwrap().role, reduced, "{i}");
    }
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_count_three_and_lock_the_right_one_out() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    let barrier = Barrier::new(20);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    sign_in(&app.db, "omar", "wrong-password-1", now, IP, None)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let invalid = results
        .iter()
        .filter(|r| matches!(r, Err(SignInError::Invalid)))
        .count();
    let locked = results
        .iter()
        .filter(|r| matches!(r, Err(SignInError::Locked)))
        .count();
    assert_eq!((invalid, locked), (2, 18));
    let a = app.db.attempts("omar").unwrap();
    assert_eq!(a.failures, 3);
    assert!(a.is_locked(now));
    let r = sign_in(&app.db, "omar", USER_PASSWORD, now, IP, None);
    assert!(matches!(r, Err(SignInError::Locked)), "{r:?}");
    // Three failures and one lockout in the audit log.
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    let count = |a: &str| log.iter().filter(|e| e.action == a).count();
    assert_eq!((count("auth.failure"), count("auth.lockout")), (3, 1));
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_over_http_lock_the_account() {
    // The sign-in door would turn most of them away (429) before any counting:
    // open it wide to show what the counter alone does.
    let app = spawn_app_with(|c| {
        c.sign_in.per_ip.burst = 100;
        c.sign_in.per_username.burst = 100;
        c.sign_in.queue = 100;
    })
    .await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let clients: Vec<_> = (0..20).map(|_| app.client()).collect();
    let mut tokens = Vec::new();
    for c in &clients {
        tokens.push(c.csrf().await);
    }
    let answers = futures_util::future::join_all(clients.iter().zip(&tokens).map(|(c, t)| {
        let fields = vec![
            ("username", "omar".to_string()),
            ("password", "wrong-password-1".to_string()),
            ("csrf", t.clone()),
        ];
        c.http
            .post(format!("{}/login", c.base))
            .form(&fields)
            .send()
    }))
    .await;
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    assert!(
        answers
            .iter()
            .all(|r| r.status() == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(app.db.attempts("omar").unwrap().failures, 3);
    let r = app.client().login("omar", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("bloqué"));
}

#[tokio::test]
async fn names_longer_than_forty_characters_are_refused_without_storing_anything() {
    let app = spawn_app().await;
    let c = app.client();
    let long = "x".repeat(41);
    let r = c.login(&long, "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("incorrect"));
    let r = c.login(&"y".repeat(2_000), "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.db.attempts_rows().unwrap(), 0);
    // Names are normalised: case and spaces reach the same counter.
    c.login("  Nobody.Here ", "wrong-password-1").await;
    c.login("NOBODY.HERE", "wrong-password-1").await;
    assert_eq!(app.db.attempts_rows().unwrap(), 1);
    assert_eq!(app.db.attempts("nobody.here").unwrap().failures, 2);
}

#[tokio::test]
async fn housekeeping_removes_dead_sessions_and_ran_out_locks() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    let t = now.unix_timestamp();
    let wtx = app.db.begin_write().unwrap();
    let live = sessions::insert(&wtx, u.id, t, IP, SessionStage::Full).unwrap();
    let idle = sessions::insert(&wtx, u.id, t - 3600, IP, SessionStage::Full).unwrap();
    let waiting = sessions::insert(&wtx, u.id, t - 1, IP, SessionStage::SecondFactor).unwrap();
    let stale = sessions::insert(&wtx, u.id, t - 301, IP, SessionStage::SecondFactor).unwrap();
    let ran_out = Attempts {
        failures: 3,
        locked_until: Some(t - 1),
    };
    let still = Attempts {
        failures: 3,
        locked_until: Some(t + 60),
    };
    users::put_attempts(&wtx, "old.guess", ran_out).unwrap();
    users::put_attempts(&wtx, "new.guess", still).unwrap();
    wtx.commit().unwrap();
    assert_eq!(housekeeping(&app.db, now).unwrap(), (2, 1));
    assert!(app.db.session(&live).unwrap().is_some());
    assert!(app.db.session(&waiting).unwrap().is_some());
    assert!(app.db.session(&idle).unwrap().is_none());
    assert!(app.db.session(&stale).unwrap().is_none());
    assert_eq!(app.db.attempts_rows().unwrap(), 1);
    // Later everything has run out.
    let later = now + Duration::hours(13);
    assert_eq!(housekeeping(&app.db, later).unwrap(), (2, 1));
    assert_eq!(app.db.session_count().unwrap(), 0);
}

#[tokio::test]
async fn a_password_change_parked_while_an_admin_resets_the_password_is_refused() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let now = app.clock.now();
    let otp = std::cell::RefCell::new(String::new());
    let r = change_password_with(
        &app.db,
        u.id,
        USER_PASSWORD,
        "Brand-new-pass-2026",
        "Brand-new-pass-2026",
        now,
        IP,
        &|| {
            let p = issue_one_time_password(&app.db, u.id, now, entry("user.reset")).unwrap();
            *otp.borrow_mut() = p;
        },
    );
    assert!(matches!(r, Err(ChangeError::Changed)), "{r:?}");
    let after = app.db.user(u.id).unwrap().unwrap();
    assert!(after.must_change_password);
    assert!(guichet::auth::verify_password(
        &otp.borrow(),
        &after.password_hash
    ));
}

#[tokio::test]
async fn wrong_current_passwords_lock_the_account_and_end_its_sessions() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    let now = app.clock.now();
    for _ in 0..2 {
        let r = change_password(
            &app.db,
            u.id,
            "not-it-1",
            "A-new-pass-2026",
            "A-new-pass-2026",
            now,
            IP,
        );
        assert!(matches!(r, Err(ChangeError::WrongCurrent)), "{r:?}");
    }
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    let r = c
        .post(
            "/parameters/profile/password",
            &[
                ("current", "not-it-1"),
                ("new", "A-new-pass-2026"),
                ("confirm", "A-new-pass-2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("bloqué"));
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    let r = sign_in(&app.db, "omar", USER_PASSWORD, now, IP, None);
    assert!(matches!(r, Err(SignInError::Locked)), "{r:?}");
}

#[tokio::test]
async fn a_schema_one_demo_file_is_migrated_and_a_demo_user_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.redb");
    std::fs::copy("tests/fixtures/v1-demo.redb", &path).unwrap();
    let db = Db::open(&path).unwrap();
    let all = db.users(Scope::Admin).unwrap();
    assert!(all.len() >= 3, "{}", all.len());
    assert!(
        all.iter()
            .all(|u| u.second_factor.is_none() && !u.disabled_by_admin)
    );
    assert_eq!(db.session_count().unwrap(), 0);
    let manager = all
        .iter()
        .find(|u| u.username.ends_with(".manager"))
        .unwrap();
    let now = OffsetDateTime::from_unix_timestamp(manager.last_used_at + 60).unwrap();
    let signed = sign_in(
        &db,
        &manager.username,
        guichet::demo::DEMO_PASSWORD,
        now,
        IP,
        None,
    )
    .unwrap();
    assert_eq!(signed.stage, SessionStage::Full);
    assert!(!signed.user.must_change_password);
    let admin = db.user_by_username("demo.admin").unwrap().unwrap();
    let now = OffsetDateTime::from_unix_timestamp(admin.last_used_at + 60).unwrap();
    assert!(
        sign_in(
            &db,
            "demo.admin",
            guichet::demo::DEMO_PASSWORD,
            now,
            IP,
            None
        )
        .is_ok()
    );
    drop(db);
    // Opened again: already schema 2, nothing to migrate; the check finds it sound.
    let db = Db::open(&path).unwrap();
    assert!(db.user_by_username("demo.admin").unwrap().is_some());
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn the_command_line_removes_a_lost_second_factor() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.redb");
    let now = OffsetDateTime::now_utc();
    {
        let db = Db::open(&path).unwrap();
        guichet::auth::bootstrap::first_admin(&db, "admin", now).unwrap();
        let wtx = db.begin_write().unwrap();
        let mut u = users::get(&wtx, 1).unwrap().unwrap();
        u.second_factor = Some(guichet::domain::totp::SecondFactor {
            secret: vec![7; 20],
            confirmed_at: Some(now.unix_timestamp()),
            recovery: Vec::new(),
            last_step: 0,
        });
        users::update(&wtx, &u).unwrap();
        sessions::insert(&wtx, 1, now.unix_timestamp(), IP, SessionStage::Full).unwrap();
        wtx.commit().unwrap();
    }
    let cli = guichet::cli::Cli::parse_from([
        "guichet",
        "admin",
        "--data",
        path.to_str().unwrap(),
        "reset-second-factor",
        "admin",
    ]);
    guichet::cli::run(cli).await.unwrap();
    let db = Db::open(&path).unwrap();
    assert!(!db.user(1).unwrap().unwrap().has_second_factor());
    assert_eq!(db.session_count().unwrap(), 0);
    let log = db.audit(Scope::Admin, 10).unwrap();
    assert_eq!(log[0].action, "user.second_factor_reset");
    assert!(log[0].actor.starts_with("cli"), "{}", log[0].actor);
}

#[tokio::test]
async fn the_check_finds_accounts_out_of_shape() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    app.enrol(u.id);
    assert!(app.db.check().unwrap().is_ok());
    let wtx = app.db.begin_write().unwrap();
    guichet::db::security::put_settings(
        &wtx,
        &guichet::db::security::SecuritySettings {
            password_max_age_days: 90,
            second_factor_merchants: vec![m.id, 999],
        },
    )
    .unwrap();
    sessions::insert(&wtx, 4242, 0, IP, SessionStage::Full).unwrap();
    wtx.commit().unwrap();
    let problems = app.db.check().unwrap().problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("missing merchant 999")));
    assert!(problems.iter().any(|p| p.contains("missing user 4242")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disable_clicked_while_a_sign_in_is_parked_on_another_thread_stays() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let admin = app.admin().await;
    let now = app.clock.now();
    for i in 0..20 {
        restore(&app.db, u.id, &u.password_hash, u.role);
        let (parked, is_parked) = std::sync::mpsc::channel::<()>();
        let (go, wait_go) = std::sync::mpsc::channel::<()>();
        let db = app.db.clone();
        let signing = std::thread::spawn(move || {
            sign_in_with(&db, "omar", USER_PASSWORD, now, IP, None, &|| {
                parked.send(()).unwrap();
                wait_go.recv().unwrap();
            })
        });
        tokio::task::spawn_blocking(move || is_parked.recv().unwrap())
            .await
            .unwrap();
        // The admin clicks Disable while the sign-in is between its check and its write.
        let r = admin
            .post(&format!("/parameters/users/{}/disable", u.id), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{i}");
        go.send(()).unwrap();
        let r = signing.join().unwrap();
        assert!(matches!(r, Err(SignInError::Disabled)), "{i}: {r:?}");
        assert!(app.db.user(u.id).unwrap().unwrap().disabled, "{i}");
    }
}
