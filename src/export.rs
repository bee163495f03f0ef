//! Exports of a search (PROC-6): CSV, JSON, XML, HTML, TXT and XLSX, written row by
//! row into a sink so memory stays flat whatever the row count. Machine formats use
//! ISO 8601 dates and decimal points; HTML and TXT are localized. No cell can act as
//! a spreadsheet formula, and no full card number exists to be written.

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::domain::Lang;
use crate::domain::money::format_amount;
use crate::domain::time::format_datetime;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xml,
    Html,
    Txt,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            "html" => Some(Format::Html),
            "txt" | "text" => Some(Format::Txt),
            "xlsx" | "xls" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Xml => "application/xml; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Txt => "text/plain; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The columns of every export, in order.
pub const COLUMNS: [&str; 20] = [
    "transaction_id",
    "type",
    "operation",
    "initiator",
    "amount",
    "currency",
    "date",
    "status",
    "result_code",
    "result_text",
    "card_number",
    "card_brand",
    "card_holder",
    "order_id",
    "buyer_name",
    "buyer_email",
    "terminal",
    "merchant_account",
    "reference_transaction_id",
    "test",
];

/// ISO 8601 UTC: `2020-07-06T14:00:36Z`.
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
const XLSX_MAX_CHARS: usize = 32_767;

/// One row as text cells: machine formats, or localized for people. Borrows what it can.
pub fn cells<'a>(
    tx: &'a Transaction,
    merchants: &'a [Merchant],
    lang: Lang,
    localized: bool,
) -> [Cow<'a, str>; 20] {
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
        b(if localized {
            tx.operation.label(lang)
        } else {
            tx.operation.key()
        }),
        merchant,
        Cow::Owned(if localized {
            format_amount(tx.amount, tx.currency, lang)
        } else {
            tx.amount.to_decimal_string()
        }),
        b(tx.currency.code()),
        Cow::Owned(if localized {
            format_datetime(tx.at)
        } else {
            iso(tx.at)
        }),
        b(if localized {
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
        b(if tx.test { "true" } else { "false" }),
    ]
}

/// Writes rows of one format into a sink. A stream is cut into chunks that may be
/// formatted in parallel: only the first chunk has the header, and [`footer`] ends it.
pub trait RowWriter {
    fn row(&mut self, tx: &Transaction) -> io::Result<()>;
    /// Flushes what is buffered (no footer).
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// What closes a stream of the format.
pub fn footer(format: Format) -> &'static str {
    match format {
        Format::Json => "\n]\n",
        Format::Xml => "\n</transactions>\n",
        Format::Html => "</tbody></table>\n",
        Format::Csv | Format::Txt | Format::Xlsx => "",
    }
}

/// A writer for the text formats (everything but XLSX); `first` for the chunk that
/// opens the stream (it writes the header).
pub fn text_writer<'a, W: Write + 'a>(
    format: Format,
    out: W,
    merchants: &'a [Merchant],
    lang: Lang,
    first: bool,
) -> io::Result<Box<dyn RowWriter + 'a>> {
    Ok(match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            if first {
                w.write_record(COLUMNS).map_err(io::Error::other)?;
            }
            Box::new(CsvRows { w, merchants, lang })
        }
        Format::Json => {
            let mut out = out;
            if first {
                out.write_all(b"[")?;
            }
            Box::new(JsonRows {
                out,
                merchants,
                lang,
                first,
            })
        }
        Format::Xml => {
            let mut w = quick_xml::Writer::new_with_indent(out, b' ', 1);
            if first {
                w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
                w.get_mut().write_all(b"\n<transactions>")?;
            }
            Box::new(XmlRows { w, merchants, lang })
        }
        Format::Html if !first => Box::new(HtmlRows {
            out,
            merchants,
            lang,
        }),
        Format::Txt | Format::Xlsx if !first => Box::new(TxtRows {
            out,
            merchants,
            lang,
        }),
        Format::Html => {
            let mut out = out;
            let head = maud::html! {
                (maud::DOCTYPE)
                meta charset="utf-8";
                title { (lang.pick("Transactions", "Transactions")) }
            };
            out.write_all(head.into_string().as_bytes())?;
            out.write_all(b"<table border=\"1\"><thead><tr>")?;
            for c in header(lang) {
                out.write_all(maud::html! { th { (c) } }.into_string().as_bytes())?;
            }
            out.write_all(b"</tr></thead><tbody>\n")?;
            Box::new(HtmlRows {
                out,
                merchants,
                lang,
            })
        }
        Format::Txt | Format::Xlsx => {
            let mut out = out;
            out.write_all(header(lang).join("\t").as_bytes())?;
            out.write_all(b"\n")?;
            Box::new(TxtRows {
                out,
                merchants,
                lang,
            })
        }
    })
}

/// Column titles for people (HTML, TXT, XLSX).
pub fn header(lang: Lang) -> [&'static str; 20] {
    match lang {
        Lang::Fr => [
            "Identifiant de transaction",
            "Type",
            "Opération",
            "Initiateur",
            "Montant",
            "Devise",
            "Date",
            "Statut",
            "Code de retour",
            "Libellé du code",
            "Numéro de carte",
            "Marque",
            "Porteur",
            "ID de la commande",
            "Acheteur",
            "Email acheteur",
            "Terminal",
            "Compte marchand",
            "Transaction de référence",
            "Test",
        ],
        Lang::En => [
            "Transaction ID",
            "Type",
            "Operation",
            "Initiator",
            "Amount",
            "Currency",
            "Date",
            "Status",
            "Result code",
            "Result text",
            "Card number",
            "Brand",
            "Holder",
            "Order ID",
            "Buyer",
            "Buyer email",
            "Terminal",
            "Merchant account",
            "Reference transaction ID",
            "Test",
        ],
    }
}

