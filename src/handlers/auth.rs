//! Sign-in, sign-out, language switch and the forced password change.

use poem::http::StatusCode;
use poem::web::cookie::SameSite;
use poem::web::{Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::middleware::{LANG_COOKIE, SESSION_COOKIE, cookie, read_cookie, safe_next, urlencode};
use super::second_factor::with_session_cookie;
use super::{Ctx, see_other};
use crate::auth::login::{ChangeError, SignInError, change_password, entry, sign_in};
use crate::db::sessions::SessionStage;
use crate::domain::Lang;
use crate::domain::support_contacts::SupportContacts;
use crate::pages::login::{PasswordErrors, forced_change, login};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    expired: Option<String>,
}

#[handler]
pub async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user().is_some() {
        return see_other(&ctx, &safe_next(q.next.as_deref()));
    }
    let notice = q.expired.map(|_| {
        ctx.t(
            "Votre session a expiré : reconnectez-vous.",
            "Your session has expired: please sign in again.",
        )
    });
    let support = support_contacts(&ctx).await;
    login(
        &ctx.view(),
        "",
        &safe_next(q.next.as_deref()),
        None,
        notice,
        &support,
    )
    .into_response()
}

/// The support contacts for the sign-in page's help line: none (the generic line)
/// when they cannot be read, so that signing in never depends on them.
async fn support_contacts(ctx: &Ctx) -> SupportContacts {
    match ctx.db(|db| db.support_contacts()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "support contacts unreadable");
            SupportContacts::default()
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[handler]
pub async fn login_submit(
    ctx: Ctx,
    req: &Request,
    Form(f): Form<LoginForm>,
) -> poem::Result<Response> {
    let next = safe_next(f.next.as_deref());
    let door = ctx.state.door.clone();
    let refused = || {
        crate::pages::error::too_many_page(&ctx.view())
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .into_response()
    };
    if door.admit(ctx.ip.parse().ok(), &f.username).is_err() {
        return Ok(refused());
    }
    let Ok(slot) = door.slot().await else {
        return Ok(refused());
    };
    let (db, now, ip) = (ctx.state.db.clone(), ctx.now(), ctx.ip.clone());
    let (username, password) = (f.username.clone(), f.password);
    // The language picked on the sign-in page (its cookie) stays on the account.
    let chosen = read_cookie(req, &ctx.state, LANG_COOKIE).and_then(|c| Lang::parse(&c));
    // The slot goes with the hash: a client that hangs up does not free it early.
    let (outcome, was_locked) = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let was_locked = name_locked(&db, &username, now);
        (
            sign_in(&db, &username, &password, now, &ip, chosen),
            was_locked,
        )
    })
    .await
    .map_err(|e| ctx.internal(&e))?;
    if let Err(SignInError::Invalid | SignInError::Locked) = &outcome {
        let metrics = &ctx.state.gateway.metrics;
        metrics.sign_in_failure("password");
        if matches!(outcome, Err(SignInError::Locked)) && !was_locked {
            metrics.lockout();
        }
    }
    let message = match outcome {
        Ok(signed) => {
            tracing::info!(user = %crate::domain::text::log_safe(&signed.user.username), ip = %ctx.ip, "password accepted");
            let to = match signed.stage {
                SessionStage::SecondFactor => format!("/login/code?next={}", urlencode(&next)),
                SessionStage::Full if signed.user.must_change_password => "/password".into(),
                SessionStage::Full => next.clone(),
            };
            return Ok(with_session_cookie(
                &ctx,
                see_other(&ctx, &to),
                &signed.token,
            ));
        }
        Err(e) => match e.message(ctx.lang) {
            Some(message) => message,
            None => return Err(ctx.internal(&e)),
        },
    };
    tracing::info!(username = %crate::domain::text::log_safe(&f.username), ip = %ctx.ip, "sign-in refused");
    let support = support_contacts(&ctx).await;
    Ok(login(
        &ctx.view(),
        &f.username,
        &next,
        Some(message),
        None,
        &support,
    )
    .with_status(StatusCode::UNAUTHORIZED)
    .into_response())
}

