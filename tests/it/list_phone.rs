//! The transaction list read at a glance and on a phone (issue 10 §1 and §3): status in
//! words with its code, the card as brand and last four digits, refunds negative, and
//! at 390 px one stacked card per transaction with no sideways scrolling.

use guichet::clock::Clock;
use guichet::domain::lang::Lang;
use guichet::domain::money::format_amount;
use guichet::domain::transaction::{Operation, Transaction};

use crate::fixtures::dataset::{Dataset, period_pairs, seed};
use crate::support::browser;
use crate::support::html::{ids_in, listing};
use crate::support::{Client, spawn_app};

/// The `<tr>` of transaction `id` in a list page.
fn row(body: &str, id: u64) -> &str {
    let marker = format!(r#"<td class="num"><a href="/transactions/{id}">"#);
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no row {id} in the list"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}

fn tx(d: &Dataset, id: u64) -> &Transaction {
    d.rows.iter().find(|t| t.id == id).unwrap()
}

/// Checks the three readable cells on one language's pages.
async fn check_readable_cells(c: &Client, d: &Dataset, lang: Lang) {
    let (refused, minus_word) = match lang {
        Lang::Fr => ("Refusée", "Remboursement"),
        Lang::En => ("Refused", "Refund"),
    };
    // A refused row: the word and the code, the code's meaning as a tooltip.
    let l = listing(
        c,
        &period_pairs(&[("status", "refused"), ("per_page", "100")]),
    )
    .await;
    assert!(!l.ids.is_empty(), "the dataset has refusals");
    for id in &l.ids {
        let t = tx(d, *id);
        let r = row(&l.body, *id);
        let line = format!("{refused} · {}", t.code);
        assert!(r.contains(&line), "row {id} lacks {line:?}: {r}");
        assert!(r.contains(r#"title=""#), "row {id} has no tooltip: {r}");
    }
    // Refunds carry a minus sign before their amount.
    let l = listing(
        c,
        &period_pairs(&[("operation", "refund"), ("per_page", "100")]),
    )
    .await;
    assert!(!l.ids.is_empty(), "the dataset has refunds");
    for id in &l.ids {
        let t = tx(d, *id);
        let r = row(&l.body, *id);
        let amount = format!("\u{2212}{}", format_amount(t.amount, t.currency, lang));
        assert!(r.contains(&amount), "refund {id} lacks {amount:?}: {r}");
        assert!(r.contains(minus_word), "{r}");
    }
    // Cards: "•••• " and the last four digits, never the BIN nor a masked long number.
    let l = listing(c, &period_pairs(&[("per_page", "100")])).await;
    let mut with_card = 0;
    for id in &l.ids {
        let t = tx(d, *id);
        let r = row(&l.body, *id);
        if t.operation != Operation::Refund {
            assert!(!r.contains('\u{2212}'), "row {id} is not a refund: {r}");
        }
        let Some(card) = &t.card else { continue };
        with_card += 1;
        let dots = format!("•••• {}", card.last4);
        assert!(r.contains(&dots), "row {id} lacks {dots:?}: {r}");
        assert!(!r.contains(&card.bin), "row {id} shows the BIN: {r}");
        assert!(!r.contains("XXXX"), "row {id} shows a masked number: {r}");
    }
    assert!(with_card > 0);
}

#[tokio::test]
async fn the_list_shows_status_words_with_codes_cards_as_last_four_and_refunds_negative() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    check_readable_cells(&admin, &d, Lang::Fr).await;
    admin.post("/lang", &[("lang", "en")]).await;
    check_readable_cells(&admin, &d, Lang::En).await;
}

#[tokio::test]
async fn the_detail_links_still_come_first_in_each_row() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let l = listing(&admin, &period_pairs(&[("per_page", "10")])).await;
    assert_eq!(l.ids.len(), 10);
    assert_eq!(ids_in(&l.body), l.ids);
    for id in &l.ids {
        let r = row(&l.body, *id);
        assert!(r.contains(&format!(r#"class="tx-open" href="/transactions/{id}""#)));
        assert!(r.contains(r#"data-label="Montant""#));
        assert!(d.rows.iter().any(|t| t.id == *id));
    }
}

const NO_SIDEWAYS_SCROLL: &str =
    "return document.documentElement.scrollWidth <= window.innerWidth;";

#[tokio::test]
async fn on_a_390_px_phone_the_list_is_one_card_per_transaction_without_sideways_scroll() {
    let app = spawn_app().await;
    let _d = seed(&app);
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in_with_code("boss", &secret, app.clock.now().unix_timestamp())
        .await;
    let query = serde_urlencoded::to_string(period_pairs(&[("per_page", "20")])).unwrap();

    p.c.set_window_size(390, 844).await.unwrap();
    p.goto(&format!("/transactions?{query}")).await;
    p.wait_for("#tx-table tbody tr td.c-amount").await;
    let inner = p.js("return window.innerWidth;").await.as_f64().unwrap();
    assert!(inner <= 400.0, "the window is a phone's: {inner}");
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "sideways scroll at 390 px"
    );
    // Each row is a card as wide as the screen at most, laid out as a grid, its amount
    // on a line above its transaction number (stacked, not side by side in a row).
    let cards = p
        .js("return [...document.querySelectorAll('#tx-table tbody tr')].map(tr => {
               const r = tr.getBoundingClientRect();
               const amount = tr.querySelector('td.c-amount').getBoundingClientRect();
               const id = tr.querySelector('td:first-child').getBoundingClientRect();
               const link = tr.querySelector('a.tx-open').getBoundingClientRect();
               return [r.left, r.right, getComputedStyle(tr).display, amount.bottom <= id.top, link.height];
             });")
        .await;
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 20);
    for c in cards {
        let (left, right) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(left >= 0.0 && right <= inner, "a card overflows: {c}");
        assert_eq!(c[2], "grid", "{c}");
        assert_eq!(c[3], true, "the amount is not above the number: {c}");
        assert!(
            c[4].as_f64().unwrap() >= 44.0,
            "the detail link is a small target: {c}"
        );
    }
    b.screenshot("target/screenshots/list-390.png").await;
    // Scrolled to the filters below the results: still no sideways scroll.
    p.js("document.querySelector('aside.filters').scrollIntoView();")
        .await;
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "the filters scroll sideways"
    );

    p.c.set_window_size(1366, 900).await.unwrap();
    p.goto(&format!("/transactions?{query}")).await;
    p.wait_for("#tx-table tbody tr td.c-amount").await;
    let display = p
        .js("return getComputedStyle(document.querySelector('#tx-table tbody tr')).display;")
        .await;
    assert_eq!(display, "table-row", "a table on a laptop");
    let fits = p
        .js("const w = document.querySelector('.tx-wrap'); return w.scrollWidth <= w.clientWidth;")
        .await;
    b.screenshot("target/screenshots/list-1366.png").await;
    assert_eq!(fits, true, "the table scrolls sideways at 1366 px");

    // In English, the refusals on a phone: the reason in words under the status.
    p.click("header .user button[value=en]").await;
    p.wait_for_xpath("//button[text()='Sign out']").await;
    p.c.set_window_size(390, 844).await.unwrap();
    let query = serde_urlencoded::to_string(period_pairs(&[("status", "refused")])).unwrap();
    p.goto(&format!("/transactions?{query}")).await;
    p.wait_for("#tx-table tbody tr span.tx-reason").await;
    assert_eq!(
        p.js(NO_SIDEWAYS_SCROLL).await,
        true,
        "sideways scroll at 390 px"
    );
    assert!(
        p.text("#tx-table tbody tr td.c-status")
            .await
            .starts_with("Refused · ")
    );
    b.screenshot("target/screenshots/list-390-en-refused.png")
        .await;
    b.close().await;
}
