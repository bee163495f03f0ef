//! The key file: the secrets that must not live in the data file (H1). The card
//! storage-token keys (with ids, for rotation) and the CSRF key sit in a small JSON
//! file beside the data file (`data/guichet.keys` for `data/guichet.redb`), mode 0600,
//! or in a systemd credential. The data file keeps only a check value of each key, so
//! that a wrong or missing key file is refused instead of silently replaced.
//!
//! Parsing and formatting are pure; reading and writing the file are the two
//! functions at the end.

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Version of the key file's format.
const FORMAT: u32 = 1;

/// The name of the key file in a systemd credentials directory.
pub const CREDENTIAL_NAME: &str = "guichet.keys";

/// Errors reading, checking or writing keys. Messages are for the operator.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {detail}")]
    Bad { path: String, detail: String },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Mismatch(String),
}

/// One card storage-token key.
#[derive(Clone, PartialEq, Eq)]
pub struct CardKey {
    pub id: u32,
    /// Unix seconds.
    pub created_at: i64,
    pub key: [u8; 32],
}

impl std::fmt::Debug for CardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardKey({}, created {})", self.id, self.created_at)
    }
}

/// The secrets of one appliance.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// Every card key still needed, oldest first. More than one only during a rotation.
    pub card_keys: Vec<CardKey>,
    /// The key new tokens are made with.
    pub active: u32,
    pub csrf_key: [u8; 32],
    /// Seals the audit log's hash chain (HMAC): without it, an edited entry cannot be
    /// sealed again. Never rotated with the card keys.
    pub audit_key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("card_keys", &self.card_keys)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct FileCardKey {
    id: u32,
    created_at: i64,
    key: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    active_card_key: u32,
    card_keys: Vec<FileCardKey>,
    csrf_key: String,
    audit_key: String,
}

pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    key
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key_from_hex(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// First 16 bytes (hex) of HMAC-SHA256(key, "guichet key check"): tells a key apart
/// without revealing it.
pub fn check_value(key: &[u8; 32]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"guichet key check");
    to_hex(&mac.finalize().into_bytes()[..16])
}

impl Keys {
    /// Fresh keys: card key `id`, made at `now` (unix seconds), and a CSRF key.
    pub fn generate(id: u32, now: i64) -> Keys {
        Keys {
            card_keys: vec![CardKey {
                id,
                created_at: now,
                key: random_key(),
            }],
            active: id,
            csrf_key: random_key(),
            audit_key: random_key(),
        }
    }

    /// The key new tokens are made with.
    pub fn active_card_key(&self) -> Option<&CardKey> {
        self.card_keys.iter().find(|k| k.id == self.active)
    }

    /// Adds a new card key (the next id), makes it active and returns it.
    pub fn add_card_key(&mut self, now: i64) -> CardKey {
        let id = self.card_keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let key = CardKey {
            id,
            created_at: now,
            key: random_key(),
        };
        self.card_keys.push(key.clone());
        self.active = id;
        key
    }

    /// Drops every card key but the active one.
    pub fn drop_old_card_keys(&mut self) {
        let active = self.active;
        self.card_keys.retain(|k| k.id == active);
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let file = File {
            format: FORMAT,
            active_card_key: self.active,
            card_keys: self
                .card_keys
                .iter()
                .map(|k| FileCardKey {
                    id: k.id,
                    created_at: k.created_at,
                    key: to_hex(&k.key),
                })
                .collect(),
            csrf_key: to_hex(&self.csrf_key),
            audit_key: to_hex(&self.audit_key),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses the file's text; `Err` is a message.
    pub fn parse(text: &str) -> Result<Keys, String> {
        let file: File = serde_json::from_str(text).map_err(|e| format!("not a key file: {e}"))?;
        if file.format != FORMAT {
            return Err(format!(
                "format {} (this binary reads format {FORMAT})",
                file.format
            ));
        }
        let mut card_keys = Vec::new();
        for k in file.card_keys {
            let key =
                key_from_hex(&k.key).ok_or(format!("card key {} is not 64 hex digits", k.id))?;
            if k.id == 0 || card_keys.iter().any(|c: &CardKey| c.id == k.id) {
                return Err(format!("card key id {} is zero or repeated", k.id));
            }
            card_keys.push(CardKey {
                id: k.id,
                created_at: k.created_at,
                key,
            });
        }
        let csrf_key = key_from_hex(&file.csrf_key).ok_or("csrf_key is not 64 hex digits")?;
        let audit_key = key_from_hex(&file.audit_key).ok_or("audit_key is not 64 hex digits")?;
        let keys = Keys {
            card_keys,
            active: file.active_card_key,
            csrf_key,
            audit_key,
        };
        if keys.active_card_key().is_none() {
            return Err(format!(
                "the active card key {} is not in the file",
                file.active_card_key
            ));
        }
        Ok(keys)
    }

    /// The check values kept in the data file: one line per card key and the CSRF key.
    pub fn checks(&self) -> String {
        let mut out: Vec<String> = self
            .card_keys
            .iter()
            .map(|k| format!("card {} {}", k.id, check_value(&k.key)))
            .collect();
        out.push(format!("csrf {}", check_value(&self.csrf_key)));
        out.join("\n")
    }

    /// Whether these keys are the ones recorded in `checks` (from the data file):
    /// every card key the data file knows must be here with the same value, and the
    /// CSRF key too. Keys the data file does not know yet (a rotation under way) are
    /// allowed. `Err` says which key differs.
    pub fn verify(&self, checks: &str) -> Result<(), String> {
        let mut card_seen = false;
        for line in checks.lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["card", id, value] => {
                    card_seen = true;
                    let id: u32 = id.parse().map_err(|_| format!("bad check line {line:?}"))?;
                    match self.card_keys.iter().find(|k| k.id == id) {
                        Some(k) if check_value(&k.key) == *value => {}
                        Some(_) => return Err(format!("card key {id} is not the data file's")),
                        None => {
                            return Err(format!(
                                "card key {id}, which the data file's card tokens use, is missing"
                            ));
                        }
                    }
                }
                ["csrf", value] => {
                    if check_value(&self.csrf_key) != *value {
                        return Err("the CSRF key is not the data file's".into());
                    }
                }
                _ => return Err(format!("bad check line {line:?}")),
            }
        }
        if card_seen {
            Ok(())
        } else {
            Err("the data file records no card key".into())
        }
    }
}

