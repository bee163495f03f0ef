//! The route table is the authorization matrix. This file holds its own copy of who
//! may use each back-office route: the table must declare exactly that, and every
//! route × every role must answer what the declaration says (the page for those who
//! may, the 404 page for those who may not, the sign-in page for nobody signed in).
//! Loosening a guard in `app::back_office`, or adding a route without writing its
//! access here, fails this test.

use std::collections::BTreeMap;

use guichet::db::Scope;
use guichet::domain::user::{Permissions, User};
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::{Client, TestApp, spawn_app};

/// (path, access) as this test expects the route table to declare them.
const EXPECTED: &[(&str, &str)] = &[
    ("/", "SignedIn"),
    ("/home", "All([View])"),
    ("/transactions", "All([View])"),
    ("/search", "All([View])"),
    ("/authorizations", "All([View])"),
    ("/statistics", "All([View])"),
    ("/statistics/export", "All([View, Export])"),
    ("/transactions/export", "All([View, Export])"),
    ("/transactions/:id", "All([View])"),
    ("/transactions/:id/tab/:tab", "All([View])"),
    ("/transactions/:id/notes", "All([View])"),
    ("/transactions/:id/blacklist", "All([View, ManageUsers])"),
    ("/transactions/:id/operations/:op", "All([View, Operate])"),
    ("/transactions/:id/chargeback", "All([Admin])"),
    ("/terminal", "All([VirtualTerminal])"),
    ("/payment-requests", "Any([View, VirtualTerminal])"),
    ("/payment-requests/:id", "Any([View, VirtualTerminal])"),
    ("/payment-requests/:id/resend", "All([VirtualTerminal])"),
    ("/payment-requests/:id/new-link", "All([VirtualTerminal])"),
    ("/payment-requests/:id/cancel", "All([VirtualTerminal])"),
    ("/support", "SignedIn"),
    ("/support/new", "SignedIn"),
    ("/support/:id", "SignedIn"),
    ("/support/:id/state", "All([Admin])"),
    ("/parameters", "SignedIn"),
    ("/parameters/profile", "SignedIn"),
    ("/parameters/profile/password", "SignedIn"),
    ("/parameters/profile/time-zone", "SignedIn"),
    ("/parameters/profile/email", "SignedIn"),
    ("/parameters/profile/sessions/end-others", "SignedIn"),
    ("/parameters/profile/second-factor/disable", "SignedIn"),
    ("/parameters/security", "All([Admin])"),
    ("/parameters/merchants", "All([Admin])"),
    ("/parameters/merchants/new", "All([Admin])"),
    ("/parameters/merchants/:id", "All([Admin])"),
    ("/parameters/merchants/:id/settings", "All([Admin])"),
    ("/parameters/merchants/:id/settings/emails", "All([Admin])"),
    ("/parameters/merchants/:id/rebill", "All([Admin])"),
    ("/parameters/merchants/:id/callbacks", "All([ManageUsers])"),
    ("/parameters/merchants/:id/restrictions", "All([Admin])"),
    ("/parameters/api", "All([ManageUsers])"),
    ("/parameters/merchants/:id/api", "All([ManageUsers])"),
    (
        "/parameters/merchants/:id/api/:credential/revoke",
        "All([ManageUsers])",
    ),
    ("/parameters/restrictions", "All([ManageUsers])"),
    ("/parameters/users", "All([ManageUsers])"),
    ("/parameters/users/new", "All([ManageUsers])"),
    ("/parameters/users/:id", "All([ManageUsers])"),
    ("/parameters/users/:id/:action", "All([ManageUsers])"),
    ("/parameters/blacklist", "Any([View, ManageUsers])"),
    ("/parameters/blacklist/new", "All([ManageUsers])"),
    ("/parameters/blacklist/:id/remove", "All([ManageUsers])"),
    ("/parameters/audit", "All([Admin])"),
    ("/parameters/emails", "All([Admin])"),
    ("/parameters/support", "All([Admin])"),
    ("/parameters/emails/templates", "All([Admin])"),
    ("/parameters/emails/templates/:template", "All([Admin])"),
    (
        "/parameters/emails/templates/:template/preview",
        "All([Admin])",
    ),
    (
        "/parameters/emails/templates/:template/test",
        "All([Admin])",
    ),
    (
        "/parameters/emails/templates/:template/reset",
        "All([Admin])",
    ),
    ("/parameters/backups", "All([Admin])"),
    ("/parameters/system", "All([Admin])"),
];

/// GET routes that answer with a redirect (to the landing page) rather than a page.
const REDIRECTS: &[&str] = &["/", "/parameters", "/search"];

#[test]
fn the_route_table_declares_exactly_the_expected_access_for_every_route() {
    let declared: BTreeMap<&str, String> = guichet::app::back_office_routes()
        .iter()
        .map(|r| (r.path, format!("{:?}", r.access)))
        .collect();
    let expected: BTreeMap<&str, String> =
        EXPECTED.iter().map(|(p, a)| (*p, a.to_string())).collect();
    for (path, access) in &declared {
        assert_eq!(
            expected.get(path),
            Some(access),
            "{path} declares {access}: write its expected access in tests/it/routes.rs"
        );
    }
    for path in expected.keys() {
        assert!(
            declared.contains_key(path),
            "{path} is not in the route table"
        );
    }
}

/// The values put in place of `:id`, `:tab`, `:op` and `:action`: real records of
/// the Atlas merchant, so that a user who may use a route gets its page.
struct Samples {
    transaction: u64,
    request: u64,
    merchant: u64,
    user: u64,
    /// A blacklist entry of the merchant.
    entry: u64,
    /// An API credential of the merchant.
    credential: u64,
    /// A support ticket of the merchant.
    ticket: u64,
    /// Today on the app's clock (a chargeback's date).
    today: String,
}

