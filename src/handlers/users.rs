//! Parameters › Users: admins manage everyone, merchant managers their merchant's users.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::auth::bootstrap::{NewAccount, create_account};
use crate::auth::login::one_time_password;
use crate::domain::user::{
    AccountState, ActionRefused, FieldError, Merchant, Permissions, ProfileChange, Role, User,
    UserAction, parse_username,
};
use crate::pages::users::{DetailView, UserFormValues, detail, list, new_form};

/// A user visible to the signed-in manager, with its state, or 404.
async fn visible_user(ctx: &Ctx, id: &str) -> poem::Result<(User, AccountState)> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let (scope, now) = (ctx.scope(), ctx.now());
    let found = ctx.db(move |db| db.user_with_state(scope, id, now)).await?;
    found.ok_or_else(|| ctx.not_found())
}

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    merchant: Option<String>,
}

#[handler]
pub async fn users_list(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    let (scope, now) = (ctx.scope(), ctx.now());
    let (all, merchants) = ctx
        .db(move |db| Ok((db.users_with_state(scope, now)?, db.merchants(scope)?)))
        .await?;
    let done = q
        .done
        .map(|_| ctx.t("Utilisateur enregistré.", "User saved."));
    Ok(list(&ctx.view(), &all, &merchants, done).into_response())
}

#[handler]
pub async fn user_new(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let preselected = q
        .merchant
        .or_else(|| merchants.first().map(|m| m.id.to_string()));
    let values = UserFormValues {
        role: preselected.map_or("admin".into(), |m| format!("merchant:{m}")),
        permissions: Permissions {
            view: true,
            export: true,
            ..Permissions::default()
        },
        ..UserFormValues::default()
    };
    Ok(new_form(&ctx.view(), &values, &merchants, &[]).into_response())
}

/// Reads the user form (checkboxes repeat `perm`).
fn form_values(pairs: &[(String, String)]) -> UserFormValues {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    UserFormValues {
        username: get("username"),
        full_name: get("full_name"),
        email: get("email"),
        role: get("role"),
        permissions: Permissions::from_keys(
            pairs
                .iter()
                .filter(|(k, _)| k == "perm")
                .map(|(_, v)| v.as_str()),
        ),
    }
}

/// The 403 page: the account exists and is visible, but this action is not allowed.
fn forbidden(ctx: &Ctx) -> poem::Error {
    let page =
        crate::pages::error::page(&ctx.view(), crate::pages::error::ErrorKind::Forbidden, "");
    poem::Error::from_response(page.with_status(StatusCode::FORBIDDEN).into_response())
}

/// The values a refused form shows again: never a card number.
fn echo(v: &UserFormValues) -> UserFormValues {
    use crate::domain::card::echo_safe;
    UserFormValues {
        username: echo_safe(&v.username),
        full_name: echo_safe(&v.full_name),
        email: echo_safe(&v.email),
        ..v.clone()
    }
}

