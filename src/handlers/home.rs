//! The back-office home: the dashboard for users who may view transactions (HOME-1 …
//! HOME-4), a redirect to the first screen they may use for the others; and the
//! health check.

use poem::http::StatusCode;
use poem::web::Query;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::buckets::{Granularity, bounds, last_n};
use crate::domain::form::FieldError;
use crate::domain::merchant::Merchant;
use crate::domain::navigation::landing;
use crate::pages::home::{HomeView, OPEN_SHOWN, home_body, home_page};

/// The home of the back office: the first screen of the navigation the user may open.
#[handler]
pub async fn home(ctx: Ctx) -> Response {
    let to = ctx.user().map_or("/login", landing);
    see_other(&ctx, to)
}

/// The `merchant` query value of Home and Statistics: empty for the user's own
/// scope (all merchants for an admin); a merchant id an admin picks, or a merchant
/// user's own. Another merchant's id (for a merchant user) or an unknown one is a
/// 404, the same page as any URL they may not open; a value that is not a number is
/// a field error. Returns the merchants the selector offers too (admins only).
pub async fn chosen_merchant(
    ctx: &Ctx,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> poem::Result<(Option<Merchant>, Vec<Merchant>)> {
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let raw = raw.trim();
    // A merchant user's figures are their merchant's, whatever else is asked.
    let own = match scope {
        crate::db::Scope::Merchant(m) => merchants.iter().find(|x| x.id == m).cloned(),
        crate::db::Scope::Admin => None,
    };
    if raw.is_empty() {
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
        return Ok((own, admin_list(ctx, merchants)));
    };
    // `merchants` holds only what the scope allows: another merchant's id is absent.
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

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HomeQuery {
    /// day (default), week or month.
    by: String,
    merchant: String,
}

/// How many buckets the revenue chart shows for each granularity.
fn chart_len(g: Granularity) -> usize {
    match g {
        Granularity::Day => 30,
        Granularity::Week => 12,
        Granularity::Month => 12,
    }
}

/// The dashboard (`/home`): revenue per day, week or month with the current and
/// previous periods, the operations and acceptance rate of the current period, the
/// authorizations to capture. One rollup read, whatever the volume.
#[handler]
pub async fn dashboard(ctx: Ctx, Query(q): Query<HomeQuery>) -> poem::Result<Response> {
    let mut errors = Vec::new();
    let by = match q.by.trim() {
        "" => Granularity::Day,
        v => Granularity::parse(v).unwrap_or_else(|| {
            let shown = crate::domain::text::log_safe_max(v, 40);
            errors.push(FieldError::new(
                "by",
                format!("« {shown} » : choisissez jour (day), semaine (week) ou mois (month)."),
                format!("\"{shown}\": choose day, week or month."),
            ));
            Granularity::Day
        }),
    };
    let (merchant, merchants) = chosen_merchant(&ctx, &q.merchant, &mut errors).await?;
    let buckets = last_n(by, ctx.today(), chart_len(by));
    let Some(at) = bounds(ctx.zone(), &buckets) else {
        return Err(ctx.internal(&"the dashboard's days are out of the time-zone range"));
    };
    let scope = ctx.scope();
    let merchant_id = merchant.as_ref().map(|m| m.id);
    let now = ctx.now().unix_timestamp();
    let data = ctx
        .db(move |db| db.home_data(scope, merchant_id, at, now, OPEN_SHOWN))
        .await?;
    let view = HomeView {
        by,
        buckets: &buckets,
        cells: &data.cells,
        merchant: merchant.as_ref(),
        merchants: &merchants,
        errors: &errors,
        open: &data.open_first,
        open_total: data.open_total,
        now,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let markup = if ctx.htmx {
        home_body(&ctx.view(), &view)
    } else {
        home_page(&ctx.view(), &view)
    };
    Ok(markup
        .with_status(status)
        .with_header("Vary", "HX-Request")
        .into_response())
}

/// Liveness for a supervisor: the data file answers. Says nothing about volumes.
#[handler]
pub async fn health(ctx: Ctx) -> poem::Result<Response> {
    ctx.db(|db| db.transaction_count()).await?;
    Ok(poem::web::Json(serde_json::json!({"status": "ok"})).into_response())
}