#[handler]
pub async fn logout(ctx: Ctx, req: &Request) -> poem::Result<Response> {
    // Any session of the cookie ends, a full one or one waiting for its code.
    if let Some(token) = read_cookie(req, &ctx.state, SESSION_COOKIE) {
        let who = ctx.user().map(|u| (u.username.clone(), u.merchant_id()));
        let (now, ip) = (ctx.now(), ctx.ip.clone());
        let line = who.map(|(name, merchant)| entry(&name, &ip, "auth.sign_out", merchant, now));
        ctx.db(move |db| db.sign_out(&token, line.as_ref())).await?;
    }
    let mut resp = see_other(&ctx, "/login");
    let mut c = cookie(&ctx.state, SESSION_COOKIE, "", SameSite::Lax);
    c.make_removal();
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(poem::http::header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
    next: Option<String>,
}

/// Switches the language: remembered in a cookie, and on the account when signed in.
#[handler]
pub async fn lang_set(ctx: Ctx, Form(f): Form<LangForm>) -> poem::Result<Response> {
    let lang = Lang::parse(&f.lang).unwrap_or_default();
    if let Some(id) = ctx.user().map(|u| u.id) {
        ctx.db(move |db| db.set_user_lang(id, lang)).await?;
    }
    let mut resp = see_other(&ctx, &safe_next(f.next.as_deref()));
    let mut c = cookie(&ctx.state, LANG_COOKIE, lang.code(), SameSite::Lax);
    c.set_max_age(std::time::Duration::from_secs(365 * 86_400));
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(poem::http::header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[handler]
pub async fn password_page(ctx: Ctx) -> Response {
    match ctx.user() {
        None => see_other(&ctx, "/login"),
        Some(u) if !u.must_change_password => see_other(&ctx, "/parameters/profile"),
        Some(_) => forced_change(&ctx.view(), &PasswordErrors::default()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub confirm: String,
}

/// Runs a password change for the signed-in user; `Ok(Ok(token))` on success with the
/// token of the new session (every other session ended), or the messages to show again.
pub async fn apply_password_change(
    ctx: &Ctx,
    f: PasswordForm,
) -> poem::Result<Result<String, PasswordErrors>> {
    let Some(s) = ctx.signed.clone() else {
        return Err(ctx.not_found());
    };
    let (db, now, ip) = (ctx.state.db.clone(), ctx.now(), ctx.ip.clone());
    let slot = super::hashing_slot(ctx).await?;
    let outcome = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        change_password(&db, s.user.id, &f.current, &f.new, &f.confirm, now, &ip)
    })
    .await
    .map_err(|e| ctx.internal(&e))?;
    let general = |m: &str| PasswordErrors {
        general: Some(m.into()),
        ..Default::default()
    };
    match outcome {
        Ok(token) => Ok(Ok(token)),
        Err(ChangeError::WrongCurrent) => Ok(Err(PasswordErrors {
            current: Some(
                ctx.t("Mot de passe actuel incorrect.", "Wrong current password.")
                    .into(),
            ),
            ..Default::default()
        })),
        Err(ChangeError::Locked) => Ok(Err(general(ctx.t(
            "Trop de tentatives : l'accès est bloqué pendant 30 minutes et vos sessions sont terminées.",
            "Too many attempts: access is blocked for 30 minutes and your sessions have ended.",
        )))),
        Err(ChangeError::Changed) => Ok(Err(general(ctx.t(
            "Le mot de passe a été changé entre-temps : reconnectez-vous.",
            "The password was changed meanwhile: please sign in again.",
        )))),
        Err(ChangeError::Policy(e)) => Ok(Err(PasswordErrors {
            new: Some(e.message(ctx.lang).into()),
            ..Default::default()
        })),
        Err(ChangeError::Storage(e)) => Err(ctx.internal(&e)),
        Err(ChangeError::Hash(e)) => Err(ctx.internal(&e)),
    }
}

#[handler]
pub async fn password_submit(ctx: Ctx, Form(f): Form<PasswordForm>) -> poem::Result<Response> {
    if ctx.user().is_none() {
        return Ok(see_other(&ctx, "/login"));
    }
    match apply_password_change(&ctx, f).await? {
        Ok(token) => Ok(with_session_cookie(&ctx, see_other(&ctx, "/"), &token)),
        Err(errors) => Ok(forced_change(&ctx.view(), &errors)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()),
    }
}

/// Whether `username` is locked now (read before a sign-in step, so that a step
/// refused as locked tells whether it set the lock: a lockout for the metrics).
pub fn name_locked(db: &crate::db::Db, username: &str, now: time::OffsetDateTime) -> bool {
    crate::domain::auth::normalise_username(username)
        .and_then(|name| db.attempts(&name).ok())
        .is_some_and(|a| a.is_locked(now))
}
