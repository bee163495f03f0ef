//! The audit log: who did what to which account, merchant or data, when, from
//! where, and with what outcome. Append-only and hash-chained: each entry's seal is
//! an HMAC (under the key file's audit key, never in the data file) over the seal of
//! the one before it, its number and itself, so an edited, removed or reordered entry
//! breaks the chain at that point and cannot be sealed again without the key
//! (`guichet check` finds the first break). Each new head is also written to the log
//! (journald), a copy outside the data file.

use hmac::{Hmac, KeyInit, Mac};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Tx;
use super::tables::{AUDIT_SEQ_TO_ENTRY, META};
use super::{Db, Error, Result, Scope, codec, next_id};
use crate::domain::actor::Actor;

pub use crate::domain::audit::AuditEntry;

impl AuditEntry {
    /// An `ok` line: `actor` did `action` to `target` (of `merchant_id`, if any).
    pub fn by(
        actor: &Actor,
        action: impl Into<String>,
        target: impl Into<String>,
        merchant_id: Option<u64>,
    ) -> AuditEntry {
        AuditEntry {
            at: actor.at,
            actor: actor.user.clone(),
            ip: actor.ip.clone(),
            action: action.into(),
            target: target.into(),
            merchant_id,
            outcome: "ok".into(),
            detail: String::new(),
        }
    }

    /// The same line with its detail (before → after, filters, counts).
    pub fn with_detail(self, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            detail: detail.into(),
            ..self
        }
    }
}

/// An entry as stored: the entry, the previous entry's hash and its own.
#[derive(Serialize, Deserialize)]
pub(super) struct Sealed {
    pub(super) entry: AuditEntry,
    pub(super) prev: [u8; 32],
    pub(super) hash: [u8; 32],
}

const HEAD: &str = "audit_head";

