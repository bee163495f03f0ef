//! Emails (LINK-3, LINK-5): the payment link, the receipts, the new user's sign-in
//! link and the ticket notification, rendered from the templates in force (the
//! admin's version, else the built-in one: `domain::email_template`) in the email's
//! language, queued in the outbox and sent by the worker over SMTP.
//!
//! Customer emails carry their merchant's letterhead: `{{ merchant_name }}` (its
//! sender name, also the From display name the worker writes), `{{ logo_text }}` and
//! its footer under the message.

pub mod ticket;
pub mod worker;

use crate::db::outbox::{Mail, MailKind, MailState};
use crate::domain::Lang;
use crate::domain::customer_ref::short_reference;
use crate::domain::email_template::{
    MailLook, Rendered, TemplateId, TemplateKind, Templates, TicketVars, Vars, render_in_force,
};
use crate::domain::money::format_amount;
use crate::domain::payment::PaymentRequest;
use crate::domain::time::format_datetime;
use crate::domain::transaction::{Operation, Transaction};
use crate::domain::user::User;
use crate::domain::zone::Zone;

/// Template `kind` in `lang` as `templates` hold it, with `vars`. A stored template
/// that fails (checked when saved, so it should not) gives way to the built-in one,
/// with a warning in the log: the email is never lost.
fn rendered(
    templates: &Templates,
    kind: TemplateKind,
    lang: Lang,
    vars: &Vars,
    footer: &str,
) -> Rendered {
    let id = TemplateId::new(kind, lang);
    let (r, failed) = render_in_force(templates, id, vars, footer);
    if let Some(e) = failed {
        tracing::warn!(
            template = %id.slug(),
            "the stored email template failed, the built-in one was used: {}",
            crate::domain::text::log_safe_max(&e.en, 300)
        );
    }
    r
}

/// A customer email of `look`'s merchant: its letterhead's names and footer.
fn customer_mail(look: &MailLook, kind: TemplateKind, lang: Lang, vars: Vars) -> Rendered {
    let vars = vars.with_letterhead(&look.letterhead);
    rendered(&look.templates, kind, lang, &vars, &look.letterhead.footer)
}

