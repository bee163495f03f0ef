//! The gateway's support contacts (issue 14, point 2): one row, set by the admin.

use super::audit::{self, AuditEntry};
use super::tables::SUPPORT_CONTACTS;
use super::{Db, Result, codec};
use crate::domain::actor::Actor;
use crate::domain::support_contacts::SupportContacts;

const KEY: u8 = 0;

impl Db {
    /// The support contacts (empty when the admin never set them).
    pub fn support_contacts(&self) -> Result<SupportContacts> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(SUPPORT_CONTACTS)?;
        let v = t.get(KEY)?;
        v.map(|v| codec::decode("support_contacts", v.value()))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Sets the support contacts, audited as `support.contacts` with what they
    /// became, in one transaction.
    pub fn set_support_contacts(&self, contacts: &SupportContacts, actor: &Actor) -> Result<()> {
        let wtx = self.begin_write()?;
        wtx.open_table(SUPPORT_CONTACTS)?
            .insert(KEY, codec::encode(contacts)?.as_slice())?;
        let entry = AuditEntry::by(actor, "support.contacts", "support", None)
            .with_detail(contacts.audit_detail());
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    }
}
