//! Storage in one redb file: every table, its codecs, indexes and rollups.
//! Blocking: call from `spawn_blocking`, never directly on the async executor.

pub mod accounts;
pub mod api_credentials;
pub mod api_payments;
pub mod audit;
pub mod backup;
pub mod blacklist;
pub mod callbacks;
pub mod check;
mod codec;
pub mod columns;
pub mod detail;
pub mod email_templates;
#[cfg(test)]
mod golden;
mod group;
pub mod housekeeping;
pub mod idempotency;
pub mod location;
pub mod merchant_settings;
pub mod merchants;
mod migrate_accounts;
mod migrate_audit;
pub mod migrate_keys;
mod migrate_rollups;
pub mod open_authorizations;
pub mod operation_keys;
pub mod outbox;
pub mod payments;
pub mod pending;
pub mod profile;
pub mod query;
pub mod queues;
pub mod rebills;
mod rewrite;
pub mod rollup_bench;
#[cfg(test)]
mod rollup_tests;
pub mod rollups;
pub mod security;
pub mod sessions;
pub mod sizes;
pub mod stats;
#[cfg(test)]
mod stats_tests;
pub mod support;
/// Table definitions: for `db` and tests only (everything else goes through `db`).
#[doc(hidden)]
pub mod support_contacts;
pub mod tables;
pub mod transactions;
pub mod tx_log;
pub mod users;
pub mod velocity;
pub mod welcome;
#[cfg(test)]
mod write_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};

pub use group::GroupCommit;
use tables::META;

use crate::keys::{self, Keys};

/// redb's page cache. Searches run on the in-memory column store and read few
/// rows, so a modest cache keeps memory flat during long exports.
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Bumped whenever a table or a codec changes shape. 2: the secrets moved out of the
/// data file into the key file (see `migrate_keys`); users with a second factor and
/// a password age, sessions with a stage (`migrate_accounts`); hash-chained audit
/// entries with outcome and detail (`migrate_audit`). The golden-bytes test
/// (`golden.rs`) fails when a stored record changes shape without a bump.
/// 3: the quarter-hour running totals (`rollups`), built from the rows on open
/// (`migrate_rollups`). 4: the UTC day rollups they replace are dropped, and the
/// rollups rebuilt with the buyer's IP country (`domain::geo`) as that dimension.
/// 5: the period index `idx_time` (written for every row, read by nothing) is
/// dropped; periods are found by id, ids growing with time.
pub const SCHEMA_VERSION: u32 = 5;

