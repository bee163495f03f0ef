//! `guichet restore`: a backup put back as a data file (and its key file, when the
//! backup holds it), checked before it replaces anything.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::{
    BackupError, DATA_ENTRY, KEYS_ENTRY, Passphrase, REPORT_ENTRY, create_private, io_err,
    random_tag, report_path, sibling, sync_dir,
};
use crate::db::backup::{Rows, held_open, verify_copy};
use crate::db::check::Report;
use crate::domain::backup::BackupReport;
use crate::keys::{self, Keys};

/// What to restore where.
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// The backup: a `.redb` copy or an `.age` bundle.
    pub from: PathBuf,
    /// The data file to write.
    pub data: PathBuf,
    /// The key file (default: beside the data file, see `keys::resolve`).
    pub key_file: Option<PathBuf>,
    /// An age identity file, for a backup encrypted to a recipient.
    pub identity: Option<PathBuf>,
    /// For a backup encrypted with a passphrase.
    pub passphrase: Option<Passphrase>,
    /// Replace an existing (stopped) data file and key file.
    pub force: bool,
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub data: PathBuf,
    pub key_file: PathBuf,
    /// The key file came from the backup and was written (else it was already there).
    pub key_written: bool,
    /// The restored file's rows per table.
    pub rows: Rows,
    /// The checks of `guichet check` on it.
    pub check: Report,
    /// The report made with the backup, when there is one: its rows equal `rows`.
    pub backup: Option<BackupReport>,
}

const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const REDB_MAGIC: &[u8] = b"redb\x1A\x0A\xA9\x0D\x0A";
/// The key file and the report are small; more is not one of ours.
const SMALL_ENTRY: u64 = 1 << 20;

/// Puts the backup `o.from` back as the data file `o.data`: refused while a server
/// uses `o.data`, and over an existing file without `o.force`. Written beside it
/// under a temporary name, checked with the checks of `guichet check` (and its rows
/// against the backup's report), then renamed in place; the key file from an
/// encrypted backup is written beside it (0600). An unencrypted backup needs the key
/// file to be there already.
pub fn restore(o: &RestoreOptions) -> Result<Restored, BackupError> {
    if super::control::answers(&o.data) || (o.data.exists() && held_open(&o.data)) {
        return Err(BackupError::Live(o.data.clone()));
    }
    if o.data.exists() && !o.force {
        return Err(BackupError::Invalid(format!(
            "{} exists: give --force to replace it (its server stopped)",
            o.data.display()
        )));
    }
    let key_path = keys::resolve(&o.data, o.key_file.as_deref());
    if let Some(dir) = o.data.parent().filter(|p| !p.as_os_str().is_empty()) {
        keys::create_private_dir(dir).map_err(io_err(format!("{}", dir.display())))?;
    }
    let tmp = sibling(&o.data, &format!("restore-{}.tmp", random_tag()));
    let done = (|| {
        let (bundled_keys, backup) = unpack(o, &tmp)?;
        let (keys, key_written) = match bundled_keys {
            Some(k) => (k, true),
            None => match keys::load(&key_path).map_err(crate::db::Error::from)? {
                Some(k) => (k, false),
                None => {
                    return Err(BackupError::Invalid(format!(
                        "this backup is not encrypted, so the key file is not in it: put the key file of the backed-up data at {} (or give --key-file)",
                        key_path.display()
                    )));
                }
            },
        };
        let verified = verify_copy(&tmp, &keys).map_err(|e| match e {
            crate::db::Error::Keys(m) => BackupError::Invalid(format!(
                "{m}: the key file {} is not the one of this backup",
                key_path.display()
            )),
            other => other.into(),
        })?;
        let broken = verified.report.integrity_problems();
        if !broken.is_empty() {
            return Err(BackupError::Invalid(format!(
                "the backup fails the checks of `guichet check`: {}",
                broken.join("; ")
            )));
        }
        if let Some(b) = &backup
            && b.rows != verified.rows
        {
            return Err(BackupError::Invalid(format!(
                "the backup's rows differ from its report ({:?} in the report, {:?} found)",
                b.rows, verified.rows
            )));
        }
        let key_written = key_written && place_keys(&key_path, &keys, o.force)?;
        std::fs::rename(&tmp, &o.data).map_err(io_err("putting the data file in place"))?;
        sync_dir(&o.data);
        Ok(Restored {
            data: o.data.clone(),
            key_file: key_path.clone(),
            key_written,
            rows: verified.rows,
            check: verified.report,
            backup,
        })
    })();
    let _ = std::fs::remove_file(&tmp);
    done
}

