//! The transaction detail (PROC-5): the transaction, its parent and children, its
//! merchant, notes, history and journal, read for one scope.

use super::{Db, Result, Scope};
use crate::domain::detail::TransactionDetail;

impl Db {
    /// Everything the detail tabs show; `None` when the transaction does not exist or
    /// is not visible in `scope`.
    pub fn transaction_detail(&self, scope: Scope, id: u64) -> Result<Option<TransactionDetail>> {
        let Some(tx) = self.transaction(scope, id)? else {
            return Ok(None);
        };
        let mut associated = Vec::new();
        if let Some(p) = tx
            .parent_id
            .and_then(|p| self.transaction(scope, p).transpose())
        {
            associated.push(p?);
        }
        associated.extend(self.children(scope, id)?);
        associated.sort_by_key(|t| std::cmp::Reverse(t.id));
        let blacklist = self.blacklist_hits(&crate::domain::blacklist::candidate_of(&tx))?;
        Ok(Some(TransactionDetail {
            blacklist,
            merchant: self.merchant(scope, tx.merchant_id)?,
            merchants: self.merchants(scope)?,
            notes: self.notes(id)?,
            history: self.history(id)?,
            journal: self.journal(id)?,
            tickets: self.transaction_tickets(tx.merchant_id, id)?,
            associated,
            tx,
        }))
    }
}
