//! Rebill limits (M6): each merchant's policy, and the rebills per stored card and
//! day, read and counted in the rebill's own write transaction.

use redb::ReadableTable;

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::{MERCHANT_ID_TO_REBILL_POLICY, TOKEN_DAY_TO_REBILLS};
use super::{Db, Result, codec};
use crate::domain::actor::Actor;
use crate::domain::operation_rules::{RebillLimits, RebillPolicy};

fn policy_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    merchant_id: u64,
) -> Result<RebillPolicy> {
    let v = t.get(merchant_id)?;
    v.map(|v| codec::decode("rebill_policies", v.value()))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn count_from(
    t: &impl ReadableTable<(u64, &'static str, i32), u32>,
    merchant_id: u64,
    token: &str,
    day: i32,
) -> Result<u32> {
    Ok(t.get((merchant_id, token, day))?.map_or(0, |v| v.value()))
}

/// The merchant's policy (the defaults when an admin never set one).
pub fn policy_in(wtx: &Tx, merchant_id: u64) -> Result<RebillPolicy> {
    policy_from(&wtx.open_table(MERCHANT_ID_TO_REBILL_POLICY)?, merchant_id)
}

/// The limits a rebill of the card `token` for `merchant_id` on `day` is checked against.
pub fn limits_in(wtx: &Tx, merchant_id: u64, token: &str, day: i32) -> Result<RebillLimits> {
    let count = count_from(
        &wtx.open_table(TOKEN_DAY_TO_REBILLS)?,
        merchant_id,
        token,
        day,
    )?;
    Ok(RebillLimits {
        policy: policy_in(wtx, merchant_id)?,
        day,
        count,
    })
}

/// Counts one more rebill of `token` by `merchant_id` on `day` (per merchant: one
/// merchant's rebills of a shared customer's card never limit another's).
pub fn count_in(wtx: &Tx, merchant_id: u64, token: &str, day: i32) -> Result<()> {
    let mut t = wtx.open_table(TOKEN_DAY_TO_REBILLS)?;
    let n = t.get((merchant_id, token, day))?.map_or(0, |v| v.value());
    t.insert((merchant_id, token, day), n.saturating_add(1))?;
    Ok(())
}

/// Rotation: the counts follow their tokens to the new key (`rekey` maps a token).
pub(crate) fn rekey_counts(wtx: &Tx, rekey: &dyn Fn(&str) -> String) -> Result<()> {
    let mut t = wtx.open_table(TOKEN_DAY_TO_REBILLS)?;
    let mut rows = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let (merchant, token, day) = k.value();
        rows.push((merchant, token.to_string(), day, v.value()));
    }
    for (merchant, token, day, n) in rows {
        let new = rekey(&token);
        if new != token {
            t.remove((merchant, token.as_str(), day))?;
            t.insert((merchant, new.as_str(), day), n)?;
        }
    }
    Ok(())
}

impl Db {
    /// The merchant's rebill policy.
    pub fn rebill_policy(&self, merchant_id: u64) -> Result<RebillPolicy> {
        let rtx = self.begin_read()?;
        policy_from(&rtx.open_table(MERCHANT_ID_TO_REBILL_POLICY)?, merchant_id)
    }

    /// The limits a rebill of `token` would meet now (for the confirmation page; the
    /// rebill itself reads them again in its write transaction).
    pub fn rebill_limits(&self, merchant_id: u64, token: &str, day: i32) -> Result<RebillLimits> {
        let rtx = self.begin_read()?;
        Ok(RebillLimits {
            policy: policy_from(&rtx.open_table(MERCHANT_ID_TO_REBILL_POLICY)?, merchant_id)?,
            day,
            count: count_from(
                &rtx.open_table(TOKEN_DAY_TO_REBILLS)?,
                merchant_id,
                token,
                day,
            )?,
        })
    }

    /// Sets the rebill policy of merchant `merchant_id`, audited as
    /// `merchant.rebill_policy` with the new limits, in one transaction. `None`
    /// when there is no such merchant (nothing written).
    pub fn set_rebill_policy(
        &self,
        merchant_id: u64,
        policy: &RebillPolicy,
        actor: &Actor,
    ) -> Result<Option<()>> {
        let wtx = self.begin_write()?;
        let Some(m) = super::merchants::get_in(&wtx, merchant_id)? else {
            return Ok(None);
        };
        let target = format!("merchant {}", m.name);
        let detail = format!(
            "ceiling={} per_day={}",
            match policy.ceiling_text() {
                t if t.is_empty() => "original".to_string(),
                t => t,
            },
            policy.max_per_day
        );
        wtx.open_table(MERCHANT_ID_TO_REBILL_POLICY)?
            .insert(merchant_id, codec::encode(policy)?.as_slice())?;
        let entry = AuditEntry::by(actor, "merchant.rebill_policy", target, Some(merchant_id))
            .with_detail(detail);
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(()))
    }
}
