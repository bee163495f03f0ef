//! Parameters › Audit log (admins): the latest entries; reading it is audited too.

use poem::{IntoResponse, Response, handler};

use super::Ctx;
use crate::db::Scope;
use crate::db::audit::AuditEntry;

#[handler]
pub async fn audit_list(ctx: Ctx) -> poem::Result<Response> {
    // Reading the audit log is itself audited (PCI 10.2.1.3), in the same step.
    let entry = AuditEntry::by(&ctx.actor(), "audit.view", "audit log", None);
    let entries = ctx
        .db(move |db| {
            db.record(&entry)?;
            db.audit(Scope::Admin, 500)
        })
        .await?;
    Ok(crate::pages::audit::list(&ctx.view(), &entries).into_response())
}
