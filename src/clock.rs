//! The clock the app owns: the system clock in production, a settable one in tests.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
#[derive(Clone)]
pub struct FakeClock(Arc<Mutex<OffsetDateTime>>);

impl FakeClock {
    pub fn new(start: OffsetDateTime) -> FakeClock {
        FakeClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        *self.time() += by;
    }

    pub fn set(&self, to: OffsetDateTime) {
        *self.time() = to;
    }

    /// The time, locked. A thread that panicked while holding it cannot leave a
    /// half-written time (it is one value): the lock is taken back, as `now` does.
    fn time(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_fake_clock_still_moves() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let clock = FakeClock::new(start);
        let c = clock.clone();
        let _ = std::thread::spawn(move || {
            let _held = c.0.lock();
            panic!("poison the lock");
        })
        .join();
        assert!(clock.0.is_poisoned());
        clock.advance(Duration::seconds(5));
        assert_eq!(clock.now(), start + Duration::seconds(5));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
