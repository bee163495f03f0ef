//! Sign-in rules (AUTH-3, AUTH-4, AUTH-5): lockout after failures, expiry of unused
//! accounts, session timeouts. Pure functions of the stored state and `now`.

use time::{Duration, OffsetDateTime};

/// Failures in a row that lock a username.
pub const MAX_FAILURES: u32 = 3;
pub const LOCK_DURATION: Duration = Duration::minutes(30);
/// An account not signed into for this long expires.
pub const EXPIRY: Duration = Duration::days(30);
pub const SESSION_IDLE: Duration = Duration::minutes(15);
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);

/// Failed sign-ins counted for one username, known or not, so that unknown
/// usernames lock exactly like known ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    pub failures: u32,
    /// Unix seconds.
    pub locked_until: Option<i64>,
}

impl Attempts {
    /// Whether sign-in is refused at `now` without even checking the password.
    pub fn is_locked(self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|t| now.unix_timestamp() < t)
    }

    /// The state after one more wrong password at `now`: the third in a row locks.
    pub fn after_failure(self, now: OffsetDateTime) -> Attempts {
        // A lock that ran out starts a fresh count.
        let base = if self.locked_until.is_some() && !self.is_locked(now) {
            Attempts::default()
        } else {
            self
        };
        let failures = base.failures + 1;
        let locked_until =
            (failures >= MAX_FAILURES).then(|| (now + LOCK_DURATION).unix_timestamp());
        Attempts {
            failures,
            locked_until,
        }
    }
}

/// Whether an account last signed into at `last_used` (unix seconds) has expired.
pub fn is_expired(last_used: i64, now: OffsetDateTime) -> bool {
    now.unix_timestamp() - last_used > EXPIRY.whole_seconds()
}

/// Whether a session is still alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionCheck {
    Alive,
    Idle,
    TooOld,
}

/// Checks a session created at `created` and last seen at `last_seen` (unix seconds).
pub fn check_session(created: i64, last_seen: i64, now: OffsetDateTime) -> SessionCheck {
    let now = now.unix_timestamp();
    if now - created > SESSION_ABSOLUTE.whole_seconds() {
        SessionCheck::TooOld
    } else if now - last_seen > SESSION_IDLE.whole_seconds() {
        SessionCheck::Idle
    } else {
        SessionCheck::Alive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-05-01 09:00 UTC);

    #[test]
    fn the_third_failure_locks_for_thirty_minutes() {
        let a = Attempts::default().after_failure(T0).after_failure(T0);
        assert!(!a.is_locked(T0));
        let a = a.after_failure(T0);
        assert!(a.is_locked(T0));
        assert!(a.is_locked(T0 + Duration::minutes(29) + Duration::seconds(59)));
        assert!(!a.is_locked(T0 + Duration::minutes(30) + Duration::seconds(1)));
    }

    #[test]
    fn a_failure_after_the_lock_ran_out_starts_counting_again() {
        let locked = Attempts {
            failures: 3,
            locked_until: Some((T0 + LOCK_DURATION).unix_timestamp()),
        };
        let later = T0 + Duration::minutes(31);
        let a = locked.after_failure(later);
        assert_eq!(a.failures, 1);
        assert!(!a.is_locked(later));
    }

    #[test]
    fn accounts_expire_after_thirty_days_unused() {
        let last = T0.unix_timestamp();
        assert!(!is_expired(last, T0 + Duration::days(30)));
        assert!(is_expired(
            last,
            T0 + Duration::days(30) + Duration::seconds(1)
        ));
    }

    #[test]
    fn sessions_end_after_15_idle_minutes_or_12_hours() {
        let c = T0.unix_timestamp();
        assert_eq!(
            check_session(c, c, T0 + Duration::minutes(15)),
            SessionCheck::Alive
        );
        assert_eq!(
            check_session(c, c, T0 + Duration::minutes(15) + Duration::seconds(1)),
            SessionCheck::Idle
        );
        let recent = (T0 + Duration::hours(12)).unix_timestamp();
        assert_eq!(
            check_session(c, recent, T0 + Duration::hours(12) + Duration::seconds(1)),
            SessionCheck::TooOld
        );
    }
}
