//! Home and Statistics in headless Chromium (issue 11): the charts render, the day /
//! week / month switch works in place, a figure leads to the list of its rows.

use std::time::{Duration, Instant};

use guichet::clock::Clock;
use time::macros::datetime;

use crate::support::browser::{self, Page};
use crate::support::spawn_app;

/// Waits until `script` (returning a boolean) is true, for at most 5 s.
async fn until(p: &Page<'_>, script: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if p.js(script).await == serde_json::json!(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn home_shows_its_charts_switches_period_in_place_a_figure_opens_its_list_and_statistics_take_a_period()
 {
    let app = spawn_app().await;
    crate::fixtures::dataset::seed(&app);
    app.clock.set(datetime!(2026-06-01 12:00 UTC));
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = browser::start().await else {
        return;
    };
    b.viewport(1366, 900).await;
    let p = b.page(&app.base);
    p.sign_in_with_code("boss", &secret, app.clock.now().unix_timestamp())
        .await;
    assert_eq!(p.path().await, "/home");
    p.wait_for("figure.chart svg").await;
    let charts = p
        .js("return document.querySelectorAll('figure.chart svg').length;")
        .await;
    assert_eq!(
        charts,
        serde_json::json!(3),
        "revenue, acceptance, breakdown"
    );
    // The revenue chart has a bar per day of the last 30, each a link.
    let bars = p
        .js("return document.querySelectorAll('#home-body .home-revenue svg a').length;")
        .await;
    assert_eq!(bars, serde_json::json!(30));
    b.screenshot("target/screenshots/home-day.png").await;

    // The switch replaces the body in place: a marker on the window survives.
    p.js("window.__still_here = true;").await;
    for (key, word) in [("week", "Semaine"), ("month", "Mois"), ("day", "Jour")] {
        p.click_xpath(&format!("//nav[@class='segmented']/a[text()='{word}']"))
            .await;
        assert!(
            until(
                &p,
                &format!(
                    "return location.search.includes('by={key}') && document.querySelector('nav.segmented a[aria-current]').textContent === '{word}';"
                )
            )
            .await,
            "{key}"
        );
        assert_eq!(
            p.js("return window.__still_here === true;").await,
            serde_json::json!(true),
            "{key}: a full page load"
        );
        if key == "month" {
            let bars = p
                .js("return document.querySelectorAll('#home-body .home-revenue svg a').length;")
                .await;
            assert_eq!(bars, serde_json::json!(12));
            b.screenshot("target/screenshots/home-month.png").await;
        }
    }

    // A figure leads to the list of exactly its rows.
    let want = p
        .js("return document.querySelector('a[data-figure=op-sale-accepted]').dataset.count;")
        .await;
    p.click("a[data-figure=op-sale-accepted]").await;
    p.wait_for("#tx-table").await;
    assert_eq!(p.path().await, "/transactions");
    let got = p
        .js("return document.querySelector('.totals [data-count]').dataset.count;")
        .await;
    assert_eq!(got, want);
    b.screenshot("target/screenshots/home-figure-list.png")
        .await;

    // Statistics with a period typed in its form: the charts of the periods and
    // card types, and the tables; the filters land in the URL.
    p.goto("/statistics").await;
    p.wait_for("form.stats-filters").await;
    p.fill("#s-from", "22/05/2026").await;
    p.fill("#s-to", "31/05/2026").await;
    p.click("form.stats-filters button.primary").await;
    assert!(
        until(
            &p,
            "return location.search.includes('from=22%2F05%2F2026') && !!document.querySelector('figure.chart svg');"
        )
        .await
    );
    let stats_charts = p
        .js("return document.querySelectorAll('figure.chart svg').length;")
        .await;
    assert!(stats_charts.as_u64().unwrap_or(0) >= 3, "{stats_charts}");
    let period = p.text("#stats-period").await;
    assert!(period.contains("22") && period.contains("31"), "{period}");
    // Ten days, shown by day: ten rows in the table of the periods.
    let days = p
        .js("return document.querySelectorAll('#table-periods tbody tr').length;")
        .await;
    assert_eq!(days, serde_json::json!(10));
    b.screenshot("target/screenshots/statistics.png").await;

    // On a phone the dashboard fits the width.
    b.viewport(390, 844).await;
    p.goto("/home").await;
    p.wait_for("figure.chart svg").await;
    assert_eq!(
        p.js("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await,
        serde_json::json!(true)
    );
    b.screenshot("target/screenshots/home-phone.png").await;
    b.close().await;
}
