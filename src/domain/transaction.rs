//! The transaction model and the rules of FLOW-3, FLOW-4 and OPS-1 … OPS-4: what may
//! be refunded, captured, cancelled or rebilled, and until when. Every rule takes
//! `now`; nothing here reads a clock.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::Lang;
use super::card::{Brand, mask};
use super::codes::ResultCode;
use super::money::{Amount, Currency};

/// An authorization holds the amount this long (FLOW-3).
pub const AUTHORIZATION_HOLD: Duration = Duration::days(7);
/// A sale or capture is credited to the merchant this long after (FLOW-4).
pub const SETTLEMENT_DELAY: Duration = Duration::hours(48);

/// What a transaction row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operation {
    ThreeDSecure,
    Sale,
    Authorization,
    Capture,
    Cancel,
    Refund,
    Rebill,
}

impl Operation {
    pub const ALL: [Operation; 7] = [
        Operation::ThreeDSecure,
        Operation::Sale,
        Operation::Authorization,
        Operation::Capture,
        Operation::Cancel,
        Operation::Refund,
        Operation::Rebill,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Operation::ThreeDSecure => ("Vérification 3D Secure", "3-D Secure verification"),
            Operation::Sale => ("Vente", "Sale"),
            Operation::Authorization => ("Autorisation", "Authorization"),
            Operation::Capture => ("Capture", "Capture"),
            Operation::Cancel => ("Annulation", "Cancellation"),
            Operation::Refund => ("Remboursement", "Refund"),
            Operation::Rebill => ("Refacturation", "Rebill"),
        };
        lang.pick(fr, en)
    }

    /// Stable key for URLs, exports and storage.
    pub fn key(self) -> &'static str {
        match self {
            Operation::ThreeDSecure => "3ds",
            Operation::Sale => "sale",
            Operation::Authorization => "authorization",
            Operation::Capture => "capture",
            Operation::Cancel => "cancel",
            Operation::Refund => "refund",
            Operation::Rebill => "rebill",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|o| o.key().eq_ignore_ascii_case(s.trim()))
    }

    pub fn index(self) -> u8 {
        self as u8
    }

    pub fn from_index(i: u8) -> Option<Operation> {
        Operation::ALL.get(usize::from(i)).copied()
    }

    /// Operations that debit the customer's card and so may be refunded.
    pub fn debits(self) -> bool {
        matches!(
            self,
            Operation::Sale | Operation::Capture | Operation::Rebill
        )
    }
}

/// Accepted (`000`) or refused (any other code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Accepted,
    Refused,
}

impl Status {
    pub const ALL: [Status; 2] = [Status::Accepted, Status::Refused];

    pub fn of(code: ResultCode) -> Status {
        if code.is_accepted() {
            Status::Accepted
        } else {
            Status::Refused
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Accepted => lang.pick("Acceptée", "Accepted"),
            Status::Refused => lang.pick("Refusée", "Refused"),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|o| o.key().eq_ignore_ascii_case(s.trim()))
    }
}

/// The card as kept: never the full number, never the security code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCard {
    pub bin: String,
    pub last4: String,
    pub pan_len: u8,
    pub brand: Option<Brand>,
    pub exp_month: u8,
    pub exp_year: u16,
    pub holder: String,
    /// Keyed token standing for the card (see `Pan::storage_token`).
    pub token: String,
    pub three_ds: bool,
    /// ISO 3166 alpha-2 country of the issuer.
    pub country: String,
}

impl StoredCard {
    pub fn masked(&self) -> String {
        mask(&self.bin, &self.last4, usize::from(self.pan_len))
    }
}

/// A person: the buyer or the shipping recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub phone: String,
    pub email: String,
    pub birth_date: String,
    pub id_number: String,
}

/// Who started the transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initiator {
    pub user_name: String,
    pub ip: String,
    pub terminal: u32,
    pub merchant_account: String,
    pub point_of_sale: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleDetails {
    pub order_id: String,
    pub description: String,
    pub order_amount: Option<Amount>,
    pub product_id: String,
    pub comment: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affiliation {
    pub affiliate_number: String,
    pub campaign: String,
}

/// One row of the transaction list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: u64,
    /// Unix time in seconds.
    pub at: i64,
    pub merchant_id: u64,
    pub operation: Operation,
    pub amount: Amount,
    pub currency: Currency,
    pub code: ResultCode,
    pub card: Option<StoredCard>,
    pub initiator: Initiator,
    pub sale: SaleDetails,
    pub buyer: Party,
    pub shipping: Party,
    pub affiliation: Affiliation,
    pub test: bool,
    /// The transaction this one follows: the 3-D Secure row for a sale, the
    /// authorization for a capture or cancel, the debit for a refund, the original
    /// for a rebill.
    pub parent_id: Option<u64>,
    pub statement_descriptor: String,
}

impl Transaction {
    pub fn status(&self) -> Status {
        Status::of(self.code)
    }

    pub fn created_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// When the merchant is credited: accepted debits only (FLOW-4).
    pub fn settlement_date(&self) -> Option<OffsetDateTime> {
        (self.operation.debits() && self.status() == Status::Accepted)
            .then(|| self.created_at() + SETTLEMENT_DELAY)
    }
}

/// Where an authorization stands (FLOW-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorizationState {
    /// Holding the amount until `expires_at`.
    Pending {
        expires_at: OffsetDateTime,
    },
    Captured,
    Cancelled,
    Expired,
}

/// The state of an accepted authorization given its follow-up transactions.
pub fn authorization_state(
    auth: &Transaction,
    children: &[Transaction],
    now: OffsetDateTime,
) -> AuthorizationState {
    let accepted = |op| {
        children
            .iter()
            .any(|c| c.operation == op && c.status() == Status::Accepted)
    };
    if accepted(Operation::Capture) {
        return AuthorizationState::Captured;
    }
    if accepted(Operation::Cancel) {
        return AuthorizationState::Cancelled;
    }
    let expires_at = auth.created_at() + AUTHORIZATION_HOLD;
    if now > expires_at {
        AuthorizationState::Expired
    } else {
        AuthorizationState::Pending { expires_at }
    }
}

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
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn tx(
        id: u64,
        op: Operation,
        minor: i64,
        code: ResultCode,
        at: OffsetDateTime,
    ) -> Transaction {
        Transaction {
            id,
            at: at.unix_timestamp(),
            merchant_id: 1,
            operation: op,
            amount: Amount::from_minor(minor).unwrap(),
            currency: Currency::Mad,
            code,
            card: Some(StoredCard {
                bin: "411111".into(),
                last4: "1111".into(),
                pan_len: 16,
                token: "t".into(),
                ..StoredCard::default()
            }),
            initiator: Initiator::default(),
            sale: SaleDetails::default(),
            buyer: Party::default(),
            shipping: Party::default(),
            affiliation: Affiliation::default(),
            test: true,
            parent_id: None,
            statement_descriptor: String::new(),
        }
    }

    const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

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

    #[test]
    fn accepted_debits_settle_48_hours_later() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(sale.settlement_date(), Some(T0 + Duration::hours(48)));
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        assert_eq!(auth.settlement_date(), None);
        let refused = tx(1, Operation::Sale, 10_000, ResultCode::ISSUER_REFUSED, T0);
        assert_eq!(refused.settlement_date(), None);
    }

    #[test]
    fn operations_round_trip_through_their_keys_and_indexes() {
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.key()), Some(op));
            assert_eq!(Operation::from_index(op.index()), Some(op));
        }
    }
}
