//! Schema 1 → 2, the keys' part (H1): `secret_key` and `csrf_key` leave the META table
//! of the data file for the key file; then the card key is rotated at once (every
//! stored token re-keyed under a fresh key, the old one dropped) and the CSRF key
//! replaced, because the old key bytes may linger in free pages of the data file.
//!
//! Payment links (L8) in the same step: request records keep the hash of their
//! link's secret instead of the secret, and sent emails lose their link.
//!
//! Also the rotation itself (`guichet admin rotate-card-key`): a new card key, every
//! token re-keyed as HMAC(new key, old token) in batches, the old key dropped.
//!
//! Each step is its own write transaction and the key file is written (atomically)
//! before the data file relies on it, so a crash at any point leaves a pair that
//! opens: an interrupted rotation is finished at the next open.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable};

use super::Tx;
use super::outbox::{Mail, MailKind, MailState};
use super::tables::{MAIL_ID_TO_MAIL, META, REQUEST_ID_TO_REQUEST, TX_ID_TO_TX};
use super::{Error, KEY_CHECKS, Result, SCHEMA_VERSION, codec, tables};
use crate::domain::card::{rekey_token, token_key_id};
use crate::domain::payment::{PaymentRequest, link_hash, redact_payment_links};
use crate::domain::transaction::Transaction;
use crate::keys::{self, CardKey, Keys, random_key};

/// Rows read and re-keyed per write transaction.
const BATCH: usize = 10_000;

fn meta_key(wtx: &Tx, name: &str) -> Result<Option<[u8; 32]>> {
    let meta = wtx.open_table(META)?;
    let v = meta.get(name)?;
    v.map(|v| {
        v.value().try_into().map_err(|_| Error::Corrupt {
            table: "meta",
            detail: format!("{name} is not 32 bytes"),
        })
    })
    .transpose()
}

/// Migrates the keys of a schema-1 data file and sets the schema version to 2.
/// Returns the keys, already rotated.
pub(crate) fn from_v1(db: &Database, key_file: &Path, now: i64) -> Result<Keys> {
    tracing::info!(
        key_file = %key_file.display(),
        "schema 1 data file: moving its keys to the key file and re-keying every stored card token"
    );
    let wtx = Tx(db.begin_write()?);
    let secret = meta_key(&wtx, "secret_key")?;
    let csrf = meta_key(&wtx, "csrf_key")?;
    let mut keys = match (secret, csrf) {
        (Some(secret), Some(csrf_key)) => {
            let from_file = Keys {
                card_keys: vec![CardKey {
                    id: 1,
                    created_at: now,
                    key: secret,
                }],
                active: 1,
                csrf_key,
                audit_key: random_key(),
            };
            let keys = match keys::load(key_file)? {
                // A migration interrupted after writing the key file.
                Some(k) if k.card_keys.iter().any(|c| c.id == 1 && c.key == secret) => k,
                Some(_) => {
                    return Err(Error::Keys(format!(
                        "the key file {} exists but does not hold this data file's key: move it away to migrate the data file",
                        key_file.display()
                    )));
                }
                None => {
                    keys::save(key_file, &from_file)?;
                    from_file
                }
            };
            {
                let mut meta = wtx.open_table(META)?;
                meta.remove("secret_key")?;
                meta.remove("csrf_key")?;
                meta.insert(KEY_CHECKS, keys.checks().as_bytes())?;
            }
            wtx.commit()?;
            keys
        }
        _ => {
            // Moved out already by an interrupted run: the key file must be there.
            let checks = {
                let meta = wtx.open_table(META)?;
                meta.get(KEY_CHECKS)?
                    .map(|v| String::from_utf8_lossy(v.value()).into_owned())
            };
            wtx.abort()?;
            let keys = keys::load(key_file)?.ok_or_else(|| {
                Error::Keys(format!(
                    "the key file {} is missing and the data file no longer holds its keys",
                    key_file.display()
                ))
            })?;
            // Only the card keys are checked here: an interrupted run may have written
            // the new CSRF key to the key file before the data file learnt its check.
            let card_checks: Vec<&str> = checks
                .as_deref()
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("card "))
                .collect();
            keys.verify(&card_checks.join("\n"))
                .map_err(|e| Error::Keys(format!("{}: {e}", key_file.display())))?;
            keys
        }
    };
    // Key 2 (and a new CSRF key) reach the key file, then, in one transaction, the
    // data file learns them, drops its link secrets and becomes schema 2. A crash
    // after that leaves two card keys in the key file: the next open finishes the
    // rotation (see `Db::open_keyed`), so key 1 never stays in use.
    add_key(key_file, &mut keys, now, true)?;
    let wtx = Tx(db.begin_write()?);
    tables::create_all(&wtx)?;
    hash_link_tokens(&wtx)?;
    // The other schema-2 changes ride in the same transaction as the bump.
    super::migrate_accounts::v1_to_v2(&wtx, now)?;
    let audit_entries = super::migrate_audit::from_v1(&wtx, &keys.audit_key)?;
    tracing::info!(audit_entries, "schema 1 accounts and audit log migrated");
    // Schema 3's rollups, in the same transaction (schema-1 files are small).
    super::migrate_rollups::build_in(&wtx)?;
    {
        let mut meta = wtx.open_table(META)?;
        meta.insert(KEY_CHECKS, keys.checks().as_bytes())?;
        meta.insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
    }
    tables::create_all(&wtx)?;
    wtx.commit()?;
    let n = finish_rotation(db, key_file, &mut keys, &mut |_, _| {})?;
    tracing::info!(
        key_file = %key_file.display(),
        tokens = n,
        "migrated the data file to schema {SCHEMA_VERSION}: its keys now live in the key file and the card key was rotated"
    );
    Ok(keys)
}

