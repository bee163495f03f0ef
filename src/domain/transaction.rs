//! The transaction model, its status and the authorization state (FLOW-3, FLOW-4).
//! The operation rules (OPS) are in `operation_rules`. Nothing here reads a clock.

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
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Operation {
    ThreeDSecure = 0,
    Sale = 1,
    Authorization = 2,
    Capture = 3,
    Cancel = 4,
    Refund = 5,
    Rebill = 6,
    /// The issuer's dispute of an accepted debit: money taken back from the merchant.
    Chargeback = 7,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::ThreeDSecure,
        Operation::Sale,
        Operation::Authorization,
        Operation::Capture,
        Operation::Cancel,
        Operation::Refund,
        Operation::Rebill,
        Operation::Chargeback,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Operation::ThreeDSecure => ("Vérification 3-D Secure", "3-D Secure verification"),
            Operation::Sale => ("Vente", "Sale"),
            Operation::Authorization => ("Autorisation", "Authorization"),
            Operation::Capture => ("Capture", "Capture"),
            Operation::Cancel => ("Annulation", "Cancellation"),
            Operation::Refund => ("Remboursement", "Refund"),
            Operation::Rebill => ("Refacturation", "Rebill"),
            Operation::Chargeback => ("Impayé (chargeback)", "Chargeback"),
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
            Operation::Chargeback => "chargeback",
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
    /// Keyed token standing for the card, with the id of its key (see `Pan::storage_token`).
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

    pub(crate) const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

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
