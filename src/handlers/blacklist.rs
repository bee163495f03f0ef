//! Parameters › Blacklist and the transaction's Blacklist tab (FRAUD-4). Every add
//! and removal answers its confirmation first (a POST without `confirmed=1` changes
//! nothing), then writes with its audit line.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::transactions::load;
use super::{Ctx, see_other};
use crate::db::blacklist::{Added, NewEntry};
use crate::domain::blacklist::{AddForm, Kind, Parsed, candidate_of, parse_add, parse_reason};
use crate::domain::detail::TransactionDetail;
use crate::domain::user::{FieldError, User};
use crate::pages::blacklist::{ListView, PATH, confirm_add_page, confirm_remove_page, list_page};
use crate::pages::blacklist_tab::{TabState, tab};
use crate::pages::transaction::{DetailTab, detail_page_with, tab_shell};

/// Entries shown on one page (the newest; a search narrows them).
const SHOWN: usize = 200;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    kind: String,
    added: Option<u64>,
    already: Option<u64>,
    removed: Option<u64>,
}

fn own(ctx: &Ctx) -> Option<u64> {
    ctx.user().and_then(User::merchant_id)
}

async fn render(
    ctx: &Ctx,
    q: &ListQuery,
    form: &AddForm,
    errors: &[FieldError],
    status: StatusCode,
) -> poem::Result<Response> {
    let (scope, kind, search) = (ctx.scope(), Kind::parse(&q.kind), q.q.clone());
    let listing = ctx
        .db(move |db| db.blacklist(scope, kind, &search, SHOWN))
        .await?;
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let done = match (q.added, q.already, q.removed) {
        (Some(id), _, _) => Some(format!(
            "{} {id} {}",
            ctx.t("Entrée n°", "Entry no."),
            ctx.t("ajoutée à la liste noire.", "added to the blacklist.")
        )),
        (_, Some(id), _) => Some(format!(
            "{} {id}.",
            ctx.t(
                "Déjà en liste noire : entrée n°",
                "Already blacklisted: entry no."
            )
        )),
        (_, _, Some(id)) => Some(format!(
            "{} {id} {}",
            ctx.t("Entrée n°", "Entry no."),
            ctx.t("retirée de la liste noire.", "removed from the blacklist.")
        )),
        _ => None,
    };
    let v = ListView {
        entries: &listing.entries,
        total: listing.total,
        q: &q.q,
        kind,
        merchants: &merchants,
        form,
        errors,
        done,
    };
    Ok(list_page(&ctx.view(), &v)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn blacklist_list(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    render(&ctx, &q, &AddForm::default(), &[], StatusCode::OK).await
}

/// An admin's entry for a merchant: that merchant must exist.
async fn checked(ctx: &Ctx, p: Parsed) -> poem::Result<Result<Parsed, FieldError>> {
    let Some(m) = p.3 else { return Ok(Ok(p)) };
    let scope = ctx.scope();
    let known = ctx.db(move |db| db.merchant(scope, m)).await?.is_some();
    Ok(if known {
        Ok(p)
    } else {
        Err(FieldError::new(
            "scope",
            "Ce marchand n'existe pas.",
            "This merchant does not exist.",
        ))
    })
}

#[handler]
pub async fn blacklist_add(ctx: Ctx, Form(f): Form<AddForm>) -> poem::Result<Response> {
    let parsed = match parse_add(&f, own(&ctx)) {
        Ok(p) => checked(&ctx, p).await?.map_err(|e| vec![e]),
        Err(errors) => Err(errors),
    };
    let p = match parsed {
        Ok(p) => p,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&ctx, &ListQuery::default(), &f, &errors, status).await;
        }
    };
    if !f.is_confirmed() {
        let scope = ctx.scope();
        let merchants = ctx.db(move |db| db.merchants(scope)).await?;
        return Ok(confirm_add_page(&ctx.view(), &p, &merchants).into_response());
    }
    let (kind, key, shown, merchant_id, reason) = p;
    let new = NewEntry {
        kind,
        key,
        shown,
        merchant_id,
        reason,
    };
    let actor = ctx.actor();
    let added = ctx.db(move |db| db.blacklist_add(new, &actor)).await?;
    Ok(see_other(
        &ctx,
        &match added {
            Added::Added(e) => format!("{PATH}?added={}", e.id),
            Added::Already(e) => format!("{PATH}?already={}", e.id),
        },
    ))
}