/// META entry with the check values of the keys in the key file (`Keys::checks`).
pub(crate) const KEY_CHECKS: &str = "key_checks";

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
    /// A rollup read was given periods it cannot answer (see `rollups::RollupQuery`).
    #[error("bad periods: {0}")]
    BadRange(String),
    /// A new user's username belongs to another account.
    #[error("the username {0} is taken")]
    UsernameTaken(String),
    /// An insert was given a record that already has an id (only new records, with
    /// id 0, are inserted).
    #[error("{kind} {id} already has an id: only new records are inserted")]
    IdAlreadySet { kind: &'static str, id: u64 },
    /// A split that reads each row's record met more rows than it reads (see
    /// `stats::COUNTRY_SCAN_LIMIT`).
    #[error("{rows} rows match, more than the {limit} a country split reads")]
    TooManyRows { rows: u64, limit: u64 },
    /// A thread panicked while it held the in-memory column store.
    #[error("the column store is poisoned (a thread panicked while updating it)")]
    Poisoned,
    /// A record could not be encoded (see `codec::encode`); `what` names its type.
    #[error("cannot encode a {what}: {detail}")]
    Encode { what: &'static str, detail: String },
    /// The keys do not fit the data file (missing, foreign, no active card key).
    #[error("{0}")]
    Keys(String),
    /// A payment request in a currency its merchant does not accept (checked again
    /// inside the write, whatever the form said).
    #[error("the merchant does not accept {0:?}")]
    CurrencyNotAccepted(crate::domain::money::Currency),
    /// The key file cannot be read or written.
    #[error(transparent)]
    KeyFile(#[from] keys::KeyError),
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

impl Error {
    /// The data file's volume is full (ENOSPC, or a quota: EDQUOT): the write was not
    /// committed. redb then refuses every later operation (`needs_reopen`).
    pub fn is_disk_full(&self) -> bool {
        match self {
            Error::Redb(redb::Error::Io(e)) => {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
                ) || matches!(e.raw_os_error(), Some(28 | 122))
            }
            _ => false,
        }
    }

    /// An earlier write of this process failed (a full disk, an I/O error): redb has
    /// latched the failure and answers every operation with it until the data file is
    /// opened again, that is until the service restarts. Nothing half-written is kept:
    /// the next start recovers the last committed state.
    pub fn needs_reopen(&self) -> bool {
        matches!(self, Error::Redb(redb::Error::PreviousIo))
    }

    /// Storage that cannot write now ([`Error::is_disk_full`] or
    /// [`Error::needs_reopen`]): answered 503, not 500.
    pub fn is_storage_unavailable(&self) -> bool {
        self.is_disk_full() || self.needs_reopen()
    }
}

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

/// The data file, with the keys of its key file. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
    store: Arc<columns::Store>,
    keys: Arc<Keys>,
    key_file: Arc<PathBuf>,
    path: Arc<PathBuf>,
    /// The writes waiting for a durable commit (see [`Db::write`]).
    group: Arc<group::Group>,
}

/// Creates the data file with mode 0600 before redb opens it; an existing one
/// readable by others is narrowed to 0600.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the data file was readable by others: narrowed to 0600");
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

pub(crate) fn io(e: std::io::Error) -> Error {
    Error::Redb(redb::Error::Io(e))
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Db {
    /// Opens (or creates) the data file, creating tables and checking the schema
    /// version, with the key file beside it (see [`keys::resolve`]).
    pub fn open(path: &Path) -> Result<Db> {
        Db::open_with_cache(path, CACHE_BYTES)
    }

    /// Like [`Db::open`] with another page-cache size (bulk loads want a large one).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Db> {
        Db::open_keyed(path, &keys::resolve(path, None), cache_bytes)
    }

    /// Opens (or creates) the data file with the key file `key_file`. A new data file
    /// gets the keys of `key_file` (created when missing); an existing one needs its
    /// own keys: a missing or foreign key file is an error, never replaced. A schema-1
    /// file is migrated (see `migrate_keys`).
    pub fn open_keyed(path: &Path, key_file: &Path, cache_bytes: usize) -> Result<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            keys::create_private_dir(parent).map_err(io)?;
        }
        create_private_file(path).map_err(io)?;
        let mut inner = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)?;
        let was_schema_1 = schema_version(&inner)? == Some(1);
        let mut keys = init(&inner, path, key_file)?;
        let mut rotated = false;
        if keys.card_keys.len() > 1 {
            // A rotation was interrupted: finish it before anything uses the keys.
            migrate_keys::finish_rotation(&inner, key_file, &mut keys, &mut |_, _| {})?;
            rotated = true;
        }
        if was_schema_1 || rotated {
            // The old key and the old tokens may linger in free pages: keep only
            // the live records.
            drop(inner);
            let rows = rewrite::rewrite_live(path, cache_bytes)?;
            tracing::info!(rows, path = %path.display(), "data file rewritten with its live records only");
            inner = Database::builder()
                .set_cache_size(cache_bytes)
                .create(path)?;
        }
        Ok(Db {
            inner: Arc::new(inner),
            store: Arc::default(),
            keys: Arc::new(keys),
            key_file: Arc::new(key_file.to_path_buf()),
            path: Arc::new(path.to_path_buf()),
            group: Arc::default(),
        })
    }

    /// Starts a write transaction. Blocks while another one is open (redb runs them
    /// one at a time); durable at commit unless told otherwise.
    pub fn begin_write(&self) -> Result<Tx> {
        Ok(Tx(self.inner.begin_write()?))
    }

    /// Commits an empty write transaction durably: fails while the file refuses
    /// writes (a full volume, or redb's latch after a failed write; see `recovery`).
    pub fn probe_write(&self) -> Result<()> {
        self.begin_write()?.commit()
    }

    /// A raw read transaction: for db and tests only (everything else reads through
    /// `Db` methods).
    #[doc(hidden)]
    pub fn begin_read(&self) -> Result<redb::ReadTransaction> {
        Ok(self.inner.begin_read()?)
    }

    /// The keys of the key file (card storage-token keys, CSRF key).
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Where the keys were read from.
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// The data file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a new card key, re-keys every stored token to it and drops the old keys
    /// (see `migrate_keys::rotate`). Offline: the caller must hold the only handle,
    /// and reopen the data file to use the new keys. Returns (new key id, tokens re-keyed).
    pub fn rotate_card_key(
        &self,
        now: i64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(u32, u64)> {
        let mut keys = (*self.keys).clone();
        let n = migrate_keys::rotate(&self.inner, &self.key_file, &mut keys, now, false, progress)?;
        Ok((keys.active, n))
    }
}

