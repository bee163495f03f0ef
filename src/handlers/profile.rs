//! Parameters › Profile.

use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::auth::{PasswordForm, apply_password_change};
use super::second_factor::{profile_state, with_session_cookie};
use super::{Ctx, see_other};
use crate::domain::navigation::{Area, area_home};
use crate::domain::zone::Zone;
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
        "time_zone" => Some(ctx.t(
            "Fuseau horaire enregistré : les dates s'affichent désormais dans ce fuseau.",
            "Time zone saved: dates now show in this zone.",
        )),
        "second_factor_off" => Some(ctx.t(
            "Double authentification désactivée.",
            "Two-factor authentication turned off.",
        )),
        _ => None,
    });
    let factor = profile_state(&ctx).await?;
    Ok(profile(
        &ctx.view(),
        done,
        &PasswordErrors::default(),
        &factor,
        (None, None),
        &ctx.state.config.time_zone,
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    /// An IANA name; empty: the appliance's zone.
    #[serde(default)]
    time_zone: String,
}

/// Saves the signed-in user's own time zone (or none: the appliance's). An unknown
/// name shows the profile again with the message in place (422).
#[handler]
pub async fn profile_time_zone(ctx: Ctx, Form(f): Form<TimeZoneForm>) -> poem::Result<Response> {
    let user = ctx.require_user()?.id;
    let typed = f.time_zone.trim();
    let zone = if typed.is_empty() {
        None
    } else {
        match Zone::parse(typed) {
            Ok(z) => Some(z),
            Err(_) => {
                let shown = crate::domain::text::log_safe_max(typed, 64);
                let message = match ctx.lang {
                    crate::domain::Lang::Fr => format!(
                        "« {shown} » : fuseau horaire inconnu. Choisissez-en un dans la liste (nom IANA, par exemple Africa/Casablanca)."
                    ),
                    crate::domain::Lang::En => format!(
                        "\"{shown}\": unknown time zone. Choose one from the list (an IANA name such as Africa/Casablanca)."
                    ),
                };
                let factor = profile_state(&ctx).await?;
                return Ok(profile(
                    &ctx.view(),
                    None,
                    &PasswordErrors::default(),
                    &factor,
                    (None, Some(&message)),
                    &ctx.state.config.time_zone,
                )
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
            }
        }
    };
    ctx.db(move |db| db.set_user_time_zone(user, zone)).await?;
    Ok(see_other(
        &ctx,
        "/parameters/profile?done=time_zone#time-zone",
    ))
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
            (None, None),
            &ctx.state.config.time_zone,
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()),
    }
}
