//! The welcome link (issue 14, point 4): a new user with an email address receives a
//! one-time sign-in link instead of a password in clear. Only the SHA-256 of the
//! link's secret is stored; the link serves once and for 24 hours.

use serde::{Deserialize, Serialize};

/// How long a welcome link stays usable, in seconds.
pub const WELCOME_TTL: i64 = 86_400;

/// A welcome link as stored, keyed by the hash of its secret.
/// Stored (postcard, positional): never change its fields; add a new table instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeLink {
    pub user_id: u64,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the password was chosen through it.
    pub used_at: Option<i64>,
}

/// What a welcome link allows at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WelcomeStatus {
    Valid,
    Used,
    Expired,
}

impl WelcomeLink {
    pub fn new(user_id: u64, now: i64) -> WelcomeLink {
        WelcomeLink {
            user_id,
            created_at: now,
            expires_at: now + WELCOME_TTL,
            used_at: None,
        }
    }

    pub fn status(&self, now: i64) -> WelcomeStatus {
        if self.used_at.is_some() {
            WelcomeStatus::Used
        } else if now >= self.expires_at {
            WelcomeStatus::Expired
        } else {
            WelcomeStatus::Valid
        }
    }
}

/// The link the email carries.
pub fn welcome_link(base_url: &str, token: &str) -> String {
    format!("{}/welcome/{token}", base_url.trim_end_matches('/'))
}

/// `text` with the secret of every welcome link replaced by `…` (the outbox keeps no
/// usable link once the message is sent or given up).
pub fn redact_welcome_links(text: &str) -> String {
    const MARK: &str = "/welcome/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        let (head, tail) = rest.split_at(i + MARK.len());
        out.push_str(head);
        let secret = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if secret > 0 {
            out.push('…');
        }
        rest = &tail[secret..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_welcome_link_is_valid_for_24_hours_and_once() {
        let mut l = WelcomeLink::new(7, 1000);
        assert_eq!(l.status(1000), WelcomeStatus::Valid);
        assert_eq!(l.status(1000 + WELCOME_TTL - 1), WelcomeStatus::Valid);
        assert_eq!(l.status(1000 + WELCOME_TTL), WelcomeStatus::Expired);
        l.used_at = Some(1001);
        assert_eq!(l.status(1002), WelcomeStatus::Used);
    }

    #[test]
    fn the_outbox_keeps_no_usable_welcome_link() {
        let t = "go to https://g.example/welcome/abc123ef now, /welcome/ end";
        assert_eq!(
            redact_welcome_links(t),
            "go to https://g.example/welcome/… now, /welcome/ end"
        );
        assert_eq!(redact_welcome_links("é /welcome/"), "é /welcome/");
    }
}
