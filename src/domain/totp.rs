//! The second factor (PCI DSS 8.4.2): TOTP codes (RFC 6238: HMAC-SHA1, 6 digits,
//! 30-second steps, what authenticator apps expect), one step of clock drift each
//! way, each step accepted once; and one-time recovery codes kept as SHA-256.
//! Pure: the time is passed in.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};

/// Seconds per step.
pub const STEP: i64 = 30;
/// Steps of drift accepted on each side of the current one.
pub const DRIFT: i64 = 1;
pub const DIGITS: usize = 6;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Guichet";

/// A user's second factor: pending until the first code confirms it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactor {
    pub secret: Vec<u8>,
    /// Unix seconds of the confirmation; `None` while enrolment is pending.
    pub confirmed_at: Option<i64>,
    /// SHA-256 of each unused recovery code.
    pub recovery: Vec<[u8; 32]>,
    /// The last time step accepted: that step and older ones are refused (no replay).
    pub last_step: i64,
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactor")
            .field("secret", &"<redacted>")
            .field("confirmed_at", &self.confirmed_at)
            .field("recovery", &self.recovery.len())
            .field("last_step", &self.last_step)
            .finish()
    }
}

impl SecondFactor {
    /// A pending factor around a fresh secret.
    pub fn pending(secret: Vec<u8>) -> SecondFactor {
        SecondFactor {
            secret,
            confirmed_at: None,
            recovery: Vec::new(),
            last_step: 0,
        }
    }

    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// Why a code is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Not a code of this secret within the drift window.
    Wrong,
    /// A code of a step already used (or older): a replay.
    Replayed,
}

/// The time step of `unix` seconds.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP)
}

fn totp(secret: &[u8]) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(0)
        .with_step_duration(STEP as u64)
        .with_secret(secret.to_vec())
        .build_noncompliant()
}

/// The code of `secret` at time step `step`.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let at = u64::try_from(step.max(0)).unwrap_or(0) * STEP as u64;
    totp(secret).generate(at).to_string()
}

/// The code an authenticator app shows at `unix` seconds.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    code_at_step(secret, step_of(unix))
}

/// Checks `input` (spaces ignored) at `now` (unix s) against `secret`, accepting the
/// steps `now ± DRIFT` that are newer than `last_step`. Returns the accepted step, to
/// be stored as the new `last_step`.
pub fn check(secret: &[u8], input: &str, now: i64, last_step: i64) -> Result<i64, CodeError> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(CodeError::Wrong);
    }
    let current = step_of(now);
    let mut replayed = false;
    for step in (current - DRIFT)..=(current + DRIFT) {
        if constant_time_eq(code_at_step(secret, step).as_bytes(), code.as_bytes()) {
            if step > last_step {
                return Ok(step);
            }
            replayed = true;
        }
    }
    Err(if replayed {
        CodeError::Replayed
    } else {
        CodeError::Wrong
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Base32 (RFC 4648, no padding) of a secret, as typed into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    totp(secret).secret().to_base32()
}

/// The secret of a base32 key as shown for manual entry (spaces ignored).
pub fn secret_from_base32(key: &str) -> Option<Vec<u8>> {
    let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
    totp_rs::Secret::try_from_base32(key.to_ascii_uppercase())
        .ok()
        .map(|s| s.as_bytes().to_vec())
}

/// The `otpauth://` URL of the QR code. `account` is the username (no `:` in usernames).
pub fn otpauth_url(secret: &[u8], account: &str) -> Option<String> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP as u64)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', "_"))
        .build()
        .ok()?
        .to_url()
        .ok()
}

