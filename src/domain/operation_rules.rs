//! The rules of OPS-1 … OPS-4: what may be refunded, captured, cancelled or rebilled,
//! for how much, and until when. Every rule takes `now`; nothing here reads a clock.

use time::OffsetDateTime;

use super::Lang;
use super::money::{Amount, Currency};
use super::transaction::{AuthorizationState, Operation, Status, Transaction, authorization_state};

/// Why an operation cannot be done on a transaction now.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpRefusal {
    NotAccepted,
    WrongOperation(Operation),
    AlreadyRefunded,
    AlreadyCaptured,
    AlreadyCancelled,
    AuthorizationExpired,
    AmountZero,
    AmountTooHigh { max: Amount },
    NoStoredCard,
}

impl OpRefusal {
    pub fn message(&self, lang: Lang, currency: Currency) -> String {
        use crate::domain::money::format_amount;
        match self {
            OpRefusal::NotAccepted => lang.pick("Cette transaction a été refusée : aucune opération n'est possible.", "This transaction was refused: no operation is possible.").into(),
            OpRefusal::WrongOperation(op) => match lang {
                Lang::Fr => format!("Opération impossible sur une transaction de type « {} ».", op.label(lang)),
                Lang::En => format!("Not possible on a \"{}\" transaction.", op.label(lang)),
            },
            OpRefusal::AlreadyRefunded => lang.pick("Cette transaction a déjà été remboursée (un seul remboursement par transaction).", "This transaction has already been refunded (one refund per transaction).").into(),
            OpRefusal::AlreadyCaptured => lang.pick("Cette autorisation a déjà été capturée.", "This authorization has already been captured.").into(),
            OpRefusal::AlreadyCancelled => lang.pick("Cette autorisation a été annulée.", "This authorization has been cancelled.").into(),
            OpRefusal::AuthorizationExpired => lang.pick("Cette autorisation a expiré (plus de 7 jours).", "This authorization has expired (more than 7 days).").into(),
            OpRefusal::AmountZero => lang.pick("Le montant doit être supérieur à zéro.", "The amount must be greater than zero.").into(),
            OpRefusal::AmountTooHigh { max } => match lang {
                Lang::Fr => format!("Le montant ne peut pas dépasser {}.", format_amount(*max, currency, lang)),
                Lang::En => format!("The amount cannot exceed {}.", format_amount(*max, currency, lang)),
            },
            OpRefusal::NoStoredCard => lang.pick("Aucune carte enregistrée pour cette transaction.", "No stored card for this transaction.").into(),
        }
    }
}

fn check_amount(amount: Amount, max: Amount) -> Result<(), OpRefusal> {
    if amount.is_zero() {
        return Err(OpRefusal::AmountZero);
    }
    if amount > max {
        return Err(OpRefusal::AmountTooHigh { max });
    }
    Ok(())
}

/// The most that may be refunded on `tx` now (OPS-1): an accepted debit, not yet refunded.
pub fn refundable(tx: &Transaction, children: &[Transaction]) -> Result<Amount, OpRefusal> {
    if !tx.operation.debits() {
        return Err(OpRefusal::WrongOperation(tx.operation));
    }
    if tx.status() != Status::Accepted {
        return Err(OpRefusal::NotAccepted);
    }
    if children
        .iter()
        .any(|c| c.operation == Operation::Refund && c.status() == Status::Accepted)
    {
        return Err(OpRefusal::AlreadyRefunded);
    }
    Ok(tx.amount)
}

/// OPS-1: a total or partial refund, `0 < amount ≤ debited`, once.
pub fn check_refund(
    tx: &Transaction,
    children: &[Transaction],
    amount: Amount,
) -> Result<(), OpRefusal> {
    let max = refundable(tx, children)?;
    check_amount(amount, max)
}

/// The most that may be captured on an authorization now (OPS-2).
pub fn capturable(
    auth: &Transaction,
    children: &[Transaction],
    now: OffsetDateTime,
) -> Result<Amount, OpRefusal> {
    pending_authorization(auth, children, now)?;
    Ok(auth.amount)
}

