//! Files people open in Excel: a UTF-8 BOM on both CSV variants, the French Excel
//! variant (`;`, decimal commas, DD/MM/YYYY dates), one language per file, and the
//! period in the file name.

use std::collections::BTreeMap;

use calamine::Data;
use guichet::domain::Lang;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::Transaction;
use guichet::domain::user::Permissions;
use guichet::domain::zone::Zone;
use guichet::export::{COLUMNS, header};
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::exports::expected::{assert_cells, assert_csv_cells};
use crate::fixtures::dataset::{period_pairs, seed};
use crate::fixtures::rows::{sale, write};
use crate::support::cards::full_card_numbers;
use crate::support::download::{FORMATS, assert_file, download, every_format, extension};
use crate::support::html::list_url;
use crate::support::sheets::{
    BOM, Sheet, csv_table, decimal_comma_minor, excel_fr_table, unescape_html,
};
use crate::support::spawn_app;

/// `7001.00` in minor units.
fn decimal_point_minor(cell: &str) -> i64 {
    let (units, cents) = cell.split_once('.').expect("a decimal point");
    assert_eq!(cents.len(), 2, "{cell}");
    units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// The sum of the amount column per currency.
fn totals(rows: &[Vec<String>], minor: fn(&str) -> i64) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for r in rows {
        assert_eq!(r.len(), COLUMNS.len(), "{r:?}");
        *sums.entry(r[5].clone()).or_insert(0) += minor(&r[4]);
    }
    sums
}

#[tokio::test]
async fn both_csv_files_open_with_a_bom_and_the_excel_fr_amounts_sum_to_the_csv_total() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    // Every row, 3-D Secure checks included (they are hidden unless asked for).
    let filter = period_pairs(&[("three_ds", "1")]);
    let csv = download(&admin, "csv", "all", &filter).await;
    let fr = download(&admin, "csv-excel-fr", "all", &filter).await;
    assert_file(&csv, "csv");
    assert_file(&fr, "csv-excel-fr");
    for f in [&csv, &fr] {
        assert!(f.body.starts_with(BOM), "{:?}", &f.body[..8]);
        // One BOM, at the very start: none in the middle of a streamed file.
        assert_eq!(f.text().matches('\u{feff}').count(), 1);
    }
    let (csv_head, csv_rows) = csv_table(&csv.body);
    let (fr_head, fr_rows) = excel_fr_table(&fr.body);
    // Plain CSV dates are ISO 8601 UTC; the French Excel file's are local times of
    // the reader's zone (UTC here), which its date column names.
    assert_eq!(csv_head, header(Lang::Fr, None));
    assert_eq!(fr_head, header(Lang::Fr, Some(&Zone::utc())));
    assert_eq!(fr_head[6], "Date (UTC)");
    // The French file is cut by `;`: the header line holds 19 of them.
    let first_line = fr.text().lines().next().unwrap();
    assert_eq!(
        first_line.matches(';').count(),
        COLUMNS.len() - 1,
        "{first_line}"
    );
    assert_eq!(csv_rows.len(), d.rows.len());
    assert_eq!(fr_rows.len(), d.rows.len());
    // Amounts: `1250.50` in the CSV, `1250,50` in the French one; same totals, which
    // are the stored ones.
    let csv_totals = totals(&csv_rows, decimal_point_minor);
    let fr_totals = totals(&fr_rows, decimal_comma_minor);
    let mut stored: BTreeMap<String, i64> = BTreeMap::new();
    for t in &d.rows {
        *stored.entry(t.currency.code().to_string()).or_insert(0) += t.amount.minor();
    }
    assert_eq!(fr_totals, csv_totals);
    assert_eq!(fr_totals, stored);
    // Row by row, the same transactions; every cell as expected.
    let ids = |rows: &[Vec<String>]| rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&fr_rows), ids(&csv_rows));
    let by_id = |id: &str| &d.rows[id.parse::<usize>().unwrap() - 1];
    let rows: Vec<&Transaction> = fr_rows.iter().map(|r| by_id(&r[0])).collect();
    assert_cells("csv", &csv.body, &rows, &d.merchants);
    assert_cells("csv-excel-fr", &fr.body, &rows, &d.merchants);
}

