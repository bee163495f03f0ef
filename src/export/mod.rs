//! Exports of a search (PROC-6): CSV, CSV for French Excel, JSON, XML, HTML, TXT and
//! XLSX, written row by row into a sink so memory stays flat whatever the row count.
//! Machine formats (JSON, XML) use stable field names and codes, ISO 8601 UTC dates
//! (with their `Z`) and decimal points; every other file is in one language, the
//! reader's, and so is plain CSV's header (its dates stay ISO 8601 UTC); files for
//! people (CSV for French Excel, XLSX, HTML, TXT) show local times of the reader's
//! zone, named in the date column's title. No cell can act
//! as a spreadsheet formula, and no full card number exists to be written.

use std::borrow::Cow;
use std::io;

use crate::domain::Lang;
use crate::domain::transaction::Transaction;
use crate::domain::zone::Zone;

mod cells;
pub mod produce;
pub mod stats;
mod text;
mod xlsx;

pub use cells::{Style, cells, excel_fr_date, inert, iso, xml_text};
pub use text::text_writer;
pub use xlsx::write_xlsx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// CSV as Excel in French opens it: `;` between cells, decimal commas.
    CsvExcelFr,
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
            "csv-excel-fr" | "csv_excel_fr" | "excel-fr" => Some(Format::CsvExcelFr),
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            "html" => Some(Format::Html),
            "txt" | "text" => Some(Format::Txt),
            "xlsx" | "xls" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// Every format, in the order the export menu offers them.
    pub const ALL: [Format; 7] = [
        Format::Csv,
        Format::CsvExcelFr,
        Format::Xlsx,
        Format::Json,
        Format::Xml,
        Format::Html,
        Format::Txt,
    ];

    /// The `format=` value of the export URL (and of its audit line).
    pub fn key(self) -> &'static str {
        match self {
            Format::CsvExcelFr => "csv-excel-fr",
            other => other.extension(),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvExcelFr => "csv",
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvExcelFr => "text/csv; charset=utf-8",
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
        Format::Csv | Format::CsvExcelFr | Format::Txt | Format::Xlsx => "",
    }
}

/// What opens a stream of the format (before its header).
pub const BOM: &str = "\u{FEFF}";

/// The download's name, with the period searched in the reader's `zone`:
/// `transactions_2026-05-01_2026-05-31.csv`. `from` is inclusive and `to` exclusive
/// (unix seconds), so the last day is the one before `to`'s instant.
pub fn file_name(format: Format, from: i64, to: i64, zone: &Zone) -> String {
    let day = |at: i64| zone.date_of(at).map_or_else(String::new, |d| d.to_string());
    let last = if to > from { to - 1 } else { to };
    format!(
        "transactions_{}_{}.{}",
        day(from),
        day(last),
        format.extension()
    )
}

/// Column titles in the reader's language (every format but JSON and XML). With a
/// `zone` (files whose dates are local times) the date column names it: `Date
/// (Africa/Casablanca)`; without (plain CSV, ISO 8601 UTC dates) it is `Date`.
pub fn header(lang: Lang, zone: Option<&Zone>) -> [Cow<'static, str>; 20] {
    let mut titles = titles(lang).map(Cow::Borrowed);
    if let Some(zone) = zone {
        titles[DATE_COLUMN] = Cow::Owned(crate::domain::time::date_header(lang, zone));
    }
    titles
}

/// The place of the date among [`COLUMNS`].
const DATE_COLUMN: usize = 6;

fn titles(lang: Lang) -> [&'static str; 20] {
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
    fn the_date_column_names_the_zone_of_local_times() {
        assert_eq!(COLUMNS[DATE_COLUMN], "date");
        assert_eq!(header(Lang::Fr, None)[DATE_COLUMN], "Date");
        let casa = Zone::parse("Africa/Casablanca").unwrap();
        assert_eq!(
            header(Lang::En, Some(&casa))[DATE_COLUMN],
            "Date (Africa/Casablanca)"
        );
        assert_eq!(header(Lang::En, Some(&casa))[0], "Transaction ID");
        // 1 June 2026 20:00 UTC is the 2nd, 01:30 in Kolkata.
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        assert_eq!(
            excel_fr_date(1_780_344_000, &kolkata),
            "02/06/2026 01:30:00"
        );
        assert_eq!(iso(1_780_344_000), "2026-06-01T20:00:00Z");
        // The day searched in Kolkata, 2 June, is the file's.
        assert_eq!(
            file_name(Format::Csv, 1_780_338_600, 1_780_425_000, &kolkata),
            "transactions_2026-06-02_2026-06-02.csv"
        );
    }

    #[test]
    fn dates_are_iso_8601_in_utc() {
        assert_eq!(iso(1_593_957_636), "2020-07-05T14:00:36Z");
        assert_eq!(Format::parse("XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
    }

    #[test]
    fn every_format_parses_back_from_its_key() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.key()), Some(f));
        }
    }

    #[test]
    fn the_file_name_carries_the_period_searched() {
        // 2026-05-01 00:00 to 2026-06-01 00:00 (exclusive): May.
        assert_eq!(
            file_name(
                Format::CsvExcelFr,
                1_777_593_600,
                1_780_272_000,
                &Zone::utc()
            ),
            "transactions_2026-05-01_2026-05-31.csv"
        );
        assert_eq!(
            file_name(Format::Xlsx, 1_780_272_000, 1_780_358_400, &Zone::utc()),
            "transactions_2026-06-01_2026-06-01.xlsx"
        );
    }

    #[test]
    fn excel_fr_dates_are_day_month_year() {
        assert_eq!(
            excel_fr_date(1_593_957_636, &Zone::utc()),
            "05/07/2020 14:00:36"
        );
    }
}
