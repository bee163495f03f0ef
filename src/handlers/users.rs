//! Parameters › Users: admins manage everyone, merchant managers their merchant's users.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::merchants::audit_entry;
use super::{Ctx, see_other};
use crate::auth::bootstrap::new_user;
use crate::auth::login::{issue_one_time_password, one_time_password};
use crate::db::{Db, Scope, audit, sessions, users};
use crate::domain::auth::is_expired;
use crate::domain::user::{FieldError, Merchant, Permissions, Role, User, parse_username};
use crate::pages::error::ErrorKind;
use crate::pages::users::{AccountState, DetailView, UserFormValues, detail, list, new_form};

fn require_manager(ctx: &Ctx) -> poem::Result<()> {
    if ctx.user().is_some_and(|u| u.permissions().manage_users) {
        Ok(())
    } else {
        Err(ctx.not_found())
    }
}

fn state_of(db: &Db, u: &User, now: time::OffsetDateTime) -> crate::db::Result<AccountState> {
    Ok(if u.disabled {
        AccountState::Disabled
    } else if db.attempts(&u.username)?.is_locked(now) {
        AccountState::Locked
    } else if is_expired(u.last_used_at, now) {
        AccountState::Expired
    } else if u.must_change_password {
        AccountState::MustChange
    } else {
        AccountState::Active
    })
}

/// A user visible to the signed-in manager, with its state, or 404.
async fn visible_user(ctx: &Ctx, id: &str) -> poem::Result<(User, AccountState)> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let (scope, now) = (ctx.scope(), ctx.now());
    let found = ctx
        .db(move |db| {
            let u = db.user(id)?.filter(|u| {
                scope == Scope::Admin || u.merchant_id().is_some_and(|m| scope.allows(m))
            });
            u.map(|u| state_of(db, &u, now).map(|s| (u, s))).transpose()
        })
        .await?;
    found.ok_or_else(|| ctx.not_found())
}

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    merchant: Option<String>,
}

