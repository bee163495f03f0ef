//! Parameters › Profile.

use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::auth::{PasswordForm, apply_password_change};
use super::second_factor::{profile_state, with_session_cookie};
use super::{Ctx, see_other};
use crate::domain::navigation::{Area, area_home};
use crate::pages::login::PasswordErrors;
use crate::pages::profile::profile;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn parameters_home(ctx: Ctx) -> Response {
    let to = ctx
        .user()
        .and_then(|u| area_home(u, Area::Parameters))
        .unwrap_or("/parameters/profile");
    see_other(&ctx, to)
}

#[handler]
pub async fn profile_page(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    let done = q.done.as_deref().and_then(|d| match d {
        "password" => Some(ctx.t("Mot de passe changé.", "Password changed.")),
        "second_factor_off" => Some(ctx.t(
            "Double authentification désactivée.",
            "Two-factor authentication turned off.",
        )),
        _ => None,
    });
    let factor = profile_state(&ctx).await?;
    Ok(profile(&ctx.view(), done, &PasswordErrors::default(), &factor, None).into_response())
}

#[handler]
pub async fn profile_password(ctx: Ctx, Form(f): Form<PasswordForm>) -> poem::Result<Response> {
    match apply_password_change(&ctx, f).await? {
        Ok(token) => Ok(with_session_cookie(
            &ctx,
            see_other(&ctx, "/parameters/profile?done=password"),
            &token,
        )),
        Err(errors) => Ok(profile(
            &ctx.view(),
            None,
            &errors,
            &profile_state(&ctx).await?,
            None,
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()),
    }
}