/// Free-text fields of the user form: no control characters, no card number.
fn text_errors(v: &UserFormValues) -> Vec<FieldError> {
    use crate::domain::text::free_text_error;
    [
        free_text_error("full_name", &v.full_name, false),
        free_text_error("email", &v.email, false),
        (!v.email.is_empty() && !crate::domain::request_form::valid_email(&v.email))
            .then(|| FieldError::new("email", "Adresse email invalide.", "Invalid email address.")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The role chosen in the form, checked against what the signed-in user may grant
/// to `target` (`None`: a new account).
fn parse_role(
    me: &User,
    target: Option<&User>,
    v: &UserFormValues,
    merchants: &[Merchant],
) -> Result<Role, FieldError> {
    let ids: Vec<u64> = merchants.iter().map(|m| m.id).collect();
    me.grant_role(target, &v.role, v.permissions, &ids)
}

#[handler]
pub async fn user_create(
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let v = form_values(&pairs);
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let mut errors = Vec::new();
    let username = parse_username(&v.username).map_err(|e| errors.push(e)).ok();
    let role = parse_role(ctx.require_user()?, None, &v, &merchants)
        .map_err(|e| errors.push(e))
        .ok();
    errors.extend(text_errors(&v));
    let (Some(username), Some(role), true) = (username, role, errors.is_empty()) else {
        return Ok(refused(new_form(
            &ctx.view(),
            &echo(&v),
            &merchants,
            &errors,
        )));
    };
    let account = NewAccount {
        username,
        full_name: v.full_name.clone(),
        email: v.email.clone(),
        role,
    };
    let (otp, now, actor) = (one_time_password(), ctx.now(), ctx.actor());
    let otp2 = otp.clone();
    let created = ctx
        .db(move |db| Ok(create_account(db, account, &otp2, now, &actor)))
        .await?
        .map_err(|e| ctx.internal(&e))?;
    let Some(user) = created else {
        let e = FieldError::new(
            "username",
            "Ce nom d'utilisateur est déjà pris.",
            "This username is already taken.",
        );
        return Ok(refused(new_form(&ctx.view(), &echo(&v), &merchants, &[e])));
    };
    if ctx.state.gateway.smtp_configured && !user.email.is_empty() {
        send_welcome_link(&ctx, &user, true).await?;
        return Ok(see_other(
            &ctx,
            &format!("/parameters/users/{}?done=link_sent", user.id),
        ));
    }
    Ok(crate::pages::users::one_time_password(&ctx.view(), &user, &otp).into_response())
}

/// Queues the welcome email of `user` with a new one-time sign-in link (its secret
/// stored only as a hash), in the language of the manager's page; `new_account`
/// says whether the account was just created or a manager sent a new link.
async fn send_welcome_link(ctx: &Ctx, user: &User, new_account: bool) -> poem::Result<()> {
    use crate::domain::welcome::{WelcomeLink, welcome_link};
    let token = crate::db::sessions::new_token();
    let hash = crate::domain::payment::link_hash(&token);
    let now = ctx.now().unix_timestamp();
    let link = welcome_link(&ctx.state.gateway.base_url, &token);
    let templates = ctx.db(|db| db.email_templates()).await?;
    let mut mail = crate::mail::welcome(user, &link, (ctx.lang, new_account), now, &templates);
    let record = WelcomeLink::new(user.id, now);
    let (user, actor) = (user.clone(), ctx.actor());
    ctx.db(move |db| db.issue_welcome_link(&hash, &record, &user, &mut mail, &actor))
        .await?;
    ctx.state.gateway.mail_ready.notify_one();
    Ok(())
}

/// The key of the "send a new sign-in link" action in its URL.
pub const SEND_LINK: &str = "send_link";

/// Emails `user` a new one-time sign-in link (a forgotten password, a welcome email
/// lost or expired): allowed where a password reset is, offered only with an SMTP
/// server and an email address. Their current password keeps working until the
/// link is used.
async fn send_new_link(ctx: &Ctx, user: &User) -> poem::Result<Response> {
    let me = ctx.require_user()?.clone();
    UserAction::Reset
        .allowed_on(&me, user)
        .map_err(|r| refusal(ctx, r))?;
    if !ctx.state.gateway.smtp_configured || user.email.is_empty() || user.disabled {
        return Err(ctx.not_found());
    }
    send_welcome_link(ctx, user, false).await?;
    Ok(see_other(
        ctx,
        &format!("/parameters/users/{}?done=link_resent", user.id),
    ))
}

/// A form shown again with its messages: 422.
fn refused(form: maud::Markup) -> Response {
    form.with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

fn values_of(u: &User) -> UserFormValues {
    UserFormValues {
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        email: u.email.clone(),
        role: u
            .merchant_id()
            .map_or("admin".into(), |m| format!("merchant:{m}")),
        permissions: match u.role {
            Role::Admin => Permissions::default(),
            Role::Merchant { permissions, .. } => permissions,
        },
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn user_detail(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let (user, state) = visible_user(&ctx, &id).await?;
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let done = q.done.as_deref().map(|d| match UserAction::parse(d) {
        Some(a) => a.done(ctx.lang),
        None if d == "link_sent" => ctx.t(
            "Utilisateur créé : un email contenant un lien de connexion (valable 24 heures, une seule fois) lui a été envoyé.",
            "User created: an email with a sign-in link (valid 24 hours, once) was sent to them.",
        ),
        None if d == "link_resent" => ctx.t(
            "Un nouveau lien de connexion (valable 24 heures, une seule fois) lui a été envoyé par email.",
            "A new sign-in link (valid 24 hours, once) was emailed to them.",
        ),
        None => ctx.t("Utilisateur enregistré.", "User saved."),
    });
    let view = DetailView {
        user: &user,
        state,
        values: values_of(&user),
        merchants: &merchants,
        errors: &[],
        done,
        email_links: ctx.state.gateway.smtp_configured,
    };
    Ok(detail(&ctx.view(), &view).into_response())
}

#[handler]
pub async fn user_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let (user, state) = visible_user(&ctx, &id).await?;
    if !ctx.user().is_some_and(|me| me.may_manage(&user)) {
        return Err(forbidden(&ctx));
    }
    let v = form_values(&pairs);
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let mut errors = text_errors(&v);
    let role = match parse_role(ctx.require_user()?, Some(&user), &v, &merchants) {
        Ok(r) if errors.is_empty() => r,
        other => {
            errors.extend(other.err());
            let view = DetailView {
                user: &user,
                state,
                values: echo(&v),
                merchants: &merchants,
                errors: &errors,
                done: None,
                email_links: ctx.state.gateway.smtp_configured,
            };
            return Ok(refused(detail(&ctx.view(), &view)));
        }
    };
    let (uid, actor) = (user.id, ctx.actor());
    let change = ProfileChange {
        full_name: v.full_name,
        email: v.email,
        role,
    };
    ctx.db(move |db| db.update_user(scope, uid, change, &actor))
        .await?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/users/{uid}?done=saved"),
    ))
}

/// unlock, reset, reactivate, disable, enable, second_factor_reset: checked and
/// written in one step by `Db::apply_user_action`.
#[handler]
pub async fn user_action(
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
) -> poem::Result<Response> {
    let (user, _) = visible_user(&ctx, &id).await?;
    if action == SEND_LINK {
        return send_new_link(&ctx, &user).await;
    }
    let action = UserAction::parse(&action).ok_or_else(|| ctx.not_found())?;
    let me = ctx.require_user()?.clone();
    // Checked here before any password is hashed, and again inside the write.
    action
        .allowed_on(&me, &user)
        .map_err(|r| refusal(&ctx, r))?;
    let (scope, uid, actor) = (ctx.scope(), user.id, ctx.actor());
    let otp = action.issues_password().then(one_time_password);
    let password = otp.clone();
    let applied = ctx
        .db(move |db| {
            let hash = match password.map(|p| crate::auth::hash_password(&p)).transpose() {
                Ok(hash) => hash,
                Err(e) => return Ok(Err(e)),
            };
            db.apply_user_action(scope, uid, action, &me, &actor, hash)
                .map(Ok)
        })
        .await?
        .map_err(|e| ctx.internal(&e))?;
    let user = applied.map_err(|r| refusal(&ctx, r))?;
    Ok(match otp {
        Some(otp) => {
            crate::pages::users::one_time_password(&ctx.view(), &user, &otp).into_response()
        }
        None => see_other(
            &ctx,
            &format!("/parameters/users/{uid}?done={}", action.key()),
        ),
    })
}

/// A refused account action: 404 where the action does not exist for the signed-in
/// user, 403 where the account is not theirs to act on.
fn refusal(ctx: &Ctx, r: ActionRefused) -> poem::Error {
    match r {
        ActionRefused::NotFound => ctx.not_found(),
        ActionRefused::Forbidden => forbidden(ctx),
    }
}
