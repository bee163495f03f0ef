//! Chargebacks: the issuer disputes an accepted debit and takes money back from the
//! merchant. Why (a reason from a fixed list), when (the dispute date), and how much
//! may still be disputed. Time is passed in; nothing here reads a clock.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::Lang;
use super::list_row::{charged_back_amount, refunded_amount};
use super::money::Amount;
use super::transaction::{Status, Transaction};

/// Why the issuer disputes the payment, with the nearest Visa and Mastercard codes.
/// Stored (in the Journal): the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum ChargebackReason {
    Fraud = 0,
    NotReceived = 1,
    NotAsDescribed = 2,
    Duplicate = 3,
    Other = 4,
}

impl ChargebackReason {
    pub const ALL: [ChargebackReason; 5] = [
        ChargebackReason::Fraud,
        ChargebackReason::NotReceived,
        ChargebackReason::NotAsDescribed,
        ChargebackReason::Duplicate,
        ChargebackReason::Other,
    ];

    /// Stable key for forms and URLs.
    pub fn key(self) -> &'static str {
        match self {
            ChargebackReason::Fraud => "fraud",
            ChargebackReason::NotReceived => "not-received",
            ChargebackReason::NotAsDescribed => "not-as-described",
            ChargebackReason::Duplicate => "duplicate",
            ChargebackReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ChargebackReason> {
        ChargebackReason::ALL
            .into_iter()
            .find(|r| r.key().eq_ignore_ascii_case(s.trim()))
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            ChargebackReason::Fraud => (
                "Fraude : paiement non autorisé par le porteur",
                "Fraud: not authorized by the cardholder",
            ),
            ChargebackReason::NotReceived => (
                "Marchandise ou service non reçu",
                "Goods or services not received",
            ),
            ChargebackReason::NotAsDescribed => {
                ("Non conforme à la description", "Not as described")
            }
            ChargebackReason::Duplicate => ("Débit en double", "Duplicate charge"),
            ChargebackReason::Other => ("Autre motif", "Other reason"),
        };
        lang.pick(fr, en)
    }

    /// The nearest scheme reason codes, as the acquirer's notice may quote them.
    pub fn scheme_codes(self) -> Option<&'static str> {
        match self {
            ChargebackReason::Fraud => Some("Visa 10.4 · Mastercard 4837"),
            ChargebackReason::NotReceived => Some("Visa 13.1 · Mastercard 4855"),
            ChargebackReason::NotAsDescribed => Some("Visa 13.3 · Mastercard 4853"),
            ChargebackReason::Duplicate => Some("Visa 12.6.1 · Mastercard 4834"),
            ChargebackReason::Other => None,
        }
    }
}

/// The dispute date as stored: its Julian day number.
pub fn dispute_day(on: Date) -> i32 {
    on.to_julian_day()
}

/// The dispute date of a stored Julian day number (`None` when out of range).
pub fn dispute_date(day: i32) -> Option<Date> {
    Date::from_julian_day(day).ok()
}

/// A dispute date as typed in a date field (`2026-03-04`).
pub fn parse_dispute_date(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &format).ok()
}

/// What may still be disputed on `tx`: its amount less its accepted refunds and its
/// earlier chargebacks (zero when nothing is left). `None` unless `tx` is an accepted
/// sale, capture or rebill.
pub fn left_to_dispute(tx: &Transaction, children: &[Transaction]) -> Option<Amount> {
    if !tx.operation.debits() || tx.status() != Status::Accepted {
        return None;
    }
    let gone = refunded_amount(tx, children)
        .checked_add(charged_back_amount(tx, children))
        .unwrap_or(tx.amount);
    Some(tx.amount.checked_sub(gone).unwrap_or(Amount::ZERO))
}

/// Whether `on` may be a dispute date of `tx` now: not after today, not before the
/// day of the transaction (both UTC days).
pub fn dispute_date_ok(tx: &Transaction, on: Date, now: OffsetDateTime) -> Result<(), DateRefusal> {
    if on > now.date() {
        return Err(DateRefusal::InTheFuture);
    }
    if on < tx.created_at().date() {
        return Err(DateRefusal::BeforeTheTransaction(tx.created_at().date()));
    }
    Ok(())
}

/// Why a dispute date is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateRefusal {
    InTheFuture,
    BeforeTheTransaction(Date),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::Operation;
    use crate::domain::transaction::tests::{T0, tx};
    use time::Duration;
    use time::macros::date;

    #[test]
    fn reasons_round_trip_through_their_keys_and_read_in_both_languages() {
        for r in ChargebackReason::ALL {
            assert_eq!(ChargebackReason::parse(r.key()), Some(r));
            assert_ne!(r.label(Lang::Fr), r.label(Lang::En));
        }
        assert_eq!(ChargebackReason::parse("theft"), None);
        assert_eq!(
            ChargebackReason::Fraud.scheme_codes(),
            Some("Visa 10.4 · Mastercard 4837")
        );
    }

    #[test]
    fn what_is_left_is_the_amount_less_refunds_and_earlier_chargebacks() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        assert_eq!(left_to_dispute(&sale, &[]).map(Amount::minor), Some(10_000));
        let mut refund = tx(2, Operation::Refund, 3_000, ResultCode::ACCEPTED, T0);
        refund.parent_id = Some(1);
        let mut cb = tx(3, Operation::Chargeback, 2_000, ResultCode::ACCEPTED, T0);
        cb.parent_id = Some(1);
        let mut refused = tx(4, Operation::Refund, 5_000, ResultCode::ACQUIRER_DOWN, T0);
        refused.parent_id = Some(1);
        let kids = [refund, cb, refused];
        assert_eq!(
            left_to_dispute(&sale, &kids).map(Amount::minor),
            Some(5_000)
        );
        let auth = tx(
            5,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        assert_eq!(left_to_dispute(&auth, &[]), None);
        let no = tx(
            6,
            Operation::Sale,
            10_000,
            ResultCode::INSUFFICIENT_FUNDS,
            T0,
        );
        assert_eq!(left_to_dispute(&no, &[]), None);
    }

    #[test]
    fn a_dispute_date_is_neither_in_the_future_nor_before_the_transaction() {
        let sale = tx(1, Operation::Sale, 10_000, ResultCode::ACCEPTED, T0);
        let now = T0 + Duration::days(10);
        assert_eq!(dispute_date_ok(&sale, T0.date(), now), Ok(()));
        assert_eq!(dispute_date_ok(&sale, now.date(), now), Ok(()));
        assert_eq!(
            dispute_date_ok(&sale, now.date() + Duration::days(1), now),
            Err(DateRefusal::InTheFuture)
        );
        assert_eq!(
            dispute_date_ok(&sale, T0.date() - Duration::days(1), now),
            Err(DateRefusal::BeforeTheTransaction(T0.date()))
        );
    }

    #[test]
    fn a_dispute_date_is_typed_as_year_month_day_and_stored_as_its_julian_day() {
        assert_eq!(
            parse_dispute_date(" 2026-03-04 "),
            Some(date!(2026 - 03 - 04))
        );
        assert_eq!(parse_dispute_date("04/03/2026"), None);
        assert_eq!(parse_dispute_date("2026-02-30"), None);
        let d = date!(2026 - 03 - 04);
        assert_eq!(dispute_date(dispute_day(d)), Some(d));
    }
}
