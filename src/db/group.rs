//! Group commit: money writes batched into one durable commit (issue 15).
//!
//! Concurrent callers of [`Db::write`] share ONE write transaction, one after the
//! other, and ONE durable commit: the first caller opens the transaction (the
//! batch) and runs its job in it; the callers that arrived meanwhile queue, and the
//! transaction is handed to them in turn, each running its own job on its own
//! thread (the jobs borrow their caller's state: no `'static` bound, no writer
//! thread fed closures). The member that finds no one queued behind it (or the
//! batch full: [`GroupCommit::cap`] jobs, or open for [`GroupCommit::window`])
//! commits durably and answers every member at once. So each write sees every
//! write before it (same transaction), a record, its indexes and rollups still
//! commit together or not at all, and callers are answered only once durable.
//!
//! A failing job must not fail the others, and redb cannot roll back part of a
//! transaction (savepoints are refused once it has been written to). So a job
//! failing FIRST in a fresh transaction saw only committed data: its error is its
//! answer, and the transaction is dropped (nothing of it is written). A job failing
//! after others drops the whole batch; every member of it, the failing one
//! included, runs its job again in a later batch, where the first position decides
//! again. Jobs are therefore `Fn`: run twice on the same data, they do the same
//! thing, and they have no effect outside the transaction. A failed durable commit
//! answers every member with the error. A job that panics drops the batch (its
//! members run again) and the panic goes on in its caller.
//!
//! Readers read committed data and never wait for the writer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Db, Error, Result, Tx};

/// How writes are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupCommit {
    /// Off: every write commits durably by itself (as before issue 15).
    pub enabled: bool,
    /// How long a batch stays open to the writes queued behind it: bounds the
    /// latency a long queue adds (the batch commits as soon as no one is queued).
    pub window: Duration,
    /// At most this many jobs in one batch.
    pub cap: u64,
    /// When no one is queued but the last batch had more members than this one so
    /// far, how long the last member waits for one more before committing.
    pub linger: Duration,
    /// Test and bench only: a pause inside each durable commit, holding the write
    /// lock, as a slow disk's fsync would (0 in production).
    pub fsync_delay: Duration,
}

impl Default for GroupCommit {
    fn default() -> Self {
        GroupCommit {
            enabled: true,
            window: Duration::from_millis(5),
            cap: 64,
            linger: Duration::from_micros(300),
            fsync_delay: Duration::ZERO,
        }
    }
}

/// The state shared by the writers of one data file.
pub(super) struct Group {
    enabled: AtomicBool,
    window_us: AtomicU64,
    cap: AtomicU64,
    linger_us: AtomicU64,
    delay_us: AtomicU64,
    /// Members of the last batch committed.
    last_members: AtomicU64,
    state: Mutex<State>,
    /// The batch opened, closed or handed on.
    changed: Condvar,
    /// Durable commits made (one per batch): for tests and the bench.
    flushes: AtomicU64,
    /// Jobs run again after a failure dropped their batch: for tests.
    replays: AtomicU64,
}

#[derive(Default)]
struct State {
    /// The open batch (a write transaction exists, held by a member or in `slot`).
    open: Option<Arc<Batch>>,
    /// The open batch's transaction, waiting for the next queued caller.
    slot: Option<Tx>,
    /// Callers waiting for the transaction.
    queued: u64,
}

/// One batch: its members wait for its outcome.
struct Batch {
    opened: Instant,
    /// Members whose job ran in it.
    members: AtomicU64,
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

#[derive(Clone)]
enum Outcome {
    Durable,
    /// The durable commit failed: every member answers with this error (its OS
    /// error code kept, so a full disk is still told apart).
    Failed(String, Option<i32>),
    /// A job failed (or panicked) after others: every member runs its job again.
    Again,
}

impl Batch {
    fn new() -> Arc<Batch> {
        Arc::new(Batch {
            opened: Instant::now(),
            members: AtomicU64::new(0),
            outcome: Mutex::new(None),
            done: Condvar::new(),
        })
    }

