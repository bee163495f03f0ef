//! Flows only a real browser shows: headless Chromium through chromedriver.

use guichet::clock::Clock;

use crate::support::browser::{self, Page};
use crate::support::spawn_app;

#[tokio::test]
async fn a_new_admin_signs_in_changes_the_password_switches_to_english_and_signs_out() {
    let app = spawn_app().await;
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.goto("/").await;
    assert!(p.path().await.starts_with("/login"));
    p.type_in("#f-username", "admin").await;
    p.type_in("#f-password", &app.admin_otp).await;
    p.click("button.primary").await;
    p.wait_for_path("/password").await;
    b.screenshot("target/screenshots/forced-change.png").await;
    p.type_in("#f-current", &app.admin_otp).await;
    p.type_in("#f-new", "Browser-pass-2026").await;
    p.type_in("#f-confirm", "Browser-pass-2026").await;
    p.click("button.primary").await;
    // An admin enrols a second factor before anything else: the key shown on the page
    // gives the code (computed here with the fake clock, as an app would).
    p.wait_for_path("/second-factor").await;
    p.click("button.primary").await;
    p.wait_for("#totp-secret").await;
    let key = p.text("#totp-secret").await;
    b.screenshot("target/screenshots/second-factor-enrol.png")
        .await;
    let secret = guichet::domain::totp::secret_from_base32(&key).unwrap();
    let code = guichet::domain::totp::code_at(&secret, app.clock.now().unix_timestamp());
    p.fill("#f-code", &code).await;
    p.fill("#f-password", "Browser-pass-2026").await;
    p.click("button.primary").await;
    p.wait_for("#recovery-codes").await;
    b.screenshot("target/screenshots/recovery-codes.png").await;
    p.click("a.button.primary").await;
    p.wait_for("header.top nav.tabs").await;
    assert_eq!(p.path().await, "/home");
    p.goto("/parameters/profile").await;
    assert_eq!(p.text("main h1").await, "Mon profil");
    b.screenshot("target/screenshots/profile-fr.png").await;
    p.click("header .user button[value=en]").await;
    p.wait_for_xpath("//h1[text()='My profile']").await;
    b.screenshot("target/screenshots/profile-en.png").await;
    p.click_xpath("//button[text()='Sign out']").await;
    p.wait_for("main.login").await;
    assert_eq!(p.text("main h1").await, "Please sign in");
    b.close().await;
}

/// The text of the pager info line.
async fn info(p: &Page<'_>) -> String {
    let v = p
        .js("const e = document.getElementById('pager-info'); return e ? e.textContent : '';")
        .await;
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_filter_swaps_the_results_in_place_back_restores_them_and_detail_tabs_load_in_place() {
    let app = spawn_app().await;
    let d = crate::fixtures::dataset::seed(&app);
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    let c = p.c;
    p.sign_in_with_code("boss", &secret, app.clock.now().unix_timestamp())
        .await;
    p.goto("/transactions").await;
    p.wait_for("#tx-table").await;
    let today_rows = d
        .rows
        .iter()
        .filter(|t| t.at >= time::macros::datetime!(2026-06-01 00:00 UTC).unix_timestamp())
        // 3-D Secure checks are hidden unless asked for.
        .filter(|t| t.operation != guichet::domain::transaction::Operation::ThreeDSecure)
        .count();
    assert!(
        info(&p)
            .await
            .ends_with(&format!("sur {today_rows} éléments")),
        "{}",
        info(&p).await
    );
    // A marker that a full page load would wipe.
    p.js("window.__still_here = true;").await;
    // The page size applies at once, in place (no need to press "Rechercher").
    p.js("const s = document.querySelector('select[name=per_page]'); s.value = '20'; s.dispatchEvent(new Event('change', {bubbles: true}));")
        .await;
    let start = std::time::Instant::now();
    while !c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("per_page=20")
        && start.elapsed() < std::time::Duration::from_secs(5)
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("per_page=20")
    );
    let want = today_rows.min(20);
    while p
        .js("return document.querySelectorAll('#tx-table tbody tr').length;")
        .await
        != serde_json::json!(want)
        && start.elapsed() < std::time::Duration::from_secs(5)
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        p.js("return document.querySelectorAll('#tx-table tbody tr').length;")
            .await,
        serde_json::json!(want)
    );
    let before = info(&p).await;
    let holder = d
        .rows
        .iter()
        .rev()
        .find_map(|t| t.card.as_ref().map(|c| c.holder.clone()))
        .unwrap();
    let first_word = holder.split(' ').next().unwrap().to_lowercase();
    p.type_in("#q-holder", &first_word).await;
    p.type_in("#q-holder", "\u{E004}").await;
    let start = std::time::Instant::now();
    while !c.current_url().await.unwrap().as_str().contains("holder=")
        && start.elapsed() < std::time::Duration::from_secs(5)
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.screenshot("target/screenshots/transactions-after-filter.png")
        .await;
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.query(),
        Some(
            format!(
                "holder={}&per_page=20",
                crate::support::html::urlencode(&first_word)
            )
            .as_str()
        ),
        "{url}"
    );
    while info(&p).await == before && start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let filtered = info(&p).await;
    assert_ne!(filtered, before);
    let still = p.js("return window.__still_here === true;").await;
    assert_eq!(
        still,
        serde_json::Value::Bool(true),
        "the page was reloaded instead of swapped"
    );
    b.screenshot("target/screenshots/transactions-filtered.png")
        .await;
    c.back().await.unwrap();
    let start = std::time::Instant::now();
    while info(&p).await != before && start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(info(&p).await, before);
    // Back to the page-size step (the history entry it pushed).
    assert_eq!(c.current_url().await.unwrap().query(), Some("per_page=20"));
    // Open a detail and switch tabs in place.
    p.click("#tx-table tbody tr td a").await;
    p.wait_for("nav.tabs-inline").await;
    let detail_url = c.current_url().await.unwrap();
    p.js("window.__detail = true;").await;
    p.click_xpath("//nav[@class='tabs-inline']/a[starts-with(text(),'Journal')]")
        .await;
    p.wait_for_xpath(
        "//nav[@class='tabs-inline']/a[@aria-current='page' and starts-with(text(),'Journal')]",
    )
    .await;
    let still = p.js("return window.__detail === true;").await;
    assert_eq!(still, serde_json::Value::Bool(true));
    // Same page (no reload), the tab now in the address bar (issue 10; htmx pushes it
    // around the swap, so wait a moment for it).
    let start = std::time::Instant::now();
    let mut url = c.current_url().await.unwrap();
    while url.query().is_none() && start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        url = c.current_url().await.unwrap();
    }
    assert_eq!(url.path(), detail_url.path());
    assert_eq!(url.query(), Some("tab=journal"));
    b.screenshot("target/screenshots/transaction-journal.png")
        .await;
    b.close().await;
}

