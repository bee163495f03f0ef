//! Issue 10 in a real browser, at 1366 px and on a 390 px phone: a merchant manager
//! opens a sale, finds the summary first, moves between tabs (the URL follows, reload
//! and Back bring the tab back, the active tab stays in sight), refunds part of the sale
//! through its form (a refused amount stays as typed), reads the warning of the
//! confirmation, and sees the refunded part on the sale. Screenshots and axe-core
//! results go to target/screenshots/.

use std::time::{Duration, Instant};

use guichet::clock::Clock;
use guichet::domain::user::Permissions;

use crate::fixtures::rows::{sale, write};
use crate::support::browser::{self, Browser, Page};
use crate::support::spawn_app;

/// axe-core 4.14.1 (MPL-2.0), a test fixture, never served.
const AXE: &str = include_str!("../../fixtures/axe.min.js");

const SHOTS: &str = "target/screenshots";

/// Resizes the window so the page's viewport is `w`×`h` CSS pixels.
async fn viewport(b: &Browser, p: &Page<'_>, w: u32, h: u32) {
    b.client.set_window_size(w, h).await.unwrap();
    let inner = p
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    let (iw, ih) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
    if iw != u64::from(w) || ih != u64::from(h) {
        let dw = u64::from(w) * 2 - iw;
        let dh = u64::from(h) * 2 - ih;
        b.client
            .set_window_size(dw as u32, dh as u32)
            .await
            .unwrap();
    }
}

async fn no_sideways_scroll(p: &Page<'_>, what: &str) {
    let widths = p
        .js("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    let (scroll, inner) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(scroll <= inner, "{what}: sideways scroll {widths}");
}

/// Runs axe-core on the page, writes its whole answer to `target/screenshots/{name}.json`
/// and returns its serious and critical violations, one line each.
async fn axe(p: &Page<'_>, name: &str) -> Vec<String> {
    p.c.execute(AXE, vec![]).await.unwrap();
    let results =
        p.c.execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document).then(r => done({url: r.url, violations: r.violations, \
               passes: r.passes.map(x => x.id), incomplete: r.incomplete.map(x => x.id)}));",
            vec![],
        )
        .await
        .unwrap();
    std::fs::create_dir_all(SHOTS).unwrap();
    let path = format!("{SHOTS}/{name}.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap())
        .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    results["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .take(3)
                .map(|n| n["target"].to_string())
                .collect();
            format!(
                "{name}: {} ({}) {}",
                v["id"],
                v["impact"],
                nodes.join(" | ")
            )
        })
        .collect()
}

