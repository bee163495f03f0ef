//! Values that are hard to write (control characters, carriage returns) and an
//! export whose producer fails midway (an unreadable row).

use guichet::db::tables::TX_ID_TO_TX;
use guichet::export::COLUMNS;
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::fixtures::rows::{sale, write};
use crate::support::download::{FORMATS, assert_file, download, export_url};
use crate::support::sheets::xml_table;
use crate::support::{TestApp, spawn_app};

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

/// Replaces the stored bytes of transaction `id`; returns the previous ones.
fn replace_row(app: &TestApp, id: u64, bytes: &[u8]) -> Vec<u8> {
    let wtx = app.db.begin_write().unwrap();
    let before = {
        let mut t = wtx.open_table(TX_ID_TO_TX).unwrap();
        t.insert(id, bytes).unwrap().unwrap().value().to_vec()
    };
    wtx.commit().unwrap();
    before
}

/// The row of `id` replaced by bytes no codec reads: whoever reads it gets `Corrupt`.
/// Returns the good bytes, to put back.
fn corrupt(app: &TestApp, id: u64) -> Vec<u8> {
    replace_row(app, id, b"\xfe not a stored transaction \xff")
}

/// Reads a body chunk by chunk to its end: what arrived, and whether the transfer
/// failed (a chunked body that stops without its terminating chunk is an error).
async fn read_body(mut r: reqwest::Response) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match r.chunk().await {
            Ok(Some(bytes)) => body.extend_from_slice(&bytes),
            Ok(None) => return (body, false),
            Err(_) => return (body, true),
        }
    }
}

/// Whether `body` is a whole file of `rows` rows in `format`.
fn is_whole(format: &str, body: &[u8], rows: usize) -> bool {
    let text = String::from_utf8_lossy(body);
    match format {
        "csv" | "csv-excel-fr" | "txt" => text.lines().count() == rows + 1,
        "json" => text.trim_end().ends_with(']'),
        "xml" => text.contains("</transactions>"),
        "html" => text.contains("</table>"),
        // A zip ends with its central directory; without it no reader opens it.
        "xlsx" => body.windows(4).any(|w| w == b"PK\x05\x06"),
        _ => unreachable!(),
    }
}

// When the producer fails, the export handler cuts the connection (src/connection.rs)
// before the body stream fails: poem 3.1 would otherwise end the chunked body with
// its final `0\r\n\r\n`, and a cut CSV or TXT file would look complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_that_fails_is_never_a_complete_looking_file() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    // Five thousand rows: the export reads them 2,000 at a time, newest first. The
    // row in the middle of the second chunk is unreadable, so the producer fails
    // midway, after the first chunk was formatted.
    const N: usize = 5_000;
    let t0 = datetime!(2026-05-30 09:00 UTC);
    let rows = write(
        &app,
        (0..N)
            .map(|i| sale(m.id, t0 + Duration::seconds(i as i64), 100, "Omar"))
            .collect(),
    );
    let bad = rows[N - 3_000].id;
    let good = corrupt(&app, bad);
    let admin = app.admin().await;
    let url = |format| export_url(format, "all", &[("from", "2026-05-30".into())]);
    let mut ended_normally = Vec::new();
    for format in FORMATS {
        let r = admin.get(&url(format)).await;
        // The file starts before the bad row is read.
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        let (body, failed) = read_body(r).await;
        if !failed {
            ended_normally.push(format!("{format} ({} bytes)", body.len()));
        }
        // What did arrive is a cut file: fewer rows, no closing part.
        assert!(
            !is_whole(format, &body, N),
            "{format}: {} bytes",
            body.len()
        );
    }
    // The transfer itself fails, so the browser shows a failed download.
    assert!(
        ended_normally.is_empty(),
        "a failed export ended as a normal transfer: {}",
        ended_normally.join(", ")
    );
    // Control: with the row repaired, the same downloads end normally and whole,
    // and at once (the failed exports gave their places back: one per user).
    replace_row(&app, bad, &good);
    for format in FORMATS {
        let r = admin.get(&url(format)).await;
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        let (body, failed) = read_body(r).await;
        assert!(!failed, "{format}: the repaired export failed");
        assert!(is_whole(format, &body, N), "{format}: {} bytes", body.len());
    }
}
