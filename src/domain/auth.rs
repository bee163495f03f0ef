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
/// How long a session waiting for the second factor may wait.
pub const SECOND_FACTOR_WINDOW: Duration = Duration::minutes(5);
/// Longer names match no account (usernames are at most 40 characters): they are
/// refused before any storage is touched, so attempt counters stay small.
pub const MAX_USERNAME_CHARS: usize = 40;
/// PCI DSS 8.3.9: passwords of staff without a second factor expire after this many days
/// unless an admin sets another maximum.
pub const DEFAULT_PASSWORD_MAX_AGE_DAYS: u32 = 90;
/// Bounds of the password maximum age setting, in days.
pub const PASSWORD_MAX_AGE_RANGE: std::ops::RangeInclusive<u32> = 1..=365;

/// The key of a typed username: trimmed, lowercase; `None` when too long to be one.
pub fn normalise_username(input: &str) -> Option<String> {
    let name = input.trim().to_lowercase();
    (name.chars().count() <= MAX_USERNAME_CHARS).then_some(name)
}

/// Whether a password set at `changed_at` (unix s) is older than `max_age_days` at `now`.
pub fn password_too_old(changed_at: i64, now: OffsetDateTime, max_age_days: u32) -> bool {
    now.unix_timestamp() - changed_at > i64::from(max_age_days) * 86_400
}

/// Whether a session waiting for the second factor since `created` has run out.
pub fn second_factor_expired(created: i64, now: OffsetDateTime) -> bool {
    now.unix_timestamp() - created > SECOND_FACTOR_WINDOW.whole_seconds()
}

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

    /// Whether a lock was set and has run out at `now` (the row can go).
    pub fn lock_ran_out(self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some() && !self.is_locked(now)
    }

    /// Takes back one provisional failure (the password was right but the sign-in
    /// goes on to a second factor, so the counter is not reset yet).
    pub fn without_one_failure(self) -> Attempts {
        Attempts {
            failures: self.failures.saturating_sub(1),
            locked_until: None,
        }
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
    fn usernames_are_normalised_and_long_ones_refused() {
        assert_eq!(normalise_username("  Omar.B "), Some("omar.b".into()));
        assert_eq!(normalise_username(&"a".repeat(40)), Some("a".repeat(40)));
        assert_eq!(normalise_username(&"a".repeat(41)), None);
        assert_eq!(normalise_username(&"é".repeat(41)), None);
    }

    #[test]
    fn a_password_is_too_old_after_the_maximum_age() {
        let changed = T0.unix_timestamp();
        assert!(!password_too_old(changed, T0 + Duration::days(90), 90));
        assert!(password_too_old(
            changed,
            T0 + Duration::days(90) + Duration::seconds(1),
            90
        ));
        assert!(password_too_old(changed, T0 + Duration::days(11), 10));
    }

    #[test]
    fn a_pending_second_factor_waits_five_minutes() {
        let c = T0.unix_timestamp();
        assert!(!second_factor_expired(c, T0 + Duration::minutes(5)));
        assert!(second_factor_expired(
            c,
            T0 + Duration::minutes(5) + Duration::seconds(1)
        ));
    }

    #[test]
    fn taking_back_a_provisional_failure_never_goes_below_zero_nor_keeps_a_lock() {
        let locked = Attempts::default()
            .after_failure(T0)
            .after_failure(T0)
            .after_failure(T0);
        assert_eq!(
            locked.without_one_failure(),
            Attempts {
                failures: 2,
                locked_until: None
            }
        );
        assert_eq!(
            Attempts::default().without_one_failure(),
            Attempts::default()
        );
        assert!(locked.lock_ran_out(T0 + Duration::minutes(31)));
        assert!(!locked.lock_ran_out(T0));
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
