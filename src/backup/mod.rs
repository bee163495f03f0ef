//! Online backups (issue 15, OPSX-4). A backup is a copy of the data file made from
//! one redb read transaction while the server keeps taking payments (readers never
//! block a writer), checked with the checks of `guichet check` before it is kept:
//!
//! - not encrypted: `guichet-….redb`, itself a data file (open it with its key file);
//!   the key file is **not** in it;
//! - encrypted (`.age`): an age file (X25519 recipients, or a passphrase through
//!   scrypt) holding a tar of `guichet.redb`, `guichet.keys` (the key file) and
//!   `report.json`, written as a stream: `age -d -i id.txt F.age | tar x` opens it.
//!
//! Beside each backup, `<file>.json` is its [`BackupReport`] (no secret in it). The
//! plain copy of an encrypted backup is made beside the data file (same privacy as the
//! data file), never in the backup directory, and deleted once encrypted.
//!
//! [`Backups`] runs them one at a time for the schedule (`--backup-dir`,
//! `--backup-every`, `--backup-keep`), the admin page's button and the control socket
//! (`control`) through which `guichet backup` asks a running server; [`restore`]
//! puts one back.

pub mod control;
mod restore;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use age::secrecy::SecretString;

pub use restore::{RestoreOptions, Restored, restore};

use crate::clock::Clock;
use crate::db::audit::AuditEntry;
use crate::db::{self, Db};
use crate::domain::actor::Actor;
use crate::domain::backup::{
    BackupName, BackupReport, CheckState, EncryptionKind, LastRun, Listed, ScheduleView, Status,
    next_due, to_prune,
};

/// Why a backup or a restore did not happen. Messages are for the operator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] db::Error),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already exists: a backup never overwrites a file", .0.display())]
    Exists(PathBuf),
    #[error("a backup is already running (asked by {0}): one at a time")]
    Busy(String),
    #[error(
        "no backup directory: start the server with --backup-dir DIR (GUICHET_BACKUP_DIR), or run `guichet backup --to FILE`"
    )]
    NoDirectory,
    /// A recipient, passphrase or identity that does not fit.
    #[error("{0}")]
    Encryption(String),
    /// What was read is not a backup this binary can restore, or fails its checks.
    #[error("{0}")]
    Invalid(String),
    /// The data file to restore is in use by a running server.
    #[error(
        "{} is in use by a running server: stop it first (a restore never replaces a live data file)",
        .0.display()
    )]
    Live(PathBuf),
    /// The control socket of a running server answered with an error or not at all.
    #[error("the running server: {0}")]
    Control(String),
}

/// `io::Error` with what was being done.
pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// A passphrase: shown nowhere, not even in debug output.
#[derive(Clone)]
pub struct Passphrase(Arc<str>);

impl Passphrase {
    /// The passphrase of a file's first line (without its line break); an empty one
    /// is refused.
    pub fn from_file(path: &Path) -> Result<Passphrase, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the passphrase file {}: {e}", path.display()))?;
        Passphrase::new(text.lines().next().unwrap_or_default())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn new(text: &str) -> Result<Passphrase, String> {
        if text.trim().is_empty() {
            return Err("the passphrase is empty".into());
        }
        Ok(Passphrase(text.into()))
    }

    fn secret(&self) -> SecretString {
        SecretString::from(self.0.to_string())
    }

