//! Accessibility basics (issue 10 §8, WCAG 2.2 AA): the skip link, one `main`, the live
//! results region, the focus after a refused form, and axe-core on the main screens.

use guichet::clock::Clock;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::rows::{sale, write};
use crate::support::axe;
use crate::support::browser::{self, Page};
use crate::support::{TestApp, spawn_app};

/// A merchant with every permission and one accepted sale today; returns the sale's id.
fn seed(app: &TestApp) -> u64 {
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let rows = write(
        app,
        vec![sale(m.id, app.clock.now(), 125_050, "Salma Idrissi")],
    );
    rows[0].id
}

/// The first focusable element of a page: the first `<a href`, `<button` or `<input` not
/// hidden, after `<body`.
fn first_focusable(html: &str) -> &str {
    let body = html.find("<body").map_or(html, |i| &html[i..]);
    let mut rest = body;
    loop {
        let i = rest
            .find('<')
            .unwrap_or_else(|| panic!("nothing focusable in {body}"));
        rest = &rest[i..];
        let end = rest.find('>').unwrap_or(rest.len() - 1) + 1;
        let tag = &rest[..end];
        let focusable = (tag.starts_with("<a ") && tag.contains("href="))
            || tag.starts_with("<button")
            || tag.starts_with("<select")
            || tag.starts_with("<textarea")
            || (tag.starts_with("<input") && !tag.contains(r#"type="hidden""#));
        if focusable {
            return tag;
        }
        rest = &rest[end..];
    }
}

fn assert_skip_link_and_one_main(path: &str, html: &str, text: &str) {
    let first = first_focusable(html);
    assert!(
        first.contains(r#"class="skip-link""#) && first.contains(r##"href="#main""##),
        "{path}: the first focusable element is {first}"
    );
    let after = &html[html.find(first).unwrap() + first.len()..];
    assert!(
        after.starts_with(text),
        "{path}: skip link text: {after:.60}"
    );
    assert_eq!(html.matches("<main").count(), 1, "{path}: one main");
    assert_eq!(html.matches(r#"id="main""#).count(), 1, "{path}: one #main");
    let main = &html[html.find("<main").unwrap()..];
    assert!(
        main[..main.find('>').unwrap()].contains(r#"id="main""#),
        "{path}"
    );
}

#[tokio::test]
async fn every_main_page_starts_with_the_skip_link_and_has_one_main() {
    let app = spawn_app().await;
    let id = seed(&app);

    let anonymous = app.client();
    let (status, html) = anonymous.page("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert_skip_link_and_one_main("/login", &html, "Aller au contenu");

    let c = app.signed_in("atlas.manager").await;
    let detail = format!("/transactions/{id}");
    for path in [
        "/transactions",
        detail.as_str(),
        "/terminal",
        "/parameters/profile",
        "/parameters/users",
    ] {
        let (status, html) = c.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_skip_link_and_one_main(path, &html, "Aller au contenu");
    }

    // In English too.
    let r = anonymous
        .post("/lang", &[("lang", "en"), ("next", "/login")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = anonymous.page("/login").await;
    assert_skip_link_and_one_main("/login (en)", &html, "Skip to content");
}

#[tokio::test]
async fn the_results_sit_in_a_polite_live_region_that_htmx_swaps_keep() {
    let app = spawn_app().await;
    seed(&app);
    let c = app.signed_in("atlas.manager").await;
    let (_, html) = c.page("/transactions").await;
    let live = html
        .find(r#"aria-live="polite""#)
        .expect("a polite live region");
    let results = html.find(r#"id="results""#).expect("the results");
    // The live region is a stable parent of #results (swapped with outerHTML inside it).
    assert!(live < results, "the live region encloses the results");
    assert!(
        !html[..live].contains(r#"id="results""#),
        "the live region is outside what htmx replaces"
    );
    // The fragment htmx swaps in carries the count the region announces.
    let r = c
        .http
        .get(format!("{}/transactions?page=1", app.base))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains(r#"id="results""#));
    assert!(fragment.contains(r#"id="pager-info""#));
    assert!(!fragment.contains("aria-live"), "no nested live region");
}

async fn sign_in(p: &Page<'_>) {
    p.sign_in("atlas.manager").await;
}

/// Presses Tab once (a real key press, not a focus() call).
async fn press_tab(p: &Page<'_>) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    use fantoccini::key::Key;
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Tab.into(),
        })
        .then(KeyAction::Up {
            value: Key::Tab.into(),
        });
    p.c.perform_actions(tab).await.unwrap();
}

#[tokio::test]
async fn tab_reaches_a_visible_skip_link_and_a_refused_form_focuses_its_first_invalid_field() {
    let app = spawn_app().await;
    seed(&app);
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    sign_in(&p).await;
    p.goto("/transactions").await;
    p.wait_for("#results").await;
    press_tab(&p).await;
    let focused = p
        .js(
            "const e = document.activeElement; const r = e.getBoundingClientRect(); \
             return [e.className, e.getAttribute('href'), r.width, r.height, r.top];",
        )
        .await;
    assert_eq!(focused[0], "skip-link", "{focused}");
    assert_eq!(focused[1], "#main", "{focused}");
    assert!(focused[2].as_f64().unwrap() > 0.0, "{focused}");
    assert!(focused[3].as_f64().unwrap() > 0.0, "{focused}");
    assert!(focused[4].as_f64().unwrap() >= 0.0, "on screen: {focused}");
    b.screenshot("target/screenshots/a11y-skip-link.png").await;

    // The next stop is in the dark top bar: its focus ring is white, not teal on navy.
    press_tab(&p).await;
    let ring = p
        .js("const e = document.activeElement; const s = getComputedStyle(e); \
             return [e.closest('header.top') !== null, s.outlineStyle, s.outlineColor, s.outlineWidth];")
        .await;
    assert_eq!(ring[0], true, "{ring}");
    assert_eq!(ring[1], "solid", "{ring}");
    assert_eq!(ring[2], "rgb(255, 255, 255)", "{ring}");
    assert_ne!(ring[3], "0px", "{ring}");

    // The virtual terminal sent empty: the page comes back with the first invalid field
    // focused (static/a11y.js).
    p.goto("/terminal").await;
    p.wait_for("form.vt").await;
    p.click(r#"button[value="show"]"#).await;
    p.wait_for(r#"[aria-invalid="true"]"#).await;
    let ids = p
        .js("return [document.activeElement.id, \
                     document.querySelector('[aria-invalid=\"true\"]').id];")
        .await;
    assert_eq!(ids[0], ids[1], "{ids}");
    assert!(
        ids[0].as_str().is_some_and(|s| s.starts_with("f-")),
        "{ids}"
    );
    b.screenshot("target/screenshots/a11y-terminal-error-focus.png")
        .await;
    b.close().await;
}

/// axe-core's serious and critical violations on the current page, one line each.
async fn axe_serious(p: &Page<'_>) -> Vec<String> {
    axe::serious(&axe::run(p).await)
}

#[tokio::test]
async fn axe_core_finds_no_serious_or_critical_violation_on_the_main_screens() {
    let app = spawn_app().await;
    let id = seed(&app);
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.goto("/login").await;
    let mut found = Vec::new();
    for v in axe_serious(&p).await {
        found.push(format!("/login: {v}"));
    }
    sign_in(&p).await;
    for path in [
        "/home".to_string(),
        "/home?by=month".to_string(),
        "/transactions".to_string(),
        format!("/transactions/{id}"),
        "/terminal".to_string(),
    ] {
        p.goto(&path).await;
        p.wait_for("main#main").await;
        for v in axe_serious(&p).await {
            found.push(format!("{path}: {v}"));
        }
    }
    b.close().await;
    assert!(found.is_empty(), "axe-core:\n{}", found.join("\n"));
}
