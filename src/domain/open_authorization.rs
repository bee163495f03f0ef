//! Authorizations to capture (FLOW-3): accepted authorizations still holding their
//! amount, neither captured nor cancelled and within the 7-day hold, with how long
//! each has left. Nothing here reads a clock: `now` is passed in.

use super::Lang;
use super::transaction::{AUTHORIZATION_HOLD, Transaction};

/// Under this much time left, an authorization is urgent (shown as such).
pub const URGENT_SECONDS: i64 = 24 * 3600;

/// An accepted authorization still holding its amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAuthorization {
    pub tx: Transaction,
    /// Unix seconds: the last instant it may be captured (created + 7 days).
    pub expires_at: i64,
}

impl OpenAuthorization {
    pub fn new(tx: Transaction) -> OpenAuthorization {
        let expires_at = tx.at.saturating_add(AUTHORIZATION_HOLD.whole_seconds());
        OpenAuthorization { tx, expires_at }
    }

    /// Seconds left at `now` (never negative).
    pub fn left(&self, now: i64) -> i64 {
        self.expires_at.saturating_sub(now).max(0)
    }

    /// Less than a day left at `now`.
    pub fn is_urgent(&self, now: i64) -> bool {
        self.left(now) < URGENT_SECONDS
    }
}

/// The creation times (unix seconds, `[from, to)`) of the authorizations that still
/// hold at `now`: created at most 7 days ago, up to now itself, as
/// [`super::transaction::authorization_state`] decides (one may be captured at
/// exactly 7 days).
pub fn hold_window(now: i64) -> (i64, i64) {
    (
        now.saturating_sub(AUTHORIZATION_HOLD.whole_seconds()),
        now.saturating_add(1),
    )
}

/// How long is left, in words, rounded down: "dans 2 j 4 h" / "in 2 d 4 h",
/// "dans 5 h 12 min" / "in 5 h 12 min", "dans 8 min" / "in 8 min", and under a
/// minute "dans moins d'une minute" / "in less than a minute".
pub fn time_left(seconds: i64, lang: Lang) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    let day = lang.pick("j", "d");
    let amount = if days > 0 {
        format!("{days}\u{a0}{day} {hours}\u{a0}h")
    } else if hours > 0 {
        format!("{hours}\u{a0}h {minutes}\u{a0}min")
    } else if minutes > 0 {
        format!("{minutes}\u{a0}min")
    } else {
        return lang
            .pick("dans moins d'une minute", "in less than a minute")
            .to_string();
    };
    format!("{} {amount}", lang.pick("dans", "in"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ResultCode;
    use crate::domain::transaction::Operation;
    use crate::domain::transaction::tests::{T0, tx};

    #[test]
    fn time_left_is_said_in_days_and_hours_then_hours_and_minutes() {
        let s = |d: i64, h: i64, m: i64, sec: i64| d * 86_400 + h * 3600 + m * 60 + sec;
        let nb = |s: &str| s.replace('\u{a0}', " ");
        assert_eq!(nb(&time_left(s(2, 4, 59, 59), Lang::Fr)), "dans 2 j 4 h");
        assert_eq!(nb(&time_left(s(2, 4, 0, 0), Lang::En)), "in 2 d 4 h");
        assert_eq!(nb(&time_left(s(1, 0, 30, 0), Lang::En)), "in 1 d 0 h");
        assert_eq!(nb(&time_left(s(0, 5, 12, 3), Lang::Fr)), "dans 5 h 12 min");
        assert_eq!(nb(&time_left(s(0, 0, 8, 59), Lang::En)), "in 8 min");
        assert_eq!(time_left(59, Lang::Fr), "dans moins d'une minute");
        assert_eq!(time_left(0, Lang::En), "in less than a minute");
    }

    #[test]
    fn an_authorization_is_urgent_in_its_last_day_and_expires_seven_days_on() {
        let auth = tx(
            1,
            Operation::Authorization,
            10_000,
            ResultCode::ACCEPTED,
            T0,
        );
        let open = OpenAuthorization::new(auth);
        let t0 = T0.unix_timestamp();
        assert_eq!(open.expires_at, t0 + 7 * 86_400);
        assert!(!open.is_urgent(t0 + 6 * 86_400));
        assert!(open.is_urgent(t0 + 6 * 86_400 + 1));
        assert_eq!(open.left(t0 + 8 * 86_400), 0);
        let (from, to) = hold_window(open.expires_at);
        assert!(from <= t0 && t0 < to, "holding at exactly 7 days");
    }
}
