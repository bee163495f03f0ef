//! Processing › Authorizations to capture.

use poem::web::Query;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::Ctx;
use crate::db::Scope;
use crate::pages::authorizations::{AuthorizationsView, MAX_ROWS, authorizations_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuthorizationsQuery {
    /// A merchant's id (admins; a merchant's own users may give their own); blank: all.
    merchant: String,
}

#[handler]
pub async fn authorizations_list(
    ctx: Ctx,
    Query(q): Query<AuthorizationsQuery>,
) -> poem::Result<Response> {
    let scope = ctx.scope();
    let merchant = match q.merchant.trim() {
        "" => None,
        v => Some(v.parse::<u64>().map_err(|_| ctx.not_found())?),
    };
    let now = ctx.now().unix_timestamp();
    let found = ctx
        .db(move |db| {
            // A merchant not visible in this scope is no merchant at all.
            if let Some(m) = merchant
                && db.merchant(scope, m)?.is_none()
            {
                return Ok(None);
            }
            let (total, rows) = db.open_authorizations_first(scope, merchant, now, MAX_ROWS)?;
            Ok(Some((total, rows, db.merchants(scope)?)))
        })
        .await?;
    let (total, rows, merchants) = found.ok_or_else(|| ctx.not_found())?;
    let view = AuthorizationsView {
        total,
        rows: &rows,
        merchants: &merchants,
        merchant,
        admin: scope == Scope::Admin,
    };
    Ok(authorizations_page(&ctx.view(), &view).into_response())
}
