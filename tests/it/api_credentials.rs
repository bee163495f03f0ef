//! API credentials (issue 13): an admin, or a merchant's user manager for their own
//! merchant, creates an originator and password (shown once), revokes it after a
//! confirmation; the command line prints one for provisioning scripts; every change
//! is audited and the password is never stored.

use guichet::db::Scope;
use guichet::db::api_credentials::ApiCheck;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::support::{Client, TestApp, spawn_app};

fn api_path(merchant: u64) -> String {
    format!("/parameters/merchants/{merchant}/api")
}

/// The text of the element with this id on a page.
fn text_of(page: &str, id: &str) -> String {
    let start = page
        .find(&format!(r#"id="{id}">"#))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let rest = &page[start..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    rest[..rest.find('<').unwrap()].to_string()
}

/// Creates a credential through the page; returns (originator, password).
async fn create(c: &Client, merchant: u64) -> (String, String) {
    let r = c.post(&api_path(merchant), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    (
        text_of(&page, "api-originator"),
        text_of(&page, "api-password"),
    )
}

fn actions(app: &TestApp) -> Vec<(String, String, String)> {
    app.db
        .audit(Scope::Admin, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("api"))
        .map(|e| (e.action, e.actor, e.target))
        .collect()
}

#[tokio::test]
async fn an_admin_creates_a_credential_whose_password_is_shown_once_and_verifies() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app.merchant("Atlas").id;

    let (status, page) = admin.page(&format!("/parameters/merchants/{m}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!(r#"href="{}""#, api_path(m))),
        "{page}"
    );
    let (status, page) = admin.page(&api_path(m)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Aucun identifiant API") && page.contains("Créer un identifiant API"),
        "{page}"
    );
    // The API's address and how to call it.
    assert!(
        page.contains(&app.base) && page.contains("curl -u"),
        "{page}"
    );

    let (originator, password) = create(&admin, m).await;
    assert!(
        originator.len() >= 6 && originator.bytes().all(|b| b.is_ascii_digit()),
        "{originator}"
    );
    assert!(password.len() >= 22, "{password}");
    match app.db.api_verify(&originator, &password).unwrap() {
        ApiCheck::Valid(c) => assert_eq!(c.merchant_id, m),
        other => panic!("{other:?}"),
    }

    // The list shows the credential, never its password again.
    let (status, page) = admin.page(&api_path(m)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&originator) && page.contains("Actif"),
        "{page}"
    );
    assert!(page.contains("jamais"), "never used yet: {page}");
    assert!(!page.contains(&password));
    assert_eq!(
        actions(&app),
        [(
            "api_credential.create".to_string(),
            "admin".to_string(),
            format!("api credential {originator}")
        )]
    );
    // The audit page says it in words.
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(
        audit.contains("Création d&#39;un identifiant API")
            || audit.contains("Création d'un identifiant API"),
        "{audit}"
    );
    assert!(audit.contains(&format!("identifiant API {originator}")));
}

#[tokio::test]
async fn revoking_asks_for_a_confirmation_then_refuses_the_credential_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app.merchant("Atlas").id;
    let (originator, password) = create(&admin, m).await;
    let (new_originator, new_password) = create(&admin, m).await;
    let id = app.db.api_credentials(m).unwrap()[1].credential.id;
    let revoke = format!("{}/{id}/revoke", api_path(m));

    let (status, page) = admin.page(&revoke).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Révoquer l&#39;identifiant API")
            || page.contains("Révoquer l'identifiant API"),
        "{page}"
    );
    assert!(page.contains(&originator));
    // Posted without the confirmation: the confirmation again, nothing changed.
    let r = admin.post(&revoke, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(matches!(
        app.db.api_verify(&originator, &password).unwrap(),
        ApiCheck::Valid(_)
    ));

    let r = admin.post(&revoke, &[("confirmed", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("{}?revoked={originator}", api_path(m)));
    let (_, page) = admin.page(&to).await;
    assert!(
        page.contains(&format!("Identifiant {originator} révoqué.")),
        "{page}"
    );
    assert!(page.contains("Révoqué"), "{page}");
    assert_eq!(
        app.db.api_verify(&originator, &password).unwrap(),
        ApiCheck::Revoked { merchant_id: m }
    );
    // Rotation: the other credential still works.
    assert!(matches!(
        app.db.api_verify(&new_originator, &new_password).unwrap(),
        ApiCheck::Valid(_)
    ));
    // A revoked credential's confirmation leads back to the list; a second revoke
    // writes nothing.
    let r = admin.get(&revoke).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin.post(&revoke, &[("confirmed", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let revokes = actions(&app)
        .into_iter()
        .filter(|a| a.0 == "api_credential.revoke")
        .collect::<Vec<_>>();
    assert_eq!(
        revokes,
        [(
            "api_credential.revoke".to_string(),
            "admin".to_string(),
            format!("api credential {originator}")
        )]
    );
    // Without the CSRF token: refused, nothing created.
    let before = app.db.api_credentials(m).unwrap().len();
    let r = admin.post_raw(&api_path(m), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.api_credentials(m).unwrap().len(), before);
}

#[tokio::test]
async fn a_user_manager_manages_their_own_merchant_s_credentials_and_nobody_else_s() {
    let app = spawn_app().await;
    let atlas = app.merchant("Atlas").id;
    let other = app.merchant("Other").id;
    let manager = Permissions {
        view: true,
        manage_users: true,
        ..Permissions::default()
    };
    let viewer = Permissions {
        view: true,
        ..Permissions::default()
    };
    app.merchant_user("atlas.manager", atlas, manager);
    app.merchant_user("atlas.viewer", atlas, viewer);
    let other_credential = app
        .db
        .api_credential_create(
            other,
            &guichet::domain::actor::Actor::new(0, "admin", "local"),
        )
        .unwrap()
        .unwrap()
        .credential;

    let c = app.signed_in("atlas.manager").await;
    let (status, page) = c.page(&api_path(atlas)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Atlas"), "{page}");
    let (originator, password) = create(&c, atlas).await;
    assert!(matches!(
        app.db.api_verify(&originator, &password).unwrap(),
        ApiCheck::Valid(_)
    ));
    let mine = app.db.api_credentials(atlas).unwrap()[0].credential.id;
    let (status, _) = c.page(&format!("{}/{mine}/revoke", api_path(atlas))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        actions(&app)
            .iter()
            .any(|a| a.0 == "api_credential.create" && a.1 == "atlas.manager")
    );

    // Another merchant's page, or its credential under one's own merchant: 404.
    let before = app.db.api_credentials(other).unwrap().len();
    assert_eq!(
        c.get(&api_path(other)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.post(&api_path(other), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("{}/{}/revoke", api_path(other), other_credential.id),
        format!("{}/{}/revoke", api_path(atlas), other_credential.id),
    ] {
        assert_eq!(c.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        let r = c.post(&path, &[("confirmed", "1")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.db.api_credentials(other).unwrap().len(), before);
    assert!(
        app.db.api_credentials(other).unwrap()[0]
            .credential
            .is_active()
    );

    // A user without *manage users*: 404 even for their own merchant.
    let v = app.signed_in("atlas.viewer").await;
    assert_eq!(
        v.get(&api_path(atlas)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.post(&api_path(atlas), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn the_command_line_prints_a_new_originator_and_password_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let m = {
        let db = guichet::db::Db::open(&data).unwrap();
        let wtx = db.begin_write().unwrap();
        let m = guichet::db::merchants::insert(
            &wtx,
            guichet::domain::user::Merchant {
                name: "Atlas".into(),
                ..Default::default()
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        m.id
    };
    let run = |merchant: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["admin", "api-credentials", merchant, "--data"])
            .arg(&data)
            .env("USER", "ops")
            .env_remove("SUDO_USER")
            .env_remove("GUICHET_KEY_FILE")
            .env_remove("CREDENTIALS_DIRECTORY")
            .output()
            .unwrap()
    };
    let out = run(&m.to_string());
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_string()
    };
    let (originator, password) = (field("originator"), field("password"));
    assert!(!stdout.contains("no merchant"));

    let out = run("999");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no merchant 999"));

    let db = guichet::db::Db::open(&data).unwrap();
    match db.api_verify(&originator, &password).unwrap() {
        ApiCheck::Valid(c) => assert_eq!(c.merchant_id, m),
        other => panic!("{other:?}"),
    }
    let audit = db.audit(Scope::Admin, 10).unwrap();
    assert_eq!(audit[0].action, "api_credential.create");
    assert_eq!(audit[0].actor, "cli (ops)");
    assert_eq!(audit[0].target, format!("api credential {originator}"));
    assert_eq!(audit[0].merchant_id, Some(m));
}
