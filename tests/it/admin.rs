//! An admin sets up the appliance from the screens alone.

use reqwest::StatusCode;

use crate::support::html::otp_in;
use crate::support::spawn_app;
use guichet::db::Scope;

#[tokio::test]
async fn an_admin_sets_up_a_merchant_and_its_first_user_from_the_screens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post(
            "/parameters/merchants/new",
            &[
                ("name", "Hotel et Ryads Barriere Le Naoura"),
                ("company", "Naoura SA"),
                ("terminals", "21114 Réception\n21115"),
                ("accounts", "VPS_TEST_DH"),
                ("statement_descriptor", "NAOURA MARRAKECH"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let merchant = app.db.merchants(Scope::Admin).unwrap().pop().unwrap();
    assert_eq!(merchant.terminals.len(), 2);
    let (_, list) = admin.page("/parameters/merchants").await;
    assert!(list.contains("Hotel et Ryads Barriere Le Naoura"));
    let role = format!("merchant:{}", merchant.id);
    let r = admin
        .post(
            "/parameters/users/new",
            &[
                ("username", "Reception.Naoura"),
                ("full_name", "Réception"),
                ("role", &role),
                ("perm", "view"),
                ("perm", "operate"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let otp = otp_in(&r.text().await.unwrap());
    let user = app
        .db
        .user_by_username("reception.naoura")
        .unwrap()
        .unwrap();
    assert_eq!(user.merchant_id(), Some(merchant.id));
    assert!(user.permissions().operate && !user.permissions().export);
    // The new user signs in with the one-time password and must change it.
    let c = app.client();
    assert_eq!(
        c.login("reception.naoura", &otp).await.headers()["location"],
        "/password"
    );
    let r = c
        .post(
            "/password",
            &[
                ("current", &otp),
                ("new", "Naoura-reception-1"),
                ("confirm", "Naoura-reception-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/parameters/profile").await.status(), StatusCode::OK);
    // The admin actions are in the audit log.
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("merchant.create") && audit.contains("user.create"));
    assert!(audit.contains("reception.naoura"));
}

#[tokio::test]
async fn a_taken_username_and_bad_fields_are_refused_in_place() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post(
            "/parameters/merchants/new",
            &[("name", ""), ("terminals", "abc")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Le nom est obligatoire"));
    assert!(body.contains("un terminal par ligne"));
    let r = admin
        .post(
            "/parameters/users/new",
            &[("username", "admin"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("déjà pris"));
    let r = admin
        .post(
            "/parameters/users/new",
            &[("username", "a b"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post(
            "/parameters/users/new",
            &[("username", "valid.name"), ("role", "merchant:999")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin.get("/parameters/merchants/notanumber").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_chosen_language_is_remembered_on_the_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post("/lang", &[("lang", "en"), ("next", "/parameters/profile")])
        .await;
    assert_eq!(r.headers()["location"], "/parameters/profile");
    let (_, body) = admin.page("/parameters/profile").await;
    assert!(body.contains("My profile") && body.contains(r#"lang="en""#));
    // A fresh browser signing in gets English from the account.
    let other = app.admin_again().await;
    let (_, body) = other.page("/parameters/profile").await;
    assert!(body.contains("Sign out"));
}

#[tokio::test]
async fn an_admin_cannot_disable_their_own_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let me = app.db.user_by_username("admin").unwrap().unwrap();
    let r = admin
        .post(&format!("/parameters/users/{}/disable", me.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!app.db.user(me.id).unwrap().unwrap().disabled);
}

#[tokio::test]
async fn the_audit_log_names_the_command_line_and_the_admin_role_in_the_readers_words() {
    use guichet::clock::Clock;
    use guichet::db::audit::AuditEntry;
    use guichet::domain::actor::Actor;
    let app = spawn_app().await;
    // `guichet admin create-admin` run where the environment names no user.
    let at = app.clock.now().unix_timestamp();
    let cli = Actor::new(at, "cli (unknown)", "local");
    app.db
        .record(&AuditEntry::by(
            &cli,
            "user.create",
            "user other.admin",
            None,
        ))
        .unwrap();
    let admin = app.admin().await;
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(
        audit.contains(">ligne de commande (utilisateur inconnu)</td>"),
        "{audit}"
    );
    assert!(!audit.contains("cli (unknown)"), "{audit}");
    let me = app.db.user_by_username("admin").unwrap().unwrap();
    let (_, user) = admin.page(&format!("/parameters/users/{}", me.id)).await;
    assert!(
        user.contains(">Administrateur de la plateforme</option>"),
        "{user}"
    );
    assert!(!user.contains("appliance"), "{user}");
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(
        audit.contains(">command line (unknown user)</td>"),
        "{audit}"
    );
    let (_, user) = admin.page(&format!("/parameters/users/{}", me.id)).await;
    assert!(user.contains(">Platform administrator</option>"), "{user}");
}