#[tokio::test]
async fn excel_fr_writes_decimal_commas_and_french_excel_dates() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Fès");
    write(
        &app,
        vec![
            sale(
                m.id,
                datetime!(2026-05-30 12:34:56 UTC),
                125_050,
                "Omar; Zoé",
            ),
            sale(m.id, datetime!(2026-05-31 08:00:01 UTC), 5, "Zoé"),
        ],
    );
    let admin = app.admin().await;
    let filter = vec![
        ("from", "2026-05-30".to_string()),
        ("to", "2026-05-31".to_string()),
    ];
    let f = download(&admin, "csv-excel-fr", "all", &filter).await;
    assert_file(&f, "csv-excel-fr");
    let (_, rows) = excel_fr_table(&f.body);
    assert_eq!(rows[1][4], "1250,50");
    assert_eq!(rows[1][6], "30/05/2026 12:34:56");
    assert_eq!(rows[0][4], "0,05");
    assert_eq!(rows[0][6], "31/05/2026 08:00:01");
    // A `;` inside a value is quoted and round-trips.
    assert_eq!(rows[1][14], "Omar; Zoé");
    assert!(f.text().contains("\"Omar; Zoé\""), "{}", f.text());
    assert_eq!(rows[1][7], "Acceptée");
    assert_eq!(rows[1][2], "Vente");
    assert_eq!(rows[1][19], "Non");
}

