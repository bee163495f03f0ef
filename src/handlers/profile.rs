//! Parameters › Profile.

use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::auth::{PasswordForm, apply_password_change};
use super::{Ctx, see_other};
use crate::pages::login::PasswordErrors;
use crate::pages::profile::profile;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn parameters_home(ctx: Ctx) -> Response {
    see_other(&ctx, "/parameters/profile")
}

#[handler]
pub async fn profile_page(ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let done = q
        .done
        .filter(|d| d == "password")
        .map(|_| ctx.t("Mot de passe changé.", "Password changed."));
    profile(&ctx, done, &PasswordErrors::default()).into_response()
}

#[handler]
pub async fn profile_password(ctx: Ctx, Form(f): Form<PasswordForm>) -> poem::Result<Response> {
    match apply_password_change(&ctx, f).await? {
        None => Ok(see_other(&ctx, "/parameters/profile?done=password")),
        Some(errors) => Ok(profile(&ctx, None, &errors)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()),
    }
}
