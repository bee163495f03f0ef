//! Reading each export format back with a real parser.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use guichet::export::COLUMNS;
use quick_xml::events::Event;

pub(crate) type Table = Vec<Vec<String>>;

/// The UTF-8 byte order mark that opens both CSV variants.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file (`,`), its byte order mark skipped: the header row and the rows.
pub(crate) fn csv_table(body: &[u8]) -> (Vec<String>, Table) {
    delimited_table(body, b',')
}

/// A CSV file for French Excel (`;`), its byte order mark skipped.
pub(crate) fn excel_fr_table(body: &[u8]) -> (Vec<String>, Table) {
    delimited_table(body, b';')
}

fn delimited_table(body: &[u8], delimiter: u8) -> (Vec<String>, Table) {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(body);
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

/// An array of objects with exactly the COLUMNS keys; values as text in COLUMNS order
/// (numbers and booleans printed, null as "").
pub(crate) fn json_table(body: &[u8]) -> Table {
    let v: serde_json::Value = serde_json::from_slice(body).expect("valid JSON");
    let arr = v.as_array().expect("a JSON array");
    arr.iter()
        .map(|o| {
            let o = o.as_object().expect("objects");
            let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
            let mut want = COLUMNS.to_vec();
            keys.sort_unstable();
            want.sort_unstable();
            assert_eq!(keys, want);
            assert!(o["transaction_id"].is_u64(), "{o:?}");
            assert!(o["test"].is_boolean(), "{o:?}");
            for k in ["terminal", "reference_transaction_id"] {
                assert!(o[k].is_u64() || o[k].is_null(), "{k}: {o:?}");
            }
            assert!(o["amount"].is_string() && o["date"].is_string(), "{o:?}");
            COLUMNS
                .iter()
                .map(|k| match &o[*k] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// `<transactions>` with `<transaction>` children holding one element per column, in
/// COLUMNS order.
pub(crate) fn xml_table(body: &[u8]) -> Table {
    let mut r = quick_xml::Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut rows: Table = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut roots = 0;
    let mut buf = Vec::new();
    loop {
        let event = r.read_event_into(&mut buf).expect("well-formed XML");
        match event {
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                match path.len() {
                    0 => {
                        assert_eq!(name, "transactions");
                        roots += 1;
                    }
                    1 => {
                        assert_eq!(name, "transaction");
                        rows.push(Vec::new());
                        names.clear();
                    }
                    2 => text.clear(),
                    _ => panic!("nothing nested in a column: {name}"),
                }
                path.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                assert_eq!(path.len(), 2, "empty element {name}");
                names.push(name);
                rows.last_mut().unwrap().push(String::new());
            }
            Event::End(_) => {
                let name = path.pop().unwrap();
                match path.len() {
                    2 => {
                        names.push(name);
                        rows.last_mut().unwrap().push(std::mem::take(&mut text));
                    }
                    1 => assert_eq!(names, COLUMNS, "one element per column, in order"),
                    _ => {}
                }
            }
            Event::Text(t) if path.len() == 3 => text.push_str(&t.xml10_content().unwrap()),
            Event::Text(t) => assert!(
                t.decode().unwrap().trim().is_empty(),
                "text outside a column"
            ),
            Event::GeneralRef(g) if path.len() == 3 => {
                if let Some(c) = g.resolve_char_ref().unwrap() {
                    text.push(c);
                } else {
                    text.push_str(match g.decode().unwrap().as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unknown entity {other}"),
                    });
                }
            }
            Event::CData(c) if path.len() == 3 => {
                text.push_str(std::str::from_utf8(&c).unwrap());
            }
            Event::Eof => break,
            Event::Decl(_) => {}
            other => panic!("unexpected XML event {other:?}"),
        }
        buf.clear();
    }
    assert_eq!(roots, 1, "one <transactions> root");
    assert!(path.is_empty(), "every element closed");
    rows
}

pub(crate) fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The header cells and the body rows of the one `<table>`, text unescaped.
pub(crate) fn html_table(body: &str) -> (Vec<String>, Table) {
    assert_eq!(body.matches("<table").count(), 1, "one table");
    let cells = |s: &str, tag: &str| -> Vec<String> {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        s.split(open.as_str())
            .skip(1)
            .map(|c| unescape_html(&c[..c.find(close.as_str()).expect("closed cell")]))
            .collect()
    };
    let thead = &body[body.find("<thead>").unwrap()..body.find("</thead>").unwrap()];
    let tbody = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    assert!(body.trim_end().ends_with("</table>"));
    let rows = tbody
        .split("<tr>")
        .skip(1)
        .map(|r| cells(&r[..r.find("</tr>").unwrap()], "td"))
        .collect();
    (cells(thead, "th"), rows)
}

pub(crate) fn txt_table(body: &str) -> (Vec<String>, Table) {
    assert!(body.ends_with('\n'));
    let mut lines = body.strip_suffix('\n').unwrap().split('\n');
    let head = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    (head, rows)
}

pub(crate) struct Sheet {
    pub(crate) name: String,
    pub(crate) cells: Range<Data>,
    pub(crate) formulas: Range<String>,
}

impl Sheet {
    pub(crate) fn read(body: &[u8]) -> Sheet {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(body.to_vec())).expect("xlsx");
        let cells = wb.worksheet_range_at(0).expect("a sheet").unwrap();
        let name = wb.sheet_names()[0].clone();
        let formulas = wb.worksheet_formula(&name).unwrap();
        Sheet {
            name,
            cells,
            formulas,
        }
    }

    /// Row count including the header row.
    pub(crate) fn height(&self) -> usize {
        if self.cells.is_empty() {
            return 0;
        }
        assert_eq!(self.cells.start(), Some((0, 0)));
        self.cells.height()
    }

    pub(crate) fn get(&self, row: usize, col: usize) -> &Data {
        self.cells
            .get_value((row as u32, col as u32))
            .unwrap_or(&Data::Empty)
    }

    /// A string cell's text ("" for an empty cell); panics on anything else.
    pub(crate) fn text(&self, row: usize, col: usize) -> String {
        match self.get(row, col) {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => panic!("({row}, {col}) is not a string: {other:?}"),
        }
    }

    pub(crate) fn formula(&self, row: usize, col: usize) -> String {
        self.formulas
            .get_value((row as u32, col as u32))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn id(&self, row: usize) -> u64 {
        match self.get(row, 0) {
            Data::Float(f) if f.fract() == 0.0 => *f as u64,
            Data::Int(i) => *i as u64,
            other => panic!("id of row {row}: {other:?}"),
        }
    }

    pub(crate) fn ids(&self) -> Vec<u64> {
        (1..self.height()).map(|r| self.id(r)).collect()
    }
}

/// `1250,50` (a French Excel amount: decimal comma, no grouping) in minor units.
pub(crate) fn decimal_comma_minor(cell: &str) -> i64 {
    let (units, cents) = cell.split_once(',').expect("a decimal comma");
    assert_eq!(cents.len(), 2, "{cell}");
    assert!(units.chars().all(|c| c.is_ascii_digit()), "{cell}");
    units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// Excel's serial date (days since 1899-12-30) as unix seconds.
pub(crate) fn excel_to_unix(serial: f64) -> i64 {
    ((serial - 25_569.0) * 86_400.0).round() as i64
}

pub(crate) fn ids_of(t: &Table) -> Vec<u64> {
    t.iter().map(|r| r[0].parse().unwrap()).collect()
}

/// The ids in an export of any format, in file order.
pub(crate) fn export_ids(format: &str, body: &[u8]) -> Vec<u64> {
    match format {
        "csv" => ids_of(&csv_table(body).1),
        "csv-excel-fr" => ids_of(&excel_fr_table(body).1),
        "json" => ids_of(&json_table(body)),
        "xml" => ids_of(&xml_table(body)),
        "html" => ids_of(&html_table(std::str::from_utf8(body).unwrap()).1),
        "txt" => ids_of(&txt_table(std::str::from_utf8(body).unwrap()).1),
        "xlsx" => Sheet::read(body).ids(),
        _ => unreachable!(),
    }
}
