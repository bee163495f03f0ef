//! The messages of the email outbox (LINK-5) as the back office shows them: what a
//! message is about, its state and each sending attempt.

use serde::{Deserialize, Serialize};

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailKind {
    PaymentLink,
    Receipt,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttempt {
    pub at: i64,
    /// `None` when the server took the message.
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailState {
    Pending,
    Sent,
    /// Given up after too many attempts or a permanent refusal.
    Failed,
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
