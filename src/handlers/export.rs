//! `/transactions/export`: the current page or every matching row, streamed from a
//! blocking producer through a small channel so memory stays flat.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Body, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use time::Date;
use tokio::sync::mpsc;

use super::Ctx;
use crate::connection::Cutoff;
use crate::domain::Lang;
use crate::domain::filter::{Filter, PageRequest, RawFilter, parse};
use crate::domain::user::Merchant;
use crate::domain::zone::Zone;
use crate::export::produce::produce;
use crate::export::{Format, file_name};

/// Excel's sheet limit (1,048,576 rows) less the header row.
const XLSX_MAX_ROWS: usize = 1_048_575;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    format: String,
    scope: String,
}

/// Exports running at once, per user and in all: a long export holds a blocking
/// thread and a core, so one user cannot start a second one, nor can a crowd
/// start more than the machine serves.
pub struct ExportSlots {
    per_user: usize,
    total: usize,
    running: Mutex<HashMap<u64, usize>>,
}

/// A running export's place; given back when dropped (end, error or client gone).
pub struct ExportTicket {
    slots: Arc<ExportSlots>,
    user: u64,
}

impl ExportSlots {
    pub fn new(per_user: usize, total: usize) -> ExportSlots {
        ExportSlots {
            per_user,
            total,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// A place for `user`'s export, or None when they or everyone are at the limit.
    pub fn take(self: &Arc<Self>, user: u64) -> Option<ExportTicket> {
        let mut running = self.running.lock().ok()?;
        let total: usize = running.values().sum();
        let mine = running.get(&user).copied().unwrap_or(0);
        if total >= self.total || mine >= self.per_user {
            return None;
        }
        running.insert(user, mine + 1);
        Some(ExportTicket {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for ExportTicket {
    fn drop(&mut self) {
        if let Ok(mut running) = self.slots.running.lock() {
            if let Some(n) = running.get_mut(&self.user) {
                *n = n.saturating_sub(1);
            }
            running.retain(|_, n| *n > 0);
        }
    }
}

/// Sends what is written as ~64 KiB chunks; fails when the client has gone, or
/// has stopped reading for longer than `stall` (so a stalled download does not
/// pin a blocking thread).
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    rt: tokio::runtime::Handle,
    stall: Duration,
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
        let sent = self
            .rt
            .block_on(tokio::time::timeout(self.stall, self.tx.send(Ok(chunk))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the export",
            )),
        }
    }
}

fn bad_request(ctx: &Ctx, message: &str) -> poem::Error {
    let body = maud::html! { p { (message) } };
    let page = crate::pages::layout::bare(
        &ctx.view(),
        ctx.t("Export impossible", "Export refused"),
        body,
    );
    poem::Error::from_response(page.with_status(StatusCode::BAD_REQUEST).into_response())
}

/// The filters of an export as its audit line keeps them: the non-empty query
/// fields, a value that could be a card number replaced by `[card number]`, at most
/// 500 characters (the audit log is permanent: nothing sensitive goes in).
fn audit_filters(query: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, v)| !v.trim().is_empty() && k != "format" && k != "scope")
        .map(|(k, v)| {
            let k: String = k.chars().take(40).collect();
            if crate::domain::card::echo_safe(&v).is_empty() {
                (k, "[card number]".to_string())
            } else {
                (k, v.chars().take(100).collect())
            }
        })
        .collect();
    serde_urlencoded::to_string(&kept)
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect()
}

/// What an export asks for, checked: the file format, the current page or every
/// matching row, and the search.
pub struct ExportRequest {
    pub format: Format,
    /// Every matching row (`scope=all`), else the current page.
    pub all: bool,
    pub filter: Filter,
    pub page: PageRequest,
}

impl ExportRequest {
    /// The request (dates local to `zone`, whose `today` is the default period), or
    /// the message of the 400 page in `lang`.
    pub fn parse(
        raw: &RawFilter,
        q: &ExportQuery,
        (today, zone): (Date, &Zone),
        lang: Lang,
    ) -> Result<ExportRequest, String> {
        let format = Format::parse(&q.format).ok_or_else(|| {
            lang.pick(
                "Format inconnu : choisissez csv, csv-excel-fr, xlsx, json, xml, html ou txt.",
                "Unknown format: choose csv, csv-excel-fr, xlsx, json, xml, html or txt.",
            )
            .to_string()
        })?;
        let all = match q.scope.trim().to_ascii_lowercase().as_str() {
            "all" => true,
            "page" | "" => false,
            _ => {
                return Err(lang
                    .pick(
                        "Portée inconnue : « page » ou « all ».",
                        "Unknown scope: \"page\" or \"all\".",
                    )
                    .to_string());
            }
        };
        let (filter, page) = parse(raw, today, zone).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.message(lang).to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        Ok(ExportRequest {
            format,
            all,
            filter,
            page,
        })
    }
}

/// The ids of the rows to export, newest first.
async fn matching_ids(ctx: &Ctx, r: &ExportRequest) -> poem::Result<Vec<u64>> {
    let (scope, filter, page) = (ctx.scope(), r.filter.clone(), r.page);
    if r.all {
        ctx.db(move |db| db.search_ids(scope, &filter)).await
    } else {
        let found = ctx.db(move |db| db.search(scope, &filter, page)).await?;
        Ok(found.rows.iter().map(|t| t.id).collect())
    }
}

/// Refuses an XLSX file longer than a sheet.
fn check_xlsx_rows(ctx: &Ctx, format: Format, rows: usize) -> poem::Result<()> {
    if format != Format::Xlsx || rows <= XLSX_MAX_ROWS {
        return Ok(());
    }
    let message = match ctx.lang {
        Lang::Fr => format!(
            "Un fichier XLSX contient au plus {XLSX_MAX_ROWS} lignes (ici {rows}) : réduisez la période ou choisissez CSV."
        ),
        Lang::En => format!(
            "An XLSX file holds at most {XLSX_MAX_ROWS} rows (here {rows}): narrow the period or choose CSV."
        ),
    };
    Err(bad_request(ctx, &message))
}

/// A place among the running exports. A download cancelled a moment ago frees its
/// place as soon as its producer notices: wait briefly for a place before refusing.
async fn wait_for_slot(ctx: &Ctx, user_id: u64) -> Option<ExportTicket> {
    let mut ticket = ctx.state.exports.take(user_id);
    for _ in 0..30 {
        if ticket.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ticket = ctx.state.exports.take(user_id);
    }
    ticket
}

/// The 429 page when no export place frees up.
fn busy_page(ctx: &Ctx) -> Response {
    let message = ctx.t(
        "Un export est déjà en cours pour votre compte (ou le serveur en traite déjà plusieurs) : attendez sa fin puis recommencez.",
        "An export is already running for your account (or the server is busy with several): wait for it to finish, then try again.",
    );
    let body = maud::html! { p { (message) } };
    let page = crate::pages::layout::bare(
        &ctx.view(),
        ctx.t("Export en attente", "Export waiting"),
        body,
    );
    page.with_status(StatusCode::TOO_MANY_REQUESTS)
        .into_response()
}

/// The download: a producer on a blocking thread holds the export place and writes
/// into a small channel that the response body drains. When the producer fails, it
/// cuts the connection (`cutoff`), so the client sees a failed transfer.
fn stream(
    ctx: &Ctx,
    ticket: ExportTicket,
    ids: Vec<u64>,
    format: Format,
    name: String,
    merchants: Vec<Merchant>,
    cutoff: Option<Arc<Cutoff>>,
) -> Response {
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(8);
    let (db, lang, zone) = (ctx.state.db.clone(), ctx.lang, ctx.zone().clone());
    let aborted = Arc::new(AtomicBool::new(false));
    let out = ChannelWriter {
        tx: tx.clone(),
        buf: Vec::new(),
        rt: tokio::runtime::Handle::current(),
        stall: ctx.state.config.export_stall,
    };
    let abort_flag = aborted.clone();
    tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let fetch = |chunk: &[u64]| {
            db.fetch_desc(chunk)
                .map_err(|e| io::Error::other(e.to_string()))
        };
        if let Err(e) = produce(&fetch, ids, format, &merchants, (lang, &zone), out)
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::warn!("export stopped: {e}");
            // A failing body alone would still end with the chunked terminator
            // (see `connection`): cut the socket BEFORE the stream fails, so the
            // terminator is never written and the transfer ends abnormally.
            if let Some(cutoff) = &cutoff {
                cutoff.cut();
            }
            // The stream fails at its next poll (HTTP/2 resets the stream), and
            // nothing here waits for the client.
            abort_flag.store(true, Ordering::SeqCst);
            let _ = tx.try_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| {
        if aborted.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(Some(Err(io::Error::other("export aborted"))));
        }
        rx.poll_recv(cx)
    });
    Response::builder()
        .header("content-type", format.content_type())
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("x-content-type-options", "nosniff")
        .body(Body::from_bytes_stream(stream))
}

