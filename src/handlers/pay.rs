//! The customer's side of a payment link (LINK-4): public routes, no session.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::Ctx;
use crate::acquirer::{CHALLENGE_CODE, TEST_CARDS};
use crate::db::Scope;
use crate::domain::Lang;
use crate::domain::card_form::CardForm;
use crate::domain::merchant_settings::MerchantSettings;
use crate::domain::payment::{PaymentRequest, RequestStatus};
use crate::domain::support_contacts::SupportContacts;
use crate::fragments::View;
use crate::gateway::{Answer, Start};
use crate::pages::pay::{
    CardFormView, CardValues, PayView, TestCardLine, challenge_page, in_progress_page,
    payment_page, test_cards_page,
};
use crate::pages::pay_result::{closed_page, result_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LangQuery {
    lang: String,
}

/// Who the customer pays, as the merchant's settings show it.
struct Shop {
    /// The name (display name, else company, else name).
    name: String,
    /// The top of the page: the logo text, else the name.
    header: String,
    /// `None` on pages of no merchant (the test cards, an unknown link).
    settings: Option<MerchantSettings>,
    /// The gateway's support contacts (on the refusal pages).
    support: SupportContacts,
}

impl Shop {
    fn plain(name: &str) -> Shop {
        Shop {
            name: name.into(),
            header: name.into(),
            settings: None,
            support: SupportContacts::default(),
        }
    }
}

/// The request of `token` with its merchant as its customers see it.
async fn load(ctx: &Ctx, token: &str) -> poem::Result<Option<(PaymentRequest, Shop)>> {
    let token = token.to_string();
    ctx.db(move |db| {
        let Some(req) = db.payment_request_by_token(&token)? else {
            return Ok(None);
        };
        let settings = db.merchant_settings(req.merchant_id)?;
        let support = db.support_contacts()?;
        let shop = match db.merchant(Scope::Admin, req.merchant_id)? {
            Some(m) => Shop {
                name: settings.shown_name(&m),
                header: settings.header(&m),
                settings: Some(settings),
                support,
            },
            None => Shop {
                settings: Some(settings),
                support,
                ..Shop::plain("")
            },
        };
        Ok(Some((req, shop)))
    })
    .await
}

/// A customer's page: dates in the appliance's zone, whoever else is signed in
/// in the same browser.
fn customer(ctx: &Ctx, lang: Lang, shop: Shop) -> PayView<'_> {
    PayView {
        view: View {
            zone: &ctx.state.config.time_zone,
            ..ctx.view()
        },
        lang,
        merchant: shop.name,
        header: shop.header,
        notice: shop.settings.map(|s| s.notice(lang).to_string()),
        support: shop.support,
        test: ctx.state.gateway.acquirer.is_test(),
        https: ctx.state.config.base_url.starts_with("https://"),
        max_attempts: ctx.state.gateway.max_attempts,
        challenge_code: CHALLENGE_CODE,
    }
}

fn lang_of(chosen: &str, req: Option<&PaymentRequest>, ctx: &Ctx) -> Lang {
    Lang::parse(chosen)
        .or(req.map(|r| r.lang))
        .unwrap_or(ctx.lang)
}

fn unknown(ctx: &Ctx, lang: Lang) -> Response {
    let c = customer(ctx, lang, Shop::plain("Guichet"));
    closed_page(&c, None, None, None)
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

fn redirect(to: String) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("Location", to)
        .finish()
}

fn attempts_left(ctx: &Ctx, req: &PaymentRequest) -> u32 {
    ctx.state
        .gateway
        .max_attempts
        .saturating_sub(req.refused_attempts)
}

