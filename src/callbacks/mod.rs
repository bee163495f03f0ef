//! Callbacks to the shops (issue 13, Connect2Pay §7): the worker that delivers the
//! durable queue of `db::callbacks`, a few at a time, signed, through the guarded
//! client of [`client`]. Queued in the payment's own write transaction
//! (`db::callbacks::enqueue_in`), a callback is tried at once, then after 10 s, 30 s,
//! 2 min, 10 min, 30 min, 1 h and every hour until the shop acknowledges it or three
//! days pass (`domain::callback`). Delivery is at least once: a delivery cut by a
//! stop is tried again after the restart (the `X-Guichet-Callback-Id` header lets the
//! shop see a repeat).

pub mod client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::db::callbacks::{CallbackAttempt, Due};

pub use client::{Outcome, Sender};

/// Callbacks read per round (the attempts of a round are recorded in one write).
pub const BATCH: usize = 256;
/// Deliveries in flight at once.
pub const PARALLEL: usize = 16;

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

/// Delivers the callbacks due now (at most `BATCH`), `parallel` at a time, and
/// records every attempt. Returns how many were tried.
pub async fn deliver_due(worker: &Worker) -> usize {
    let now = worker.clock.now().unix_timestamp();
    let db = worker.db.clone();
    let due = match tokio::task::spawn_blocking(move || db.due_callbacks(now, BATCH)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            tracing::error!("callbacks: cannot read the queue: {e}");
            return 0;
        }
        Err(_) => return 0,
    };
    if due.is_empty() {
        return 0;
    }
    let tried = due.len();
    let slots = Arc::new(tokio::sync::Semaphore::new(worker.parallel.max(1)));
    let mut running = tokio::task::JoinSet::new();
    for Due { callback, secret } in due {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let sender = worker.sender.clone();
        let clock = worker.clock.clone();
        running.spawn(async move {
            let at = clock.now().unix_timestamp();
            let o = sender
                .deliver(callback.id, &callback.url, &callback.body, &secret, at)
                .await;
            drop(slot);
            (callback, at, o)
        });
    }
    let mut attempts = Vec::with_capacity(tried);
    while let Some(done) = running.join_next().await {
        let Ok((callback, at, o)) = done else {
            continue;
        };
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
        attempts.push((
            callback.id,
            CallbackAttempt {
                at,
                http_status: o.http_status,
                error: o.error,
                millis: o.millis,
            },
        ));
    }
    let db = worker.db.clone();
    match tokio::task::spawn_blocking(move || db.record_callback_attempts(attempts)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!("callbacks: cannot record the attempts: {e}"),
        Err(_) => tracing::error!("callbacks: cannot record the attempts"),
    }
    tried
}

/// Runs until `shutdown` resolves: delivers what is due when woken by [`notify`] and
/// every second (the due times follow the app's clock). Pending callbacks left by a
/// stop are due already, so they leave at start. A round cut by the shutdown records
/// nothing: its callbacks stay pending and are tried again after the restart.
pub async fn run(worker: Worker, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let woken = READY.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let tried = tokio::select! {
            _ = &mut shutdown => break,
            n = deliver_due(&worker) => n,
        };
        if tried >= BATCH {
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = &mut woken => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
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
    while deliver_due(&worker).await > 0 {}
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
        "callbacks  {n} delivered to a local receiver in {seconds:.2} s: {:.0}/s ({PARALLEL} in flight, {BATCH} per recorded round; target ≥ 500/s)",
        figures.per_second
    );
    Ok(figures)
}

#[cfg(test)]
mod tests {
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
