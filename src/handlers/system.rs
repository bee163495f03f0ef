//! The appliance watching itself (issue 16): `/readyz` for a supervisor or a load
//! balancer, `/metrics` for Prometheus (behind a bearer token, off without one),
//! and Parameters › System, the same key figures for the admin. Every figure is a
//! cheap read: the queues' due indexes (length and first row), the data file's size,
//! the backup directory's listing, the writer's counters.

use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::Json;
use poem::{IntoResponse, Request, Response, handler};
use serde_json::{Map, Value, json};

use super::Ctx;
use crate::domain::backup::CheckState;
use crate::domain::system::{Check, Figures, Probe, ReadyLimits, is_ready, readiness};
use crate::pages::system::{SystemView, system_page as page};

/// A probe write that has not come back after this long means the writer is stuck.
pub const WRITE_LIMIT: Duration = Duration::from_secs(5);

/// The figures of the appliance now.
pub async fn figures(ctx: &Ctx) -> poem::Result<Figures> {
    let db = ctx.state.db.clone();
    let backups = ctx.state.backups.clone();
    let now = ctx.now().unix_timestamp();
    let (queues, size, writes, last_backup) = tokio::task::spawn_blocking(move || {
        let queues = db.queues();
        let size = std::fs::metadata(db.path()).map_or(0, |m| m.len());
        let writes = db.writes_in_flight();
        let last_backup = backups
            .list()
            .into_iter()
            .find(|b| !matches!(b.check, CheckState::Failed(_)))
            .map(|b| b.at);
        (queues, size, writes, last_backup)
    })
    .await
    .map_err(|e| ctx.internal(&e))?;
    let (outbox, callbacks) = match queues {
        Ok(q) => q,
        Err(e) if e.is_storage_unavailable() => return Err(ctx.storage_unavailable(&e)),
        Err(e) => return Err(ctx.internal(&e)),
    };
    Ok(Figures {
        now,
        data_file_bytes: size,
        outbox,
        callbacks,
        backups_configured: ctx.state.backups.settings().dir.is_some(),
        last_backup_at: last_backup,
        writes_running: writes.0,
        writes_waiting: writes.1,
    })
}

/// A tiny write transaction through the writer (see `observe::probe`).
async fn probe(ctx: &Ctx) -> Probe {
    let db = ctx.state.db.clone();
    ctx.state
        .probe
        .check(
            move || db.write(|_| Ok(())).map_err(|e| e.to_string()),
            WRITE_LIMIT,
        )
        .await
}

/// The readiness conditions now, with the figures and the probe they come from.
pub async fn checks(ctx: &Ctx) -> poem::Result<(Vec<Check>, Figures, Probe)> {
    let figures = figures(ctx).await?;
    let probe = probe(ctx).await;
    let limits = ReadyLimits {
        stuck_after: i64::from(ctx.state.config.ready_stuck_minutes) * 60,
        smtp: ctx.state.config.smtp.is_some(),
    };
    Ok((readiness(&figures, &probe, limits), figures, probe))
}

/// `/readyz`: 200 when the data file takes a write, the writer moves and no queue is
/// stuck; 503 otherwise. The body says only `ready` or `not ready`, except to a
/// signed-in admin, who also gets each condition with what was seen.
#[handler]
pub async fn readyz(ctx: Ctx) -> Response {
    let (checks, status) = match checks(&ctx).await {
        Ok((checks, _, _)) => {
            let ok = is_ready(&checks);
            (checks, ok)
        }
        Err(_) => (Vec::new(), false),
    };
    let mut body = Map::new();
    body.insert(
        "status".into(),
        Value::from(if status { "ready" } else { "not ready" }),
    );
    if ctx.user().is_some_and(crate::domain::user::User::is_admin) {
        let details: Map<String, Value> = checks
            .iter()
            .map(|c| (c.name.to_string(), json!({"ok": c.ok, "detail": c.detail})))
            .collect();
        body.insert("checks".into(), Value::Object(details));
    }
    let code = if status {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(Value::Object(body)).with_status(code).into_response()
}

/// `/metrics`: the Prometheus text format, to a client that sends the configured
/// bearer token (401 otherwise); a 404 when no token is configured (metrics off).
#[handler]
pub async fn metrics(ctx: Ctx, req: &Request) -> poem::Result<Response> {
    let Some(token) = ctx.state.config.metrics_token.as_deref() else {
        return Err(ctx.not_found());
    };
    let sent = req
        .header(header::AUTHORIZATION)
        .and_then(|h| {
            h.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .map(|_| h[7..].trim())
        })
        .unwrap_or("");
    if !super::middleware::constant_time_eq(sent.as_bytes(), token.as_bytes()) {
        return Ok(Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"guichet metrics\"")
            .content_type("text/plain; charset=utf-8")
            .body("A bearer token is required (see --metrics-token-file).\n"));
    }
    let figures = figures(&ctx).await?;
    let text = ctx.state.gateway.metrics.render(&figures);
    Ok(Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Parameters › System (admins): readiness, queues, data file, backups, writer, and
/// what was counted since the start.
#[handler]
pub async fn system_page(ctx: Ctx) -> poem::Result<Response> {
    let (checks, figures, probe) = checks(&ctx).await?;
    let counted = ctx.state.gateway.metrics.counted();
    let view = SystemView {
        figures: &figures,
        checks: &checks,
        probe: &probe,
        counted: &counted,
        metrics_on: ctx.state.config.metrics_token.is_some(),
        smtp: ctx.state.config.smtp.is_some(),
        stuck_minutes: ctx.state.config.ready_stuck_minutes,
        version: env!("CARGO_PKG_VERSION"),
    };
    Ok(page(&ctx.view(), &view).into_response())
}
