//! Group commit: money writes made durable together (issue 15).
//!
//! Each write keeps its own write transaction (redb runs them one at a time), so a
//! write sees every write before it, and a write that fails (a rule refusal, an
//! error half-way) is dropped alone: its rows, indexes and rollups go or stay
//! together, exactly as before. What changes is the fsync: each write commits
//! without waiting for the disk, then waits until a durable commit covers it. The
//! first waiter becomes the flusher (one at a time): it gathers the writes running
//! at that moment (for at most [`GroupCommit::window`], at most
//! [`GroupCommit::cap`] of them), then commits an empty transaction durably, which
//! makes every commit before it durable, and answers all of them at once. A write
//! alone (none other running, no flusher at work) commits durably itself. A failed
//! durable commit answers each write it covered with the error. Readers read
//! committed data and never wait for the flusher (a write is visible to them a few
//! hundred microseconds before it is durable; its caller hears of it only after).
//!
//! Why not a writer thread fed closures: the gateway's write bodies borrow the
//! caller's state (the gateway, the request, the card); run by the caller, they
//! need no `'static` bound, and redb's write lock already makes them one writer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Db, Error, Result, Tx};

/// How writes are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupCommit {
    /// Off: every write commits durably by itself (as before issue 15).
    pub enabled: bool,
    /// How long the flusher waits for the writes still running to join its batch.
    pub window: Duration,
    /// The flusher stops gathering once this many writes wait.
    pub cap: u64,
    /// Test and bench only: a pause inside each durable commit, holding the write
    /// lock, as a slow disk's fsync would (0 in production).
    pub fsync_delay: Duration,
}

impl Default for GroupCommit {
    fn default() -> Self {
        GroupCommit {
            enabled: true,
            window: Duration::from_micros(200),
            cap: 64,
            fsync_delay: Duration::ZERO,
        }
    }
}

/// The state shared by the writers of one data file.
pub(super) struct Group {
    enabled: AtomicBool,
    window_us: AtomicU64,
    cap: AtomicU64,
    delay_us: AtomicU64,
    state: Mutex<State>,
    changed: Condvar,
    /// Durable commits made (one per batch): for tests and the bench.
    flushes: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Writes inside their transaction.
    running: u64,
    /// Writes committed (not necessarily durable): the last ticket given.
    committed: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A flusher is at work.
    flushing: bool,
    /// Tickets `(from, through]` a failed durable commit covered, with its error.
    failed: Vec<(u64, u64, String)>,
}

impl Default for Group {
    fn default() -> Self {
        let c = GroupCommit::default();
        Group {
            enabled: AtomicBool::new(c.enabled),
            window_us: AtomicU64::new(micros(c.window)),
            cap: AtomicU64::new(c.cap),
            delay_us: AtomicU64::new(micros(c.fsync_delay)),
            state: Mutex::default(),
            changed: Condvar::new(),
            flushes: AtomicU64::new(0),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn delay(&self) {
        let us = self.delay_us.load(Ordering::Relaxed);
        if us > 0 {
            std::thread::sleep(Duration::from_micros(us));
        }
    }
}

/// Counts a write as running until dropped (whatever the job does, panics included).
struct Running<'a>(&'a Group);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.running -= 1;
        drop(st);
        self.0.changed.notify_all();
    }
}

