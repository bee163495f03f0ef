//! `guichet backup` and `guichet restore` (see `crate::backup`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CliError, open_data, os_user};
use crate::backup::control::{self, Request};
use crate::backup::{BackupError, Backups, Encryption, Passphrase, RestoreOptions, Settings};
use crate::clock::{Clock, SystemClock};
use crate::db::audit::AuditEntry;
use crate::domain::actor::Actor;
use crate::domain::backup::{BackupReport, EncryptionKind};

/// `guichet backup --data F --to B`: asks the server running on `F` through its
/// control socket, or, with no server, opens `F` itself.
pub fn backup(
    data: &Path,
    key_file: Option<&Path>,
    to: &Path,
    encrypt_to: &[String],
    passphrase_file: Option<&Path>,
) -> Result<(), CliError> {
    let encryption =
        Encryption::from_flags(encrypt_to, passphrase_file).map_err(CliError::Usage)?;
    let to = std::path::absolute(to)?;
    let request = Request::Backup {
        to: to.clone(),
        encrypt_to: encrypt_to.to_vec(),
        passphrase: match &encryption {
            Encryption::Passphrase(p) => Some(p.text().to_string()),
            _ => None,
        },
        by: os_user(),
    };
    if let Some(answer) = control::ask(data, &request, None)? {
        let Some(report) = answer.report.filter(|_| answer.ok) else {
            return Err(
                BackupError::Control(answer.error.unwrap_or_else(|| "no report".into())).into(),
            );
        };
        print_report(&to, &report, &crate::keys::resolve(data, key_file));
        println!(
            "  made by the running server (through {})",
            control::socket_path(data).display()
        );
        return finish(&report);
    }
    if !data.exists() {
        return Err(CliError::Usage(format!(
            "{} does not exist",
            data.display()
        )));
    }
    if crate::db::backup::held_open(data) {
        return Err(BackupError::Control(format!(
            "{} is in use by a process that does not answer on {}: back up through that server, or stop it",
            data.display(),
            control::socket_path(data).display()
        ))
        .into());
    }
    let db = open_data(data, key_file, crate::db::CACHE_BYTES)?;
    let key_path = db.key_file().to_path_buf();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let actor = Actor::new(
        clock.now().unix_timestamp(),
        format!("cli ({})", os_user()),
        "local",
    );
    let report = Backups::new(db, clock, Settings::default()).run_to(&to, &encryption, &actor)?;
    print_report(&to, &report, &key_path);
    finish(&report)
}

fn finish(report: &BackupReport) -> Result<(), CliError> {
    if report.passed() {
        Ok(())
    } else {
        Err(CliError::Problems(report.problems.len().max(1)))
    }
}

fn print_report(to: &Path, r: &BackupReport, key_file: &Path) {
    println!(
        "backup written to {} ({:.1} MB in {:.1} s)",
        to.display(),
        r.size as f64 / 1e6,
        r.duration_ms as f64 / 1000.0
    );
    println!(
        "  {} transactions, {} rows in {} tables, as one read transaction saw them",
        r.transactions(),
        r.rows.values().sum::<u64>(),
        r.rows.len()
    );
    if r.passed() {
        println!(
            "  checks: OK (the checks of guichet check on the copy; its rows recounted and equal)"
        );
    } else {
        for p in &r.problems {
            println!("  PROBLEM: {p}");
        }
    }
    if !r.in_flight.is_empty() {
        println!(
            "  {} payment(s) or operation(s) were with the acquirer at that instant: a restored appliance settles them at its first start",
            r.in_flight.len()
        );
    }
    match r.encryption {
        EncryptionKind::None => println!(
            "  not encrypted: the key file is NOT in it. Keep {} safe, apart from the backups (see README, Backups)",
            key_file.display()
        ),
        EncryptionKind::Recipients => {
            println!("  encrypted for the age recipient(s) given; the key file is inside")
        }
        EncryptionKind::Passphrase => {
            println!("  encrypted with the passphrase; the key file is inside")
        }
    }
}

/// `guichet restore --from B --data F`.
pub fn restore(
    from: PathBuf,
    data: PathBuf,
    key_file: Option<PathBuf>,
    identity: Option<PathBuf>,
    passphrase_file: Option<&Path>,
    force: bool,
) -> Result<(), CliError> {
    let passphrase = passphrase_file
        .map(Passphrase::from_file)
        .transpose()
        .map_err(CliError::Usage)?;
    let options = RestoreOptions {
        from,
        data,
        key_file,
        identity,
        passphrase,
        force,
    };
    let r = crate::backup::restore(&options)?;
    println!(
        "restored {} from {}: {} transactions, {} rows in {} tables",
        r.data.display(),
        options.from.display(),
        r.check.transactions,
        r.rows.values().sum::<u64>(),
        r.rows.len()
    );
    println!(
        "  checks: OK (the checks of guichet check; audit log: {} entries, head {})",
        r.check.audit.entries, r.check.audit.head
    );
    if !r.check.in_flight.is_empty() {
        println!(
            "  {} payment(s) or operation(s) were with the acquirer at the backup's instant: the first start settles them",
            r.check.in_flight.len()
        );
    }
    match &r.backup {
        Some(_) => println!("  rows: equal to the backup's report"),
        None => println!("  rows: no report beside the backup, nothing to compare"),
    }
    if r.key_written {
        println!(
            "  key file: written to {} (0600) from the backup",
            r.key_file.display()
        );
    } else {
        println!("  key file: {} (already in place)", r.key_file.display());
    }
    // Opened once as the server will open it, and the restore written in its audit log.
    let db = open_data(&r.data, Some(&r.key_file), crate::db::CACHE_BYTES)?;
    let actor = Actor::new(
        SystemClock.now().unix_timestamp(),
        format!("cli ({})", os_user()),
        "local",
    );
    let name = options
        .from
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    db.record(
        &AuditEntry::by(&actor, "backup.restore", format!("backup {name}"), None)
            .with_detail(format!("rows={}", r.rows.values().sum::<u64>())),
    )?;
    match &options.key_file {
        Some(k) => println!(
            "Start it: guichet serve --data {} --key-file {}",
            r.data.display(),
            k.display()
        ),
        None => println!("Start it: guichet serve --data {}", r.data.display()),
    }
    Ok(())
}
