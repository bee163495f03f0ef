//! The Operations tab: confirmation (GET, changes nothing) and execution (POST).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::transactions::load;
use super::{Ctx, see_other};
use crate::domain::detail::TransactionDetail;
use crate::domain::money::{Amount, parse_positive_amount};
use crate::domain::operation_rules::{OPERATIONS, RebillLimits, check_operation, rebill_day};
use crate::domain::transaction::Operation;
use crate::gateway::OpOutcome;
use crate::pages::operations::{confirm_page, refund_rest_live};
use crate::pages::transaction::{DetailTab, Notice, detail_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AmountForm {
    amount: String,
    /// One-time key of the confirmation form.
    key: String,
}

fn operation(ctx: &Ctx, key: &str) -> poem::Result<Operation> {
    Operation::parse(key)
        .filter(|o| OPERATIONS.contains(o))
        .ok_or_else(|| ctx.not_found())
}

/// The Operations tab again, with the refusal under the amount of `op` and the amount
/// as it was typed (above the tab when that form is no longer offered).
fn refused(ctx: &Ctx, d: TransactionDetail, op: Operation, typed: &str, text: String) -> Response {
    let notice = Notice::field(op, typed, text);
    detail_page(&ctx.view(), &d, DetailTab::Operations, Some(&notice))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

/// What both steps start from: the permission, the operation, the transaction and the
/// amount typed (a cancel releases the whole hold and needs none). A bad amount is
/// answered with the Operations tab and its message.
async fn prepare(
    ctx: &Ctx,
    id: &str,
    op: &str,
    raw: &str,
) -> poem::Result<Result<(TransactionDetail, Operation, Amount), Response>> {
    let op = operation(ctx, op)?;
    let d = load(ctx, id).await?;
    let amount = if op == Operation::Cancel {
        Ok(d.tx.amount)
    } else {
        parse_positive_amount(raw, d.tx.currency, ctx.lang).map_err(|e| e.message(ctx.lang))
    };
    Ok(match amount {
        Ok(a) => Ok((d, op, a)),
        Err(text) => Err(refused(ctx, d, op, raw, text)),
    })
}

#[handler]
pub async fn operation_confirm(
    ctx: Ctx,
    Path((id, op)): Path<(String, String)>,
    Query(f): Query<AmountForm>,
) -> poem::Result<Response> {
    // htmx asks, as a refund amount is typed, what would stay unrefundable: that line
    // alone (this step changes nothing anyway).
    if ctx.htmx && op == Operation::Refund.key() {
        let d = load(&ctx, &id).await?;
        let typed = parse_positive_amount(&f.amount, d.tx.currency, ctx.lang).ok();
        return Ok(refund_rest_live(&ctx.view(), &d, typed)
            .with_header("Vary", "HX-Request")
            .into_response());
    }
    let (d, op, amount) = match prepare(&ctx, &id, &op, &f.amount).await? {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let now = ctx.now();
    let limits = if op == Operation::Rebill {
        let (merchant, token) = (
            d.tx.merchant_id,
            d.tx.card
                .as_ref()
                .map(|c| c.token.clone())
                .unwrap_or_default(),
        );
        ctx.db(move |db| db.rebill_limits(merchant, &token, rebill_day(now)))
            .await?
    } else {
        RebillLimits::default()
    };
    match check_operation(op, &d.tx, &d.children(), amount, &limits, now) {
        Ok(amount) => {
            // The one-time key that makes a double submit of the form run once.
            let key = crate::db::payments::new_link_token();
            Ok(confirm_page(&ctx.view(), &d, op, amount, &key).into_response())
        }
        Err(why) => {
            let text = why.message(ctx.lang, d.tx.currency);
            Ok(refused(&ctx, d, op, &f.amount, text))
        }
    }
}

#[handler]
pub async fn operation_run(
    ctx: Ctx,
    Path((id, op)): Path<(String, String)>,
    Form(f): Form<AmountForm>,
) -> poem::Result<Response> {
    let (d, op, amount) = match prepare(&ctx, &id, &op, &f.amount).await? {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let (scope, tx_id) = (ctx.scope(), d.tx.id);
    ctx.require_user()?;
    let actor = ctx.actor();
    let key = f.key.chars().take(64).collect::<String>();
    let outcome = ctx
        .gateway(move |g| g.operate(scope, tx_id, op, amount, &actor, &key))
        .await?;
    match outcome {
        OpOutcome::Done(row) => Ok(see_other(
            &ctx,
            &format!("/transactions/{tx_id}?tab=operations&done={}", row.id),
        )),
        OpOutcome::Refused(why) => {
            let text = why.message(ctx.lang, d.tx.currency);
            Ok(refused(&ctx, d, op, &f.amount, text))
        }
        OpOutcome::NotFound => Err(ctx.not_found()),
    }
}
