//! Parameters › Merchants: admins only (others get 404).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::db::Scope;
use crate::domain::merchant::{Merchant, MerchantForm};
use crate::domain::merchant_settings::SettingsForm;
use crate::domain::operation_rules::RebillPolicy;
use crate::pages::merchants::{RebillValues, form, list, rebill_form, settings_form};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn merchants_list(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    let all = ctx.db(|db| db.merchants(Scope::Admin)).await?;
    let done = q
        .done
        .map(|_| ctx.t("Marchand enregistré.", "Merchant saved."));
    Ok(list(&ctx.view(), &all, done).into_response())
}

#[handler]
pub async fn merchant_new(ctx: Ctx) -> poem::Result<Response> {
    Ok(form(&ctx.view(), None, &MerchantForm::default(), &[], None).into_response())
}

/// The merchant form again, refused (422), with the values typed (never a card number).
fn refused_form(
    ctx: &Ctx,
    id: Option<u64>,
    f: &MerchantForm,
    errors: &[crate::domain::user::FieldError],
) -> Response {
    form(&ctx.view(), id, &f.echo(), errors, None)
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

#[handler]
pub async fn merchant_create(ctx: Ctx, Form(f): Form<MerchantForm>) -> poem::Result<Response> {
    let input = match f.parse() {
        Ok(i) => i,
        Err(errors) => return Ok(refused_form(&ctx, None, &f, &errors)),
    };
    let actor = ctx.actor();
    let created = ctx.db(move |db| db.create_merchant(input, &actor)).await?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants?done={}", created.id),
    ))
}

#[handler]
pub async fn merchant_edit(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let values = MerchantForm::from_merchant(&m);
    Ok(form(&ctx.view(), Some(m.id), &values, &[], None).into_response())
}

#[handler]
pub async fn merchant_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MerchantForm>,
) -> poem::Result<Response> {
    let id = merchant_for_admin(&ctx, &id).await?.id;
    let input = match f.parse() {
        Ok(i) => i,
        Err(errors) => return Ok(refused_form(&ctx, Some(id), &f, &errors)),
    };
    let actor = ctx.actor();
    ctx.db(move |db| db.update_merchant(id, input, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(&ctx, &format!("/parameters/merchants?done={id}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RebillForm {
    max_amount: String,
    max_per_day: String,
}

/// Merchant `id` for an admin's page (a 404 when there is none).
pub(super) async fn merchant_for_admin(ctx: &Ctx, id: &str) -> poem::Result<Merchant> {
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
        max_amount: p.ceiling_text(),
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
    let (mid, actor) = (m.id, ctx.actor());
    ctx.db(move |db| db.set_rebill_policy(mid, &policy, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants/{mid}/rebill?done=1"),
    ))
}

/// The merchant's settings seen by its customers (currencies, names, notice):
/// admins only, like the rest of Merchants.
#[handler]
pub async fn settings_edit(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let mid = m.id;
    let (s, b) = ctx
        .db(move |db| Ok((db.merchant_settings(mid)?, db.email_branding(mid)?)))
        .await?;
    let done = q
        .done
        .map(|_| ctx.t("Réglages enregistrés.", "Settings saved."));
    Ok(settings_form(&ctx.view(), &m, &s.to_form(), &[], done, (&b, &[])).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BrandingForm {
    sender_name: String,
    footer: String,
}

/// The merchant's sender name and footer in its customers' emails (a section of the
/// settings page).
#[handler]
pub async fn email_branding_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BrandingForm>,
) -> poem::Result<Response> {
    use crate::domain::email_template::EmailBranding;
    let m = merchant_for_admin(&ctx, &id).await?;
    let mid = m.id;
    let branding = match EmailBranding::parse(&f.sender_name, &f.footer) {
        Ok(b) => b,
        Err(errors) => {
            let s = ctx.db(move |db| db.merchant_settings(mid)).await?;
            let typed = EmailBranding {
                sender_name: f.sender_name,
                footer: f.footer,
            };
            return Ok(
                settings_form(&ctx.view(), &m, &s.to_form(), &[], None, (&typed, &errors))
                    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            );
        }
    };
    let actor = ctx.actor();
    ctx.db(move |db| db.set_email_branding(mid, &branding, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants/{mid}/settings?done=1#email-branding"),
    ))
}

#[handler]
pub async fn settings_update(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let m = merchant_for_admin(&ctx, &id).await?;
    let f = SettingsForm::from_pairs(&pairs);
    let settings = match f.parse() {
        Ok(s) => s,
        Err(errors) => {
            let mid = m.id;
            let b = ctx.db(move |db| db.email_branding(mid)).await?;
            return Ok(settings_form(&ctx.view(), &m, &f, &errors, None, (&b, &[]))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let (mid, actor) = (m.id, ctx.actor());
    ctx.db(move |db| db.set_merchant_settings(mid, &settings, &actor))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    Ok(see_other(
        &ctx,
        &format!("/parameters/merchants/{mid}/settings?done=1"),
    ))
}
