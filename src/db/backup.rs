//! The storage side of backups (`crate::backup`): a copy of the data file made from
//! one read transaction while writers go on (redb readers never block a writer), the
//! copy checked read-only with the checks of `guichet check`, and whether a server
//! holds a data file open.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableHandle};

use super::tables::META;
use super::{
    CACHE_BYTES, Db, Error, KEY_CHECKS, Result, SCHEMA_VERSION, check, codec, io, rewrite,
};
use crate::keys::Keys;

/// Rows per table name, as one read transaction saw them.
pub type Rows = BTreeMap<String, u64>;

/// What checking a copy found.
#[derive(Debug)]
pub struct Verified {
    /// The checks of `guichet check`.
    pub report: check::Report,
    /// The copy's rows per table.
    pub rows: Rows,
}

impl Db {
    /// Copies every table, as one read transaction sees it, into a new file at `dest`
    /// (created 0600; refused if it exists) and returns the rows copied per table.
    /// Never holds a write transaction of the data file: payments go on meanwhile and
    /// are in the copy only if they committed before it started. Blocking.
    pub fn copy_to(&self, dest: &Path) -> Result<Rows> {
        let rtx = self.inner.begin_read()?;
        new_private_file(dest)?;
        let copied = (|| {
            let dst = Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(dest)?;
            let rows = rewrite::copy_tables(&rtx, &dst)?;
            dst.close()?;
            Ok(rows)
        })();
        if copied.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        copied
    }
}

/// Creates `path` empty with mode 0600; an existing file is an error.
fn new_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(io)
}

/// Opens the copy at `path` read-only (nothing in it is changed) and runs the checks
/// of `guichet check` with `keys`, which must be the copy's own (their check values
/// are in it); counts its rows per table. A copy of another schema version or keys
/// that do not fit it are errors.
pub fn verify_copy(path: &Path, keys: &Keys) -> Result<Verified> {
    let db = redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .open_read_only(path)?;
    let rtx = db.begin_read()?;
    {
        let meta = rtx.open_table(META)?;
        let version = meta
            .get("schema_version")?
            .and_then(|v| codec::u32_from(v.value()));
        if version != Some(SCHEMA_VERSION) {
            return Err(Error::Schema {
                found: version.unwrap_or(0),
                expected: SCHEMA_VERSION,
            });
        }
        let checks = meta
            .get(KEY_CHECKS)?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned())
            .ok_or(Error::Corrupt {
                table: "meta",
                detail: "no key checks".into(),
            })?;
        keys.verify(&checks)
            .map_err(|e| Error::Keys(format!("the keys given do not belong to this data: {e}")))?;
    }
    let report = check::check_in(&rtx, keys)?;
    let mut rows = Rows::new();
    for t in rtx.list_tables()? {
        let name = t.name().to_string();
        rows.insert(name, rtx.open_untyped_table(t)?.len()?);
    }
    Ok(Verified { report, rows })
}

/// Whether a running server (any process that opened it for writing) holds the data
/// file at `path`: redb's lock refuses even a read-only opening then.
pub fn held_open(path: &Path) -> bool {
    matches!(
        redb::ReadOnlyDatabase::open(path),
        Err(redb::DatabaseError::DatabaseAlreadyOpen)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tables::TX_NOTES;

    #[test]
    fn a_copy_holds_what_its_read_transaction_saw_and_passes_the_checks() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        let wtx = db.begin_write().unwrap();
        wtx.open_table(META)
            .unwrap()
            .insert("test_marker", b"kept".as_slice())
            .unwrap();
        {
            let mut notes = wtx.open_table(TX_NOTES).unwrap();
            for i in 0..120_000u64 {
                notes.insert((i, 0), b"note".as_slice()).unwrap();
            }
        }
        wtx.commit().unwrap();
        let copy = dir.path().join("copy.redb");
        let rows = db.copy_to(&copy).unwrap();
        assert!(rows["meta"] >= 3, "{rows:?}");
        assert_eq!(rows["tx_notes"], 120_000);
        // The live file stays open and writable while its copy is checked.
        assert!(held_open(&dir.path().join("g.redb")));
        assert!(!held_open(&copy));
        let v = verify_copy(&copy, db.keys()).unwrap();
        assert!(v.report.is_ok(), "{:?}", v.report.problems);
        assert_eq!(v.rows, rows);
        // A copy is never written over.
        assert!(db.copy_to(&copy).is_err());
        assert_eq!(verify_copy(&copy, db.keys()).unwrap().rows, rows);
        // Another appliance's keys are refused.
        let other = Keys::generate(1, 0);
        assert!(matches!(verify_copy(&copy, &other), Err(Error::Keys(_))));
    }
}
