//! One page of a transaction search, as the result table shows it.

use crate::domain::transaction::Transaction;

/// One page of a search with the exact number of matches.
pub struct SearchPage {
    pub total: u64,
    pub rows: Vec<Transaction>,
}
