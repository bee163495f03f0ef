//! Support tickets (issue 14, SUP-1): the list, the new-ticket form, a ticket's
//! thread with its answer and state forms. A merchant's user sees only its
//! merchant's tickets (404 otherwise); admins see them all and answer them.

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::keyset::keyset_page;
use super::{Ctx, see_other};
use crate::db::Scope;
use crate::db::outbox::Mail;
use crate::domain::card_text::contains_pan_like;
use crate::domain::email_template::Templates;
use crate::domain::support::MESSAGE_MAX;
use crate::domain::support::{
    NewTicketForm, RawTicketFilter, Reply, Side, Ticket, TicketMessage, TicketState, parse_message,
    ticket_link,
};
use crate::domain::user::{FieldError, Merchant, User};
use crate::mail::ticket::{TicketMail, ticket_message};
use crate::pages::support::{
    AnswerTyped, ListView, NewView, ThreadView, list_page, new_page, thread_page,
};

/// Tickets per page of the list.
const PAGE: usize = 50;

/// The notification of a message by `author` (as its readers should name them) for
/// each recipient, in the recipient's language, linking to the ticket under
/// `base_url`.
fn composer(
    base_url: String,
    author: String,
    (templates, merchants): (Templates, Vec<Merchant>),
) -> impl Fn(&Ticket, &TicketMessage, &User) -> Option<Mail> + Send + 'static {
    move |t, m, r| {
        let merchant_name = merchants
            .iter()
            .find(|x| x.id == t.merchant_id)
            .map_or("", |x| x.display_name());
        let name = if r.full_name.trim().is_empty() {
            &r.username
        } else {
            &r.full_name
        };
        let link = ticket_link(&base_url, t.id);
        Some(ticket_message(
            &TicketMail {
                to: &r.email,
                recipient_name: name,
                lang: r.lang,
                merchant_id: t.merchant_id,
                ticket_id: t.id,
                subject: &t.subject,
                author: &author,
                body: &m.body,
                link: &link,
                state: t.state.label(r.lang),
                merchant_name,
            },
            &templates,
            m.at,
        ))
    }
}

/// What the notifications are written with: the email templates in force and the
/// merchants' names (read before the write that queues them).
async fn mail_context(ctx: &Ctx) -> poem::Result<(Templates, Vec<Merchant>)> {
    ctx.db(|db| Ok((db.email_templates()?, db.merchants(Scope::Admin)?)))
        .await
}

/// How the other side reads the author's name: `omar (Riad Atlas)` for a merchant's
/// user, `admin (Support)` for the support side.
async fn author_display(ctx: &Ctx, user: &User) -> poem::Result<String> {
    Ok(match (Side::of(user), user.merchant_id()) {
        (Side::Merchant, Some(m)) => {
            let scope = ctx.scope();
            let merchant = ctx.db(move |db| db.merchant(scope, m)).await?;
            match merchant {
                Some(m) => format!("{} ({})", user.username, m.name),
                None => user.username.clone(),
            }
        }
        _ => format!("{} (Support)", user.username),
    })
}

fn html(markup: maud::Markup, status: StatusCode) -> Response {
    markup.with_status(status).into_response()
}

#[handler]
pub async fn support_list(ctx: Ctx, Query(raw): Query<RawTicketFilter>) -> poem::Result<Response> {
    let user_id = ctx.require_user()?.id;
    let scope = ctx.scope();
    let mut filter = raw.parse();
    if scope != Scope::Admin {
        filter.merchant = None;
    }
    let before = raw.before();
    let now = ctx.now().unix_timestamp();
    let (rows, merchants, unread, contacts) = ctx
        .db(move |db| {
            let rows = db.tickets(scope, &filter, now, before, PAGE + 1)?;
            let ids: Vec<u64> = rows.iter().map(|t| t.id).collect();
            let unread = db.unread_among(user_id, &ids)?;
            Ok((rows, db.merchants(scope)?, unread, db.support_contacts()?))
        })
        .await?;
    let (tickets, older) = keyset_page(rows, PAGE, |t| t.id);
    let view = ListView {
        tickets: &tickets,
        unread: &unread,
        filter: &filter,
        merchants: &merchants,
        older,
        paged: before.is_some(),
        done: None,
        contacts: &contacts,
    };
    Ok(html(list_page(&ctx.view(), &view), StatusCode::OK))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    tx: String,
}

