//! One row as text cells, and the escaping that keeps a cell inert: no formula in a
//! spreadsheet, no markup in XML.

use std::borrow::Cow;

use crate::domain::Lang;
use crate::domain::money::format_amount;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::domain::zone::Zone;

/// ISO 8601 UTC with its explicit offset `Z`: `2020-07-06T14:00:36Z`. Machine formats
/// keep UTC whatever the reader's zone, so one file reads the same for everyone.
pub fn iso(at: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A text cell made inert for spreadsheets: a leading `= + - @` (or tab/CR) gets a `'`.
pub fn inert(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// XML character data: characters XML 1.0 cannot carry are dropped, markup is
/// escaped, and carriage returns are written as `&#13;` so they survive parsing.
pub fn xml_text(v: &str) -> String {
    let allowed = |c: &char| matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    let clean: String = v.chars().filter(allowed).collect();
    quick_xml::escape::escape(clean.as_str()).replace('\r', "&#13;")
}

/// Excel refuses longer text cells.
pub(super) const XLSX_MAX_CHARS: usize = 32_767;

/// How a row is written as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// JSON, XML: field names and codes are stable identifiers; ISO 8601 UTC dates
    /// (`…Z`), decimal points.
    Machine,
    /// CSV: words in the reader's language; ISO 8601 UTC dates (`…Z`), bare amounts
    /// with a decimal point (`1250.50`).
    Csv,
    /// CSV for Excel in French: words in the reader's language; dates as French Excel
    /// reads them (`31/05/2026 14:00:36`, local time in the reader's zone, named in
    /// the header), bare amounts with a decimal comma (`1250,50`).
    ExcelFr,
    /// HTML, TXT, XLSX: everything formatted for reading in the reader's language,
    /// dates local to the reader's zone (named in the header).
    People,
}

/// `31/05/2026 14:00:36`, local time in `zone`: what Excel in a French locale takes
/// as a date and time.
pub fn excel_fr_date(at: i64, zone: &Zone) -> String {
    let Some(t) = zone.local(at) else {
        return String::new();
    };
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `30.05.2026 12:34:56`, local time in `zone`, to the second: dates in files read by
/// people.
fn dotted_date(at: i64, zone: &Zone) -> String {
    excel_fr_date(at, zone).replace('/', ".")
}

/// One row as text cells, in `style`, dates for people local to `zone`. Borrows what
/// it can.
pub fn cells<'a>(
    tx: &'a Transaction,
    merchants: &'a [Merchant],
    (lang, zone): (Lang, &Zone),
    style: Style,
) -> [Cow<'a, str>; 20] {
    let words = style != Style::Machine;
    let card = tx.card.as_ref();
    let merchant: Cow<'a, str> = merchants
        .iter()
        .find(|m| m.id == tx.merchant_id)
        .map_or_else(
            || Cow::Owned(tx.merchant_id.to_string()),
            |m| Cow::Borrowed(m.name.as_str()),
        );
    let b = |s: &'a str| Cow::Borrowed(s);
    [
        Cow::Owned(tx.id.to_string()),
        b(lang.pick("Carte bancaire", "Credit card")),
        b(if words {
            tx.operation.label(lang)
        } else {
            tx.operation.key()
        }),
        merchant,
        Cow::Owned(match style {
            Style::People => format_amount(tx.amount, tx.currency, lang),
            Style::ExcelFr => tx.amount.to_decimal_string(tx.currency).replace('.', ","),
            Style::Machine | Style::Csv => tx.amount.to_decimal_string(tx.currency),
        }),
        b(tx.currency.code()),
        Cow::Owned(match style {
            Style::People => dotted_date(tx.at, zone),
            Style::ExcelFr => excel_fr_date(tx.at, zone),
            Style::Machine | Style::Csv => iso(tx.at),
        }),
        b(if words {
            tx.status().label(lang)
        } else {
            tx.status().key()
        }),
        Cow::Owned(tx.code.to_string()),
        b(tx.code.text(lang)),
        card.filter(|c| !c.last4.is_empty())
            .map_or(b(""), |c| Cow::Owned(c.masked())),
        b(card.and_then(|c| c.brand).map_or("", |b| b.name())),
        card.map_or(b(""), |c| b(c.holder.as_str())),
        b(&tx.sale.order_id),
        b(&tx.buyer.name),
        b(&tx.buyer.email),
        if tx.initiator.terminal == 0 {
            b("")
        } else {
            Cow::Owned(tx.initiator.terminal.to_string())
        },
        b(&tx.initiator.merchant_account),
        tx.parent_id.map_or(b(""), |p| Cow::Owned(p.to_string())),
        b(match (words, tx.test) {
            (false, test) => {
                if test {
                    "true"
                } else {
                    "false"
                }
            }
            (true, true) => lang.pick("Oui", "Yes"),
            (true, false) => lang.pick("Non", "No"),
        }),
    ]
}
