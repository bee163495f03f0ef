//! Merchants with their terminals and merchant accounts.

use redb::ReadableTable;

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::MERCHANT_ID_TO_MERCHANT;
use super::{Db, Error, Result, Scope, codec, next_id};
use crate::domain::actor::Actor;
use crate::domain::merchant::MerchantInput;
use crate::domain::user::Merchant;

impl Db {
    /// A merchant, if visible in `scope`.
    pub fn merchant(&self, scope: Scope, id: u64) -> Result<Option<Merchant>> {
        if !scope.allows(id) {
            return Ok(None);
        }
        let rtx = self.begin_read()?;
        let t = rtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
        t.get(id)?
            .map(|v| codec::decode("merchants", v.value()))
            .transpose()
    }

    /// Creates a merchant from a checked form, audited as `merchant.create`.
    pub fn create_merchant(&self, input: MerchantInput, actor: &Actor) -> Result<Merchant> {
        let wtx = self.begin_write()?;
        let m = insert(&wtx, Merchant::from_input(input, actor.at))?;
        let entry = AuditEntry::by(
            actor,
            "merchant.create",
            format!("merchant {}", m.name),
            Some(m.id),
        );
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(m)
    }

    /// Replaces the form's fields of merchant `id`, audited as `merchant.update`.
    /// `None` when there is no such merchant (nothing written).
    pub fn update_merchant(
        &self,
        id: u64,
        input: MerchantInput,
        actor: &Actor,
    ) -> Result<Option<Merchant>> {
        let wtx = self.begin_write()?;
        let Some(before) = get_in(&wtx, id)? else {
            return Ok(None);
        };
        let m = before.with_input(input);
        update(&wtx, &m)?;
        let entry = AuditEntry::by(
            actor,
            "merchant.update",
            format!("merchant {}", m.name),
            Some(id),
        );
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(m))
    }

    /// Merchants visible in `scope`, by name.
    pub fn merchants(&self, scope: Scope) -> Result<Vec<Merchant>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            if scope.allows(k.value()) {
                out.push(codec::decode::<Merchant>("merchants", v.value())?);
            }
        }
        out.sort_by_key(|m| m.name.to_lowercase());
        Ok(out)
    }
}

/// Inserts a merchant, giving it an id.
pub fn insert(wtx: &Tx, mut merchant: Merchant) -> Result<Merchant> {
    merchant.id = next_id(wtx, "next_merchant_id", 1)?;
    wtx.open_table(MERCHANT_ID_TO_MERCHANT)?
        .insert(merchant.id, codec::encode(&merchant)?.as_slice())?;
    Ok(merchant)
}

pub fn update(wtx: &Tx, merchant: &Merchant) -> Result<()> {
    let mut t = wtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
    if t.get(merchant.id)?.is_none() {
        return Err(Error::NotFound);
    }
    t.insert(merchant.id, codec::encode(merchant)?.as_slice())?;
    Ok(())
}

/// Reads a merchant inside a write transaction (for read-modify-write).
pub fn get_in(wtx: &Tx, id: u64) -> Result<Option<Merchant>> {
    let t = wtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
    let v = t.get(id)?;
    v.map(|v| codec::decode("merchants", v.value())).transpose()
}