async fn confirm_remove(ctx: &Ctx, id: &str) -> poem::Result<Response> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    let e = ctx.db(move |db| db.blacklist_entry(scope, id)).await?;
    let e = e.ok_or_else(|| ctx.not_found())?;
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    Ok(confirm_remove_page(&ctx.view(), &e, &merchants).into_response())
}

#[handler]
pub async fn blacklist_remove_confirm(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    confirm_remove(&ctx, &id).await
}

#[handler]
pub async fn blacklist_remove(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AddForm>,
) -> poem::Result<Response> {
    if !f.is_confirmed() {
        return confirm_remove(&ctx, &id).await;
    }
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let (scope, actor) = (ctx.scope(), ctx.actor());
    let removed = ctx
        .db(move |db| db.blacklist_remove(scope, id, &actor))
        .await?;
    removed.ok_or_else(|| ctx.not_found())?;
    Ok(see_other(&ctx, &format!("{PATH}?removed={id}")))
}

/// The tab (in place for htmx, else in its page) with `st`.
fn tab_answer(ctx: &Ctx, d: &TransactionDetail, st: &TabState, status: StatusCode) -> Response {
    let view = ctx.view();
    let fragment = tab_shell(&view, d, DetailTab::Blacklist, tab(&view, d, st));
    let markup = if ctx.htmx {
        fragment
    } else {
        detail_page_with(&view, d, fragment)
    };
    markup
        .with_status(status)
        .with_header("Vary", "HX-Request")
        .into_response()
}

/// "Add this card / email / IP / name" on a transaction's tab.
#[handler]
pub async fn transaction_blacklist_add(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AddForm>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let kind = Kind::parse(&f.kind);
    let key = kind.and_then(|k| candidate_of(&d.tx).key(k));
    let mut st = TabState {
        kind,
        reason: f.reason.chars().take(250).collect(),
        // An admin lists for this transaction's merchant or for all; others for theirs.
        scope: if f.scope == "global" && own(&ctx).is_none() {
            "global".into()
        } else {
            String::new()
        },
        ..TabState::default()
    };
    let (Some(kind), Some(key)) = (kind, key) else {
        st.kind = None;
        st.error = Some(FieldError::new(
            "kind",
            "Cette transaction n'a pas cette valeur.",
            "This transaction has no such value.",
        ));
        return Ok(tab_answer(&ctx, &d, &st, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let reason = match parse_reason(&f.reason) {
        Ok(r) => r,
        Err(e) => {
            st.error = Some(e);
            return Ok(tab_answer(&ctx, &d, &st, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if !f.is_confirmed() {
        st.confirm = true;
        return Ok(tab_answer(&ctx, &d, &st, StatusCode::OK));
    }
    let shown = crate::pages::blacklist_tab::values(&d)
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, s)| s)
        .unwrap_or_default();
    let new = NewEntry {
        kind,
        key,
        shown,
        merchant_id: (st.scope != "global").then_some(d.tx.merchant_id),
        reason,
    };
    let actor = ctx.actor();
    let added = ctx.db(move |db| db.blacklist_add(new, &actor)).await?;
    if !ctx.htmx {
        return Ok(see_other(
            &ctx,
            &format!("/transactions/{}?tab=blacklist", d.tx.id),
        ));
    }
    let d = load(&ctx, &id).await?;
    let st = TabState {
        done: Some(match added {
            Added::Added(e) => (true, e.id),
            Added::Already(e) => (false, e.id),
        }),
        ..TabState::default()
    };
    Ok(tab_answer(&ctx, &d, &st, StatusCode::OK))
}
