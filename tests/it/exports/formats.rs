//! Every format against the list, formula injection and escaping.

use calamine::Data;
use guichet::domain::transaction::Transaction;
use guichet::export::COLUMNS;
use reqwest::StatusCode;
use time::Duration;
use time::macros::datetime;

use crate::exports::expected::assert_cells;
use crate::fixtures::dataset::{period_pairs, seed};
use crate::fixtures::rows::{sale, write};
use crate::support::download::{Download, FORMATS, assert_file, download, every_format};
use crate::support::html::listing;
use crate::support::sheets::{
    Sheet, csv_table, excel_to_unix, export_ids, html_table, json_table, txt_table, xml_table,
};
use crate::support::spawn_app;

// ---------------------------------------------------------------------------------
// 1. Every format against the list

#[tokio::test]
async fn every_format_parses_back_and_matches_the_list() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let by_id = |id: u64| &d.rows[id as usize - 1];
    for extra in [
        vec![],
        vec![("status", "refused")],
        vec![("holder", "mohamed"), ("operation", "sale")],
    ] {
        let filter = period_pairs(&extra);
        // The list, every page of 100.
        let mut shown = Vec::new();
        let mut total = 0;
        let mut pages = 1;
        let mut page = 1;
        while page <= pages {
            let mut pairs = filter.clone();
            pairs.push(("per_page", "100".into()));
            pairs.push(("page", page.to_string()));
            let l = listing(&admin, &pairs).await;
            assert_eq!(l.status, StatusCode::OK);
            total = l.total();
            pages = total.div_ceil(100);
            shown.extend(l.ids);
            page += 1;
        }
        assert_eq!(shown.len() as u64, total, "{extra:?}");
        assert!(total > 0, "{extra:?} finds rows");
        let mut newest_first = shown.clone();
        newest_first.sort_by_key(|id| std::cmp::Reverse((by_id(*id).at, *id)));
        assert_eq!(shown, newest_first);
        let rows: Vec<&Transaction> = shown.iter().map(|id| by_id(*id)).collect();
        for (format, file) in every_format(&admin, &filter).await {
            assert_eq!(
                export_ids(format, &file.body),
                shown,
                "{format} {extra:?}: ids and order of the list"
            );
            assert_cells(format, &file.body, &rows, &d.merchants);
        }
    }

    // scope=page: exactly the rows of that page of the list.
    let filter = period_pairs(&[("page", "2"), ("per_page", "20")]);
    let l = listing(&admin, &filter).await;
    assert_eq!(l.ids.len(), 20);
    let rows: Vec<&Transaction> = l.ids.iter().map(|id| by_id(*id)).collect();
    for format in FORMATS {
        let file = download(&admin, format, "page", &filter).await;
        assert_file(&file, format);
        assert_eq!(export_ids(format, &file.body), l.ids, "{format} page 2");
        assert_cells(format, &file.body, &rows, &d.merchants);
    }
    // No scope means the page as well; an upper-case format is understood.
    let file = download(&admin, "CSV", "", &filter).await;
    assert_file(&file, "csv");
    assert_eq!(export_ids("csv", &file.body), l.ids);
}

#[tokio::test]
async fn machine_formats_write_iso_dates_and_decimal_points_and_xlsx_types_its_cells() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Fès");
    let rows = write(
        &app,
        vec![
            sale(m.id, datetime!(2026-05-30 12:34:56 UTC), 700_100, "Omar"),
            sale(m.id, datetime!(2026-05-31 08:00:01 UTC), 5, "Zoé"),
        ],
    );
    let admin = app.admin().await;
    let filter = vec![
        ("from", "2026-05-30".to_string()),
        ("to", "2026-05-31".to_string()),
    ];
    let files = every_format(&admin, &filter).await;
    let [csv, json, xml, html, txt, xlsx, _] = by_format(files);
    for table in [
        csv_table(&csv.body).1,
        json_table(&json.body),
        xml_table(&xml.body),
    ] {
        assert_eq!(table[1][4], "7001.00");
        assert_eq!(table[1][6], "2026-05-30T12:34:56Z");
        assert_eq!(table[0][4], "0.05");
        assert_eq!(table[0][6], "2026-05-31T08:00:01Z");
    }
    let html = html_table(html.text()).1;
    assert_eq!(html[1][4], "7 001,00 MAD");
    assert_eq!(html[1][6], "30.05.2026 12:34:56");
    let txt = txt_table(txt.text()).1;
    assert_eq!(txt[1][4], "7 001,00 MAD");
    let s = Sheet::read(&xlsx.body);
    assert_eq!(s.get(2, 4), &Data::Float(7001.0));
    assert_eq!(s.get(1, 4), &Data::Float(0.05));
    let Data::DateTime(dt) = s.get(2, 6) else {
        panic!("not a date: {:?}", s.get(2, 6));
    };
    assert_eq!(excel_to_unix(dt.as_f64()), rows[0].at, "{}", dt.as_f64());
}

