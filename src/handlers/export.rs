//! `/transactions/export`: the current page or every matching row, streamed from a
//! blocking producer through a small channel so memory stays flat.

use std::io::{self, Write};

use bytes::Bytes;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Body, IntoResponse, Response, handler};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::Ctx;
use crate::db::{Db, Scope};
use crate::domain::Lang;
use crate::domain::filter::{RawFilter, parse, today};
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::export::{Format, footer, text_writer, write_xlsx};

/// Rows read per read transaction, so a long export never pins old pages for long.
const CHUNK: usize = 2_000;
/// Excel's sheet limit (1,048,576 rows) less the header row.
const XLSX_MAX_ROWS: usize = 1_048_575;
/// Threads formatting chunks in parallel.
const WORKERS: usize = 2;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    format: String,
    scope: String,
}

/// Sends what is written as ~64 KiB chunks; fails when the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

fn bad_request(ctx: &Ctx, message: &str) -> poem::Error {
    let body = maud::html! { p { (message) } };
    let page = crate::pages::layout::bare(ctx, ctx.t("Export impossible", "Export refused"), body);
    poem::Error::from_response(page.with_status(StatusCode::BAD_REQUEST).into_response())
}

/// Reads the rows in chunks on one thread (each chunk from a fresh read transaction)
/// while two workers format alternate chunks and this thread sends them in order:
/// both cores share the work and memory holds only a few chunks.
fn produce(
    db: &Db,
    ids: Vec<u64>,
    format: Format,
    merchants: &[Merchant],
    lang: Lang,
    tx: mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let mut out = ChannelWriter {
        tx,
        buf: Vec::new(),
    };
    if format == Format::Xlsx {
        let mut rows = ids
            .chunks(CHUNK)
            .flat_map(|chunk| match db.fetch_desc(chunk) {
                Ok(txs) => txs.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(io::Error::other(e.to_string()))],
            });
        let file = tempfile::NamedTempFile::new()?;
        write_xlsx(file.path(), &mut rows, merchants, lang)?;
        io::copy(&mut std::fs::File::open(file.path())?, &mut out)?;
        return out.flush();
    }
    std::thread::scope(|s| {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        for _ in 0..WORKERS {
            let (in_tx, in_rx) = std::sync::mpsc::sync_channel::<(bool, Vec<Transaction>)>(1);
            let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
            s.spawn(move || {
                for (first, rows) in in_rx {
                    if out_tx
                        .send(format_chunk(format, &rows, merchants, lang, first))
                        .is_err()
                    {
                        break;
                    }
                }
            });
            to_workers.push(in_tx);
            from_workers.push(out_rx);
        }
        let reader = s.spawn(move || -> io::Result<()> {
            let mut chunks = ids.chunks(CHUNK).enumerate().peekable();
            if chunks.peek().is_none() {
                // No row: the first (empty) chunk still carries the header.
                let _ = to_workers[0].send((true, Vec::new()));
            }
            for (k, chunk) in chunks {
                let rows = db
                    .fetch_desc(chunk)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                if to_workers[k % WORKERS].send((k == 0, rows)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut k = 0;
        while let Ok(bytes) = from_workers[k % WORKERS].recv() {
            out.write_all(&bytes?)?;
            k += 1;
        }
        reader
            .join()
            .map_err(|_| io::Error::other("export reader panicked"))??;
        out.write_all(footer(format).as_bytes())?;
        out.flush()
    })
}

/// Formats one chunk of rows into bytes.
fn format_chunk(
    format: Format,
    rows: &[Transaction],
    merchants: &[Merchant],
    lang: Lang,
    first: bool,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(rows.len() * 256 + 1024);
    let mut w = text_writer(format, &mut buf, merchants, lang, first)?;
    for row in rows {
        w.row(row)?;
    }
    w.finish()?;
    Ok(buf)
}

#[handler]
pub async fn transactions_export(
    ctx: Ctx,
    Query(raw): Query<RawFilter>,
    Query(q): Query<ExportQuery>,
) -> poem::Result<Response> {
    if !ctx
        .user()
        .is_some_and(|u| u.permissions().view && u.permissions().export)
    {
        return Err(ctx.not_found());
    }
    let format = Format::parse(&q.format).ok_or_else(|| {
        bad_request(
            &ctx,
            ctx.t(
                "Format inconnu : choisissez csv, xlsx, json, xml, html ou txt.",
                "Unknown format: choose csv, xlsx, json, xml, html or txt.",
            ),
        )
    })?;
    let all = match q.scope.trim().to_ascii_lowercase().as_str() {
        "all" => true,
        "page" | "" => false,
        _ => {
            return Err(bad_request(
                &ctx,
                ctx.t(
                    "Portée inconnue : « page » ou « all ».",
                    "Unknown scope: \"page\" or \"all\".",
                ),
            ));
        }
    };
    let (filter, req) = parse(&raw, today(ctx.now())).map_err(|errors| {
        let text = errors
            .iter()
            .map(|e| e.message(ctx.lang).to_string())
            .collect::<Vec<_>>()
            .join(" ");
        bad_request(&ctx, &text)
    })?;
    let scope: Scope = ctx.scope();
    let ids = if all {
        ctx.db(move |db| db.search_ids(scope, &filter)).await?
    } else {
        ctx.db(move |db| db.search(scope, &filter, req))
            .await?
            .rows
            .iter()
            .map(|t| t.id)
            .collect()
    };
    if format == Format::Xlsx && ids.len() > XLSX_MAX_ROWS {
        let message = match ctx.lang {
            crate::domain::Lang::Fr => format!(
                "Un fichier XLSX contient au plus {XLSX_MAX_ROWS} lignes (ici {}) : réduisez la période ou choisissez CSV.",
                ids.len()
            ),
            crate::domain::Lang::En => format!(
                "An XLSX file holds at most {XLSX_MAX_ROWS} rows (here {}): narrow the period or choose CSV.",
                ids.len()
            ),
        };
        return Err(bad_request(&ctx, &message));
    }
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(8);
    let (db, lang) = (ctx.state.db.clone(), ctx.lang);
    tokio::task::spawn_blocking(move || {
        let abort = tx.clone();
        if let Err(e) = produce(&db, ids, format, &merchants, lang, tx)
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!("export failed: {e}");
            // An error item aborts the transfer: the client never sees a complete-looking file.
            let _ = abort.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let name = format!("transactions-{}.{}", ctx.now().date(), format.extension());
    Ok(Response::builder()
        .header("content-type", format.content_type())
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("x-content-type-options", "nosniff")
        .body(Body::from_bytes_stream(stream)))
}
