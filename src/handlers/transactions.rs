//! Processing › Transactions: the list (page or htmx fragment) and the detail.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::detail::TransactionDetail;
use crate::domain::filter::{Filter, PageRequest, RawFilter, parse};
use crate::domain::note::NoteText;
use crate::domain::search::SearchPage;
use crate::domain::user::FieldError;
use crate::pages::operations::done_message;
use crate::pages::transaction::{DetailTab, Notice, detail_page, tab_fragment};
use crate::pages::transactions::{ListView, list_page, results};

/// Full page normally, the results fragment for htmx; always `Vary: HX-Request`.
fn dual(
    ctx: &Ctx,
    full: impl FnOnce() -> maud::Markup,
    fragment: impl FnOnce() -> maud::Markup,
    status: StatusCode,
) -> Response {
    let markup = if ctx.htmx { fragment() } else { full() };
    markup
        .with_status(status)
        .with_header("Vary", "HX-Request")
        .into_response()
}

#[handler]
pub async fn transactions_list(ctx: Ctx, Query(raw): Query<RawFilter>) -> poem::Result<Response> {
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let (found, errors, req) = search(&ctx, &raw).await?;
    let (result, filter) = match found {
        Some((r, f)) => (Some(r), Some(f)),
        None => (None, None),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let view = ListView {
        raw: &raw,
        errors: &errors,
        result: result.as_ref(),
        req,
        merchants: &merchants,
        filter: filter.as_ref(),
        today: ctx.today(),
    };
    let mut resp = dual(
        &ctx,
        || list_page(&ctx.view(), &view),
        || results(&ctx.view(), &view),
        status,
    );
    if ctx.htmx {
        push_canonical_url(&mut resp, &raw, req);
    }
    Ok(resp)
}

/// The page of results for `raw` and its parsed filter, or the filter's errors (and
/// the first page of 10).
type Found = (Option<(SearchPage, Filter)>, Vec<FieldError>, PageRequest);

async fn search(ctx: &Ctx, raw: &RawFilter) -> poem::Result<Found> {
    let scope = ctx.scope();
    Ok(match parse(raw, ctx.today(), ctx.zone()) {
        Ok((filter, req)) => {
            let f = filter.clone();
            let r = ctx.db(move |db| db.search(scope, &f, req)).await?;
            (Some((r, filter)), Vec::new(), req)
        }
        Err(errors) => (
            None,
            errors,
            PageRequest {
                page: 1,
                per_page: 10,
            },
        ),
    })
}

/// The canonical URL (no empty fields) goes into the address bar and history.
fn push_canonical_url(resp: &mut Response, raw: &RawFilter, req: PageRequest) {
    let query = raw.to_query(req.page, req.per_page);
    let url = if query.is_empty() {
        "/transactions".to_string()
    } else {
        format!("/transactions?{query}")
    };
    if let Ok(v) = url.parse() {
        resp.headers_mut().insert("HX-Push-Url", v);
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GlobalSearch {
    q: String,
}

/// The top bar's search box: a visible transaction id opens its detail; any other term
/// becomes an all-time search of the list (last four, email or order id), in scope.
#[handler]
pub async fn global_search(
    ctx: Ctx,
    Query(GlobalSearch { q }): Query<GlobalSearch>,
) -> poem::Result<Response> {
    let (id, lookup) = crate::domain::search::interpret(&q);
    if let Some(id) = id {
        let scope = ctx.scope();
        if ctx.db(move |db| db.transaction(scope, id)).await?.is_some() {
            return Ok(see_other(&ctx, &format!("/transactions/{id}")));
        }
    }
    let Some((name, value)) = lookup.pair() else {
        return Ok(see_other(&ctx, "/transactions"));
    };
    let query = serde_urlencoded::to_string([("period", "all"), (name, value)]).unwrap_or_default();
    Ok(see_other(&ctx, &format!("/transactions?{query}")))
}

#[derive(Deserialize)]
pub struct TabQuery {
    tab: Option<String>,
    /// The transaction an operation just wrote (a message on the Operations tab).
    done: Option<String>,
}

fn tab_of(ctx: &Ctx, key: &str) -> poem::Result<DetailTab> {
    DetailTab::parse(key)
        .filter(|t| t.visible(&ctx.view()))
        .ok_or_else(|| ctx.not_found())
}

/// Loads what a detail tab needs; 404 when the transaction is not visible.
pub async fn load(ctx: &Ctx, id: &str) -> poem::Result<TransactionDetail> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    let found = ctx.db(move |db| db.transaction_detail(scope, id)).await?;
    found.ok_or_else(|| ctx.not_found())
}

#[handler]
pub async fn transaction_detail(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<TabQuery>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let asked =
        DetailTab::parse(q.tab.as_deref().unwrap_or("general")).ok_or_else(|| ctx.not_found())?;
    let mut notice = None;
    // A link to the Operations tab opened by someone who may not operate (shared by a
    // colleague, say): the transaction is theirs to see, so its General tab, and why.
    // The tab's own fragment and the operations themselves stay refused.
    let tab = if asked.visible(&ctx.view()) {
        asked
    } else {
        notice = Some(Notice::info(ctx.view().t(
            "Vous n'avez pas le droit d'opérer sur les transactions : voici les informations générales de celle-ci.",
            "You are not allowed to operate on transactions: here is this transaction's general information.",
        )));
        DetailTab::General
    };
    if tab == DetailTab::Operations
        && let Some(done) = q.done.as_deref().and_then(|s| s.parse::<u64>().ok())
        && let Some(row) = d.associated.iter().find(|t| t.id == done)
    {
        let text = done_message(&ctx.view(), row);
        notice = Some(Notice::outcome(row.code.is_accepted(), text));
    }
    Ok(dual(
        &ctx,
        || detail_page(&ctx.view(), &d, tab, notice.as_ref()),
        || tab_fragment(&ctx.view(), &d, tab, notice.as_ref()),
        StatusCode::OK,
    ))
}

#[handler]
pub async fn transaction_tab(
    ctx: Ctx,
    Path((id, tab)): Path<(String, String)>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let tab = tab_of(&ctx, &tab)?;
    Ok(dual(
        &ctx,
        || detail_page(&ctx.view(), &d, tab, None),
        || tab_fragment(&ctx.view(), &d, tab, None),
        StatusCode::OK,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

#[handler]
pub async fn note_create(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let text = match NoteText::parse(&f.text) {
        Ok(t) => t,
        Err(e) => {
            let notice = Notice::err(e.message(ctx.lang).to_string());
            let markup = detail_page(&ctx.view(), &d, DetailTab::Notes, Some(&notice));
            return Ok(markup
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let (scope, tx_id, actor) = (ctx.scope(), d.tx.id, ctx.actor());
    if !ctx
        .db(move |db| db.add_note(scope, tx_id, text, &actor))
        .await?
    {
        return Err(ctx.not_found());
    }
    Ok(see_other(&ctx, &format!("/transactions/{tx_id}?tab=notes")))
}