#[tokio::test]
async fn an_english_readers_files_are_in_english_and_a_french_readers_in_french() {
    let app = spawn_app().await;
    let m = app.merchant("Glovoapp");
    let mut rows = vec![
        sale(m.id, datetime!(2026-05-30 09:00 UTC), 1_000, "Omar"),
        sale(m.id, datetime!(2026-05-30 10:00 UTC), 2_000, "Zoé"),
    ];
    rows[1].code = ResultCode::INSUFFICIENT_FUNDS;
    rows[1].test = true;
    let rows = write(&app, rows);
    let newest_first: Vec<&Transaction> = rows.iter().rev().collect();
    let filter = vec![("from", "2026-05-30".to_string())];
    let french = app.admin().await;
    app.merchant_user("glovo.en", m.id, Permissions::ALL);
    let english = app.signed_in("glovo.en").await;
    let r = english.post("/lang", &[("lang", "en")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Words that give away the other language.
    let english_words = [
        "Credit card",
        "Accepted",
        "Refused",
        "Sale",
        "Transaction ID",
        "true",
        "false",
        "sale",
    ];
    let french_words = [
        "Carte bancaire",
        "Acceptée",
        "Refusée",
        "Vente",
        "Identifiant",
        "Oui",
        "Non",
        "Montant",
    ];
    for (client, lang, foreign) in [
        (&french, Lang::Fr, english_words),
        (&english, Lang::En, french_words),
    ] {
        for format in ["csv", "csv-excel-fr", "html", "txt", "xlsx"] {
            let f = download(client, format, "all", &filter).await;
            assert_file(&f, format);
            let text = if format == "xlsx" {
                let s = Sheet::read(&f.body);
                assert_eq!(s.name, "Transactions");
                for (c, title) in header(lang, Some(&Zone::utc())).iter().enumerate() {
                    assert_eq!(&s.text(0, c), title, "{lang:?} xlsx header {c}");
                }
                assert_eq!(s.get(2, 19), &Data::Bool(false));
                assert_eq!(s.get(1, 19), &Data::Bool(true));
                s.cells
                    .used_cells()
                    .filter_map(|(_, _, v)| match v {
                        Data::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                f.text().to_string()
            };
            if format.starts_with("csv") {
                assert_csv_cells(
                    format,
                    &f.body,
                    &newest_first,
                    std::slice::from_ref(&m),
                    lang,
                );
            } else {
                for title in header(lang, Some(&Zone::utc())) {
                    assert!(text.contains(title.as_ref()), "{lang:?} {format}: {title}");
                }
            }
            for word in foreign {
                assert!(
                    !text.contains(word),
                    "{lang:?} {format} holds {word:?}:\n{text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_file_name_carries_the_period_in_every_format() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    write(
        &app,
        vec![sale(m.id, datetime!(2026-05-10 09:00 UTC), 1_000, "Omar")],
    );
    let admin = app.admin().await;
    let cases = [
        (
            vec![
                ("from", "2026-05-01".to_string()),
                ("to", "2026-05-31".to_string()),
            ],
            "2026-05-01_2026-05-31",
        ),
        // A start alone runs to today (the app clock: 2026-06-01).
        (
            vec![("from", "2026-05-10".to_string())],
            "2026-05-10_2026-06-01",
        ),
        // No period: today.
        (vec![], "2026-06-01_2026-06-01"),
        // Times of day: the days they fall on.
        (
            vec![
                ("from", "2026-05-10T08:00".to_string()),
                ("to", "2026-05-12T18:30".to_string()),
            ],
            "2026-05-10_2026-05-12",
        ),
    ];
    for (pairs, period) in cases {
        for format in FORMATS {
            let f = download(&admin, format, "all", &pairs).await;
            assert_eq!(f.status, StatusCode::OK, "{format} {pairs:?}");
            assert_eq!(
                f.disposition,
                format!(
                    "attachment; filename=\"transactions_{period}.{}\"",
                    extension(format)
                ),
                "{format} {pairs:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_excel_fr_file_keeps_formulas_inert_and_card_numbers_masked() {
    let app = spawn_app().await;
    let m = app.merchant("Glovoapp");
    let t0 = datetime!(2026-05-30 09:00 UTC);
    let mut rows = vec![
        sale(m.id, t0, 1_000, "=HYPERLINK(\"http://x\")"),
        sale(m.id, t0 + Duration::minutes(1), 2_000, "+1-2"),
        sale(m.id, t0 + Duration::minutes(2), 3_000, "Omar"),
        sale(m.id, t0 + Duration::minutes(3), 4_000, "Zoé"),
    ];
    rows[2].card.as_mut().unwrap().holder = "@SUM(A1)".into();
    rows[3].sale.order_id = "-5;=1+1".into();
    rows[3].buyer.email = "=1+1@example.ma".into();
    let rows = write(&app, rows);
    let admin = app.admin().await;
    let filter = vec![("from", "2026-05-30".to_string())];
    let f = download(&admin, "csv-excel-fr", "all", &filter).await;
    assert_file(&f, "csv-excel-fr");
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let (_, table) = excel_fr_table(&f.body);
    assert_eq!(table.len(), 4);
    for (r, c, v) in [
        (3, "buyer_name", "=HYPERLINK(\"http://x\")"),
        (2, "buyer_name", "+1-2"),
        (1, "card_holder", "@SUM(A1)"),
        (0, "order_id", "-5;=1+1"),
        (0, "buyer_email", "=1+1@example.ma"),
    ] {
        assert_eq!(table[r][col(c)], format!("'{v}"), "{c}");
    }
    // No cell of any row starts a formula.
    for row in &table {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
    let newest_first: Vec<&Transaction> = rows.iter().rev().collect();
    assert_cells(
        "csv-excel-fr",
        &f.body,
        &newest_first,
        std::slice::from_ref(&m),
    );
    // Card numbers: masked, never whole.
    assert!(full_card_numbers(f.text()).is_empty());
    assert_eq!(f.text().matches("411111XXXXXX1111").count(), 4);
    // Every format, the new one included, for the seeded dataset as well.
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    let files = every_format(&admin, &period_pairs(&[])).await;
    assert!(files.iter().any(|(f, _)| *f == "csv-excel-fr"));
    for (format, file) in files.iter().filter(|(f, _)| f.starts_with("csv")) {
        let full = full_card_numbers(file.text());
        assert!(full.is_empty(), "{format}: {full:?}");
        assert!(file.text().contains("XXXXXX"), "{format}");
    }
}

#[tokio::test]
async fn the_list_offers_the_excel_fr_csv_next_to_the_other_formats_in_both_languages() {
    let app = spawn_app().await;
    let m = app.merchant("Uber");
    write(
        &app,
        vec![sale(m.id, datetime!(2026-05-10 09:00 UTC), 125_050, "Omar")],
    );
    let admin = app.admin().await;
    let url = list_url(&[
        ("from", "2026-05-01".to_string()),
        ("to", "2026-05-31".to_string()),
    ]);
    let (status, page) = admin.page(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(">CSV (Excel FR)<"), "{page}");
    for format in FORMATS {
        assert!(
            page.contains(&format!("format={format}&amp;scope=all&amp;")),
            "{format}"
        );
    }
    // The menu's link downloads the French Excel file of the period on screen.
    let start = page
        .find("/transactions/export?format=csv-excel-fr&amp;scope=all")
        .unwrap();
    let href = &page[start..start + page[start..].find('"').unwrap()];
    let r = admin.get(&unescape_html(href)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"transactions_2026-05-01_2026-05-31.csv\""
    );
    let body = r.bytes().await.unwrap();
    let (_, rows) = excel_fr_table(&body);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][4], "1250,50");

    app.merchant_user("uber.en", m.id, Permissions::ALL);
    let english = app.signed_in("uber.en").await;
    english.post("/lang", &[("lang", "en")]).await;
    let (_, page) = english.page(&url).await;
    assert!(page.contains(">CSV (French Excel)<"), "{page}");
    assert!(!page.contains("Excel FR"));
}
