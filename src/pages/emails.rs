//! Parameters › Emails (admins): the outbox with every attempt, and the email table
//! the payment request page shows too.

use maud::{Markup, html};

use super::layout::{Tab, page};
use crate::domain::outbox::{Mail, MailKind, MailState};
use crate::domain::time::format_datetime;
use crate::fragments::View;
use crate::fragments::flash;

pub fn mail_state(view: &View, m: &Mail) -> Markup {
    let (class, text) = match m.state {
        MailState::Sent => ("ok", view.t("Envoyé", "Sent")),
        MailState::Pending if m.attempts.is_empty() => {
            ("warn", view.t("En file d'attente", "Queued"))
        }
        MailState::Pending => ("warn", view.t("Nouvel essai prévu", "Retry scheduled")),
        MailState::Failed => ("ko", view.t("Échec", "Failed")),
    };
    html! { span class={"badge " (class)} { (text) } }
}

pub fn mail_kind(view: &View, k: MailKind) -> &'static str {
    match k {
        MailKind::PaymentLink => view.t("Lien de paiement", "Payment link"),
        MailKind::Receipt => view.t("Reçu", "Receipt"),
    }
}

/// Emails with their state and last attempt.
pub fn mails_table(view: &View, mails: &[Mail]) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr { th { "N°" } th { (view.t("Créé le", "Created")) } th { (view.t("Type", "Kind")) } th { (view.t("Destinataire", "To")) } th { (view.t("Objet", "Subject")) } th { (view.t("État", "State")) } th { (view.t("Essais", "Attempts")) } th { (view.t("Dernier essai", "Last attempt")) } } }
            tbody { @for m in mails {
                tr {
                    td { (m.id) }
                    td class="nowrap" { (format_datetime(m.created_at)) }
                    td { (mail_kind(view, m.kind)) }
                    td { (m.to) }
                    td { @if m.request_id == 0 { (m.subject) } @else { a href={"/payment-requests/" (m.request_id)} { (m.subject) } } }
                    td { (mail_state(view, m)) }
                    td class="num" { (m.attempts.len()) }
                    td { @if let Some(a) = m.attempts.last() {
                        (format_datetime(a.at)) " · "
                        @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => span class="error" { (e) } }
                    } @else if m.state == MailState::Pending {
                        (view.t("pas encore essayé", "not tried yet"))
                    } }
                }
            } }
        } }
    }
}

/// Parameters › Emails (admins): the outbox with every attempt.
pub fn outbox_page(
    view: &View,
    mails: &[Mail],
    pending: u64,
    smtp: Option<String>,
    older: Option<u64>,
) -> Markup {
    let body = html! {
        h1 { (view.t("Emails (file d'envoi)", "Emails (outbox)")) }
        @match &smtp {
            Some(server) => p class="muted" { (view.t("Serveur SMTP :", "SMTP server:")) " " code { (server) } " · " (pending) " " (view.t("en attente", "waiting")) }
            None => (flash("info", &format!("{} {pending} {}", view.t("Aucun serveur SMTP configuré (GUICHET_SMTP_HOST) : les emails restent ici, en attente, et partiront dès qu'un serveur sera configuré.", "No SMTP server configured (GUICHET_SMTP_HOST): emails stay here, waiting, and leave once a server is configured."), view.t("en attente.", "waiting."))))
        }
        @if mails.is_empty() {
            p class="muted" { (view.t("Aucun email pour l'instant.", "No email yet.")) }
        } @else {
            (mails_table(view, mails))
            @if mails.iter().any(|m| !m.attempts.is_empty()) { details class="small" {
                summary { (view.t("Détail des essais", "Attempt details")) }
                @for m in mails { @if !m.attempts.is_empty() {
                    p { strong { "N° " (m.id) } @if m.request_id != 0 { " · " a href={"/payment-requests/" (m.request_id)} { (view.t("demande", "request")) " " (m.request_id) } } }
                    ul { @for a in &m.attempts {
                        li { (format_datetime(a.at)) " · " @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => (e) } }
                    } }
                } }
            } }
            @if let Some(before) = older {
                nav class="pager" { a href={"/parameters/emails?before=" (before)} { (view.t("Plus anciens ›", "Older ›")) } }
            }
        }
    };
    page(
        view,
        view.t("Emails", "Emails"),
        Tab::Parameters,
        Some(super::profile::subtabs(view, "/parameters/emails")),
        body,
    )
}