    /// The passphrase itself (sent to a running server over the control socket).
    pub(crate) fn text(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// How a backup is encrypted: not, for age X25519 recipients (`age1…`), or with a
/// passphrase (age refuses to mix the two).
#[derive(Clone, Debug, Default)]
pub enum Encryption {
    #[default]
    None,
    Recipients(Vec<String>),
    Passphrase(Passphrase),
}

impl Encryption {
    /// From the flags `--encrypt-to` (repeatable) and `--passphrase-file`: each
    /// recipient must be an age public key; both at once are refused.
    pub fn from_flags(
        recipients: &[String],
        passphrase_file: Option<&Path>,
    ) -> Result<Encryption, String> {
        match (recipients.is_empty(), passphrase_file) {
            (true, None) => Ok(Encryption::None),
            (false, Some(_)) => Err(
                "give either recipients (--encrypt-to) or a passphrase file, not both: age does not mix them"
                    .into(),
            ),
            (true, Some(p)) => Ok(Encryption::Passphrase(Passphrase::from_file(p)?)),
            (false, None) => {
                for r in recipients {
                    parse_recipient(r)?;
                }
                Ok(Encryption::Recipients(
                    recipients.iter().map(|r| r.trim().to_string()).collect(),
                ))
            }
        }
    }

    pub fn kind(&self) -> EncryptionKind {
        match self {
            Encryption::None => EncryptionKind::None,
            Encryption::Recipients(_) => EncryptionKind::Recipients,
            Encryption::Passphrase(_) => EncryptionKind::Passphrase,
        }
    }

    fn encryptor(&self) -> Result<Option<age::Encryptor>, BackupError> {
        let bad = |e: age::EncryptError| BackupError::Encryption(e.to_string());
        match self {
            Encryption::None => Ok(None),
            Encryption::Passphrase(p) => Ok(Some(age::Encryptor::with_user_passphrase(p.secret()))),
            Encryption::Recipients(list) => {
                let parsed = list
                    .iter()
                    .map(|r| parse_recipient(r))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(BackupError::Encryption)?;
                age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
                    .map(Some)
                    .map_err(bad)
            }
        }
    }
}

/// An age X25519 public key (`age1…`).
fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, String> {
    text.trim()
        .parse::<age::x25519::Recipient>()
        .map_err(|e| format!("{:?} is not an age public key (age1…): {e}", text.trim()))
}

/// `dir/.name.suffix`: a hidden sibling of `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// A random hex string for temporary names.
fn random_tag() -> String {
    crate::keys::to_hex(&crate::keys::random_key()[..6])
}

/// `<backup>.json`: the report beside a backup.
pub fn report_path(backup: &Path) -> PathBuf {
    let mut name = backup.file_name().unwrap_or_default().to_os_string();
    name.push(".json");
    backup.with_file_name(name)
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// A new file of mode 0600 (refused if it exists).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes a backup of `db` at `dest` (which must not exist): copies the data file
/// from one read transaction, checks the copy, encrypts it if asked (with the key
/// file inside), writes `<dest>.json`. `at` is the time the report gives. Blocking;
/// never holds a write transaction, so payments go on meanwhile.
pub fn make(
    db: &Db,
    dest: &Path,
    encryption: &Encryption,
    at: i64,
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_path_buf()));
    }
    let encryptor = encryption.encryptor()?;
    let partial = sibling(dest, "partial");
    let _ = std::fs::remove_file(&partial);
    // The plain copy: straight to its place when not encrypted; else beside the data
    // file, never in the backup directory.
    let plain = if encryptor.is_some() {
        sibling(db.path(), &format!("backup-{}.tmp", random_tag()))
    } else {
        partial.clone()
    };
    let made = (|| -> Result<BackupReport, BackupError> {
        let rows = db.copy_to(&plain)?;
        let copy_ms = started.elapsed().as_millis() as u64;
        let data_size = std::fs::metadata(&plain).map_err(io_err("the copy"))?.len();
        let verified = db::backup::verify_copy(&plain, db.keys())?;
        let check_ms = started.elapsed().as_millis() as u64 - copy_ms;
        let rows_match = verified.rows == rows;
        if !rows_match {
            return Err(BackupError::Invalid(format!(
                "the copy does not hold the rows its read transaction saw ({rows:?} read, {:?} found): not kept",
                verified.rows
            )));
        }
        let mut report = BackupReport {
            file: dest
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            at,
            duration_ms: 0,
            copy_ms,
            check_ms,
            size: 0,
            data_size,
            encryption: encryption.kind(),
            key_file_included: encryptor.is_some(),
            rows,
            problems: verified.report.integrity_problems(),
            in_flight: verified.report.in_flight.clone(),
            audit_head: verified.report.audit.head.clone(),
            rows_match,
        };
        if let Some(encryptor) = encryptor {
            write_bundle(encryptor, &plain, db, &report, &partial)?;
        }
        std::fs::rename(&partial, dest).map_err(io_err("putting the backup in place"))?;
        sync_dir(dest);
        report.size = std::fs::metadata(dest).map_err(io_err("the backup"))?.len();
        report.duration_ms = started.elapsed().as_millis() as u64;
        write_report(&report_path(dest), &report)?;
        Ok(report)
    })();
    let _ = std::fs::remove_file(&partial);
    if plain != partial {
        let _ = std::fs::remove_file(&plain);
    }
    made
}

