//! Own profile (issue 14, point 6): the user's email address, checked, and their
//! active sessions with "sign out everywhere else" (which keeps this one).

use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn a_user_changes_their_own_email_and_a_malformed_one_is_refused_in_place() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Atlas");
    app.merchant_user("karim", m.id, Permissions::default());
    let c = app.signed_in("karim").await;
    let (status, page) = c.page("/parameters/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Adresse email") && page.contains("Mes sessions actives"));

    let r = c
        .post("/parameters/profile/email", &[("email", "karim@example")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Adresse email invalide"));
    assert!(page.contains("value=\"karim@example\""));
    assert_eq!(app.db.user_by_username("karim").unwrap().unwrap().email, "");

    let r = c
        .post(
            "/parameters/profile/email",
            &[("email", " karim@riad-atlas.ma ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page("/parameters/profile?done=email").await;
    assert!(page.contains("Adresse email enregistrée."));
    assert!(page.contains("value=\"karim@riad-atlas.ma\""));
    let user = app.db.user_by_username("karim").unwrap().unwrap();
    assert_eq!(user.email, "karim@riad-atlas.ma");
    // Without the form's token, nothing changes.
    let r = c
        .post_raw("/parameters/profile/email", &[("email", "x@y.ma")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = app.admin().await;
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("Adresse email modifiée"));
}

#[tokio::test]
async fn sign_out_everywhere_else_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Atlas");
    app.merchant_user("karim", m.id, Permissions::default());
    let here = app.client();
    assert_eq!(
        here.login("karim", crate::support::USER_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let phone = app.client();
    phone.login("karim", crate::support::USER_PASSWORD).await;
    let laptop = app.client();
    laptop.login("karim", crate::support::USER_PASSWORD).await;

    // One row per session, with its address (the test server sees 127.0.0.1).
    let rows = |page: &str| page.matches("<td>127.0.0.1</td>").count();
    let (_, page) = here.page("/parameters/profile").await;
    assert_eq!(rows(&page), 3);
    assert_eq!(page.matches("Cette session").count(), 1);
    assert!(page.contains("Se déconnecter partout ailleurs"));

    // Without the form's token: refused, nothing ends.
    let r = here
        .post_raw("/parameters/profile/sessions/end-others", &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        phone.get("/parameters/profile").await.status(),
        StatusCode::OK
    );

    let r = here
        .post("/parameters/profile/sessions/end-others", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = here.page("/parameters/profile?done=sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Toutes vos autres sessions sont terminées."));
    assert!(page.contains("Aucune autre session ouverte."));
    assert_eq!(rows(&page), 1);
    for other in [&phone, &laptop] {
        let r = other.get("/parameters/profile").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
}
