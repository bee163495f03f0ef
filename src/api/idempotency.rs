//! `Idempotency-Key` on the merchant API (issue 13, API-3): a request retried with
//! the same key by the same originator gets the first answer back and acts once, for
//! 24 hours; the same key on a different request is refused with 409.
//!
//! [`once`] wraps a handler's work. Calls with one (originator, key) are serialized by
//! an in-process async lock held from the lookup to the store, so 20 parallel retries
//! run the work once and the 19 others replay its answer. The work runs in a task of
//! its own: a client that hangs up mid-payment does not cancel it, and its answer is
//! still stored for the retry.
//!
//! Stored: answers from 200 to 499 except 408 and 429 (a definitive outcome, with or
//! without an effect). Not stored: 5xx, 408 and 429, which a retry runs again.
//! Replayed: status, `Content-Type` and body (other headers are not kept), plus
//! `Idempotent-Replayed: true`.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{Body, Response};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::db::idempotency::Answer;
use crate::db::{self, Db};

/// The request header that carries the key.
pub const HEADER: &str = "Idempotency-Key";
/// The answer header that marks a replay.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Message of the 400 answer to a malformed key.
pub const BAD_KEY_MESSAGE: &str =
    "The Idempotency-Key header must be 1 to 255 visible ASCII characters";
/// Message of the 409 answer to a key reused on a different request.
pub const CONFLICT_MESSAGE: &str = "This Idempotency-Key was already used with a different request";

/// Locks that serialize the calls of one (originator, key): striped, so memory stays
/// fixed; two keys that share a stripe only wait for each other.
const STRIPES: usize = 1024;
static LOCKS: LazyLock<Vec<Mutex<()>>> =
    LazyLock::new(|| (0..STRIPES).map(|_| Mutex::new(())).collect());

fn lock_of(originator: &str, key: &str) -> &'static Mutex<()> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (originator, key).hash(&mut h);
    &LOCKS[(h.finish() % STRIPES as u64) as usize]
}

/// The key when it is 1 to 255 visible ASCII characters (0x21 to 0x7E), else `None`.
pub fn valid_key(key: &[u8]) -> Option<&str> {
    let ok =
        (1..=MAX_KEY_LEN).contains(&key.len()) && key.iter().all(|b| (0x21..=0x7e).contains(b));
    if ok {
        std::str::from_utf8(key).ok()
    } else {
        None
    }
}

/// SHA-256 of a request: its method (upper-cased), path and body, each length-prefixed
/// so that no two different requests hash the same bytes.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    let method = method.to_ascii_uppercase();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// Whether an answer of this status is kept for the retries.
pub fn is_stored(status: StatusCode) -> bool {
    let s = status.as_u16();
    (200..500).contains(&s) && s != 408 && s != 429
}

/// The API's JSON error: `{"code":"<status>","message":"…"}` with that HTTP status.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "code": status.as_u16().to_string(), "message": message });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// What identifies a request for [`once`].
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The authenticated merchant (the Connect2Pay originator id): keys are per
    /// originator, so two merchants may use the same key.
    pub originator: &'a str,
    /// The raw `Idempotency-Key` header, if the request has one.
    pub key: Option<&'a [u8]>,
    pub method: &'a str,
    /// The path, with its query string if any.
    pub path: &'a str,
    /// The raw request body.
    pub body: &'a [u8],
}

impl<'a> Attempt<'a> {
    /// The attempt of `req` (its method, path and query, and `Idempotency-Key` header)
    /// with the body the handler read and the originator it authenticated.
    pub fn of(req: &'a poem::Request, originator: &'a str, body: &'a [u8]) -> Self {
        Attempt {
            originator,
            key: req.headers().get(HEADER).map(|v| v.as_bytes()),
            method: req.method().as_str(),
            path: req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path(), |p| p.as_str()),
            body,
        }
    }
}

/// Runs `run` once per (originator, key) and replays its answer to retries for 24 h
/// (see the module). Without a key, just runs `run`. A malformed key answers 400, a
/// key reused on a different request 409, both as JSON. `now` is unix seconds.
pub async fn once<F, Fut>(db: &Db, now: i64, attempt: Attempt<'_>, run: F) -> Response
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let Some(raw) = attempt.key else {
        return run().await;
    };
    let Some(key) = valid_key(raw) else {
        return error(StatusCode::BAD_REQUEST, BAD_KEY_MESSAGE);
    };
    let job = Job {
        db: db.clone(),
        now,
        originator: attempt.originator.to_string(),
        key: key.to_string(),
        fingerprint: fingerprint(attempt.method, attempt.path, attempt.body),
    };
    match tokio::spawn(job.run(run)).await {
        Ok(resp) => resp,
        Err(e) => internal(&e),
    }
}

/// One keyed call, owned so that it runs to the end in its own task.
struct Job {
    db: Db,
    now: i64,
    originator: String,
    key: String,
    fingerprint: [u8; 32],
}

