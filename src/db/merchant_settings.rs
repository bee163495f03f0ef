//! A merchant's settings seen by its customers (issue 14, point 5), beside its record.

use redb::ReadableTable;

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::MERCHANT_ID_TO_SETTINGS;
use super::{Db, Result, Scope, codec};
use crate::domain::actor::Actor;
use crate::domain::merchant_settings::MerchantSettings;
use crate::domain::user::Merchant;

fn settings_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    merchant_id: u64,
) -> Result<MerchantSettings> {
    let v = t.get(merchant_id)?;
    v.map(|v| codec::decode("merchant_settings", v.value()))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The merchant's settings inside a write transaction (the defaults when never set).
pub fn settings_in(wtx: &Tx, merchant_id: u64) -> Result<MerchantSettings> {
    settings_from(&wtx.open_table(MERCHANT_ID_TO_SETTINGS)?, merchant_id)
}

impl Db {
    /// The merchant's settings (the defaults when an admin never set them).
    pub fn merchant_settings(&self, merchant_id: u64) -> Result<MerchantSettings> {
        let rtx = self.begin_read()?;
        settings_from(&rtx.open_table(MERCHANT_ID_TO_SETTINGS)?, merchant_id)
    }

    /// The merchant as its customers see it, for the emails: its company replaced by
    /// the settings' display name when one is set. A copy, never written back.
    pub fn merchant_as_shown(&self, merchant_id: u64) -> Result<Option<Merchant>> {
        let Some(mut m) = self.merchant(Scope::Admin, merchant_id)? else {
            return Ok(None);
        };
        let s = self.merchant_settings(merchant_id)?;
        m.company = s.shown_name(&m);
        Ok(Some(m))
    }

    /// Sets the settings of merchant `merchant_id`, audited as `merchant.settings`
    /// with what they became, in one transaction. `None` when there is no such
    /// merchant (nothing written).
    pub fn set_merchant_settings(
        &self,
        merchant_id: u64,
        settings: &MerchantSettings,
        actor: &Actor,
    ) -> Result<Option<()>> {
        let wtx = self.begin_write()?;
        let Some(m) = super::merchants::get_in(&wtx, merchant_id)? else {
            return Ok(None);
        };
        let detail = format!(
            "currencies={} display_name={:?} logo_text={:?} notice={}",
            settings.accepted_codes(),
            settings.display_name,
            settings.logo_text,
            if settings.privacy_notice.is_empty() {
                "default"
            } else {
                "custom"
            }
        );
        wtx.open_table(MERCHANT_ID_TO_SETTINGS)?
            .insert(merchant_id, codec::encode(settings)?.as_slice())?;
        let entry = AuditEntry::by(
            actor,
            "merchant.settings",
            format!("merchant {}", m.name),
            Some(merchant_id),
        )
        .with_detail(detail);
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(()))
    }
}
