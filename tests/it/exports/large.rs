//! A large export streams every row, in chunks, once and in order.

use guichet::db::transactions;
use guichet::domain::Lang;
use guichet::domain::transaction::Transaction;
use guichet::export::header;
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::fixtures::rows::{sale, write};
use crate::support::download::{download, every_format, export_url};
use crate::support::sheets::{csv_table, export_ids, ids_of};
use crate::support::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_export_streams_every_row() {
    const N: usize = 20_000;
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let t0 = datetime!(2026-05-31 00:00 UTC);
    let mut rows: Vec<Transaction> = (0..N)
        .map(|i| {
            let mut t = sale(
                m.id,
                t0 + Duration::seconds(4 * i as i64),
                100 + i as i64,
                "Omar Benani",
            );
            t.sale.order_id = format!("UB-{i:06}");
            t
        })
        .collect();
    let wtx = app.db.begin_write().unwrap();
    transactions::insert_many(&wtx, &mut rows).unwrap();
    wtx.commit().unwrap();
    let admin = app.admin().await;

    let started = std::time::Instant::now();
    let url = export_url(
        "csv",
        "all",
        &[
            ("from", "2026-05-31".to_string()),
            ("to", "2026-05-31".to_string()),
        ],
    );
    let mut r = admin.get(&url).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Streamed: no length known up front, the body arrives in several chunks.
    assert!(r.headers().get("content-length").is_none());
    let mut body = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = r.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    let elapsed = started.elapsed();
    assert!(chunks > 1, "{chunks} chunk(s)");
    let (head, table) = csv_table(&body);
    assert_eq!(head, header(Lang::Fr, None));
    assert_eq!(table.len(), N);
    let want: Vec<u64> = rows.iter().rev().map(|t| t.id).collect();
    assert_eq!(ids_of(&table), want, "every row once, newest first");
    assert_eq!(table[0][13], format!("UB-{:06}", N - 1));
    assert_eq!(table[N - 1][4], "1.00");
    eprintln!("{N} rows exported in {elapsed:?} ({} bytes)", body.len());

    // A download abandoned after its first chunk leaves the server serving exports.
    for format in ["csv", "json", "xml"] {
        let mut r = admin.get(&url.replace("csv", format)).await;
        assert!(r.chunk().await.unwrap().is_some());
        drop(r);
    }
    let again = download(&admin, "csv", "all", &[("from", "2026-05-31".to_string())]).await;
    assert_eq!(again.body, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_several_chunks_has_every_row_once_in_order_in_every_format() {
    // 4 000 rows are read (and formatted) at a time: two full chunks and one row.
    const N: usize = 8_001;
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    let t0 = datetime!(2026-05-31 00:00 UTC);
    let rows: Vec<Transaction> = (0..N)
        .map(|i| {
            let mut t = sale(m.id, t0 + Duration::seconds(10 * i as i64), 100, "Omar");
            t.sale.order_id = format!("O{}-{i}", i % 7);
            t
        })
        .collect();
    let rows = write(&app, rows);
    let admin = app.admin().await;
    let want: Vec<u64> = rows.iter().rev().map(|t| t.id).collect();
    let filter = vec![("from", "2026-05-31".to_string())];
    for (format, file) in every_format(&admin, &filter).await {
        assert_eq!(export_ids(format, &file.body), want, "{format}");
        if format != "xlsx" {
            // One header, one footer.
            let text = file.text();
            let once = match format {
                "csv" => "Identifiant de transaction,Type",
                "csv-excel-fr" => "Identifiant de transaction;Type",
                "json" => "[",
                "xml" => "<transactions>",
                "html" => "<thead>",
                _ => "Identifiant de transaction\t",
            };
            assert_eq!(text.matches(once).count(), 1, "{format}");
        }
    }
    // Sparse ids across chunks: one row in seven.
    let filter = vec![
        ("from", "2026-05-31".to_string()),
        ("order", "o3-".to_string()),
    ];
    let want: Vec<u64> = rows
        .iter()
        .rev()
        .filter(|t| t.sale.order_id.starts_with("O3-"))
        .map(|t| t.id)
        .collect();
    assert_eq!(want.len(), N / 7);
    for (format, file) in every_format(&admin, &filter).await {
        assert_eq!(export_ids(format, &file.body), want, "{format}");
    }
}
