//! The CSV download of one Statistics table (STAT-1): the page's rows with bare
//! numbers (`1250.50`, rates in percent as `92.3` under a title saying `(%)`), a
//! period's first and last day as ISO dates before its label, titles in the
//! reader's language, the UTF-8 byte order mark first, every text cell made inert
//! for spreadsheets.

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
        w.write_record(table.csv_columns.iter().map(|c| inert(c).into_owned()))
            .map_err(io::Error::other)?;
        for row in &table.rows {
            let days = row
                .days
                .iter()
                .flat_map(|(first, last)| [first.to_string(), last.to_string()]);
            let cells = row.cells.iter().map(|v| match v {
                Value::Text(s) => inert(s).into_owned(),
                v => v.csv(),
            });
            w.write_record(days.chain(cells))
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
            csv_columns: vec!["Terminal".into(), "Opérations".into()],
            rows: vec![Row {
                cells: vec![Value::Text("=1+1".into()), Value::Count(1234)],
                href: None,
                days: None,
            }],
            too_many: None,
        };
        let bytes = stats_csv(&t).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}Terminal,Opérations\n'=1+1,1234\n");
    }

    #[test]
    fn a_period_starts_with_its_days_and_a_rate_is_a_bare_percentage() {
        let t = Table {
            key: TableKey::Periods,
            columns: vec!["Période".into(), "Taux d'acceptation".into()],
            csv_columns: vec![
                "Premier jour".into(),
                "Dernier jour".into(),
                "Période".into(),
                "Taux d'acceptation (%)".into(),
            ],
            rows: vec![Row {
                cells: vec![
                    Value::Text("semaine du 2 nov. 2026".into()),
                    Value::PerMille(Some(923)),
                ],
                href: None,
                days: Some((
                    time::macros::date!(2026 - 11 - 02),
                    time::macros::date!(2026 - 11 - 08),
                )),
            }],
            too_many: None,
        };
        let text = String::from_utf8(stats_csv(&t).unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}Premier jour,Dernier jour,Période,Taux d'acceptation (%)\n\
             2026-11-02,2026-11-08,semaine du 2 nov. 2026,92.3\n"
        );
    }
}