#[tokio::test]
async fn a_merchant_sends_a_link_the_customer_pays_with_3ds_and_the_merchant_refunds_half_once() {
    use guichet::db::Scope;
    use guichet::domain::transaction::Operation;

    let app = spawn_app().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user(
        "atlas.manager",
        m.id,
        guichet::domain::user::Permissions::ALL,
    );
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in("atlas.manager").await;
    assert_eq!(p.path().await, "/home");

    // The merchant creates the request in the virtual terminal and shows its link.
    p.goto("/transactions").await;
    p.click(r#"nav.subtabs a[href="/terminal"]"#).await;
    p.wait_for("form.vt").await;
    p.fill("#f-order_id", "VOY-77").await;
    p.fill("#f-amount", "250,00").await;
    p.fill("#f-name", "Salma Idrissi").await;
    p.fill("#f-email", "salma@example.ma").await;
    b.screenshot("target/screenshots/virtual-terminal.png")
        .await;
    p.click(r#"button[value="show"]"#).await;
    p.wait_for("#f-link").await;
    let link = p
        .find("#f-link")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/payment/", app.base)),
        "{link}"
    );

    // The customer pays with the French Mastercard and its 3-D Secure code.
    p.goto(&link).await;
    assert_eq!(p.text("h1.pay-title").await, "DEMANDE DE PAIEMENT");
    p.fill("#f-holder", "Salma Idrissi").await;
    p.fill("#f-number", "5555 5555 5555 4444").await;
    p.fill("#f-expiry", "12/30").await;
    p.fill("#f-cvv", "123").await;
    b.screenshot("target/screenshots/payment-page.png").await;
    p.click("button.pay-now").await;
    p.wait_for("section.issuer").await;
    p.fill("#f-code", "123456").await;
    b.screenshot("target/screenshots/3ds-challenge.png").await;
    p.click("section.issuer button.primary").await;
    p.wait_for("section.pay-result").await;
    assert_eq!(p.text("section.pay-result h1").await, "Paiement accepté");
    assert!(
        p.text("section.pay-result")
            .await
            .contains("Mastercard •••• 4444")
    );
    b.screenshot("target/screenshots/receipt.png").await;

    // The merchant sees both rows and refunds half after confirming.
    let req = &app.db.payment_requests(Scope::Admin, None, 1).unwrap()[0];
    let sale = app
        .db
        .transaction(Scope::Admin, req.paid_tx.unwrap())
        .unwrap()
        .unwrap();
    let three_ds = sale.parent_id.unwrap();
    // Both rows once the 3-D Secure checks are shown (hidden by default).
    p.goto("/transactions?three_ds=1").await;
    let list = p.text("#results").await;
    assert!(
        list.contains("Vérification 3-D Secure") && list.contains("Vente"),
        "{list}"
    );
    p.find(&format!(r#"a[href="/transactions/{three_ds}"]"#))
        .await;
    p.goto(&format!("/transactions/{}", sale.id)).await;
    p.click(r#"nav.tabs-inline a[href$="tab=operations"]"#)
        .await;
    p.wait_for("#f-amount-refund").await;
    p.fill("#f-amount-refund", "125,00").await;
    p.click("section.op form button").await;
    p.wait_for("section.confirm").await;
    assert!(
        p.text("section.confirm")
            .await
            .contains("Rembourser 125,00 MAD")
    );
    b.screenshot("target/screenshots/refund-confirm.png").await;
    p.click("section.confirm button.primary").await;
    p.wait_for("div.flash.ok").await;
    let refunds: Vec<_> = app
        .db
        .children(Scope::Admin, sale.id)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Refund)
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount.minor(), 12_500);
    assert!(p.text("div.ops-off").await.contains("déjà été remboursée"));

    // A second refund is refused with a clear message.
    p.goto(&format!(
        "/transactions/{}/operations/refund?amount=10",
        sale.id
    ))
    .await;
    assert!(
        p.text("div.flash.err")
            .await
            .contains("Cette transaction a déjà été remboursée"),
    );
    b.screenshot("target/screenshots/second-refund.png").await;
    b.close().await;
}