    fn end(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> Outcome {
        let mut o = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = o.as_ref() {
                return outcome.clone();
            }
            o = self.done.wait(o).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Default for Group {
    fn default() -> Self {
        let c = GroupCommit::default();
        Group {
            enabled: AtomicBool::new(c.enabled),
            window_us: AtomicU64::new(micros(c.window)),
            cap: AtomicU64::new(c.cap),
            linger_us: AtomicU64::new(micros(c.linger)),
            last_members: AtomicU64::new(0),
            delay_us: AtomicU64::new(micros(c.fsync_delay)),
            state: Mutex::default(),
            changed: Condvar::new(),
            flushes: AtomicU64::new(0),
            replays: AtomicU64::new(0),
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

    /// Closes the open batch `b` (the caller held its transaction) with `outcome`.
    fn close(&self, b: &Batch, outcome: Outcome) {
        let mut st = self.lock();
        st.open = None;
        st.slot = None;
        drop(st);
        b.end(outcome);
        self.changed.notify_all();
    }
}

/// Held while a member runs its job: if the job panics, the batch is dropped (its
/// transaction goes with the unwinding stack) and its members run again.
struct Holding<'a> {
    group: &'a Group,
    batch: &'a Batch,
    armed: bool,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.group.close(self.batch, Outcome::Again);
        }
    }
}

impl Db {
    /// Runs `job` in the open batch's write transaction (or opens one) and returns
    /// once the batch is durable (see the module). `job` returning an error is
    /// answered with it and writes nothing; the durable commit failing answers every
    /// member of the batch with the error. `job` may run more than once (when a
    /// later job of its batch fails), so it must not change anything outside the
    /// transaction; and it must not open another write transaction (it would wait
    /// for itself).
    pub fn write<T>(&self, job: impl Fn(&Tx) -> Result<T>) -> Result<T> {
        let g = &*self.group;
        if !g.enabled.load(Ordering::Relaxed) {
            let wtx = self.begin_write()?;
            let out = job(&wtx)?;
            g.delay();
            wtx.commit()?;
            g.flushes.fetch_add(1, Ordering::Relaxed);
            return Ok(out);
        }
        loop {
            let (wtx, batch) = self.join()?;
            let first = batch.members.load(Ordering::Relaxed) == 0;
            let mut holding = Holding {
                group: g,
                batch: &batch,
                armed: true,
            };
            let out = job(&wtx);
            holding.armed = false;
            let out = match out {
                Ok(out) => out,
                Err(e) if first => {
                    // Saw only committed data: a true answer. The transaction may
                    // hold part of the job's writes: dropped, and the batch with it
                    // (it has no other member).
                    drop(wtx);
                    g.close(&batch, Outcome::Again);
                    return Err(e);
                }
                Err(_) => {
                    drop(wtx);
                    g.close(&batch, Outcome::Again);
                    g.replays.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let members = batch.members.fetch_add(1, Ordering::Relaxed) + 1;
            // Hand the transaction on while callers queue, the batch is not full
            // and not too old; else commit it for every member.
            let mut st = g.lock();
            let window = Duration::from_micros(g.window_us.load(Ordering::Relaxed));
            let cap = g.cap.load(Ordering::Relaxed);
            // No one queued, but the last batch was bigger than this one so far:
            // wait a moment for the writers it had (a durable commit costs far more
            // than the wait). Never when this batch already holds as many: they
            // would all be waiting for this very commit.
            let linger = Duration::from_micros(g.linger_us.load(Ordering::Relaxed));
            if st.queued == 0
                && !linger.is_zero()
                && members < cap
                && members < g.last_members.load(Ordering::Relaxed)
            {
                let until = Instant::now() + linger;
                while st.queued == 0 {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    st = g
                        .changed
                        .wait_timeout(st, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
            let hand_on = st.queued > 0 && members < cap && batch.opened.elapsed() < window;
            if !hand_on {
                g.last_members.store(members, Ordering::Relaxed);
            }
            if hand_on {
                st.slot = Some(wtx);
                drop(st);
                g.changed.notify_all();
                match batch.wait() {
                    Outcome::Durable => return Ok(out),
                    Outcome::Failed(e, os) => return Err(commit_failed(&e, os)),
                    Outcome::Again => {
                        g.replays.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
            }
            drop(st);
            g.delay();
            let committed = wtx.commit();
            match committed {
                Ok(()) => {
                    g.flushes.fetch_add(1, Ordering::Relaxed);
                    g.close(&batch, Outcome::Durable);
                    return Ok(out);
                }
                Err(e) => {
                    tracing::error!(error = %e, members, "a grouped durable commit failed");
                    let os = match &e {
                        Error::Redb(redb::Error::Io(io)) => io.raw_os_error(),
                        _ => None,
                    };
                    g.close(&batch, Outcome::Failed(e.to_string(), os));
                    return Err(e);
                }
            }
        }
    }

    /// The open batch's transaction when it is handed on, or a new batch.
    fn join(&self) -> Result<(Tx, Arc<Batch>)> {
        let g = &*self.group;
        let mut st = g.lock();
        let mut queued = false;
        loop {
            if let Some(batch) = st.open.clone() {
                if let Some(wtx) = st.slot.take() {
                    if queued {
                        st.queued -= 1;
                    }
                    return Ok((wtx, batch));
                }
                if !queued {
                    queued = true;
                    st.queued += 1;
                    // A member may be lingering for this caller.
                    g.changed.notify_all();
                }
                st = g.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // No batch: this caller opens one (others queue behind it meanwhile).
            if queued {
                st.queued -= 1;
            }
            let batch = Batch::new();
            st.open = Some(batch.clone());
            drop(st);
            return match self.begin_write() {
                Ok(wtx) => Ok((wtx, batch)),
                Err(e) => {
                    g.close(&batch, Outcome::Again);
                    Err(e)
                }
            };
        }
    }

    /// Sets how writes are grouped (for this data file, every handle).
    pub fn set_group_commit(&self, c: GroupCommit) {
        let g = &*self.group;
        g.enabled.store(c.enabled, Ordering::Relaxed);
        g.window_us.store(micros(c.window), Ordering::Relaxed);
        g.cap.store(c.cap.max(1), Ordering::Relaxed);
        g.linger_us.store(micros(c.linger), Ordering::Relaxed);
        g.delay_us.store(micros(c.fsync_delay), Ordering::Relaxed);
    }

    /// Durable commits made by [`Db::write`] so far (one per batch).
    pub fn durable_commits(&self) -> u64 {
        self.group.flushes.load(Ordering::Relaxed)
    }

    /// Jobs run again because a later job of their batch failed.
    pub fn write_replays(&self) -> u64 {
        self.group.replays.load(Ordering::Relaxed)
    }

    /// Read-only, for the appliance's figures: the writes running or queued for the
    /// open batch, and those of it done that wait for its durable commit.
    pub fn writes_in_flight(&self) -> (u64, u64) {
        let st = self.group.lock();
        let done = st
            .open
            .as_ref()
            .map_or(0, |b| b.members.load(Ordering::Relaxed));
        (st.queued + u64::from(st.open.is_some()), done)
    }
}

fn commit_failed(e: &str, os: Option<i32>) -> Error {
    match os {
        Some(code) => super::io(std::io::Error::from_raw_os_error(code)),
        None => super::io(std::io::Error::other(format!(
            "the grouped durable commit failed: {e}"
        ))),
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
    fn a_failed_durable_commit_reaches_every_member_of_its_batch() {
        let batch = Batch::new();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let b = batch.clone();
                    s.spawn(move || match b.wait() {
                        Outcome::Failed(e, os) => commit_failed(&e, os),
                        _ => Error::NotFound,
                    })
                })
                .collect();
            batch.end(Outcome::Failed("No space left on device".into(), Some(28)));
            for w in waiters {
                assert!(w.join().unwrap().is_disk_full());
            }
        });
    }

    #[test]
    fn a_job_that_panics_drops_its_batch_and_the_others_still_land() {
        let (_dir, db) = open();
        db.set_group_commit(GroupCommit {
            fsync_delay: Duration::from_millis(1),
            ..GroupCommit::default()
        });
        std::thread::scope(|s| {
            for t in 0..12u64 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..4u64 {
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            db.write(|wtx| {
                                put(wtx, &format!("p{t}-{i}"), t)?;
                                if t == 5 && i == 2 {
                                    panic!("a bug in one job");
                                }
                                Ok(())
                            })
                        }));
                        assert_eq!(r.is_err(), t == 5 && i == 2);
                    }
                });
            }
        });
        for t in 0..12u64 {
            for i in 0..4u64 {
                let expected = (!(t == 5 && i == 2)).then_some(t);
                assert_eq!(get(&db, &format!("p{t}-{i}")), expected, "write {t}-{i}");
            }
        }
        // The file still takes writes after the panic.
        db.write(|wtx| put(wtx, "after", 1)).unwrap();
        assert_eq!(get(&db, "after"), Some(1));
    }

    #[test]
    fn a_job_failing_behind_others_is_answered_as_if_run_alone() {
        // Jobs take one unit of a stock of 10 or fail: with 40 takers over a slow
        // disk, batches hold several jobs and failures happen behind others; exactly
        // 10 succeed and the stock ends at 0, whatever the replays.
        let (_dir, db) = open();
        db.set_group_commit(GroupCommit {
            fsync_delay: Duration::from_millis(2),
            ..GroupCommit::default()
        });
        db.write(|wtx| put(wtx, "stock", 10)).unwrap();
        let took = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..40 {
                let (db, took) = (db.clone(), &took);
                s.spawn(move || {
                    let r = db.write(|wtx| {
                        let left = wtx
                            .open_table(META)?
                            .get("stock")?
                            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap()))
                            .unwrap_or(0);
                        if left == 0 {
                            return Err(Error::NotFound);
                        }
                        put(wtx, "stock", left - 1)
                    });
                    if r.is_ok() {
                        took.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(took.load(Ordering::Relaxed), 10);
        assert_eq!(get(&db, "stock"), Some(0));
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
