//! Parameters › Emails (admins): the outbox with every attempt, and the email table
//! the payment request page shows too.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::outbox::Mail;
use crate::domain::outbox::MailKind;
use crate::domain::time::format_datetime;
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::subtabs::emails_tabs;
use crate::fragments::tables::{mail_link, mails_table};

/// Parameters › Emails (admins): the outbox with every attempt.
pub fn outbox_page(
    view: &View,
    mails: &[Mail],
    pending: u64,
    smtp: Option<String>,
    older: Option<u64>,
) -> Markup {
    let body = html! {
        h1 { (view.t("Emails", "Emails")) }
        (emails_tabs(view, "/parameters/emails"))
        @match &smtp {
            Some(server) => p class="muted" { (view.t("Serveur SMTP :", "SMTP server:")) " " code { (server) } " · " (view.lang.count(pending, ("email en attente", "emails en attente"), ("email waiting", "emails waiting"))) }
            None => (flash("info", &format!("{} {}.", view.t("Aucun serveur SMTP configuré (GUICHET_SMTP_HOST) : les emails restent ici, en attente, et partiront dès qu'un serveur sera configuré.", "No SMTP server configured (GUICHET_SMTP_HOST): emails stay here, waiting, and leave once a server is configured."), view.lang.count(pending, ("email en attente", "emails en attente"), ("email waiting", "emails waiting")))))
        }
        @if mails.is_empty() {
            p class="empty" { (view.t("Aucun email pour l'instant.", "No email yet.")) }
        } @else {
            div class="stack-cols" { (mails_table(view, mails)) }
            @if mails.iter().any(|m| !m.attempts.is_empty()) { details class="small" {
                summary { (view.t("Détail des essais", "Attempt details")) }
                @for m in mails { @if !m.attempts.is_empty() {
                    p { strong { "N° " (m.id) } @match (m.kind, mail_link(m)) {
                        (MailKind::Ticket, Some(href)) => { " · " a href=(href) { (view.t("ticket", "ticket")) " " (m.request_id) } }
                        (_, Some(href)) => { " · " a href=(href) { (view.t("demande", "request")) " " (m.request_id) } }
                        (_, None) => {}
                    } }
                    ul { @for a in &m.attempts {
                        li { (format_datetime(a.at, view.lang, view.zone)) " · " @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => (e) } }
                    } }
                } }
            } }
            @if let Some(before) = older {
                nav class="pager" { a href={"/parameters/emails?before=" (before)} { (view.t("Plus anciens ›", "Older ›")) } }
            }
        }
    };
    parameters_page(view, view.t("Emails", "Emails"), "/parameters/emails", body)
}
