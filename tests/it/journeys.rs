//! The journeys of the UX review in Chromium, on a laptop (1366 px) and on a phone
//! (390 px), one browser session per width (issue 10): signing in; the virtual
//! terminal → a payment link → paying it with 3-D Secure → the receipt; the list's
//! period and page size. Every step saves `target/screenshots/journey-<step>-<width>.png`
//! and axe-core's findings as `target/screenshots/axe-<step>-<width>.json`; no step may
//! have a serious or critical axe-core violation, nor, at 390 px, scroll sideways.

use guichet::domain::transaction::Operation;
use guichet::domain::user::Permissions;

use crate::fixtures::dataset;
use crate::support::browser::Page;
use crate::support::journey::{PHONE, Steps, WIDTHS, assert_none, browser_at};
use crate::support::spawn_app;

#[tokio::test]
async fn a_merchant_signs_in_on_a_laptop_and_on_a_phone_and_the_top_bar_stays_tidy() {
    let app = spawn_app().await;
    let m = app.merchant("Atlas Voyages");
    for (w, h) in WIDTHS {
        // One account per width: the refused attempt of each run adds up otherwise.
        let username = format!("atlas.manager{w}");
        app.merchant_user(&username, m.id, Permissions::ALL);
        let Some(b) = browser_at(w, h).await else {
            return;
        };
        let mut s = Steps::new(&b, &app.base, w);
        s.p.goto("/login").await;
        s.p.wait_for("main.login form").await;
        s.check(
            "const c = document.querySelector('main.login form.card').getBoundingClientRect(); \
             return c.left >= 0 && c.right <= window.innerWidth && c.width >= Math.min(360, window.innerWidth - 40);",
            "the sign-in card is squeezed or overflows",
        )
        .await;
        s.step("signin").await;

        s.p.fill("#f-username", &username).await;
        s.p.fill("#f-password", "not-the-password").await;
        s.p.click("button.primary").await;
        s.p.wait_for("main.login div.flash.err").await;
        s.step("signin-refused").await;

        s.p.sign_in(&username).await;
        s.p.wait_for("#home-body figure.chart").await;
        s.step("home").await;
        s.p.goto("/transactions").await;
        s.p.wait_for("#tx-table").await;
        // The top bar: the user name on one line, the tabs and sub-tabs all visible,
        // no scrollbar in them.
        s.check(
            "const who = document.querySelector('header.top .who').getBoundingClientRect(); \
             return who.height > 0 && who.height < 26 && who.right <= window.innerWidth;",
            "the user name wraps or leaves the screen",
        )
        .await;
        s.check(
            "return [...document.querySelectorAll('nav.tabs, nav.subtabs')].every(n => \
               n.scrollWidth <= n.clientWidth && [...n.querySelectorAll('a')].every(a => { \
                 const r = a.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; }));",
            "a tab is out of sight or a tab bar scrolls",
        )
        .await;
        s.step("signed-in").await;
        let found = s.problems();
        b.close().await;
        assert_none(found);
    }
}

/// Fills the virtual terminal for a 1 250,50 MAD sale to Salma Idrissi.
async fn fill_terminal(p: &Page<'_>) {
    p.fill("#f-order_id", "CMD-1001").await;
    p.fill("#f-amount", "1250,50").await;
    p.find("#f-currency")
        .await
        .select_by_value("MAD")
        .await
        .unwrap();
    p.fill("#f-name", "Salma Idrissi").await;
    p.fill("#f-email", "salma@example.ma").await;
}