/// The downloads of [`every_format`], in `FORMATS` order.
pub(crate) fn by_format(files: Vec<(&'static str, Download)>) -> [Download; 7] {
    let names: Vec<&str> = files.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, FORMATS);
    let files: Vec<Download> = files.into_iter().map(|(_, d)| d).collect();
    files.try_into().ok().unwrap()
}

// ---------------------------------------------------------------------------------
// 2. Formula injection

#[tokio::test]
async fn values_that_look_like_formulas_come_out_inert_in_csv_and_as_strings_in_xlsx() {
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
    rows[3].sale.order_id = "-5".into();
    rows[3].buyer.email = "=1+1@example.ma".into();
    let rows = write(&app, rows);
    let admin = app.admin().await;
    let filter = vec![("from", "2026-05-30".to_string())];
    // (row index in the file, newest first; column; value as stored)
    let tricky: [(usize, &str, &str); 5] = [
        (3, "buyer_name", "=HYPERLINK(\"http://x\")"),
        (2, "buyer_name", "+1-2"),
        (1, "card_holder", "@SUM(A1)"),
        (0, "order_id", "-5"),
        (0, "buyer_email", "=1+1@example.ma"),
    ];
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let files = every_format(&admin, &filter).await;
    let [csv, _, _, _, _, xlsx, _] = by_format(files);

    let (_, table) = csv_table(&csv.body);
    assert_eq!(table.len(), 4);
    for (r, c, v) in tricky {
        let cell = &table[r][col(c)];
        assert!(cell.starts_with('\''), "{c}: {cell}");
        assert_eq!(cell, &format!("'{v}"));
    }
    let newest_first: Vec<&Transaction> = rows.iter().rev().collect();
    assert_cells("csv", &csv.body, &newest_first, std::slice::from_ref(&m));

    let s = Sheet::read(&xlsx.body);
    assert_eq!(s.height(), 5);
    for (r, c, v) in tricky {
        let (row, c) = (r + 1, col(c));
        assert_eq!(s.get(row, c), &Data::String(v.to_string()), "({row}, {c})");
        assert_eq!(s.formula(row, c), "", "({row}, {c}) is not a formula");
    }
    // No formula anywhere in the sheet.
    assert!(
        s.formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "{:?}",
        s.formulas.used_cells().collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------
// 3. Escaping

#[tokio::test]
async fn markup_quotes_commas_newlines_and_accents_round_trip_and_are_escaped_in_html() {
    let app = spawn_app().await;
    let m = app.merchant("Riad Fès & Co <b>");
    let name = "<script>alert(\"x\")</script> & Cie, l'été \"Fès\"\nSuite, ligne 2 — Meknès";
    let mut row = sale(m.id, datetime!(2026-05-30 12:34:56 UTC), 700_100, name);
    row.card.as_mut().unwrap().holder = "Éloïse \"L'Ârabe\", <i>".into();
    row.sale.order_id = "A&B<1>,\"2\"".into();
    let mut plain = sale(m.id, datetime!(2026-05-30 12:40 UTC), 100, "Zoé");
    plain.test = true;
    let rows = write(&app, vec![row, plain]);
    let admin = app.admin().await;
    let filter = vec![("from", "2026-05-30".to_string())];
    let files = every_format(&admin, &filter).await;
    let newest_first: Vec<&Transaction> = rows.iter().rev().collect();
    let buyer = COLUMNS.iter().position(|c| *c == "buyer_name").unwrap();
    for (format, file) in &files {
        // Every cell of every format, parsed back, is the stored value.
        assert_cells(format, &file.body, &newest_first, std::slice::from_ref(&m));
    }
    let [csv, json, xml, html, txt, _, _] = by_format(files);
    assert_eq!(csv_table(&csv.body).1[1][buyer], name);
    assert_eq!(json_table(&json.body)[1][buyer], name);
    assert_eq!(xml_table(&xml.body)[1][buyer], name);
    assert_eq!(html_table(html.text()).1[1][buyer], name);
    // HTML: escaped, never markup.
    let page = html.text();
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<i>") && !page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert("));
    assert!(page.contains("&amp; Cie"));
    // TXT: one line per row whatever the value holds.
    assert_eq!(txt.text().lines().count(), 3);
    assert!(txt.text().contains("Fès\" Suite, ligne 2"));
    // XML: escaped text, not elements.
    assert!(!xml.text().contains("<script>"));
}
