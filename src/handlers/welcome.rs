//! The welcome link (issue 14, point 4): GET shows the choose-your-password form of a
//! valid link (an email scanner's visit uses nothing); POST sets the password, marks
//! the link used and signs the user in with a fresh session.

use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};

use super::auth::PasswordForm;
use super::second_factor::with_session_cookie;
use super::{Ctx, see_other};
use crate::domain::password::NewPassword;
use crate::domain::payment::link_hash;
use crate::domain::welcome::WelcomeStatus;
use crate::pages::login::PasswordErrors;
use crate::pages::welcome::{choose_password, unusable};

/// The page of a link that no longer works: 410 Gone.
fn gone(ctx: &Ctx, status: WelcomeStatus) -> Response {
    unusable(&ctx.view(), status == WelcomeStatus::Used)
        .with_status(StatusCode::GONE)
        .into_response()
}

/// The link's status and username; an unknown link reads as expired (404).
async fn check(ctx: &Ctx, token: &str) -> poem::Result<Result<String, Response>> {
    let hash = link_hash(token);
    let found = ctx.db(move |db| db.welcome_link(&hash)).await?;
    let now = ctx.now().unix_timestamp();
    Ok(match found {
        None => Err(unusable(&ctx.view(), false)
            .with_status(StatusCode::NOT_FOUND)
            .into_response()),
        Some((_, user)) if user.disabled => Err(gone(ctx, WelcomeStatus::Expired)),
        Some((link, user)) => match link.status(now) {
            WelcomeStatus::Valid => Ok(user.username),
            other => Err(gone(ctx, other)),
        },
    })
}

#[handler]
pub async fn welcome_page(ctx: Ctx, Path(token): Path<String>) -> poem::Result<Response> {
    Ok(match check(&ctx, &token).await? {
        Ok(username) => choose_password(&ctx.view(), &token, &username, &PasswordErrors::default())
            .into_response(),
        Err(page) => page,
    })
}

#[handler]
pub async fn welcome_submit(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> poem::Result<Response> {
    let username = match check(&ctx, &token).await? {
        Ok(u) => u,
        Err(page) => return Ok(page),
    };
    // The account's password is a random one nobody saw: no history to compare with.
    let checked = match NewPassword::parse(&f.new, &f.confirm, &username, |_| false) {
        Ok(p) => p,
        Err(e) => {
            let errors = PasswordErrors {
                new: Some(e.message(ctx.lang).into()),
                ..Default::default()
            };
            return Ok(choose_password(&ctx.view(), &token, &username, &errors)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let slot = super::hashing_slot(&ctx).await?;
    let (hash, now, ip) = (
        link_hash(&token),
        ctx.now().unix_timestamp(),
        ctx.ip.clone(),
    );
    let outcome = ctx
        .db(move |db| {
            let _slot = slot;
            let password_hash = match crate::auth::hash_password(checked.expose()) {
                Ok(h) => h,
                Err(e) => return Ok(Err(e)),
            };
            db.use_welcome_link(&hash, password_hash, now, &ip).map(Ok)
        })
        .await?
        .map_err(|e| ctx.internal(&e))?;
    Ok(match outcome {
        Ok(session) => {
            tracing::info!(user = %crate::domain::text::log_safe(&username), ip = %ctx.ip, "first password chosen through a welcome link");
            with_session_cookie(&ctx, see_other(&ctx, "/"), &session)
        }
        Err(status) => gone(&ctx, status),
    })
}