impl Db {
    /// Runs `job` in a write transaction of its own and commits it; returns once the
    /// commit is durable (grouped with the writes running meanwhile, see the module).
    /// `job` returning an error writes nothing and is answered at once; the commit
    /// failing answers every write of its group with the error. `job` must not open
    /// another write transaction (it would wait for itself).
    pub fn write<T>(&self, job: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let g = &*self.group;
        if !g.enabled.load(Ordering::Relaxed) {
            let wtx = self.begin_write()?;
            let out = job(&wtx)?;
            g.delay();
            wtx.commit()?;
            g.flushes.fetch_add(1, Ordering::Relaxed);
            return Ok(out);
        }
        g.lock().running += 1;
        let running = Running(g);
        let mut wtx = self.begin_write()?;
        let out = job(&wtx)?;
        // Alone (no other write running, no flusher at work): this commit is the
        // durable one, covering the writes committed before it; no empty commit.
        // With no other write running, every write given a ticket has committed.
        let alone = {
            let mut st = g.lock();
            let alone = !st.flushing && st.running == 1;
            st.flushing |= alone;
            alone.then_some(st.committed)
        };
        if let Some(through) = alone {
            g.delay();
            let committed = wtx.commit();
            let mut st = g.lock();
            if committed.is_ok() {
                st.durable = st.durable.max(through);
                g.flushes.fetch_add(1, Ordering::Relaxed);
            }
            st.flushing = false;
            drop(st);
            drop(running);
            g.changed.notify_all();
            committed?;
            return Ok(out);
        }
        wtx.set_not_durable()?;
        wtx.commit()?;
        let ticket = {
            let mut st = g.lock();
            st.committed += 1;
            st.committed
        };
        drop(running);
        self.wait_durable(ticket)?;
        Ok(out)
    }

