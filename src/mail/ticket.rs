//! The email of a new message on a support ticket (issue 14, SUP-1), to the other
//! side: who wrote, the message, the ticket's state and a link to its thread, in the
//! recipient's language.

use maud::html;

use super::frame;
use crate::db::outbox::{Mail, MailKind, MailState};
use crate::domain::Lang;

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
}

/// The notification of a new message on a ticket, queued in the outbox as a
/// `MailKind::Ticket` with the ticket's id as `request_id`.
pub fn ticket_message(t: &TicketMail<'_>, now: i64) -> Mail {
    let lang = t.lang;
    let tr = |fr: &str, en: &str| lang.pick(fr, en).to_string();
    let colon = lang.pick(" : ", ": ");
    let subject = match lang {
        Lang::Fr => format!("[Ticket n° {}] {}", t.ticket_id, t.subject),
        Lang::En => format!("[Ticket no. {}] {}", t.ticket_id, t.subject),
    };
    let hello = match lang {
        Lang::Fr => format!("Bonjour {},", t.recipient_name),
        Lang::En => format!("Hello {},", t.recipient_name),
    };
    let wrote = match lang {
        Lang::Fr => format!(
            "{} a écrit sur le ticket n° {} « {} » :",
            t.author, t.ticket_id, t.subject
        ),
        Lang::En => format!(
            "{} wrote on ticket no. {} \"{}\":",
            t.author, t.ticket_id, t.subject
        ),
    };
    let state_label = tr("État du ticket", "Ticket state");
    let open = tr("Ouvrir le ticket", "Open the ticket");
    let answer = tr(
        "Répondez depuis le back-office Guichet (pas en répondant à cet email).",
        "Answer from the Guichet back office (not by replying to this email).",
    );
    let text = format!(
        "{hello}\n\n{wrote}\n\n{}\n\n{state_label}{colon}{}\n\n{open}{colon}{}\n\n{answer}\n\n— Guichet\n",
        t.body, t.state, t.link
    );
    let body = html! {
        p { (hello) }
        p { (wrote) }
        blockquote style="margin:16px 0;padding:8px 14px;border-left:3px solid #0b5a6e;background:#f4f5f7;white-space:pre-wrap" { (t.body) }
        p { (state_label) (colon) strong { (t.state) } }
        p style="margin:28px 0;text-align:center" {
            a href=(t.link) style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold" { (open) }
        }
        p style="font-size:13px;color:#555" { (answer) }
        p style="font-size:13px;color:#555" { (tr("Lien :", "Link:")) " " a href=(t.link) { (t.link) } }
        p { "— Guichet" }
    };
    Mail {
        id: 0,
        created_at: now,
        kind: MailKind::Ticket,
        merchant_id: t.merchant_id,
        request_id: t.ticket_id,
        to: t.to.to_string(),
        subject: subject.clone(),
        text,
        html: frame(lang, &subject, body).into_string(),
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
            },
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
