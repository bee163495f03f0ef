//! The back-office home (a redirect to the first screen the user may use) and the
//! health check.

use poem::{IntoResponse, Response, handler};

use super::{Ctx, see_other};
use crate::domain::form::FieldError;
use crate::domain::merchant::Merchant;
use crate::domain::navigation::landing;

/// The home of the back office: the first screen of the navigation the user may open.
#[handler]
pub async fn home(ctx: Ctx) -> Response {
    let to = ctx.user().map_or("/login", landing);
    see_other(&ctx, to)
}

/// Liveness for a supervisor: the data file answers. Says nothing about volumes.
#[handler]
pub async fn health(ctx: Ctx) -> poem::Result<Response> {
    ctx.db(|db| db.transaction_count()).await?;
    Ok(poem::web::Json(serde_json::json!({"status": "ok"})).into_response())
}

/// The `merchant` query value of Home and Statistics: empty for the user's own scope (all merchants for an admin); a merchant id an admin picks, or a merchant user's own. Another merchant's id (for a merchant user) or an unknown one is a 404; a value that is not a number is a field error. Returns the merchants the selector offers too (admins only).
pub async fn chosen_merchant(
    ctx: &Ctx,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> poem::Result<(Option<Merchant>, Vec<Merchant>)> {
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let raw = raw.trim();
    if raw.is_empty() {
        let own = match scope {
            crate::db::Scope::Merchant(m) => merchants.iter().find(|x| x.id == m).cloned(),
            crate::db::Scope::Admin => None,
        };
        return Ok((own, admin_list(ctx, merchants)));
    }
    let Ok(id) = raw.parse::<u64>() else {
        errors.push(FieldError::new(
            "merchant",
            format!(
                "« {} » : numéro de marchand attendu (un nombre entier).",
                crate::domain::text::log_safe_max(raw, 40)
            ),
            format!(
                "\"{}\": a merchant number is expected (a whole number).",
                crate::domain::text::log_safe_max(raw, 40)
            ),
        ));
        return Ok((None, admin_list(ctx, merchants)));
    };
    let Some(m) = merchants.iter().find(|m| m.id == id).cloned() else {
        return Err(ctx.not_found());
    };
    Ok((Some(m), admin_list(ctx, merchants)))
}

fn admin_list(ctx: &Ctx, merchants: Vec<Merchant>) -> Vec<Merchant> {
    if ctx.user().is_some_and(crate::domain::user::User::is_admin) {
        merchants
    } else {
        Vec::new()
    }
}
