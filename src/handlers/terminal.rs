//! Processing › Virtual terminal: the form that makes a payment request, and the
//! one-time hand-over of a link that is shown instead of emailed.

use poem::http::StatusCode;
use poem::web::Form;
use poem::{IntoResponse, Response, handler};

use super::{Ctx, see_other};
use crate::domain::merchant_settings::MerchantSettings;
use crate::domain::money::Currency;
use crate::domain::payment::RequestForm;
use crate::domain::user::FieldError;
use crate::pages::terminal::{TerminalChoice, TerminalExtras, offered_currencies, terminal_page};

/// Every (merchant, terminal) the user may create a request on.
async fn choices(ctx: &Ctx) -> poem::Result<Vec<TerminalChoice>> {
    let scope = ctx.scope();
    let merchants = ctx
        .db(move |db| {
            db.merchants(scope)?
                .into_iter()
                .map(|m| Ok((db.merchant_settings(m.id)?.currencies, m)))
                .collect::<crate::db::Result<Vec<_>>>()
        })
        .await?;
    let mut out = Vec::new();
    for (currencies, m) in merchants {
        if m.terminals.is_empty() {
            out.push(TerminalChoice {
                label: ctx.t("sans terminal", "no terminal").into(),
                terminal: 0,
                merchant: m,
                currencies,
            });
        } else {
            for t in m.terminals.clone() {
                out.push(TerminalChoice {
                    label: format!("{} {}", t.number, t.label).trim().to_string(),
                    terminal: t.number,
                    merchant: m.clone(),
                    currencies: currencies.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[handler]
pub async fn terminal_form(ctx: Ctx) -> poem::Result<Response> {
    let choices = choices(&ctx).await?;
    // MAD first when offered, else the first currency offered.
    let currency = offered_currencies(&choices)
        .first()
        .map_or("MAD", |c| c.code())
        .to_string();
    let form = RequestForm {
        currency,
        lang: ctx.lang.code().into(),
        ..RequestForm::default()
    };
    Ok(terminal_page(&ctx.view(), &form, &[], &choices, extras(&ctx, None)).into_response())
}

/// Whether a mail server is configured, and the preview to show if any.
fn extras<'a>(ctx: &Ctx, preview: Option<&'a crate::domain::outbox::Mail>) -> TerminalExtras<'a> {
    TerminalExtras {
        smtp: ctx.state.config.smtp.is_some(),
        preview,
    }
}

fn no_terminal_chosen() -> FieldError {
    FieldError::new(
        "terminal",
        "Choisissez le marchand et le terminal.",
        "Choose the merchant and terminal.",
    )
}

/// The form again with its errors (422); never the card numbers typed.
fn refused_form(
    ctx: &Ctx,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
) -> Response {
    terminal_page(
        &ctx.view(),
        &form.without_card_numbers(),
        errors,
        choices,
        extras(ctx, None),
    )
    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
    .into_response()
}

#[handler]
pub async fn terminal_submit(ctx: Ctx, Form(form): Form<RequestForm>) -> poem::Result<Response> {
    let choices = choices(&ctx).await?;
    let chosen = choices.iter().find(|c| c.key() == form.terminal.trim());
    let parsed = form.parse(ctx.today(), ctx.lang);
    // Only a currency the merchant accepts, even when posted by hand.
    let refused_currency = chosen.and_then(|c| {
        let currency = Currency::parse(&form.currency)?;
        let accepted = MerchantSettings {
            currencies: c.currencies.clone(),
            ..MerchantSettings::default()
        };
        (!accepted.accepts(currency)).then(|| accepted.currency_error("currency", currency))
    });
    let (input, choice) = match (parsed, chosen, refused_currency) {
        (Ok(input), Some(choice), None) => (input, choice),
        (parsed, chosen, refused_currency) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(refused_currency);
            if chosen.is_none() {
                errors.insert(0, no_terminal_chosen());
            }
            return Ok(refused_form(&ctx, &form, &errors, &choices));
        }
    };
    if form.action == "preview" {
        // The email the mail module would queue, with a stand-in for the link's
        // secret; nothing is written.
        let user = ctx.require_user()?.username.clone();
        let now = ctx.now();
        let mut req =
            input.into_request(choice.merchant.id, choice.terminal, &user, "…".into(), now);
        req.token = "…".into();
        let mid = choice.merchant.id;
        let look = ctx.db(move |db| db.mail_look(mid)).await?;
        let mail = crate::mail::payment_link(
            &req,
            &look,
            &ctx.state.config.base_url,
            now.unix_timestamp(),
            // The customer reads it in the appliance's zone, as it will be sent.
            &ctx.state.config.time_zone,
        );
        let page = terminal_page(
            &ctx.view(),
            &form.without_card_numbers(),
            &[],
            &choices,
            extras(&ctx, Some(&mail)),
        );
        return Ok(page.into_response());
    }
    let send = form.action != "show";
    let (merchant_id, terminal) = (choice.merchant.id, choice.terminal);
    let user = ctx.require_user()?.username.clone();
    let currency = input.currency;
    let created = match ctx
        .gateway(move |g| Ok(g.create_request(input, merchant_id, terminal, &user, send)))
        .await?
    {
        Ok(created) => created,
        // The settings changed since the form was checked: refused the same way.
        Err(crate::db::Error::CurrencyNotAccepted(_)) => {
            let mid = merchant_id;
            let settings = ctx.db(move |db| db.merchant_settings(mid)).await?;
            let errors = [settings.currency_error("currency", currency)];
            return Ok(refused_form(&ctx, &form, &errors, &choices));
        }
        Err(e) => return Err(ctx.internal(&e)),
    };
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
pub(super) fn hand_over(ctx: &Ctx, request: u64, link: Option<String>) -> String {
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
pub(super) fn take_over(ctx: &Ctx, request: u64, key: &str) -> Option<String> {
    let mut map = ctx.state.once_links.0.lock().ok()?;
    let l = map.remove(key)?;
    let mine = ctx.user().is_some_and(|u| u.id == l.user);
    (mine && l.request == request && l.until > ctx.now().unix_timestamp()).then_some(l.link)
}
