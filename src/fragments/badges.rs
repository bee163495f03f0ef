//! Small coloured labels: a result code, a payment request's state, an email's state.

use maud::{Markup, html};

use crate::domain::codes::ResultCode;
use crate::domain::outbox::{Mail, MailState};
use crate::domain::payment::RequestStatus;
use crate::fragments::View;

/// A result code, green when accepted, with its meaning as a tooltip.
pub fn result_badge(view: &View, code: ResultCode) -> Markup {
    let class = if code.is_accepted() { "ok" } else { "ko" };
    html! { span class={"badge " (class)} title=(code.text(view.lang)) { (code) } }
}

/// The state of a payment request.
pub fn status_badge(view: &View, s: RequestStatus) -> Markup {
    let class = match s {
        RequestStatus::Paid => "ok",
        RequestStatus::Waiting => "warn",
        RequestStatus::Blocked => "ko",
        RequestStatus::Expired | RequestStatus::Cancelled => "muted",
    };
    html! { span class={"badge " (class)} { (s.label(view.lang)) } }
}

/// The state of an email in the outbox.
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
