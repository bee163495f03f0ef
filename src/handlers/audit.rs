//! Parameters › Audit log (admins): the latest entries; reading it is audited too.

use poem::{IntoResponse, Response, handler};

use super::Ctx;
use super::merchants::{audit_entry, require_admin};
use crate::db::{Scope, audit};

#[handler]
pub async fn audit_list(ctx: Ctx) -> poem::Result<Response> {
    require_admin(&ctx)?;
    // Reading the audit log is itself audited (PCI 10.2.1.3), in the same step.
    let entry = audit_entry(&ctx, "audit.view", "audit log".into(), None);
    let entries = ctx
        .db(move |db| {
            let wtx = db.begin_write()?;
            audit::append(&wtx, db.audit_key(), &entry)?;
            wtx.commit()?;
            db.audit(Scope::Admin, 500)
        })
        .await?;
    Ok(crate::pages::audit::list(&ctx.view(), &entries).into_response())
}