fn write_report(path: &Path, report: &BackupReport) -> Result<(), BackupError> {
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| BackupError::Invalid(format!("the report: {e}")))?;
    let tmp = sibling(path, "tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = create_private(&tmp).map_err(io_err("the report"))?;
    f.write_all(&json).map_err(io_err("the report"))?;
    f.sync_all().map_err(io_err("the report"))?;
    std::fs::rename(&tmp, path).map_err(io_err("the report"))
}

/// The names inside an encrypted backup.
pub(crate) const DATA_ENTRY: &str = "guichet.redb";
pub(crate) const KEYS_ENTRY: &str = "guichet.keys";
pub(crate) const REPORT_ENTRY: &str = "report.json";

/// Streams tar(data copy, key file, report) through age into `out`.
fn write_bundle(
    encryptor: age::Encryptor,
    plain: &Path,
    db: &Db,
    report: &BackupReport,
    out: &Path,
) -> Result<(), BackupError> {
    let e = io_err("writing the encrypted backup");
    let file = create_private(out).map_err(io_err("the encrypted backup"))?;
    let stream = encryptor
        .wrap_output(std::io::BufWriter::with_capacity(1 << 20, file))
        .map_err(io_err("writing the encrypted backup"))?;
    let mut tar = tar::Builder::new(stream);
    let mut data = std::fs::File::open(plain).map_err(io_err("the copy"))?;
    tar.append_file(DATA_ENTRY, &mut data)
        .map_err(io_err("writing the encrypted backup"))?;
    let keys = db.keys().to_text();
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| BackupError::Invalid(format!("the report: {e}")))?;
    for (name, bytes) in [
        (KEYS_ENTRY, keys.as_bytes()),
        (REPORT_ENTRY, json.as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(report.at.max(0) as u64);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes)
            .map_err(io_err("writing the encrypted backup"))?;
    }
    let stream = tar
        .into_inner()
        .map_err(io_err("writing the encrypted backup"))?;
    let buffered = stream
        .finish()
        .map_err(io_err("writing the encrypted backup"))?;
    let file = buffered.into_inner().map_err(|err| e(err.into_error()))?;
    file.sync_all()
        .map_err(io_err("writing the encrypted backup"))
}

/// Where and how often the server makes backups by itself, and how.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `--backup-dir`: where scheduled and "Back up now" backups go. None: neither.
    pub dir: Option<PathBuf>,
    /// `--backup-every`, seconds.
    pub every: u64,
    /// `--backup-keep`: the newest kept; 0 keeps every one.
    pub keep: usize,
    pub encryption: Encryption,
    /// How often the schedule looks at the clock.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            dir: None,
            every: 86_400,
            keep: 7,
            encryption: Encryption::None,
            poll: Duration::from_secs(60),
        }
    }
}

/// After a failed scheduled backup, the next try waits this long (or the period, if
/// shorter).
const RETRY_SECS: u64 = 3_600;

#[derive(Default)]
struct State {
    running: Option<(i64, String)>,
    last: Option<LastRun>,
    failed_at: Option<i64>,
}

/// The backups of a running server: one at a time, whoever asks (the schedule, the
/// admin page, the control socket).
pub struct Backups {
    db: Db,
    clock: Arc<dyn Clock>,
    settings: Settings,
    state: Mutex<State>,
}

/// The running slot, freed when dropped.
struct Slot<'a>(&'a Backups);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.with_state(|s| s.running = None);
    }
}

