//! The messages of the email outbox (LINK-5) as the back office shows them: what a
//! message is about, its state and each sending attempt.

use serde::{Deserialize, Serialize};

/// What a message is about.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum MailKind {
    PaymentLink = 0,
    Receipt = 1,
    /// A new user's one-time sign-in link (issue 14).
    Welcome = 2,
    /// A new message on a support ticket (issue 14, SUP-1); `request_id` holds the
    /// ticket's id.
    Ticket = 3,
    // 3 is `Ticket` (support tickets, issue 14 point 1), added on its own branch:
    // merged in front of `TemplateTest` so that postcard's variant index (the
    // declaration position, not the discriminant) is 4 for it.
    /// An email template's test, sent to the admin who asked (issue 14, LINK-3).
    TemplateTest = 4,
}

impl MailKind {
    /// Emails a merchant sends its customers (the payment link, the receipts): the
    /// merchant's name is the sender's display name.
    pub fn from_merchant(self) -> bool {
        matches!(self, MailKind::PaymentLink | MailKind::Receipt)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttempt {
    pub at: i64,
    /// `None` when the server took the message.
    pub error: Option<String>,
}

/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum MailState {
    Pending = 0,
    Sent = 1,
    /// Given up after too many attempts or a permanent refusal.
    Failed = 2,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: u64,
    pub created_at: i64,
    pub kind: MailKind,
    pub merchant_id: u64,
    pub request_id: u64,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub state: MailState,
    pub next_at: i64,
    pub attempts: Vec<MailAttempt>,
}