/// A recovery code as typed: lowercase, without spaces or dashes.
fn normalise_recovery(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// SHA-256 of a recovery code, as stored.
pub fn recovery_hash(code: &str) -> [u8; 32] {
    Sha256::digest(normalise_recovery(code).as_bytes()).into()
}

/// Uses a recovery code: removes its hash from `recovery` and says whether it was there.
pub fn use_recovery(recovery: &mut Vec<[u8; 32]>, input: &str) -> bool {
    if normalise_recovery(input).len() < 8 {
        return false;
    }
    let h = recovery_hash(input);
    let before = recovery.len();
    recovery.retain(|r| *r != h);
    recovery.len() < before
}

/// Formats 10 random bytes as a recovery code `xxxxx-xxxxx` (lowercase letters and digits
/// without look-alikes).
pub fn recovery_code_from(bytes: &[u8; 10]) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let s: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"12345678901234567890";
    /// A fixed clock: 2026-05-01 09:00:10 UTC.
    const NOW: i64 = 1_777_626_010;

    #[test]
    fn the_rfc_6238_sha1_test_vector_is_reproduced() {
        // RFC 6238 appendix B, T = 59 s, 8 digits 94287082: the last 6 are ours.
        assert_eq!(code_at(SECRET, 59), "287082");
        assert_eq!(code_at(SECRET, 1_111_111_109), "081804");
    }

    #[test]
    fn the_right_code_is_accepted_and_gives_its_step() {
        let code = code_at(SECRET, NOW);
        assert_eq!(check(SECRET, &code, NOW, 0), Ok(step_of(NOW)));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(SECRET, &spaced, NOW, 0), Ok(step_of(NOW)));
    }

    #[test]
    fn a_wrong_code_is_refused() {
        let code = code_at(SECRET, NOW);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(check(SECRET, wrong, NOW, 0), Err(CodeError::Wrong));
        assert_eq!(check(SECRET, "12345", NOW, 0), Err(CodeError::Wrong));
        assert_eq!(check(SECRET, "abcdef", NOW, 0), Err(CodeError::Wrong));
        assert_eq!(check(SECRET, "", NOW, 0), Err(CodeError::Wrong));
        assert_eq!(
            check(b"another secret of 20b", &code, NOW, 0),
            Err(CodeError::Wrong)
        );
    }

    #[test]
    fn the_same_code_is_accepted_once_and_older_steps_never() {
        let code = code_at(SECRET, NOW);
        let step = check(SECRET, &code, NOW, 0).unwrap();
        assert_eq!(check(SECRET, &code, NOW, step), Err(CodeError::Replayed));
        // Still refused a few seconds later, inside the drift window.
        assert_eq!(
            check(SECRET, &code, NOW + 20, step),
            Err(CodeError::Replayed)
        );
        // The previous step's code is older than the one used: refused too.
        let older = code_at(SECRET, NOW - STEP);
        assert!(check(SECRET, &older, NOW, step).is_err());
        // The next step's code is fine.
        let next = code_at(SECRET, NOW + STEP);
        assert_eq!(check(SECRET, &next, NOW + STEP, step), Ok(step + 1));
    }

    #[test]
    fn one_step_of_drift_is_accepted_each_way_and_two_are_refused() {
        for d in [-1, 1] {
            let code = code_at(SECRET, NOW + d * STEP);
            assert_eq!(check(SECRET, &code, NOW, 0), Ok(step_of(NOW) + d), "{d}");
        }
        for d in [-2, 2] {
            let code = code_at(SECRET, NOW + d * STEP);
            assert_eq!(check(SECRET, &code, NOW, 0), Err(CodeError::Wrong), "{d}");
        }
    }

    #[test]
    fn a_recovery_code_works_once_whatever_its_case_or_dashes() {
        let code = recovery_code_from(&[7, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(code.len(), 11);
        let mut stored = vec![recovery_hash(&code), recovery_hash("zzzzz-zzzzz")];
        assert!(!use_recovery(&mut stored, "nothing-here"));
        assert!(use_recovery(
            &mut stored,
            &code.to_uppercase().replace('-', " ")
        ));
        assert_eq!(stored.len(), 1);
        assert!(!use_recovery(&mut stored, &code));
    }

    #[test]
    fn the_otpauth_url_names_the_issuer_and_carries_the_base32_secret() {
        let url = otpauth_url(SECRET, "omar.b").unwrap();
        assert!(url.starts_with("otpauth://totp/Guichet:omar.b?"), "{url}");
        assert!(url.contains(&format!("secret={}", secret_base32(SECRET))));
        assert!(url.contains("issuer=Guichet"));
        assert_eq!(secret_base32(SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            secret_from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            SECRET
        );
    }
}
