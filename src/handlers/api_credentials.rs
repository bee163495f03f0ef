//! Parameters › Merchants › merchant › API (issue 13): an admin manages any
//! merchant's API credentials, a user manager their own merchant's (any other
//! merchant is a 404). Creating shows the password once, in the answer to the POST
//! (nothing keeps it: a reload of the list never shows it again); revoking answers
//! its confirmation first (a POST without `confirmed=1` changes nothing).

use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::user::Merchant;
use crate::pages::api_credentials::{confirm_revoke, created, list, path};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    revoked: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    confirmed: String,
}

/// Merchant `id` if this user may manage its credentials: admins any, a merchant
/// user only their own (the route asks *manage users*).
async fn merchant(ctx: &Ctx, id: &str) -> poem::Result<Merchant> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    ctx.db(move |db| db.merchant(scope, id))
        .await?
        .ok_or_else(|| ctx.not_found())
}

#[handler]
pub async fn api_credentials_list(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let m = merchant(&ctx, &id).await?;
    let mid = m.id;
    let rows = ctx.db(move |db| db.api_credentials(mid)).await?;
    // Only an originator of this merchant is echoed back.
    let done = q
        .revoked
        .filter(|o| rows.iter().any(|r| r.credential.originator == *o))
        .map(|o| {
            format!(
                "{} {o} {}",
                ctx.t("Identifiant", "Credential"),
                ctx.t("révoqué.", "revoked.")
            )
        });
    let base = &ctx.state.config.base_url;
    Ok(list(&ctx.view(), &m, &rows, base, done.as_deref())
        .with_header("Cache-Control", "no-store")
        .into_response())
}

#[handler]
pub async fn api_credential_create(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let m = merchant(&ctx, &id).await?;
    let (mid, actor) = (m.id, ctx.actor());
    let issued = ctx
        .db(move |db| db.api_credential_create(mid, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    let base = &ctx.state.config.base_url;
    let page = created(&ctx.view(), &m, &issued.credential, &issued.password, base);
    Ok(page
        .with_header("Cache-Control", "no-store")
        .into_response())
}

async fn confirmation(ctx: &Ctx, id: &str, credential: &str) -> poem::Result<Response> {
    let m = merchant(ctx, id).await?;
    let cid: u64 = credential.parse().map_err(|_| ctx.not_found())?;
    let mid = m.id;
    let c = ctx
        .db(move |db| db.api_credential(mid, cid))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    if !c.is_active() {
        return Ok(see_other(ctx, &path(mid)));
    }
    Ok(confirm_revoke(&ctx.view(), &m, &c).into_response())
}

#[handler]
pub async fn api_credential_revoke_confirm(
    ctx: Ctx,
    Path((id, credential)): Path<(String, String)>,
) -> poem::Result<Response> {
    confirmation(&ctx, &id, &credential).await
}

#[handler]
pub async fn api_credential_revoke(
    ctx: Ctx,
    Path((id, credential)): Path<(String, String)>,
    Form(f): Form<ConfirmForm>,
) -> poem::Result<Response> {
    if f.confirmed != "1" {
        return confirmation(&ctx, &id, &credential).await;
    }
    let m = merchant(&ctx, &id).await?;
    let cid: u64 = credential.parse().map_err(|_| ctx.not_found())?;
    let (mid, actor) = (m.id, ctx.actor());
    let c = ctx
        .db(move |db| db.api_credential_revoke(mid, cid, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(
        &ctx,
        &format!("{}?revoked={}", path(mid), c.originator),
    ))
}
