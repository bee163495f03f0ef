//! Values that are hard to write (control characters, carriage returns) and an
//! export whose producer fails midway (an unreadable row).

use guichet::db::tables::TX_ID_TO_TX;
use guichet::export::COLUMNS;
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::exports::parse::xml_table;
use crate::fixtures::rows::{sale, write};
use crate::support::download::{FORMATS, assert_file, download, export_url};
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

/// The row of `id` replaced by bytes no codec reads: whoever reads it gets `Corrupt`.
fn corrupt(app: &TestApp, id: u64) {
    let wtx = app.db.begin_write().unwrap();
    {
        let mut t = wtx.open_table(TX_ID_TO_TX).unwrap();
        t.insert(id, &b"\xfe not a stored transaction \xff"[..])
            .unwrap();
    }
    wtx.commit().unwrap();
}

// BUG (src/handlers/export.rs, reported): when the producer fails, the handler sets
// its abort flag and the body stream yields an error, yet the client sees the
// transfer end normally: 200 with the first chunk's rows and no error. CSV and TXT
// then look complete (a header and whole rows), XLSX is an empty 200. The closing
// parts of JSON, XML and HTML are missing, which is checked below and holds.
// Cause, seen on the wire: poem 3.1 ends a chunked body with its final `0\r\n\r\n`
// when the body stream yields an error (a bare poem server streaming Ok("abc") then
// Err does the same), so an error item cannot abort a download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "bug: a failed export ends as a normal transfer (src/handlers/export.rs abort)"]
async fn an_export_that_fails_is_never_a_complete_looking_file() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    // Five thousand rows: the export reads them 2,000 at a time, newest first. The
    // row in the middle of the second chunk is unreadable, so the producer fails
    // midway, after the first chunk was formatted and sent.
    const N: usize = 5_000;
    let t0 = datetime!(2026-05-30 09:00 UTC);
    let rows = write(
        &app,
        (0..N)
            .map(|i| sale(m.id, t0 + Duration::seconds(i as i64), 100, "Omar"))
            .collect(),
    );
    corrupt(&app, rows[N - 3_000].id);
    let admin = app.admin().await;
    let mut ended_normally = Vec::new();
    for format in FORMATS {
        let url = export_url(format, "all", &[("from", "2026-05-30".into())]);
        let mut r = admin.get(&url).await;
        // The file starts before the bad row is read.
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        let mut body = Vec::new();
        let cut = loop {
            match r.chunk().await {
                Ok(Some(bytes)) => body.extend_from_slice(&bytes),
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        if !cut {
            ended_normally.push(format!("{format} ({} bytes)", body.len()));
        }
        // What did arrive is a cut file: fewer rows, no closing part.
        let text = String::from_utf8_lossy(&body);
        match format {
            "csv" | "txt" => assert!(text.lines().count() < N + 1, "{format}"),
            "json" => assert!(!text.trim_end().ends_with(']'), "{format}"),
            "xml" => assert!(!text.contains("</transactions>"), "{format}"),
            "html" => assert!(!text.contains("</table>"), "{format}"),
            // A zip ends with its central directory; without it no reader opens it.
            "xlsx" => assert!(
                !body.windows(4).any(|w| w == b"PK\x05\x06"),
                "{format}: {} bytes",
                body.len()
            ),
            _ => unreachable!(),
        }
    }
    // The transfer itself fails, so the browser shows a failed download.
    assert!(
        ended_normally.is_empty(),
        "a failed export ended as a normal transfer: {}",
        ended_normally.join(", ")
    );
}
