//! The password policy (AUTH-2): at least 12 characters, letters and digits, not the
//! username, not one of the last four passwords.

use std::fmt;

use super::Lang;

/// How many previous passwords may not be reused.
pub const HISTORY: usize = 4;
pub const MIN_LEN: usize = 12;

/// A password that satisfies the policy. Holds the clear text only until it is hashed.
pub struct NewPassword(String);

/// Why a new password is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    TooShort,
    NeedsLettersAndDigits,
    IsUsername,
    RecentlyUsed,
    Mismatch,
}

impl PasswordError {
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            PasswordError::TooShort => lang.pick(
                "Le mot de passe doit contenir au moins 12 caractères.",
                "The password must have at least 12 characters.",
            ),
            PasswordError::NeedsLettersAndDigits => lang.pick(
                "Le mot de passe doit contenir des lettres et des chiffres.",
                "The password must contain letters and digits.",
            ),
            PasswordError::IsUsername => lang.pick(
                "Le mot de passe ne peut pas être le nom d'utilisateur.",
                "The password cannot be the username.",
            ),
            PasswordError::RecentlyUsed => lang.pick(
                "Ce mot de passe fait partie de vos 4 derniers : choisissez-en un autre.",
                "This password is one of your last 4: choose another one.",
            ),
            PasswordError::Mismatch => lang.pick(
                "Les deux mots de passe ne sont pas identiques.",
                "The two passwords do not match.",
            ),
        }
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message(Lang::En))
    }
}

impl std::error::Error for PasswordError {}

impl NewPassword {
    /// Checks `candidate` (and its confirmation) against the policy.
    /// `was_used_recently` answers whether it matches one of the last [`HISTORY`] passwords.
    pub fn parse(
        candidate: &str,
        confirmation: &str,
        username: &str,
        was_used_recently: impl FnOnce(&str) -> bool,
    ) -> Result<NewPassword, PasswordError> {
        if candidate != confirmation {
            return Err(PasswordError::Mismatch);
        }
        if candidate.chars().count() < MIN_LEN {
            return Err(PasswordError::TooShort);
        }
        let has_letter = candidate.chars().any(char::is_alphabetic);
        let has_digit = candidate.chars().any(|c| c.is_ascii_digit());
        if !has_letter || !has_digit {
            return Err(PasswordError::NeedsLettersAndDigits);
        }
        if candidate.trim().eq_ignore_ascii_case(username.trim()) {
            return Err(PasswordError::IsUsername);
        }
        if was_used_recently(candidate) {
            return Err(PasswordError::RecentlyUsed);
        }
        Ok(NewPassword(candidate.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str, user: &str) -> Result<NewPassword, PasswordError> {
        NewPassword::parse(p, p, user, |_| false)
    }

    #[test]
    fn the_policy_is_enforced_rule_by_rule() {
        assert_eq!(check("short1", "u").unwrap_err(), PasswordError::TooShort);
        assert_eq!(
            check("onlyletterslong", "u").unwrap_err(),
            PasswordError::NeedsLettersAndDigits
        );
        assert_eq!(
            check("123456789012", "u").unwrap_err(),
            PasswordError::NeedsLettersAndDigits
        );
        assert_eq!(
            check("merchant2026", "MERCHANT2026").unwrap_err(),
            PasswordError::IsUsername
        );
        assert!(check("correct horse 42", "u").is_ok());
        assert_eq!(
            NewPassword::parse("abcdefgh1234", "abcdefgh1235", "u", |_| false).unwrap_err(),
            PasswordError::Mismatch
        );
        assert_eq!(
            NewPassword::parse("abcdefgh1234", "abcdefgh1234", "u", |_| true).unwrap_err(),
            PasswordError::RecentlyUsed
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = check("secret value 99", "u").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }
}