#[handler]
pub async fn transactions_export(
    ctx: Ctx,
    req: &Request,
    Query(raw): Query<RawFilter>,
    Query(q): Query<ExportQuery>,
) -> poem::Result<Response> {
    let Some(user) = ctx
        .user()
        .filter(|u| u.permissions().view && u.permissions().export)
    else {
        return Err(ctx.not_found());
    };
    let user_id = user.id;
    let query = audit_filters(req.uri().query().unwrap_or(""));
    let asked = ExportRequest::parse(&raw, &q, (ctx.today(), ctx.zone()), ctx.lang)
        .map_err(|message| bad_request(&ctx, &message))?;
    let (format, all, scope) = (asked.format, asked.all, ctx.scope());
    let name = file_name(format, asked.filter.from, asked.filter.to, ctx.zone());
    let ids = matching_ids(&ctx, &asked).await?;
    check_xlsx_rows(&ctx, format, ids.len())?;
    let Some(ticket) = wait_for_slot(&ctx, user_id).await else {
        return Ok(busy_page(&ctx));
    };
    let entry = crate::db::audit::AuditEntry::by(
        &ctx.actor(),
        "export",
        "transactions",
        user.merchant_id(),
    )
    .with_detail(format!(
        "format={} scope={} rows={} filters={query}",
        format.key(),
        if all { "all" } else { "page" },
        ids.len()
    ));
    let merchants = ctx
        .db(move |db| {
            db.record(&entry)?;
            db.merchants(scope)
        })
        .await?;
    let cutoff = ctx.state.connections.cutoff(req);
    Ok(stream(&ctx, ticket, ids, format, name, merchants, cutoff))
}

#[cfg(test)]
mod tests {
    use super::audit_filters;

    #[test]
    fn export_filters_in_the_audit_line_never_hold_a_card_number() {
        assert_eq!(
            audit_filters("format=csv&scope=all&status=refused&holder=&from=2026-05-31"),
            "status=refused&from=2026-05-31"
        );
        let line = audit_filters("holder=4111+1111+1111+1111&order=4111111111111111&x=1");
        assert!(!line.contains("4111"), "{line}");
        assert!(line.contains("holder=%5Bcard+number%5D"), "{line}");
    }
}