/// OPS-2: capture within the hold, `0 < amount ≤ authorized`, once.
pub fn check_capture(
    auth: &Transaction,
    children: &[Transaction],
    amount: Amount,
    now: OffsetDateTime,
) -> Result<(), OpRefusal> {
    let max = capturable(auth, children, now)?;
    check_amount(amount, max)
}

/// OPS-3: cancel an uncaptured authorization still holding its amount.
pub fn check_cancel(
    auth: &Transaction,
    children: &[Transaction],
    now: OffsetDateTime,
) -> Result<(), OpRefusal> {
    pending_authorization(auth, children, now)
}

fn pending_authorization(
    auth: &Transaction,
    children: &[Transaction],
    now: OffsetDateTime,
) -> Result<(), OpRefusal> {
    if auth.operation != Operation::Authorization {
        return Err(OpRefusal::WrongOperation(auth.operation));
    }
    if auth.status() != Status::Accepted {
        return Err(OpRefusal::NotAccepted);
    }
    match authorization_state(auth, children, now) {
        AuthorizationState::Pending { .. } => Ok(()),
        AuthorizationState::Captured => Err(OpRefusal::AlreadyCaptured),
        AuthorizationState::Cancelled => Err(OpRefusal::AlreadyCancelled),
        AuthorizationState::Expired => Err(OpRefusal::AuthorizationExpired),
    }
}

/// OPS-4: a new charge on the stored card of an accepted sale, authorization,
/// capture or rebill.
pub fn check_rebill(tx: &Transaction, amount: Amount) -> Result<(), OpRefusal> {
    if !matches!(
        tx.operation,
        Operation::Sale | Operation::Authorization | Operation::Capture | Operation::Rebill
    ) {
        return Err(OpRefusal::WrongOperation(tx.operation));
    }
    if tx.status() != Status::Accepted {
        return Err(OpRefusal::NotAccepted);
    }
    if tx.card.as_ref().is_none_or(|c| c.token.is_empty()) {
        return Err(OpRefusal::NoStoredCard);
    }
    if amount.is_zero() {
        return Err(OpRefusal::AmountZero);
    }
    Ok(())
}

/// The back-office operations (OPS-1 … OPS-4), in the order the Operations tab shows them.
pub const OPERATIONS: [Operation; 4] = [
    Operation::Refund,
    Operation::Capture,
    Operation::Cancel,
    Operation::Rebill,
];

/// Whether `op` may be done on `tx` now, with the amount to propose (the most allowed
/// for refunds and captures; the authorized amount for a cancel; the original for a
/// rebill).
pub fn operation_allowed(
    op: Operation,
    tx: &Transaction,
    children: &[Transaction],
    now: OffsetDateTime,
) -> Result<Amount, OpRefusal> {
    match op {
        Operation::Refund => refundable(tx, children),
        Operation::Capture => capturable(tx, children, now),
        Operation::Cancel => check_cancel(tx, children, now).map(|()| tx.amount),
        Operation::Rebill => check_rebill(tx, tx.amount).map(|()| tx.amount),
        other => Err(OpRefusal::WrongOperation(other)),
    }
}

