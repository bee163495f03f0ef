//! Home (issue 11, HOME-1 … HOME-5): the dashboard's figures, each linked to the
//! transaction list of exactly the rows it counts — followed here, the list's totals
//! must equal the figure — the day / week / month switch, the merchant selector and
//! merchant isolation, bad input.

use std::collections::BTreeMap;

use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::fixtures::dataset::{Dataset, seed};
use crate::support::{Client, TestApp, spawn_app};

/// One `<tag …>` opening tag's attributes (values unescaped).
fn attrs(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').unwrap_or(after.len());
        let value = after[..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#39;", "'");
        out.insert(name, value);
        rest = &after[(end + 1).min(after.len())..];
    }
    out
}

/// Every opening tag of the page carrying `attr`, as attribute maps.
fn tags_with(page: &str, attr: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for (i, _) in page.match_indices(&format!(" {attr}=\"")) {
        let start = page[..i].rfind('<').unwrap();
        let end = i + page[i..].find('>').unwrap();
        out.push(attrs(&page[start..end]));
    }
    out
}

/// The list's totals line: (count, accepted, net per currency, gross per currency).
struct ListTotals {
    count: u64,
    accepted: u64,
    /// Payment attempts and the accepted ones: the list's acceptance rate.
    attempts: (u64, u64),
    minor: BTreeMap<String, i128>,
}

fn list_totals(page: &str) -> ListTotals {
    let totals = &page[page.find("class=\"totals\"").expect("a totals line")..];
    let totals = &totals[..totals.find("</section>").unwrap()];
    let count = tags_with(totals, "data-count")[0]["data-count"]
        .parse()
        .unwrap();
    let rate = &tags_with(totals, "data-accepted")[0];
    let accepted = rate["data-accepted"].parse().unwrap();
    let attempts = (
        rate["data-attempts-accepted"].parse().unwrap(),
        rate["data-attempts"].parse().unwrap(),
    );
    // The net amount, or for operations that move no money the accepted rows' amount.
    let mut minor: BTreeMap<String, i128> = tags_with(totals, "data-minor")
        .into_iter()
        .filter(|t| t.contains_key("data-currency"))
        .map(|t| (t["data-currency"].clone(), t["data-minor"].parse().unwrap()))
        .collect();
    minor.extend(
        tags_with(totals, "data-gross")
            .into_iter()
            .filter(|t| t.contains_key("data-currency"))
            .map(|t| (t["data-currency"].clone(), t["data-gross"].parse().unwrap())),
    );
    ListTotals {
        count,
        accepted,
        attempts,
        minor,
    }
}

/// Follows every figure of `home` to its list and checks the list's totals equal it.
/// Returns how many figures were checked.
async fn every_figure_equals_its_list(c: &Client, home: &str) -> usize {
    let figures = tags_with(home, "data-figure");
    assert!(figures.len() > 20, "{home}");
    for f in &figures {
        let href = &f["href"];
        let (status, page) = c.page(href).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        let what = &f["data-figure"];
        if what == "open-authorizations" {
            let n: u64 = f["data-count"].parse().unwrap();
            assert!(
                page.contains(&format!("data-count=\"{n}\"")),
                "{what} → {href}: {n} expected"
            );
            continue;
        }
        let t = list_totals(&page);
        if let Some(n) = f.get("data-count") {
            assert_eq!(t.count.to_string(), *n, "{what} → {href}");
        }
        if let Some(n) = f.get("data-accepted") {
            assert_eq!(t.accepted.to_string(), *n, "{what} → {href}");
            // The list's acceptance rate is the figure's.
            let want = (n.parse().unwrap(), f["data-count"].parse().unwrap());
            assert_eq!(t.attempts, want, "{what} → {href}");
        }
        if let (Some(cur), Some(minor)) = (f.get("data-currency"), f.get("data-minor")) {
            let minor: i128 = minor.parse().unwrap();
            assert_eq!(
                t.minor.get(cur).copied().unwrap_or(0),
                minor,
                "{what} {cur} → {href}"
            );
        } else if let Some(minor) = f.get("data-minor") {
            // No money at all in the period: the list has none either.
            assert_eq!(minor, "0");
            assert!(t.minor.values().all(|v| *v == 0), "{what} → {href}");
        }
    }
    figures.len()
}

