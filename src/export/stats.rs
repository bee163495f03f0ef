//! The CSV download of one Statistics table (STAT-1): the page's rows with bare
//! numbers (`1250.50`, rates in percent as `92.3`), titles in the reader's language,
//! the UTF-8 byte order mark first, every text cell made inert for spreadsheets.

use std::io;

use super::{BOM, inert};
use crate::domain::stats_tables::{Table, Value};

/// The file of `table`, whole (a table holds at most a few hundred rows).
pub fn stats_csv(table: &Table) -> io::Result<Vec<u8>> {
    let mut out = BOM.as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut out);
        w.write_record(table.columns.iter().map(|c| inert(c).into_owned()))
            .map_err(io::Error::other)?;
        for row in &table.rows {
            w.write_record(row.cells.iter().map(|v| match v {
                Value::Text(s) => inert(s).into_owned(),
                v => v.csv(),
            }))
            .map_err(io::Error::other)?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats_tables::{Row, TableKey};

    #[test]
    fn a_formula_in_a_label_is_made_inert_and_numbers_stay_bare() {
        let t = Table {
            key: TableKey::Terminals,
            columns: vec!["Terminal".into(), "Opérations".into()],
            rows: vec![Row {
                cells: vec![Value::Text("=1+1".into()), Value::Count(1234)],
                href: None,
            }],
            too_many: None,
        };
        let bytes = stats_csv(&t).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}Terminal,Opérations\n'=1+1,1234\n");
    }
}
