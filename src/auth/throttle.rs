//! What stands between an anonymous flood and the password hasher: token buckets
//! per client address and per username (in memory, bounded by a periodic sweep),
//! and a small pool of hashing slots with a short queue. A request refused here
//! costs no argon2 run and writes nothing.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many sign-ins each key may make: a burst, then one every `period`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: u32,
    pub period: Duration,
}

/// The limits of the sign-in door.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_ip: Rate,
    pub per_username: Rate,
    /// argon2 runs at once (each holds 19 MiB and a core for tens of ms).
    pub hashing_slots: usize,
    /// Requests allowed to wait for a slot; more are refused at once.
    pub queue: usize,
    /// How long one waits for a slot before being refused.
    pub wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            // 10 at once, then one every 6 s (10 a minute) per address.
            per_ip: Rate {
                burst: 10,
                period: Duration::from_secs(6),
            },
            // 5 at once, then one every 12 s per username, known or not.
            per_username: Rate {
                burst: 5,
                period: Duration::from_secs(12),
            },
            // Leave a core for payments and the back office.
            hashing_slots: cores.saturating_sub(1).max(1),
            queue: 16,
            wait: Duration::from_secs(3),
        }
    }
}

/// Why a sign-in was turned away before its password was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// This address or username tried too often.
    TooMany,
    /// Every hashing slot is taken and the queue is full (or the wait ran out).
    Busy,
}

/// The sign-in door, shared by every request.
pub struct Door {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_username: DefaultKeyedRateLimiter<String>,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    limits: Limits,
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(rate.period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Door {
    pub fn new(limits: Limits) -> Door {
        Door {
            per_ip: RateLimiter::keyed(quota(limits.per_ip)),
            per_username: RateLimiter::keyed(quota(limits.per_username)),
            slots: Arc::new(Semaphore::new(limits.hashing_slots.max(1))),
            waiting: AtomicUsize::new(0),
            limits,
        }
    }

    /// Takes one token from the address's bucket and one from the username's
    /// (normalised and cut to 40 characters, so long names cost no memory). IPv6
    /// clients are counted by their /64, which one subscriber usually holds whole.
    pub fn admit(&self, ip: Option<IpAddr>, username: &str) -> Result<(), Refused> {
        if let Some(ip) = ip.map(network)
            && self.per_ip.check_key(&ip).is_err()
        {
            return Err(Refused::TooMany);
        }
        let name: String = username.trim().to_lowercase().chars().take(40).collect();
        if self.per_username.check_key(&name).is_err() {
            return Err(Refused::TooMany);
        }
        Ok(())
    }

    /// Takes one token from the address's bucket only (the code step, where the
    /// username is already known from the pending session).
    pub fn admit_ip(&self, ip: Option<IpAddr>) -> Result<(), Refused> {
        match ip.map(network) {
            Some(ip) if self.per_ip.check_key(&ip).is_err() => Err(Refused::TooMany),
            _ => Ok(()),
        }
    }

    /// Waits (briefly, in a short queue) for a hashing slot; holds it until dropped.
    /// Move the permit into the blocking task that hashes: a client that hangs up
    /// must not free the slot while its hash still runs.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, Refused> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refused::Busy);
        }
        // Leaves the queue however this future ends, dropped mid-wait included.
        let _place = QueuePlace(&self.waiting);
        match tokio::time::timeout(self.limits.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Refused::Busy),
        }
    }

    /// Requests waiting for a slot right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Forgets buckets that are full again, so memory follows recent traffic only.
    pub fn sweep(&self) {
        self.per_ip.retain_recent();
        self.per_username.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_username.shrink_to_fit();
    }

    /// Keys currently remembered (for tests and metrics).
    pub fn remembered(&self) -> usize {
        self.per_ip.len() + self.per_username.len()
    }
}

/// A place in the hashing queue, given back when dropped.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The key an address is counted under: itself for IPv4, its /64 for IPv6.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> Limits {
        Limits {
            per_ip: Rate {
                burst: 3,
                period: Duration::from_secs(3600),
            },
            per_username: Rate {
                burst: 2,
                period: Duration::from_secs(3600),
            },
            hashing_slots: 1,
            queue: 1,
            wait: Duration::from_millis(50),
        }
    }

    #[test]
    fn an_address_gets_its_burst_then_is_refused() {
        let door = Door::new(strict());
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(door.admit(Some(ip), "a"), Ok(()));
        assert_eq!(door.admit(Some(ip), "b"), Ok(()));
        assert_eq!(door.admit(Some(ip), "c"), Ok(()));
        assert_eq!(door.admit(Some(ip), "d"), Err(Refused::TooMany));
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert_eq!(door.admit(Some(other), "e"), Ok(()));
    }

    #[test]
    fn a_username_is_limited_whatever_its_case_spacing_or_length() {
        let door = Door::new(strict());
        let long = format!("admin{}", "x".repeat(10_000));
        assert_eq!(door.admit(None, "Admin "), Ok(()));
        assert_eq!(door.admit(None, " admin"), Ok(()));
        assert_eq!(door.admit(None, "ADMIN"), Err(Refused::TooMany));
        assert_eq!(door.admit(None, &long), Ok(()));
        assert_eq!(door.admit(None, &long), Ok(()));
        assert_eq!(door.admit(None, &long), Err(Refused::TooMany));
        assert!(door.remembered() <= 2);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let door = Door::new(strict());
        for i in 1..=3 {
            let ip: IpAddr = format!("2001:db8:1:2::{i}").parse().unwrap();
            assert_eq!(door.admit(Some(ip), &format!("u{i}")), Ok(()));
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(door.admit(Some(same_64), "u9"), Err(Refused::TooMany));
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(door.admit(Some(other_64), "u10"), Ok(()));
    }

    #[tokio::test]
    async fn a_request_dropped_while_queued_gives_its_place_back() {
        let door = Arc::new(Door::new(strict()));
        let held = door.slot().await.unwrap();
        let queued = {
            let door = door.clone();
            tokio::spawn(async move { door.slot().await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(door.waiting(), 1);
        // The client hangs up: its handler future is dropped mid-wait.
        queued.abort();
        let _ = queued.await;
        assert_eq!(door.waiting(), 0);
        drop(held);
        assert!(door.slot().await.is_ok());
    }

    #[tokio::test]
    async fn hashing_slots_are_bounded_and_the_queue_is_short() {
        let door = Arc::new(Door::new(strict()));
        let held = door.slot().await.unwrap();
        let waiter = {
            let door = door.clone();
            tokio::spawn(async move { door.slot().await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        // One waits in the queue; a third is refused at once.
        assert_eq!(door.slot().await.err(), Some(Refused::Busy));
        // The waiter times out while the slot stays held.
        assert_eq!(waiter.await.unwrap(), Err(Refused::Busy));
        drop(held);
        assert!(door.slot().await.is_ok());
    }
}
