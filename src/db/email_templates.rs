//! Email templates an admin rewrote and merchants' email branding (issue 14,
//! LINK-3). No row: the built-in template; the merchant's shown name, no footer.

use redb::ReadableTable;

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::{EMAIL_TEMPLATES, MERCHANT_ID_TO_EMAIL_BRANDING};
use super::{Db, Result, Scope, codec};
use crate::domain::actor::Actor;
use crate::domain::email_template::{
    EmailBranding, Letterhead, MailLook, StoredTemplate, TemplateId, TemplateSource, Templates,
};

fn branding_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    merchant_id: u64,
) -> Result<EmailBranding> {
    let v = t.get(merchant_id)?;
    v.map(|v| codec::decode("merchant_email_branding", v.value()))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Every template an admin rewrote, inside a write transaction.
pub fn templates_in(wtx: &Tx) -> Result<Templates> {
    templates_from(&wtx.open_table(EMAIL_TEMPLATES)?)
}

fn templates_from(t: &impl ReadableTable<(u8, u8), &'static [u8]>) -> Result<Templates> {
    let mut custom = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        // A kind or language this binary does not know is left alone.
        if let Some(id) = TemplateId::from_key(k.value()) {
            let stored: StoredTemplate = codec::decode("email_templates", v.value())?;
            custom.push((id, stored));
        }
    }
    Ok(Templates::new(custom))
}

impl Db {
    /// The templates in force: the admin's versions, the built-in ones for the rest.
    pub fn email_templates(&self) -> Result<Templates> {
        let rtx = self.begin_read()?;
        templates_from(&rtx.open_table(EMAIL_TEMPLATES)?)
    }

    /// A merchant's sender name and footer (the defaults when never set).
    pub fn email_branding(&self, merchant_id: u64) -> Result<EmailBranding> {
        let rtx = self.begin_read()?;
        branding_from(&rtx.open_table(MERCHANT_ID_TO_EMAIL_BRANDING)?, merchant_id)
    }

    /// How merchant `merchant_id` signs its customers' emails (the product's name for
    /// an unknown merchant).
    pub fn letterhead(&self, merchant_id: u64) -> Result<Letterhead> {
        let Some(m) = self.merchant(Scope::Admin, merchant_id)? else {
            return Ok(Letterhead::default());
        };
        let settings = self.merchant_settings(merchant_id)?;
        let branding = self.email_branding(merchant_id)?;
        Ok(Letterhead::of(&m, &settings, &branding))
    }

    /// What a customer email of merchant `merchant_id` needs: the templates in force
    /// and the merchant's letterhead. Read before the transaction that queues it.
    pub fn mail_look(&self, merchant_id: u64) -> Result<MailLook> {
        Ok(MailLook {
            templates: self.email_templates()?,
            letterhead: self.letterhead(merchant_id)?,
        })
    }

    /// Saves the admin's version of template `id` (checked by
    /// `email_template::validate`), audited as `email_template.save`.
    pub fn save_email_template(
        &self,
        id: TemplateId,
        source: &TemplateSource,
        actor: &Actor,
    ) -> Result<()> {
        let stored = StoredTemplate {
            subject: source.subject.clone(),
            text: source.text.clone(),
            html: source.html.clone(),
            updated_at: actor.at,
            updated_by: actor.user.clone(),
        };
        let wtx = self.begin_write()?;
        wtx.open_table(EMAIL_TEMPLATES)?
            .insert(id.key(), codec::encode(&stored)?.as_slice())?;
        let entry = AuditEntry::by(
            actor,
            "email_template.save",
            format!("email template {}", id.slug()),
            None,
        );
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    }

    /// Drops the admin's version of template `id`: the built-in one is used again.
    /// Audited as `email_template.reset` when there was one; false when there was not.
    pub fn reset_email_template(&self, id: TemplateId, actor: &Actor) -> Result<bool> {
        let wtx = self.begin_write()?;
        let removed = wtx.open_table(EMAIL_TEMPLATES)?.remove(id.key())?.is_some();
        if removed {
            let entry = AuditEntry::by(
                actor,
                "email_template.reset",
                format!("email template {}", id.slug()),
                None,
            );
            audit::append(&wtx, self.audit_key(), &entry)?;
        }
        wtx.commit()?;
        Ok(removed)
    }

    /// Queues `mail` (its id 0) on its own, such as a template's test; returns its id.
    pub fn queue_mail(&self, mail: &mut crate::domain::outbox::Mail) -> Result<u64> {
        let wtx = self.begin_write()?;
        let id = super::outbox::enqueue(&wtx, mail)?;
        wtx.commit()?;
        Ok(id)
    }

    /// Sets merchant `merchant_id`'s sender name and footer, audited as
    /// `merchant.email_branding`. `None` when there is no such merchant.
    pub fn set_email_branding(
        &self,
        merchant_id: u64,
        branding: &EmailBranding,
        actor: &Actor,
    ) -> Result<Option<()>> {
        let wtx = self.begin_write()?;
        let Some(m) = super::merchants::get_in(&wtx, merchant_id)? else {
            return Ok(None);
        };
        wtx.open_table(MERCHANT_ID_TO_EMAIL_BRANDING)?
            .insert(merchant_id, codec::encode(branding)?.as_slice())?;
        let set = |v: &str| if v.is_empty() { "empty" } else { "set" };
        let detail = format!(
            "sender_name={} footer={}",
            set(&branding.sender_name),
            set(&branding.footer)
        );
        let entry = AuditEntry::by(
            actor,
            "merchant.email_branding",
            format!("merchant {}", m.name),
            Some(merchant_id),
        )
        .with_detail(detail);
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Some(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lang;
    use crate::domain::email_template::TemplateKind;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        (dir, db)
    }

    #[test]
    fn a_saved_template_is_in_force_until_it_is_reset() {
        let (_dir, db) = db();
        let actor = Actor::new(1_780_000_000, "admin", "10.0.0.1");
        let id = TemplateId::new(TemplateKind::Receipt, Lang::En);
        assert!(db.email_templates().unwrap().custom(id).is_none());
        let source = TemplateSource {
            subject: "Thanks {{ customer_name }}".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        };
        db.save_email_template(id, &source, &actor).unwrap();
        let t = db.email_templates().unwrap();
        let stored = t.custom(id).unwrap();
        assert_eq!(stored.source(), source);
        assert_eq!(
            (stored.updated_at, stored.updated_by.as_str()),
            (actor.at, "admin")
        );
        assert!(
            t.custom(TemplateId::new(TemplateKind::Receipt, Lang::Fr))
                .is_none()
        );
        assert!(db.reset_email_template(id, &actor).unwrap());
        assert!(!db.reset_email_template(id, &actor).unwrap());
        assert!(db.email_templates().unwrap().custom(id).is_none());
    }
}
