//! §3 One route, a page or a fragment.

use reqwest::StatusCode;

use crate::fixtures::dataset::{period_pairs, seed};
use crate::support::html::{get_htmx, ids_in, list_url};
use crate::support::spawn_app;

#[tokio::test]
async fn htmx_requests_get_only_the_results_and_every_answer_varies_on_hx_request() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let path = list_url(&period_pairs(&[("holder", "mohamed"), ("page", "2")]));
    let (status, vary, fragment) = get_htmx(&admin, &path, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert!(
        fragment.starts_with(r#"<div id="results""#),
        "{fragment:.80}"
    );
    assert!(!fragment.contains("<html") && !fragment.contains("<form"));
    let (status, vary, page) = get_htmx(&admin, &path, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert!(page.contains("<html") && page.contains(r#"<form id="filters""#));
    // The page holds the very fragment htmx swaps.
    assert!(page.contains(&fragment));
    assert_eq!(ids_in(&fragment), ids_in(&page));
    assert!(!ids_in(&fragment).is_empty());
    // Errors too: a 400 fragment with the messages, or a 400 page.
    let bad = list_url(&period_pairs(&[("per_page", "7")]));
    let (status, vary, fragment) = get_htmx(&admin, &bad, true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(vary.contains("HX-Request"));
    assert!(fragment.starts_with(r#"<div id="results""#));
    assert!(fragment.contains("« 7 »") && !fragment.contains("<html"));
    let (status, _, page) = get_htmx(&admin, &bad, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("<html"));

    // A detail tab: the tab alone for htmx, the whole detail page otherwise.
    let sale = d.sale_with_3ds_and_refund();
    for path in [
        format!("/transactions/{}/tab/associated", sale.id),
        format!("/transactions/{}?tab=associated", sale.id),
    ] {
        let (status, vary, fragment) = get_htmx(&admin, &path, true).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(vary.contains("HX-Request"), "{path}: {vary}");
        assert!(fragment.starts_with(r#"<div id="tab""#), "{fragment:.80}");
        assert!(!fragment.contains("<html"));
        assert!(ids_in(&fragment).contains(&sale.parent_id.unwrap()));
        let (status, vary, page) = get_htmx(&admin, &path, false).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(vary.contains("HX-Request"), "{path}: {vary}");
        assert!(page.contains("<html") && page.contains(&fragment));
    }
}

/// The `htmx-config` meta of a page.
fn htmx_config(page: &str) -> String {
    let marker = r#"name="htmx-config" content=""#;
    let start = page.find(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].replace("&quot;", "\"")
}

#[tokio::test]
async fn the_filter_errors_reach_the_screen_through_htmx() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = list_url(&period_pairs(&[("amount", "1e3")]));
    let (status, _, fragment) = get_htmx(&admin, &bad, true).await;
    assert!(fragment.contains("« 1e3 »"));
    let (_, page) = admin.page("/transactions").await;
    let config = htmx_config(&page);
    // htmx swaps 2xx answers; a 4xx one only if the config says so.
    let swapped = status.is_success()
        || (config.contains("responseHandling")
            && (config.contains(r#""code":"400""#) || config.contains(r#""code":"4..""#)));
    assert!(swapped, "status {status}, htmx-config {config}");
}