impl Job {
    async fn run<F, Fut>(self, run: F) -> Response
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Response>,
    {
        let _guard = lock_of(&self.originator, &self.key).lock().await;
        let found = {
            let (db, o, k, now) = (
                self.db.clone(),
                self.originator.clone(),
                self.key.clone(),
                self.now,
            );
            tokio::task::spawn_blocking(move || db::idempotency::find(&db, &o, &k, now)).await
        };
        match found {
            Ok(Ok(Some(answer))) if answer.fingerprint == self.fingerprint => {
                return replay(answer);
            }
            Ok(Ok(Some(_))) => return error(StatusCode::CONFLICT, CONFLICT_MESSAGE),
            Ok(Ok(None)) => {}
            Ok(Err(e)) if e.is_storage_unavailable() => return super::storage_unavailable(&e),
            Ok(Err(e)) => return internal(&e),
            Err(e) => return internal(&e),
        }

        let resp = run().await;
        if !is_stored(resp.status()) {
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let bytes = match body.into_bytes().await {
            Ok(b) => b,
            Err(e) => return internal(&e),
        };
        let answer = Answer {
            at: self.now,
            fingerprint: self.fingerprint,
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body: bytes.to_vec(),
        };
        let (db, o, k) = (self.db.clone(), self.originator.clone(), self.key.clone());
        let stored =
            tokio::task::spawn_blocking(move || db::idempotency::store(&db, &o, &k, &answer)).await;
        // The work is done: its answer goes out even if it could not be kept.
        match stored {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("idempotency: cannot store an answer: {e}"),
            Err(e) => tracing::error!("idempotency: cannot store an answer: {e}"),
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}

fn replay(answer: Answer) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK))
        .header(REPLAYED_HEADER, "true");
    if !answer.content_type.is_empty() {
        b = b.content_type(answer.content_type);
    }
    b.body(answer.body)
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!("idempotency: {e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error: the request can be retried with the same Idempotency-Key",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_key_is_1_to_255_visible_ascii_characters() {
        assert_eq!(valid_key(b"order-42_retry.1"), Some("order-42_retry.1"));
        assert_eq!(valid_key(b"!~"), Some("!~"));
        assert!(valid_key(&[b'a'; 255]).is_some());
        for bad in [
            &b""[..],
            &[b'a'; 256],
            b"with space",
            b"tab\t",
            b"del\x7f",
            "é".as_bytes(),
        ] {
            assert_eq!(valid_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_changes_with_the_method_the_path_or_the_body() {
        let f = fingerprint("POST", "/payment/create", b"{\"amount\":100}");
        assert_eq!(
            f,
            fingerprint("post", "/payment/create", b"{\"amount\":100}")
        );
        assert_ne!(
            f,
            fingerprint("PUT", "/payment/create", b"{\"amount\":100}")
        );
        assert_ne!(
            f,
            fingerprint("POST", "/payment/prepare", b"{\"amount\":100}")
        );
        assert_ne!(
            f,
            fingerprint("POST", "/payment/create", b"{\"amount\":101}")
        );
        // The parts are length-prefixed: moving bytes across a border changes it.
        assert_ne!(
            fingerprint("POST", "/ab", b"c"),
            fingerprint("POST", "/a", b"bc")
        );
    }

    #[test]
    fn definitive_answers_are_stored_and_retryable_ones_are_not() {
        for s in [200, 201, 400, 402, 403, 404, 409, 422] {
            assert!(is_stored(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [408, 429, 500, 502, 503] {
            assert!(!is_stored(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn an_attempt_reads_the_method_path_query_and_raw_key_of_the_request() {
        let req = poem::Request::builder()
            .method(poem::http::Method::POST)
            .uri(poem::http::Uri::from_static("/payment/create?x=1"))
            .header(HEADER, "abc-123")
            .finish();
        let a = Attempt::of(&req, "102030", b"{}");
        assert_eq!(
            (a.method, a.path, a.originator),
            ("POST", "/payment/create?x=1", "102030")
        );
        assert_eq!(a.key, Some(&b"abc-123"[..]));
        let bare = poem::Request::builder().uri_str("/payment/create").finish();
        assert_eq!(Attempt::of(&bare, "1", b"").key, None);
    }

    const T0: i64 = 1_780_000_000;

    fn attempt<'a>(key: &'a str, body: &'a [u8]) -> Attempt<'a> {
        Attempt {
            originator: "102030",
            key: Some(key.as_bytes()),
            method: "POST",
            path: "/payment/create",
            body,
        }
    }

    /// Work that counts its runs and answers the run number.
    fn work(
        runs: &Arc<AtomicUsize>,
        status: StatusCode,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>> + Send + 'static
    {
        let runs = runs.clone();
        move || {
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Response::builder()
                    .status(status)
                    .content_type("application/json")
                    .body(format!("{{\"code\":\"200\",\"run\":{n}}}"))
            })
        }
    }

    async fn parts(resp: Response) -> (u16, Option<String>, Option<String>, String) {
        let status = resp.status().as_u16();
        let ct = resp.content_type().map(str::to_string);
        let replayed = resp
            .headers()
            .get(REPLAYED_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.into_body().into_string().await.unwrap();
        (status, ct, replayed, body)
    }

    fn temp_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("i.redb")).unwrap();
        (dir, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn twenty_parallel_calls_with_one_key_run_once_and_answer_the_same() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (db, runs) = (db.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                let resp = once(
                    &db,
                    T0,
                    attempt("k-1", b"{\"amount\":100}"),
                    work(&runs, StatusCode::OK),
                )
                .await;
                parts(resp).await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let replays = answers
            .iter()
            .filter(|a| a.2.as_deref() == Some("true"))
            .count();
        assert_eq!(replays, 19);
        for a in &answers {
            assert_eq!(
                (a.0, a.1.as_deref(), a.3.as_str()),
                (
                    200,
                    Some("application/json"),
                    "{\"code\":\"200\",\"run\":1}"
                )
            );
        }
    }

    #[tokio::test]
    async fn the_same_key_on_a_different_body_is_refused_with_409() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        once(
            &db,
            T0,
            attempt("k-2", b"{\"amount\":100}"),
            work(&runs, StatusCode::OK),
        )
        .await;
        let (status, ct, _, body) = parts(
            once(
                &db,
                T0 + 5,
                attempt("k-2", b"{\"amount\":999}"),
                work(&runs, StatusCode::OK),
            )
            .await,
        )
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!((status, ct.as_deref()), (409, Some("application/json")));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "409");
        assert_eq!(v["message"], CONFLICT_MESSAGE);
    }

    #[tokio::test]
    async fn after_24_hours_the_same_key_runs_again() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        let a = attempt("k-3", b"{}");
        once(&db, T0, a, work(&runs, StatusCode::OK)).await;
        let (_, _, replayed, body) =
            parts(once(&db, T0 + 86_399, a, work(&runs, StatusCode::OK)).await).await;
        assert_eq!(
            (replayed.as_deref(), runs.load(Ordering::SeqCst)),
            (Some("true"), 1)
        );
        assert!(body.contains("\"run\":1"));
        let (_, _, replayed, body) =
            parts(once(&db, T0 + 86_400, a, work(&runs, StatusCode::OK)).await).await;
        assert_eq!((replayed, runs.load(Ordering::SeqCst)), (None, 2));
        assert!(body.contains("\"run\":2"));
    }

    #[tokio::test]
    async fn a_server_error_is_not_kept_so_a_retry_runs_again() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        let a = attempt("k-4", b"{}");
        let (status, ..) =
            parts(once(&db, T0, a, work(&runs, StatusCode::SERVICE_UNAVAILABLE)).await).await;
        assert_eq!(status, 503);
        let (status, _, replayed, _) =
            parts(once(&db, T0 + 1, a, work(&runs, StatusCode::OK)).await).await;
        assert_eq!(
            (status, replayed, runs.load(Ordering::SeqCst)),
            (200, None, 2)
        );
        // A business refusal (4xx) is kept like a success.
        let b = attempt("k-5", b"{}");
        once(&db, T0, b, work(&runs, StatusCode::PAYMENT_REQUIRED)).await;
        let (status, _, replayed, _) =
            parts(once(&db, T0 + 1, b, work(&runs, StatusCode::OK)).await).await;
        assert_eq!(
            (status, replayed.as_deref(), runs.load(Ordering::SeqCst)),
            (402, Some("true"), 3)
        );
    }

    #[tokio::test]
    async fn keys_belong_to_their_originator_and_no_key_always_runs() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        let a = attempt("shared", b"{}");
        let b = Attempt {
            originator: "405060",
            ..a
        };
        once(&db, T0, a, work(&runs, StatusCode::OK)).await;
        let (_, _, replayed, _) = parts(once(&db, T0, b, work(&runs, StatusCode::OK)).await).await;
        assert_eq!((replayed, runs.load(Ordering::SeqCst)), (None, 2));
        let none = Attempt { key: None, ..a };
        once(&db, T0, none, work(&runs, StatusCode::OK)).await;
        once(&db, T0, none, work(&runs, StatusCode::OK)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_malformed_key_is_refused_with_400_and_runs_nothing() {
        let (_dir, db) = temp_db();
        let runs = Arc::new(AtomicUsize::new(0));
        let long = "k".repeat(256);
        for key in ["", "has space", long.as_str()] {
            let (status, _, _, body) =
                parts(once(&db, T0, attempt(key, b"{}"), work(&runs, StatusCode::OK)).await).await;
            assert_eq!(status, 400);
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                (v["code"].as_str(), v["message"].as_str()),
                (Some("400"), Some(BAD_KEY_MESSAGE))
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }
}
