//! Two-factor sign-in for staff (PCI DSS 8.4.2), password maximum age (8.3.9) and
//! session rotation, through HTTP with the fake clock.

use guichet::clock::Clock;
use guichet::db::Scope;
use guichet::domain::totp;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::support::{ADMIN_PASSWORD, Client, RECOVERY_CODE, TestApp, USER_PASSWORD, spawn_app};

/// Signs `c` in as the admin for the first time; returns the secret read from the
/// enrolment page and the recovery codes shown.
async fn first_admin_sign_in(app: &TestApp, c: &Client) -> (Vec<u8>, Vec<String>) {
    c.login("admin", &app.admin_otp).await;
    let r = c
        .post(
            "/password",
            &[
                ("current", &app.admin_otp),
                ("new", ADMIN_PASSWORD),
                ("confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for path in [
        "/",
        "/parameters/profile",
        "/parameters/users",
        "/transactions",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.headers()["location"], "/second-factor", "{path}");
    }
    let (_, page) = c.page("/second-factor").await;
    assert!(page.contains("obligatoire"), "{page}");
    app.enrol_through_pages(c, ADMIN_PASSWORD).await
}

/// The session cookie set by a response.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|v| v.starts_with("guichet_session="))
}

#[tokio::test]
async fn an_admin_signs_in_with_a_code_from_the_key_shown_at_enrolment_and_each_code_works_once() {
    let app = spawn_app().await;
    let first = app.client();
    let (secret, codes) = first_admin_sign_in(&app, &first).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(
        first.get("/parameters/profile").await.status(),
        StatusCode::OK
    );
    // The enrolment page drew a QR code (an SVG image) and showed the key.
    app.clock.advance(Duration::seconds(30));
    let c = app.client();
    let r = c.login("admin", ADMIN_PASSWORD).await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/login/code"), "{to}");
    let pending = session_cookie(&r).unwrap();
    // Waiting for the code: nothing but the code page.
    for path in ["/", "/parameters/profile", "/second-factor", "/password"] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login"),
            "{path}"
        );
    }
    let (status, page) = c.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Double authentification"));
    let code = totp::code_at(&secret, app.clock.now().unix_timestamp());
    let r = c.post("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let full = session_cookie(&r).unwrap();
    assert_ne!(full, pending, "a new token after the second factor");
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    // The same code again, from another browser: refused (replay).
    let other = app.client();
    other.login("admin", ADMIN_PASSWORD).await;
    let r = other.post("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("déjà utilisé"));
    // The next step's code is fine.
    app.clock.advance(Duration::seconds(30));
    let code = totp::code_at(&secret, app.clock.now().unix_timestamp());
    let r = other.post("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "second_factor.enrol",
        "auth.sign_in",
        "auth.failure",
        "password.change_forced",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let (_, codes) = first_admin_sign_in(&app, &app.client()).await;
    let c = app.client();
    c.login("admin", ADMIN_PASSWORD).await;
    let r = c
        .post("/login/code", &[("code", &codes[3].to_uppercase())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    let again = app.client();
    again.login("admin", ADMIN_PASSWORD).await;
    let r = again.post("/login/code", &[("code", &codes[3])]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    assert!(log.iter().any(|e| e.action == "auth.recovery_code"));
    let (_, profile) = c.page("/parameters/profile").await;
    assert!(
        profile.contains("Codes de secours restants : 9"),
        "{profile}"
    );
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    app.enrol(u.id);
    let c = app.client();
    // A right password then a wrong code, three times: locked.
    for i in 0..3 {
        let r = c.login("omar", USER_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{i}");
        let r = c.post("/login/code", &[("code", "000000")]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body = r.text().await.unwrap();
        if i < 2 {
            assert!(body.contains("Code incorrect"), "{i}");
        } else {
            assert!(body.contains("bloqué"), "{i}");
        }
    }
    let r = c.login("omar", USER_PASSWORD).await;
    assert!(r.text().await.unwrap().contains("bloqué"));
    app.clock.advance(Duration::minutes(31));
    c.login("omar", USER_PASSWORD).await;
    let r = c.post("/login/code", &[("code", RECOVERY_CODE)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.attempts("omar").unwrap().failures, 0);
}

#[tokio::test]
async fn a_code_page_waits_five_minutes_at_most() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    app.enrol(u.id);
    let c = app.client();
    c.login("omar", USER_PASSWORD).await;
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    let code = app.code_for("omar");
    let r = c.post("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?expired")
    );
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    // Drift: the code of the step before is still accepted.
    c.login("omar", USER_PASSWORD).await;
    let code = app.code_for("omar");
    app.clock.advance(Duration::seconds(30));
    let r = c.post("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_merchant_can_require_a_second_factor_of_its_users() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let other = app.merchant("Atlas");
    app.merchant_user("omar", m.id, Permissions::ALL);
    app.merchant_user("atlas.user", other.id, Permissions::ALL);
    let admin = app.admin().await;
    let id = m.id.to_string();
    let r = admin
        .post(
            "/parameters/security",
            &[("password_max_age_days", "90"), ("second_factor", &id)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = app.signed_in("omar").await;
    let r = c.get("/transactions").await;
    assert_eq!(r.headers()["location"], "/second-factor");
    app.enrol_through_pages(&c, USER_PASSWORD).await;
    let (status, profile) = c.page("/parameters/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(profile.contains("ne peut pas être désactivée"));
    let r = c
        .post(
            "/parameters/profile/second-factor/disable",
            &[("current", USER_PASSWORD), ("code", "123456")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.db
            .user_by_username("omar")
            .unwrap()
            .unwrap()
            .has_second_factor()
    );
    // Another merchant's users are not concerned.
    let a = app.signed_in("atlas.user").await;
    assert_eq!(a.get("/transactions").await.status(), StatusCode::OK);
    // Only admins reach the security page.
    assert_eq!(
        a.get("/parameters/security").await.status(),
        StatusCode::NOT_FOUND
    );
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    assert!(log.iter().any(|e| e.action == "settings.security"));
}

#[tokio::test]
async fn a_user_turns_the_second_factor_off_with_the_password_and_a_code() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    let (_, profile) = c.page("/parameters/profile").await;
    assert!(profile.contains("Non activée"));
    app.enrol_through_pages(&c, USER_PASSWORD).await;
    let code = app.code_for("omar");
    let r = c
        .post(
            "/parameters/profile/second-factor/disable",
            &[("current", "wrong-password-1"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(
            "/parameters/profile/second-factor/disable",
            &[("current", USER_PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = app.db.user_by_username("omar").unwrap().unwrap();
    assert!(!u.has_second_factor());
    assert_eq!(app.db.attempts("omar").unwrap().failures, 0);
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    assert!(log.iter().any(|e| e.action == "second_factor.disable"));
}

#[tokio::test]
async fn an_admin_resets_a_users_second_factor_and_their_sessions_end() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    app.enrol(u.id);
    let c = app.client();
    app.sign_in_with_code(&c, "omar", USER_PASSWORD).await;
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    let admin = app.admin().await;
    let (_, page) = admin.page(&format!("/parameters/users/{}", u.id)).await;
    assert!(page.contains("second_factor_reset"));
    let r = admin
        .post(
            &format!("/parameters/users/{}/second_factor_reset", u.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(!app.db.user(u.id).unwrap().unwrap().has_second_factor());
    // A password alone signs in again (this merchant does not require a factor).
    let r = c.login("omar", USER_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/");
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    assert!(log.iter().any(|e| e.action == "user.second_factor_reset"));
    // A merchant manager cannot do it.
    app.merchant_user("uber.boss", m.id, Permissions::ALL);
    app.enrol(u.id);
    let boss = app.signed_in("uber.boss").await;
    let r = boss
        .post(
            &format!("/parameters/users/{}/second_factor_reset", u.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(app.db.user(u.id).unwrap().unwrap().has_second_factor());
}

#[tokio::test]
async fn a_password_older_than_the_maximum_age_must_be_changed_at_sign_in() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let admin = app.admin().await;
    let r = admin
        .post("/parameters/security", &[("password_max_age_days", "0")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post("/parameters/security", &[("password_max_age_days", "10")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.clock.advance(Duration::days(10));
    let c = app.client();
    assert_eq!(
        c.login("omar", USER_PASSWORD).await.headers()["location"],
        "/"
    );
    app.clock.advance(Duration::days(1));
    let c = app.client();
    let r = c.login("omar", USER_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/password");
    assert_eq!(
        c.get("/transactions").await.headers()["location"],
        "/password"
    );
    let r = c
        .post(
            "/password",
            &[
                ("current", USER_PASSWORD),
                ("new", "Fresh-password-2026"),
                ("confirm", "Fresh-password-2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/transactions").await.status(), StatusCode::OK);
    // Staff with a second factor are not asked.
    app.enrol(u.id);
    app.clock.advance(Duration::days(20));
    let c = app.client();
    app.sign_in_with_code(&c, "omar", "Fresh-password-2026")
        .await;
    assert_eq!(c.get("/transactions").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn after_the_forced_change_the_old_session_cookie_no_longer_works() {
    let app = spawn_app().await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = raw.get(format!("{}/login", app.base)).send().await.unwrap();
    let csrf_cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = crate::support::html::token_in(&page.text().await.unwrap());
    let post = |path: &str, cookies: String, fields: Vec<(&'static str, String)>| {
        raw.post(format!("{}{path}", app.base))
            .header("cookie", cookies)
            .form(&fields)
            .send()
    };
    let r = post(
        "/login",
        csrf_cookie.clone(),
        vec![
            ("username", "admin".into()),
            ("password", app.admin_otp.clone()),
            ("csrf", token.clone()),
        ],
    )
    .await
    .unwrap();
    let old = format!("{csrf_cookie}; {}", session_cookie(&r).unwrap());
    let r = post(
        "/password",
        old.clone(),
        vec![
            ("current", app.admin_otp.clone()),
            ("new", ADMIN_PASSWORD.into()),
            ("confirm", ADMIN_PASSWORD.into()),
            ("csrf", token.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = format!("{csrf_cookie}; {}", session_cookie(&r).unwrap());
    assert_ne!(old, new);
    let get = |cookies: String| {
        raw.get(format!("{}/second-factor", app.base))
            .header("cookie", cookies)
            .send()
    };
    assert_eq!(get(new).await.unwrap().status(), StatusCode::OK);
    let r = get(old).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn sign_in_and_sign_out_are_audited() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.client();
    c.login("omar", "wrong-password-1").await;
    c.login("omar", USER_PASSWORD).await;
    c.post("/logout", &[]).await;
    let log = app.db.audit(Scope::Merchant(m.id), 100).unwrap();
    let actions: Vec<_> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["auth.failure", "auth.sign_in", "auth.sign_out"]);
    assert!(
        log.iter()
            .all(|e| e.target == "user omar" && e.actor == "omar")
    );
}

#[tokio::test]
async fn enrolment_needs_the_account_password_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let elsewhere = app.signed_in("omar").await;
    let c = app.signed_in("omar").await;
    let r = c.post("/second-factor/start", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page("/second-factor").await;
    let secret = crate::support::html::secret_in(&page);
    let code = totp::code_at(&secret, app.clock.now().unix_timestamp());
    // A session left open, without the password, cannot bind a phone.
    let r = c
        .post(
            "/second-factor/confirm",
            &[("code", code.as_str()), ("password", "not the password 1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Mot de passe incorrect"));
    let u = app.db.user_by_username("omar").unwrap().unwrap();
    assert!(!u.has_second_factor());
    assert_eq!(app.db.attempts("omar").unwrap().failures, 1);
    let r = c
        .post(
            "/second-factor/confirm",
            &[("code", code.as_str()), ("password", USER_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        app.db
            .user_by_username("omar")
            .unwrap()
            .unwrap()
            .has_second_factor()
    );
    assert_eq!(app.db.attempts("omar").unwrap().failures, 0);
    // The session opened elsewhere with the password alone has ended.
    let r = elsewhere.get("/parameters/profile").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(c.get("/parameters/profile").await.status().is_success());
}
