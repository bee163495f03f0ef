//! The email of a new message on a support ticket (issue 14, SUP-1), to the other
//! side: who wrote, the message, the ticket's state and a link to its thread, in the
//! recipient's language.

use crate::db::outbox::{Mail, MailKind, MailState};
use crate::domain::Lang;
use crate::domain::email_template::{Templates, TicketVars};

/// What the notification of a ticket message says, to one recipient.
pub struct TicketMail<'a> {
    /// The recipient's address.
    pub to: &'a str,
    /// The recipient's name (full name, else username).
    pub recipient_name: &'a str,
    /// The recipient's language.
    pub lang: Lang,
    pub merchant_id: u64,
    pub ticket_id: u64,
    pub subject: &'a str,
    /// Who wrote, as the recipient should read it (`omar (Riad Atlas)`, `Support`).
    pub author: &'a str,
    /// The message; empty when the entry only changed the state.
    pub body: &'a str,
    /// The absolute link to the ticket's thread (see `support::ticket_link`).
    pub link: &'a str,
    /// The ticket's state after the message, in the recipient's language.
    pub state: &'a str,
    /// The ticket's merchant, as the back office names it.
    pub merchant_name: &'a str,
}

/// The notification of a new message on a ticket, rendered from the ticket
/// template in force (Parameters › Emails › Templates) in the recipient's language,
/// queued in the outbox as a `MailKind::Ticket` with the ticket's id as `request_id`.
pub fn ticket_message(t: &TicketMail<'_>, templates: &Templates, now: i64) -> Mail {
    let vars = TicketVars {
        recipient_name: t.recipient_name.to_string(),
        ticket_number: t.ticket_id.to_string(),
        ticket_subject: t.subject.to_string(),
        author: t.author.to_string(),
        message: t.body.to_string(),
        ticket_link: t.link.to_string(),
        state: t.state.to_string(),
        merchant_name: t.merchant_name.to_string(),
    };
    let r = super::ticket(templates, t.lang, &vars);
    Mail {
        id: 0,
        created_at: now,
        kind: MailKind::Ticket,
        merchant_id: t.merchant_id,
        request_id: t.ticket_id,
        to: t.to.to_string(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        state: MailState::Pending,
        next_at: now,
        attempts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(lang: Lang) -> Mail {
        ticket_message(
            &TicketMail {
                to: "nadia@example.ma",
                recipient_name: "Nadia",
                lang,
                merchant_id: 3,
                ticket_id: 12,
                subject: "Refund <late>",
                author: "omar (Riad Atlas)",
                body: "Line 1\nLine 2",
                link: "https://g.example/support/12",
                state: lang.pick("Ouvert", "Open"),
                merchant_name: "Riad Atlas",
            },
            &Templates::default(),
            100,
        )
    }

    #[test]
    fn the_notification_names_the_ticket_the_author_and_links_to_the_thread() {
        let m = sample(Lang::Fr);
        assert_eq!(m.kind, MailKind::Ticket);
        assert_eq!(
            (m.request_id, m.merchant_id, m.to.as_str()),
            (12, 3, "nadia@example.ma")
        );
        assert_eq!(m.subject, "[Ticket n° 12] Refund <late>");
        assert!(m.text.contains("Bonjour Nadia,"), "{}", m.text);
        assert!(m.text.contains("omar (Riad Atlas) a écrit"), "{}", m.text);
        assert!(m.text.contains("Line 1\nLine 2"));
        assert!(m.text.contains("https://g.example/support/12"));
        // The typed subject is escaped in the HTML part.
        assert!(m.html.contains("Refund &lt;late&gt;"), "{}", m.html);
        let en = sample(Lang::En);
        assert_eq!(en.subject, "[Ticket no. 12] Refund <late>");
        assert!(en.text.contains("Ticket state: Open"), "{}", en.text);
    }
}
