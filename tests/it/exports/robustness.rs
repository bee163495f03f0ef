//! Values that are hard to write (control characters, carriage returns) and an
//! export that fails midway.

use guichet::export::COLUMNS;
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::exports::parse::{Sheet, xml_table};
use crate::fixtures::rows::{sale, write};
use crate::support::download::{assert_file, download, export_url};
use crate::support::spawn_app;

/// XML 1.0 `Char`: what a well-formed document may contain.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[tokio::test]
async fn control_characters_in_a_value_still_give_well_formed_xml() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let name = "A\u{1}B\u{b}C\u{fffe}D";
    write(
        &app,
        vec![sale(m.id, datetime!(2026-05-30 09:00 UTC), 100, name)],
    );
    let admin = app.admin().await;
    let file = download(&admin, "xml", "all", &[("from", "2026-05-30".into())]).await;
    assert_file(&file, "xml");
    let bad: Vec<char> = file.text().chars().filter(|c| !xml_char(*c)).collect();
    assert!(bad.is_empty(), "characters XML 1.0 forbids: {bad:?}");
    // Character references must name legal characters as well.
    for r in ["&#1;", "&#x1;", "&#11;", "&#xb;", "&#xfffe;"] {
        assert!(!file.text().to_lowercase().contains(r), "{r}");
    }
    assert_eq!(xml_table(&file.body).len(), 1);
}

#[tokio::test]
async fn carriage_returns_round_trip_in_xml() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let name = "ligne 1\r\nligne 2\rligne 3";
    write(
        &app,
        vec![sale(m.id, datetime!(2026-05-30 09:00 UTC), 100, name)],
    );
    let admin = app.admin().await;
    let file = download(&admin, "xml", "all", &[("from", "2026-05-30".into())]).await;
    let buyer = COLUMNS.iter().position(|c| *c == "buyer_name").unwrap();
    assert_eq!(xml_table(&file.body)[0][buyer], name);
}

#[tokio::test]
async fn an_export_that_fails_is_never_a_complete_looking_file() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let t0 = datetime!(2026-05-30 09:00 UTC);
    write(
        &app,
        vec![
            sale(m.id, t0, 100, "Omar"),
            sale(m.id, t0 + Duration::minutes(1), 100, &"é".repeat(40_000)),
        ],
    );
    let admin = app.admin().await;
    let r = admin
        .get(&export_url("xlsx", "all", &[("from", "2026-05-30".into())]))
        .await;
    if r.status() != StatusCode::OK {
        return; // refused up front: fine
    }
    match r.bytes().await {
        // The transfer was cut: the browser shows a failed download. Fine.
        Err(_) => {}
        // A complete answer must be a workbook with both rows.
        Ok(body) => {
            assert!(!body.is_empty(), "200 with an empty body");
            let s = Sheet::read(&body);
            assert_eq!(s.height(), 3);
        }
    }
}
