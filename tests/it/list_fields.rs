//! The transaction list in a real browser (issue 10): a filter refused while htmx
//! swaps only the results still marks the field itself (red border, its message beside
//! it) and clears the mark once corrected; the customer column still fits at 1366 px.

use guichet::clock::Clock;

use crate::fixtures::dataset::{period_pairs, seed};
use crate::support::browser;
use crate::support::spawn_app;

#[tokio::test]
async fn a_filter_refused_through_htmx_marks_its_field_and_the_mark_goes_once_fixed() {
    let app = spawn_app().await;
    seed(&app);
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in_with_code("boss", &secret, app.clock.now().unix_timestamp())
        .await;
    p.c.set_window_size(1366, 900).await.unwrap();
    let query = serde_urlencoded::to_string(period_pairs(&[("per_page", "100")])).unwrap();
    p.goto(&format!("/transactions?{query}")).await;
    p.wait_for("#tx-table tbody tr td.c-cust").await;
    // The customer column is there and the table still needs no sideways scroll.
    let fits = p
        .js("const w = document.querySelector('.tx-wrap'); return w.scrollWidth <= w.clientWidth;")
        .await;
    assert_eq!(fits, true, "the table scrolls sideways at 1366 px");

    // A bad amount, committed by leaving the field: htmx swaps the results only.
    p.fill("#q-amount", "1e3").await;
    p.click("#q-holder").await;
    p.wait_for("#q-amount[aria-invalid='true']").await;
    p.wait_for("#q-amount-err").await;
    assert!(p.text("#q-amount-err").await.contains("« 1e3 »"));
    let marked = p
        .js("const f = document.getElementById('q-amount');
             const next = f.nextElementSibling;
             return [getComputedStyle(f).borderTopColor, f.getAttribute('aria-describedby'),
                     next && next.id, document.querySelectorAll('[aria-invalid=\"true\"]').length];")
        .await;
    assert_eq!(marked[0], "rgb(179, 38, 30)", "a red border: {marked}");
    assert_eq!(marked[1], "q-amount-err");
    assert_eq!(marked[2], "q-amount-err", "the message is beside the field");
    assert_eq!(marked[3], 1, "only that field");
    assert!(
        p.text("#results div.flash.err").await.len() > 10,
        "the summary stays"
    );
    b.screenshot("target/screenshots/list-invalid-field.png")
        .await;

    // Corrected: the mark and the message go.
    p.fill("#q-amount", "").await;
    p.click("#q-holder").await;
    p.wait_for("#tx-table tbody tr td.c-amount").await;
    let cleared = p
        .js(
            "return [document.querySelectorAll('[aria-invalid=\"true\"]').length,
                     document.querySelectorAll('#filters small.error').length];",
        )
        .await;
    assert_eq!(cleared, serde_json::json!([0, 0]));
    b.close().await;
}
