//! API credentials (issue 13): the originator ID and password a merchant's web shop
//! sends as HTTP Basic on every call of the merchant API. The password is shown once
//! and stored only as a keyed hash; a merchant may hold several credentials at once
//! (rotation: create a new one, switch the shop, revoke the old one).

use serde::{Deserialize, Serialize};

/// How many characters a new password has (URL-safe, 6 bits each: 192 bits).
pub const PASSWORD_LEN: usize = 32;

/// How many digits a new originator has (the protocol's clients use `"000000"`).
pub const ORIGINATOR_DIGITS: u32 = 6;

/// One credential as stored (postcard, positional: never change its fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCredential {
    pub id: u64,
    pub merchant_id: u64,
    /// The HTTP Basic user: digits only, unique, never reused.
    pub originator: String,
    /// HMAC-SHA256 of the originator and the password under the server's API key
    /// (derived from the key file's audit key, never in the data file).
    pub secret_hash: [u8; 32],
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Who revoked it and when; revoked credentials are kept for the record.
    pub revoked: Option<Revocation>,
}

/// Who revoked a credential, and when (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub by: String,
    pub at: i64,
}

impl ApiCredential {
    /// Whether calls may still use it.
    pub fn is_active(&self) -> bool {
        self.revoked.is_none()
    }
}

/// A credential as listed: the record and its last accepted call (unix seconds;
/// written at most once a minute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRow {
    pub credential: ApiCredential,
    pub last_used_at: Option<i64>,
}

/// Whether `s` can be an originator: 1 to 20 ASCII digits.
pub fn is_originator(s: &str) -> bool {
    (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// An originator as an audit line may quote it: the digits typed, or `?` for
/// anything else (a caller's text never goes into the log as it is).
pub fn originator_for_audit(s: &str) -> &str {
    if is_originator(s) { s } else { "?" }
}

/// Why a call's credentials were refused (stored as the audit detail's `failure=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No `Authorization: Basic` header, or one that does not decode.
    Missing,
    /// No credential has this originator.
    Unknown,
    /// The credential was revoked.
    Revoked,
    /// The password does not match.
    WrongPassword,
    /// Too many failures from this address: the password was not checked.
    TooMany,
}

impl Failure {
    /// The code stored in audit details.
    pub fn key(self) -> &'static str {
        match self {
            Failure::Missing => "missing",
            Failure::Unknown => "unknown",
            Failure::Revoked => "revoked",
            Failure::WrongPassword => "wrong_password",
            Failure::TooMany => "too_many",
        }
    }

    pub fn parse(key: &str) -> Option<Failure> {
        [
            Failure::Missing,
            Failure::Unknown,
            Failure::Revoked,
            Failure::WrongPassword,
            Failure::TooMany,
        ]
        .into_iter()
        .find(|f| f.key() == key)
    }

    /// (French, English) words for the audit page.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Failure::Missing => (
                "identifiants absents ou illisibles",
                "no readable credentials",
            ),
            Failure::Unknown => ("identifiant inconnu", "unknown originator"),
            Failure::Revoked => ("identifiant révoqué", "revoked credential"),
            Failure::WrongPassword => ("mot de passe erroné", "wrong password"),
            Failure::TooMany => (
                "trop d'échecs depuis cette adresse, mot de passe non vérifié",
                "too many failures from this address, password not checked",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_originator_is_digits_only_and_anything_else_is_quoted_as_a_question_mark() {
        assert!(is_originator("000000"));
        assert!(is_originator("482913"));
        assert!(!is_originator(""));
        assert!(!is_originator("12a4"));
        assert!(!is_originator("١٢٣"));
        assert!(!is_originator(&"9".repeat(21)));
        assert_eq!(originator_for_audit("482913"), "482913");
        assert_eq!(originator_for_audit("admin\n<script>"), "?");
    }

    #[test]
    fn every_failure_reads_back_from_its_key() {
        for f in [
            Failure::Missing,
            Failure::Unknown,
            Failure::Revoked,
            Failure::WrongPassword,
            Failure::TooMany,
        ] {
            assert_eq!(Failure::parse(f.key()), Some(f));
        }
        assert_eq!(Failure::parse("nope"), None);
    }
}
