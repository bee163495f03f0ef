//! API credentials in storage (issue 13): the records, the originator index, and
//! each credential's last use. A password is never stored: only HMAC-SHA256 of the
//! originator and the password under a key derived from the key file's audit key,
//! so a copy of the data file reveals no password and gives no way to test one.
//! Checking a call costs one read transaction and one HMAC (microseconds): the
//! passwords are 192 random bits, so no slow hash is needed against guessing.

use hmac::{Hmac, KeyInit, Mac};
use redb::ReadableTable;
use sha2::Sha256;

use super::audit::{self, AuditEntry};
use super::tables::{
    API_CREDENTIAL_ID_TO_CREDENTIAL, API_CREDENTIAL_ID_TO_LAST_USED,
    API_ORIGINATOR_TO_CREDENTIAL_ID, MERCHANT_ID_TO_MERCHANT,
};
use super::{Db, Error, Result, Tx, codec, next_id};
use crate::domain::actor::Actor;
use crate::domain::api_credentials::{
    ApiCredential, CredentialRow, ORIGINATOR_DIGITS, PASSWORD_LEN, Revocation, is_originator,
};

const TABLE: &str = "api_credentials";

/// The key API passwords are hashed with: derived from the audit key of the key
/// file (never rotated), never stored in the data file.
pub fn api_key(audit_key: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(audit_key) {
        mac.update(b"guichet api credential key");
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

fn mac_of(key: &[u8; 32], originator: &str, password: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(originator.as_bytes());
    mac.update(&[0]);
    mac.update(password.as_bytes());
    Some(mac)
}

/// The stored hash of `password` for `originator`.
fn secret_hash(key: &[u8; 32], originator: &str, password: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Some(mac) = mac_of(key, originator, password) {
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// Whether `password` matches the credential, compared in constant time.
fn password_matches(key: &[u8; 32], c: &ApiCredential, password: &str) -> bool {
    mac_of(key, &c.originator, password).is_some_and(|mac| mac.verify_slice(&c.secret_hash).is_ok())
}

/// A new password: `PASSWORD_LEN` characters of `A-Z a-z 0-9 - _` (6 random bits
/// each, no bias: 64 divides 256).
pub fn new_password() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; PASSWORD_LEN];
    rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 64)] as char)
        .collect()
}

/// A credential just made, with its password in clear: shown once, never again.
#[derive(Clone, Debug)]
pub struct Issued {
    pub credential: ApiCredential,
    pub password: String,
}

/// What the credentials of a call are worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiCheck {
    /// An active credential with this password.
    Valid(ApiCredential),
    /// No credential has this originator.
    Unknown,
    /// The credential was revoked (of this merchant).
    Revoked { merchant_id: u64 },
    /// The password does not match (the credential's merchant).
    WrongPassword { merchant_id: u64 },
}

fn get_from(t: &impl ReadableTable<u64, &'static [u8]>, id: u64) -> Result<Option<ApiCredential>> {
    t.get(id)?
        .map(|v| codec::decode(TABLE, v.value()))
        .transpose()
}

/// A random originator no credential has (`ORIGINATOR_DIGITS` digits, no leading
/// zero, so a client that reads it as a number keeps it whole).
fn fresh_originator(wtx: &Tx) -> Result<String> {
    let index = wtx.open_table(API_ORIGINATOR_TO_CREDENTIAL_ID)?;
    let low = 10u64.pow(ORIGINATOR_DIGITS - 1);
    let mut digits = ORIGINATOR_DIGITS;
    for attempt in 0..200 {
        // Crowded: one more digit every 50 tries.
        if attempt > 0 && attempt % 50 == 0 {
            digits += 1;
        }
        let high = 10u64.pow(digits);
        let candidate = rand::random_range(low..high).to_string();
        if index.get(candidate.as_str())?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::Corrupt {
        table: TABLE,
        detail: "no free originator found".into(),
    })
}

/// Makes a credential for `merchant_id` (which must exist) with its audit line
/// `api_credential.create`, in `wtx` (the pages, the command line, tests).
pub fn create_in(
    wtx: &Tx,
    audit_key: &[u8; 32],
    merchant_id: u64,
    actor: &Actor,
) -> Result<Issued> {
    let originator = fresh_originator(wtx)?;
    let password = new_password();
    let credential = ApiCredential {
        id: next_id(wtx, "next_api_credential_id", 1)?,
        merchant_id,
        secret_hash: secret_hash(&api_key(audit_key), &originator, &password),
        originator,
        created_by: actor.user.clone(),
        created_at: actor.at,
        revoked: None,
    };
    wtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?
        .insert(credential.id, codec::encode(&credential)?.as_slice())?;
    wtx.open_table(API_ORIGINATOR_TO_CREDENTIAL_ID)?
        .insert(credential.originator.as_str(), credential.id)?;
    let line = AuditEntry::by(
        actor,
        "api_credential.create",
        format!("api credential {}", credential.originator),
        Some(merchant_id),
    );
    audit::append(wtx, audit_key, &line)?;
    Ok(Issued {
        credential,
        password,
    })
}

