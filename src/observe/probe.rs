//! The write probe of `/readyz`: a tiny write transaction through the writer, as
//! every write goes. One probe at a time and its answer kept a second, so a
//! supervisor that asks often costs at most one durable commit a second; a probe
//! that does not come back within the limit says the writer is stuck (and the next
//! asks say so too, without starting another, until it comes back).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::system::Probe;

/// How long an answer is reused.
const FRESH: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    /// Since when the probe in flight runs.
    running: Option<Instant>,
    /// The last answer and when it came.
    last: Option<(Instant, Probe)>,
}

/// The probe of one application.
#[derive(Default)]
pub struct WriteProbe {
    state: Mutex<State>,
}

impl WriteProbe {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `write` off the async threads (or reuses a fresh answer) and waits for
    /// it at most `limit`.
    pub async fn check(
        self: &Arc<Self>,
        write: impl FnOnce() -> Result<(), String> + Send + 'static,
        limit: Duration,
    ) -> Probe {
        let started = {
            let mut st = self.lock();
            if let Some(since) = st.running {
                return Probe::Stuck {
                    secs: since.elapsed().as_secs(),
                };
            }
            if let Some((at, p)) = &st.last
                && at.elapsed() < FRESH
            {
                return p.clone();
            }
            let now = Instant::now();
            st.running = Some(now);
            now
        };
        let me = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            let outcome = match write() {
                Ok(()) => Probe::Written {
                    ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                },
                Err(e) => Probe::Failed(e),
            };
            let mut st = me.lock();
            st.running = None;
            st.last = Some((Instant::now(), outcome.clone()));
            outcome
        });
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                let mut st = self.lock();
                st.running = None;
                Probe::Failed(format!("the probe write did not finish: {e}"))
            }
            Err(_) => Probe::Stuck {
                secs: started.elapsed().as_secs(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_that_does_not_come_back_is_stuck_until_it_does() {
        let probe = Arc::new(WriteProbe::default());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let p = probe
            .check(
                move || {
                    let _ = wait.recv();
                    Ok(())
                },
                Duration::from_millis(50),
            )
            .await;
        assert!(matches!(p, Probe::Stuck { .. }), "{p:?}");
        // Asked again meanwhile: still stuck, and no second write starts.
        let again = probe
            .check(
                || panic!("a second probe while one runs"),
                Duration::from_secs(1),
            )
            .await;
        assert!(matches!(again, Probe::Stuck { .. }), "{again:?}");
        release.send(()).unwrap();
        for _ in 0..100 {
            if probe.lock().running.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Its answer came: reused for a second.
        let fresh = probe
            .check(
                || panic!("a fresh answer is reused"),
                Duration::from_secs(1),
            )
            .await;
        assert!(matches!(fresh, Probe::Written { .. }), "{fresh:?}");
    }

    #[tokio::test]
    async fn a_failed_write_says_why() {
        let probe = Arc::new(WriteProbe::default());
        let p = probe
            .check(|| Err("disk full".into()), Duration::from_secs(1))
            .await;
        assert_eq!(p, Probe::Failed("disk full".into()));
    }
}