/// L8, in the same step: schema 1 kept each payment link's secret in clear in its
/// request record, where schema 2 keeps its SHA-256 (same place, same type). The
/// index already holds that hash, so links sent before keep working. Emails already
/// sent or given up lose their link; those still waiting keep it.
fn hash_link_tokens(wtx: &Tx) -> Result<()> {
    let mut t = wtx.open_table(REQUEST_ID_TO_REQUEST)?;
    let mut changed = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let mut req: PaymentRequest = codec::decode("payment_requests", v.value())?;
        // A schema-1 secret is 32 hex digits; a hash is 64.
        if req.link_hash.len() == 32 {
            req.link_hash = link_hash(&req.link_hash);
            changed.push((k.value(), codec::encode(&req)?));
        }
    }
    for (id, bytes) in changed {
        t.insert(id, bytes.as_slice())?;
    }
    let mut mails = wtx.open_table(MAIL_ID_TO_MAIL)?;
    let mut changed = Vec::new();
    for row in mails.iter()? {
        let (k, v) = row?;
        let mut mail: Mail = codec::decode("outbox", v.value())?;
        if mail.kind == MailKind::PaymentLink && mail.state != MailState::Pending {
            mail.text = redact_payment_links(&mail.text);
            mail.html = redact_payment_links(&mail.html);
            changed.push((k.value(), codec::encode(&mail)?));
        }
    }
    for (id, bytes) in changed {
        mails.insert(id, bytes.as_slice())?;
    }
    Ok(())
}

/// Adds a card key (active at once), re-keys every token to it and drops the old
/// keys; with `new_csrf` the CSRF key is replaced too. Returns the tokens re-keyed.
/// `progress` gets (rows done, rows in all).
pub(crate) fn rotate(
    db: &Database,
    key_file: &Path,
    keys: &mut Keys,
    now: i64,
    new_csrf: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    add_key(key_file, keys, now, new_csrf)?;
    let wtx = Tx(db.begin_write()?);
    wtx.open_table(META)?
        .insert(KEY_CHECKS, keys.checks().as_bytes())?;
    wtx.commit()?;
    finish_rotation(db, key_file, keys, progress)
}

/// Adds a card key (active at once), and a new CSRF key with `new_csrf`, to the key
/// file. The key file first: the data file never names a key the file lacks.
fn add_key(key_file: &Path, keys: &mut Keys, now: i64, new_csrf: bool) -> Result<()> {
    keys.add_card_key(now);
    if new_csrf {
        keys.csrf_key = random_key();
    }
    keys::save(key_file, keys)?;
    Ok(())
}

