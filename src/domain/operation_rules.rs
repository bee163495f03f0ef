//! The rules of OPS-1 … OPS-4: what may be refunded, captured, cancelled or rebilled,
//! for how much, and until when. Every rule takes `now`; nothing here reads a clock.

use time::OffsetDateTime;

use super::Lang;
pub use super::chargeback::ChargebackReason;
use super::chargeback::{DateRefusal, dispute_date_ok, left_to_dispute};
use super::list_row::charged_back_amount;
use super::money::{Amount, Currency};
pub use super::rebill::{DEFAULT_REBILLS_PER_DAY, RebillLimits, RebillPolicy, rebill_day};
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
    AmountTooHigh {
        max: Amount,
    },
    NoStoredCard,
    /// M6: a rebill above the original amount (or the merchant's raised ceiling).
    RebillTooHigh {
        max: Amount,
    },
    /// M6: the stored card was rebilled `limit` times today already.
    TooManyRebills {
        limit: u32,
    },
    /// Refunds and chargebacks have already taken back the whole amount.
    NothingLeft,
    /// A chargeback without a reason from the list.
    NoReason,
    /// A chargeback without a dispute date (or with one that is not a date).
    NoDisputeDate,
    DisputeDateInFuture,
    /// A dispute date before the day of the transaction.
    DisputeDateTooEarly {
        day: time::Date,
    },
    /// Another operation on this transaction is with the acquirer right now (or was
    /// when the appliance stopped: it is settled at the next start).
    InProgress,
}