impl Db {
    /// Whether the data file holds no merchant and no transaction (a fresh file, where
    /// demo data may go).
    pub fn is_empty(&self) -> Result<bool> {
        let rtx = self.begin_read()?;
        Ok(rtx
            .open_table(tables::MERCHANT_ID_TO_MERCHANT)?
            .is_empty()?
            && rtx.open_table(tables::TX_ID_TO_TX)?.is_empty()?)
    }
}

/// [`Db::is_empty`] inside a write transaction (to fill the file in that same write).
pub fn is_empty_in(wtx: &Tx) -> Result<bool> {
    Ok(wtx
        .open_table(tables::MERCHANT_ID_TO_MERCHANT)?
        .is_empty()?
        && wtx.open_table(tables::TX_ID_TO_TX)?.is_empty()?)
}

/// A write transaction on the data file: every `db` function that composes into a
/// caller's step takes one, so a record, its indexes, rollups, journal and audit
/// line commit together or not at all. Dropped without [`Tx::commit`], nothing is
/// written.
pub struct Tx(redb::WriteTransaction);

impl Tx {
    /// Writes everything done in the transaction (durably unless
    /// [`Tx::set_not_durable`] was called).
    pub fn commit(self) -> Result<()> {
        Ok(self.0.commit()?)
    }

    /// Drops everything done in the transaction.
    pub fn abort(self) -> Result<()> {
        Ok(self.0.abort()?)
    }

    /// Commits without waiting for the disk: made durable by the next durable commit,
    /// lost in a crash before it. For bulk loads and last-seen times.
    pub fn set_not_durable(&mut self) -> Result<()> {
        Ok(self.0.set_durability(Durability::None)?)
    }

    /// Commits durably (the default): for the last batch of a bulk load.
    pub fn set_durable(&mut self) -> Result<()> {
        Ok(self.0.set_durability(Durability::Immediate)?)
    }
}

/// `db` code (and tests, through `db::tables`) reach the redb transaction; code
/// outside `db` calls `db` functions with a `&Tx` and never names a redb type.
impl std::ops::Deref for Tx {
    type Target = redb::WriteTransaction;

    fn deref(&self) -> &redb::WriteTransaction {
        &self.0
    }
}

/// Rewrites the (closed) data file at `path` with its live records only, clearing
/// the old file's bytes (see `rewrite`). Returns the records copied.
pub fn rewrite_data_file(path: &Path) -> Result<u64> {
    rewrite::rewrite_live(path, CACHE_BYTES)
}

/// The schema version a data file says it has.
fn schema_version(inner: &Database) -> Result<Option<u32>> {
    let rtx = inner.begin_read()?;
    let meta = match rtx.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(meta
        .get("schema_version")?
        .and_then(|v| codec::u32_from(v.value())))
}

