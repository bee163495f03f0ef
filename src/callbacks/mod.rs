//! Callbacks to the shops (issue 13, Connect2Pay §7): the worker that delivers the
//! durable queue of `db::callbacks`, a few at a time, signed, through the guarded
//! client of [`client`]. Queued in the payment's own write transaction
//! (`db::callbacks::enqueue_in`), a callback is tried at once, then after 10 s, 30 s,
//! 2 min, 10 min, 30 min, 1 h and every hour until the shop acknowledges it or three
//! days pass (`domain::callback`). Delivery is at least once: a delivery cut by a
//! stop is tried again after the restart (the `X-Guichet-Callback-Id` header lets the
//! shop see a repeat).

pub mod client;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::db::callbacks::{CallbackAttempt, Due};

pub use client::{Outcome, Sender};

/// Callbacks read from the queue at once.
pub const BATCH: usize = 256;
/// Deliveries in flight at once.
pub const PARALLEL: usize = 32;
/// Deliveries in flight at once to one host.
pub const PER_HOST: usize = 8;

/// Wakes the workers of this process. Shared by every app the process runs (tests
/// run several): a worker woken for nothing reads an empty due list.
static READY: Notify = Notify::const_new();

/// Tells the callback worker that callbacks were queued: call it after the commit
/// of the transaction that queued them. Without it they still leave within a second.
pub fn notify() {
    READY.notify_waiters();
}

/// What the worker reads and writes: the queue in the data file, the clock (the
/// due times and the signature's timestamp) and the client.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub sender: Sender,
    /// Deliveries in flight at once.
    pub parallel: usize,
}

impl Worker {
    /// The worker of an app: its data file, its clock, and the hosts its admin
    /// allowed (`--callback-allow-host`).
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: &Config) -> Result<Worker, String> {
        Ok(Worker {
            db,
            clock,
            sender: Sender::new(config.callback_allow_hosts.clone(), client::TIMEOUT)?,
            parallel: PARALLEL,
        })
    }
}

/// A delivery done: the callback, when it started, and what came of it.
type Done = (u64, u64, String, CallbackAttempt);

/// The worker's state between wake-ups: callbacks read from the queue and not
/// started yet, the deliveries running, and how many run per host.
struct Pump {
    worker: Worker,
    /// Read from the queue, not started (in due order).
    waiting: VecDeque<Due>,
    /// Ids read from the queue and not recorded yet (waiting or running).
    claimed: HashSet<u64>,
    running: JoinSet<Done>,
    per_host: HashMap<String, usize>,
}

/// The host a callback goes to (for the per-host limit).
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

impl Pump {
    fn new(worker: Worker) -> Pump {
        Pump {
            worker,
            waiting: VecDeque::new(),
            claimed: HashSet::new(),
            running: JoinSet::new(),
            per_host: HashMap::new(),
        }
    }

