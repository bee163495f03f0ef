//! Processing › Virtual terminal and Payment requests.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::payment::{RequestForm, RequestStatus};
use crate::domain::user::FieldError;
use crate::fragments::flash;
use crate::pages::terminal::{
    RequestView, TerminalChoice, cancel_confirm, outbox_page, request_page, requests_page,
    terminal_page,
};

fn require_terminal(ctx: &Ctx) -> poem::Result<()> {
    if ctx.user().is_some_and(|u| u.permissions().virtual_terminal) {
        Ok(())
    } else {
        Err(ctx.not_found())
    }
}

fn require_requests(ctx: &Ctx) -> poem::Result<()> {
    let p = ctx.user().map(|u| u.permissions()).unwrap_or_default();
    if p.view || p.virtual_terminal {
        Ok(())
    } else {
        Err(ctx.not_found())
    }
}

/// Every (merchant, terminal) the user may create a request on.
async fn choices(ctx: &Ctx) -> poem::Result<Vec<TerminalChoice>> {
    let scope = ctx.scope();
    let merchants = ctx.db(move |db| db.merchants(scope)).await?;
    let mut out = Vec::new();
    for m in merchants {
        if m.terminals.is_empty() {
            out.push(TerminalChoice {
                label: ctx.t("sans terminal", "no terminal").into(),
                terminal: 0,
                merchant: m,
            });
        } else {
            for t in m.terminals.clone() {
                out.push(TerminalChoice {
                    label: format!("{} {}", t.number, t.label).trim().to_string(),
                    terminal: t.number,
                    merchant: m.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[handler]
pub async fn terminal_form(ctx: Ctx) -> poem::Result<Response> {
    require_terminal(&ctx)?;
    let choices = choices(&ctx).await?;
    let form = RequestForm {
        currency: "MAD".into(),
        lang: ctx.lang.code().into(),
        ..RequestForm::default()
    };
    Ok(terminal_page(&ctx.view(), &form, &[], &choices).into_response())
}

#[handler]
pub async fn terminal_submit(ctx: Ctx, Form(form): Form<RequestForm>) -> poem::Result<Response> {
    require_terminal(&ctx)?;
    let choices = choices(&ctx).await?;
    let chosen = choices.iter().find(|c| c.key() == form.terminal.trim());
    let parsed = form.parse(ctx.now().date());
    let (input, choice) = match (parsed, chosen) {
        (Ok(input), Some(choice)) => (input, choice),
        (parsed, chosen) => {
            let mut errors = parsed.err().unwrap_or_default();
            if chosen.is_none() {
                errors.insert(
                    0,
                    FieldError::new(
                        "terminal",
                        "Choisissez le marchand et le terminal.",
                        "Choose the merchant and terminal.",
                    ),
                );
            }
            return Ok(
                terminal_page(&ctx.view(), &form.without_card_numbers(), &errors, &choices)
                    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            );
        }
    };
    let send = form.action != "show";
    let (merchant_id, terminal) = (choice.merchant.id, choice.terminal);
    let user = ctx.require_user()?.username.clone();
    let created = ctx
        .gateway(move |g| g.create_request(input, merchant_id, terminal, &user, send))
        .await?;
    if created.emailed {
        return Ok(see_other(
            &ctx,
            &format!("/payment-requests/{}?created=sent", created.request.id),
        ));
    }
    // "Show the link": never stored (L8); handed to the next page view once, so a
    // reload neither shows it again nor creates a second request.
    let link = created.request.link(&ctx.state.config.base_url);
    let once = hand_over(&ctx, created.request.id, link);
    Ok(see_other(
        &ctx,
        &format!(
            "/payment-requests/{}?created=shown&once={once}",
            created.request.id
        ),
    ))
}

/// Links waiting to be shown once: (user, request, link, until), by one-time key.
#[derive(Default)]
pub struct OnceLinks(std::sync::Mutex<std::collections::HashMap<String, OnceLink>>);

struct OnceLink {
    user: u64,
    request: u64,
    link: String,
    until: i64,
}

/// How long a link waits for the page that shows it.
const ONCE_SECONDS: i64 = 300;

/// Keeps `link` in memory for the signed-in user's next view of `request`; returns
/// the one-time key that view must carry.
fn hand_over(ctx: &Ctx, request: u64, link: Option<String>) -> String {
    let key = crate::db::sessions::new_token();
    let now = ctx.now().unix_timestamp();
    if let (Some(link), Some(user), Ok(mut map)) = (link, ctx.user(), ctx.state.once_links.0.lock())
    {
        map.retain(|_, l| l.until > now);
        map.insert(
            key.clone(),
            OnceLink {
                user: user.id,
                request,
                link,
                until: now + ONCE_SECONDS,
            },
        );
    }
    key
}

/// Takes the link kept under `key`, if it is this user's for this request.
fn take_over(ctx: &Ctx, request: u64, key: &str) -> Option<String> {
    let mut map = ctx.state.once_links.0.lock().ok()?;
    let l = map.remove(key)?;
    let mine = ctx.user().is_some_and(|u| u.id == l.user);
    (mine && l.request == request && l.until > ctx.now().unix_timestamp()).then_some(l.link)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    before: String,
}

#[handler]
pub async fn requests_list(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    require_requests(&ctx)?;
    let before = q.before.trim().parse::<u64>().ok();
    let scope = ctx.scope();
    const PAGE: usize = 50;
    let (mut list, merchants) = ctx
        .db(move |db| {
            Ok((
                db.payment_requests(scope, before, PAGE + 1)?,
                db.merchants(scope)?,
            ))
        })
        .await?;
    let older = (list.len() > PAGE).then(|| list[PAGE - 1].id);
    list.truncate(PAGE);
    Ok(requests_page(&ctx.view(), &list, &merchants, older).into_response())
}

async fn view(ctx: &Ctx, id: &str) -> poem::Result<RequestView> {
    require_requests(ctx)?;
    let id: u64 = id.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    let base = ctx.state.config.base_url.clone();
    // Attempt rows (holder, masked card, codes) are transaction data: `view` only.
    let may_view = ctx.user().is_some_and(|u| u.permissions().view);
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
                // The link's secret is not kept: shown only when just made.
                link: request.link(&base),
                request,
                mails,
                attempts,
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

#[handler]
pub async fn request_detail(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<RequestQuery>,
) -> poem::Result<Response> {
    let mut v = view(&ctx, &id).await?;
    v.link = take_over(&ctx, v.request.id, &q.once);
    let email = v.request.holder.email.clone();
    let shown = v.link.is_some();
    let notice = match (q.created.as_str(), q.done.as_str()) {
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
                crate::domain::Lang::Fr => {
                    format!("Demande créée : le lien de paiement part par email à {email}.")
                }
                crate::domain::Lang::En => {
                    format!("Request created: the payment link is being emailed to {email}.")
                }
            },
        )),
        (_, "resent") => Some(flash(
            "ok",
            &match ctx.lang {
                crate::domain::Lang::Fr => format!(
                    "Un nouveau lien part par email à {email} : le lien précédent ne permet plus de payer."
                ),
                crate::domain::Lang::En => format!(
                    "A new link is being emailed to {email}: the previous link can no longer be used to pay."
                ),
            },
        )),
        (_, "cancelled") => Some(flash(
            "ok",
            ctx.t(
                "Demande annulée : le lien ne permet plus de payer.",
                "Request cancelled: the link can no longer be used to pay.",
            ),
        )),
        _ => None,
    };
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
    require_terminal(&ctx)?;
    let v = view(&ctx, &id).await?;
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
    require_terminal(&ctx)?;
    let mut v = view(&ctx, &id).await?;
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
    require_terminal(&ctx)?;
    let v = view(&ctx, &id).await?;
    Ok(cancel_confirm(&ctx.view(), &v.request).into_response())
}

#[handler]
pub async fn request_cancel(ctx: Ctx, Path(id): Path<String>) -> poem::Result<Response> {
    require_terminal(&ctx)?;
    let v = view(&ctx, &id).await?;
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

#[handler]
pub async fn outbox(ctx: Ctx, Query(q): Query<ListQuery>) -> poem::Result<Response> {
    if !ctx.user().is_some_and(|u| u.is_admin()) {
        return Err(ctx.not_found());
    }
    let before = q.before.trim().parse::<u64>().ok();
    const PAGE: usize = 100;
    let (mut mails, pending) = ctx
        .db(move |db| Ok((db.mails(before, PAGE + 1)?, db.pending_mail_count()?)))
        .await?;
    let older = (mails.len() > PAGE).then(|| mails[PAGE - 1].id);
    mails.truncate(PAGE);
    let smtp = ctx
        .state
        .config
        .smtp
        .as_ref()
        .map(|s| format!("{}:{} ({:?})", s.host, s.port, s.security).to_lowercase());
    Ok(outbox_page(&ctx.view(), &mails, pending, smtp, older).into_response())
}
