//! Recording a chargeback from the Operations tab (administrators only, by the route
//! table): confirmation (GET, changes nothing) and recording (POST).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::transactions::load;
use super::{Ctx, see_other};
use crate::domain::chargeback::{ChargebackReason, parse_dispute_date};
use crate::domain::detail::TransactionDetail;
use crate::domain::money::parse_positive_amount;
use crate::domain::operation_rules::check_chargeback;
use crate::gateway::{Dispute, OpOutcome};
use crate::pages::chargeback::{Checked, chargeback_confirm_page};
use crate::pages::transaction::{DetailTab, Notice, detail_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChargebackForm {
    amount: String,
    reason: String,
    date: String,
    /// One-time key of the confirmation form.
    key: String,
}

impl ChargebackForm {
    /// The Operations tab again with `text` under the chargeback's amount and the
    /// form as it was typed.
    fn refused(&self, ctx: &Ctx, d: &TransactionDetail, text: String) -> Response {
        let typed = [self.amount.as_str(), &self.reason, &self.date];
        let notice = Notice::dispute(typed, text);
        detail_page(&ctx.view(), d, DetailTab::Operations, Some(&notice))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()
    }

    /// The dispute as typed, or the amount's error in words.
    fn dispute(&self, ctx: &Ctx, d: &TransactionDetail) -> Result<Dispute, String> {
        Ok(Dispute {
            amount: parse_positive_amount(&self.amount, d.tx.currency, ctx.lang)
                .map_err(|e| e.message(ctx.lang))?,
            reason: ChargebackReason::parse(&self.reason),
            on: parse_dispute_date(&self.date),
        })
    }
}

#[handler]
pub async fn chargeback_confirm(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(f): Query<ChargebackForm>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let p = match f.dispute(&ctx, &d) {
        Ok(p) => p,
        Err(text) => return Ok(f.refused(&ctx, &d, text)),
    };
    match check_chargeback(&d.tx, &d.children(), p.amount, p.reason, p.on, ctx.now()) {
        Ok((reason, on)) => {
            // The one-time key that makes a double submit of the form record once.
            let key = crate::db::payments::new_link_token();
            let amount = p.amount;
            let checked = Checked {
                amount,
                reason,
                on,
                key: &key,
            };
            Ok(chargeback_confirm_page(&ctx.view(), &d, &checked).into_response())
        }
        Err(why) => Ok(f.refused(&ctx, &d, why.message(ctx.lang, d.tx.currency))),
    }
}

#[handler]
pub async fn chargeback_record(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ChargebackForm>,
) -> poem::Result<Response> {
    let d = load(&ctx, &id).await?;
    let dispute = match f.dispute(&ctx, &d) {
        Ok(p) => p,
        Err(text) => return Ok(f.refused(&ctx, &d, text)),
    };
    let (scope, tx_id, actor) = (ctx.scope(), d.tx.id, ctx.actor());
    let key = f.key.chars().take(64).collect::<String>();
    let outcome = ctx
        .gateway(move |g| g.chargeback(scope, tx_id, dispute, &actor, &key))
        .await?;
    match outcome {
        OpOutcome::Done(row) => Ok(see_other(
            &ctx,
            &format!("/transactions/{tx_id}?tab=operations&done={}", row.id),
        )),
        OpOutcome::Refused(why) => Ok(f.refused(&ctx, &d, why.message(ctx.lang, d.tx.currency))),
        OpOutcome::NotFound => Err(ctx.not_found()),
    }
}
