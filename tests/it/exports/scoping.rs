//! Scoping and refusals.

use guichet::domain::Lang;
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use guichet::domain::zone::Zone;
use guichet::export::header;
use reqwest::StatusCode;

use crate::exports::expected::assert_cells;
use crate::fixtures::dataset::{period_pairs, seed};
use crate::support::download::{
    Download, FORMATS, assert_file, download, every_format, export_url,
};
use crate::support::sheets::{
    Sheet, csv_table, excel_fr_table, export_ids, html_table, json_table, xml_table,
};
use crate::support::spawn_app;

/// Checks that an export of `format` has its header and no row.
fn assert_header_only(format: &str, d: &Download) {
    assert_file(d, format);
    match format {
        "csv" | "csv-excel-fr" => {
            let (head, rows) = if format == "csv" {
                csv_table(&d.body)
            } else {
                excel_fr_table(&d.body)
            };
            let zone = Zone::utc();
            assert_eq!(head, header(Lang::Fr, (format != "csv").then_some(&zone)));
            assert!(rows.is_empty());
        }
        "json" => assert!(json_table(&d.body).is_empty()),
        "xml" => assert!(xml_table(&d.body).is_empty()),
        "html" => {
            let (head, rows) = html_table(d.text());
            assert_eq!(head.len(), 20);
            assert!(rows.is_empty());
        }
        "txt" => assert_eq!(d.text().lines().count(), 1),
        "xlsx" => assert_eq!(Sheet::read(&d.body).height(), 1),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_merchant_user_exports_only_their_merchants_rows() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    let glovo = d.merchant("Glovoapp");
    app.merchant_user(
        "uber.export",
        uber,
        Permissions {
            view: true,
            export: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.export").await;
    let theirs: Vec<&Transaction> = d
        .rows
        .iter()
        .rev()
        .filter(|t| t.merchant_id == uber)
        // 3-D Secure checks are hidden unless asked for, in exports as in the list.
        .filter(|t| t.operation != Operation::ThreeDSecure)
        .collect();
    let ids: Vec<u64> = theirs.iter().map(|t| t.id).collect();
    assert!(!ids.is_empty() && ids.len() < d.rows.len());
    for (format, file) in every_format(&c, &period_pairs(&[])).await {
        assert_eq!(export_ids(format, &file.body), ids, "{format}");
        assert_cells(format, &file.body, &theirs, &d.merchants);
        if format != "xlsx" {
            let text = file.text();
            assert!(!text.contains("Glovoapp") && !text.contains("Riad Fès"));
        }
    }
    // Their first page, as their list shows it.
    for format in FORMATS {
        let file = download(&c, format, "page", &period_pairs(&[])).await;
        assert_file(&file, format);
        assert_eq!(export_ids(format, &file.body), ids[..10], "{format}");
    }
    // Another merchant's rows: the header and nothing else.
    let other = period_pairs(&[("merchant", &glovo.to_string())]);
    for scope in ["all", "page"] {
        for format in FORMATS {
            let file = download(&c, format, scope, &other).await;
            assert_header_only(format, &file);
        }
    }
}

#[tokio::test]
async fn exports_need_the_export_and_view_permissions_and_valid_values() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    for (name, permissions) in [
        (
            "uber.viewer",
            Permissions {
                view: true,
                ..Permissions::default()
            },
        ),
        (
            "uber.exporter",
            Permissions {
                export: true,
                ..Permissions::default()
            },
        ),
    ] {
        app.merchant_user(name, uber, permissions);
        let c = app.signed_in(name).await;
        for format in FORMATS.into_iter().chain(["pdf"]) {
            for scope in ["all", "page"] {
                let file = download(&c, format, scope, &period_pairs(&[])).await;
                assert_eq!(file.status, StatusCode::NOT_FOUND, "{name} {format}");
                assert!(file.disposition.is_empty());
                let text = String::from_utf8_lossy(&file.body);
                assert!(!text.contains("UB-2026-"), "{name} {format}");
            }
        }
        // The list offers no export link either.
        let (_, page) = c.page("/transactions").await;
        assert!(!page.contains("/transactions/export"), "{name}");
    }
    // Not signed in: sent to sign in, no file.
    let anon = app.client();
    let r = anon
        .get(&export_url("csv", "all", &period_pairs(&[])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers().get("content-disposition").is_none());

    let admin = app.admin().await;
    let refused = [
        ("pdf", "all", period_pairs(&[]), "Format inconnu"),
        ("", "all", period_pairs(&[]), "Format inconnu"),
        ("csv", "everything", period_pairs(&[]), "Portée inconnue"),
        (
            "csv",
            "all",
            period_pairs(&[("amount", "1e3")]),
            "« 1e3 » n'est pas un montant",
        ),
        ("json", "page", period_pairs(&[("per_page", "7")]), "« 7 »"),
        (
            "csv",
            "all",
            vec![("from", "31/02/2026".to_string())],
            "« 31/02/2026 »",
        ),
        ("xml", "all", period_pairs(&[("merchant", "x")]), "« x »"),
    ];
    for (format, scope, pairs, message) in refused {
        let file = download(&admin, format, scope, &pairs).await;
        let text = String::from_utf8_lossy(&file.body);
        assert_eq!(
            file.status,
            StatusCode::BAD_REQUEST,
            "{format} {scope} {pairs:?}: {text}"
        );
        assert!(file.disposition.is_empty());
        assert!(
            text.contains(message),
            "{format} {scope} {pairs:?}: {message} in {text}"
        );
    }
}
