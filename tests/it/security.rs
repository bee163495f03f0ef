//! CSRF, security headers, cookies, redirects and merchant scoping.

use reqwest::StatusCode;

use crate::support::spawn_app;
use guichet::domain::user::Permissions;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let c = app.client();
    for path in [
        "/login",
        "/parameters",
        "/static/app.css",
        "/nowhere",
        "/healthz",
    ] {
        let r = c.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn a_post_without_a_csrf_token_is_refused() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c
        .post_raw(
            "/login",
            &[("username", "admin"), ("password", &app.admin_otp)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Formulaire expiré"));
    let admin = app.admin().await;
    for path in [
        "/parameters/merchants/new",
        "/logout",
        "/lang",
        "/parameters/users/new",
    ] {
        let r = admin
            .post_raw(path, &[("name", "Evil"), ("username", "evil")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        app.db
            .merchants(guichet::db::Scope::Admin)
            .unwrap()
            .is_empty()
    );
    // Still signed in: the refused logout did nothing.
    assert_eq!(
        admin.get("/parameters/profile").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_csrf_token_from_another_browser_is_refused() {
    let app = spawn_app().await;
    let other = app.client().csrf().await;
    let admin = app.admin().await;
    let r = admin
        .post_raw(
            "/parameters/merchants/new",
            &[("name", "Evil"), ("csrf", &other)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .http
        .post(format!("{}/parameters/merchants/new", app.base))
        .header("x-csrf-token", &other)
        .form(&[("name", "Evil")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = admin.csrf().await;
    let r = admin
        .http
        .post(format!("{}/parameters/merchants/new", app.base))
        .header("x-csrf-token", &own)
        .form(&[("name", "Fine")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.login("admin", &app.admin_otp).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("guichet_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http base URL");
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let app = spawn_app().await;
    let c = app.client();
    let token = c.csrf().await;
    let r = c
        .post_raw(
            "/login",
            &[
                ("username", "admin"),
                ("password", &app.admin_otp),
                ("next", "//evil.example/x"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/password");
    let admin = app.admin().await;
    let r = admin
        .post(
            "/lang",
            &[("lang", "en"), ("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn a_merchant_user_gets_404_on_another_merchants_resources() {
    let app = spawn_app().await;
    let uber = app.merchant("Uber");
    let glovo = app.merchant("Glovoapp");
    let uber_manager = app.merchant_user("uber.manager", uber.id, Permissions::ALL);
    let glovo_manager = app.merchant_user("glovo.manager", glovo.id, Permissions::ALL);
    let c = app.signed_in("uber.manager").await;
    for path in [
        format!("/parameters/users/{}", glovo_manager.id),
        format!("/parameters/merchants/{}", glovo.id),
        format!("/parameters/merchants/{}", uber.id),
        "/parameters/merchants".to_string(),
        "/parameters/audit".to_string(),
        "/parameters/users/999999".to_string(),
        "/parameters/users/abc".to_string(),
    ] {
        assert_eq!(c.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for action in ["disable", "reset", "unlock"] {
        let r = c
            .post(
                &format!("/parameters/users/{}/{action}", glovo_manager.id),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let r = c
        .post(
            &format!("/parameters/users/{}", glovo_manager.id),
            &[("role", &format!("merchant:{}", uber.id))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Their own merchant's users are theirs to see; the others are not listed.
    let (status, body) = c.page("/parameters/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("uber.manager"));
    assert!(!body.contains("glovo.manager"));
    assert!(!body.contains(">admin<"));
    // Creating a user for another merchant or an admin is refused in place.
    let r = c
        .post(
            "/parameters/users/new",
            &[
                ("username", "sneaky"),
                ("role", &format!("merchant:{}", glovo.id)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(
            "/parameters/users/new",
            &[("username", "sneaky"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.user_by_username("sneaky").unwrap().is_none());
    let _ = uber_manager;
}

#[tokio::test]
async fn users_without_the_manage_permission_do_not_see_the_users_tab() {
    let app = spawn_app().await;
    let uber = app.merchant("Uber");
    app.merchant_user(
        "uber.viewer",
        uber.id,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let (_, body) = c.page("/parameters/profile").await;
    assert!(!body.contains("/parameters/users"));
    assert!(!body.contains("/parameters/merchants"));
    assert_eq!(
        c.get("/parameters/users").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn user_input_is_escaped_in_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post(
            "/parameters/merchants/new",
            &[("name", "<script>alert(1)</script>")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, body) = admin.page("/parameters/merchants").await;
    assert!(!body.contains("<script>alert(1)</script>"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}