/// Waits until the address bar ends with `suffix` (htmx pushes it after a swap).
async fn wait_for_url_ending(p: &Page<'_>, suffix: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let url = p.c.current_url().await.unwrap().to_string();
        if url.ends_with(suffix) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the URL {url} never ended with {suffix}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the selected tab reads `label`; checks it is in sight, inside the window.
async fn wait_for_active_tab(p: &Page<'_>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = p
            .js(
                "const a = document.querySelector('#tab > nav.tabs-inline a[aria-current=\"page\"]'); \
                 if (!a) return null; const r = a.getBoundingClientRect(); \
                 return [a.textContent, r.left, r.right, r.top, r.bottom, window.innerWidth];",
            )
            .await;
        if t[0].as_str() == Some(label) {
            let (left, right, inner) = (
                t[1].as_f64().unwrap(),
                t[2].as_f64().unwrap(),
                t[5].as_f64().unwrap(),
            );
            assert!(
                left >= 0.0 && right <= inner,
                "the active tab is out of sight: {t}"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the active tab never became {label}: {t}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One journey at `w`×`h` on sale `id`; returns axe-core's serious violations.
async fn journey(b: &Browser, p: &Page<'_>, id: u64, w: u32, h: u32) -> Vec<String> {
    let phone = w < 700;
    let mut found = Vec::new();
    viewport(b, p, w, h).await;
    p.goto(&format!("/transactions/{id}")).await;
    p.wait_for("section.tx-summary").await;
    // The summary first: the amount and status in the first screen, above the tabs.
    let tops = p
        .js("return ['section.tx-summary strong.sum-amount', '#tab > nav.tabs-inline'].map(s => document.querySelector(s).getBoundingClientRect().top);")
        .await;
    let (amount, tabs) = (tops[0].as_f64().unwrap(), tops[1].as_f64().unwrap());
    assert!(
        amount < tabs && amount < f64::from(h) / 2.0,
        "summary not first: {tops}"
    );
    assert_eq!(
        p.text("section.tx-summary dl.sum-facts dd").await,
        "Visa •••• 1111"
    );
    no_sideways_scroll(p, "detail").await;
    wait_for_active_tab(p, "Informations générales").await;
    b.screenshot(&format!("{SHOTS}/detail-{w}.png")).await;
    found.extend(axe(p, &format!("axe-detail-{w}")).await);

    // Tabs: htmx swaps the tab in and the URL follows; reload and Back bring it back.
    p.click("#tab > nav.tabs-inline a[href$='tab=history']")
        .await;
    wait_for_url_ending(p, &format!("/transactions/{id}?tab=history")).await;
    wait_for_active_tab(p, "Historique").await;
    no_sideways_scroll(p, "history tab").await;
    b.screenshot(&format!("{SHOTS}/detail-{w}-history-tab.png"))
        .await;
    p.c.refresh().await.unwrap();
    p.wait_for("section.tx-summary").await;
    wait_for_active_tab(p, "Historique").await;
    p.c.back().await.unwrap();
    wait_for_url_ending(p, &format!("/transactions/{id}")).await;
    wait_for_active_tab(p, "Informations générales").await;

    // The quick action opens the refund form; too much comes back as typed, in place.
    p.click(&format!(
        "a.button[href='/transactions/{id}?tab=operations#op-refund']"
    ))
    .await;
    p.wait_for("#f-amount-refund").await;
    wait_for_active_tab(p, "Opérations").await;
    no_sideways_scroll(p, "operations tab").await;
    b.screenshot(&format!("{SHOTS}/refund-form-{w}.png")).await;
    found.extend(axe(p, &format!("axe-detail-operations-{w}")).await);
    p.fill("#f-amount-refund", "2000").await;
    p.click("#op-refund button[type=submit]").await;
    p.wait_for("#f-amount-refund-err").await;
    let field = p
        .js("const f = document.getElementById('f-amount-refund'); \
             return [f.value, f.getAttribute('aria-invalid'), document.activeElement.id];")
        .await;
    assert_eq!(
        field,
        serde_json::json!(["2000", "true", "f-amount-refund"])
    );
    assert_eq!(
        p.text("#f-amount-refund-err").await,
        "Le montant ne peut pas dépasser 1 250,50 MAD."
    );
    no_sideways_scroll(p, "refused refund").await;
    p.js("document.getElementById('f-amount-refund').scrollIntoView({block: 'center'});")
        .await;
    b.screenshot(&format!("{SHOTS}/refund-error-{w}.png")).await;

    // Half of it: the confirmation says the other half can never be refunded.
    p.fill("#f-amount-refund", "625,25").await;
    // As it is typed, the form says what will never be refundable (read by script:
    // htmx replaces the line while it is being read).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rest = p
            .js("return document.getElementById('refund-rest').textContent;")
            .await;
        if rest == "Ne pourra plus jamais être remboursé : 625,25 MAD" {
            break;
        }
        assert!(Instant::now() < deadline, "{rest}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ... and the earlier refusal no longer shows under an amount that is fine.
    let error = p
        .js("return document.getElementById('f-amount-refund-err').textContent;")
        .await;
    assert_eq!(error, "", "the refusal of 2000 stayed");
    p.js("document.getElementById('f-amount-refund').scrollIntoView({block: 'center'});")
        .await;
    b.screenshot(&format!("{SHOTS}/refund-typed-{w}.png")).await;
    p.click("#op-refund button[type=submit]").await;
    p.wait_for("#refund-once").await;
    assert_eq!(
        p.text("#refund-once").await,
        "Un seul remboursement est possible par transaction : après celui-ci, les 625,25 MAD restants ne pourront plus jamais être remboursés."
    );
    no_sideways_scroll(p, "refund confirmation").await;
    if phone {
        let bottom = p
            .js("return document.querySelector('section.confirm button.primary').getBoundingClientRect().bottom;")
            .await;
        assert!(
            bottom.as_f64().unwrap() <= f64::from(h),
            "confirm below the fold: {bottom}"
        );
    }
    b.screenshot(&format!("{SHOTS}/refund-confirm-{w}.png"))
        .await;
    found.extend(axe(p, &format!("axe-detail-refund-confirm-{w}")).await);

    // Confirmed: back on the sale, the refunded part in its summary.
    p.click("section.confirm button.primary").await;
    p.wait_for("p.sum-refunded").await;
    assert_eq!(
        p.text("p.sum-refunded").await,
        "Remboursée partiellement 625,25 / 1 250,50 MAD"
    );
    assert!(
        p.text("div.flash.ok")
            .await
            .starts_with("Remboursement de 625,25 MAD accepté : transaction ")
    );
    no_sideways_scroll(p, "refunded sale").await;
    p.js("window.scrollTo(0, 0);").await;
    b.screenshot(&format!("{SHOTS}/refund-done-{w}.png")).await;
    found.extend(axe(p, &format!("axe-detail-refunded-{w}")).await);
    found
}

#[tokio::test]
async fn a_manager_refunds_half_a_sale_at_1366_and_at_390_px_and_sees_it_on_the_sale() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Fès Médina");
    app.merchant_user("riad.manager", m.id, Permissions::ALL);
    let now = app.clock.now();
    let rows = write(
        &app,
        vec![
            sale(m.id, now, 125_050, "Imane Filali"),
            sale(m.id, now, 125_050, "Soukaïna Berrada"),
        ],
    );
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in("riad.manager").await;
    let mut found = journey(&b, &p, rows[0].id, 1366, 900).await;
    found.extend(journey(&b, &p, rows[1].id, 390, 844).await);
    b.close().await;
    assert!(found.is_empty(), "axe-core:\n{}", found.join("\n"));
}