impl Db {
    /// A new credential for merchant `merchant_id` (audited `api_credential.create`);
    /// `None` when there is no such merchant (nothing written). The caller checks
    /// that the user may manage this merchant.
    pub fn api_credential_create(&self, merchant_id: u64, actor: &Actor) -> Result<Option<Issued>> {
        let wtx = self.begin_write()?;
        if wtx
            .open_table(MERCHANT_ID_TO_MERCHANT)?
            .get(merchant_id)?
            .is_none()
        {
            return Ok(None);
        }
        let issued = create_in(&wtx, self.audit_key(), merchant_id, actor)?;
        wtx.commit()?;
        Ok(Some(issued))
    }

    /// The merchant's credentials, newest first, with their last use.
    pub fn api_credentials(&self, merchant_id: u64) -> Result<Vec<CredentialRow>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?;
        let used = rtx.open_table(API_CREDENTIAL_ID_TO_LAST_USED)?;
        let mut out = Vec::new();
        for row in t.iter()?.rev() {
            let (_, v) = row?;
            let credential: ApiCredential = codec::decode(TABLE, v.value())?;
            if credential.merchant_id != merchant_id {
                continue;
            }
            let last_used_at = used.get(credential.id)?.map(|v| v.value());
            out.push(CredentialRow {
                credential,
                last_used_at,
            });
        }
        Ok(out)
    }

    /// Credential `id` if it is merchant `merchant_id`'s.
    pub fn api_credential(&self, merchant_id: u64, id: u64) -> Result<Option<ApiCredential>> {
        let rtx = self.begin_read()?;
        let c = get_from(&rtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?, id)?;
        Ok(c.filter(|c| c.merchant_id == merchant_id))
    }

    /// Revokes credential `id` of merchant `merchant_id` (audited
    /// `api_credential.revoke`): calls with it are refused from now on. `None` when
    /// the merchant has no such credential; one already revoked is returned as it is
    /// (nothing written).
    pub fn api_credential_revoke(
        &self,
        merchant_id: u64,
        id: u64,
        actor: &Actor,
    ) -> Result<Option<ApiCredential>> {
        let wtx = self.begin_write()?;
        let found = get_from(&wtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?, id)?;
        let Some(mut c) = found.filter(|c| c.merchant_id == merchant_id) else {
            return Ok(None);
        };
        if c.revoked.is_some() {
            return Ok(Some(c));
        }
        c.revoked = Some(Revocation {
            by: actor.user.clone(),
            at: actor.at,
        });
        wtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?
            .insert(c.id, codec::encode(&c)?.as_slice())?;
        let line = AuditEntry::by(
            actor,
            "api_credential.revoke",
            format!("api credential {}", c.originator),
            Some(merchant_id),
        );
        audit::append(&wtx, self.audit_key(), &line)?;
        wtx.commit()?;
        Ok(Some(c))
    }

    /// What `originator` and `password` are worth: one read and one HMAC, the
    /// password compared in constant time. Writes nothing.
    pub fn api_verify(&self, originator: &str, password: &str) -> Result<ApiCheck> {
        if !is_originator(originator) {
            return Ok(ApiCheck::Unknown);
        }
        let rtx = self.begin_read()?;
        let Some(id) = rtx
            .open_table(API_ORIGINATOR_TO_CREDENTIAL_ID)?
            .get(originator)?
            .map(|v| v.value())
        else {
            return Ok(ApiCheck::Unknown);
        };
        let Some(c) = get_from(&rtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?, id)? else {
            return Err(Error::Corrupt {
                table: TABLE,
                detail: format!("originator {originator} points to missing credential {id}"),
            });
        };
        let merchant_id = c.merchant_id;
        if !password_matches(&api_key(self.audit_key()), &c, password) {
            return Ok(ApiCheck::WrongPassword { merchant_id });
        }
        if c.revoked.is_some() {
            return Ok(ApiCheck::Revoked { merchant_id });
        }
        Ok(ApiCheck::Valid(c))
    }

    /// Notes an accepted call of credential `id` at `at` (unix seconds). The caller
    /// writes it at most once a minute per credential (see `auth::api_door`).
    pub fn api_credential_used(&self, id: u64, at: i64) -> Result<()> {
        let wtx = self.begin_write()?;
        wtx.open_table(API_CREDENTIAL_ID_TO_LAST_USED)?
            .insert(id, at)?;
        wtx.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Merchant;

    fn db_with_merchant() -> (tempfile::TempDir, Db, u64) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        let wtx = db.begin_write().unwrap();
        let m = super::super::merchants::insert(
            &wtx,
            Merchant {
                name: "Atlas".into(),
                ..Merchant::default()
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        (dir, db, m.id)
    }

    fn actor() -> Actor {
        Actor::new(1_780_000_000, "admin", "10.0.0.1")
    }

    #[test]
    fn a_new_credential_verifies_with_its_password_only_and_stores_no_password() {
        let (dir, db, m) = db_with_merchant();
        let issued = db.api_credential_create(m, &actor()).unwrap().unwrap();
        let c = &issued.credential;
        assert_eq!(c.originator.len(), 6);
        assert!(is_originator(&c.originator));
        assert_eq!(issued.password.len(), PASSWORD_LEN);
        assert!(
            issued
                .password
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            db.api_verify(&c.originator, &issued.password).unwrap(),
            ApiCheck::Valid(c.clone())
        );
        let mut wrong = issued.password.clone();
        wrong.pop();
        assert_eq!(
            db.api_verify(&c.originator, &wrong).unwrap(),
            ApiCheck::WrongPassword { merchant_id: m }
        );
        assert_eq!(
            db.api_verify("000001", &issued.password).unwrap(),
            ApiCheck::Unknown
        );
        assert_eq!(db.api_verify("x", "y").unwrap(), ApiCheck::Unknown);
        let password = issued.password.clone();
        drop(db);
        let bytes = std::fs::read(dir.path().join("g.redb")).unwrap();
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes())
        );
    }

    #[test]
    fn a_revoked_credential_no_longer_verifies_and_revoking_twice_writes_once() {
        let (_dir, db, m) = db_with_merchant();
        let issued = db.api_credential_create(m, &actor()).unwrap().unwrap();
        let (id, originator) = (issued.credential.id, issued.credential.originator.clone());
        assert_eq!(db.api_credential_revoke(m + 1, id, &actor()).unwrap(), None);
        let revoked = db.api_credential_revoke(m, id, &actor()).unwrap().unwrap();
        assert_eq!(revoked.revoked.as_ref().unwrap().by, "admin");
        assert_eq!(
            db.api_verify(&originator, &issued.password).unwrap(),
            ApiCheck::Revoked { merchant_id: m }
        );
        let again = db.api_credential_revoke(m, id, &actor()).unwrap().unwrap();
        assert_eq!(again, revoked);
        let actions: Vec<String> = db
            .audit(super::super::Scope::Admin, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            ["api_credential.revoke", "api_credential.create"],
            "{actions:?}"
        );
    }

    #[test]
    fn credentials_are_listed_per_merchant_newest_first_with_their_last_use() {
        let (_dir, db, m) = db_with_merchant();
        assert!(db.api_credential_create(m + 7, &actor()).unwrap().is_none());
        let a = db.api_credential_create(m, &actor()).unwrap().unwrap();
        let b = db.api_credential_create(m, &actor()).unwrap().unwrap();
        assert_ne!(a.credential.originator, b.credential.originator);
        db.api_credential_used(a.credential.id, 1_780_000_100)
            .unwrap();
        let rows = db.api_credentials(m).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].credential.id, b.credential.id);
        assert_eq!(rows[0].last_used_at, None);
        assert_eq!(rows[1].last_used_at, Some(1_780_000_100));
        assert!(db.api_credentials(m + 1).unwrap().is_empty());
        assert_eq!(db.api_credential(m + 1, a.credential.id).unwrap(), None);
        assert!(db.api_credential(m, a.credential.id).unwrap().is_some());
    }

    #[test]
    fn a_stored_credential_keeps_its_bytes() {
        // Pinned like `golden.rs`: a change of shape breaks files already written.
        let c = ApiCredential {
            id: 1,
            merchant_id: 2,
            originator: "123456".into(),
            secret_hash: [7; 32],
            created_by: "admin".into(),
            created_at: 3,
            revoked: Some(Revocation {
                by: "b".into(),
                at: 4,
            }),
        };
        // The codec's version byte, then the fields in order.
        let mut expected = vec![1, 1, 2, 6];
        expected.extend_from_slice(b"123456");
        expected.extend_from_slice(&[7; 32]);
        expected.push(5);
        expected.extend_from_slice(b"admin");
        expected.extend_from_slice(&[6, 1, 1, b'b', 8]);
        assert_eq!(codec::encode(&c).unwrap(), expected);
        let back: ApiCredential = codec::decode(TABLE, &expected).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn verifying_is_fast() {
        let (_dir, db, m) = db_with_merchant();
        let issued = db.api_credential_create(m, &actor()).unwrap().unwrap();
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            assert!(matches!(
                db.api_verify(&issued.credential.originator, &issued.password)
                    .unwrap(),
                ApiCheck::Valid(_)
            ));
        }
        let per_call = started.elapsed() / 1000;
        // argon2 would take tens of milliseconds; one read and one HMAC take microseconds.
        assert!(
            per_call < std::time::Duration::from_millis(2),
            "{per_call:?}"
        );
    }
}
