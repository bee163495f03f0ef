//! AUTH-1 … AUTH-5 through HTTP, with the fake clock.

use reqwest::StatusCode;
use time::Duration;

use crate::support::{ADMIN_PASSWORD, USER_PASSWORD, spawn_app};
use guichet::domain::user::Permissions;

#[tokio::test]
async fn the_login_page_offers_both_languages_and_the_support_hint() {
    let app = spawn_app().await;
    let (status, body) = app.client().page("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Nom d&#39;utilisateur") || body.contains("Nom d'utilisateur"));
    assert!(body.contains("Se connecter"));
    assert!(body.contains("Contactez le support"));
    assert!(body.contains("English"));
}

#[tokio::test]
async fn first_sign_in_forces_a_password_change_before_anything_else() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.login("admin", &app.admin_otp).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/password");
    for path in [
        "/",
        "/parameters",
        "/parameters/profile",
        "/parameters/users",
        "/parameters/merchants",
        "/parameters/users/1",
        "/parameters/audit",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/password", "{path}");
    }
    let r = c
        .post("/parameters/merchants/new", &[("name", "Sneaky")])
        .await;
    assert_eq!(r.headers()["location"], "/password");
    assert!(
        app.db
            .merchants(guichet::db::Scope::Admin)
            .unwrap()
            .is_empty()
    );
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
    // Then an admin must enrol a second factor before anything else.
    let r = c.get("/parameters/profile").await;
    assert_eq!(r.headers()["location"], "/second-factor");
    app.enrol_through_pages(&c, ADMIN_PASSWORD).await;
    let (status, body) = c.page("/parameters/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Mon profil"));
}

