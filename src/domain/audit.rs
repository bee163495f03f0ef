//! An audit line: who did what to which account, merchant or data, when, from where,
//! and with what outcome.

use serde::{Deserialize, Serialize};

/// What an audit line says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub ip: String,
    /// A stable key such as `user.create`, `sign_in.failure`, `export`.
    pub action: String,
    /// What it was done to, e.g. `user omar.b`.
    pub target: String,
    /// The merchant concerned, if any (for scoping).
    pub merchant_id: Option<u64>,
    /// `ok`, or why it was refused (`refused`, `locked`, …). Empty reads as `ok`.
    pub outcome: String,
    /// Before → after, filters and row counts: what a reviewer needs.
    pub detail: String,
}
