//! Paramètres › Restrictions (FRAUD-1, FRAUD-3): admins edit each merchant's rules
//! under Merchants; a merchant's user managers read their own (others get 404).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::merchants::merchant_for_admin;
use super::{Ctx, see_other};
use crate::db::Scope;
use crate::domain::fraud::{LimitValues, RulesValues};
use crate::domain::location::LocationValues;
use crate::pages::restrictions::{edit, overview, path, read_only};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The form as posted: `card_accepted`, `card_refused`, `card_window`, `card_unit`, …
/// and the `international_3ds` box (absent: unticked).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestrictionsForm {
    holder_accepted: String,
    holder_refused: String,
    holder_window: String,
    holder_unit: String,
    card_accepted: String,
    card_refused: String,
    card_window: String,
    card_unit: String,
    email_accepted: String,
    email_refused: String,
    email_window: String,
    email_unit: String,
    ip_accepted: String,
    ip_refused: String,
    ip_window: String,
    ip_unit: String,
    international_3ds: Option<String>,
    card_country_mode: String,
    card_country_list: String,
    ip_country_mode: String,
    ip_country_list: String,
    /// `backtest`: replay the rules typed over the last 30 days without saving.
    action: String,
}

impl RestrictionsForm {
    /// The location fields as typed (taken out first).
    fn location(&mut self) -> LocationValues {
        LocationValues {
            // In `Source::ALL` order: card, IP.
            modes: [
                std::mem::take(&mut self.card_country_mode),
                std::mem::take(&mut self.ip_country_mode),
            ],
            countries: [
                std::mem::take(&mut self.card_country_list),
                std::mem::take(&mut self.ip_country_list),
            ],
        }
    }

    fn values(self) -> RulesValues {
        let l = |max_accepted, max_refused, window, unit| LimitValues {
            max_accepted,
            max_refused,
            window,
            unit,
        };
        RulesValues {
            // In `KeyKind::ALL` order: card, email, IP, holder.
            limits: [
                l(
                    self.card_accepted,
                    self.card_refused,
                    self.card_window,
                    self.card_unit,
                ),
                l(
                    self.email_accepted,
                    self.email_refused,
                    self.email_window,
                    self.email_unit,
                ),
                l(
                    self.ip_accepted,
                    self.ip_refused,
                    self.ip_window,
                    self.ip_unit,
                ),
                l(
                    self.holder_accepted,
                    self.holder_refused,
                    self.holder_window,
                    self.holder_unit,
                ),
            ],
            international_requires_3ds: self.international_3ds.is_some(),
        }
    }
}

#[handler]
pub async fn restrictions_edit(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let (mid, now) = (m.id, ctx.now().unix_timestamp());
    let (rules, location, tested) = ctx
        .db(move |db| {
            let rules = db.fraud_rules(mid)?;
            let location = db.location_rules(mid)?;
            let tested = db.backtest(mid, &rules, &location, now)?;
            Ok((rules, location, tested))
        })
        .await?;
    let done = q
        .done
        .map(|_| ctx.t("Restrictions enregistrées.", "Restrictions saved."));
    let values = (RulesValues::of(&rules), LocationValues::of(&location));
    Ok(edit(&ctx.view(), &m, (&values, &[]), done, Some(&tested)).into_response())
}

#[handler]
pub async fn restrictions_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(mut f): Form<RestrictionsForm>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let only_test = f.action == "backtest";
    let location = f.location();
    let values = (f.values(), location);
    let parsed = match (values.0.parse(), values.1.parse()) {
        (Ok(r), Ok(l)) => Ok((r, l)),
        (r, l) => Err([r.err(), l.err()]
            .into_iter()
            .flatten()
            .flatten()
            .collect::<Vec<_>>()),
    };
    let (rules, location) = match parsed {
        Ok(p) => p,
        Err(errors) => {
            return Ok(edit(&ctx.view(), &m, (&values, &errors), None, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    if only_test {
        // The rules as typed, replayed; nothing saved.
        let (mid, now) = (m.id, ctx.now().unix_timestamp());
        let tested = ctx
            .db(move |db| db.backtest(mid, &rules, &location, now))
            .await?;
        return Ok(edit(&ctx.view(), &m, (&values, &[]), None, Some(&tested)).into_response());
    }
    let (mid, actor) = (m.id, ctx.actor());
    ctx.db(move |db| db.set_restrictions(mid, &rules, &location, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(&ctx, &format!("{}?done=1", path(mid))))
}

/// A merchant's user managers read their merchant's rules; an admin gets every
/// merchant with a link to edit its rules.
#[handler]
pub async fn restrictions_view(ctx: Ctx) -> poem::Result<Response> {
    match ctx.scope() {
        Scope::Admin => {
            let all = ctx
                .db(|db| {
                    db.merchants(Scope::Admin)?
                        .into_iter()
                        .map(|m| {
                            let r = db.fraud_rules(m.id)?;
                            let l = db.location_rules(m.id)?;
                            Ok((m, r, l))
                        })
                        .collect::<crate::db::Result<Vec<_>>>()
                })
                .await?;
            Ok(overview(&ctx.view(), &all).into_response())
        }
        Scope::Merchant(mid) => {
            let (m, rules, location) = ctx
                .db(move |db| {
                    Ok(match db.merchant(Scope::Merchant(mid), mid)? {
                        Some(m) => Some((m, db.fraud_rules(mid)?, db.location_rules(mid)?)),
                        None => None,
                    })
                })
                .await?
                .ok_or_else(|| ctx.not_found())?;
            Ok(read_only(&ctx.view(), &m, &rules, &location).into_response())
        }
    }
}
