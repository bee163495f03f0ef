//! Everything the transaction detail (PROC-5) shows, loaded in one go by
//! `Db::transaction_detail`.

use crate::domain::journal::JournalEntry;
use crate::domain::transaction::Transaction;
use crate::domain::tx_log::{HistoryEntry, NoteEntry};
use crate::domain::user::Merchant;

/// A transaction with what its tabs show.
pub struct TransactionDetail {
    pub tx: Transaction,
    /// Its parent and its children, newest first.
    pub associated: Vec<Transaction>,
    pub merchant: Option<Merchant>,
    /// The merchants in scope (names in the associated table).
    pub merchants: Vec<Merchant>,
    pub notes: Vec<NoteEntry>,
    pub history: Vec<HistoryEntry>,
    pub journal: Vec<JournalEntry>,
}

impl TransactionDetail {
    /// The transactions that follow this one (the parent is not one of them).
    pub fn children(&self) -> Vec<Transaction> {
        self.associated
            .iter()
            .filter(|t| t.parent_id == Some(self.tx.id))
            .cloned()
            .collect()
    }
}
