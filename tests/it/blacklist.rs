//! The blacklist (FRAUD-4): one click on a transaction's tab lists its card and the
//! next payment with it is refused 585 before the bank, the Journal naming the entry;
//! scopes keep merchants apart; bad input is answered beside its field.

use guichet::db::Scope;
use guichet::domain::blacklist::Kind;
use guichet::domain::codes::ResultCode;
use guichet::domain::journal::{Rule, Step};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::payments::{last_attempt, new_request, pay, request, shop};
use crate::support::{Client, TestApp, spawn_app};

const CARD: &str = "4111111111111111";

/// POSTs a form as htmx does (the tab answers a fragment).
async fn htmx_post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let token = c.csrf().await;
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .header("HX-Request", "true")
        .form(&all)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn entries(app: &TestApp) -> Vec<guichet::domain::blacklist::Entry> {
    app.db
        .blacklist(Scope::Admin, None, "", 100)
        .unwrap()
        .entries
}

/// Pays a new link of merchant `m` with `CARD`; returns its (request, sale row).
async fn paid(app: &TestApp, manager: &Client, m: u64, order: &str) -> (u64, u64) {
    let (id, token) = new_request(manager, m, &[("order_id", order)]).await;
    pay(&app.client(), &token, CARD, "").await;
    (id, last_attempt(app, id).1.id)
}