/// Reads the schema version and the keys: a new file gets its keys and the version,
/// a current one has its keys checked, a schema-1 one is migrated.
fn init(inner: &Database, path: &Path, key_file: &Path) -> Result<Keys> {
    let (found, checks) = {
        let wtx = inner.begin_write()?;
        let meta = wtx.open_table(META)?;
        let found = meta
            .get("schema_version")?
            .map(|v| codec::u32_from(v.value()));
        let checks = meta
            .get(KEY_CHECKS)?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned());
        drop(meta);
        wtx.abort()?;
        (found, checks)
    };
    let keys = match found {
        None => {
            let keys = match keys::load(key_file)? {
                Some(k) => k,
                None => {
                    let k = Keys::generate(1, unix_now());
                    keys::save(key_file, &k)?;
                    k
                }
            };
            let wtx = inner.begin_write()?;
            {
                let mut meta = wtx.open_table(META)?;
                meta.insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                meta.insert(KEY_CHECKS, keys.checks().as_bytes())?;
            }
            tables::create_all(&wtx)?;
            wtx.commit()?;
            keys
        }
        Some(Some(1)) => migrate_keys::from_v1(inner, key_file, unix_now())?,
        Some(Some(v)) if (2..=SCHEMA_VERSION).contains(&v) => {
            let keys = keys::load(key_file)?.ok_or_else(|| {
                Error::Keys(format!(
                    "the key file {} is missing: the data file {} holds card tokens and forms made with its keys. Give it with --key-file or GUICHET_KEY_FILE (or restore it from its backup); a new key file is never made for an existing data file",
                    key_file.display(),
                    path.display()
                ))
            })?;
            let checks = checks.ok_or(Error::Corrupt {
                table: "meta",
                detail: "no key checks".into(),
            })?;
            keys.verify(&checks).map_err(|e| {
                Error::Keys(format!(
                    "the key file {} does not belong to the data file {}: {e}",
                    key_file.display(),
                    path.display()
                ))
            })?;
            if v < 4 {
                // 2 → 4 builds the rollups; 3 → 4 rebuilds them (their buyer
                // country is now the IP's) and drops the UTC day rollups.
                migrate_rollups::rebuild(inner)?;
            } else if v < SCHEMA_VERSION {
                // 4 → 5: `create_all` drops the time index.
                let wtx = inner.begin_write()?;
                tables::create_all(&wtx)?;
                wtx.open_table(META)?
                    .insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                wtx.commit()?;
                tracing::info!(
                    "migrated the data file to schema {SCHEMA_VERSION}: the unused time index was dropped"
                );
            } else {
                let wtx = inner.begin_write()?;
                tables::create_all(&wtx)?;
                wtx.commit()?;
            }
            keys
        }
        Some(v) => {
            return Err(Error::Schema {
                found: v.unwrap_or(0),
                expected: SCHEMA_VERSION,
            });
        }
    };
    Ok(keys)
}

/// Takes the next value of a named counter in META (starting at `start`).
pub(crate) fn next_id(wtx: &Tx, name: &str, start: u64) -> Result<u64> {
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

#[cfg(test)]
mod storage_error_tests {
    use super::Error;

    #[test]
    fn no_space_and_quota_are_a_full_disk_and_a_latched_failure_needs_a_reopen() {
        let io = |code| Error::Redb(redb::Error::Io(std::io::Error::from_raw_os_error(code)));
        assert!(io(28).is_disk_full() && io(28).is_storage_unavailable());
        assert!(io(122).is_disk_full());
        assert!(!io(5).is_disk_full() && !io(5).is_storage_unavailable());
        let latched = Error::Redb(redb::Error::PreviousIo);
        assert!(latched.needs_reopen() && !latched.is_disk_full());
        assert!(latched.is_storage_unavailable());
        assert!(!Error::NotFound.is_storage_unavailable());
    }
}
