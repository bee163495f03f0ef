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
use crate::export::{Format, text_writer, write_xlsx};

/// Rows read per read transaction, so a long export never pins old pages for long.
const CHUNK: usize = 4_000;

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

/// Reads the rows in chunks on this thread (each chunk from a fresh read
/// transaction) while another thread formats them: the two cores share the work.
fn produce(
    db: &Db,
    ids: Vec<u64>,
    format: Format,
    merchants: &[Merchant],
    lang: Lang,
    tx: mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let (chunks_tx, chunks_rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<Transaction>>>(2);
    let merchants = merchants.to_vec();
    let formatter = std::thread::spawn(move || {
        let mut rows = chunks_rx.into_iter().flat_map(|chunk| match chunk {
            Ok(txs) => txs.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        });
        format_rows(&mut rows, format, &merchants, lang, tx)
    });
    for chunk in ids.chunks(CHUNK) {
        let rows = db
            .fetch_desc(chunk)
            .map_err(|e| io::Error::other(e.to_string()));
        if chunks_tx.send(rows).is_err() {
            break;
        }
    }
    drop(chunks_tx);
    formatter
        .join()
        .map_err(|_| io::Error::other("export formatter panicked"))?
}

fn format_rows(
    rows: &mut dyn Iterator<Item = io::Result<Transaction>>,
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
        let file = tempfile::NamedTempFile::new()?;
        write_xlsx(file.path(), rows, merchants, lang)?;
        io::copy(&mut std::fs::File::open(file.path())?, &mut out)?;
        return out.flush();
    }
    {
        let mut w = text_writer(format, &mut out, merchants, lang)?;
        for row in rows {
            w.row(&row?)?;
        }
        w.end()?;
    }
    out.flush()
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
    let all = match q.scope.as_str() {
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
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(8);
    let (db, lang) = (ctx.state.db.clone(), ctx.lang);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = produce(&db, ids, format, &merchants, lang, tx)
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!("export failed: {e}");
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