#[tokio::test]
async fn one_click_on_the_tab_lists_the_card_and_the_next_payment_with_it_is_refused_585_before_the_bank()
 {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let (first, sale) = paid(&app, &manager, m, "CMD-1").await;
    assert!(request(&app, first).paid_tx.is_some());

    let (status, page) = manager
        .page(&format!("/transactions/{sale}?tab=blacklist"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Liste noire (0)") && page.contains("Ajouter cette carte"),
        "{page}"
    );

    let path = format!("/transactions/{sale}/blacklist");
    // No reason: refused beside the reason of that row, nothing saved.
    let (status, body) = htmx_post(&manager, &path, &[("kind", "card"), ("reason", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#"id="bl-reason-card-err""#), "{body}");
    assert!(entries(&app).is_empty());
    // The reason: the confirmation, in place; still nothing saved.
    let reason = [("kind", "card"), ("reason", "Carte volée")];
    let (status, body) = htmx_post(&manager, &path, &reason).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Confirmer l'ajout") && !body.contains("<html"),
        "{body}"
    );
    assert!(entries(&app).is_empty());
    // Confirmed: the tab again, in place, with its new count.
    let confirmed = [
        ("kind", "card"),
        ("reason", "Carte volée"),
        ("confirmed", "1"),
    ];
    let (status, body) = htmx_post(&manager, &path, &confirmed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("<html"), "a fragment");
    assert!(body.contains("Liste noire (1)"), "{body}");
    let listed = entries(&app);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind, Kind::Card);
    assert_eq!(listed[0].merchant_id, Some(m));
    assert_eq!(listed[0].shown, "411111XXXXXX1111");
    assert!(!listed[0].key.contains("4111111111111111"));

    // The same card on another link: refused 585, the bank never asked.
    let (second, token) = new_request(&manager, m, &[("order_id", "CMD-2")]).await;
    let result = pay(&app.client(), &token, CARD, "").await;
    let (three_ds, refused) = last_attempt(&app, second);
    assert_eq!(refused.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(three_ds.code, ResultCode::TOO_MANY_ATTEMPTS);
    let journal = app.db.journal(refused.id).unwrap();
    assert!(
        journal.iter().any(|j| j.step
            == Step::RefusedByRule(Rule::Blacklisted {
                kind: Kind::Card,
                entry: listed[0].id
            })),
        "{journal:?}"
    );
    assert!(!journal.iter().any(|j| matches!(j.step, Step::Sent { .. })));
    let (_, shown) = manager
        .page(&format!("/transactions/{}/tab/journal", refused.id))
        .await;
    assert!(
        shown.contains(&format!("liste noire : carte (entrée n° {})", listed[0].id)),
        "{shown}"
    );
    // The customer sees a plain refusal.
    let (_, customer) = app.client().page(&result).await;
    assert!(
        !customer.to_lowercase().contains("liste noire"),
        "{customer}"
    );

    // A rebill of the first sale with the listed card: refused the same way.
    let r = manager
        .post(
            &format!("/transactions/{sale}/operations/rebill"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rebill = app.db.children(Scope::Admin, sale).unwrap();
    let rebill = rebill.iter().max_by_key(|t| t.id).unwrap();
    assert_eq!(rebill.code, ResultCode::TOO_MANY_ATTEMPTS);
    let journal = app.db.journal(rebill.id).unwrap();
    assert!(
        journal
            .iter()
            .any(|j| matches!(j.step, Step::RefusedByRule(Rule::Blacklisted { .. })))
    );
}

#[tokio::test]
async fn an_ip_range_listed_by_an_admin_refuses_every_merchants_payments_from_it() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let admin = app.admin().await;
    let r = admin
        .post(
            "/parameters/blacklist/new",
            &[
                ("kind", "ip"),
                ("value", "127.0.0.0/8"),
                ("reason", "Robots"),
                ("scope", "global"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (id, token) = new_request(&manager, m, &[]).await;
    pay(&app.client(), &token, CARD, "").await;
    let (_, sale) = last_attempt(&app, id);
    assert_eq!(sale.code, ResultCode::TOO_MANY_ATTEMPTS);
    let (_, tab) = manager
        .page(&format!("/transactions/{}?tab=blacklist", sale.id))
        .await;
    assert!(tab.contains("Liste noire (1)"), "{tab}");
    assert!(
        !tab.contains("Robots"),
        "a global entry's reason is the admins'"
    );
    let (_, journal) = admin
        .page(&format!("/transactions/{}/tab/journal", sale.id))
        .await;
    assert!(journal.contains("liste noire : adresse IP"), "{journal}");
}

#[tokio::test]
async fn a_merchant_user_never_sees_or_removes_another_merchants_entries_and_a_viewer_cannot_add() {
    let app = spawn_app().await;
    let atlas = app.merchant("Atlas Voyages");
    let other = app.merchant("Riad Zitoun");
    app.merchant_user("atlas.manager", atlas.id, Permissions::ALL);
    let viewer = Permissions {
        view: true,
        ..Permissions::default()
    };
    app.merchant_user("atlas.viewer", atlas.id, viewer);
    let admin = app.admin().await;
    let scope = other.id.to_string();
    let add = [
        ("kind", "email"),
        ("value", "fraude@riad.ma"),
        ("reason", "Impayés"),
        ("scope", scope.as_str()),
    ];
    // The first POST is the confirmation: nothing saved yet.
    let r = admin.post("/parameters/blacklist/new", &add).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(entries(&app).is_empty());
    let confirmed: Vec<_> = add.iter().copied().chain([("confirmed", "1")]).collect();
    let r = admin.post("/parameters/blacklist/new", &confirmed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let theirs = entries(&app)[0].clone();
    assert_eq!(theirs.merchant_id, Some(other.id));

    let manager = app.signed_in("atlas.manager").await;
    let (status, page) = manager.page("/parameters/blacklist").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("fraude@riad.ma") && page.contains(r#"id="bl-add""#));
    let remove = format!("/parameters/blacklist/{}/remove", theirs.id);
    assert_eq!(manager.get(&remove).await.status(), StatusCode::NOT_FOUND);
    let r = manager.post(&remove, &[("confirmed", "1")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(entries(&app).len(), 1);

    // A manager lists for their own merchant, whatever scope they send.
    let mine = [
        ("kind", "name"),
        ("value", "Éloïse Benani"),
        ("reason", "Fraude"),
        ("scope", "global"),
        ("confirmed", "1"),
    ];
    assert_eq!(
        manager
            .post("/parameters/blacklist/new", &mine)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let own = entries(&app)
        .into_iter()
        .find(|e| e.kind == Kind::Name)
        .unwrap();
    assert_eq!(own.merchant_id, Some(atlas.id));

    let viewer = app.signed_in("atlas.viewer").await;
    let (status, page) = viewer.page("/parameters/blacklist").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Éloïse Benani")
            && !page.contains(r#"id="bl-add""#)
            && !page.contains("/remove")
    );
    let r = viewer
        .post(
            "/parameters/blacklist/new",
            &[
                ("kind", "email"),
                ("value", "a@b.ma"),
                ("reason", "x"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(entries(&app).len(), 2);

    // Removal: confirmation, then gone, audited.
    let remove = format!("/parameters/blacklist/{}/remove", own.id);
    let (status, page) = manager.page(&remove).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Retirer l'entrée"));
    assert_eq!(
        manager.post(&remove, &[("confirmed", "1")]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(entries(&app).len(), 1);
    let audit = app.db.audit(Scope::Admin, 10).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "blacklist.remove" && a.merchant_id == Some(atlas.id))
    );
}

#[tokio::test]
async fn bad_input_is_answered_beside_its_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (kind, value, reason, field, says) in [
        ("ip", "10.0.0.0/33", "x", "value", "/33"),
        ("ip", "10.0.0.300", "x", "value", "10.0.0.300"),
        ("email", "pas-un-email", "x", "value", "pas-un-email"),
        ("name", "Omar", "  ", "reason", "Indiquez pourquoi"),
        ("card", "4111111111111111", "x", "kind", "onglet"),
        ("", "x", "x", "kind", "Choisissez"),
    ] {
        let r = admin
            .post(
                "/parameters/blacklist/new",
                &[
                    ("kind", kind),
                    ("value", value),
                    ("reason", reason),
                    ("scope", "global"),
                    ("confirmed", "1"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {value}"
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!(r#"id="f-{field}-err""#)),
            "{kind} {value}: {body}"
        );
        assert!(body.contains(says), "{kind} {value}: {says}");
    }
    let r = admin
        .post(
            "/parameters/blacklist/new",
            &[
                ("kind", "email"),
                ("value", "a@b.ma"),
                ("reason", "x"),
                ("scope", "424242"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(entries(&app).is_empty());
}

const NO_SIDEWAYS_SCROLL: &str =
    "return document.documentElement.scrollWidth <= window.innerWidth;";

#[tokio::test]
async fn on_a_390_px_phone_the_tab_adds_the_card_in_place_and_the_page_does_not_scroll_sideways() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let (_, sale) = paid(&app, &manager, m, "CMD-1").await;
    let long = [
        ("kind", "email"),
        ("value", "un.client.tres.long.nom@exemple-de-domaine.ma"),
        ("reason", "Impayés répétés sur plusieurs commandes"),
        ("confirmed", "1"),
    ];
    assert_eq!(
        manager
            .post("/parameters/blacklist/new", &long)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = crate::support::browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in_with_code(
        "boss",
        &secret,
        guichet::clock::Clock::now(&app.clock).unix_timestamp(),
    )
    .await;
    p.c.set_window_size(390, 844).await.unwrap();
    p.goto(&format!("/transactions/{sale}?tab=blacklist")).await;
    p.fill("#bl-reason-card", "Carte volée").await;
    p.click("form:has(#bl-reason-card) button[type=submit]")
        .await;
    p.wait_for("section.confirm button.primary").await;
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "sideways scroll at 390 px (confirmation)"
    );
    p.click("section.confirm button.primary").await;
    p.wait_until(
        "return [...document.querySelectorAll('nav.tabs-inline a')].some(a => a.textContent.includes('(1)') && a.getAttribute('aria-current') === 'page');",
        "the tab's count updated in place",
    )
    .await;
    assert_eq!(p.path().await, format!("/transactions/{sale}"));
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "sideways scroll at 390 px (tab)"
    );
    b.screenshot("target/screenshots/blacklist-tab-390.png")
        .await;
    p.goto("/parameters/blacklist").await;
    p.wait_for("table.stack tbody tr").await;
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "sideways scroll at 390 px (list)"
    );
    b.screenshot("target/screenshots/blacklist-390.png").await;
    assert_eq!(entries(&app).len(), 2);
}