impl OpRefusal {
    pub fn message(&self, lang: Lang, currency: Currency) -> String {
        use crate::domain::money::format_amount;
        match self {
            OpRefusal::NotAccepted => lang.pick("Cette transaction a été refusée : aucune opération n'est possible.", "This transaction was refused: no operation is possible.").into(),
            OpRefusal::WrongOperation(op) => match lang {
                Lang::Fr => format!("Impossible sur une transaction de type « {} ».", op.label(lang)),
                Lang::En => format!("Not possible on a transaction of type \"{}\".", op.label(lang)),
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
            OpRefusal::RebillTooHigh { max } => match lang {
                Lang::Fr => format!("Une nouvelle facturation ne peut pas dépasser {} (le montant d'origine, sauf plafond relevé par un administrateur).", format_amount(*max, currency, lang)),
                Lang::En => format!("A rebill cannot exceed {} (the original amount, unless an administrator raised the ceiling).", format_amount(*max, currency, lang)),
            },
            OpRefusal::TooManyRebills { limit } => match lang {
                Lang::Fr => format!("Cette carte a déjà été refacturée {limit} fois aujourd'hui : réessayez demain."),
                Lang::En => format!("This card has already been rebilled {limit} times today: try again tomorrow."),
            },
            OpRefusal::InProgress => lang.pick("Une autre opération sur cette transaction est en cours auprès de la banque : réessayez dans un instant.", "Another operation on this transaction is with the bank right now: try again in a moment.").into(),
            OpRefusal::NothingLeft => lang.pick("Tout le montant a déjà été remboursé ou contesté (impayé) : il ne reste rien.", "The whole amount has already been refunded or charged back: nothing is left.").into(),
            OpRefusal::NoReason => lang.pick("Choisissez le motif de l'impayé dans la liste.", "Choose the reason of the chargeback from the list.").into(),
            OpRefusal::NoDisputeDate => lang.pick("Saisissez la date de l'impayé (AAAA-MM-JJ).", "Enter the date of the chargeback (YYYY-MM-DD).").into(),
            OpRefusal::DisputeDateInFuture => lang.pick("La date de l'impayé ne peut pas être dans le futur.", "The date of the chargeback cannot be in the future.").into(),
            OpRefusal::DisputeDateTooEarly { day } => match lang {
                Lang::Fr => format!("La date de l'impayé ne peut pas précéder celle de la transaction ({day})."),
                Lang::En => format!("The date of the chargeback cannot be before the transaction's ({day})."),
            },
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

/// The most that may be refunded on `tx` now (OPS-1): an accepted debit, not yet
/// refunded, less what chargebacks took back.
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
    match tx.amount.checked_sub(charged_back_amount(tx, children)) {
        Some(left) if !left.is_zero() => Ok(left),
        _ => Err(OpRefusal::NothingLeft),
    }
}

/// What can never be refunded once `amount` is refunded out of `max` (the most
/// refundable: OPS-1 allows one refund): the rest, zero for a total refund.
pub fn unrefundable_after(max: Amount, amount: Amount) -> Amount {
    max.checked_sub(amount).unwrap_or(Amount::ZERO)
}

/// The most that may be charged back on `tx` now: an accepted sale, capture or
/// rebill, less its accepted refunds and earlier chargebacks.
pub fn disputable(tx: &Transaction, children: &[Transaction]) -> Result<Amount, OpRefusal> {
    if !tx.operation.debits() {
        return Err(OpRefusal::WrongOperation(tx.operation));
    }
    match left_to_dispute(tx, children) {
        None => Err(OpRefusal::NotAccepted),
        Some(left) if left.is_zero() => Err(OpRefusal::NothingLeft),
        Some(left) => Ok(left),
    }
}

/// A chargeback of `amount` on `tx`: `0 < amount ≤ what is left`, a reason from the
/// list, and a dispute date neither after today nor before the transaction's day.
pub fn check_chargeback(
    tx: &Transaction,
    children: &[Transaction],
    amount: Amount,
    reason: Option<ChargebackReason>,
    on: Option<time::Date>,
    now: OffsetDateTime,
) -> Result<(ChargebackReason, time::Date), OpRefusal> {
    check_amount(amount, disputable(tx, children)?)?;
    let reason = reason.ok_or(OpRefusal::NoReason)?;
    let on = on.ok_or(OpRefusal::NoDisputeDate)?;
    dispute_date_ok(tx, on, now).map_err(|e| match e {
        DateRefusal::InTheFuture => OpRefusal::DisputeDateInFuture,
        DateRefusal::BeforeTheTransaction(day) => OpRefusal::DisputeDateTooEarly { day },
    })?;
    Ok((reason, on))
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
/// capture or rebill; M6: never above the original amount (or the merchant's raised
/// ceiling), and at most `max_per_day` per stored card on the UTC day of `now`.
pub fn check_rebill(
    tx: &Transaction,
    amount: Amount,
    limits: &RebillLimits,
    now: OffsetDateTime,
) -> Result<(), OpRefusal> {
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
    let max = limits.ceiling(tx);
    if amount > max {
        return Err(OpRefusal::RebillTooHigh { max });
    }
    // A count of another day is no count for today.
    let today = if limits.day == rebill_day(now) {
        limits.count
    } else {
        0
    };
    if today >= limits.policy.max_per_day {
        return Err(OpRefusal::TooManyRebills {
            limit: limits.policy.max_per_day,
        });
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
        // The daily count is checked when the rebill is confirmed and written.
        Operation::Rebill => {
            check_rebill(tx, tx.amount, &RebillLimits::default(), now).map(|()| tx.amount)
        }
        other => Err(OpRefusal::WrongOperation(other)),
    }
}

/// Checks `op` for `amount` (ignored for a cancel, which releases the whole hold);
/// a rebill against `rebill` (the merchant's policy, the card's count today).
pub fn check_operation(
    op: Operation,
    tx: &Transaction,
    children: &[Transaction],
    amount: Amount,
    rebill: &RebillLimits,
    now: OffsetDateTime,
) -> Result<Amount, OpRefusal> {
    match op {
        Operation::Refund => check_refund(tx, children, amount).map(|()| amount),
        Operation::Capture => check_capture(tx, children, amount, now).map(|()| amount),
        Operation::Cancel => check_cancel(tx, children, now).map(|()| tx.amount),
        Operation::Rebill => check_rebill(tx, amount, rebill, now).map(|()| amount),
        other => Err(OpRefusal::WrongOperation(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::tests::{T0, tx};
    use time::Duration;
    use time::macros::datetime;

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
        // Refunding 40 of 100 leaves 60 that can never be refunded; all of it, nothing.
        assert_eq!(
            unrefundable_after(sale.amount, amount(4_000)),
            amount(6_000)
        );
        assert_eq!(
            unrefundable_after(sale.amount, amount(10_000)),
            Amount::ZERO
        );
    }

    fn child(id: u64, op: Operation, minor: i64) -> Transaction {
        let mut t = tx(id, op, minor, ResultCode::ACCEPTED, T0);
        t.parent_id = Some(1);
        t
    }

    #[test]
    fn a_chargeback_takes_at_most_what_refunds_and_earlier_chargebacks_left() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let now = T0 + Duration::days(3);
        let ok = |kids: &[Transaction], m| {
            check_chargeback(
                &sale,
                kids,
                amount(m),
                Some(ChargebackReason::Fraud),
                Some(now.date()),
                now,
            )
        };
        assert_eq!(ok(&[], 10_000), Ok((ChargebackReason::Fraud, now.date())));
        let kids = [
            child(2, Operation::Refund, 3_000),
            child(3, Operation::Chargeback, 2_000),
        ];
        assert_eq!(disputable(&sale, &kids), Ok(amount(5_000)));
        assert_eq!(ok(&kids, 5_000).map(|_| ()), Ok(()));
        assert_eq!(
            ok(&kids, 5_001),
            Err(OpRefusal::AmountTooHigh { max: amount(5_000) })
        );
        assert_eq!(ok(&kids, 0), Err(OpRefusal::AmountZero));
        let all = [
            child(2, Operation::Refund, 4_000),
            child(3, Operation::Chargeback, 6_000),
        ];
        assert_eq!(ok(&all, 1), Err(OpRefusal::NothingLeft));
    }

    #[test]
    fn a_chargeback_needs_an_accepted_debit_a_reason_and_a_plausible_date() {
        let now = T0 + Duration::days(3);
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let check = |t: &Transaction, r, d| check_chargeback(t, &[], amount(100), r, d, now);
        let fraud = Some(ChargebackReason::Fraud);
        assert_eq!(
            check(&sale, None, Some(now.date())),
            Err(OpRefusal::NoReason)
        );
        assert_eq!(check(&sale, fraud, None), Err(OpRefusal::NoDisputeDate));
        assert_eq!(
            check(&sale, fraud, Some(now.date() + Duration::days(1))),
            Err(OpRefusal::DisputeDateInFuture)
        );
        assert_eq!(
            check(&sale, fraud, Some(T0.date() - Duration::days(1))),
            Err(OpRefusal::DisputeDateTooEarly { day: T0.date() })
        );
        for op in [Operation::Capture, Operation::Rebill] {
            let debit = tx(1, op, 10_000, ResultCode::ACCEPTED, T0);
            assert!(check(&debit, fraud, Some(T0.date())).is_ok(), "{op:?}");
        }
        for op in [
            Operation::Authorization,
            Operation::Refund,
            Operation::Chargeback,
        ] {
            let other = tx(1, op, 10_000, ResultCode::ACCEPTED, T0);
            assert_eq!(
                check(&other, fraud, Some(T0.date())),
                Err(OpRefusal::WrongOperation(op))
            );
        }
        let refused = tx(
            1,
            Operation::Sale,
            10_000,
            ResultCode::INSUFFICIENT_FUNDS,
            T0,
        );
        assert_eq!(
            check(&refused, fraud, Some(T0.date())),
            Err(OpRefusal::NotAccepted)
        );
        assert!(
            OpRefusal::DisputeDateTooEarly { day: T0.date() }
                .message(Lang::Fr, Currency::Mad)
                .contains("2026-03-01")
        );
    }

    #[test]
    fn a_refund_after_a_chargeback_is_limited_to_what_is_left() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let cb = [child(2, Operation::Chargeback, 7_000)];
        assert_eq!(refundable(&sale, &cb), Ok(amount(3_000)));
        assert_eq!(
            check_refund(&sale, &cb, amount(3_001)),
            Err(OpRefusal::AmountTooHigh { max: amount(3_000) })
        );
        let all = [child(2, Operation::Chargeback, 10_000)];
        assert_eq!(refundable(&sale, &all), Err(OpRefusal::NothingLeft));
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

    fn limits(count: u32, now: OffsetDateTime) -> RebillLimits {
        RebillLimits {
            policy: RebillPolicy::default(),
            day: rebill_day(now),
            count,
        }
    }

    #[test]
    fn rebill_needs_an_accepted_transaction_with_a_stored_card() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let l = limits(0, T0);
        assert_eq!(check_rebill(&sale, amount(500), &l, T0), Ok(()));
        let mut no_card = sale.clone();
        no_card.card = None;
        assert_eq!(
            check_rebill(&no_card, amount(500), &l, T0),
            Err(OpRefusal::NoStoredCard)
        );
        let refund = tx(2, Operation::Refund, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(
            check_rebill(&refund, amount(500), &l, T0),
            Err(OpRefusal::WrongOperation(Operation::Refund))
        );
    }

    #[test]
    fn a_rebill_never_exceeds_the_original_amount_unless_an_admin_raised_the_ceiling() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let mut l = limits(0, T0);
        assert_eq!(check_rebill(&sale, amount(10_000), &l, T0), Ok(()));
        assert_eq!(
            check_rebill(&sale, amount(10_001), &l, T0),
            Err(OpRefusal::RebillTooHigh {
                max: amount(10_000)
            })
        );
        l.policy.max_amount_minor = Some(50_000);
        assert_eq!(check_rebill(&sale, amount(50_000), &l, T0), Ok(()));
        assert_eq!(
            check_rebill(&sale, amount(50_001), &l, T0),
            Err(OpRefusal::RebillTooHigh {
                max: amount(50_000)
            })
        );
        l.policy.max_amount_minor = Some(100);
        assert_eq!(
            check_rebill(&sale, amount(10_000), &l, T0),
            Ok(()),
            "a ceiling below the original never lowers it"
        );
    }

    #[test]
    fn the_rebill_policy_form_takes_an_optional_ceiling_and_a_daily_limit() {
        assert_eq!(
            RebillPolicy::parse("", "3"),
            Ok(RebillPolicy {
                max_amount_minor: None,
                max_per_day: 3
            })
        );
        assert_eq!(
            RebillPolicy::parse("1 500,00", "5"),
            Ok(RebillPolicy {
                max_amount_minor: Some(150_000),
                max_per_day: 5
            })
        );
        let fields = |a: &str, n: &str| -> Vec<&'static str> {
            RebillPolicy::parse(a, n)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("abc", "0"), ["max_amount", "max_per_day"]);
        assert_eq!(fields("", "101"), ["max_per_day"]);
        assert_eq!(fields("", "-1"), ["max_per_day"]);
    }

    #[test]
    fn a_stored_card_gets_three_rebills_a_day_and_more_the_next_day() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        for n in 0..3 {
            assert_eq!(check_rebill(&sale, amount(1), &limits(n, T0), T0), Ok(()));
        }
        assert_eq!(
            check_rebill(&sale, amount(1), &limits(3, T0), T0),
            Err(OpRefusal::TooManyRebills { limit: 3 })
        );
        let tomorrow = T0 + Duration::days(1);
        assert_eq!(
            check_rebill(&sale, amount(1), &limits(3, T0), tomorrow),
            Ok(()),
            "yesterday's count does not hold today"
        );
        let mut five = limits(3, T0);
        five.policy.max_per_day = 5;
        assert_eq!(check_rebill(&sale, amount(1), &five, T0), Ok(()));
        assert!(
            rebill_day(datetime!(2026-03-01 23:59:59 UTC))
                < rebill_day(datetime!(2026-03-02 00:00 UTC))
        );
    }
}