/// The transaction `raw` names, if the user may see it; 404 when it names one
/// that is not a number or not theirs.
async fn transaction_of(
    ctx: &Ctx,
    raw: &str,
) -> poem::Result<Option<crate::domain::transaction::Transaction>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let id: u64 = raw.parse().map_err(|_| ctx.not_found())?;
    let scope = ctx.scope();
    let tx = ctx.db(move |db| db.transaction(scope, id)).await?;
    tx.map(Some).ok_or_else(|| ctx.not_found())
}

#[handler]
pub async fn ticket_new(ctx: Ctx, Query(q): Query<NewQuery>) -> poem::Result<Response> {
    let tx = transaction_of(&ctx, &q.tx).await?;
    let form = NewTicketForm {
        tx: tx.as_ref().map(|t| t.id.to_string()).unwrap_or_default(),
        ..NewTicketForm::default()
    };
    let view = NewView {
        form: &form,
        errors: &[],
        transaction: tx.as_ref(),
    };
    Ok(html(new_page(&ctx.view(), &view), StatusCode::OK))
}

#[handler]
pub async fn ticket_create(ctx: Ctx, Form(f): Form<NewTicketForm>) -> poem::Result<Response> {
    let user = ctx.require_user()?.clone();
    if user.is_admin() {
        // Admins answer tickets; the page says so.
        let view = NewView {
            form: &f,
            errors: &[],
            transaction: None,
        };
        return Ok(html(new_page(&ctx.view(), &view), StatusCode::BAD_REQUEST));
    }
    let tx = transaction_of(&ctx, &f.tx).await?;
    let new = match f.parse() {
        Ok(n) => n,
        Err(errors) => {
            // A card number typed by mistake is never sent back.
            let mut f = f;
            if contains_pan_like(&f.subject) {
                f.subject.clear();
            }
            if contains_pan_like(&f.message) {
                f.message.clear();
            }
            let view = NewView {
                form: &f,
                errors: &errors,
                transaction: tx.as_ref(),
            };
            return Ok(html(
                new_page(&ctx.view(), &view),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let compose = composer(
        ctx.state.gateway.base_url.clone(),
        author_display(&ctx, &user).await?,
        mail_context(&ctx).await?,
    );
    let actor = ctx.actor();
    let t = ctx
        .db(move |db| db.open_ticket(new, &user, &actor, &compose))
        .await?;
    ctx.state.gateway.mail_ready.notify_one();
    Ok(see_other(&ctx, &format!("/support/{}?done=opened", t.id)))
}

fn ticket_id(ctx: &Ctx, raw: &str) -> poem::Result<u64> {
    raw.parse().map_err(|_| ctx.not_found())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ThreadQuery {
    done: String,
}

/// The ticket's page with what was typed, its errors and a message above.
async fn thread_response(
    ctx: &Ctx,
    id: u64,
    typed: &AnswerTyped,
    errors: &[FieldError],
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> poem::Result<Response> {
    let user_id = ctx.require_user()?.id;
    let scope = ctx.scope();
    let (ticket, thread, merchant, unread) = ctx
        .db(move |db| {
            let (t, thread) = db
                .ticket_thread(scope, id)?
                .ok_or(crate::db::Error::NotFound)?;
            let merchant = db.merchant(scope, t.merchant_id)?;
            // Reading the ticket reads its messages; the Support tab counts again.
            db.mark_ticket_read(user_id, id)?;
            let unread = db.unread_ticket_count(user_id)?;
            Ok((t, thread, merchant, unread))
        })
        .await?;
    let mut ctx = ctx.clone();
    if let Some(s) = ctx.signed.as_mut() {
        s.unread_tickets = unread;
    }
    let view = ThreadView {
        ticket: &ticket,
        thread: &thread,
        merchant: merchant.as_ref(),
        typed,
        errors,
        notice,
    };
    Ok(html(thread_page(&ctx.view(), &view), status))
}

#[handler]
pub async fn ticket_thread(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> poem::Result<Response> {
    let id = ticket_id(&ctx, &id)?;
    let notice = match q.done.as_str() {
        "opened" => Some(ctx.t(
            "Ticket ouvert : le support est prévenu et vous répondra ici.",
            "Ticket opened: support has been told and will answer here.",
        )),
        "sent" => Some(ctx.t("Message envoyé.", "Message sent.")),
        "state" => Some(ctx.t("État modifié.", "State changed.")),
        _ => None,
    }
    .map(|text| ("ok", text.to_string()));
    thread_response(
        &ctx,
        id,
        &AnswerTyped::default(),
        &[],
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    message: String,
    /// The state the support side chose (ignored for merchants).
    state: String,
}

#[handler]
pub async fn ticket_answer(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> poem::Result<Response> {
    let id = ticket_id(&ctx, &id)?;
    let user = ctx.require_user()?.clone();
    let scope = ctx.scope();
    let ticket = ctx
        .db(move |db| db.ticket(scope, id))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    // What was typed is shown again, never a card number typed by mistake.
    let typed = AnswerTyped {
        message: if contains_pan_like(&f.message) {
            String::new()
        } else {
            f.message.chars().take(MESSAGE_MAX + 100).collect()
        },
        state: f.state.clone(),
    };
    let refused = |text: &str| Some(("err", text.to_string()));
    if ticket.state == TicketState::Closed {
        let text = crate::domain::support::Refusal::Closed.message(ctx.lang);
        return thread_response(&ctx, id, &typed, &[], refused(text), StatusCode::CONFLICT).await;
    }
    let body = match parse_message(&f.message) {
        Ok(b) => b,
        Err(e) => {
            return thread_response(
                &ctx,
                id,
                &typed,
                &[e],
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let chosen = if user.is_admin() {
        TicketState::parse(&f.state)
    } else {
        None
    };
    let compose = composer(
        ctx.state.gateway.base_url.clone(),
        author_display(&ctx, &user).await?,
        mail_context(&ctx).await?,
    );
    let actor = ctx.actor();
    let posted = ctx
        .db(move |db| {
            let reply = Reply {
                body,
                state: chosen,
            };
            db.post_ticket_message(scope, id, &user, reply, &actor, &compose)
        })
        .await?;
    match posted {
        Ok(_) => {
            ctx.state.gateway.mail_ready.notify_one();
            Ok(see_other(&ctx, &format!("/support/{id}?done=sent")))
        }
        Err(r) => {
            thread_response(
                &ctx,
                id,
                &typed,
                &[],
                refused(r.message(ctx.lang)),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StateForm {
    state: String,
}

#[handler]
pub async fn ticket_state(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StateForm>,
) -> poem::Result<Response> {
    let id = ticket_id(&ctx, &id)?;
    let user = ctx.require_user()?.clone();
    let scope = ctx.scope();
    ctx.db(move |db| db.ticket(scope, id))
        .await?
        .ok_or_else(|| ctx.not_found())?;
    let typed = AnswerTyped::default();
    let Some(to) = TicketState::parse(&f.state) else {
        let text = ctx.t("Choisissez le nouvel état.", "Choose the new state.");
        return thread_response(
            &ctx,
            id,
            &typed,
            &[],
            Some(("err", text.to_string())),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = ctx.actor();
    let changed = ctx
        .db(move |db| db.set_ticket_state(id, to, &user, &actor))
        .await?;
    match changed {
        Ok(_) => Ok(see_other(&ctx, &format!("/support/{id}?done=state"))),
        Err(r) => {
            thread_response(
                &ctx,
                id,
                &typed,
                &[],
                Some(("err", r.message(ctx.lang).to_string())),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
