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
use crate::pages::profile::{Own, SessionRow, profile};

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
        "email" => Some(ctx.t("Adresse email enregistrée.", "Email address saved.")),
        "sessions" => Some(ctx.t(
            "Toutes vos autres sessions sont terminées.",
            "All your other sessions have ended.",
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
        &own_state(&ctx, None).await?,
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
                    &own_state(&ctx, None).await?,
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
            &own_state(&ctx, None).await?,
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()),
    }
}

/// The email and sessions part of the profile; `refused` is a typed address and its
/// message, shown again in place of the stored one.
pub async fn own_state(ctx: &Ctx, refused: Option<(String, String)>) -> poem::Result<Own> {
    let Some(s) = ctx.signed.clone() else {
        return Ok(Own::default());
    };
    let (id, now) = (s.user.id, ctx.now());
    let sessions = ctx
        .db(move |db| db.sessions_of(id, &s.token, now))
        .await?
        .into_iter()
        .map(|(s, current)| SessionRow {
            created_at: s.created_at,
            last_seen: s.last_seen,
            ip: s.ip,
            current,
        })
        .collect();
    let (email, email_error) = match refused {
        Some((typed, message)) => (typed, Some(message)),
        None => (ctx.require_user()?.email.clone(), None),
    };
    Ok(Own {
        sessions,
        email,
        email_error,
    })
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Saves the signed-in user's own email address (empty: none). A malformed one shows
/// the profile again with the message in place (422).
#[handler]
pub async fn profile_email(ctx: Ctx, Form(f): Form<EmailForm>) -> poem::Result<Response> {
    let user = ctx.require_user()?.id;
    let typed = f.email.trim().to_string();
    let problem = crate::domain::text::free_text_error("email", &typed, false)
        .map(|e| e.message(ctx.lang).to_string())
        .or_else(|| {
            (!typed.is_empty() && !crate::domain::request_form::valid_email(&typed)).then(|| {
                ctx.t(
                    "Adresse email invalide : elle doit ressembler à nom@domaine.ma.",
                    "Invalid email address: it should look like name@domain.com.",
                )
                .to_string()
            })
        });
    if let Some(message) = problem {
        let shown = crate::domain::card::echo_safe(&typed);
        let factor = profile_state(&ctx).await?;
        return Ok(profile(
            &ctx.view(),
            None,
            &PasswordErrors::default(),
            &factor,
            (None, None),
            &ctx.state.config.time_zone,
            &own_state(&ctx, Some((shown, message))).await?,
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response());
    }
    let actor = ctx.actor();
    ctx.db(move |db| db.set_own_email(user, typed, &actor))
        .await?;
    Ok(see_other(&ctx, "/parameters/profile?done=email#email"))
}

/// Ends every session of the signed-in user but this one.
#[handler]
pub async fn profile_end_other_sessions(ctx: Ctx) -> poem::Result<Response> {
    let Some(s) = ctx.signed.clone() else {
        return Err(ctx.not_found());
    };
    let actor = ctx.actor();
    ctx.db(move |db| db.end_other_sessions(s.user.id, &s.token, &actor))
        .await?;
    Ok(see_other(
        &ctx,
        "/parameters/profile?done=sessions#sessions",
    ))
}
