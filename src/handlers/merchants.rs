//! Parameters › Merchants: admins only (others get 404).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::db::audit::AuditEntry;
use crate::db::{Scope, audit, merchants};
use crate::domain::money::Amount;
use crate::domain::operation_rules::RebillPolicy;
use crate::domain::user::{Merchant, MerchantInput};
use crate::pages::merchants::{MerchantFormValues, RebillValues, form, list, rebill_form};

pub fn require_admin(ctx: &Ctx) -> poem::Result<()> {
    if ctx.user().is_some_and(|u| u.is_admin()) {
        Ok(())
    } else {
        Err(ctx.not_found())
    }
}

pub fn audit_entry(
    ctx: &Ctx,
    action: &str,
    target: String,
    merchant_id: Option<u64>,
) -> AuditEntry {
    AuditEntry {
        at: ctx.now().unix_timestamp(),
        actor: ctx.user().map(|u| u.username.clone()).unwrap_or_default(),
        ip: ctx.ip.clone(),
        action: action.to_string(),
        target,
        merchant_id,
        outcome: "ok".into(),
        detail: String::new(),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn merchants_list(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    require_admin(&ctx)?;
    let all = ctx.db(|db| db.merchants(Scope::Admin)).await?;
    let done = q
        .done
        .map(|_| ctx.t("Marchand enregistré.", "Merchant saved."));
    Ok(list(&ctx.view(), &all, done).into_response())
}

#[handler]
pub async fn merchant_new(ctx: Ctx) -> poem::Result<Response> {
    require_admin(&ctx)?;
    Ok(form(&ctx.view(), None, &MerchantFormValues::default(), &[], None).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MerchantForm {
    name: String,
    company: String,
    terminals: String,
    accounts: String,
    statement_descriptor: String,
}

impl MerchantForm {
    /// The values to show again in a refused form: never a card number.
    fn values(&self) -> MerchantFormValues {
        use crate::domain::card::{contains_pan_like, echo_safe};
        let lines = |v: &str| {
            v.lines()
                .filter(|l| !contains_pan_like(l))
                .collect::<Vec<_>>()
                .join("\n")
        };
        MerchantFormValues {
            name: echo_safe(&self.name),
            company: echo_safe(&self.company),
            terminals: lines(&self.terminals),
            accounts: lines(&self.accounts),
            statement_descriptor: echo_safe(&self.statement_descriptor),
        }
    }
}

#[handler]
pub async fn merchant_create(ctx: Ctx, Form(f): Form<MerchantForm>) -> poem::Result<Response> {
    require_admin(&ctx)?;
    let input = match MerchantInput::parse(
        &f.name,
        &f.company,
        &f.terminals,
        &f.accounts,
        &f.statement_descriptor,
    ) {
        Ok(i) => i,
        Err(errors) => {
            return Ok(form(&ctx.view(), None, &f.values(), &errors, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let now = ctx.now().unix_timestamp();
    let entry = audit_entry(
        &ctx,
        "merchant.create",
        format!("merchant {}", input.name),
        None,
    );
    let created = ctx
        .db(move |db| {
            let wtx = db.begin_write()?;
            let m = merchants::insert(
                &wtx,
                Merchant {
                    id: 0,
                    name: input.name,
                    company: input.company,
                    terminals: input.terminals,
                    accounts: input.accounts,
                    statement_descriptor: input.statement_descriptor,
                    created_at: now,
                },
            )?;
            audit::append(
                &wtx,
                db.audit_key(),
                &AuditEntry {
                    merchant_id: Some(m.id),
                    ..entry
                },
            )?;
            wtx.commit()?;
            Ok(m)
        })
        .await?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants?done={}", created.id),
    ))
}

#[handler]
pub async fn merchant_edit(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    require_admin(&ctx)?;
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let m = ctx
        .db(move |db| db.merchant(Scope::Admin, id))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(form(
        &ctx.view(),
        Some(id),
        &MerchantFormValues::from_merchant(&m),
        &[],
        None,
    )
    .into_response())
}

#[handler]
pub async fn merchant_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MerchantForm>,
) -> poem::Result<Response> {
    require_admin(&ctx)?;
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let mut m = ctx
        .db(move |db| db.merchant(Scope::Admin, id))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    let input = match MerchantInput::parse(
        &f.name,
        &f.company,
        &f.terminals,
        &f.accounts,
        &f.statement_descriptor,
    ) {
        Ok(i) => i,
        Err(errors) => {
            return Ok(form(&ctx.view(), Some(id), &f.values(), &errors, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    m.name = input.name;
    m.company = input.company;
    m.terminals = input.terminals;
    m.accounts = input.accounts;
    m.statement_descriptor = input.statement_descriptor;
    let entry = audit_entry(
        &ctx,
        "merchant.update",
        format!("merchant {}", m.name),
        Some(id),
    );
    ctx.db(move |db| {
        let wtx = db.begin_write()?;
        merchants::update(&wtx, &m)?;
        audit::append(&wtx, db.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    })
    .await?;
    Ok(see_other(&ctx, &format!("/parameters/merchants?done={id}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RebillForm {
    max_amount: String,
    max_per_day: String,
}

async fn merchant_for_admin(ctx: &Ctx, id: &str) -> poem::Result<Merchant> {
    require_admin(ctx)?;
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    ctx.db(move |db| db.merchant(Scope::Admin, id))
        .await?
        .ok_or_else(|| ctx.not_found())
}

/// The merchant's rebill limits (M6): admins only, like the rest of Merchants.
#[handler]
pub async fn rebill_policy_edit(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let mid = m.id;
    let p = ctx.db(move |db| db.rebill_policy(mid)).await?;
    let values = RebillValues {
        max_amount: p
            .max_amount_minor
            .and_then(Amount::from_minor)
            .map(Amount::to_decimal_string)
            .unwrap_or_default(),
        max_per_day: p.max_per_day.to_string(),
    };
    let done = q
        .done
        .map(|_| ctx.t("Limites enregistrées.", "Limits saved."));
    Ok(rebill_form(&ctx.view(), &m, &values, &[], done).into_response())
}

#[handler]
pub async fn rebill_policy_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RebillForm>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let policy = match RebillPolicy::parse(&f.max_amount, &f.max_per_day) {
        Ok(p) => p,
        Err(errors) => {
            let values = RebillValues {
                max_amount: f.max_amount.clone(),
                max_per_day: f.max_per_day.clone(),
            };
            return Ok(rebill_form(&ctx.view(), &m, &values, &errors, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let detail = format!(
        "merchant {}: rebill ceiling {}, {} per card per day",
        m.name,
        policy
            .max_amount_minor
            .and_then(Amount::from_minor)
            .map_or("original amount".to_string(), |a| a.to_decimal_string()),
        policy.max_per_day
    );
    let entry = audit_entry(&ctx, "merchant.rebill_policy", detail, Some(m.id));
    let mid = m.id;
    ctx.db(move |db| db.set_rebill_policy(mid, &policy, &entry))
        .await?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants/{mid}/rebill?done=1"),
    ))
}
