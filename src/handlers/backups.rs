//! Parameters › Backups: admins only (others get 404). The list and the schedule are
//! read from the backup directory; "Back up now" starts a backup in the background.

use poem::http::StatusCode;
use poem::web::Query;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::backup::BackupError;
use crate::pages::backups::{BackupsView, Notice, PATH, backups_page as page};

#[derive(Deserialize)]
pub struct NoticeQuery {
    started: Option<String>,
    busy: Option<String>,
}

#[handler]
pub async fn backups_page(ctx: Ctx, Query(q): Query<NoticeQuery>) -> poem::Result<Response> {
    let notice = match (q.started, q.busy) {
        (_, Some(_)) => Some(Notice::Busy),
        (Some(_), None) => Some(Notice::Started),
        _ => None,
    };
    Ok(render(&ctx, notice).await?.into_response())
}

async fn render(ctx: &Ctx, notice: Option<Notice>) -> poem::Result<maud::Markup> {
    let backups = ctx.state.backups.clone();
    let (list, schedule, status) =
        tokio::task::spawn_blocking(move || (backups.list(), backups.schedule(), backups.status()))
            .await
            .map_err(|e| ctx.internal(&e))?;
    let key_file = ctx.state.db.key_file().display().to_string();
    let view = BackupsView {
        schedule: schedule.as_ref(),
        status: &status,
        list: &list,
        key_file: &key_file,
    };
    Ok(page(&ctx.view(), &view, notice))
}

#[handler]
pub async fn backup_now(ctx: Ctx) -> poem::Result<Response> {
    match ctx.state.backups.start_in_dir(ctx.actor()) {
        Ok(()) => Ok(see_other(&ctx, &format!("{PATH}?started=1"))),
        Err(BackupError::Busy(_)) => Ok(see_other(&ctx, &format!("{PATH}?busy=1"))),
        // The page says how to configure a directory; nothing was started.
        Err(BackupError::NoDirectory) => Ok(render(&ctx, None)
            .await?
            .with_status(StatusCode::CONFLICT)
            .into_response()),
        Err(e) => Err(ctx.internal(&e)),
    }
}
