//! The audit log: who did what to which account or merchant, when, from where.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::tables::AUDIT_SEQ_TO_ENTRY;
use super::{Db, Result, Scope, codec, next_id};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub ip: String,
    /// A stable key such as `user.create`, `merchant.update`, `user.unlock`.
    pub action: String,
    /// What it was done to, e.g. `user omar.b`.
    pub target: String,
    /// The merchant concerned, if any (for scoping).
    pub merchant_id: Option<u64>,
}

/// Appends an entry inside the transaction that does the action.
pub fn append(wtx: &WriteTransaction, entry: &AuditEntry) -> Result<()> {
    let seq = next_id(wtx, "next_audit_seq", 1)?;
    wtx.open_table(AUDIT_SEQ_TO_ENTRY)?
        .insert(seq, codec::encode(entry).as_slice())?;
    Ok(())
}

impl Db {
    /// The latest `limit` entries visible in `scope`, newest first.
    pub fn audit(&self, scope: Scope, limit: usize) -> Result<Vec<AuditEntry>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        let mut out = Vec::new();
        for row in t.iter()?.rev() {
            let (_, v) = row?;
            let e: AuditEntry = codec::decode("audit", v.value())?;
            let visible = match scope {
                Scope::Admin => true,
                Scope::Merchant(m) => e.merchant_id == Some(m),
            };
            if visible {
                out.push(e);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
