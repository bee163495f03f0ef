//! The totals line (count, net amount per currency, or the accepted rows' amount for
//! operations that move no money, acceptance rate) against an all-rows export of the
//! same search, and the 3-D Secure rows it hides by default.

use std::collections::BTreeMap;

use guichet::domain::Lang;
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::search::format_total;
use guichet::domain::transaction::Operation;
use time::macros::datetime;

use crate::fixtures::dataset::{period_pairs, seed};
use crate::fixtures::rows::{sale, write};
use crate::support::Client;
use crate::support::download::download;
use crate::support::html::listing;
use crate::support::sheets::json_table;
use crate::support::spawn_app;

/// What a totals line says, read from the page.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Said {
    pub(crate) count: u64,
    pub(crate) accepted: u64,
    pub(crate) net: BTreeMap<String, i128>,
    /// The accepted rows' amounts, unsigned (shown instead of the net when the
    /// operation filter moves no money).
    pub(crate) gross: BTreeMap<String, i128>,
}

impl Said {
    /// What the page shows of these totals: the gross amounts when `no_money` (an
    /// authorization, cancellation or 3-D Secure operation filter), else the net.
    pub(crate) fn shown(mut self, no_money: bool) -> Said {
        if no_money {
            self.net.clear();
        } else {
            self.gross.clear();
        }
        self
    }
}

/// Whether the operation asked for moves no money (the totals line then gives the
/// accepted rows' amount instead of the net).
pub(crate) fn moves_no_money(operation: &str) -> bool {
    matches!(
        operation.to_ascii_lowercase().as_str(),
        "authorization" | "cancel" | "3ds"
    )
}