/// The seal of entry `seq` after `prev`: HMAC-SHA256 under the audit key.
fn seal(key: &[u8; 32], prev: &[u8; 32], seq: u64, entry: &AuditEntry) -> Result<[u8; 32]> {
    let Ok(mut h) = Hmac::<Sha256>::new_from_slice(key) else {
        return Ok([0; 32]);
    };
    h.update(b"guichet-audit-v2");
    h.update(prev);
    h.update(&seq.to_le_bytes());
    h.update(&codec::encode(entry)?);
    Ok(h.finalize().into_bytes().into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an entry inside the transaction that does the action, sealed with `key`
/// (the key file's audit key: `Db::audit_key`).
pub fn append(wtx: &Tx, key: &[u8; 32], entry: &AuditEntry) -> Result<()> {
    let seq = next_id(wtx, "next_audit_seq", 1)?;
    let mut meta = wtx.open_table(META)?;
    let prev: [u8; 32] = match meta.get(HEAD)? {
        Some(v) => v.value().try_into().map_err(|_| Error::Corrupt {
            table: "meta",
            detail: "audit_head is not 32 bytes".into(),
        })?,
        None => [0; 32],
    };
    let hash = seal(key, &prev, seq, entry)?;
    meta.insert(HEAD, hash.as_slice())?;
    let sealed = Sealed {
        entry: entry.clone(),
        prev,
        hash,
    };
    wtx.open_table(AUDIT_SEQ_TO_ENTRY)?
        .insert(seq, codec::encode(&sealed)?.as_slice())?;
    tracing::info!(target: "guichet::audit", seq, action = %entry.action, head = %hex(&hash), "audit");
    Ok(())
}

/// Where the chain breaks first, if it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// The result of walking the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    pub head: String,
    pub first_break: Option<ChainBreak>,
}

impl Db {
    /// The key that seals the audit chain (from the key file).
    pub fn audit_key(&self) -> &[u8; 32] {
        &self.keys().audit_key
    }

    /// Appends one line in its own write transaction: for what writes nothing else
    /// (an export started, the audit log read).
    pub fn record(&self, entry: &AuditEntry) -> Result<()> {
        let wtx = self.begin_write()?;
        append(&wtx, self.audit_key(), entry)?;
        wtx.commit()?;
        Ok(())
    }

    /// The latest `limit` entries visible in `scope`, newest first.
    pub fn audit(&self, scope: Scope, limit: usize) -> Result<Vec<AuditEntry>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        let mut out = Vec::new();
        for row in t.iter()?.rev() {
            let (_, v) = row?;
            let e = codec::decode::<Sealed>("audit", v.value())?.entry;
            if scope.allows_opt(e.merchant_id) {
                out.push(e);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Walks the whole chain from the first entry: numbering without gaps, each
    /// entry's `prev` equal to the hash before it, each hash recomputed, and the
    /// head in META equal to the last hash.
    pub fn verify_audit_chain(&self) -> Result<ChainReport> {
        verify_chain_in(&self.begin_read()?, self.audit_key())
    }
}

/// [`Db::verify_audit_chain`] on a read transaction of any data file, under `key`
/// (its key file's audit key).
pub(super) fn verify_chain_in(rtx: &redb::ReadTransaction, key: &[u8; 32]) -> Result<ChainReport> {
    let t = rtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
    let mut report = ChainReport::default();
    let mut running = [0u8; 32];
    let mut expected_seq = 1u64;
    let broke = |seq: u64, reason: &str| {
        Some(ChainBreak {
            seq,
            reason: reason.to_string(),
        })
    };
    for row in t.iter()? {
        let (k, v) = row?;
        let seq = k.value();
        report.entries += 1;
        let sealed = match codec::decode::<Sealed>("audit", v.value()) {
            Ok(s) => s,
            Err(_) => {
                report.first_break = broke(seq, "entry cannot be read");
                return Ok(report);
            }
        };
        let reason = if seq != expected_seq {
            Some(format!("entry {expected_seq} is missing"))
        } else if sealed.prev != running {
            Some("does not follow the entry before it".to_string())
        } else if seal(key, &sealed.prev, seq, &sealed.entry)? != sealed.hash {
            Some("was changed after it was written".to_string())
        } else {
            None
        };
        if let Some(r) = reason {
            report.first_break = broke(expected_seq.min(seq), &r);
            return Ok(report);
        }
        running = sealed.hash;
        expected_seq = seq + 1;
    }
    let meta = rtx.open_table(META)?;
    let head: Option<[u8; 32]> = meta.get(HEAD)?.and_then(|v| v.value().try_into().ok());
    let next = meta
        .get("next_audit_seq")?
        .and_then(|v| codec::u64_from(v.value()));
    let head_ok = match head {
        Some(h) => h == running,
        None => report.entries == 0,
    };
    // The counter of entries ever written must match the last one kept.
    let next_ok = next.unwrap_or(1) == expected_seq;
    if !(head_ok && next_ok) {
        report.first_break = broke(expected_seq, "entries after it were removed");
    }
    report.head = hex(&running);
    Ok(report)
}

impl Scope {
    /// Whether a record of `merchant_id` (None = appliance-wide) is visible.
    pub fn allows_opt(self, merchant_id: Option<u64>) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Merchant(m) => merchant_id == Some(m),
        }
    }
}

/// Test support: rewrites entry `seq` with `edit` applied, keeping its seal (as
/// someone editing the file would), to show that the chain catches it.
#[doc(hidden)]
pub fn tamper_for_tests(db: &Db, seq: u64, edit: impl FnOnce(&mut AuditEntry)) -> Result<()> {
    let wtx = db.begin_write()?;
    {
        let mut t = wtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        let bytes = t
            .get(seq)?
            .map(|v| v.value().to_vec())
            .ok_or(Error::NotFound)?;
        let mut sealed: Sealed = codec::decode("audit", &bytes)?;
        edit(&mut sealed.entry);
        t.insert(seq, codec::encode(&sealed)?.as_slice())?;
    }
    wtx.commit()?;
    Ok(())
}

/// Test support: edits entry `seq` and seals it and every later entry again under
/// `key`, moving the head along — what someone holding the data file but not the key
/// file would try.
#[doc(hidden)]
pub fn reseal_for_tests(
    db: &Db,
    seq: u64,
    key: &[u8; 32],
    edit: impl FnOnce(&mut AuditEntry),
) -> Result<()> {
    let wtx = db.begin_write()?;
    {
        let mut t = wtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
        let rows: Vec<(u64, Vec<u8>)> = t
            .range(seq..)?
            .map(|r| r.map(|(k, v)| (k.value(), v.value().to_vec())))
            .collect::<std::result::Result<_, _>>()?;
        let mut edit = Some(edit);
        let mut prev: Option<[u8; 32]> = None;
        for (n, bytes) in rows {
            let mut sealed: Sealed = codec::decode("audit", &bytes)?;
            if let Some(f) = edit.take() {
                f(&mut sealed.entry);
            }
            if let Some(p) = prev {
                sealed.prev = p;
            }
            sealed.hash = seal(key, &sealed.prev, n, &sealed.entry)?;
            prev = Some(sealed.hash);
            t.insert(n, codec::encode(&sealed)?.as_slice())?;
        }
        if let Some(head) = prev {
            wtx.open_table(META)?.insert(HEAD, head.as_slice())?;
        }
    }
    wtx.commit()?;
    Ok(())
}

/// Test support: removes entry `seq`.
#[doc(hidden)]
pub fn remove_for_tests(db: &Db, seq: u64) -> Result<()> {
    let wtx = db.begin_write()?;
    wtx.open_table(AUDIT_SEQ_TO_ENTRY)?.remove(seq)?;
    wtx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: 1_780_000_000,
            actor: "admin".into(),
            action: action.into(),
            target: "user omar".into(),
            ..AuditEntry::default()
        }
    }

    fn db_with(n: usize) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("a.redb")).unwrap();
        for i in 0..n {
            let wtx = db.begin_write().unwrap();
            append(&wtx, db.audit_key(), &entry(&format!("action.{i}"))).unwrap();
            wtx.commit().unwrap();
        }
        (dir, db)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (_d, db) = db_with(5);
        let r = db.verify_audit_chain().unwrap();
        assert_eq!(r.entries, 5);
        assert_eq!(r.first_break, None);
        assert_eq!(r.head.len(), 64);
    }

    #[test]
    fn an_edited_entry_is_the_first_break() {
        let (_d, db) = db_with(5);
        tamper_for_tests(&db, 3, |e| e.actor = "someone else".into()).unwrap();
        let r = db.verify_audit_chain().unwrap();
        assert_eq!(r.first_break.unwrap().seq, 3);
    }

    #[test]
    fn an_entry_resealed_without_the_audit_key_is_still_the_first_break() {
        let (_d, db) = db_with(5);
        // Plain SHA-256 seals, or any guessed key, do not pass.
        reseal_for_tests(&db, 2, &[0; 32], |e| e.actor = "nobody".into()).unwrap();
        let r = db.verify_audit_chain().unwrap();
        assert_eq!(r.first_break.unwrap().seq, 2);
        // With the key file's key the same edit would verify: the key is what matters.
        let (_d2, db2) = db_with(5);
        let key = *db2.audit_key();
        reseal_for_tests(&db2, 2, &key, |e| e.actor = "nobody".into()).unwrap();
        assert_eq!(db2.verify_audit_chain().unwrap().first_break, None);
    }

    #[test]
    fn a_removed_entry_breaks_the_chain_where_it_was() {
        let (_d, db) = db_with(5);
        remove_for_tests(&db, 2).unwrap();
        assert_eq!(db.verify_audit_chain().unwrap().first_break.unwrap().seq, 2);
        let (_d2, db2) = db_with(4);
        remove_for_tests(&db2, 4).unwrap();
        let b = db2.verify_audit_chain().unwrap().first_break.unwrap();
        assert_eq!(b.seq, 4);
        assert!(b.reason.contains("removed"));
    }
}
