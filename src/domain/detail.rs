//! Everything the transaction detail (PROC-5) shows, loaded in one go by
//! `Db::transaction_detail`, and what its summary says about refunds.

use crate::domain::blacklist::Entry;
use crate::domain::journal::JournalEntry;
use crate::domain::money::Amount;
use crate::domain::support::Ticket;
use crate::domain::transaction::{Operation, Status, Transaction};
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
    /// The blacklist entries its card, email, IP or holder name match (FRAUD-4).
    pub blacklist: Vec<Entry>,
    /// The support tickets about it (issue 14, SUP-1), newest first.
    pub tickets: Vec<Ticket>,
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

    /// The transaction this one follows (a sale's 3-D Secure check, a refund's sale).
    pub fn parent(&self) -> Option<&Transaction> {
        let id = self.tx.parent_id?;
        self.associated.iter().find(|t| t.id == id)
    }

    /// The payment request (payment link) this transaction paid, if any: its point of
    /// sale is written `LINK-{id}` when it comes from the payment page.
    pub fn payment_request_id(&self) -> Option<u64> {
        payment_request_id(&self.tx)
    }

    /// How much of this transaction went back to the cardholder.
    pub fn refunded(&self) -> Refunded {
        refunded(&self.tx, &self.children())
    }
}

/// The payment request a transaction came from, read from its `LINK-{id}` point of sale.
pub fn payment_request_id(tx: &Transaction) -> Option<u64> {
    tx.initiator
        .point_of_sale
        .strip_prefix("LINK-")
        .and_then(|id| id.parse().ok())
}

/// How much of a debit was refunded: what the summary of the detail says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refunded {
    /// Nothing refunded (or not a debit).
    No,
    /// `refunded` of `of`, the rest never refundable (OPS-1 allows one refund).
    Partly { refunded: Amount, of: Amount },
    /// The whole amount.
    Fully(Amount),
}

/// The accepted refunds among `children` of `tx`, against its amount. A refused refund
/// gave nothing back, so it does not count.
pub fn refunded(tx: &Transaction, children: &[Transaction]) -> Refunded {
    let mut total = Amount::ZERO;
    let mut any = false;
    for c in children
        .iter()
        .filter(|c| c.operation == Operation::Refund && c.status() == Status::Accepted)
    {
        any = true;
        match total.checked_add(c.amount) {
            Some(t) => total = t,
            None => return Refunded::Fully(tx.amount),
        }
    }
    if !any || !tx.operation.debits() {
        Refunded::No
    } else if total >= tx.amount {
        Refunded::Fully(tx.amount)
    } else {
        Refunded::Partly {
            refunded: total,
            of: tx.amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::tests::{T0, tx};

    #[test]
    fn a_sale_reads_as_partly_or_fully_refunded_and_a_refused_refund_gives_nothing_back() {
        let sale = tx(1, Operation::Sale, 125_050, ResultCode::ACCEPTED, T0);
        assert_eq!(refunded(&sale, &[]), Refunded::No);
        let half = tx(2, Operation::Refund, 62_525, ResultCode::ACCEPTED, T0);
        assert_eq!(
            refunded(&sale, std::slice::from_ref(&half)),
            Refunded::Partly {
                refunded: Amount::from_minor(62_525).unwrap(),
                of: Amount::from_minor(125_050).unwrap()
            }
        );
        let all = tx(3, Operation::Refund, 125_050, ResultCode::ACCEPTED, T0);
        assert_eq!(
            refunded(&sale, &[all]),
            Refunded::Fully(Amount::from_minor(125_050).unwrap())
        );
        let refused = tx(4, Operation::Refund, 125_050, ResultCode::ACQUIRER_DOWN, T0);
        assert_eq!(refunded(&sale, &[refused]), Refunded::No);
        let rebill = tx(5, Operation::Rebill, 1_000, ResultCode::ACCEPTED, T0);
        assert_eq!(refunded(&sale, &[rebill]), Refunded::No);
    }

    #[test]
    fn a_payment_link_sale_names_its_request_and_other_points_of_sale_do_not() {
        let mut sale = tx(1, Operation::Sale, 100, ResultCode::ACCEPTED, T0);
        assert_eq!(payment_request_id(&sale), None);
        sale.initiator.point_of_sale = "LINK-42".into();
        assert_eq!(payment_request_id(&sale), Some(42));
        sale.initiator.point_of_sale = "LINK-x".into();
        assert_eq!(payment_request_id(&sale), None);
        sale.initiator.point_of_sale = "POS-42".into();
        assert_eq!(payment_request_id(&sale), None);
    }
}