/// The value of `attr="…"` right after `at` in `html`.
fn attr_after(html: &str, attr: &str) -> Option<(String, usize)> {
    let marker = format!(r#"{attr}=""#);
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some((html[start..end].to_string(), end))
}

/// The text of the element whose opening tag ends at or after `from`.
fn text_after(html: &str, from: usize) -> String {
    let start = from + html[from..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

/// Reads the totals section of a list page, and checks each amount reads as its value.
pub(crate) fn totals_in(body: &str) -> Said {
    let start = body.find(r#"id="totals""#).expect("a totals line");
    let section = &body[start..start + body[start..].find("</section>").unwrap()];
    let (count, _) = attr_after(section, "data-count").unwrap();
    let (accepted, _) = attr_after(section, "data-accepted").unwrap();
    let (mut net, mut gross) = (BTreeMap::new(), BTreeMap::new());
    let mut rest = section;
    while let Some((code, end)) = attr_after(rest, "data-currency") {
        // The amount's own attribute says which total it is.
        let tag_end = rest[end..].find('>').unwrap();
        let (sums, attr) = if rest[end..end + tag_end].contains("data-gross=") {
            (&mut gross, "data-gross")
        } else {
            (&mut net, "data-minor")
        };
        let (minor, end2) = attr_after(&rest[end..], attr).unwrap();
        let minor: i128 = minor.parse().unwrap();
        let shown = text_after(&rest[end..], end2);
        let cur = Currency::parse(&code).unwrap();
        assert_eq!(shown, format_total(minor, cur, Lang::Fr), "{code}");
        sums.insert(code, minor);
        rest = &rest[end + end2..];
    }
    Said {
        count: count.parse().unwrap(),
        accepted: accepted.parse().unwrap(),
        net,
        gross,
    }
}

/// The same totals summed from the JSON export of every row of the search.
async fn totals_of_export(c: &Client, pairs: &[(&str, String)]) -> (Said, Vec<String>) {
    let file = download(c, "json", "all", pairs).await;
    assert!(file.status.is_success(), "{pairs:?}: {}", file.status);
    let rows = json_table(&file.body);
    let mut said = Said {
        count: rows.len() as u64,
        ..Said::default()
    };
    let mut ops = Vec::new();
    for r in &rows {
        // operation key, amount "1250.50", currency, status key, code (COLUMNS order).
        let (op, amount, currency, status, code) = (&r[2], &r[4], &r[5], &r[7], &r[8]);
        ops.push(format!("{op} {code}"));
        let entry = said.net.entry(currency.clone()).or_insert(0);
        let gross = said.gross.entry(currency.clone()).or_insert(0);
        if status != "accepted" {
            continue;
        }
        said.accepted += 1;
        let (units, cents) = amount.split_once('.').unwrap();
        let minor = units.parse::<i128>().unwrap() * 100 + cents.parse::<i128>().unwrap();
        *gross += minor;
        *entry += match op.as_str() {
            "sale" | "capture" | "rebill" => minor,
            "refund" => -minor,
            _ => 0,
        };
    }
    (said, ops)
}

/// Rows in US dollars after the dataset: a sale, a refused sale and a refund of part of it.
fn dollars(app: &crate::support::TestApp, merchant: u64) {
    let mut usd = sale(merchant, datetime!(2026-06-01 10:00 UTC), 90_000, "Dana");
    usd.currency = Currency::Usd;
    let mut refused = sale(merchant, datetime!(2026-06-01 10:05 UTC), 12_345, "Dana");
    refused.currency = Currency::Usd;
    refused.code = ResultCode::parse("051").unwrap();
    let written = write(app, vec![usd, refused]);
    let mut refund = sale(merchant, datetime!(2026-06-01 10:10 UTC), 100_000, "Dana");
    refund.currency = Currency::Usd;
    refund.operation = Operation::Refund;
    refund.amount = Amount::from_minor(100_000).unwrap();
    refund.parent_id = Some(written[0].id);
    write(app, vec![refund]);
}

#[tokio::test]
async fn the_totals_line_equals_the_sum_of_an_all_rows_export_of_the_same_filters() {
    let app = spawn_app().await;
    let d = seed(&app);
    dollars(&app, d.merchants[0].id);
    let admin = app.admin().await;
    let mut currencies_seen = BTreeMap::new();
    let mut negative_seen = false;
    for extra in [
        vec![],
        vec![("three_ds", "1")],
        vec![("status", "refused")],
        vec![("operation", "refund")],
        vec![("operation", "3ds")],
        vec![("merchant", "1")],
        vec![("holder", "mohamed"), ("three_ds", "1")],
        vec![("amount_min", "500"), ("brand", "visa")],
        vec![("operation", "authorization")],
        vec![("operation", "cancel"), ("merchant", "1")],
        vec![("attempts", "1")],
        vec![("attempts", "1"), ("status", "refused")],
        vec![("attempts", "on"), ("merchant", "1"), ("three_ds", "1")],
    ] {
        let pairs = period_pairs(&extra);
        let l = listing(&admin, &pairs).await;
        assert!(l.status.is_success(), "{extra:?}");
        let said = totals_in(&l.body);
        let (summed, ops) = totals_of_export(&admin, &pairs).await;
        let no_money = extra
            .iter()
            .any(|(k, v)| *k == "operation" && moves_no_money(v));
        assert_eq!(said, summed.shown(no_money), "{extra:?}");
        if no_money {
            assert!(!said.gross.is_empty(), "{extra:?}: the amount is shown");
        }
        if extra.iter().any(|(k, _)| *k == "attempts") {
            // Payment attempts only: sales, authorizations and rebills, never a 098.
            for o in &ops {
                let (op, code) = o.split_once(' ').unwrap();
                assert!(
                    matches!(op, "sale" | "authorization" | "rebill") && code != "098",
                    "{extra:?}: {o}"
                );
            }
            assert!(!ops.is_empty(), "{extra:?}");
        }
        assert_eq!(
            said.count,
            l.total(),
            "{extra:?}: the count is the list's total"
        );
        let attempts = extra.iter().any(|(k, _)| *k == "attempts");
        let shows_3ds = !attempts && extra.iter().any(|(k, v)| *k == "three_ds" || *v == "3ds");
        assert_eq!(
            ops.iter().any(|o| o.starts_with("3ds ")),
            shows_3ds,
            "{extra:?}: 3-D Secure rows hidden unless asked for"
        );
        for (cur, minor) in &said.net {
            currencies_seen.insert(cur.clone(), ());
            negative_seen |= *minor < 0;
        }
    }
    // The data really held several currencies, a negative net (the USD refund is
    // larger than the accepted USD sale) and refusals.
    assert_eq!(currencies_seen.len(), 3, "{currencies_seen:?}");
    assert!(negative_seen);
    let refused = totals_in(
        &listing(&admin, &period_pairs(&[("status", "refused")]))
            .await
            .body,
    );
    assert!(refused.count > 0 && refused.accepted == 0);
}

#[tokio::test]
async fn the_totals_caption_says_whether_3ds_checks_are_counted_and_offers_the_toggle() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let hidden = listing(&admin, &period_pairs(&[])).await;
    let shown = listing(&admin, &period_pairs(&[("three_ds", "1")])).await;
    let n_3ds = d
        .rows
        .iter()
        .filter(|t| t.operation == Operation::ThreeDSecure)
        .count() as u64;
    assert!(n_3ds > 0);
    assert_eq!(hidden.total() + n_3ds, shown.total());
    assert_eq!(shown.total(), d.rows.len() as u64);
    assert!(
        hidden
            .body
            .contains("Vérifications 3-D Secure : masquées et non comptées.")
    );
    assert!(hidden.body.contains("three_ds=1"), "a link shows them");
    assert!(
        shown
            .body
            .contains("Vérifications 3-D Secure : affichées et comptées.")
    );
    // The checkbox is part of the filter form, checked only when asked.
    assert!(hidden.body.contains(r#"name="three_ds" value="1">"#));
    assert!(shown.body.contains(r#"name="three_ds" value="1" checked>"#));
    // In English too.
    let r = admin.post("/lang", &[("lang", "en")]).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let en = listing(&admin, &period_pairs(&[])).await.body;
    assert!(en.contains("3-D Secure checks: hidden and not counted."));
    assert!(en.contains("Show 3-D Secure checks") && en.contains("Acceptance rate: "));
    assert!(en.contains("Net amount: "));
}
