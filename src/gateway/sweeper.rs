//! The background sweeper, one task for the app's periodic clean-up: every 30
//! seconds it records 3-D Secure challenges left unanswered as abandoned (098) and
//! forgets idle payment desks; every 5 minutes it also removes the sessions that can
//! no longer be used (idle, too old, waiting for a second factor too long) and the
//! sign-in counters whose lock ran out, then runs a housekeeping pass
//! (`db::housekeeping`: expired idempotency keys, old operation keys, welcome links,
//! emails and callbacks) in small batches, yielding between them.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::db;
use crate::db::housekeeping::{Cursor, DEFAULT_BATCH, Purged, Retention};

/// How often the sweeper runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Every this many sweeps, sessions and sign-in counters are purged (5 minutes).
const PURGE_EVERY_SWEEPS: u32 = 10;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Challenges recorded as abandoned (098).
    pub abandoned: usize,
    /// Sessions removed.
    pub sessions: u64,
    /// Sign-in counters removed.
    pub counters: u64,
    /// Queued link emails withdrawn because their request can no longer be paid.
    pub withdrawn: usize,
}

impl Gateway {
    /// One sweep, at the gateway's clock: abandoned challenges and idle desks, and
    /// with `purge` the dead sessions and ran-out sign-in counters. Blocking.
    pub fn sweep_once(&self, purge: bool) -> db::Result<Swept> {
        let abandoned = self.sweep()?;
        let now = self.now();
        let withdrawn = self
            .db
            .withdraw_unpayable_links(now, now.unix_timestamp())?;
        let (sessions, counters) = if purge {
            crate::auth::second_factor::housekeeping(&self.db, self.now())?
        } else {
            (0, 0)
        };
        Ok(Swept {
            abandoned,
            sessions,
            counters,
            withdrawn,
        })
    }
}

/// One housekeeping pass at the gateway's clock, a batch of at most `batch` rows per
/// blocking task, yielding to the runtime between batches. Returns what went.
pub async fn housekeep(
    gateway: Arc<Gateway>,
    retention: Retention,
    batch: usize,
) -> Result<Purged, String> {
    let now = gateway.now();
    let mut cursor = Cursor::default();
    let mut total = Purged::default();
    loop {
        let g = gateway.clone();
        let (step, c) = tokio::task::spawn_blocking(move || {
            let mut cursor = cursor;
            g.db.housekeep_step(now, &retention, batch, &mut cursor)
                .map(|p| (p, cursor))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        cursor = c;
        let Some(p) = step else { break };
        total.add(&p);
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// Sweeps every [`SWEEP_EVERY`] until `shutdown` resolves (purging every 5 minutes,
/// with `retention` for the records housekeeping removes).
pub async fn run(
    gateway: Arc<Gateway>,
    retention: Retention,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut sweeps = 0u32;
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
        }
        sweeps = sweeps.wrapping_add(1);
        let purge = sweeps.is_multiple_of(PURGE_EVERY_SWEEPS);
        let g = gateway.clone();
        // Sessions and sign-in counters go with the housekeeping pass below.
        match tokio::task::spawn_blocking(move || g.sweep_once(false)).await {
            Ok(Ok(s)) => {
                if s.abandoned > 0 {
                    tracing::info!(
                        abandoned = s.abandoned,
                        "abandoned 3-D Secure challenges recorded (098)"
                    );
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "sweep"),
            Err(e) => tracing::error!(error = %e, "sweep task"),
        }
        if purge {
            match housekeep(gateway.clone(), retention, DEFAULT_BATCH).await {
                Ok(p) if p.total() > p.sessions + p.sign_in_counters => tracing::info!(
                    sessions = p.sessions,
                    counters = p.sign_in_counters,
                    idempotency_keys = p.idempotency_keys,
                    operation_keys = p.operation_keys,
                    welcome_links = p.welcome_links,
                    emails = p.emails,
                    callbacks = p.callbacks,
                    batches = p.batches,
                    "housekeeping: old records purged"
                ),
                Ok(p) => tracing::debug!(
                    sessions = p.sessions,
                    counters = p.sign_in_counters,
                    "housekeeping: sessions and sign-in counters purged"
                ),
                Err(e) => tracing::error!(error = %e, "housekeeping"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::db::Db;
    use crate::db::sessions::{self, SessionStage};
    use time::macros::datetime;

    fn gateway(dir: &tempfile::TempDir, clock: &FakeClock) -> Gateway {
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        Gateway::new(
            db,
            Arc::new(clock.clone()),
            Arc::new(crate::acquirer::Simulator::default()),
            "http://127.0.0.1".into(),
            3,
            false,
        )
        .unwrap()
    }

    #[test]
    fn a_sweep_with_purge_removes_expired_sessions_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::new(datetime!(2026-06-01 12:00 UTC));
        let g = gateway(&dir, &clock);
        let start = clock.now().unix_timestamp();
        let wtx = g.db.begin_write().unwrap();
        let old = sessions::insert(&wtx, 1, start, "10.0.0.1", SessionStage::Full).unwrap();
        wtx.commit().unwrap();
        // Three hours later the first session has been idle too long; a new one is live.
        clock.advance(time::Duration::hours(3));
        let now = clock.now().unix_timestamp();
        let wtx = g.db.begin_write().unwrap();
        let live = sessions::insert(&wtx, 1, now, "10.0.0.1", SessionStage::Full).unwrap();
        wtx.commit().unwrap();
        assert!(g.db.session(&old).unwrap().is_some());

        // A sweep without purge leaves sessions alone.
        assert_eq!(g.sweep_once(false).unwrap(), Swept::default());
        assert_eq!(g.db.session_count().unwrap(), 2);

        let swept = g.sweep_once(true).unwrap();
        assert_eq!(swept.sessions, 1);
        assert!(
            g.db.session(&old).unwrap().is_none(),
            "the expired session is gone"
        );
        assert!(g.db.session(&live).unwrap().is_some(), "the live one stays");
    }
}
