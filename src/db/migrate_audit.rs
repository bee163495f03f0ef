//! Schema 1 → 2 for the audit log: schema-1 entries had no outcome, no detail and
//! no chain. They are re-sealed in order into the chain (outcome `ok`, detail
//! noting the migration), so `guichet check` verifies them from then on.

use redb::ReadableTable;
use serde::Deserialize;

use super::Tx;
use super::audit::{self, AuditEntry};
use super::tables::{AUDIT_SEQ_TO_ENTRY, META};
use super::{Result, codec};

/// The schema-1 layout of an audit entry.
#[derive(Deserialize)]
struct V1Entry {
    at: i64,
    actor: String,
    ip: String,
    action: String,
    target: String,
    merchant_id: Option<u64>,
}

/// Re-seals every schema-1 audit entry into the chain, in their order.
pub(crate) fn from_v1(wtx: &Tx, seal_key: &[u8; 32]) -> Result<u64> {
    let old: Vec<V1Entry> = {
        let t = wtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (_, v) = row?;
            out.push(codec::decode::<V1Entry>("audit", v.value())?);
        }
        out
    };
    {
        let mut t = wtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        t.retain(|_, _| false)?;
        let mut meta = wtx.open_table(META)?;
        meta.remove("next_audit_seq")?;
        meta.remove("audit_head")?;
    }
    let n = old.len() as u64;
    for e in old {
        audit::append(
            wtx,
            seal_key,
            &AuditEntry {
                at: e.at,
                actor: e.actor,
                ip: e.ip,
                action: e.action,
                target: e.target,
                merchant_id: e.merchant_id,
                outcome: "ok".into(),
                detail: "migrated_from=1".into(),
            },
        )?;
    }
    Ok(n)
}
