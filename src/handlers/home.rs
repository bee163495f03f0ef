//! The back-office home (a redirect to the first screen the user may use) and the
//! health check.

use poem::{IntoResponse, Response, handler};

use super::{Ctx, see_other};

/// The home of the back office.
#[handler]
pub async fn home(ctx: Ctx) -> Response {
    let p = ctx.user().map(|u| u.permissions()).unwrap_or_default();
    if p.view {
        see_other(&ctx, "/transactions")
    } else if p.virtual_terminal {
        see_other(&ctx, "/terminal")
    } else {
        see_other(&ctx, "/parameters/profile")
    }
}

/// Liveness for a supervisor: the data file answers. Says nothing about volumes.
#[handler]
pub async fn health(ctx: Ctx) -> poem::Result<Response> {
    ctx.db(|db| db.transaction_count()).await?;
    Ok(poem::web::Json(serde_json::json!({"status": "ok"})).into_response())
}