#[handler]
pub async fn users_list(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    require_manager(&ctx)?;
    let (scope, now) = (ctx.scope(), ctx.now());
    let (all, merchants) = ctx
        .db(move |db| {
            let all = db
                .users(scope)?
                .into_iter()
                .map(|u| state_of(db, &u, now).map(|s| (u, s)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((all, db.merchants(scope)?))
        })
        .await?;
    let done = q
        .done
        .map(|_| ctx.t("Utilisateur enregistré.", "User saved."));
    Ok(list(&ctx.view(), &all, &merchants, done).into_response())
}

#[handler]
pub async fn user_new(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    require_manager(&ctx)?;
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
    let page = crate::pages::error::page(&ctx.view(), ErrorKind::Forbidden, "");
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
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The role chosen in the form, checked against what the signed-in user may grant.
fn parse_role(ctx: &Ctx, v: &UserFormValues, merchants: &[Merchant]) -> Result<Role, FieldError> {
    let bad = || FieldError::new("role", "Choisissez un marchand.", "Choose a merchant.");
    if v.role == "admin" {
        return if ctx.user().is_some_and(User::is_admin) {
            Ok(Role::Admin)
        } else {
            Err(bad())
        };
    }
    let id: u64 = v
        .role
        .strip_prefix("merchant:")
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    if !merchants.iter().any(|m| m.id == id) {
        return Err(bad());
    }
    let held = ctx.user().map(User::permissions).unwrap_or_default();
    if !v.permissions.within(held) {
        return Err(FieldError::new(
            "permissions",
            "Vous ne pouvez accorder que des droits que vous avez vous-même.",
            "You can only grant permissions you hold yourself.",
        ));
    }
    Ok(Role::Merchant {
        merchant_id: id,
        permissions: v.permissions,
    })
}

#[handler]
pub async fn user_create(
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    require_manager(&ctx)?;
    let v = form_values(&pairs);
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let mut errors = Vec::new();
    let username = parse_username(&v.username).map_err(|e| errors.push(e)).ok();
    let role = parse_role(&ctx, &v, &merchants)
        .map_err(|e| errors.push(e))
        .ok();
    errors.extend(text_errors(&v));
    let (Some(username), Some(role), true) = (username, role, errors.is_empty()) else {
        return Ok(new_form(&ctx.view(), &echo(&v), &merchants, &errors)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    };
    let otp = one_time_password();
    let now = ctx.now();
    let mut entry = audit_entry(
        &ctx,
        "user.create",
        format!("user {username}"),
        role_merchant(role),
    );
    entry.detail = role_change(role, role).replace("role unchanged: ", "role: ");
    let (name, full_name, email) = (username.clone(), v.full_name.clone(), v.email.clone());
    let otp2 = otp.clone();
    let created = ctx
        .db(move |db| {
            let mut user = new_user(&name, &otp2, role, now)?;
            user.full_name = full_name;
            user.email = email;
            let wtx = db.begin_write()?;
            let user = match users::insert(&wtx, user) {
                Ok(u) => u,
                Err(crate::db::Error::Conflict(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            audit::append(&wtx, db.audit_key(), &entry)?;
            wtx.commit()?;
            Ok(Some(user))
        })
        .await?;
    let Some(user) = created else {
        let e = FieldError::new(
            "username",
            "Ce nom d'utilisateur est déjà pris.",
            "This username is already taken.",
        );
        return Ok(new_form(&ctx.view(), &echo(&v), &merchants, &[e])
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    };
    Ok(crate::pages::users::one_time_password(&ctx.view(), &user, &otp).into_response())
}

/// `role: merchant 3 [view] → merchant 3 [view,operate]` for the audit line.
fn role_change(before: Role, after: Role) -> String {
    let show = |r: Role| match r {
        Role::Admin => "admin".to_string(),
        Role::Merchant {
            merchant_id,
            permissions,
        } => format!("merchant {merchant_id} [{}]", permissions.keys()),
    };
    if before == after {
        format!("role unchanged: {}", show(after))
    } else {
        format!("role: {} → {}", show(before), show(after))
    }
}

fn role_merchant(role: Role) -> Option<u64> {
    match role {
        Role::Admin => None,
        Role::Merchant { merchant_id, .. } => Some(merchant_id),
    }
}

fn values_of(u: &User) -> UserFormValues {
    UserFormValues {
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        email: u.email.clone(),
        role: role_merchant(u.role).map_or("admin".into(), |m| format!("merchant:{m}")),
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
    require_manager(&ctx)?;
    let (user, state) = visible_user(&ctx, &id).await?;
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let done = q.done.as_deref().map(|d| match d {
        "unlock" => ctx.t("Compte débloqué.", "Account unlocked."),
        "disable" => ctx.t(
            "Compte désactivé ; ses sessions sont terminées.",
            "Account disabled; its sessions have ended.",
        ),
        "enable" => ctx.t("Compte réactivé.", "Account enabled."),
        "second_factor_reset" => ctx.t(
            "Double authentification réinitialisée ; ses sessions sont terminées.",
            "Two-factor authentication reset; their sessions have ended.",
        ),
        _ => ctx.t("Utilisateur enregistré.", "User saved."),
    });
    let view = DetailView {
        user: &user,
        state,
        values: values_of(&user),
        merchants: &merchants,
        errors: &[],
        done,
    };
    Ok(detail(&ctx.view(), &view).into_response())
}

#[handler]
pub async fn user_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    require_manager(&ctx)?;
    let (user, state) = visible_user(&ctx, &id).await?;
    if !ctx.user().is_some_and(|me| me.may_manage(&user)) {
        return Err(forbidden(&ctx));
    }
    let v = form_values(&pairs);
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let own = ctx.user().is_some_and(|me| me.id == user.id);
    let role = match parse_role(&ctx, &v, &merchants) {
        // Nobody changes their own role or permissions (an admin asks another admin).
        Ok(r) if own && r != user.role => Err(FieldError::new(
            "permissions",
            "Vous ne pouvez pas modifier vos propres droits.",
            "You cannot change your own permissions.",
        )),
        other => other,
    };
    let mut errors = text_errors(&v);
    let role = match role {
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
            };
            return Ok(detail(&ctx.view(), &view)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let mut entry = audit_entry(
        &ctx,
        "user.update",
        format!("user {}", user.username),
        role_merchant(role),
    );
    let uid = user.id;
    let (full_name, email) = (v.full_name, v.email);
    ctx.db(move |db| {
        // Re-read inside the write: only the form's fields change, so a disable,
        // reset or sign-in committed meanwhile is never undone.
        let wtx = db.begin_write()?;
        let mut u = users::get(&wtx, uid)?.ok_or(crate::db::Error::NotFound)?;
        entry.detail = role_change(u.role, role);
        u.full_name = full_name;
        u.email = email;
        u.role = role;
        users::update(&wtx, &u)?;
        audit::append(&wtx, db.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    })
    .await?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/users/{uid}?done=saved"),
    ))
}

/// unlock, reset, reactivate, disable, enable.
#[handler]
pub async fn user_action(
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
) -> poem::Result<Response> {
    require_manager(&ctx)?;
    let (user, _) = visible_user(&ctx, &id).await?;
    let own = ctx.user().is_some_and(|me| me.id == user.id);
    // A reset hands the account over: never on one's own account (a stolen session
    // must not become a password), never on an account holding more than oneself.
    let hands_over = matches!(
        action.as_str(),
        "reset" | "reactivate" | "second_factor_reset"
    );
    if (own && hands_over) || !ctx.user().is_some_and(|me| me.may_manage(&user)) {
        return Err(forbidden(&ctx));
    }
    let entry = audit_entry(
        &ctx,
        &format!("user.{action}"),
        format!("user {}", user.username),
        user.merchant_id(),
    );
    let now = ctx.now();
    let uid = user.id;
    match action.as_str() {
        "second_factor_reset" => super::second_factor::user_reset(&ctx, uid, entry).await,
        "reset" | "reactivate" => {
            let otp = ctx
                .db(move |db| issue_one_time_password(db, uid, now, entry))
                .await?;
            Ok(crate::pages::users::one_time_password(&ctx.view(), &user, &otp).into_response())
        }
        "unlock" | "disable" | "enable" if !(own && action == "disable") => {
            let act = action.clone();
            let by_admin = ctx.user().is_some_and(User::is_admin);
            let done = ctx
                .db(move |db| {
                    let wtx = db.begin_write()?;
                    let mut u = users::get(&wtx, uid)?.ok_or(crate::db::Error::NotFound)?;
                    match act.as_str() {
                        "unlock" => users::put_attempts(&wtx, &u.username, Default::default())?,
                        "disable" => {
                            u.disabled = true;
                            // A manager's disable never clears the admin's mark.
                            u.disabled_by_admin |= by_admin;
                            sessions::end_all_for_user(&wtx, uid)?;
                        }
                        // What the platform admin disabled only an admin enables.
                        _ if u.disabled_by_admin && !by_admin => return Ok(false),
                        _ => {
                            u.disabled = false;
                            u.disabled_by_admin = false;
                            u.last_used_at = now.unix_timestamp();
                        }
                    }
                    users::update(&wtx, &u)?;
                    audit::append(&wtx, db.audit_key(), &entry)?;
                    wtx.commit()?;
                    Ok(true)
                })
                .await?;
            if !done {
                return Err(forbidden(&ctx));
            }
            Ok(see_other(
                &ctx,
                &format!("/parameters/users/{uid}?done={action}"),
            ))
        }
        _ => Err(ctx.not_found()),
    }
}