struct CsvRows<'a, W: Write> {
    w: csv::Writer<W>,
    merchants: &'a [Merchant],
    lang: Lang,
}

impl<W: Write> RowWriter for CsvRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, self.lang, false);
        for cell in &c {
            self.w
                .write_field(inert(cell).as_bytes())
                .map_err(io::Error::other)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(io::Error::other)
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.w.flush()
    }
}

struct JsonRows<'a, W: Write> {
    out: W,
    merchants: &'a [Merchant],
    lang: Lang,
    first: bool,
}

impl<W: Write> RowWriter for JsonRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, self.lang, false);
        self.out
            .write_all(if self.first { b"\n{" } else { b",\n{" })?;
        self.first = false;
        for (i, (k, v)) in COLUMNS.iter().zip(c.iter()).enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            write!(self.out, "\"{k}\":")?;
            let number = matches!(
                *k,
                "transaction_id" | "terminal" | "reference_transaction_id"
            );
            match *k {
                _ if number && v.is_empty() => self.out.write_all(b"null")?,
                _ if number => self.out.write_all(v.as_bytes())?,
                "test" => self.out.write_all(v.as_bytes())?,
                _ => serde_json::to_writer(&mut self.out, v.as_ref()).map_err(io::Error::other)?,
            }
        }
        self.out.write_all(b"}")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

struct XmlRows<'a, W: Write> {
    w: quick_xml::Writer<W>,
    merchants: &'a [Merchant],
    lang: Lang,
}

impl<W: Write> RowWriter for XmlRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, self.lang, false);
        self.w
            .write_event(Event::Start(BytesStart::new("transaction")))?;
        for (k, v) in COLUMNS.iter().zip(c) {
            self.w.write_event(Event::Start(BytesStart::new(*k)))?;
            self.w
                .write_event(Event::Text(BytesText::from_escaped(xml_text(&v))))?;
            self.w.write_event(Event::End(BytesEnd::new(*k)))?;
        }
        self.w
            .write_event(Event::End(BytesEnd::new("transaction")))?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.w.get_mut().flush()
    }
}

struct HtmlRows<'a, W: Write> {
    out: W,
    merchants: &'a [Merchant],
    lang: Lang,
}

impl<W: Write> RowWriter for HtmlRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, self.lang, true);
        let row = maud::html! { tr { @for v in &c { td { (inert(v)) } } } };
        self.out.write_all(row.into_string().as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

struct TxtRows<'a, W: Write> {
    out: W,
    merchants: &'a [Merchant],
    lang: Lang,
}

impl<W: Write> RowWriter for TxtRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, self.lang, true);
        // Tabs and line breaks inside values would break the columns.
        let line: Vec<String> = c
            .iter()
            .map(|v| inert(v).replace(['\t', '\n', '\r'], " "))
            .collect();
        self.out.write_all(line.join("\t").as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes an XLSX workbook with typed numbers and dates into `path`, in constant memory.
pub fn write_xlsx(
    path: &std::path::Path,
    rows: &mut dyn Iterator<Item = io::Result<Transaction>>,
    merchants: &[Merchant],
    lang: Lang,
) -> io::Result<u64> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory().map_err(x)?;
    let bold = XFormat::new().set_bold();
    let money = XFormat::new().set_num_format("#,##0.00");
    let date = XFormat::new().set_num_format("dd.mm.yyyy hh:mm:ss");
    for (col, title) in header(lang).iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *title, &bold)
            .map_err(x)?;
    }
    let mut n = 0u64;
    for tx in rows {
        let tx = tx?;
        n += 1;
        let r = u32::try_from(n).map_err(io::Error::other)?;
        let c = cells(&tx, merchants, lang, true);
        for (col, v) in c.iter().enumerate() {
            let col = col as u16;
            match col {
                0 => ws.write_number(r, col, tx.id as f64).map(|_| ()),
                // Excel stores numbers as doubles; minor units / 100 is exact to the cent for display.
                4 => ws
                    .write_number_with_format(r, col, tx.amount.minor() as f64 / 100.0, &money)
                    .map(|_| ()),
                6 => {
                    let t = tx.created_at();
                    let dt = ExcelDateTime::from_ymd(t.year() as u16, u8::from(t.month()), t.day())
                        .and_then(|d| {
                            d.and_hms(u16::from(t.hour()), t.minute(), u32::from(t.second()))
                        });
                    match dt {
                        Ok(dt) => ws
                            .write_datetime_with_format(r, col, &dt, &date)
                            .map(|_| ()),
                        Err(_) => ws.write_string(r, col, v.as_ref()).map(|_| ()),
                    }
                }
                // Strings are stored as strings: never evaluated as formulas.
                _ => {
                    let text: Cow<'_, str> = if v.chars().count() > XLSX_MAX_CHARS {
                        Cow::Owned(v.chars().take(XLSX_MAX_CHARS).collect())
                    } else {
                        Cow::Borrowed(v.as_ref())
                    };
                    ws.write_string(r, col, text.as_ref()).map(|_| ())
                }
            }
            .map_err(x)?;
        }
    }
    wb.save(path).map_err(x)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert() {
        assert_eq!(
            inert("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(inert("+1-2"), "'+1-2");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("Omar"), "Omar");
        assert_eq!(inert(""), "");
    }

    #[test]
    fn dates_are_iso_8601_in_utc() {
        assert_eq!(iso(1_593_957_636), "2020-07-05T14:00:36Z");
        assert_eq!(Format::parse("XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
    }
}
