//! Processing › Payment requests: the list, one request, and its actions (email a
//! new link, show a new link once, cancel).

use maud::Markup;
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::keyset::{BeforeQuery, keyset_page};
use super::terminal::{hand_over, take_over};
use super::{Ctx, see_other};
use crate::domain::payment::RequestStatus;
use crate::domain::permission::Permission;
use crate::fragments::flash;
use crate::pages::payment_requests::{RequestView, cancel_confirm, request_page, requests_page};

#[handler]
pub async fn requests_list(ctx: Ctx, Query(q): Query<BeforeQuery>) -> poem::Result<Response> {
    let before = q.cursor();
    let scope = ctx.scope();
    const PAGE: usize = 50;
    let (list, merchants, from_api) = ctx
        .db(move |db| {
            let list = db.payment_requests(scope, before, PAGE + 1)?;
            let mut from_api = Vec::new();
            for r in &list {
                if db.api_payment(r.id)?.is_some() {
                    from_api.push(r.id);
                }
            }
            Ok((list, db.merchants(scope)?, from_api))
        })
        .await?;
    let (list, older) = keyset_page(list, PAGE, |r| r.id);
    Ok(requests_page(&ctx.view(), (&list, &from_api), &merchants, older).into_response())
}

/// The request `id` with what its page shows; 404 when it is not visible.
async fn load(ctx: &Ctx, id: &str) -> poem::Result<RequestView> {
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    let base = ctx.state.config.base_url.clone();
    let smtp = ctx.state.config.smtp.is_some();
    // Attempt rows (holder, masked card, codes) are transaction data: `view` only.
    let may_view = ctx.user().is_some_and(|u| u.may(Permission::View));
    let found = ctx
        .db(move |db| {
            let Some(request) = db.payment_request(scope, id)? else {
                return Ok(None);
            };
            let mut mails = Vec::new();
            for m in &request.emails {
                mails.extend(db.mail(*m)?);
            }
            let mut attempts = Vec::new();
            for t in request.attempts.iter().filter(|_| may_view) {
                attempts.extend(db.transaction(scope, *t)?);
            }
            Ok(Some(RequestView {
                merchant: db.merchant(scope, request.merchant_id)?,
                api: db.api_payment(request.id)?,
                // The request is visible in this scope: so are its notifications.
                callbacks: db.callbacks_of_request(request.id)?,
                // The link's secret is not kept: shown only when just made.
                link: request.link(&base),
                request,
                mails,
                attempts,
                smtp,
            }))
        })
        .await?;
    found.ok_or_else(|| ctx.not_found())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestQuery {
    created: String,
    done: String,
    once: String,
}

/// Whether a queued email leaves: never claimed before the server took it.
fn waits(ctx: &Ctx) -> &'static str {
    if ctx.state.config.smtp.is_some() {
        ctx.t(
            "Son état (envoyé ou non) est suivi ci-dessous.",
            "Its state (sent or not) is shown below.",
        )
    } else {
        ctx.t(
            "Aucun serveur d'email n'est configuré : il attend et ne part pas tant qu'il n'y en a pas.",
            "No mail server is configured: it waits and does not leave until one is.",
        )
    }
}