/// The page of a request: the card form while it waits, else why it cannot be paid.
async fn render(
    ctx: &Ctx,
    req: PaymentRequest,
    merchant: Shop,
    lang: Lang,
    values: &CardValues,
    errors: &[crate::domain::user::FieldError],
) -> poem::Result<Response> {
    let c = customer(ctx, lang, merchant);
    let status = req.status(ctx.now());
    if status != RequestStatus::Waiting {
        let paid = match req.paid_tx {
            Some(id) => {
                let scope = Scope::Merchant(req.merchant_id);
                ctx.db(move |db| db.transaction(scope, id)).await?
            }
            None => None,
        };
        let code = if status == RequestStatus::Paid {
            StatusCode::OK
        } else {
            StatusCode::GONE
        };
        return Ok(closed_page(&c, Some(&req), Some(status), paid.as_ref())
            .with_status(code)
            .into_response());
    }
    let pending = ctx.state.gateway.pending_challenge(req.id);
    let nonce = crate::db::payments::new_link_token();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = CardFormView {
        nonce: &nonce,
        values,
        errors,
        attempts_left: attempts_left(ctx, &req),
        pending_challenge: pending.as_deref(),
    };
    Ok(payment_page(&c, &req, &form)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn payment_page_get(
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> poem::Result<Response> {
    let Some((req, merchant)) = load(&ctx, &token).await? else {
        return Ok(unknown(&ctx, lang_of(&q.lang, None, &ctx)));
    };
    let lang = lang_of(&q.lang, Some(&req), &ctx);
    render(&ctx, req, merchant, lang, &CardValues::default(), &[]).await
}

#[handler]
pub async fn payment_submit(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<CardForm>,
) -> poem::Result<Response> {
    let Some((req, merchant)) = load(&ctx, &token).await? else {
        return Ok(unknown(&ctx, lang_of(&form.lang, None, &ctx)));
    };
    let lang = lang_of(&form.lang, Some(&req), &ctx);
    let q = format!("?lang={}", lang.code());
    let details = match form.parse(ctx.now().date()) {
        Ok(d) => d,
        Err(errors) => {
            let values = CardValues {
                holder: crate::domain::card::echo_safe(&form.holder),
                // Never the number itself (L1): the last four of a valid one at most.
                number_last4: crate::domain::card::Pan::parse(&form.number)
                    .map(|p| p.last4().to_string())
                    .unwrap_or_default(),
                expiry: crate::domain::card::echo_safe(&form.expiry),
            };
            return render(&ctx, req, merchant, lang, &values, &errors).await;
        }
    };
    let ip = ctx.ip.clone();
    let nonce = form.attempt.clone();
    let t = token.clone();
    let start = ctx
        .gateway(move |g| g.pay(&t, details, &nonce, &ip))
        .await?;
    Ok(match start {
        Start::Answer(Answer::Result(tx)) => redirect(format!("/payment/{token}/result/{tx}{q}")),
        Start::Answer(Answer::Challenge(cid)) => redirect(format!("/payment/{token}/3ds/{cid}{q}")),
        Start::NotPayable(_) => redirect(format!("/payment/{token}{q}")),
        Start::InProgress(cid) => {
            let c = customer(&ctx, lang, merchant);
            in_progress_page(&c, &req, &cid)
                .with_status(StatusCode::CONFLICT)
                .into_response()
        }
        Start::Unknown => unknown(&ctx, lang),
    })
}

#[handler]
pub async fn challenge_get(
    ctx: Ctx,
    Path((token, cid)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> poem::Result<Response> {
    let t = token.clone();
    let c2 = cid.clone();
    let view = ctx.gateway(move |g| g.challenge(&t, &c2)).await?;
    let Some(view) = view else {
        let lang = lang_of(&q.lang, None, &ctx);
        return Ok(redirect(format!("/payment/{token}?lang={}", lang.code())));
    };
    let Some((_, merchant)) = load(&ctx, &token).await? else {
        return Ok(unknown(&ctx, ctx.lang));
    };
    let lang = lang_of(&q.lang, Some(&view.request), &ctx);
    let c = customer(&ctx, lang, merchant);
    Ok(challenge_page(&c, &view.request, &cid, &view.masked, view.brand, false).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    lang: String,
}

#[handler]
pub async fn challenge_submit(
    ctx: Ctx,
    Path((token, cid)): Path<(String, String)>,
    Form(f): Form<CodeForm>,
) -> poem::Result<Response> {
    let lang = Lang::parse(&f.lang).unwrap_or(ctx.lang);
    let q = format!("?lang={}", lang.code());
    if f.code.trim().is_empty() {
        let t = token.clone();
        let c2 = cid.clone();
        if let Some(view) = ctx.gateway(move |g| g.challenge(&t, &c2)).await?
            && let Some((_, merchant)) = load(&ctx, &token).await?
        {
            let c = customer(&ctx, lang, merchant);
            return Ok(
                challenge_page(&c, &view.request, &cid, &view.masked, view.brand, true)
                    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            );
        }
    }
    let t = token.clone();
    let answer = ctx
        .gateway(move |g| g.answer_challenge(&t, &cid, &f.code))
        .await?;
    Ok(match answer {
        Some(Answer::Result(tx)) => redirect(format!("/payment/{token}/result/{tx}{q}")),
        _ => redirect(format!("/payment/{token}{q}")),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AbandonForm {
    challenge: String,
    lang: String,
}

#[handler]
pub async fn abandon(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<AbandonForm>,
) -> poem::Result<Response> {
    let t = token.clone();
    ctx.gateway(move |g| g.abandon(&t, &f.challenge)).await?;
    let lang = lang_of(&f.lang, None, &ctx);
    Ok(redirect(format!("/payment/{token}?lang={}", lang.code())))
}

#[handler]
pub async fn result(
    ctx: Ctx,
    Path((token, tx)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> poem::Result<Response> {
    let Ok(tx_id) = tx.parse::<u64>() else {
        return Ok(unknown(&ctx, lang_of(&q.lang, None, &ctx)));
    };
    let t = token.clone();
    let found = ctx.gateway(move |g| g.attempt(&t, tx_id)).await?;
    let (Some((req, tx)), Some((_, merchant))) = (found, load(&ctx, &token).await?) else {
        return Ok(unknown(&ctx, lang_of(&q.lang, None, &ctx)));
    };
    let lang = lang_of(&q.lang, Some(&req), &ctx);
    let c = customer(&ctx, lang, merchant);
    let status = req.status(ctx.now());
    let r = req.clone();
    let back = ctx.gateway(move |g| g.shop_return(&r)).await?;
    let page = result_page(
        &c,
        &req,
        &tx,
        (status, attempts_left(&ctx, &req)),
        back.as_ref(),
    );
    let mut resp = page.into_response();
    if let Some(b) = &back {
        // The form goes to the shop: the one origin besides ours it may post to.
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            b.origin()
        );
        if let Ok(v) = poem::http::HeaderValue::from_str(&csp) {
            resp.headers_mut().insert("content-security-policy", v);
        }
    }
    Ok(resp)
}

#[handler]
pub async fn test_cards(ctx: Ctx, Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.lang).unwrap_or(ctx.lang);
    let c = customer(&ctx, lang, Shop::plain("Guichet"));
    let cards: Vec<TestCardLine> = TEST_CARDS
        .iter()
        .map(|card| TestCardLine {
            number: card.display(),
            brand: card.brand,
            country: card.country,
            behaviour: card.behaviour(lang),
        })
        .collect();
    test_cards_page(&c, &cards).into_response()
}
