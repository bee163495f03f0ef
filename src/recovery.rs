//! Coming back from a full disk without anyone restarting the service (issue 15).
//!
//! When a write fails for storage (a full volume, an I/O error), redb keeps the
//! last committed state on disk and latches the failure: that process refuses
//! every later write, even once space returns, until the data file is opened
//! again. So the server watches: once a write has failed and the file refuses
//! writes, it checks every few seconds whether the volume takes data again (a
//! small probe file written, synced and removed next to the data file); when it
//! does, the server replaces itself with a fresh copy of the same program and
//! arguments (`exec`: same process id, for a service manager nothing happened),
//! which opens the file again, recovers its last committed state and serves.
//! Only `guichet serve` arms this ([`watch`]); tests that run the app in their own
//! process never re-execute themselves.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::db::Db;

/// A write failed for storage since the start (or the last check).
static FAILED: AtomicBool = AtomicBool::new(false);

/// How often the watcher looks, and the probe's size: room for a few batches of
/// payments before the server opens the file again.
const EVERY: Duration = Duration::from_secs(2);
const PROBE_BYTES: usize = 4 << 20;

/// Tells the watcher a write failed for storage (called where that is logged).
pub fn storage_failed() {
    FAILED.store(true, Ordering::Relaxed);
}

/// What the watcher concluded on one look.
#[derive(Debug, PartialEq, Eq)]
pub enum Look {
    /// Nothing failed, or the file takes writes again in this process.
    Fine,
    /// The file refuses writes and the volume is still full.
    StillFull,
    /// The file refuses writes and the volume takes data again: reopen.
    Reopen,
}

/// One look: is the data file latched, and if so has space returned?
pub fn look(db: &Db) -> Look {
    if !FAILED.load(Ordering::Relaxed) {
        return Look::Fine;
    }
    match db.probe_write() {
        Ok(()) => {
            FAILED.store(false, Ordering::Relaxed);
            Look::Fine
        }
        Err(e) if e.needs_reopen() || e.is_disk_full() => {
            if volume_takes_data(db.path()) {
                Look::Reopen
            } else {
                Look::StillFull
            }
        }
        Err(_) => Look::StillFull,
    }
}

/// Writes, syncs and removes a probe file beside `data`.
fn volume_takes_data(data: &Path) -> bool {
    use std::io::Write;
    let probe = probe_path(data);
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&vec![0u8; PROBE_BYTES])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.is_ok()
}

fn probe_path(data: &Path) -> PathBuf {
    let mut name = data.file_name().unwrap_or_default().to_os_string();
    name.push(".space-probe");
    data.with_file_name(name)
}

/// Starts the watcher of `guichet serve` (a thread: it may block on the disk).
pub fn watch(db: Db) {
    let spawned = std::thread::Builder::new()
        .name("storage-recovery".into())
        .spawn(move || {
            let mut said = false;
            loop {
                std::thread::sleep(EVERY);
                match look(&db) {
                    Look::Fine => said = false,
                    Look::StillFull => {
                        if !said {
                            tracing::warn!(
                                data = %db.path().display(),
                                "the data file refuses writes until space returns on its volume; checking every {} s",
                                EVERY.as_secs()
                            );
                            said = true;
                        }
                    }
                    Look::Reopen => reopen(),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the storage recovery watcher");
    }
}

/// Replaces this process with the same program and arguments; exits (for the
/// service manager to restart it) if that fails.
fn reopen() -> ! {
    tracing::warn!(
        "space returned on the data file's volume: opening the data file again (the server restarts in place)"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = match std::env::current_exe() {
            Ok(exe) => std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .exec(),
            Err(e) => e,
        };
        tracing::error!(error = %err, "could not restart in place: exiting for the service manager to restart the server");
    }
    std::process::exit(75)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_failed_means_nothing_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("r.redb")).unwrap();
        FAILED.store(false, Ordering::Relaxed);
        assert_eq!(look(&db), Look::Fine);
    }

    #[test]
    fn a_failure_that_did_not_latch_the_file_clears_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("r.redb")).unwrap();
        storage_failed();
        assert_eq!(look(&db), Look::Fine);
        assert!(!FAILED.load(Ordering::Relaxed));
    }

    #[test]
    fn the_probe_is_written_beside_the_data_file_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("g.redb");
        assert!(volume_takes_data(&data));
        assert_eq!(probe_path(&data), dir.path().join("g.redb.space-probe"));
        assert!(!probe_path(&data).exists());
    }
}
