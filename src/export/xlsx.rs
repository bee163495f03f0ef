//! The XLSX workbook, with typed numbers and dates, in constant memory.

use std::borrow::Cow;
use std::io;

use super::cells::XLSX_MAX_CHARS;
use super::{Style, cells, header};
use crate::domain::Lang;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::domain::zone::Zone;

/// Writes an XLSX workbook with typed numbers and dates (local to `zone`, named in the
/// date column's title) into `path`, in constant memory.
pub fn write_xlsx(
    path: &std::path::Path,
    rows: &mut dyn Iterator<Item = io::Result<Transaction>>,
    merchants: &[Merchant],
    (lang, zone): (Lang, &Zone),
) -> io::Result<u64> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory().map_err(x)?;
    ws.set_name("Transactions").map_err(x)?;
    let bold = XFormat::new().set_bold();
    // One number format per number of decimals (0 for JPY, 2 for MAD, 3 for TND ...).
    let money: Vec<XFormat> = (0..=4)
        .map(|e| match e {
            0 => XFormat::new().set_num_format("#,##0"),
            e => XFormat::new().set_num_format(format!("#,##0.{}", "0".repeat(e))),
        })
        .collect();
    let date = XFormat::new().set_num_format("dd.mm.yyyy hh:mm:ss");
    for (col, title) in header(lang, Some(zone)).iter().enumerate() {
        ws.write_string_with_format(0, col as u16, title.as_ref(), &bold)
            .map_err(x)?;
    }
    let mut n = 0u64;
    for tx in rows {
        let tx = tx?;
        n += 1;
        let r = u32::try_from(n).map_err(io::Error::other)?;
        let c = cells(&tx, merchants, (lang, zone), Style::People);
        for (col, v) in c.iter().enumerate() {
            let col = col as u16;
            match col {
                0 => ws.write_number(r, col, tx.id as f64).map(|_| ()),
                // Excel stores numbers as doubles: the exact Decimal is converted once,
                // here, and shown with the currency's decimals.
                4 => {
                    let value = tx.amount.to_decimal(tx.currency);
                    let format = &money[(tx.currency.exponent() as usize).min(money.len() - 1)];
                    let number = rust_decimal::prelude::ToPrimitive::to_f64(&value).unwrap_or(0.0);
                    ws.write_number_with_format(r, col, number, format)
                        .map(|_| ())
                }
                6 => {
                    // Excel dates have no zone: the local time, as the header says.
                    let dt = zone.local(tx.at).ok_or(()).and_then(|t| {
                        ExcelDateTime::from_ymd(t.year() as u16, u8::from(t.month()), t.day())
                            .and_then(|d| {
                                d.and_hms(u16::from(t.hour()), t.minute(), u32::from(t.second()))
                            })
                            .map_err(|_| ())
                    });
                    match dt {
                        Ok(dt) => ws
                            .write_datetime_with_format(r, col, &dt, &date)
                            .map(|_| ()),
                        Err(_) => ws.write_string(r, col, v.as_ref()).map(|_| ()),
                    }
                }
                // A real boolean: Excel shows it in its own language (VRAI / TRUE).
                19 => ws.write_boolean(r, col, tx.test).map(|_| ()),
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