/// Where the key file is: `explicit` (`--key-file`, `GUICHET_KEY_FILE`), else the
/// systemd credential when `credentials_dir` holds one, else the data path with the
/// extension `.keys`.
pub fn key_path(data: &Path, explicit: Option<&Path>, credentials_dir: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(dir) = credentials_dir {
        let p = dir.join(CREDENTIAL_NAME);
        if p.is_file() {
            return p;
        }
    }
    data.with_extension("keys")
}

/// [`key_path`] with the credentials directory from `$CREDENTIALS_DIRECTORY`.
pub fn resolve(data: &Path, explicit: Option<&Path>) -> PathBuf {
    let creds = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    key_path(data, explicit, creds.as_deref())
}

/// Reads the key file; `Ok(None)` when it does not exist.
pub fn load(path: &Path) -> Result<Option<Keys>, KeyError> {
    let bad = |detail: String| KeyError::Bad {
        path: path.display().to_string(),
        detail,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => Keys::parse(&text).map(Some).map_err(bad),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// Writes the key file atomically: a temporary file of mode 0600 beside it, synced,
/// then renamed over it.
pub fn save(path: &Path, keys: &Keys) -> Result<(), KeyError> {
    let err = |source| KeyError::Write {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keys".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", to_hex(&random_key()[..6])));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(keys.to_text().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
}

/// Creates `dir` (and its missing parents) with mode 0700; an existing one is left
/// as it is.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_reads_back_what_was_written() {
        let mut keys = Keys::generate(1, 1_780_000_000);
        keys.add_card_key(1_780_000_100);
        let text = keys.to_text();
        assert!(text.contains("\"active_card_key\": 2"), "{text}");
        let back = Keys::parse(&text).unwrap();
        assert_eq!(back, keys);
        assert_eq!(back.active_card_key().unwrap().id, 2);
        assert_eq!(back.card_keys[0].created_at, 1_780_000_000);
    }

    #[test]
    fn a_damaged_key_file_is_refused_with_a_reason() {
        let keys = Keys::generate(1, 0);
        let text = keys.to_text();
        assert!(Keys::parse("hello").unwrap_err().contains("not a key file"));
        let short = text.replace(&to_hex(&keys.csrf_key), "abcd");
        assert!(Keys::parse(&short).unwrap_err().contains("csrf_key"));
        let other_active = text.replace("\"active_card_key\": 1", "\"active_card_key\": 7");
        assert!(
            Keys::parse(&other_active)
                .unwrap_err()
                .contains("active card key 7")
        );
        let future = text.replace("\"format\": 1", "\"format\": 9");
        assert!(Keys::parse(&future).unwrap_err().contains("format 9"));
    }

    #[test]
    fn the_check_values_tell_the_right_keys_from_wrong_ones_without_holding_them() {
        let keys = Keys::generate(1, 0);
        let checks = keys.checks();
        assert!(!checks.contains(&to_hex(&keys.card_keys[0].key)));
        assert!(!checks.contains(&to_hex(&keys.csrf_key)));
        assert_eq!(keys.verify(&checks), Ok(()));
        let other = Keys::generate(1, 0);
        assert!(other.verify(&checks).unwrap_err().contains("card key 1"));
        let mut rotating = keys.clone();
        rotating.add_card_key(5);
        assert_eq!(rotating.verify(&checks), Ok(()), "a new key is allowed");
        let mut rotated = rotating.clone();
        rotated.drop_old_card_keys();
        assert!(rotated.verify(&checks).unwrap_err().contains("missing"));
        assert_eq!(rotated.verify(&rotated.checks()), Ok(()));
        let mut csrf = keys.clone();
        csrf.csrf_key = random_key();
        assert!(csrf.verify(&checks).unwrap_err().contains("CSRF"));
    }

    #[test]
    fn the_key_file_is_beside_the_data_file_unless_named_or_given_as_a_credential() {
        let data = Path::new("data/guichet.redb");
        assert_eq!(
            key_path(data, None, None),
            PathBuf::from("data/guichet.keys")
        );
        assert_eq!(
            key_path(data, Some(Path::new("/etc/k")), None),
            PathBuf::from("/etc/k")
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            key_path(data, None, Some(dir.path())),
            PathBuf::from("data/guichet.keys"),
            "no credential file: the default"
        );
        std::fs::write(dir.path().join(CREDENTIAL_NAME), "x").unwrap();
        assert_eq!(
            key_path(data, None, Some(dir.path())),
            dir.path().join(CREDENTIAL_NAME)
        );
        assert_eq!(
            key_path(data, Some(Path::new("/etc/k")), Some(dir.path())),
            PathBuf::from("/etc/k"),
            "the flag wins"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_written_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/g.keys");
        let keys = Keys::generate(1, 0);
        save(&path, &keys).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(&path).unwrap(), Some(keys));
        assert_eq!(load(&dir.path().join("none")).unwrap(), None);
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
