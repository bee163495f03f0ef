//! The text formats (CSV, CSV for French Excel, JSON, XML, HTML, TXT), written row by
//! row.

use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{BOM, COLUMNS, Format, RowWriter, Style, cells, header, inert, xml_text};
use crate::domain::Lang;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::domain::zone::Zone;

/// A writer for the text formats (everything but XLSX), words in `lang` and dates for
/// people local to `zone`; `first` for the chunk that opens the stream (it writes the
/// header).
pub fn text_writer<'a, W: Write + 'a>(
    format: Format,
    out: W,
    merchants: &'a [Merchant],
    (lang, zone): (Lang, &'a Zone),
    first: bool,
) -> io::Result<Box<dyn RowWriter + 'a>> {
    Ok(match format {
        Format::Csv | Format::CsvExcelFr => {
            let excel_fr = format == Format::CsvExcelFr;
            let mut out = out;
            if first {
                // The UTF-8 byte order mark: without it Excel reads the file as ANSI
                // and garbles every accent.
                out.write_all(BOM.as_bytes())?;
            }
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .delimiter(if excel_fr { b';' } else { b',' })
                .from_writer(out);
            let style = if excel_fr { Style::ExcelFr } else { Style::Csv };
            if first {
                // Plain CSV dates are ISO 8601 UTC and say so themselves.
                let titles = header(lang, excel_fr.then_some(zone));
                w.write_record(titles.iter().map(|t| t.as_bytes()))
                    .map_err(io::Error::other)?;
            }
            Box::new(CsvRows {
                w,
                merchants,
                lang,
                zone,
                style,
            })
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
                zone,
                first,
            })
        }
        Format::Xml => {
            let mut w = quick_xml::Writer::new_with_indent(out, b' ', 1);
            if first {
                w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
                w.get_mut().write_all(b"\n<transactions>")?;
            }
            Box::new(XmlRows {
                w,
                merchants,
                lang,
                zone,
            })
        }
        Format::Html if !first => Box::new(HtmlRows {
            out,
            merchants,
            lang,
            zone,
        }),
        Format::Txt | Format::Xlsx if !first => Box::new(TxtRows {
            out,
            merchants,
            lang,
            zone,
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
            for c in header(lang, Some(zone)) {
                out.write_all(maud::html! { th { (c) } }.into_string().as_bytes())?;
            }
            out.write_all(b"</tr></thead><tbody>\n")?;
            Box::new(HtmlRows {
                out,
                merchants,
                lang,
                zone,
            })
        }
        Format::Txt | Format::Xlsx => {
            let mut out = out;
            out.write_all(header(lang, Some(zone)).join("\t").as_bytes())?;
            out.write_all(b"\n")?;
            Box::new(TxtRows {
                out,
                merchants,
                lang,
                zone,
            })
        }
    })
}

struct CsvRows<'a, W: Write> {
    w: csv::Writer<W>,
    merchants: &'a [Merchant],
    lang: Lang,
    zone: &'a Zone,
    style: Style,
}

impl<W: Write> RowWriter for CsvRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, (self.lang, self.zone), self.style);
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
    zone: &'a Zone,
    first: bool,
}

impl<W: Write> RowWriter for JsonRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, (self.lang, self.zone), Style::Machine);
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
    zone: &'a Zone,
}

impl<W: Write> RowWriter for XmlRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, (self.lang, self.zone), Style::Machine);
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
    zone: &'a Zone,
}

impl<W: Write> RowWriter for HtmlRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, (self.lang, self.zone), Style::People);
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
    zone: &'a Zone,
}

impl<W: Write> RowWriter for TxtRows<'_, W> {
    fn row(&mut self, tx: &Transaction) -> io::Result<()> {
        let c = cells(tx, self.merchants, (self.lang, self.zone), Style::People);
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
