//! The second factor: the code step of sign-in, enrolment, disabling it from the
//! profile, an admin's reset, and Parameters › Security.

use poem::http::StatusCode;
use poem::web::cookie::SameSite;
use poem::web::{Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::middleware::{SESSION_COOKIE, cookie, read_cookie, safe_next};
use super::{Ctx, see_other};
use crate::auth::second_factor::{
    CodeStepError, DisableError, EnrolError, complete_sign_in, confirm_enrolment, disable_own,
    pending_user, required, start_enrolment,
};
use crate::db::security;
use crate::domain::auth::PASSWORD_MAX_AGE_RANGE;
use crate::domain::user::User;
use crate::pages::second_factor as pages;

/// Adds the session cookie carrying `token` to a response.
pub fn with_session_cookie(ctx: &Ctx, mut resp: Response, token: &str) -> Response {
    let c = cookie(&ctx.state, SESSION_COOKIE, token, SameSite::Lax);
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(poem::http::header::SET_COOKIE, v);
    }
    resp
}

fn session_token(ctx: &Ctx, req: &Request) -> Option<String> {
    read_cookie(req, &ctx.state, SESSION_COOKIE)
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The code page of a sign-in waiting for its second factor.
#[handler]
pub async fn code_page(
    ctx: Ctx,
    req: &Request,
    Query(q): Query<NextQuery>,
) -> poem::Result<Response> {
    let next = safe_next(q.next.as_deref());
    let Some(token) = session_token(&ctx, req) else {
        return Ok(see_other(&ctx, "/login"));
    };
    let now = ctx.now();
    if ctx
        .db(move |db| pending_user(db, &token, now))
        .await?
        .is_none()
    {
        return Ok(see_other(&ctx, "/login?expired=1"));
    }
    Ok(pages::code_page(&ctx.view(), &next, None).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

#[handler]
pub async fn code_submit(
    ctx: Ctx,
    req: &Request,
    Form(f): Form<CodeForm>,
) -> poem::Result<Response> {
    let next = safe_next(f.next.as_deref());
    let Some(token) = session_token(&ctx, req) else {
        return Ok(see_other(&ctx, "/login"));
    };
    if ctx.state.door.admit_ip(ctx.ip.parse().ok()).is_err() {
        return Ok(crate::pages::error::too_many_page(&ctx.view())
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .into_response());
    }
    let (now, ip) = (ctx.now(), ctx.ip.clone());
    let code: String = f.code.chars().take(64).collect();
    let (outcome, was_locked) = ctx
        .db(move |db| {
            let was_locked = pending_name_locked(db, &token, now);
            match complete_sign_in(db, &token, &code, now, &ip) {
                Ok(v) => Ok((Ok(v), was_locked)),
                Err(CodeStepError::Storage(e)) => Err(e),
                Err(e) => Ok((Err(e), was_locked)),
            }
        })
        .await?;
    if let Err(CodeStepError::Wrong | CodeStepError::Locked) = &outcome {
        let metrics = &ctx.state.gateway.metrics;
        metrics.sign_in_failure("code");
        if matches!(outcome, Err(CodeStepError::Locked)) && !was_locked {
            metrics.lockout();
        }
    }
    let message = match outcome {
        Ok((user, token)) => {
            tracing::info!(user = %user.username, ip = %ctx.ip, "signed in");
            let to = if user.must_change_password { "/password" } else { &next };
            return Ok(with_session_cookie(&ctx, see_other(&ctx, to), &token));
        }
        Err(CodeStepError::Wrong) => ctx.t(
            "Code incorrect ou déjà utilisé.",
            "Wrong or already used code.",
        ),
        Err(CodeStepError::Locked) => ctx.t(
            "Trop de tentatives : l'accès est bloqué pendant 30 minutes. Contactez le support pour le débloquer.",
            "Too many attempts: access is blocked for 30 minutes. Contact support to unlock it.",
        ),
        Err(CodeStepError::Refused) => ctx.t(
            "Ce compte ne peut plus se connecter. Contactez le support.",
            "This account may no longer sign in. Contact support.",
        ),
        Err(_) => return Ok(see_other(&ctx, "/login?expired=1")),
    };
    Ok(pages::code_page(&ctx.view(), &next, Some(message))
        .with_status(StatusCode::UNAUTHORIZED)
        .into_response())
}

/// Whether the user of the session waiting for its code is locked now (see
/// `auth::name_locked`).
fn pending_name_locked(db: &crate::db::Db, token: &str, now: time::OffsetDateTime) -> bool {
    db.session(token)
        .ok()
        .flatten()
        .and_then(|s| db.user(s.user_id).ok().flatten())
        .is_some_and(|u| super::auth::name_locked(db, &u.username, now))
}

/// Who may use the enrolment pages: signed in with a password already chosen.
/// Otherwise the path to go to instead.
fn enrolling_user(ctx: &Ctx) -> Result<&User, &'static str> {
    match ctx.user() {
        None => Err("/login"),
        Some(u) if u.must_change_password => Err("/password"),
        Some(u) => Ok(u),
    }
}

/// Enrolment: explains, shows the QR code and the secret of a pending factor.
#[handler]
pub async fn enrol_page(ctx: Ctx) -> poem::Result<Response> {
    let user = match enrolling_user(&ctx) {
        Ok(u) => u.clone(),
        Err(to) => return Ok(see_other(&ctx, to)),
    };
    if user.has_second_factor() {
        return Ok(see_other(&ctx, "/parameters/profile"));
    }
    let forced = ctx.signed.as_ref().is_some_and(|s| s.must_enrol);
    Ok(pages::enrol_page(&ctx.view(), &user, forced, None).into_response())
}

#[handler]
pub async fn enrol_start(ctx: Ctx) -> poem::Result<Response> {
    let user = match enrolling_user(&ctx) {
        Ok(u) => u.id,
        Err(to) => return Ok(see_other(&ctx, to)),
    };
    ctx.db(move |db| start_enrolment(db, user)).await?;
    Ok(see_other(&ctx, "/second-factor"))
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

#[handler]
pub async fn enrol_confirm(ctx: Ctx, Form(f): Form<EnrolForm>) -> poem::Result<Response> {
    let user = match enrolling_user(&ctx) {
        Ok(u) => u.clone(),
        Err(to) => return Ok(see_other(&ctx, to)),
    };
    let (now, ip, id) = (ctx.now(), ctx.ip.clone(), user.id);
    let keep = ctx
        .signed
        .as_ref()
        .map(|s| s.token.clone())
        .unwrap_or_default();
    let code: String = f.code.chars().take(64).collect();
    let password: String = f.password.chars().take(256).collect();
    let db = ctx.state.db.clone();
    let slot = super::hashing_slot(&ctx).await?;
    let outcome = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        confirm_enrolment(&db, id, &password, &code, now, &ip, &keep)
    })
    .await
    .map_err(|e| ctx.internal(&e))?;
    let msg = match outcome {
        Ok(codes) => return Ok(pages::recovery_codes(&ctx.view(), &codes).into_response()),
        Err(EnrolError::Storage(e)) => return Err(ctx.internal(&e)),
        Err(EnrolError::Locked) => return Ok(see_other(&ctx, "/login?expired=1")),
        Err(EnrolError::WrongPassword) => ctx.t("Mot de passe incorrect.", "Wrong password."),
        Err(EnrolError::WrongCode) => ctx.t(
            "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code affiché.",
            "Wrong code: check your phone's clock and type the code shown.",
        ),
    };
    let forced = ctx.signed.as_ref().is_some_and(|s| s.must_enrol);
    Ok(pages::enrol_page(&ctx.view(), &user, forced, Some(msg))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}

/// The second-factor part of the profile page.
pub async fn profile_state(ctx: &Ctx) -> poem::Result<pages::FactorState> {
    let user = ctx.require_user()?.clone();
    let left = user.second_factor.as_ref().map_or(0, |f| f.recovery.len());
    let enrolled = user.has_second_factor();
    let required = ctx.db(move |db| required(db, &user)).await?;
    Ok(pages::FactorState {
        enrolled,
        required,
        recovery_left: left,
    })
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    code: String,
}

#[handler]
pub async fn profile_disable(ctx: Ctx, Form(f): Form<DisableForm>) -> poem::Result<Response> {
    let id = ctx.require_user()?.id;
    let (now, ip) = (ctx.now(), ctx.ip.clone());
    let code: String = f.code.chars().take(64).collect();
    let slot = super::hashing_slot(&ctx).await?;
    let outcome = ctx
        .db(move |db| {
            // The hashing slot is held while the password is checked.
            let _slot = slot;
            match disable_own(db, id, &f.current, &code, now, &ip) {
                Ok(()) => Ok(Ok(())),
                Err(DisableError::Storage(e)) => Err(e),
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    let message = match outcome {
        Ok(()) => return Ok(see_other(&ctx, "/parameters/profile?done=second_factor_off")),
        Err(DisableError::Required) => ctx.t(
            "La double authentification est obligatoire pour ce compte.",
            "Two-factor authentication is required for this account.",
        ),
        Err(DisableError::WrongPassword) => {
            ctx.t("Mot de passe actuel incorrect.", "Wrong current password.")
        }
        Err(DisableError::WrongCode) => ctx.t("Code incorrect.", "Wrong code."),
        Err(DisableError::Locked) => ctx.t(
            "Trop de tentatives : l'accès est bloqué pendant 30 minutes et vos sessions sont terminées.",
            "Too many attempts: access is blocked for 30 minutes and your sessions have ended.",
        ),
        Err(_) => ctx.t(
            "Le compte a changé entre-temps : réessayez.",
            "The account changed meanwhile: please try again.",
        ),
    };
    let state = profile_state(&ctx).await?;
    Ok(crate::pages::profile::profile(
        &ctx.view(),
        None,
        &Default::default(),
        &state,
        (Some(message), None),
        &ctx.state.config.time_zone,
        &super::profile::own_state(&ctx, None).await?,
    )
    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
    .into_response())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// Parameters › Security (admins): password maximum age, merchants requiring 2FA.
#[handler]
pub async fn security_page(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    let (settings, merchants) = ctx
        .db(|db| {
            Ok((
                db.security_settings()?,
                db.merchants(crate::db::Scope::Admin)?,
            ))
        })
        .await?;
    let done = q
        .done
        .map(|_| ctx.t("Réglages enregistrés.", "Settings saved."));
    let age = settings.password_max_age_days.to_string();
    Ok(pages::security(&ctx.view(), &settings, &age, &merchants, done, None).into_response())
}

#[handler]
pub async fn security_submit(
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let merchants = ctx.db(|db| db.merchants(crate::db::Scope::Admin)).await?;
    let age_input = pairs
        .iter()
        .find(|(k, _)| k == "password_max_age_days")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let chosen: Vec<u64> = pairs
        .iter()
        .filter(|(k, _)| k == "second_factor")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| merchants.iter().any(|m| m.id == *id))
        .collect();
    let days = age_input
        .parse::<u32>()
        .ok()
        .filter(|d| PASSWORD_MAX_AGE_RANGE.contains(d));
    let settings = security::SecuritySettings {
        password_max_age_days: days.unwrap_or(0),
        second_factor_merchants: chosen,
    };
    if days.is_none() {
        let err = ctx.t(
            "Un nombre de jours entre 1 et 365.",
            "A number of days from 1 to 365.",
        );
        return Ok(pages::security(
            &ctx.view(),
            &settings,
            &age_input,
            &merchants,
            None,
            Some(err),
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response());
    }
    let actor = ctx.actor();
    ctx.db(move |db| db.set_security_settings(&settings, &actor))
        .await?;
    Ok(see_other(&ctx, "/parameters/security?done=saved"))
}
