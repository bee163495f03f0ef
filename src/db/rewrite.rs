//! Rewriting a data file with its live records only. redb never clears a freed page:
//! after a migration or a card-key rotation, old bytes (a key that used to sit in
//! META, tokens under the old key) may survive in free pages of the file. Copying
//! every table into a fresh file, then overwriting the old file with zeros before it
//! is replaced, leaves none of them in the data file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableHandle};

use super::tables::*;
use super::{Error, Result, create_private_file, io};

/// Copies every table of the data file at `path` into a new file and puts it in
/// place of the old one, whose bytes are overwritten first. Nobody else may have the
/// file open. Refuses (and leaves the file as it was) if the file holds a table this
/// binary does not know, so nothing is ever dropped.
pub(crate) fn rewrite_live(path: &Path, cache_bytes: usize) -> Result<u64> {
    let tmp = sibling(path, "rewrite");
    let _ = std::fs::remove_file(&tmp);
    create_private_file(&tmp).map_err(io)?;
    let copied = match copy_all(path, &tmp, cache_bytes) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    // Keep a handle on the old file, swap the new one in (atomic), then clear the
    // old bytes through the handle: a crash at any point leaves a whole data file.
    let old = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    zero_fill(old).map_err(io)?;
    Ok(copied)
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(ext);
    path.with_file_name(name)
}