impl Samples {
    fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/transactions/") {
            self.transaction
        } else if path.starts_with("/payment-requests/") {
            self.request
        } else if path.starts_with("/parameters/merchants/") {
            self.merchant
        } else if path.starts_with("/parameters/blacklist/") {
            self.entry
        } else if path.starts_with("/support/") {
            self.ticket
        } else {
            self.user
        };
        let filled = path
            .replace(":id", &id.to_string())
            .replace(":tab", "general")
            .replace(":op", "refund")
            .replace(":action", "unlock")
            .replace(":template", "payment-link-fr")
            .replace(":credential", &self.credential.to_string());
        match path {
            "/transactions/export" => filled + "?format=csv&scope=all",
            "/statistics/export" => filled + "?table=periods",
            "/transactions/:id/operations/:op" => filled + "?amount=100",
            "/transactions/:id/chargeback" => {
                format!("{filled}?amount=100&reason=fraud&date={}", self.today)
            }
            _ => filled,
        }
    }
}

/// Every role: nobody, the admin, a merchant user with each single permission, with
/// none and with all of them.
async fn roles(app: &TestApp, merchant: u64) -> Vec<(String, Option<User>, Client)> {
    let single = |f: fn(&mut Permissions)| {
        let mut p = Permissions::default();
        f(&mut p);
        p
    };
    let merchant_roles: [(&str, Permissions); 7] = [
        ("none", Permissions::default()),
        ("view", single(|p| p.view = true)),
        ("export", single(|p| p.export = true)),
        ("operate", single(|p| p.operate = true)),
        ("terminal", single(|p| p.virtual_terminal = true)),
        ("users", single(|p| p.manage_users = true)),
        ("all", Permissions::ALL),
    ];
    let admin_user = app.db.user_by_username("admin").unwrap();
    let mut out = vec![
        ("anonymous".to_string(), None, app.client()),
        ("admin".to_string(), admin_user, app.admin().await),
    ];
    for (name, permissions) in merchant_roles {
        let username = format!("atlas.{name}");
        let u = app.merchant_user(&username, merchant, permissions);
        out.push((username.clone(), Some(u), app.signed_in(&username).await));
    }
    out
}

#[tokio::test]
async fn every_back_office_route_answers_each_role_as_its_declared_access_says() {
    let app = spawn_app().await;
    let (merchant, manager) = shop(&app).await;
    let (request, token) = new_request(&manager, merchant, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let transaction = app
        .db
        .payment_request(Scope::Admin, request)
        .unwrap()
        .unwrap()
        .paid_tx
        .expect("the request is paid");
    // A user every manager may manage: no permission at all.
    let target = app.merchant_user("atlas.target", merchant, Permissions::default());
    let entry = match app
        .db
        .blacklist_add(
            guichet::db::blacklist::NewEntry {
                kind: guichet::domain::blacklist::Kind::Email,
                key: "fraud@example.ma".into(),
                shown: "fraud@example.ma".into(),
                merchant_id: Some(merchant),
                reason: "test".into(),
            },
            &guichet::domain::actor::Actor::new(0, "admin", "local"),
        )
        .unwrap()
    {
        guichet::db::blacklist::Added::Added(e) | guichet::db::blacklist::Added::Already(e) => e.id,
    };
    let credential = app
        .db
        .api_credential_create(
            merchant,
            &guichet::domain::actor::Actor::new(0, "admin", "local"),
        )
        .unwrap()
        .unwrap()
        .credential
        .id;
    // A ticket the manager opened about the sale.
    let r = manager
        .post(
            "/support/new",
            &[
                ("subject", "Question"),
                ("category", "payment"),
                ("message", "Question"),
                ("tx", &transaction.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ticket = r.headers()["location"].to_str().unwrap()["/support/".len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let samples = Samples {
        ticket,
        entry,
        credential,
        transaction,
        request,
        merchant,
        user: target.id,
        today: guichet::clock::Clock::now(&app.clock).date().to_string(),
    };
    let roles = roles(&app, merchant).await;
    let mut probes = 0;
    let mut refused = 0;
    for spec in guichet::app::back_office_routes() {
        let path = samples.fill(spec.path);
        for (role, user, client) in &roles {
            for method in &spec.methods {
                let r = if *method == reqwest::Method::GET {
                    client.get(&path).await
                } else {
                    client.post(&path, &[]).await
                };
                let status = r.status();
                let location = r
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let what = format!("{method} {path} as {role}");
                probes += 1;
                match user {
                    None => {
                        assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                        assert!(location.starts_with("/login?next="), "{what}: {location}");
                    }
                    Some(u) if !u.meets(spec.access) => {
                        refused += 1;
                        assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
                    }
                    Some(_) if *method == reqwest::Method::GET => {
                        if REDIRECTS.contains(&spec.path) {
                            assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                            assert!(!location.starts_with("/login"), "{what}: {location}");
                        } else {
                            assert_eq!(status, StatusCode::OK, "{what}");
                        }
                    }
                    Some(_) => {
                        // A form sent empty: refused in place, done, or redirected,
                        // but never "no such page", a CSRF refusal or a failure.
                        assert!(
                            status != StatusCode::NOT_FOUND
                                && status != StatusCode::FORBIDDEN
                                && !status.is_server_error()
                                && !location.starts_with("/login"),
                            "{what}: {status} {location}"
                        );
                    }
                }
            }
        }
    }
    assert!(probes > 300, "{probes} probes");
    assert!(refused > 100, "{refused} refusals");
}