/// Re-keys every token not under the active key, then drops the other keys from
/// the data file's checks and from the key file.
pub(crate) fn finish_rotation(
    db: &Database,
    key_file: &Path,
    keys: &mut Keys,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let active = keys
        .active_card_key()
        .cloned()
        .ok_or(Error::Keys("no active card key".into()))?;
    let total = {
        let rtx = db.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        redb::ReadableTableMetadata::len(&t)?
    };
    let mut done = 0u64;
    let mut rekeyed = 0u64;
    let mut next = 0u64;
    loop {
        let wtx = Tx(db.begin_write()?);
        let mut last = None;
        {
            let mut t = wtx.open_table(TX_ID_TO_TX)?;
            let mut changed: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut seen = 0;
            for row in t.range(next..)? {
                let (k, v) = row?;
                let id = k.value();
                last = Some(id);
                seen += 1;
                let mut tx: Transaction = codec::decode("transactions", v.value())?;
                if let Some(card) = tx.card.as_mut()
                    && !card.token.is_empty()
                    && token_key_id(&card.token) != active.id
                {
                    card.token = rekey_token(&card.token, active.id, &active.key);
                    changed.push((id, codec::encode(&tx)?));
                }
                if seen >= BATCH {
                    break;
                }
            }
            done += seen as u64;
            rekeyed += changed.len() as u64;
            for (id, bytes) in changed {
                t.insert(id, bytes.as_slice())?;
            }
        }
        wtx.commit()?;
        progress(done, total);
        match last {
            Some(id) => next = id.saturating_add(1),
            None => break,
        }
        if last == Some(u64::MAX) {
            break;
        }
    }
    keys.drop_old_card_keys();
    // The data file forgets the old keys first, then the key file drops them. The
    // rebill counts per token (M6) follow their tokens.
    let wtx = Tx(db.begin_write()?);
    let rekey = |t: &str| {
        if token_key_id(t) == active.id {
            t.to_string()
        } else {
            rekey_token(t, active.id, &active.key)
        }
    };
    super::rebills::rekey_counts(&wtx, &rekey)?;
    // Listed cards (FRAUD-4) too, or a rotation would free them.
    super::blacklist::rekey_cards(&wtx, &rekey)?;
    super::velocity::rekey_cards(&wtx, &rekey)?;
    wtx.open_table(META)?
        .insert(KEY_CHECKS, keys.checks().as_bytes())?;
    wtx.commit()?;
    keys::save(key_file, keys)?;
    Ok(rekeyed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::keys::check_value;

    /// Every (id, token) of the transactions table, read raw (no `Db::open`, which
    /// would migrate).
    fn tokens(path: &Path) -> Vec<(u64, String)> {
        let db = Database::open(path).unwrap();
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(TX_ID_TO_TX).unwrap();
        t.iter()
            .unwrap()
            .map(|r| {
                let (k, v) = r.unwrap();
                let tx: Transaction = codec::decode("transactions", v.value()).unwrap();
                (k.value(), tx.card.map(|c| c.token).unwrap_or_default())
            })
            .collect()
    }

    fn meta(path: &Path, name: &str) -> Option<Vec<u8>> {
        let db = Database::open(path).unwrap();
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(META).unwrap();
        t.get(name).unwrap().map(|v| v.value().to_vec())
    }

    #[test]
    fn a_migration_stopped_after_the_new_keys_reached_the_key_file_finishes_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.redb");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-demo.redb"),
            &path,
        )
        .unwrap();
        let secret: [u8; 32] = meta(&path, "secret_key").unwrap().try_into().unwrap();
        let csrf: [u8; 32] = meta(&path, "csrf_key").unwrap().try_into().unwrap();
        let key_file = dir.path().join("v1.keys");
        // The state after the first step and `add_key`: the data file (still schema 1)
        // has given up its keys and records key 1 and the old CSRF key; the key file
        // already holds key 2 and a new CSRF key.
        let first = Keys {
            card_keys: vec![CardKey {
                id: 1,
                created_at: 0,
                key: secret,
            }],
            active: 1,
            csrf_key: csrf,
            audit_key: [7; 32],
        };
        {
            let raw = Database::open(&path).unwrap();
            let wtx = raw.begin_write().unwrap();
            {
                let mut m = wtx.open_table(META).unwrap();
                m.remove("secret_key").unwrap();
                m.remove("csrf_key").unwrap();
                m.insert(KEY_CHECKS, first.checks().as_bytes()).unwrap();
            }
            wtx.commit().unwrap();
        }
        let mut later = first.clone();
        add_key(&key_file, &mut later, 0, true).unwrap();
        let db = Db::open(&path).expect("the migration finishes");
        assert_eq!(db.keys().card_keys.len(), 1);
        assert!(db.keys().active > 1);
        drop(db);
        assert_eq!(
            u32::from_le_bytes(meta(&path, "schema_version").unwrap().try_into().unwrap()),
            SCHEMA_VERSION
        );
    }

    #[test]
    fn a_schema_1_file_has_its_keys_moved_out_and_every_token_rekeyed_to_a_fresh_key() {
        // tests/fixtures/v1-demo.redb: `guichet demo` of the schema-1 binary (main before
        // this change). Copied: the committed fixture is never modified.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.redb");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-demo.redb"),
            &path,
        )
        .unwrap();
        let old_secret: [u8; 32] = meta(&path, "secret_key").unwrap().try_into().unwrap();
        let old_csrf: [u8; 32] = meta(&path, "csrf_key").unwrap().try_into().unwrap();
        let before = tokens(&path);
        assert!(before.iter().filter(|(_, t)| !t.is_empty()).count() > 100);
        let key_file = dir.path().join("v1.keys");
        assert!(!key_file.exists());

        let db = Db::open(&path).unwrap();
        let keys = db.keys().clone();
        assert_eq!(keys.card_keys.len(), 1, "key 1 dropped after the rotation");
        let active = keys.active_card_key().unwrap().clone();
        assert_eq!(active.id, 2);
        assert_ne!(active.key, old_secret);
        assert_ne!(keys.csrf_key, old_csrf, "the CSRF key is replaced too");
        assert!(
            db.transaction_count().unwrap() > 0,
            "the data is still readable"
        );
        drop(db);

        assert_eq!(meta(&path, "secret_key"), None);
        assert_eq!(meta(&path, "csrf_key"), None);
        assert_eq!(
            meta(&path, "schema_version").unwrap(),
            SCHEMA_VERSION.to_le_bytes()
        );
        let checks = String::from_utf8(meta(&path, KEY_CHECKS).unwrap()).unwrap();
        assert!(checks.contains(&check_value(&active.key)));
        assert!(!checks.contains(&check_value(&old_secret)));
        let text = std::fs::read_to_string(&key_file).unwrap();
        assert!(!text.contains(&keys::to_hex(&old_secret)), "key 1 is gone");
        let after = tokens(&path);
        assert_eq!(after.len(), before.len());
        for ((id, old), (id2, new)) in before.iter().zip(&after) {
            assert_eq!(id, id2);
            if old.is_empty() {
                assert!(new.is_empty());
            } else {
                assert_eq!(new, &rekey_token(old, 2, &active.key), "tx {id}");
            }
        }

        // Opens again with the same keys, and nothing is re-keyed twice.
        let db = Db::open(&path).unwrap();
        assert_eq!(db.keys(), &keys);
        drop(db);
        assert_eq!(tokens(&path), after);
    }

    #[test]
    fn an_interrupted_rotation_is_finished_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.redb");
        let key_file = dir.path().join("g.keys");
        let mut tx = crate::domain::transaction::tests::tx(
            0,
            crate::domain::transaction::Operation::Sale,
            1000,
            crate::domain::codes::ResultCode::ACCEPTED,
            time::macros::datetime!(2026-06-01 10:00 UTC),
        );
        if let Some(c) = tx.card.as_mut() {
            c.token = "00112233445566778899aabb".into();
        }
        {
            let db = Db::open(&path).unwrap();
            let wtx = db.begin_write().unwrap();
            crate::db::transactions::insert_many(&wtx, std::slice::from_mut(&mut tx)).unwrap();
            crate::db::rebills::count_in(&wtx, 1, "00112233445566778899aabb", 20_000).unwrap();
            wtx.commit().unwrap();
        }
        // As if `rotate` stopped after writing the new key to both files.
        let mut keys = keys::load(&key_file).unwrap().unwrap();
        keys.add_card_key(0);
        keys::save(&key_file, &keys).unwrap();
        {
            let raw = Database::open(&path).unwrap();
            let wtx = raw.begin_write().unwrap();
            wtx.open_table(META)
                .unwrap()
                .insert(KEY_CHECKS, keys.checks().as_bytes())
                .unwrap();
            wtx.commit().unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.keys().card_keys.len(), 1);
        assert_eq!(db.keys().active, 2);
        let new = &keys.card_keys[1];
        let rekeyed = rekey_token("00112233445566778899aabb", 2, &new.key);
        assert_eq!(
            db.rebill_limits(1, &rekeyed, 20_000).unwrap().count,
            1,
            "the rebill count follows its token"
        );
        drop(db);
        assert_eq!(
            tokens(&path),
            vec![(tx.id, rekey_token("00112233445566778899aabb", 2, &new.key))]
        );
        assert_eq!(keys::load(&key_file).unwrap().unwrap().card_keys.len(), 1);
    }
}