impl Backups {
    /// The backups of `db`. Clears what a backup interrupted by a stop left: its
    /// plain copy beside the data file, its partial file in the backup directory.
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> Backups {
        let data_name = db
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let leftover = |dir: &Path, is_ours: &dyn Fn(&str) -> bool| {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if is_ours(&name) {
                    tracing::warn!(file = %e.path().display(), "removing what an interrupted backup left");
                    let _ = std::fs::remove_file(e.path());
                }
            }
        };
        if let Some(dir) = db.path().parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            let prefix = format!(".{data_name}.backup-");
            leftover(dir, &|n| n.starts_with(&prefix) && n.ends_with(".tmp"));
        }
        if let Some(dir) = &settings.dir {
            leftover(dir, &|n| {
                n.strip_prefix('.')
                    .and_then(|n| n.strip_suffix(".partial"))
                    .is_some_and(|n| BackupName::parse(n).is_some())
            });
        }
        Backups {
            db,
            clock,
            settings,
            state: Mutex::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    fn take_slot(&self, by: &str) -> Result<Slot<'_>, BackupError> {
        let now = self.clock.now().unix_timestamp();
        self.with_state(|s| match &s.running {
            Some((_, who)) => Err(BackupError::Busy(who.clone())),
            None => {
                s.running = Some((now, by.to_string()));
                Ok(())
            }
        })?;
        Ok(Slot(self))
    }

    /// What runs now and how the last backup went.
    pub fn status(&self) -> Status {
        self.with_state(|s| Status {
            running: s.running.clone(),
            last: s.last.clone(),
        })
    }

    /// The schedule as the Backups page shows it; None without a backup directory.
    pub fn schedule(&self) -> Option<ScheduleView> {
        let dir = self.settings.dir.as_ref()?;
        Some(ScheduleView {
            dir: dir.display().to_string(),
            every: self.settings.every,
            keep: self.settings.keep,
            encryption: self.settings.encryption.kind(),
            next_due: Some(self.due()).filter(|d| *d != i64::MIN),
        })
    }

    /// When the next scheduled backup is due (`i64::MIN`: now).
    fn due(&self) -> i64 {
        let newest = self.list().first().map(|l| l.at);
        let failed = self.with_state(|s| s.failed_at);
        next_due(
            newest,
            self.settings.every,
            failed,
            RETRY_SECS.min(self.settings.every),
        )
    }

    /// The backups in the backup directory, newest first (none without one).
    pub fn list(&self) -> Vec<Listed> {
        let Some(dir) = &self.settings.dir else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out: Vec<(BackupName, Listed)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let parsed = BackupName::parse(&name)?;
                let size = e.metadata().ok()?.len();
                let report: Option<BackupReport> = std::fs::read(report_path(&e.path()))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
                let check = match &report {
                    None => CheckState::Unknown,
                    Some(r) if r.passed() => CheckState::Passed,
                    Some(r) => CheckState::Failed(
                        r.problems
                            .first()
                            .cloned()
                            .unwrap_or_else(|| "rows differ".into()),
                    ),
                };
                Some((
                    parsed.clone(),
                    Listed {
                        name,
                        at: report.as_ref().map_or(parsed.at, |r| r.at),
                        size,
                        encrypted: parsed.encrypted,
                        check,
                        transactions: report.as_ref().map(BackupReport::transactions),
                        duration_ms: report.as_ref().map(|r| r.duration_ms),
                    },
                ))
            })
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse((b.0.at, b.0.n)));
        out.into_iter().map(|(_, l)| l).collect()
    }

    /// A backup at `dest` (the control socket's `guichet backup --to`), audited as
    /// `actor`'s. Blocking; refused while another runs.
    pub fn run_to(
        &self,
        dest: &Path,
        encryption: &Encryption,
        actor: &Actor,
    ) -> Result<BackupReport, BackupError> {
        let _slot = self.take_slot(&actor.user)?;
        self.run(dest, encryption, actor)
    }

    /// A backup in the backup directory with the server's encryption, then the
    /// oldest beyond `--backup-keep` deleted. Blocking; refused while another runs.
    pub fn run_in_dir(&self, actor: &Actor) -> Result<BackupReport, BackupError> {
        let _slot = self.take_slot(&actor.user)?;
        self.run_in_dir_holding(actor)
    }

    fn run_in_dir_holding(&self, actor: &Actor) -> Result<BackupReport, BackupError> {
        let dir = self.settings.dir.as_ref().ok_or(BackupError::NoDirectory)?;
        crate::keys::create_private_dir(dir)
            .map_err(io_err(format!("the backup directory {}", dir.display())))?;
        let encrypted = !matches!(self.settings.encryption, Encryption::None);
        let at = self.clock.now().unix_timestamp();
        let mut n = 1;
        let dest = loop {
            let name = BackupName { at, n, encrypted }.file_name();
            let path = dir.join(name);
            if !path.exists() {
                break path;
            }
            n += 1;
        };
        let report = self.run(&dest, &self.settings.encryption, actor)?;
        self.prune(dir);
        Ok(report)
    }

    /// Starts a backup in the backup directory on a blocking thread and returns at
    /// once (the admin page's button). Refused without a directory or while another
    /// runs.
    pub fn start_in_dir(self: &Arc<Self>, actor: Actor) -> Result<(), BackupError> {
        if self.settings.dir.is_none() {
            return Err(BackupError::NoDirectory);
        }
        // Taken here so that a second click is refused at once.
        let now = self.clock.now().unix_timestamp();
        self.with_state(|s| match &s.running {
            Some((_, who)) => Err(BackupError::Busy(who.clone())),
            None => {
                s.running = Some((now, actor.user.clone()));
                Ok(())
            }
        })?;
        let me = self.clone();
        std::thread::spawn(move || {
            let _slot = Slot(&me);
            let _ = me.run_in_dir_holding(&actor);
        });
        Ok(())
    }

    /// Makes the backup, records how it went, audits it.
    fn run(
        &self,
        dest: &Path,
        encryption: &Encryption,
        actor: &Actor,
    ) -> Result<BackupReport, BackupError> {
        let at = self.clock.now().unix_timestamp();
        let made = make(&self.db, dest, encryption, at);
        let file = dest
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut entry = AuditEntry::by(actor, "backup.run", format!("backup {file}"), None);
        match &made {
            Ok(r) => {
                tracing::info!(file = %dest.display(), bytes = r.size, transactions = r.transactions(), ms = r.duration_ms, passed = r.passed(), "backup made");
                entry = entry.with_detail(format!(
                    "rows={} bytes={} check={}",
                    r.rows.values().sum::<u64>(),
                    r.size,
                    if r.passed() { "ok" } else { "problems" }
                ));
            }
            Err(e) => {
                tracing::error!(file = %dest.display(), "backup failed: {e}");
                entry.outcome = "failed".into();
                entry = entry.with_detail(crate::domain::text::log_safe_max(&e.to_string(), 300));
            }
        }
        self.with_state(|s| {
            s.last = Some(LastRun {
                at,
                by: actor.user.clone(),
                file,
                error: made.as_ref().err().map(|e| e.to_string()),
            });
            s.failed_at = made.is_err().then_some(at);
        });
        if let Err(e) = self.db.record(&entry) {
            tracing::error!("the backup's audit line was not written: {e}");
        }
        made
    }

    /// Deletes the backups (and their reports) beyond `--backup-keep`.
    fn prune(&self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        for name in to_prune(&names, self.settings.keep) {
            let path = dir.join(&name);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(file = %path.display(), "old backup deleted (--backup-keep)")
                }
                Err(e) => tracing::warn!(file = %path.display(), "old backup not deleted: {e}"),
            }
            let _ = std::fs::remove_file(report_path(&path));
        }
    }

    /// The schedule: a backup whenever one is due (a period after the newest in the
    /// directory, at once if there is none), until `stop`. Nothing without a backup
    /// directory.
    pub async fn run_schedule(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        if self.settings.dir.is_none() {
            return;
        }
        tokio::pin!(stop);
        loop {
            let now = self.clock.now().unix_timestamp();
            let wait = self.due().saturating_sub(now);
            let running = self.with_state(|s| s.running.is_some());
            if wait <= 0 && !running {
                let me = self.clone();
                let actor = Actor::system(now);
                let job = tokio::task::spawn_blocking(move || me.run_in_dir(&actor));
                tokio::select! {
                    _ = job => {}
                    () = &mut stop => break,
                }
                continue;
            }
            let nap = Duration::from_secs(wait.max(1) as u64).min(self.settings.poll);
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                () = &mut stop => break,
            }
        }
    }
}
