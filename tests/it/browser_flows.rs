//! Flows only a real browser shows: headless Chromium through chromedriver.

use fantoccini::Locator;
use guichet::clock::Clock;

use crate::support::{browser, spawn_app};

#[tokio::test]
async fn a_new_admin_signs_in_changes_the_password_switches_to_english_and_signs_out() {
    let app = spawn_app().await;
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    c.goto(&format!("{}/", app.base)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Css("#f-username"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Css("#f-password"))
        .await
        .unwrap()
        .send_keys(&app.admin_otp)
        .await
        .unwrap();
    c.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_url(&format!("{}/password", app.base).parse().unwrap())
        .await
        .unwrap();
    b.screenshot("target/screenshots/forced-change.png").await;
    c.find(Locator::Css("#f-current"))
        .await
        .unwrap()
        .send_keys(&app.admin_otp)
        .await
        .unwrap();
    c.find(Locator::Css("#f-new"))
        .await
        .unwrap()
        .send_keys("Browser-pass-2026")
        .await
        .unwrap();
    c.find(Locator::Css("#f-confirm"))
        .await
        .unwrap()
        .send_keys("Browser-pass-2026")
        .await
        .unwrap();
    c.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // An admin enrols a second factor before anything else: the key shown on the page
    // gives the code (computed here with the fake clock, as an app would).
    c.wait()
        .for_url(&format!("{}/second-factor", app.base).parse().unwrap())
        .await
        .unwrap();
    click(c, "button.primary").await;
    let key = c
        .wait()
        .for_element(Locator::Css("#totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.screenshot("target/screenshots/second-factor-enrol.png")
        .await;
    let secret = guichet::domain::totp::secret_from_base32(&key).unwrap();
    let code = guichet::domain::totp::code_at(&secret, app.clock.now().unix_timestamp());
    fill(c, "#f-code", &code).await;
    fill(c, "#f-password", "Browser-pass-2026").await;
    click(c, "button.primary").await;
    c.wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .unwrap();
    b.screenshot("target/screenshots/recovery-codes.png").await;
    click(c, "a.button.primary").await;
    c.wait()
        .for_element(Locator::Css("header.top nav.tabs"))
        .await
        .unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/transactions");
    c.goto(&format!("{}/parameters/profile", app.base))
        .await
        .unwrap();
    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Mon profil");
    b.screenshot("target/screenshots/profile-fr.png").await;
    c.find(Locator::Css("header .user button[value=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='My profile']"))
        .await
        .unwrap();
    b.screenshot("target/screenshots/profile-en.png").await;
    c.find(Locator::XPath("//button[text()='Sign out']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("main.login"))
        .await
        .unwrap();
    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Please sign in");
    b.close().await;
}

/// The text of the pager info line.
async fn info(c: &fantoccini::Client) -> String {
    let v = c
        .execute(
            "const e = document.getElementById('pager-info'); return e ? e.textContent : '';",
            vec![],
        )
        .await
        .unwrap();
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
    let c = &b.client;
    c.goto(&format!("{}/login", app.base)).await.unwrap();
    c.find(Locator::Css("#f-username"))
        .await
        .unwrap()
        .send_keys("boss")
        .await
        .unwrap();
    c.find(Locator::Css("#f-password"))
        .await
        .unwrap()
        .send_keys(crate::support::USER_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The code step, with the code the admin's app shows at the fake clock's time.
    c.wait().for_element(Locator::Css("#f-code")).await.unwrap();
    let code = guichet::domain::totp::code_at(&secret, app.clock.now().unix_timestamp());
    fill(c, "#f-code", &code).await;
    click(c, "button.primary").await;
    c.wait()
        .for_element(Locator::Css("#tx-table"))
        .await
        .unwrap();
    let today_rows = d
        .rows
        .iter()
        .filter(|t| t.at >= time::macros::datetime!(2026-06-01 00:00 UTC).unix_timestamp())
        .count();
    let before = info(c).await;
    assert!(
        before.ends_with(&format!("sur {today_rows} éléments")),
        "{before}"
    );
    // A marker that a full page load would wipe.
    c.execute("window.__still_here = true;", vec![])
        .await
        .unwrap();
    let holder = d
        .rows
        .iter()
        .rev()
        .find_map(|t| t.card.as_ref().map(|c| c.holder.clone()))
        .unwrap();
    let first_word = holder.split(' ').next().unwrap().to_lowercase();
    let input = c.find(Locator::Css("#q-holder")).await.unwrap();
    input.send_keys(&first_word).await.unwrap();
    input.send_keys("\u{E004}").await.unwrap();
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
        Some(format!("holder={}", crate::support::html::urlencode(&first_word)).as_str()),
        "{url}"
    );
    while info(c).await == before && start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let filtered = info(c).await;
    assert_ne!(filtered, before);
    let still = c
        .execute("return window.__still_here === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        still,
        serde_json::Value::Bool(true),
        "the page was reloaded instead of swapped"
    );
    b.screenshot("target/screenshots/transactions-filtered.png")
        .await;
    c.back().await.unwrap();
    let start = std::time::Instant::now();
    while info(c).await != before && start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(info(c).await, before);
    assert_eq!(c.current_url().await.unwrap().query(), None);
    // Open a detail and switch tabs in place.
    c.find(Locator::Css("#tx-table tbody tr td a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("nav.tabs-inline"))
        .await
        .unwrap();
    let detail_url = c.current_url().await.unwrap();
    c.execute("window.__detail = true;", vec![]).await.unwrap();
    c.find(Locator::XPath(
        "//nav[@class='tabs-inline']/a[starts-with(text(),'Journal')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//nav[@class='tabs-inline']/a[@aria-current='page' and starts-with(text(),'Journal')]",
        ))
        .await
        .unwrap();
    let still = c
        .execute("return window.__detail === true;", vec![])
        .await
        .unwrap();
    assert_eq!(still, serde_json::Value::Bool(true));
    assert_eq!(c.current_url().await.unwrap(), detail_url);
    b.screenshot("target/screenshots/transaction-journal.png")
        .await;
    b.close().await;
}

async fn fill(c: &fantoccini::Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn text(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
    let c = &b.client;
    c.goto(&format!("{}/login", app.base)).await.unwrap();
    fill(c, "#f-username", "atlas.manager").await;
    fill(c, "#f-password", crate::support::USER_PASSWORD).await;
    click(c, "button.primary").await;
    c.wait()
        .for_element(Locator::Css("header.top nav.tabs"))
        .await
        .unwrap();

    // The merchant creates the request in the virtual terminal and shows its link.
    click(c, r#"nav.subtabs a[href="/terminal"]"#).await;
    c.wait().for_element(Locator::Css("form.vt")).await.unwrap();
    fill(c, "#f-order_id", "VOY-77").await;
    fill(c, "#f-amount", "250,00").await;
    fill(c, "#f-name", "Salma Idrissi").await;
    fill(c, "#f-email", "salma@example.ma").await;
    b.screenshot("target/screenshots/virtual-terminal.png")
        .await;
    click(c, r#"button[value="show"]"#).await;
    c.wait().for_element(Locator::Css("#f-link")).await.unwrap();
    let link = c
        .find(Locator::Css("#f-link"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/payment/", app.base)),
        "{link}"
    );

    // The customer pays with the French Mastercard and its 3-D Secure code.
    c.goto(&link).await.unwrap();
    assert_eq!(text(c, "h1.pay-title").await, "DEMANDE DE PAIEMENT");
    fill(c, "#f-holder", "Salma Idrissi").await;
    fill(c, "#f-number", "5555 5555 5555 4444").await;
    fill(c, "#f-expiry", "12/30").await;
    fill(c, "#f-cvv", "123").await;
    b.screenshot("target/screenshots/payment-page.png").await;
    click(c, "button.pay-now").await;
    c.wait()
        .for_element(Locator::Css("section.issuer"))
        .await
        .unwrap();
    fill(c, "#f-code", "123456").await;
    b.screenshot("target/screenshots/3ds-challenge.png").await;
    click(c, "section.issuer button.primary").await;
    c.wait()
        .for_element(Locator::Css("section.pay-result"))
        .await
        .unwrap();
    assert_eq!(text(c, "section.pay-result h1").await, "Paiement accepté");
    assert!(
        text(c, "section.pay-result")
            .await
            .contains("555555XXXXXX4444")
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
    c.goto(&format!("{}/transactions", app.base)).await.unwrap();
    let list = text(c, "#results").await;
    assert!(
        list.contains("Vérification 3D Secure") && list.contains("Vente"),
        "{list}"
    );
    c.find(Locator::Css(&format!(
        r#"a[href="/transactions/{three_ds}"]"#
    )))
    .await
    .unwrap();
    c.goto(&format!("{}/transactions/{}", app.base, sale.id))
        .await
        .unwrap();
    click(c, r#"nav.tabs-inline a[href$="tab=operations"]"#).await;
    c.wait()
        .for_element(Locator::Css("#f-amount-refund"))
        .await
        .unwrap();
    fill(c, "#f-amount-refund", "125,00").await;
    click(c, "section.op form button").await;
    c.wait()
        .for_element(Locator::Css("section.confirm"))
        .await
        .unwrap();
    assert!(
        text(c, "section.confirm")
            .await
            .contains("Rembourser 125,00 MAD")
    );
    b.screenshot("target/screenshots/refund-confirm.png").await;
    click(c, "section.confirm button.primary").await;
    c.wait()
        .for_element(Locator::Css("div.flash.ok"))
        .await
        .unwrap();
    let refunds: Vec<_> = app
        .db
        .children(Scope::Admin, sale.id)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Refund)
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount.minor(), 12_500);
    assert!(text(c, "div.ops").await.contains("déjà été remboursée"));

    // A second refund is refused with a clear message.
    c.goto(&format!(
        "{}/transactions/{}/operations/refund?amount=10",
        app.base, sale.id
    ))
    .await
    .unwrap();
    assert!(
        text(c, "div.flash.err")
            .await
            .contains("Cette transaction a déjà été remboursée"),
    );
    b.screenshot("target/screenshots/second-refund.png").await;
    b.close().await;
}
