//! What stands in front of the merchant API's credential check (issue 13), in
//! memory: failures counted per client address (a burst, then one every few
//! seconds, after which that address is refused without any check), at most one
//! audit line per address per minute in a flood, and each credential's last use
//! written at most once a minute (never one write per call).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use governor::clock::DefaultClock;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// Failed calls an address may make: `burst` at once, then one every `period`.
#[derive(Clone, Copy, Debug)]
pub struct FailureLimit {
    pub burst: u32,
    pub period: Duration,
}

impl Default for FailureLimit {
    /// 10 failures, then one every 6 s: 10 a minute.
    fn default() -> FailureLimit {
        FailureLimit {
            burst: 10,
            period: Duration::from_secs(6),
        }
    }
}

/// How often one address or credential gets a write.
const ONCE_A_MINUTE: i64 = 60;

/// Above this many addresses, the maps drop what no longer matters.
const PRUNE_ABOVE: usize = 4096;

type Limiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// What a failure from one address left to write in the audit log.
#[derive(Clone, Copy, Debug, Default)]
struct Audited {
    /// When its last line was written (unix seconds).
    at: i64,
    /// Failures since then that got no line.
    unwritten: u64,
}

/// The API's door, shared by every call.
pub struct ApiDoor {
    failures: Limiter,
    period: Duration,
    /// Addresses refused without a check until then.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    audited: Mutex<HashMap<IpAddr, Audited>>,
    /// Credential id → when its last use was written (unix seconds).
    used: Mutex<HashMap<u64, i64>>,
    failures_seen: AtomicUsize,
}

impl Default for ApiDoor {
    fn default() -> ApiDoor {
        ApiDoor::new(FailureLimit::default())
    }
}

impl ApiDoor {
    pub fn new(limit: FailureLimit) -> ApiDoor {
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(limit.period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        ApiDoor {
            failures: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            period: limit.period,
            blocked: Mutex::default(),
            audited: Mutex::default(),
            used: Mutex::default(),
            failures_seen: AtomicUsize::new(0),
        }
    }

    /// Whether `ip` failed too often lately: its call is refused unchecked.
    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        self.blocked
            .lock()
            .is_ok_and(|b| b.get(&ip).is_some_and(|until| *until > now))
    }

    /// Counts a failure of `ip`; `true` when that was its last allowed one (it is
    /// blocked from now on, until the bucket refills a little).
    pub fn failed(&self, ip: IpAddr) -> bool {
        let seen = self.failures_seen.fetch_add(1, Ordering::Relaxed);
        if seen % PRUNE_ABOVE == PRUNE_ABOVE - 1 {
            self.prune();
        }
        let exhausted = match self.failures.check_key(&ip) {
            Ok(state) => state.remaining_burst_capacity() == 0,
            Err(_) => true,
        };
        if exhausted && let Ok(mut b) = self.blocked.lock() {
            b.insert(ip, Instant::now() + self.period);
        }
        exhausted
    }

    /// Whether a failure of `ip` at `now` gets an audit line (at most one per
    /// address per minute); `Some(n)`: write it, saying that `n` failures before it
    /// got none.
    pub fn audit_failure(&self, ip: IpAddr, now: i64) -> Option<u64> {
        let mut map = self.audited.lock().ok()?;
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, a| now - a.at < ONCE_A_MINUTE);
        }
        let a = map.entry(ip).or_insert(Audited {
            at: i64::MIN,
            unwritten: 0,
        });
        if a.at != i64::MIN && now - a.at < ONCE_A_MINUTE {
            a.unwritten += 1;
            return None;
        }
        let skipped = a.unwritten;
        *a = Audited {
            at: now,
            unwritten: 0,
        };
        Some(skipped)
    }

    /// Whether an accepted call of credential `id` at `now` should be written as its
    /// last use (the first one, then at most once a minute).
    pub fn record_use(&self, id: u64, now: i64) -> bool {
        let Ok(mut map) = self.used.lock() else {
            return false;
        };
        match map.get(&id) {
            Some(at) if now - at < ONCE_A_MINUTE => false,
            _ => {
                map.insert(id, now);
                true
            }
        }
    }

    /// Drops counters that no longer hold anything back.
    fn prune(&self) {
        self.failures.retain_recent();
        self.failures.shrink_to_fit();
        let now = Instant::now();
        if let Ok(mut b) = self.blocked.lock() {
            b.retain(|_, until| *until > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_is_blocked_at_its_tenth_failure_and_others_are_not() {
        let door = ApiDoor::default();
        let a = ip("203.0.113.7");
        for n in 1..10 {
            assert!(!door.failed(a), "failure {n}");
            assert!(!door.is_blocked(a));
        }
        assert!(door.failed(a), "the tenth failure");
        assert!(door.is_blocked(a));
        assert!(!door.is_blocked(ip("203.0.113.8")));
    }

    #[test]
    fn a_flood_gets_one_audit_line_a_minute_which_counts_the_ones_left_out() {
        let door = ApiDoor::default();
        let a = ip("2001:db8::1");
        assert_eq!(door.audit_failure(a, 1000), Some(0));
        for t in 1001..1060 {
            assert_eq!(door.audit_failure(a, t), None);
        }
        assert_eq!(door.audit_failure(ip("2001:db8::2"), 1001), Some(0));
        assert_eq!(door.audit_failure(a, 1060), Some(59));
        assert_eq!(door.audit_failure(a, 1061), None);
    }

    #[test]
    fn a_credential_s_use_is_written_at_most_once_a_minute() {
        let door = ApiDoor::default();
        assert!(door.record_use(1, 1000));
        assert!(!door.record_use(1, 1059));
        assert!(door.record_use(2, 1059));
        assert!(door.record_use(1, 1060));
    }
}