#[tokio::test]
async fn the_password_policy_is_enforced_when_changing() {
    let app = spawn_app().await;
    let c = app.client();
    c.login("admin", &app.admin_otp).await;
    let cases = [
        ("short1", "au moins 12 caractères"),
        ("onlylettershere", "des lettres et des chiffres"),
        ("123456789012345", "des lettres et des chiffres"),
        (app.admin_otp.as_str(), "4 derniers"),
    ];
    for (new, message) in cases {
        let r = c
            .post(
                "/password",
                &[("current", &app.admin_otp), ("new", new), ("confirm", new)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        assert!(r.text().await.unwrap().contains(message), "{new}");
    }
    let r = c
        .post(
            "/password",
            &[
                ("current", "wrong"),
                ("new", ADMIN_PASSWORD),
                ("confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Mot de passe actuel incorrect")
    );
    let r = c
        .post(
            "/password",
            &[
                ("current", &app.admin_otp),
                ("new", ADMIN_PASSWORD),
                ("confirm", "Other-password-1"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("pas identiques"));
    // Still forced: nothing else reachable.
    assert_eq!(
        c.get("/parameters/profile").await.headers()["location"],
        "/password"
    );
}

#[tokio::test]
async fn a_password_equal_to_the_username_is_refused() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("uber2026manager", m.id, Permissions::ALL);
    let c = app.signed_in("uber2026manager").await;
    let r = c
        .post(
            "/parameters/profile/password",
            &[
                ("current", USER_PASSWORD),
                ("new", "uber2026manager"),
                ("confirm", "uber2026manager"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("être le nom d") && body.contains("utilisateur."),
        "{body}"
    );
}

#[tokio::test]
async fn the_last_four_passwords_cannot_be_reused() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    let passwords = ["Second-pass-2026", "Third-pass-2026", "Fourth-pass-2026"];
    let mut current = USER_PASSWORD.to_string();
    for p in passwords {
        let r = c
            .post(
                "/parameters/profile/password",
                &[("current", &current), ("new", p), ("confirm", p)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{p}");
        current = p.to_string();
    }
    let r = c
        .post(
            "/parameters/profile/password",
            &[
                ("current", &current),
                ("new", USER_PASSWORD),
                ("confirm", USER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("4 derniers"));
}

#[tokio::test]
async fn the_third_wrong_password_locks_the_account_for_thirty_minutes() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.client();
    for _ in 0..2 {
        let r = c.login("omar", "wrong-password-1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("incorrect"));
    }
    let r = c.login("omar", "wrong-password-1").await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("bloqué pendant 30 minutes")
    );
    // Even the right password is refused while locked.
    app.clock
        .advance(Duration::minutes(29) + Duration::seconds(59));
    let r = c.login("omar", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("bloqué"));
    app.clock.advance(Duration::seconds(62));
    let r = c.login("omar", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_usernames_answer_exactly_like_known_ones() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.client();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        let r = c.login("omar", "wrong-password-1").await;
        known.push((r.status(), message(&r.text().await.unwrap())));
        let r = c.login("nobody-here", "wrong-password-1").await;
        unknown.push((r.status(), message(&r.text().await.unwrap())));
    }
    assert_eq!(known, unknown);
    assert!(known[3].1.contains("bloqué"));
}

/// The flash message of a login page.
fn message(body: &str) -> String {
    let start = body.find(r#"class="flash err""#).expect("an error message");
    body[start..].split("</div>").next().unwrap().to_string()
}

#[tokio::test]
async fn an_admin_can_unlock_a_locked_account() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.client();
    for _ in 0..3 {
        c.login("omar", "wrong-password-1").await;
    }
    let admin = app.admin().await;
    let (_, body) = admin.page(&format!("/parameters/users/{}", u.id)).await;
    assert!(body.contains("Bloqué"));
    let r = admin
        .post(&format!("/parameters/users/{}/unlock", u.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.login("omar", USER_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_account_unused_for_thirty_days_expires_until_an_admin_reactivates_it() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let admin = app.admin().await;
    app.clock.advance(Duration::days(30) - Duration::minutes(1));
    // The admin keeps their account alive by signing in again.
    let admin = {
        drop(admin);
        app.admin_again().await
    };
    app.clock.advance(Duration::minutes(2));
    let c = app.client();
    let r = c.login("omar", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("expiré"));
    let (_, body) = admin.page(&format!("/parameters/users/{}", u.id)).await;
    assert!(body.contains("Expiré"));
    let r = admin
        .post(&format!("/parameters/users/{}/reactivate", u.id), &[])
        .await;
    let otp = crate::support::html::otp_in(&r.text().await.unwrap());
    let r = c.login("omar", &otp).await;
    assert_eq!(r.headers()["location"], "/password");
}

#[tokio::test]
async fn a_session_ends_after_fifteen_idle_minutes() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(14));
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    app.clock
        .advance(Duration::minutes(15) + Duration::seconds(1));
    let r = c.get("/parameters/profile").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn a_session_ends_after_twelve_hours_even_when_active() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    for _ in 0..48 {
        app.clock.advance(Duration::minutes(14));
        if c.get("/parameters/profile").await.status() != StatusCode::OK {
            break;
        }
    }
    // 48 × 14 min = 11 h 12 min: still alive; 4 more steps cross 12 hours.
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    for _ in 0..4 {
        app.clock.advance(Duration::minutes(14));
        c.get("/parameters/profile").await;
    }
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    app.merchant_user("omar", m.id, Permissions::ALL);
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
    let r = raw
        .post(format!("{}/login", app.base))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("username", "omar"),
            ("password", USER_PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|v| v.starts_with("guichet_session="))
        .unwrap();
    let cookies = format!("{csrf_cookie}; {session}");
    let get = |cookies: String| {
        raw.get(format!("{}/parameters/profile", app.base))
            .header("cookie", cookies)
            .send()
    };
    assert_eq!(get(cookies.clone()).await.unwrap().status(), StatusCode::OK);
    let r = raw
        .post(format!("{}/logout", app.base))
        .header("cookie", &cookies)
        .form(&[("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Replaying the old cookie does not bring the session back.
    assert_eq!(get(cookies).await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn disabling_a_user_ends_their_live_sessions() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    let admin = app.admin().await;
    let r = admin
        .post(&format!("/parameters/users/{}/disable", u.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    let r = c.login("omar", USER_PASSWORD).await;
    assert!(r.text().await.unwrap().contains("désactivé"));
}

#[tokio::test]
async fn resetting_a_password_ends_sessions_and_forces_a_change() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let u = app.merchant_user("omar", m.id, Permissions::ALL);
    let c = app.signed_in("omar").await;
    let admin = app.admin().await;
    let r = admin
        .post(&format!("/parameters/users/{}/reset", u.id), &[])
        .await;
    let otp = crate::support::html::otp_in(&r.text().await.unwrap());
    assert_eq!(
        c.get("/parameters/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.login("omar", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.login("omar", &otp).await.headers()["location"],
        "/password"
    );
}

#[tokio::test]
async fn the_language_picked_on_the_sign_in_page_is_kept_on_the_account() {
    let app = spawn_app().await;
    let m = app.merchant("Atlas");
    let u = app.merchant_user("atlas.viewer", m.id, Permissions::ALL);
    assert_eq!(u.lang, guichet::domain::Lang::Fr);
    // A visitor who never chose keeps the account's language.
    let c = app.signed_in("atlas.viewer").await;
    let (_, page) = c.page("/parameters/profile").await;
    assert!(page.contains("Mon profil"), "{page}");
    // Picking English on the sign-in page, then signing in: English, and remembered.
    let c = app.client();
    let r = c.post("/lang", &[("lang", "en"), ("next", "/login")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.login("atlas.viewer", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page("/parameters/profile").await;
    assert!(page.contains("My profile"), "{page}");
    let stored = app.db.user_by_username("atlas.viewer").unwrap().unwrap();
    assert_eq!(stored.lang, guichet::domain::Lang::En);
    // On another browser, without any choice, the account's language now is English.
    let other = app.signed_in("atlas.viewer").await;
    let (_, page) = other.page("/parameters/profile").await;
    assert!(page.contains("My profile"), "{page}");
}