#[tokio::test]
async fn a_link_made_in_the_virtual_terminal_is_paid_with_3ds_and_ends_on_a_receipt_at_both_widths()
{
    let app = spawn_app().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    for (w, h) in WIDTHS {
        let Some(b) = browser_at(w, h).await else {
            return;
        };
        let mut s = Steps::new(&b, &app.base, w);
        s.p.sign_in("atlas.manager").await;
        s.p.goto("/terminal").await;
        s.p.wait_for("form.vt").await;
        s.step("terminal").await;

        fill_terminal(&s.p).await;
        s.p.click(r#"button[value="show"]"#).await;
        s.p.wait_for("#f-link").await;
        s.step("link").await;
        let link = s.p.find("#f-link").await.prop("value").await.unwrap();
        let link = link.expect("the link is in the field");
        assert!(link.contains("/payment/"), "{link}");

        // The customer opens the link (no back-office session needed).
        s.p.goto(&link).await;
        s.p.wait_for("button.pay-now").await;
        assert_eq!(s.p.text("button.pay-now").await, "Payer 1 250,50 MAD");
        s.step("pay").await;

        // 5555 5555 5555 4444 asks for a 3-D Secure code.
        s.p.fill("#f-number", "5555 5555 5555 4444").await;
        s.p.fill("#f-expiry", "12/30").await;
        s.p.fill("#f-cvv", "123").await;
        s.p.click("button.pay-now").await;
        s.p.wait_for("section.issuer #f-code").await;
        s.step("3ds").await;

        s.p.fill("#f-code", "123456").await;
        s.p.click("section.issuer button.primary").await;
        s.p.wait_for("section.pay-result").await;
        let result = s.p.text("section.pay-result").await;
        assert!(result.contains("Paiement accepté"), "{result}");
        assert!(result.contains("1 250,50 MAD"), "{result}");
        s.step("receipt").await;
        let found = s.problems();
        b.close().await;
        assert_none(found);
    }
}

/// The number of rows of the results table.
const ROWS: &str = "return document.querySelectorAll('#tx-table tbody tr:not(.empty)').length;";

#[tokio::test]
async fn the_list_takes_a_period_and_a_page_size_and_updates_in_place_at_both_widths() {
    let app = spawn_app().await;
    let d = dataset::seed(&app);
    let uber = d.merchants.iter().find(|m| m.name == "Uber").unwrap();
    app.merchant_user("uber.manager", uber.id, Permissions::ALL);
    // 3-D Secure checks are hidden by default: the list counts the other rows.
    let in_period = d
        .rows
        .iter()
        .filter(|t| t.merchant_id == uber.id && t.operation != Operation::ThreeDSecure)
        .count();
    assert!(in_period > 40, "enough rows for two pages of 20");
    for (w, h) in WIDTHS {
        let Some(b) = browser_at(w, h).await else {
            return;
        };
        let mut s = Steps::new(&b, &app.base, w);
        s.p.sign_in("uber.manager").await;
        s.p.goto("/transactions").await;
        s.p.wait_for("#tx-table").await;
        s.step("list").await;
        // A marker a full page load would wipe: the filters work in place.
        s.p.js("window.__in_place = true;").await;

        // The period, typed as a French user would; leaving the field applies it.
        s.p.fill("#q-from", "21/05/2026").await;
        s.p.fill("#q-to", "01/06/2026").await;
        s.p.type_in("#q-to", "\u{E004}").await;
        s.p.wait_until(
            "return location.search.includes('from=') && location.search.includes('to=');",
            "the period in the address",
        )
        .await;
        s.p.wait_until(
            &format!(
                "return (document.getElementById('pager-info') || {{}}).textContent?.includes('{in_period}') === true;"
            ),
            "the count of the period's transactions",
        )
        .await;
        s.step("list-period").await;

        // The page size applies at once, without pressing "Rechercher".
        s.p.find("select[name=per_page]")
            .await
            .select_by_value("20")
            .await
            .unwrap();
        s.p.wait_until(
            "return location.search.includes('per_page=20');",
            "the page size in the address",
        )
        .await;
        s.p.wait_until(
            &format!("{} === 20;", ROWS.trim_end_matches(';')),
            "twenty rows",
        )
        .await;
        s.check(
            "return window.__in_place === true;",
            "the page was reloaded instead of updated in place",
        )
        .await;
        s.step("list-page-size").await;
        let found = s.problems();
        b.close().await;
        assert_none(found);
    }
}

/// Whether every result table of the page is a stacked list whose rows are cards
/// (`phone`) or plain table rows (laptop), and no card is wider than the screen.
fn lists_are(phone: bool) -> String {
    format!(
        "const tables = [...document.querySelectorAll('main table.grid')]; \
         if (tables.length === 0) return 'no table'; \
         for (const t of tables) {{ \
           if (!t.classList.contains('stack')) return 'not a stacked list: ' + t.className; \
           for (const tr of t.querySelectorAll('tbody tr')) {{ \
             const d = getComputedStyle(tr).display, r = tr.getBoundingClientRect(); \
             if ({phone} && (d === 'table-row' || r.right > window.innerWidth || r.left < 0)) return 'row as ' + d + ' ' + r.left + '..' + r.right; \
             if (!{phone} && d !== 'table-row') return 'row as ' + d; \
           }} \
         }} \
         return true;"
    )
}

#[tokio::test]
async fn settings_and_request_lists_are_cards_on_a_phone_and_tables_on_a_laptop() {
    use crate::fixtures::payments::{new_request, shop};
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    // One request shown, one sent (its email waits in the outbox: no SMTP server).
    new_request(&c, m, &[]).await;
    let (sent, _) = new_request(&c, m, &[("order_id", "CMD-2"), ("action", "send")]).await;
    let now = guichet::clock::Clock::now(&app.clock).unix_timestamp();
    for (w, h) in WIDTHS {
        // One admin per width: a code is good once only.
        let name = format!("boss{w}");
        let boss = app.user(&name, guichet::domain::user::Role::Admin);
        let secret = app.enrol(boss.id);
        let Some(b) = browser_at(w, h).await else {
            return;
        };
        let mut s = Steps::new(&b, &app.base, w);
        s.p.sign_in_with_code(&name, &secret, now).await;
        let request = format!("/payment-requests/{sent}");
        for (name, path) in [
            ("users", "/parameters/users"),
            ("merchants", "/parameters/merchants"),
            ("audit", "/parameters/audit"),
            ("emails", "/parameters/emails"),
            ("requests", "/payment-requests"),
            ("request", request.as_str()),
        ] {
            s.p.goto(path).await;
            s.p.wait_for("main table.grid tbody tr").await;
            let verdict = s.p.js(&lists_are(w <= PHONE)).await;
            if verdict != serde_json::Value::Bool(true) {
                s.problems.push(format!("{path}: {verdict}"));
            }
            s.step(name).await;
        }
        let found = s.problems();
        b.close().await;
        assert_none(found);
    }
}