/// Writes the bundled key file at `path` unless the same keys are there; other keys
/// there are replaced only with `force`. Returns whether it wrote.
fn place_keys(path: &Path, keys: &Keys, force: bool) -> Result<bool, BackupError> {
    match keys::load(path) {
        Ok(Some(existing)) if existing == *keys => return Ok(false),
        Ok(Some(_)) | Err(_) if !force => {
            return Err(BackupError::Invalid(format!(
                "{} holds other keys: give --force to replace it with the backup's",
                path.display()
            )));
        }
        _ => {}
    }
    keys::save(path, keys).map_err(crate::db::Error::from)?;
    Ok(true)
}

/// Writes the backup's data file to `tmp`; returns the keys and report it carries.
fn unpack(
    o: &RestoreOptions,
    tmp: &Path,
) -> Result<(Option<Keys>, Option<BackupReport>), BackupError> {
    let mut file = std::fs::File::open(&o.from)
        .map_err(io_err(format!("cannot read {}", o.from.display())))?;
    let mut head = [0u8; 22];
    let n = read_up_to(&mut file, &mut head).map_err(io_err(o.from.display().to_string()))?;
    let head = &head[..n];
    drop(file);
    if head.starts_with(REDB_MAGIC) {
        let mut out = create_private(tmp).map_err(io_err("the restored file"))?;
        let mut src = std::fs::File::open(&o.from).map_err(io_err(o.from.display().to_string()))?;
        std::io::copy(&mut src, &mut out).map_err(io_err("copying the backup"))?;
        out.sync_all().map_err(io_err("the restored file"))?;
        let report = std::fs::read(report_path(&o.from))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        return Ok((None, report));
    }
    if !head.starts_with(AGE_MAGIC) {
        return Err(BackupError::Invalid(format!(
            "{} is not a Guichet backup (neither a data file nor an age file)",
            o.from.display()
        )));
    }
    let input =
        BufReader::new(std::fs::File::open(&o.from).map_err(io_err(o.from.display().to_string()))?);
    let decryptor = age::Decryptor::new_buffered(input)
        .map_err(|e| BackupError::Encryption(format!("{}: {e}", o.from.display())))?;
    let refused = |e: age::DecryptError| {
        BackupError::Encryption(format!("cannot decrypt {}: {e}", o.from.display()))
    };
    let reader = if decryptor.is_scrypt() {
        let p = o.passphrase.as_ref().ok_or_else(|| {
            BackupError::Encryption(
                "this backup is encrypted with a passphrase: give --passphrase-file".into(),
            )
        })?;
        let id = age::scrypt::Identity::new(p.secret());
        decryptor
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .map_err(refused)?
    } else {
        let path = o.identity.as_ref().ok_or_else(|| {
            BackupError::Encryption(
                "this backup is encrypted for an age recipient: give its identity file with --identity".into(),
            )
        })?;
        let ids = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
            .map_err(io_err(format!("the identity file {}", path.display())))?
            .into_identities()
            .map_err(refused)?;
        decryptor
            .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(refused)?
    };
    let mut archive = tar::Archive::new(reader);
    let (mut keys, mut report, mut data) = (None, None, false);
    let bad = |what: String| BackupError::Invalid(format!("{}: {what}", o.from.display()));
    for entry in archive.entries().map_err(io_err("reading the backup"))? {
        let mut entry = entry.map_err(io_err("reading the backup"))?;
        let name = entry
            .path()
            .map_err(io_err("reading the backup"))?
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            DATA_ENTRY if !data => {
                let mut out = create_private(tmp).map_err(io_err("the restored file"))?;
                std::io::copy(&mut entry, &mut out).map_err(io_err("decrypting the backup"))?;
                out.sync_all().map_err(io_err("the restored file"))?;
                data = true;
            }
            KEYS_ENTRY | REPORT_ENTRY => {
                let mut text = String::new();
                entry
                    .by_ref()
                    .take(SMALL_ENTRY)
                    .read_to_string(&mut text)
                    .map_err(io_err("reading the backup"))?;
                if name == KEYS_ENTRY {
                    keys = Some(Keys::parse(&text).map_err(|e| bad(format!("its key file: {e}")))?);
                } else {
                    report = Some(
                        serde_json::from_str(&text).map_err(|e| bad(format!("its report: {e}")))?,
                    );
                }
            }
            other => return Err(bad(format!("unexpected entry {other:?}"))),
        }
    }
    // Read to the end: age authenticates the last chunk too.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
        .map_err(io_err("decrypting the backup"))?;
    if !data {
        return Err(bad("no data file in it".into()));
    }
    Ok((keys, report))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