/// The message after a creation or an action, from the redirect's query (`shown`:
/// the link is on this page).
fn notice(ctx: &Ctx, q: &RequestQuery, email: &str, shown: bool) -> Option<Markup> {
    match (q.created.as_str(), q.done.as_str()) {
        ("shown", _) if shown => Some(flash(
            "ok",
            ctx.t(
                "Demande créée : copiez le lien ci-dessous et transmettez-le au client. Il ne sera plus affiché ensuite.",
                "Request created: copy the link below and pass it to the customer. It will not be shown again.",
            ),
        )),
        (_, "new_link") if shown => Some(flash(
            "ok",
            ctx.t(
                "Nouveau lien ci-dessous : copiez-le maintenant, il ne sera plus affiché. Le lien précédent ne permet plus de payer.",
                "New link below: copy it now, it will not be shown again. The previous link can no longer be used to pay.",
            ),
        )),
        ("sent", _) => Some(flash(
            "ok",
            &match ctx.lang {
                crate::domain::Lang::Fr => format!(
                    "Demande créée : l'email avec le lien de paiement pour {email} est dans la file d'envoi. {}",
                    waits(ctx)
                ),
                crate::domain::Lang::En => format!(
                    "Request created: the email with the payment link to {email} is in the outbox. {}",
                    waits(ctx)
                ),
            },
        )),
        (_, "resent") => Some(flash(
            "ok",
            &match ctx.lang {
                crate::domain::Lang::Fr => format!(
                    "Un email avec un nouveau lien pour {email} est dans la file d'envoi ; le lien précédent ne permet plus de payer. {}",
                    waits(ctx)
                ),
                crate::domain::Lang::En => format!(
                    "An email with a new link to {email} is in the outbox; the previous link can no longer be used to pay. {}",
                    waits(ctx)
                ),
            },
        )),
        (_, "cancelled") => Some(flash(
            "ok",
            ctx.t(
                "Demande annulée : le lien ne permet plus de payer ; un email qui attendait encore ne partira pas.",
                "Request cancelled: the link can no longer be used to pay; an email still waiting will not leave.",
            ),
        )),
        _ => None,
    }
}

#[handler]
pub async fn request_detail(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<RequestQuery>,
) -> poem::Result<Response> {
    let mut v = load(&ctx, &id).await?;
    v.link = take_over(&ctx, v.request.id, &q.once);
    let notice = notice(&ctx, &q, &v.request.holder.email, v.link.is_some());
    Ok(request_page(&ctx.view(), &v, notice).into_response())
}

fn refused(ctx: &Ctx, v: &RequestView, status: RequestStatus) -> Response {
    let text = match ctx.lang {
        crate::domain::Lang::Fr => format!(
            "Impossible : cette demande est « {} ».",
            status.label(ctx.lang)
        ),
        crate::domain::Lang::En => format!(
            "Not possible: this request is \"{}\".",
            status.label(ctx.lang)
        ),
    };
    request_page(&ctx.view(), v, Some(flash("err", &text)))
        .with_status(StatusCode::CONFLICT)
        .into_response()
}

#[handler]
pub async fn request_resend(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let v = load(&ctx, &id).await?;
    let (scope, rid) = (ctx.scope(), v.request.id);
    match ctx.gateway(move |g| g.resend_request(scope, rid)).await? {
        None => Err(ctx.not_found()),
        Some(Err(status)) => Ok(refused(&ctx, &v, status)),
        Some(Ok(_)) => Ok(see_other(
            &ctx,
            &format!("/payment-requests/{rid}?done=resent"),
        )),
    }
}

/// "New link": a new secret shown once in this answer; the previous link stops working.
#[handler]
pub async fn request_new_link(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let mut v = load(&ctx, &id).await?;
    let (scope, rid) = (ctx.scope(), v.request.id);
    match ctx.gateway(move |g| g.new_request_link(scope, rid)).await? {
        None => Err(ctx.not_found()),
        Some(Err(status)) => Ok(refused(&ctx, &v, status)),
        Some(Ok(req)) => {
            let once = hand_over(&ctx, rid, req.link(&ctx.state.config.base_url));
            Ok(see_other(
                &ctx,
                &format!("/payment-requests/{rid}?done=new_link&once={once}"),
            ))
        }
    }
}

#[handler]
pub async fn request_cancel_confirm(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let v = load(&ctx, &id).await?;
    Ok(cancel_confirm(&ctx.view(), &v.request).into_response())
}

#[handler]
pub async fn request_cancel(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    let v = load(&ctx, &id).await?;
    let (scope, rid) = (ctx.scope(), v.request.id);
    let user = ctx.require_user()?.username.clone();
    match ctx
        .gateway(move |g| g.cancel_request(scope, rid, &user))
        .await?
    {
        None => Err(ctx.not_found()),
        Some(Err(status)) => Ok(refused(&ctx, &v, status)),
        Some(Ok(_)) => Ok(see_other(
            &ctx,
            &format!("/payment-requests/{rid}?done=cancelled"),
        )),
    }
}
