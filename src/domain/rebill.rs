//! A merchant's rebill limits (M6): the ceiling per rebill and the number of rebills a
//! stored card may get per day, set by an admin; the rule itself is in
//! `operation_rules::check_rebill`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Lang;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::money::{Amount, Currency, parse_positive_amount};
use super::transaction::Transaction;
use super::user::FieldError;

/// Rebills a stored card may get per day unless an admin sets another limit (M6).
pub const DEFAULT_REBILLS_PER_DAY: u32 = 3;

/// A merchant's rebill limits (M6), set by an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebillPolicy {
    /// A rebill may go up to this amount even above the original one; `None`: never
    /// above the original amount. In hundredths of a unit of the rebill's currency
    /// whatever its decimals (it was written when every currency had two): 50000 is
    /// 500 MAD, 500 TND or 500 JPY (see [`RebillLimits::ceiling`]).
    pub max_amount_minor: Option<i64>,
    /// Rebills per stored card and per day (UTC).
    pub max_per_day: u32,
}

impl Default for RebillPolicy {
    fn default() -> Self {
        RebillPolicy {
            max_amount_minor: None,
            max_per_day: DEFAULT_REBILLS_PER_DAY,
        }
    }
}

/// Most rebills per card and day an admin may allow.
pub const MAX_REBILLS_PER_DAY: u32 = 100;

impl RebillPolicy {
    /// The admin's form: a ceiling (empty: the original amount) and rebills per day.
    pub fn parse(max_amount: &str, max_per_day: &str) -> Result<RebillPolicy, Vec<FieldError>> {
        let mut errors = Vec::new();
        let max_amount_minor = if max_amount.trim().is_empty() {
            None
        } else {
            // Hundredths of a unit, whatever the currency: parsed as a 2-decimal amount.
            match parse_positive_amount(max_amount, Currency::Mad, Lang::Fr) {
                Ok(a) => Some(a.minor()),
                Err(e) => {
                    errors.push(FieldError::new(
                        "max_amount",
                        e.message(Lang::Fr),
                        e.message(Lang::En),
                    ));
                    None
                }
            }
        };
        let per_day = max_per_day
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_REBILLS_PER_DAY).contains(n));
        if per_day.is_none() {
            errors.push(FieldError::new(
                "max_per_day",
                format!("Un nombre entier de 1 à {MAX_REBILLS_PER_DAY}."),
                format!("A whole number from 1 to {MAX_REBILLS_PER_DAY}."),
            ));
        }
        match per_day {
            Some(max_per_day) if errors.is_empty() => Ok(RebillPolicy {
                max_amount_minor,
                max_per_day,
            }),
            _ => Err(errors),
        }
    }
}

impl RebillPolicy {
    /// The ceiling as the admin's form shows it, `500.00`; empty without one.
    pub fn ceiling_text(&self) -> String {
        self.max_amount_minor
            .and_then(Amount::from_minor)
            .map(|a| a.to_decimal_string(Currency::Mad))
            .unwrap_or_default()
    }
}

/// The UTC day (days since 1970-01-01) a rebill count belongs to.
pub fn rebill_day(now: OffsetDateTime) -> i32 {
    i32::try_from(now.unix_timestamp().div_euclid(86_400)).unwrap_or(i32::MAX)
}

/// What a rebill is checked against: the merchant's policy and how many rebills the
/// stored card had on `day`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RebillLimits {
    pub policy: RebillPolicy,
    pub day: i32,
    pub count: u32,
}

impl RebillLimits {
    /// The most a rebill of `tx` may charge: the policy's ceiling in `tx`'s currency
    /// (rounded down to its minor units: 500.50 is 500 JPY), never below the original.
    pub fn ceiling(&self, tx: &Transaction) -> Amount {
        self.policy
            .max_amount_minor
            .and_then(|m| {
                let units = Decimal::new(m, 2);
                let minor = units.checked_mul(Decimal::from(tx.currency.minor_per_unit()))?;
                Amount::from_minor(minor.floor().to_i64()?)
            })
            .map_or(tx.amount, |m| m.max(tx.amount))
    }
}
