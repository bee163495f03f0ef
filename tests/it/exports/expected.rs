//! What each row of an export should hold, worked out here from the stored
//! transaction.

use calamine::Data;
use guichet::domain::Lang;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::Transaction;
use guichet::domain::user::Merchant;
use guichet::domain::zone::Zone;
use guichet::export::{COLUMNS, header};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::support::sheets::{
    BOM, Sheet, Table, csv_table, excel_fr_table, excel_to_unix, html_table, json_table, txt_table,
    xml_table,
};

pub(crate) fn iso(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

pub(crate) fn local_date(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .unwrap()
        .format(format_description!(
            "[day].[month].[year] [hour]:[minute]:[second]"
        ))
        .unwrap()
}

/// `7 001,00 MAD`.
pub(crate) fn french_amount(minor: i64, currency: &str) -> String {
    let major = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in major.chars().enumerate() {
        if i > 0 && (major.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02} {currency}", minor % 100)
}

/// `30/05/2026 12:34:56`: a date French Excel reads as a date.
pub(crate) fn excel_fr_date(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .unwrap()
        .format(format_description!(
            "[day]/[month]/[year] [hour]:[minute]:[second]"
        ))
        .unwrap()
}

/// How a format writes a row.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// JSON, XML: codes, ISO dates, decimal points.
    Machine,
    /// CSV: words, ISO dates, decimal points.
    Csv,
    /// CSV for French Excel: words, DD/MM/YYYY dates, decimal commas.
    ExcelFr,
    /// HTML, TXT, XLSX (French only here): formatted amounts and dates.
    People,
}

/// The 20 cells of a row in `style`, words in `lang`.
pub(crate) fn expected(
    t: &Transaction,
    merchants: &[Merchant],
    style: Style,
    lang: Lang,
) -> Vec<String> {
    let card = t.card.as_ref();
    let minor = t.amount.minor();
    let words = style != Style::Machine;
    let fr = lang == Lang::Fr;
    let merchant = merchants
        .iter()
        .find(|m| m.id == t.merchant_id)
        .map_or_else(|| t.merchant_id.to_string(), |m| m.name.clone());
    vec![
        t.id.to_string(),
        if fr { "Carte bancaire" } else { "Credit card" }.into(),
        if words {
            t.operation.label(lang).into()
        } else {
            t.operation.key().into()
        },
        merchant,
        match style {
            Style::People => french_amount(minor, t.currency.code()),
            Style::ExcelFr => format!("{},{:02}", minor / 100, minor % 100),
            Style::Machine | Style::Csv => format!("{}.{:02}", minor / 100, minor % 100),
        },
        t.currency.code().into(),
        match style {
            Style::People => local_date(t.at),
            Style::ExcelFr => excel_fr_date(t.at),
            Style::Machine | Style::Csv => iso(t.at),
        },
        match (t.code == ResultCode::ACCEPTED, words, fr) {
            (true, false, _) => "accepted",
            (false, false, _) => "refused",
            (true, true, true) => "Acceptée",
            (false, true, true) => "Refusée",
            (true, true, false) => "Accepted",
            (false, true, false) => "Refused",
        }
        .into(),
        format!("{:03}", t.code.value()),
        t.code.text(lang).into(),
        card.filter(|c| !c.last4.is_empty())
            .map(|c| {
                let hidden = usize::from(c.pan_len) - c.bin.len() - c.last4.len();
                format!("{}{}{}", c.bin, "X".repeat(hidden), c.last4)
            })
            .unwrap_or_default(),
        card.and_then(|c| c.brand)
            .map(|b| b.name().to_string())
            .unwrap_or_default(),
        card.map(|c| c.holder.clone()).unwrap_or_default(),
        t.sale.order_id.clone(),
        t.buyer.name.clone(),
        t.buyer.email.clone(),
        if t.initiator.terminal == 0 {
            String::new()
        } else {
            t.initiator.terminal.to_string()
        },
        t.initiator.merchant_account.clone(),
        t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        match (words, t.test, fr) {
            (false, test, _) => test.to_string(),
            (true, true, true) => "Oui".into(),
            (true, false, true) => "Non".into(),
            (true, true, false) => "Yes".into(),
            (true, false, false) => "No".into(),
        },
    ]
}

/// What a CSV cell holds: a value that a spreadsheet would take as a formula gets `'`.
pub(crate) fn csv_cell(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    }
}

