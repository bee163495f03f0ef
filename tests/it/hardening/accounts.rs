//! Merchant managers' grants: no permission, role or account they do not hold, no
//! takeover through a reset, no card number as a name.

use guichet::domain::user::{Permissions, Role};
use reqwest::StatusCode;

use crate::support::spawn_app;

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