/// A message ready to queue (its id is given by the outbox).
fn queued(
    kind: MailKind,
    merchant_id: u64,
    request_id: u64,
    to: &str,
    r: Rendered,
    now: i64,
) -> Mail {
    Mail {
        id: 0,
        created_at: now,
        kind,
        merchant_id,
        request_id,
        to: to.to_string(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        state: MailState::Pending,
        next_at: now,
        attempts: Vec::new(),
    }
}

/// The payment request email with its "Pay the order" link, in the request's
/// language; its date in `zone`, the appliance's (a customer has no profile).
pub fn payment_link(
    req: &PaymentRequest,
    look: &MailLook,
    base_url: &str,
    now: i64,
    zone: &Zone,
) -> Mail {
    let lang = req.lang;
    let vars = Vars::new()
        .text("customer_name", req.holder.name.clone())
        .text("order_id", req.order_id.clone())
        .text("amount", format_amount(req.amount, req.currency, lang))
        .text("description", req.description.clone())
        .text("pay_link", req.link(base_url).unwrap_or_default())
        .text("expires_at", format_datetime(req.expires_at, lang, zone));
    let r = customer_mail(look, TemplateKind::PaymentLink, lang, vars);
    queued(
        MailKind::PaymentLink,
        req.merchant_id,
        req.id,
        &req.holder.email,
        r,
        now,
    )
}

/// The placeholders both receipts share: the details of `tx` (masked card only).
fn receipt_vars(
    tx: &Transaction,
    customer: &str,
    [order, reference]: [&str; 2],
    (lang, zone): (Lang, &Zone),
) -> Vars {
    Vars::new()
        .text("customer_name", customer)
        .text("order_id", order)
        .text("amount", format_amount(tx.amount, tx.currency, lang))
        .text("date", format_datetime(tx.at, lang, zone))
        .text(
            "card",
            tx.card.as_ref().map(|c| c.masked()).unwrap_or_default(),
        )
        .text("reference", reference)
}

/// The customer's receipt once a payment is accepted, in the request's language;
/// its date in `zone`, the appliance's.
pub fn receipt(
    req: &PaymentRequest,
    tx: &Transaction,
    look: &MailLook,
    now: i64,
    zone: &Zone,
) -> Mail {
    let lang = req.lang;
    let reference = short_reference(req.merchant_id, req.id, req.created_at);
    let vars = receipt_vars(
        tx,
        &req.holder.name,
        [&req.order_id, &reference],
        (lang, zone),
    )
    .flag("authorization", tx.operation == Operation::Authorization);
    let r = customer_mail(look, TemplateKind::Receipt, lang, vars);
    queued(
        MailKind::Receipt,
        req.merchant_id,
        req.id,
        &req.holder.email,
        r,
        now,
    )
}

/// The receipt of a rebill on a stored card (M6), to the buyer of the original
/// transaction, in `lang`; its date in `zone`, the appliance's.
pub fn rebill_receipt(
    tx: &Transaction,
    look: &MailLook,
    (lang, zone): (Lang, &Zone),
    now: i64,
) -> Mail {
    // A rebill has no request: its reference is derived from the row, never its number.
    let reference = short_reference(tx.merchant_id, tx.id, tx.at);
    let vars = receipt_vars(
        tx,
        &tx.buyer.name,
        [&tx.sale.order_id, &reference],
        (lang, zone),
    );
    let r = customer_mail(look, TemplateKind::RebillReceipt, lang, vars);
    queued(
        MailKind::Receipt,
        tx.merchant_id,
        0,
        &tx.buyer.email,
        r,
        now,
    )
}

/// A new user's welcome email (issue 14): their username and a one-time sign-in link
/// to choose their password, valid 24 hours; never a password. In `lang`, the
/// caller's choice (the language of the manager's page).
pub fn welcome(
    user: &User,
    link: &str,
    (lang, new_account): (Lang, bool),
    now: i64,
    templates: &Templates,
) -> Mail {
    let vars = Vars::new()
        .flag("new_account", new_account)
        .text("user_name", user.full_name.clone())
        .text("username", user.username.clone())
        .text("sign_in_link", link);
    let r = rendered(templates, TemplateKind::Welcome, lang, &vars, "");
    queued(
        MailKind::Welcome,
        user.merchant_id().unwrap_or(0),
        0,
        &user.email,
        r,
        now,
    )
}

/// A ticket notification in `lang` (issue 14, point 1): subject, text and HTML page
/// from the templates in force, for the ticket module to queue as its own mail kind.
pub fn ticket(templates: &Templates, lang: Lang, vars: &TicketVars) -> Rendered {
    rendered(templates, TemplateKind::Ticket, lang, &vars.vars(), "")
}

/// The test email of a template (Parameters › Emails › Templates): `rendered` (the
/// example values) to the admin's own address, its subject marked as a test.
pub fn template_test(to: &str, rendered: Rendered, now: i64) -> Mail {
    let r = Rendered {
        subject: format!("[Test] {}", rendered.subject),
        ..rendered
    };
    queued(MailKind::TemplateTest, 0, 0, to, r, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(message: &str) -> TicketVars {
        TicketVars {
            recipient_name: "Nadia".into(),
            ticket_number: "12".into(),
            ticket_subject: "Refund <late>".into(),
            author: "omar (Riad Atlas)".into(),
            message: message.into(),
            ticket_link: "https://g.example/support/12".into(),
            state: "Ouvert".into(),
            merchant_name: "Riad Atlas".into(),
        }
    }

    #[test]
    fn the_ticket_notification_renders_from_the_templates_in_force() {
        let r = ticket(&Templates::default(), Lang::Fr, &vars("Line 1\nLine 2"));
        assert_eq!(r.subject, "[Ticket n° 12] Refund <late>");
        assert!(r.text.starts_with("Bonjour Nadia,\n\nomar (Riad Atlas) a écrit sur le ticket n° 12 « Refund <late> » :\n\nLine 1\nLine 2\n\nÉtat du ticket : Ouvert\n"), "{}", r.text);
        assert!(r.text.contains("https://g.example/support/12"));
        assert!(r.html.contains("Refund &lt;late&gt;"), "{}", r.html);
        // A state change without a message: no empty quote.
        let r = ticket(&Templates::default(), Lang::En, &vars(""));
        assert_eq!(r.subject, "[Ticket no. 12] Refund <late>");
        assert!(
            r.text
                .contains("wrote on ticket no. 12 \"Refund <late>\":\n\nTicket state: Ouvert"),
            "{}",
            r.text
        );
        assert!(!r.html.contains("<blockquote"));
    }
}
