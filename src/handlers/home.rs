//! The back-office home (a redirect to the first screen the user may use) and the
//! health check.

use poem::{IntoResponse, Response, handler};

use super::{Ctx, see_other};
use crate::domain::navigation::landing;

/// The home of the back office: the first screen of the navigation the user may open.
#[handler]
pub async fn home(ctx: Ctx) -> Response {
    let to = ctx.user().map_or("/login", landing);
    see_other(&ctx, to)
}

/// Liveness for a supervisor: the data file answers. Says nothing about volumes.
#[handler]
pub async fn health(ctx: Ctx) -> poem::Result<Response> {
    ctx.db(|db| db.transaction_count()).await?;
    Ok(poem::web::Json(serde_json::json!({"status": "ok"})).into_response())
}
