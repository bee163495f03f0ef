//! What each row of an export should hold, worked out here from the stored
//! transaction.

use calamine::Data;
use guichet::domain::Lang;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::Transaction;
use guichet::domain::user::Merchant;
use guichet::export::{COLUMNS, header};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::support::sheets::{
    Sheet, Table, csv_table, excel_to_unix, html_table, json_table, txt_table, xml_table,
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

/// The 20 cells of a row: machine values, or localized (French) for people.
pub(crate) fn expected(t: &Transaction, merchants: &[Merchant], localized: bool) -> Vec<String> {
    let card = t.card.as_ref();
    let minor = t.amount.minor();
    let merchant = merchants
        .iter()
        .find(|m| m.id == t.merchant_id)
        .map_or_else(|| t.merchant_id.to_string(), |m| m.name.clone());
    vec![
        t.id.to_string(),
        "Carte bancaire".into(),
        if localized {
            t.operation.label(Lang::Fr).into()
        } else {
            t.operation.key().into()
        },
        merchant,
        if localized {
            french_amount(minor, t.currency.code())
        } else {
            format!("{}.{:02}", minor / 100, minor % 100)
        },
        t.currency.code().into(),
        if localized {
            local_date(t.at)
        } else {
            iso(t.at)
        },
        match (t.code == ResultCode::ACCEPTED, localized) {
            (true, false) => "accepted".into(),
            (false, false) => "refused".into(),
            (true, true) => "Acceptée".into(),
            (false, true) => "Refusée".into(),
        },
        format!("{:03}", t.code.value()),
        t.code.text(Lang::Fr).into(),
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
        t.test.to_string(),
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

/// Checks every format's cells for `rows` (in export order) against [`expected`].
pub(crate) fn assert_cells(
    format: &str,
    body: &[u8],
    rows: &[&Transaction],
    merchants: &[Merchant],
) {
    let machine: Table = rows.iter().map(|t| expected(t, merchants, false)).collect();
    let people: Table = rows.iter().map(|t| expected(t, merchants, true)).collect();
    let titles: Vec<String> = header(Lang::Fr).iter().map(|s| s.to_string()).collect();
    match format {
        "csv" => {
            let (head, got) = csv_table(body);
            assert_eq!(head, COLUMNS);
            let want: Table = machine
                .iter()
                .map(|r| r.iter().map(|v| csv_cell(v)).collect())
                .collect();
            assert_eq!(got, want);
        }
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
                for (c, want) in people[i].iter().enumerate() {
                    if ![0, 4, 6].contains(&c) {
                        assert_eq!(&s.text(r, c), want, "row {r} column {}", COLUMNS[c]);
                    }
                }
            }
        }
        _ => unreachable!(),
    }
}
