//! Issue 10, the detail: a summary on top (status in words with its code, amount,
//! refunded amount, card, customer, date, quick actions), empty groups hidden, country
//! names, and the tab kept in the URL.

use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use super::detail::seed_detail;
use crate::support::html::{dd, get_htmx};
use crate::support::spawn_app;

/// The summary block of a detail page.
fn summary(page: &str) -> &str {
    let start = page
        .find(r#"<section class="tx-summary""#)
        .expect("a summary");
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn the_summary_shows_status_amount_refunded_part_card_customer_and_date() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (status, page) = admin.page("/transactions/2").await;
    assert_eq!(status, StatusCode::OK);
    let s = summary(&page);
    assert!(
        s.contains("Transaction 2</span> · <span class=\"sum-op\">Vente"),
        "{s}"
    );
    assert!(
        s.contains(r#"<strong class="sum-amount">7 001,00 MAD</strong>"#),
        "{s}"
    );
    assert!(s.contains(">Acceptée · 000</span>"), "{s}");
    assert!(
        s.contains(
            r#"Remboursée partiellement <span class="nowrap">3 500,50 / 7 001,00 MAD</span>"#
        ),
        "{s}"
    );
    assert_eq!(dd(s, "Carte"), "Visa •••• 1111");
    assert_eq!(dd(s, "Client"), "Mohamed Alaoui · mohamed.alaoui@gmail.com");
    assert_eq!(dd(s, "Date"), "30 mai 2026, 14:04 (UTC)");
    assert_eq!(dd(s, "Commande"), "UB-2026-000001");
    assert!(
        s.contains(r#"<a href="/transactions/1">Vérification 3-D Secure 1</a>"#),
        "{s}"
    );
    // Already refunded: no quick action (a sale is neither captured nor cancelled).
    assert!(!s.contains("sum-actions"), "{s}");
    // The summary comes before the tabs.
    assert!(page.find("tx-summary").unwrap() < page.find(r#"<nav class="tabs-inline""#).unwrap());

    // A refused sale: the reason in words; nothing refunded.
    let (_, page) = admin.page("/transactions/4").await;
    let s = summary(&page);
    assert!(s.contains(">Refusée · 051</span>"), "{s}");
    assert!(
        s.contains(r#"<p class="sum-reason">Fonds insuffisants</p>"#),
        "{s}"
    );
    assert!(!s.contains("Rembours"), "{s}");
    assert_eq!(dd(s, "Carte"), "Amex •••• 0005");

    // A pending authorization: its deadline, and capture and cancel at hand.
    let (_, page) = admin.page("/transactions/5").await;
    let s = summary(&page);
    assert!(
        s.contains("En attente de capture jusqu'au 7 juin 2026"),
        "{s}"
    );
    assert!(
        s.contains(
            r##"<a class="button" href="/transactions/5?tab=operations#op-capture">Capturer</a>"##
        ),
        "{s}"
    );
    assert!(s.contains(
        r##"href="/transactions/5?tab=operations#op-cancel">Annuler l'autorisation</a>"##
    ));
    assert!(
        !s.contains("#op-refund"),
        "an authorization is not refunded: {s}"
    );

    // In English.
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions/2").await;
    let s = summary(&page);
    assert!(s.contains(">Accepted · 000</span>"), "{s}");
    assert!(
        s.contains(r#"Partially refunded <span class="nowrap">3,500.50 / 7,001.00 MAD</span>"#),
        "{s}"
    );
    assert_eq!(
        dd(s, "Customer"),
        "Mohamed Alaoui · mohamed.alaoui@gmail.com"
    );
    let (_, page) = admin.page("/transactions/5").await;
    assert!(
        summary(&page).contains(">Capture</a>") && page.contains(">Cancel the authorization</a>")
    );
}

#[tokio::test]
async fn quick_actions_appear_only_for_users_who_may_operate_and_only_when_allowed() {
    let app = spawn_app().await;
    let (uber, _) = seed_detail(&app);
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    // The authorization (5) belongs to Uber and waits for its capture.
    let viewer = app.signed_in("uber.viewer").await;
    let (status, page) = viewer.page("/transactions/5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !summary(&page).contains("sum-actions"),
        "a viewer has no actions"
    );
    assert!(!page.contains("tab=operations"));
    let manager = app.signed_in("uber.manager").await;
    let (_, page) = manager.page("/transactions/5").await;
    assert!(summary(&page).contains("#op-capture"));
    // The link lands on the form it names.
    let (status, ops) = manager.page("/transactions/5?tab=operations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ops.contains(r#"id="op-capture""#) && ops.contains(r#"id="op-cancel""#));
}

#[tokio::test]
async fn empty_groups_are_hidden_and_countries_are_named() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (_, page) = admin.page("/transactions/2").await;
    // Sale 2 has no shipping address and no affiliation: no heading for them.
    assert!(!page.contains("Information de livraison"), "shipping shown");
    assert!(
        !page.contains("Informations d'affiliation"),
        "affiliation shown"
    );
    assert!(!page.contains("<dd></dd>"), "a label followed by nothing");
    // The buyer group keeps what it has.
    assert!(page.contains("<h2>Acheteur</h2>"));
    assert_eq!(dd(&page, "Ville"), "Fès");
    assert!(!page.contains("<dt>Code postal</dt>"));
    // The issuer country by its name.
    assert_eq!(dd(&page, "Pays émetteur"), "Maroc");
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions/2").await;
    assert_eq!(dd(&page, "Issuer country"), "Morocco");
    assert!(!page.contains("Shipping information"));
}

#[tokio::test]
async fn each_tab_is_a_url_htmx_pushes_and_a_reload_brings_back() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (_, page) = admin.page("/transactions/2").await;
    // Each tab link: a plain link to its URL, fetched by htmx and pushed to the address bar.
    for tab in ["general", "associated", "journal", "notes", "history"] {
        let link = format!(
            r##"<a href="/transactions/2?tab={tab}" hx-get="/transactions/2?tab={tab}" hx-push-url="true" hx-target="#tab" hx-swap="outerHTML""##
        );
        assert!(page.contains(&link), "{tab}: {page}");
    }
    // htmx gets the tab alone (with its tab bar), a reload the whole page on that tab.
    let (status, vary, fragment) = get_htmx(&admin, "/transactions/2?tab=journal", true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert!(fragment.starts_with(r#"<div id="tab">"#), "{fragment:.80}");
    assert!(!fragment.contains("<html") && !fragment.contains("tx-summary"));
    assert!(fragment.contains(r#"aria-current="page">Journal (1)</a>"#));
    let (_, _, full) = get_htmx(&admin, "/transactions/2?tab=journal", false).await;
    assert!(full.contains("<html") && full.contains("tx-summary"));
    assert!(full.contains(r#"aria-current="page">Journal (1)</a>"#));
    // Back after an htmx swap asks for the page again (history restore): the full page.
    let r = admin
        .http
        .get(format!("{}/transactions/2?tab=notes", app.base))
        .header("HX-Request", "true")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.contains("<html") && body.contains(r#"aria-current="page">Notes (0)</a>"#));
}