/// Checks a CSV file of either variant (BOM, header in `lang`, every cell) for `rows`.
pub(crate) fn assert_csv_cells(
    format: &str,
    body: &[u8],
    rows: &[&Transaction],
    merchants: &[Merchant],
    lang: Lang,
) {
    assert!(body.starts_with(BOM), "{format}: opens with the UTF-8 BOM");
    let (style, (head, got)) = match format {
        "csv" => (Style::Csv, csv_table(body)),
        "csv-excel-fr" => (Style::ExcelFr, excel_fr_table(body)),
        _ => unreachable!(),
    };
    // Plain CSV dates are ISO 8601 UTC; the French Excel file's are local (UTC here).
    let zone = Zone::utc();
    assert_eq!(
        head,
        header(lang, (style == Style::ExcelFr).then_some(&zone)),
        "{format}: headers in the reader's language"
    );
    let want: Table = rows
        .iter()
        .map(|t| {
            expected(t, merchants, style, lang)
                .iter()
                .map(|v| csv_cell(v))
                .collect()
        })
        .collect();
    assert_eq!(got, want, "{format}");
}

/// Checks every format's cells for `rows` (in export order) against [`expected`], for
/// a French reader.
pub(crate) fn assert_cells(
    format: &str,
    body: &[u8],
    rows: &[&Transaction],
    merchants: &[Merchant],
) {
    let fr = Lang::Fr;
    let machine: Table = rows
        .iter()
        .map(|t| expected(t, merchants, Style::Machine, fr))
        .collect();
    let people: Table = rows
        .iter()
        .map(|t| expected(t, merchants, Style::People, fr))
        .collect();
    let titles: Vec<String> = header(fr, Some(&Zone::utc()))
        .iter()
        .map(|s| s.to_string())
        .collect();
    match format {
        "csv" | "csv-excel-fr" => assert_csv_cells(format, body, rows, merchants, fr),
        "json" => assert_eq!(json_table(body), machine),
        "xml" => assert_eq!(xml_table(body), machine),
        "html" => {
            let (head, got) = html_table(std::str::from_utf8(body).unwrap());
            assert_eq!(head, titles);
            assert_eq!(got, people);
        }
        "txt" => {
            let (head, got) = txt_table(std::str::from_utf8(body).unwrap());
            assert_eq!(head, titles);
            let want: Table = people
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| v.replace(['\t', '\n', '\r'], " "))
                        .collect()
                })
                .collect();
            assert_eq!(got, want);
        }
        "xlsx" => {
            let s = Sheet::read(body);
            assert_eq!(s.height(), rows.len() + 1);
            for (c, title) in titles.iter().enumerate() {
                assert_eq!(&s.text(0, c), title);
            }
            for (i, t) in rows.iter().enumerate() {
                let r = i + 1;
                assert_eq!(s.id(r), t.id);
                // Amounts are numbers, dates are dates: never text.
                match s.get(r, 4) {
                    Data::Float(f) => {
                        assert!((f * 100.0 - t.amount.minor() as f64).abs() < 1e-6, "{f}")
                    }
                    other => panic!("amount of {} is not a number: {other:?}", t.id),
                }
                match s.get(r, 6) {
                    Data::DateTime(d) => {
                        assert!(d.is_datetime());
                        assert_eq!(excel_to_unix(d.as_f64()), t.at, "date of {}", t.id);
                    }
                    other => panic!("date of {} is not a date: {other:?}", t.id),
                }
                // The test flag is a real boolean.
                assert_eq!(s.get(r, 19), &Data::Bool(t.test), "test flag of {}", t.id);
                for (c, want) in people[i].iter().enumerate() {
                    if ![0, 4, 6, 19].contains(&c) {
                        assert_eq!(&s.text(r, c), want, "row {r} column {}", COLUMNS[c]);
                    }
                }
            }
        }
        _ => unreachable!(),
    }
}