    /// Reads the callbacks due now that are not claimed yet (at most `BATCH` more).
    async fn fetch(&mut self) {
        let now = self.worker.clock.now().unix_timestamp();
        let db = self.worker.db.clone();
        let limit = self.claimed.len() + BATCH;
        let due = match tokio::task::spawn_blocking(move || db.due_callbacks(now, limit)).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::error!("callbacks: cannot read the queue: {e}");
                return;
            }
            Err(_) => return,
        };
        for d in due {
            if self.claimed.insert(d.callback.id) {
                self.waiting.push_back(d);
            }
        }
    }

    /// Starts the waiting callbacks that fit: `parallel` in all, `PER_HOST` per host.
    /// Returns whether a slot is still free with nothing startable waiting.
    fn start(&mut self) -> bool {
        let mut held = VecDeque::new();
        while self.running.len() < self.worker.parallel.max(1) {
            let Some(d) = self.waiting.pop_front() else {
                break;
            };
            let host = host_of(&d.callback.url);
            let n = self.per_host.entry(host.clone()).or_default();
            if *n >= PER_HOST {
                held.push_back(d);
                continue;
            }
            *n += 1;
            let sender = self.worker.sender.clone();
            let clock = self.worker.clock.clone();
            self.running.spawn(async move {
                let Due { callback, secret } = d;
                let at = clock.now().unix_timestamp();
                let o = sender
                    .deliver(callback.id, &callback.url, &callback.body, &secret, at)
                    .await;
                match &o.error {
                    None => tracing::info!(
                        callback_id = callback.id,
                        request_id = callback.request_id,
                        status = ?o.http_status,
                        ms = o.millis,
                        "callback acknowledged"
                    ),
                    Some(e) => tracing::warn!(
                        callback_id = callback.id,
                        request_id = callback.request_id,
                        attempt = callback.attempts.len() + 1,
                        "callback not acknowledged: {}",
                        crate::domain::text::log_safe_max(e, 300)
                    ),
                }
                let attempt = CallbackAttempt {
                    at,
                    http_status: o.http_status,
                    error: o.error,
                    millis: o.millis,
                };
                (callback.id, callback.request_id, host, attempt)
            });
        }
        held.append(&mut self.waiting);
        self.waiting = held;
        self.running.len() < self.worker.parallel.max(1) && self.waiting.is_empty()
    }

    /// Records `first` and every other delivery already finished, in one write.
    async fn record(&mut self, first: Done) {
        let mut done = vec![first];
        while let Some(more) = self.running.try_join_next() {
            if let Ok(d) = more {
                done.push(d);
            }
        }
        let mut attempts = Vec::with_capacity(done.len());
        for (id, _, host, attempt) in done {
            if let Some(n) = self.per_host.get_mut(&host) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.per_host.remove(&host);
                }
            }
            attempts.push((id, attempt));
        }
        let ids: Vec<u64> = attempts.iter().map(|(id, _)| *id).collect();
        let db = self.worker.db.clone();
        match tokio::task::spawn_blocking(move || db.record_callback_attempts(attempts)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("callbacks: cannot record the attempts: {e}"),
            Err(_) => tracing::error!("callbacks: cannot record the attempts"),
        }
        // Unclaimed even when the write failed: read again, they are tried again.
        for id in ids {
            self.claimed.remove(&id);
        }
    }

    /// Runs until nothing is due, waiting or running (for the bench).
    async fn drain(&mut self) {
        loop {
            if self.start() {
                self.fetch().await;
                self.start();
            }
            match self.running.join_next().await {
                Some(Ok(d)) => self.record(d).await,
                Some(Err(_)) => {}
                None if self.waiting.is_empty() => return,
                None => {}
            }
        }
    }
}

/// Delivers everything due now and what comes due meanwhile, until the queue has
/// nothing due (the bench's loop; the server runs [`run`]).
pub async fn deliver_due(worker: &Worker) {
    Pump::new(worker.clone()).drain().await;
}

/// Runs until `shutdown` resolves: delivers what is due when woken by [`notify`],
/// every second (the due times follow the app's clock) and as deliveries finish, up
/// to `parallel` at once and `PER_HOST` per host (a slow shop keeps the others
/// waiting no more than its own slots). Pending callbacks left by a stop are due
/// already, so they leave at start. Deliveries cut by the shutdown record nothing:
/// their callbacks stay pending and are sent again after the restart.
pub async fn run(worker: Worker, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut pump = Pump::new(worker);
    let mut look = true;
    loop {
        let woken = READY.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if pump.start() && look {
            pump.fetch().await;
            pump.start();
        }
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = pump.running.join_next(), if !pump.running.is_empty() => {
                if let Ok(d) = done {
                    pump.record(d).await;
                }
                // A finished delivery frees a slot: read more only if none wait.
                look = pump.waiting.is_empty();
            }
            _ = &mut woken => look = true,
            _ = tokio::time::sleep(Duration::from_secs(1)) => look = true,
        }
    }
}

/// What [`bench`] measured.
#[derive(Clone, Debug)]
pub struct BenchFigures {
    pub callbacks: usize,
    pub seconds: f64,
    pub per_second: f64,
}