/// Checks `op` for `amount` (ignored for a cancel, which releases the whole hold).
pub fn check_operation(
    op: Operation,
    tx: &Transaction,
    children: &[Transaction],
    amount: Amount,
    now: OffsetDateTime,
) -> Result<Amount, OpRefusal> {
    match op {
        Operation::Refund => check_refund(tx, children, amount).map(|()| amount),
        Operation::Capture => check_capture(tx, children, amount, now).map(|()| amount),
        Operation::Cancel => check_cancel(tx, children, now).map(|()| tx.amount),
        Operation::Rebill => check_rebill(tx, amount).map(|()| amount),
        other => Err(OpRefusal::WrongOperation(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::tests::{T0, tx};
    use time::Duration;

    fn amount(m: i64) -> Amount {
        Amount::from_minor(m).unwrap()
    }

    #[test]
    fn a_sale_is_refunded_once_and_never_above_its_amount() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(refundable(&sale, &[]), Ok(amount(10_000)));
        assert_eq!(check_refund(&sale, &[], amount(10_000)), Ok(()));
        assert_eq!(
            check_refund(&sale, &[], amount(10_001)),
            Err(OpRefusal::AmountTooHigh {
                max: amount(10_000)
            })
        );
        assert_eq!(
            check_refund(&sale, &[], Amount::ZERO),
            Err(OpRefusal::AmountZero)
        );
        let refund = tx(2, Operation::Refund, 5_000, ResultCode::ACCEPTED, T0);
        assert_eq!(
            check_refund(&sale, &[refund], amount(1)),
            Err(OpRefusal::AlreadyRefunded)
        );
        let refused_refund = tx(3, Operation::Refund, 5_000, ResultCode::ACQUIRER_DOWN, T0);
        assert_eq!(check_refund(&sale, &[refused_refund], amount(1)), Ok(()));
    }

    #[test]
    fn refused_sales_and_authorizations_cannot_be_refunded() {
        let refused = tx(
            1,
            Operation::Sale,
            10_000,
            ResultCode::INSUFFICIENT_FUNDS,
            T0,
        );
        assert_eq!(refundable(&refused, &[]), Err(OpRefusal::NotAccepted));
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        assert_eq!(
            refundable(&auth, &[]),
            Err(OpRefusal::WrongOperation(Operation::Authorization))
        );
    }

    #[test]
    fn capture_passes_at_six_days_23_59_and_fails_after_seven_days() {
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        let just_in = T0 + Duration::days(6) + Duration::hours(23) + Duration::minutes(59);
        assert_eq!(check_capture(&auth, &[], amount(10_000), just_in), Ok(()));
        assert_eq!(
            check_capture(&auth, &[], amount(10_000), T0 + Duration::days(7)),
            Ok(())
        );
        let too_late = T0 + Duration::days(7) + Duration::seconds(1);
        assert_eq!(
            check_capture(&auth, &[], amount(1), too_late),
            Err(OpRefusal::AuthorizationExpired)
        );
        assert_eq!(
            authorization_state(&auth, &[], too_late),
            AuthorizationState::Expired
        );
        assert_eq!(
            check_capture(&auth, &[], amount(10_001), T0),
            Err(OpRefusal::AmountTooHigh {
                max: amount(10_000)
            })
        );
    }

    #[test]
    fn a_captured_authorization_cannot_be_captured_or_cancelled_again() {
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        let capture = tx(2, Operation::Capture, 10_000, ResultCode::ACCEPTED, T0);
        let kids = [capture];
        assert_eq!(
            check_capture(&auth, &kids, amount(1), T0),
            Err(OpRefusal::AlreadyCaptured)
        );
        assert_eq!(
            check_cancel(&auth, &kids, T0),
            Err(OpRefusal::AlreadyCaptured)
        );
        assert_eq!(
            authorization_state(&auth, &kids, T0 + Duration::days(30)),
            AuthorizationState::Captured
        );
    }

    #[test]
    fn a_cancelled_authorization_cannot_be_captured() {
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        assert_eq!(check_cancel(&auth, &[], T0), Ok(()));
        let cancel = tx(2, Operation::Cancel, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(
            check_capture(&auth, &[cancel], amount(1), T0),
            Err(OpRefusal::AlreadyCancelled)
        );
        let sale = tx(3, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(
            check_cancel(&sale, &[], T0),
            Err(OpRefusal::WrongOperation(Operation::Sale))
        );
    }

    #[test]
    fn rebill_needs_an_accepted_transaction_with_a_stored_card() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(check_rebill(&sale, amount(500)), Ok(()));
        let mut no_card = sale.clone();
        no_card.card = None;
        assert_eq!(
            check_rebill(&no_card, amount(500)),
            Err(OpRefusal::NoStoredCard)
        );
        let refund = tx(2, Operation::Refund, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(
            check_rebill(&refund, amount(500)),
            Err(OpRefusal::WrongOperation(Operation::Refund))
        );
    }
}
