//! Storage in one redb file: every table, its codecs, indexes and rollups.
//! Blocking: call from `spawn_blocking`, never directly on the async executor.

pub mod audit;
pub mod check;
mod codec;
pub mod columns;
pub mod merchants;
mod migrate_accounts;
mod migrate_audit;
pub mod notes;
pub mod outbox;
pub mod payments;
pub mod query;
pub mod security;
pub mod sessions;
pub mod tables;
pub mod transactions;
pub mod users;

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};

use tables::META;

/// redb's page cache. Searches run on the in-memory column store and read few
/// rows, so a modest cache keeps memory flat during long exports.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Bumped whenever a table or a codec changes shape.
/// 2: hash-chained audit entries with outcome and detail; users with a second
/// factor and password age; sessions with a stage; card keys out of the file.
pub const SCHEMA_VERSION: u32 = 2;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("storage: {0}")]
    Redb(#[from] redb::Error),
    #[error("corrupt record in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error(
        "the data file has schema version {found}, this binary expects {expected}: use a binary of the matching version or start from a new data file"
    )]
    Schema { found: u32, expected: u32 },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(impl From<$t> for Error {
        fn from(e: $t) -> Self { Error::Redb(e.into()) }
    })*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which merchant's data a read may see. Every merchant-facing read takes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Admin,
    Merchant(u64),
}

impl Scope {
    pub fn allows(self, merchant_id: u64) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Merchant(m) => m == merchant_id,
        }
    }
}

/// The data file. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
    store: Arc<columns::Store>,
}

impl Db {
    /// Opens (or creates) the data file, creating tables and checking the schema version.
    pub fn open(path: &Path) -> Result<Db> {
        Db::open_with_cache(path, CACHE_BYTES)
    }

    /// Like [`Db::open`] with another page-cache size (bulk loads want a large one).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Redb(redb::Error::Io(e)))?;
        }
        let db = Db {
            inner: Arc::new(
                Database::builder()
                    .set_cache_size(cache_bytes)
                    .create(path)?,
            ),
            store: Arc::default(),
        };
        db.init()?;
        Ok(db)
    }

    fn init(&self) -> Result<()> {
        let wtx = self.inner.begin_write()?;
        let found = wtx
            .open_table(META)?
            .get("schema_version")?
            .map(|v| codec::u32_from(v.value()));
        match found {
            None => {}
            Some(Some(v)) if v == SCHEMA_VERSION => {}
            Some(Some(1)) => {
                // Tables first: a schema-1 file lacks the ones added since.
                tables::create_all(&wtx)?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                migrate_accounts::v1_to_v2(&wtx, now)?;
                let n = migrate_audit::from_v1(&wtx)?;
                tracing::info!(audit_entries = n, "data file migrated from schema 1 to 2");
            }
            Some(v) => {
                return Err(Error::Schema {
                    found: v.unwrap_or(0),
                    expected: SCHEMA_VERSION,
                });
            }
        }
        {
            let mut meta = wtx.open_table(META)?;
            meta.insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
            for name in ["secret_key", "csrf_key"] {
                if meta.get(name)?.is_none() {
                    let mut key = [0u8; 32];
                    rand::fill(&mut key);
                    meta.insert(name, key.as_slice())?;
                }
            }
        }
        tables::create_all(&wtx)?;
        wtx.commit()?;
        Ok(())
    }

    pub fn begin_write(&self) -> Result<WriteTransaction> {
        Ok(self.inner.begin_write()?)
    }

    pub fn begin_read(&self) -> Result<redb::ReadTransaction> {
        Ok(self.inner.begin_read()?)
    }

    /// A 32-byte secret stored in the data file (`secret_key` for card tokens,
    /// `csrf_key` for CSRF tokens), created at first open.
    pub fn secret(&self, name: &str) -> Result<[u8; 32]> {
        let rtx = self.begin_read()?;
        let meta = rtx.open_table(META)?;
        let v = meta.get(name)?.ok_or(Error::NotFound)?;
        v.value().try_into().map_err(|_| Error::Corrupt {
            table: "meta",
            detail: format!("{name} is not 32 bytes"),
        })
    }
}

/// Takes the next value of a named counter in META (starting at `start`).
pub(crate) fn next_id(wtx: &WriteTransaction, name: &str, start: u64) -> Result<u64> {
    let mut meta = wtx.open_table(META)?;
    let next = match meta.get(name)? {
        Some(v) => codec::u64_from(v.value()).ok_or(Error::Corrupt {
            table: "meta",
            detail: name.into(),
        })?,
        None => start,
    };
    meta.insert(name, (next + 1).to_le_bytes().as_slice())?;
    Ok(next)
}

/// Reads a counter without taking it.
pub(crate) fn peek_id(rtx: &redb::ReadTransaction, name: &str) -> Result<Option<u64>> {
    let meta = rtx.open_table(META)?;
    Ok(meta.get(name)?.and_then(|v| codec::u64_from(v.value())))
}
