//! An operation sent to the acquirer and not yet written (issue 13): recorded
//! before the acquirer is called, removed in the transaction that writes its row.
//! One left behind by a stop is settled at the next start: sent again under the
//! same reference, which the acquirer answers without moving money twice.

use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::money::Amount;
use super::transaction::Operation;

/// Stored: never reorder or remove fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOp {
    pub id: u64,
    /// The transaction the operation applies to.
    pub original: u64,
    pub operation: Operation,
    pub amount: Amount,
    /// Unix seconds when it was asked.
    pub requested_at: i64,
    /// Who asked it: (time, user, IP), as its History line will say.
    pub actor: (i64, String, String),
    /// The confirmation form's one-time key, if any.
    pub key: Option<String>,
    /// The reference the acquirer knows it by (random, 128 bits, hex).
    pub reference: String,
    /// A rebill's own order id (the merchant API's `orderId`); none: the original's.
    pub order_id: Option<String>,
}

impl PendingOp {
    pub fn actor(&self) -> Actor {
        Actor::new(self.actor.0, self.actor.1.clone(), self.actor.2.clone())
    }
}

/// A sale or authorization sent to the acquirer and not yet written: what its rows
/// need (the stored card: never its number or code) to be written at the next
/// start from the acquirer's answer to its reference. Stored: never reorder or
/// remove fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPayment {
    pub id: u64,
    pub request_id: u64,
    pub reference: String,
    pub card: super::transaction::StoredCard,
    pub ip: String,
    /// Unix seconds when it was sent.
    pub sent_at: i64,
    /// The 3-D Secure row's journal so far.
    pub three_ds_steps: Vec<super::journal::JournalEntry>,
}