/// Overwrites the whole (already replaced) file with zeros and syncs it.
fn zero_fill(mut f: std::fs::File) -> std::io::Result<()> {
    let len = f.metadata()?.len();
    let zeros = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

fn copy_all(from: &Path, to: &Path, cache_bytes: usize) -> Result<u64> {
    let src = Database::builder().set_cache_size(cache_bytes).open(from)?;
    let dst = Database::builder().set_cache_size(cache_bytes).create(to)?;
    let rtx = src.begin_read()?;
    Ok(copy_tables(&rtx, &dst)?.values().sum())
}

/// Rows written per write transaction of a copy: bounds the memory a copy holds.
const CHUNK_ROWS: u64 = 50_000;

/// Copies every table as `rtx` sees it into `dst` (a new, empty file) and returns the
/// rows copied per table name. Reads only through `rtx`, so the copy is one consistent
/// snapshot and writers of the source go on meanwhile (redb readers never block them).
/// Refuses a source with a table this binary does not know, so nothing is ever dropped.
pub(crate) fn copy_tables(
    rtx: &redb::ReadTransaction,
    dst: &Database,
) -> Result<BTreeMap<String, u64>> {
    let mut known = BTreeSet::new();
    let mut counts = BTreeMap::new();
    macro_rules! copy {
        ($($table:ident),* $(,)?) => {$(
            known.insert($table.name().to_string());
            let mut n = 0u64;
            // A table the file never had is made empty; one of another type is an error.
            let source = match rtx.open_table($table) {
                Ok(t) => Some(t),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            };
            let mut rows = match &source {
                Some(t) => Some(t.iter()?),
                None => None,
            };
            loop {
                let mut wtx = dst.begin_write()?;
                // Each chunk durable: the copy never piles up dirty pages that a
                // payment's fsync would have to wait for (ext4 orders them).
                wtx.set_durability(Durability::Immediate)?;
                let mut more = false;
                {
                    let mut out = wtx.open_table($table)?;
                    if let Some(rows) = rows.as_mut() {
                        for row in rows.by_ref() {
                            let (k, v) = row?;
                            out.insert(k.value(), v.value())?;
                            n += 1;
                            if n % CHUNK_ROWS == 0 {
                                more = true;
                                break;
                            }
                        }
                    }
                }
                wtx.commit()?;
                if !more {
                    break;
                }
            }
            counts.insert($table.name().to_string(), n);
        )*};
    }
    copy!(
        META,
        USER_ID_TO_USER,
        USERNAME_TO_USER_ID,
        USER_ID_TO_TIME_ZONE,
        USERNAME_TO_ATTEMPTS,
        USERNAME_TO_LAST_FAILURE,
        SESSION_HASH_TO_SESSION,
        MERCHANT_ID_TO_MERCHANT,
        TX_ID_TO_TX,
        TX_ID_TO_COLS,
        MERCHANT_ID_TX_ID,
        PARENT_ID_CHILD_ID,
        FIELD_VALUE_TX_ID,
        ROLLUP,
        TX_NOTES,
        TX_HISTORY,
        TX_JOURNAL,
        REQUEST_ID_TO_REQUEST,
        LINK_HASH_TO_REQUEST_ID,
        MERCHANT_ID_REQUEST_ID,
        OP_KEY_TO_TX_ID,
        MAIL_ID_TO_MAIL,
        MAIL_DUE_AT_ID,
        SECOND_FACTOR_MERCHANT_IDS,
        MERCHANT_ID_TO_REBILL_POLICY,
        TOKEN_DAY_TO_REBILLS,
        BLACKLIST,
        BLACKLIST_KEY_ID,
        BLACKLIST_IP_ID,
        MERCHANT_ID_TO_FRAUD_RULES,
        MERCHANT_ID_TO_LOCATION_RULES,
        VELOCITY_EVENTS,
        VELOCITY_BY_TIME,
        CALLBACK_ID_TO_CALLBACK,
        CALLBACK_DUE_AT_ID,
        REQUEST_ID_CALLBACK_ID,
        MERCHANT_ID_CALLBACK_ID,
        MERCHANT_ID_TO_CALLBACK_SECRET,
        API_PAYMENTS,
        PENDING_OPS,
        PENDING_PAYMENTS,
        API_TOKEN_TO_REQUEST,
        IDEMPOTENCY,
        IDEMPOTENCY_BY_TIME,
        API_CREDENTIAL_ID_TO_CREDENTIAL,
        API_ORIGINATOR_TO_CREDENTIAL_ID,
        API_CREDENTIAL_ID_TO_LAST_USED,
        MERCHANT_ID_TO_SETTINGS,
        WELCOME_HASH_TO_LINK,
        SUPPORT_CONTACTS,
        TICKET_ID_TO_TICKET,
        TICKET_MESSAGES,
        MERCHANT_ID_TICKET_ID,
        MERCHANT_TX_TICKET_ID,
        USER_ID_UNREAD_TICKET_ID,
        EMAIL_TEMPLATES,
        MERCHANT_ID_TO_EMAIL_BRANDING,
        AUDIT_SEQ_TO_ENTRY,
    );
    for t in rtx.list_tables()? {
        if !known.contains(t.name()) {
            return Err(Error::Corrupt {
                table: "rewrite",
                detail: format!(
                    "the data file has a table this binary does not know ({}): not rewritten",
                    t.name()
                ),
            });
        }
    }
    if rtx.list_multimap_tables()?.next().is_some() {
        return Err(Error::Corrupt {
            table: "rewrite",
            detail: "the data file has a multimap table: not rewritten".into(),
        });
    }
    // One durable commit seals everything copied above.
    let mut wtx = dst.begin_write()?;
    wtx.set_durability(Durability::Immediate)?;
    wtx.commit()?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_file_keeps_every_record_and_loses_what_was_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.redb");
        let secret = b"SECRET-BYTES-THAT-WERE-DELETED-0123456789";
        {
            let db = crate::db::Db::open(&path).unwrap();
            let wtx = db.begin_write().unwrap();
            {
                let mut t = wtx.open_table(TX_NOTES).unwrap();
                let mut big = Vec::new();
                for _ in 0..100 {
                    big.extend_from_slice(secret);
                }
                for i in 0..200u64 {
                    t.insert((i, 0), big.as_slice()).unwrap();
                }
            }
            wtx.open_table(USERNAME_TO_USER_ID)
                .unwrap()
                .insert("kept", 7)
                .unwrap();
            wtx.commit().unwrap();
            let wtx = db.begin_write().unwrap();
            wtx.open_table(TX_NOTES)
                .unwrap()
                .retain(|_, _| false)
                .unwrap();
            wtx.commit().unwrap();
        }
        let holds = |p: &Path| {
            let bytes = std::fs::read(p).unwrap();
            bytes.windows(secret.len()).any(|w| w == secret)
        };
        // redb leaves the removed value in a free page.
        assert!(holds(&path), "the test needs redb to keep freed bytes");
        let n = rewrite_live(&path, 1 << 20).unwrap();
        assert!(n > 0);
        assert!(!holds(&path));
        let db = crate::db::Db::open(&path).unwrap();
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(USERNAME_TO_USER_ID).unwrap();
        assert_eq!(t.get("kept").unwrap().unwrap().value(), 7);
        assert!(!sibling(&path, "rewrite").exists());
    }
}