    /// Waits until `ticket` is durable, flushing when no one else is.
    fn wait_durable(&self, ticket: u64) -> Result<()> {
        let g = &*self.group;
        let mut st = g.lock();
        loop {
            if let Some((_, _, e)) = st
                .failed
                .iter()
                .find(|(from, through, _)| *from < ticket && ticket <= *through)
            {
                return Err(super::io(std::io::Error::other(format!(
                    "the grouped durable commit failed: {e}"
                ))));
            }
            if st.durable >= ticket {
                return Ok(());
            }
            if st.flushing {
                st = g.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.flushing = true;
            // Gather: the writes still in their transaction join this batch.
            let window = Duration::from_micros(g.window_us.load(Ordering::Relaxed));
            let cap = g.cap.load(Ordering::Relaxed);
            let deadline = Instant::now() + window;
            while st.running > 0 && st.committed - st.durable < cap {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = g
                    .changed
                    .wait_timeout(st, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            let from = st.durable;
            drop(st);
            let flushed = self.flush();
            st = g.lock();
            match flushed {
                Ok(through) => st.durable = st.durable.max(through),
                Err((through, e)) => {
                    tracing::error!(error = %e, "a grouped durable commit failed");
                    if st.failed.len() >= 16 {
                        st.failed.remove(0);
                    }
                    st.failed.push((from, through, e.to_string()));
                }
            }
            st.flushing = false;
            g.changed.notify_all();
        }
    }

    /// One durable commit of an empty transaction: every commit before it becomes
    /// durable. Returns the last ticket it covers (with the error, on failure).
    fn flush(&self) -> std::result::Result<u64, (u64, Error)> {
        let g = &*self.group;
        let wtx = match self.begin_write() {
            Ok(w) => w,
            Err(e) => return Err((g.lock().committed, e)),
        };
        // Holding the write lock: every write given a ticket so far has committed.
        let through = g.lock().committed;
        g.delay();
        wtx.commit().map_err(|e| (through, e))?;
        g.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(through)
    }

    /// Sets how writes are grouped (for this data file, every handle).
    pub fn set_group_commit(&self, c: GroupCommit) {
        let g = &*self.group;
        g.enabled.store(c.enabled, Ordering::Relaxed);
        g.window_us.store(micros(c.window), Ordering::Relaxed);
        g.cap.store(c.cap.max(1), Ordering::Relaxed);
        g.delay_us.store(micros(c.fsync_delay), Ordering::Relaxed);
    }

    /// Durable commits made by [`Db::write`] so far (one per group).
    pub fn durable_commits(&self) -> u64 {
        self.group.flushes.load(Ordering::Relaxed)
    }

    /// Read-only, for the appliance's figures: the writes inside their transaction,
    /// and those committed that wait for a durable commit.
    pub fn writes_in_flight(&self) -> (u64, u64) {
        let st = self.group.lock();
        (st.running, st.committed.saturating_sub(st.durable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tables::META;
    use redb::{ReadableDatabase, ReadableTable};

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        (dir, db)
    }

    fn put(wtx: &Tx, key: &str, v: u64) -> Result<()> {
        wtx.open_table(META)?
            .insert(key, v.to_le_bytes().as_slice())?;
        Ok(())
    }

    fn get(db: &Db, key: &str) -> Option<u64> {
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(META).unwrap();
        t.get(key)
            .unwrap()
            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
    }

    #[test]
    fn concurrent_writes_share_durable_commits_and_all_land() {
        let (_dir, db) = open();
        db.set_group_commit(GroupCommit {
            fsync_delay: Duration::from_millis(2),
            ..GroupCommit::default()
        });
        let before = db.durable_commits();
        std::thread::scope(|s| {
            for t in 0..16u64 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..5u64 {
                        db.write(|wtx| put(wtx, &format!("k{t}-{i}"), t * 100 + i))
                            .unwrap();
                    }
                });
            }
        });
        for t in 0..16u64 {
            for i in 0..5u64 {
                assert_eq!(get(&db, &format!("k{t}-{i}")), Some(t * 100 + i));
            }
        }
        let flushes = db.durable_commits() - before;
        assert!(flushes < 80, "80 writes took {flushes} durable commits");
    }

    #[test]
    fn a_failing_write_leaves_nothing_and_the_others_land() {
        let (_dir, db) = open();
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let db = db.clone();
                s.spawn(move || {
                    let r = db.write(|wtx| {
                        put(wtx, &format!("w{t}"), t)?;
                        if t % 2 == 1 {
                            return Err(Error::NotFound);
                        }
                        Ok(t)
                    });
                    assert_eq!(r.is_ok(), t % 2 == 0);
                });
            }
        });
        for t in 0..8u64 {
            let expected = (t % 2 == 0).then_some(t);
            assert_eq!(get(&db, &format!("w{t}")), expected, "write {t}");
        }
    }

    #[test]
    fn each_write_sees_the_ones_committed_before_it() {
        let (_dir, db) = open();
        // Twenty writers each take the counter only if it is still free: one wins.
        let wins = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 1..=20u64 {
                let (db, wins) = (db.clone(), &wins);
                s.spawn(move || {
                    let won = db
                        .write(|wtx| {
                            let taken = wtx.open_table(META)?.get("owner")?.is_some();
                            if taken {
                                return Ok(false);
                            }
                            put(wtx, "owner", t)?;
                            Ok(true)
                        })
                        .unwrap();
                    if won {
                        wins.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(wins.load(Ordering::Relaxed), 1);
        assert!(get(&db, "owner").is_some());
    }

    #[test]
    fn a_write_is_answered_only_once_durable() {
        let (dir, db) = open();
        db.write(|wtx| put(wtx, "durable", 7)).unwrap();
        // A crash right after the answer: the data file as it is on disk.
        let copy = dir.path().join("copy.redb");
        std::fs::copy(db.path(), &copy).unwrap();
        let raw = redb::Database::open(&copy).unwrap();
        let rtx = raw.begin_read().unwrap();
        let v = rtx.open_table(META).unwrap().get("durable").unwrap();
        assert_eq!(
            v.map(|v| v.value().to_vec()),
            Some(7u64.to_le_bytes().to_vec())
        );
    }

    #[test]
    fn a_failed_durable_commit_reaches_every_write_of_its_group() {
        let (_dir, db) = open();
        let g = &*db.group;
        // Tickets 1 to 3 were covered by a durable commit that failed.
        {
            let mut st = g.lock();
            st.committed = 3;
            st.failed.push((0, 3, "disk full".into()));
        }
        for ticket in 1..=3 {
            let e = db.wait_durable(ticket).unwrap_err();
            assert!(e.to_string().contains("disk full"), "{e}");
        }
        // A later write is flushed anew and answered.
        db.write(|wtx| put(wtx, "after", 1)).unwrap();
        assert_eq!(get(&db, "after"), Some(1));
    }

    #[test]
    fn without_grouping_every_write_commits_durably_by_itself() {
        let (_dir, db) = open();
        db.set_group_commit(GroupCommit {
            enabled: false,
            ..GroupCommit::default()
        });
        let before = db.durable_commits();
        for i in 0..3 {
            db.write(|wtx| put(wtx, "n", i)).unwrap();
        }
        assert_eq!(db.durable_commits() - before, 3);
        assert_eq!(get(&db, "n"), Some(2));
    }
}