/// Times the queue draining `n` callbacks to a receiver on 127.0.0.1 that answers
/// `{"status":"OK"}` (a fresh data file in a temporary directory, the worker's
/// rounds as in production), and prints the figure. For `guichet bench`.
pub async fn bench(n: usize) -> Result<BenchFigures, String> {
    use poem::listener::{Acceptor, Listener, TcpListener};
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .map_err(|e| err(&e))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or("the receiver has no address")?;
    let receiver = poem::Route::new().at(
        "/cb",
        poem::post(poem::endpoint::make_sync(|_| r#"{"status":"OK"}"#)),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
            receiver,
            async {
                let _ = stopped.await;
            },
            Some(Duration::from_secs(1)),
        ),
    );
    let dir = tempfile::tempdir().map_err(|e| err(&e))?;
    let db = Db::open(&dir.path().join("callbacks.redb")).map_err(|e| err(&e))?;
    let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
    let now = clock.now().unix_timestamp();
    let body = format!(
        r#"{{"apiVersion":"002.73","status":"Authorized","merchantToken":"q1w2e3r4t5y6u7i8o9p0aA","errorCode":"000","amount":1216,"currency":"EUR","transactions":[],"pad":"{}"}}"#,
        "x".repeat(1200)
    );
    let url = format!("http://{addr}/cb");
    let queue_db = db.clone();
    tokio::task::spawn_blocking(move || -> crate::db::Result<()> {
        let wtx = queue_db.begin_write()?;
        for i in 0..n as u64 {
            crate::db::callbacks::enqueue_in(
                &wtx,
                crate::db::callbacks::NewCallback {
                    merchant_id: 1 + i % 10,
                    request_id: i + 1,
                    url: url.clone(),
                    body: body.clone(),
                    at: now,
                },
            )?;
        }
        wtx.commit()
    })
    .await
    .map_err(|e| err(&e))?
    .map_err(|e| err(&e))?;
    let worker = Worker {
        db: db.clone(),
        clock,
        sender: Sender::new(vec![addr.ip().to_string()], client::TIMEOUT)?,
        parallel: PARALLEL,
    };
    let started = Instant::now();
    deliver_due(&worker).await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = server.await;
    let left = db.pending_callback_count().map_err(|e| err(&e))?;
    let delivered = db
        .callbacks_of_merchant(1, 1)
        .map_err(|e| err(&e))?
        .first()
        .map(|c| c.state);
    if left > 0 || (n > 0 && delivered != Some(crate::domain::callback::CallbackState::Delivered)) {
        return Err(format!("callbacks bench: {left} callbacks not delivered"));
    }
    let figures = BenchFigures {
        callbacks: n,
        seconds,
        per_second: n as f64 / seconds.max(1e-9),
    };
    println!(
        "callbacks  {n} delivered to a local receiver in {seconds:.2} s: {:.0}/s (at most {PER_HOST} in flight to one host; target ≥ 500/s)",
        figures.per_second
    );
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::callbacks::{CallbackState, NewCallback, enqueue_in};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A shop on 127.0.0.1 that reads requests and answers OK, or never answers.
    async fn shop(answers: bool) -> std::net::SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = l.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let _ = sock.read(&mut buf).await;
                    if answers {
                        let body = r#"{"status":"OK"}"#;
                        let _ = sock
                            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                            .await;
                    } else {
                        tokio::time::sleep(Duration::from_secs(120)).await;
                    }
                });
            }
        });
        addr
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shop_that_never_answers_holds_its_own_slots_only() {
        let (slow, fast) = (shop(false).await, shop(true).await);
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        let clock = Arc::new(crate::clock::FakeClock::new(
            time::macros::datetime!(2026-06-01 10:00 UTC),
        ));
        let at = clock.now().unix_timestamp();
        let wtx = db.begin_write().unwrap();
        let mut slow_ids = Vec::new();
        for i in 0..40 {
            let url = format!("http://localhost:{}/cb", slow.port());
            let c = NewCallback {
                merchant_id: 1,
                request_id: i,
                url,
                body: "{}".into(),
                at,
            };
            slow_ids.push(enqueue_in(&wtx, c).unwrap());
        }
        let url = format!("http://127.0.0.1:{}/cb", fast.port());
        let c = NewCallback {
            merchant_id: 2,
            request_id: 99,
            url,
            body: "{}".into(),
            at,
        };
        let fast_id = enqueue_in(&wtx, c).unwrap();
        wtx.commit().unwrap();
        let worker = Worker {
            db: db.clone(),
            clock,
            sender: Sender::new(
                vec!["localhost".into(), "127.0.0.1".into()],
                Duration::from_secs(60),
            )
            .unwrap(),
            parallel: PARALLEL,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(run(worker, async {
            let _ = stopped.await;
        }));
        let deadline = Instant::now() + Duration::from_secs(20);
        while db.callback(fast_id).unwrap().unwrap().state != CallbackState::Delivered {
            assert!(
                Instant::now() < deadline,
                "the fast shop's callback waits behind the slow one"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for id in slow_ids {
            assert!(db.callback(id).unwrap().unwrap().attempts.is_empty());
        }
        let _ = stop.send(());
        running.await.unwrap();
        // Cut by the stop, the slow shop's callbacks are still pending.
        assert_eq!(db.pending_callback_count().unwrap(), 40);
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_bench_drains_every_callback_it_queues() {
        let n: usize = std::env::var("GUICHET_CALLBACK_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        let figures = super::bench(n).await.unwrap();
        assert_eq!(figures.callbacks, n);
        assert!(figures.per_second > 0.0);
    }
}
