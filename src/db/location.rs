//! Buyer location rules in storage (FRAUD-2): each merchant's country lists, saved
//! with its velocity limits in one audited write, and the past payments they would
//! have refused (the backtest), found from the column store and the rows of the
//! period only.

use redb::ReadableTable;

use super::audit::{self, AuditEntry};
use super::tables::{MERCHANT_ID_TO_FRAUD_RULES, MERCHANT_ID_TO_LOCATION_RULES};
use super::{Db, Result, Tx, codec};
use crate::domain::actor::Actor;
use crate::domain::codes::ResultCode;
use crate::domain::fraud::{MerchantRules, Subject, counts_for_velocity};
use crate::domain::geo::ip_country;
use crate::domain::location::{LocationRules, evaluate};
use crate::domain::transaction::{Operation, Transaction};

fn rules_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    merchant_id: u64,
) -> Result<LocationRules> {
    let v = t.get(merchant_id)?;
    v.map(|v| codec::decode("location_rules", v.value()))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The merchant's location rules, read in `wtx` (a rebill's).
pub fn rules_in(wtx: &Tx, merchant_id: u64) -> Result<LocationRules> {
    rules_from(&wtx.open_table(MERCHANT_ID_TO_LOCATION_RULES)?, merchant_id)
}

/// The rule that refuses a payment recorded as `tx` (its card's country and, unless
/// it is a rebill, its buyer's IP address country), if any.
pub fn refused_by(
    rules: &LocationRules,
    tx: &Transaction,
) -> Option<crate::domain::location::LocationFired> {
    let subject = Subject::of(tx);
    let card_country = tx.card.as_ref().map(|c| c.country.as_str());
    evaluate(
        rules,
        card_country,
        ip_country(&subject.ip),
        tx.operation != Operation::Rebill,
    )
}

impl Db {
    /// The merchant's location rules (no restriction when an admin never set them).
    pub fn location_rules(&self, merchant_id: u64) -> Result<LocationRules> {
        let rtx = self.begin_read()?;
        rules_from(&rtx.open_table(MERCHANT_ID_TO_LOCATION_RULES)?, merchant_id)
    }

    /// Sets merchant `merchant_id`'s velocity limits and location rules, audited as
    /// `merchant.fraud_rules` with the new values, in one transaction. `None` when
    /// there is no such merchant (nothing written).
    pub fn set_restrictions(
        &self,
        merchant_id: u64,
        rules: &MerchantRules,
        location: &LocationRules,
        actor: &Actor,
    ) -> Result<Option<()>> {
        let wtx = self.begin_write()?;
        let Some(m) = super::merchants::get_in(&wtx, merchant_id)? else {
            return Ok(None);
        };
        wtx.open_table(MERCHANT_ID_TO_FRAUD_RULES)?
            .insert(merchant_id, codec::encode(rules)?.as_slice())?;
        wtx.open_table(MERCHANT_ID_TO_LOCATION_RULES)?
            .insert(merchant_id, codec::encode(location)?.as_slice())?;
        let entry = AuditEntry::by(
            actor,
            "merchant.fraud_rules",
            format!("merchant {}", m.name),
            Some(merchant_id),
        )
        .with_detail(format!("{} {}", rules.summary(), location.summary()));
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(()))
    }

    /// The merchant's payments dated in `[from, to)` that `location` refuses (ids,
    /// oldest first): the payments velocity limits count (see
    /// [`counts_for_velocity`]), picked from the column store, then their rows read
    /// for the card's and the IP address's countries. Empty when no list is in use.
    pub fn location_refused(
        &self,
        merchant_id: u64,
        location: &LocationRules,
        from: i64,
        to: i64,
    ) -> Result<Vec<u64>> {
        if !location.is_on() {
            return Ok(Vec::new());
        }
        self.store.sync(&self.inner)?;
        let m = u32::try_from(merchant_id).unwrap_or(u32::MAX);
        let ids: Vec<u64> = self.store.with(|c| {
            c.time_range(from, to)
                .rev()
                .filter(|&i| c.merchant[i] == m)
                .filter(|&i| {
                    let op = Operation::from_index(c.op[i]);
                    let code = ResultCode::from_value(c.code[i]);
                    matches!((op, code), (Some(op), Some(code)) if counts_for_velocity(op, code))
                })
                .map(|i| i as u64 + 1)
                .collect()
        })?;
        let mut out: Vec<u64> = self
            .fetch_desc(&ids)?
            .iter()
            .filter(|tx| refused_by(location, tx).is_some())
            .map(|tx| tx.id)
            .collect();
        out.reverse();
        Ok(out)
    }
}
