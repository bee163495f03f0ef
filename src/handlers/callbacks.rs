//! Parameters › Merchants › merchant › Callbacks: admins for every merchant, a
//! merchant's user managers for theirs (anyone else gets 404).

use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::Ctx;
use crate::db::Scope;
use crate::domain::user::Merchant;
use crate::pages::callbacks::{SecretView, page};

/// The merchant of the path, if the reader may see it (else 404).
async fn merchant_for(ctx: &Ctx, id: &str) -> poem::Result<Merchant> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    if !scope.allows(id) {
        return Err(ctx.not_found());
    }
    ctx.db(move |db| db.merchant(scope, id))
        .await?
        .ok_or_else(|| ctx.not_found())
}

/// The parameters tab the page belongs to for this reader.
fn tab(ctx: &Ctx) -> &'static str {
    match ctx.scope() {
        Scope::Admin => "/parameters/merchants",
        Scope::Merchant(_) => "/parameters/api",
    }
}

async fn render(
    ctx: &Ctx,
    m: &Merchant,
    new_secret: Option<&str>,
    refusal: Option<&str>,
) -> poem::Result<maud::Markup> {
    let mid = m.id;
    let (secret, items) = ctx
        .db(move |db| {
            Ok((
                db.callback_secret(mid)?,
                db.callbacks_of_merchant(mid, 100)?,
            ))
        })
        .await?;
    let view = ctx.view();
    let secret = SecretView {
        created_at: secret.map(|s| s.created_at),
        new_secret,
        refusal,
    };
    Ok(page(&view, m, &secret, &items, tab(ctx)))
}

#[handler]
pub async fn callbacks_page(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let m = merchant_for(&ctx, &id).await?;
    Ok(render(&ctx, &m, None, None).await?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SecretForm {
    action: String,
}

/// Makes a new signing secret and shows it once (never cached).
#[handler]
pub async fn callbacks_rotate(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SecretForm>,
) -> poem::Result<Response> {
    let m = merchant_for(&ctx, &id).await?;
    if f.action != "rotate" {
        let why = ctx.t(
            "Demande incomplète : utilisez le bouton « Créer un nouveau secret ».",
            "Incomplete request: use the \"Make a new secret\" button.",
        );
        return Ok(render(&ctx, &m, None, Some(why))
            .await?
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    }
    let (mid, actor) = (m.id, ctx.actor());
    let secret = ctx
        .db(move |db| db.rotate_callback_secret(mid, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(render(&ctx, &m, Some(&secret), None)
        .await?
        .with_header("cache-control", "no-store")
        .into_response())
}
