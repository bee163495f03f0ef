//! Statistics (STAT-1): the screen and the CSV download of each of its tables.

use poem::http::StatusCode;
use poem::web::Query;
use poem::{IntoResponse, Response, handler};

use super::Ctx;
use super::home::chosen_merchant;
use crate::db::stats::split_value;
use crate::domain::form::FieldError;
use crate::domain::merchant::Merchant;
use crate::domain::stats::{RawStats, StatsQuery, parse, unknown_terminal};
use crate::domain::stats_tables::{Context, PeriodSeries, Table, TableKey, period_series, tables};
use crate::pages::statistics::{StatsView, statistics_page as page};

/// What the screen shows for a query.
struct Loaded {
    errors: Vec<FieldError>,
    merchants: Vec<Merchant>,
    /// The merchant chosen (a merchant user's own, or the admin's pick).
    merchant: Option<Merchant>,
    query: Option<StatsQuery>,
    tables: Vec<Table>,
    series: Option<PeriodSeries>,
}

/// Parses `raw`, chooses the merchant and, when every value is valid, reads the
/// cells and builds the tables.
async fn load(ctx: &Ctx, raw: &RawStats) -> poem::Result<Loaded> {
    let mut errors = Vec::new();
    let (merchant, merchants) = chosen_merchant(ctx, &raw.merchant, &mut errors).await?;
    if matches!(ctx.scope(), crate::db::Scope::Merchant(_)) && merchant.is_none() {
        return Err(ctx.not_found());
    }
    let query = match parse(raw, ctx.today(), ctx.zone()) {
        Ok(q) => {
            let terminals = merchant.as_ref().map(|m| &m.terminals[..]);
            errors.extend(terminals.and_then(|ts| unknown_terminal(q.terminal, ts)));
            Some(q)
        }
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let mut out = Loaded {
        errors,
        merchants,
        merchant,
        query,
        tables: Vec::new(),
        series: None,
    };
    if let (Some(q), true) = (&out.query, out.errors.is_empty()) {
        let merchant = out.merchant.as_ref();
        let (scope, id, owned) = (ctx.scope(), merchant.map(|m| m.id), q.clone());
        let cells = ctx.db(move |db| db.statistics(scope, id, &owned)).await?;
        let tctx = Context {
            lang: ctx.lang,
            query: q,
            merchant: id,
            terminals: merchant.map_or(&[][..], |m| &m.terminals),
        };
        out.tables = tables(&tctx, &cells, split_value);
        out.series = Some(period_series(&tctx, &cells.periods));
    }
    Ok(out)
}

fn render(ctx: &Ctx, raw: &RawStats, l: &Loaded, status: StatusCode) -> Response {
    let view = StatsView {
        raw,
        errors: &l.errors,
        merchants: &l.merchants,
        terminals: l.merchant.as_ref().map(|m| &m.terminals[..]),
        query: l.query.as_ref(),
        tables: &l.tables,
        series: l.series.as_ref(),
    };
    page(&ctx.view(), &view).with_status(status).into_response()
}

#[handler]
pub async fn statistics_page(ctx: Ctx, Query(raw): Query<RawStats>) -> poem::Result<Response> {
    let l = load(&ctx, &raw).await?;
    let status = if l.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render(&ctx, &raw, &l, status))
}

/// `table=<key>` and the screen's filters: that table as CSV. A bad value or an
/// unknown table is the screen with its message (400); a split too costly to
/// compute is the screen with its note (422).
#[handler]
pub async fn statistics_export(ctx: Ctx, Query(raw): Query<RawStats>) -> poem::Result<Response> {
    let mut l = load(&ctx, &raw).await?;
    let key = TableKey::parse(&raw.table);
    if key.is_none() {
        l.errors.push(FieldError::new(
            "table",
            format!(
                "« {} » : tableau inconnu.",
                crate::domain::text::log_safe_max(&raw.table, 40)
            ),
            format!(
                "\"{}\": unknown table.",
                crate::domain::text::log_safe_max(&raw.table, 40)
            ),
        ));
    }
    let (Some(key), Some(q), true) = (key, &l.query, l.errors.is_empty()) else {
        return Ok(render(&ctx, &raw, &l, StatusCode::BAD_REQUEST));
    };
    let Some(table) = l
        .tables
        .iter()
        .find(|t| t.key == key && t.too_many.is_none())
    else {
        return Ok(render(&ctx, &raw, &l, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let bytes = crate::export::stats::stats_csv(table).map_err(|e| ctx.internal(&e))?;
    let name = format!(
        "{}-{}-{}-{}.csv",
        ctx.lang.pick("statistiques", "statistics"),
        key.file_word(ctx.lang),
        q.first,
        q.last
    );
    Ok(Response::builder()
        .header("content-type", "text/csv; charset=utf-8")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("x-content-type-options", "nosniff")
        .body(bytes))
}
