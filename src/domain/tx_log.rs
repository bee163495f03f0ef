//! What is written down about a transaction besides its journal: the notes users add
//! and the history of who did what, when and from where.

use serde::{Deserialize, Serialize};

/// A note a user added to a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub at: i64,
    pub author: String,
    pub ip: String,
    pub text: String,
}

/// A history line: who did what to a transaction, when and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub user: String,
    pub ip: String,
    /// A stable key: `note.add`, `refund`, `capture`, …
    pub action: String,
    pub detail: String,
}