/// The dataset (three merchants, 22 May → 1 June 2026 09:30 UTC), the clock at noon
/// on 1 June, and the Uber manager (view permission).
async fn dashboard() -> (TestApp, Dataset) {
    let app = spawn_app().await;
    let d = seed(&app);
    app.clock.set(datetime!(2026-06-01 12:00 UTC));
    app.merchant_user(
        "uber.viewer",
        d.merchant("Uber"),
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    (app, d)
}

#[tokio::test]
async fn every_home_figure_links_to_a_list_whose_totals_equal_it_by_day_week_and_month() {
    let (app, d) = dashboard().await;
    let admin = app.admin().await;
    let uber = d.merchant("Uber");
    let mut checked = 0;
    for by in ["day", "week", "month"] {
        for merchant in [String::new(), uber.to_string()] {
            let (status, home) = admin
                .page(&format!("/home?by={by}&merchant={merchant}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{home}");
            checked += every_figure_equals_its_list(&admin, &home).await;
        }
    }
    let viewer = app.signed_in("uber.viewer").await;
    let (_, home) = viewer.page("/home?by=month").await;
    checked += every_figure_equals_its_list(&viewer, &home).await;
    assert!(checked > 150, "{checked}");
}

#[tokio::test]
async fn the_month_figures_count_the_dataset_rows_of_the_month() {
    let (app, d) = dashboard().await;
    let admin = app.admin().await;
    let (_, home) = admin.page("/home?by=month").await;
    // Previous period: May 2026 (UTC appliance in tests): the dataset's May rows.
    let may = |t: &&guichet::domain::transaction::Transaction| {
        t.at < datetime!(2026-06-01 00:00 UTC).unix_timestamp()
    };
    let net: i128 = d
        .rows
        .iter()
        .filter(may)
        .filter(|t| t.code.is_accepted() && t.currency == guichet::domain::money::Currency::Mad)
        .map(|t| {
            i128::from(guichet::domain::list_row::net_sign(t.operation))
                * i128::from(t.amount.minor())
        })
        .sum();
    let previous: Vec<_> = tags_with(&home, "data-figure")
        .into_iter()
        .filter(|t| {
            t["data-figure"] == "revenue-previous"
                && t.get("data-currency").map(String::as_str) == Some("MAD")
        })
        .collect();
    assert_eq!(previous.len(), 1, "{home}");
    assert_eq!(previous[0]["data-minor"], net.to_string());
}

#[tokio::test]
async fn view_users_land_on_home_and_the_top_tabs_name_home_and_processing() {
    let (app, _) = dashboard().await;
    let viewer = app.signed_in("uber.viewer").await;
    let resp = viewer.get("/").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/home");
    let (status, page) = viewer.page("/home").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Accueil"), "{page}");
    assert!(
        page.contains(">Accueil</a>") || page.contains(">Accueil<"),
        "the Home tab"
    );
    assert!(page.contains("Traitement"));
}

#[tokio::test]
async fn the_switch_answers_htmx_with_the_body_only() {
    let (app, _) = dashboard().await;
    let admin = app.admin().await;
    let resp = admin
        .http
        .get(format!("{}/home?by=week", admin.base))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("<div id=\"home-body\""), "{body}");
    assert!(body.contains("aria-current=\"page\">Semaine<"), "{body}");
    assert!(!body.contains("<html"));
}

#[tokio::test]
async fn a_merchant_user_never_sees_another_merchants_figures() {
    let (app, d) = dashboard().await;
    let viewer = app.signed_in("uber.viewer").await;
    let glovo = d.merchant("Glovoapp");
    let (status, _) = viewer.page(&format!("/home?merchant={glovo}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let uber = d.merchant("Uber");
    let (status, own) = viewer
        .page(&format!("/home?merchant={uber}&by=month"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, plain) = viewer.page("/home?by=month").await;
    let figures = |p: &str| {
        tags_with(p, "data-figure")
            .into_iter()
            .map(|t| {
                (
                    t["data-figure"].clone(),
                    t.get("data-minor").cloned(),
                    t.get("data-count").cloned(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&own), figures(&plain));
    // Its figures are Uber's alone: smaller than all merchants' for the admin.
    let admin = app.admin().await;
    let (_, all) = admin.page("/home?by=month").await;
    let count = |p: &str| -> u64 {
        tags_with(p, "data-figure")
            .into_iter()
            .filter(|t| t["data-figure"] == "op-sale-accepted")
            .map(|t| t["data-count"].parse::<u64>().unwrap())
            .sum()
    };
    assert!(count(&plain) < count(&all));
    assert!(!plain.contains("Glovoapp"));
    // No selector for merchant users.
    assert!(!plain.contains("name=\"merchant\""));
}

#[tokio::test]
async fn bad_home_parameters_get_a_clear_400_or_404_never_a_500() {
    let (app, _) = dashboard().await;
    let admin = app.admin().await;
    let (status, page) = admin.page("/home?by=year").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("choisissez jour (day), semaine (week) ou mois (month)"),
        "{page}"
    );
    let (status, page) = admin.page("/home?merchant=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("numéro de marchand attendu"), "{page}");
    let (status, _) = admin.page("/home?merchant=999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin.page("/home?merchant=18446744073709551616").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_list_of_a_period_shows_the_acceptance_rate_home_shows_for_it() {
    let (app, _) = dashboard().await;
    let admin = app.admin().await;
    for by in ["day", "week", "month"] {
        let (_, home) = admin.page(&format!("/home?by={by}")).await;
        let rates = tags_with(&home, "data-figure");
        let rate = rates
            .iter()
            .find(|t| t["data-figure"] == "acceptance")
            .unwrap();
        let revenue = rates
            .iter()
            .find(|t| t["data-figure"] == "revenue-current")
            .unwrap();
        let (_, list) = admin.page(&revenue["href"]).await;
        let t = list_totals(&list);
        assert_eq!(
            t.attempts,
            (
                rate["data-accepted"].parse().unwrap(),
                rate["data-count"].parse().unwrap()
            ),
            "{by}"
        );
    }
}

#[tokio::test]
async fn a_merchant_users_bad_merchant_value_is_a_400_never_a_500() {
    let (app, _) = dashboard().await;
    let viewer = app.signed_in("uber.viewer").await;
    for bad in ["abc", "-1", "99999999999999999999"] {
        let (status, page) = viewer.page(&format!("/home?merchant={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {page}");
        assert!(page.contains("numéro de marchand attendu"), "{bad}");
    }
}
