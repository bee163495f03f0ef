//! Security hardening of the web layer: redirects, cookies and HSTS, body limits,
//! the sign-in door, merchant managers' grants, exports in flight, the audit trail.

use guichet::clock::Clock;
use guichet::db::{audit, transactions};
use guichet::domain::user::{Permissions, Role};
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
async fn a_merchant_manager_cannot_grant_a_permission_they_do_not_hold() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let manager = Permissions {
        manage_users: true,
        export: true,
        ..Permissions::default()
    };
    let me = app.merchant_user("uber.users", m.id, manager);
    let c = app.signed_in("uber.users").await;
    let role = format!("merchant:{}", m.id);

    // Attack A7: granting himself everything.
    let r = c
        .post(
            &format!("/parameters/users/{}", me.id),
            &[
                ("role", &role),
                ("perm", "view"),
                ("perm", "export"),
                ("perm", "operate"),
                ("perm", "virtual_terminal"),
                ("perm", "manage_users"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("que vous avez vous-même"), "{body}");
    assert_eq!(app.db.user(me.id).unwrap().unwrap().permissions(), manager);
    assert_eq!(c.get("/transactions").await.status(), StatusCode::NOT_FOUND);

    // Nor even a subset of his own: nobody edits their own permissions.
    let r = c
        .post(
            &format!("/parameters/users/{}", me.id),
            &[("role", &role), ("perm", "manage_users")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("vos propres droits"));

    // A new account with more than he holds is refused, and not created.
    let r = c
        .post(
            "/parameters/users/new",
            &[
                ("username", "uber.ops"),
                ("role", &role),
                ("perm", "operate"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.user_by_username("uber.ops").unwrap().is_none());

    // Within what he holds, it works, and the audit line says before → after.
    let r = c
        .post(
            "/parameters/users/new",
            &[
                ("username", "uber.exp"),
                ("role", &role),
                ("perm", "export"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let other = app.db.user_by_username("uber.exp").unwrap().unwrap();
    let r = c
        .post(
            &format!("/parameters/users/{}", other.id),
            &[("role", &role)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = app.db.audit(guichet::db::Scope::Admin, 10).unwrap();
    let update = log.iter().find(|e| e.action == "user.update").unwrap();
    assert_eq!(
        update.detail,
        format!("role: merchant {0} [export] → merchant {0} [none]", m.id)
    );
    assert_eq!(update.actor, "uber.users");
}

#[tokio::test]
async fn an_admin_can_still_change_a_merchant_users_permissions() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::default());
    let admin = app.admin().await;
    let role = format!("merchant:{}", m.id);
    let r = admin
        .post(
            &format!("/parameters/users/{}", u.id),
            &[("role", &role), ("perm", "operate"), ("perm", "view")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = app.db.user(u.id).unwrap().unwrap().permissions();
    assert!(p.operate && p.view);
}

#[tokio::test]
async fn a_virtual_terminal_only_user_sees_requests_but_not_their_attempt_rows() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let vt_only = Permissions {
        virtual_terminal: true,
        ..Permissions::default()
    };
    app.merchant_user("uber.vt", m.id, vt_only);
    app.merchant_user("uber.all", m.id, Permissions::ALL);
    let all = app.signed_in("uber.all").await;
    let (id, token) = crate::fixtures::payments::new_request(&all, m.id, &[]).await;
    crate::fixtures::payments::pay(&app.client(), &token, "4000 0000 0000 0002", "123456").await;

    let vt = app.signed_in("uber.vt").await;
    let (status, body) = vt.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("réservé aux utilisateurs"), "{body}");
    assert!(!body.contains("0002"), "the masked card shows");
    assert!(!body.contains("/transactions/"), "links to attempt rows");
    let (_, body) = all.page(&format!("/payment-requests/{id}")).await;
    assert!(body.contains("0002"));
}

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
    assert!(page.contains("rows=30"));

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

#[tokio::test]
async fn an_admin_account_role_cannot_be_changed_by_its_owner() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let admin = app.admin().await;
    let me = app.db.user_by_username("admin").unwrap().unwrap();
    let r = admin
        .post(
            &format!("/parameters/users/{}", me.id),
            &[("role", &format!("merchant:{}", m.id))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.user(me.id).unwrap().unwrap().role, Role::Admin);
}

#[tokio::test]
async fn a_card_number_in_a_users_name_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let admin = app.admin().await;
    let role = format!("merchant:{}", m.id);
    let r = admin
        .post(
            "/parameters/users/new",
            &[
                ("username", "uber.new"),
                ("full_name", "Omar 4111 1111 1111 1111"),
                ("role", &role),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("numéro de carte"));
    assert!(app.db.user_by_username("uber.new").unwrap().is_none());
    let u = app.merchant_user("uber.old", m.id, Permissions::default());
    let r = admin
        .post(
            &format!("/parameters/users/{}", u.id),
            &[("email", "4111111111111111@example.ma"), ("role", &role)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.user(u.id).unwrap().unwrap().email, "");
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
async fn a_merchant_manager_cannot_enable_an_account_the_platform_admin_disabled() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let manager = Permissions {
        manage_users: true,
        ..Permissions::default()
    };
    app.merchant_user("uber.users", m.id, manager);
    let staff = app.merchant_user("uber.staff", m.id, Permissions::default());
    let admin = app.admin().await;
    let r = admin
        .post(&format!("/parameters/users/{}/disable", staff.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let c = app.signed_in("uber.users").await;
    let (_, page) = c.page(&format!("/parameters/users/{}", staff.id)).await;
    assert!(page.contains("lui seul peut le réactiver"), "{page}");
    // Disabling it again himself does not wipe the admin's mark.
    let r = c
        .post(&format!("/parameters/users/{}/disable", staff.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.db.user(staff.id).unwrap().unwrap().disabled_by_admin);
    let r = c
        .post(&format!("/parameters/users/{}/enable", staff.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.db.user(staff.id).unwrap().unwrap().disabled);

    // What the manager disabled himself, he may enable again.
    let other = app.merchant_user("uber.other", m.id, Permissions::default());
    let r = c
        .post(&format!("/parameters/users/{}/disable", other.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(&format!("/parameters/users/{}/enable", other.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!app.db.user(other.id).unwrap().unwrap().disabled);
    // And the admin can enable what the admin disabled.
    let r = admin
        .post(&format!("/parameters/users/{}/enable", staff.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!app.db.user(staff.id).unwrap().unwrap().disabled);
}

#[tokio::test]
async fn a_manager_cannot_take_over_an_account_holding_more_or_his_own_through_a_reset() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let users_only = Permissions {
        manage_users: true,
        ..Permissions::default()
    };
    let me = app.merchant_user("uber.users", m.id, users_only);
    let peer = app.merchant_user(
        "uber.boss",
        m.id,
        Permissions {
            operate: true,
            ..users_only
        },
    );
    let c = app.signed_in("uber.users").await;
    for action in ["reset", "reactivate", "disable", "unlock"] {
        let r = c
            .post(&format!("/parameters/users/{}/{action}", peer.id), &[])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let r = c
        .post(
            &format!("/parameters/users/{}", peer.id),
            &[("role", &format!("merchant:{}", m.id))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = c.page(&format!("/parameters/users/{}", peer.id)).await;
    assert!(page.contains("des droits que vous n'avez pas"), "{page}");
    // Nor a reset of his own account (a stolen session must not become a password).
    let r = c
        .post(&format!("/parameters/users/{}/reset", me.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let after = app.db.user(peer.id).unwrap().unwrap();
    assert!(!after.must_change_password && !after.disabled);
    assert!(!app.db.user(me.id).unwrap().unwrap().must_change_password);
}

#[tokio::test]
async fn a_card_number_typed_as_the_holder_is_not_sent_back_on_the_payment_page() {
    let app = spawn_app().await;
    let (merchant, c) = crate::fixtures::payments::shop(&app).await;
    let (_, token) = crate::fixtures::payments::new_request(&c, merchant, &[]).await;
    let customer = app.client();
    let (_, page) = customer.page(&format!("/payment/{token}")).await;
    let csrf = crate::support::html::field_in(&page, "csrf");
    let attempt = crate::support::html::field_in(&page, "attempt");
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &csrf),
                ("attempt", &attempt),
                ("lang", "fr"),
                ("holder", "4012 8888 8888 1881"),
                ("number", "4111 1111 1111 1111"),
                ("expiry", "4111111111111111"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    for digits in [
        "4012 8888 8888 1881",
        "4012888888881881",
        "4111111111111111",
        "4111 1111 1111 1111",
    ] {
        assert!(!body.contains(digits), "{digits} sent back");
    }
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

#[tokio::test]
async fn waiting_link_emails_are_withdrawn_when_a_new_link_or_a_cancel_makes_them_useless() {
    let app = spawn_app().await;
    let (merchant, c) = crate::fixtures::payments::shop(&app).await;
    // No SMTP server: the emails wait in the outbox.
    let (first, _) =
        crate::fixtures::payments::new_request(&c, merchant, &[("action", "send")]).await;
    let mail_of = |id: u64| {
        let req = app
            .db
            .payment_request(guichet::db::Scope::Admin, id)
            .unwrap()
            .unwrap();
        app.db.mail(req.emails[0]).unwrap().unwrap()
    };
    assert_eq!(
        mail_of(first).state,
        guichet::db::outbox::MailState::Pending
    );
    assert!(mail_of(first).text.contains("/payment/"));
    let new = crate::fixtures::payments::new_link(&c, first).await;
    let old_mail = mail_of(first);
    assert_eq!(old_mail.state, guichet::db::outbox::MailState::Failed);
    assert!(!old_mail.text.contains(&new));
    assert!(old_mail.text.contains("/payment/…") || !old_mail.text.contains("/payment/"));
    assert!(
        old_mail
            .attempts
            .last()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("newer link")
    );
    assert_eq!(app.db.due_mails(i64::MAX, 10).unwrap().len(), 0);

    let (second, _) =
        crate::fixtures::payments::new_request(&c, merchant, &[("action", "send")]).await;
    let r = c
        .post(&format!("/payment-requests/{second}/cancel"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mail_of(second).state,
        guichet::db::outbox::MailState::Failed
    );
    assert_eq!(app.db.due_mails(i64::MAX, 10).unwrap().len(), 0);
}
