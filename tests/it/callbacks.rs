//! Callbacks to the shop (issue 13, Connect2Pay §7): queued in the payment's write
//! transaction, POSTed signed to a receiver on 127.0.0.1, retried with back-off on
//! the app's clock until the shop says OK, across a restart; never sent to the
//! appliance's own network unless an admin allowed the host; shown with each attempt
//! on the merchant's callbacks page.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use guichet::app::App;
use guichet::clock::{Clock, FakeClock};
use guichet::config::Config;
use guichet::db::Db;
use guichet::db::callbacks::{Callback, CallbackState, NewCallback, enqueue_in};
use guichet::domain::user::Permissions;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use sha2::Sha256;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{spawn_app, spawn_app_with};

/// What the receiver answers to one request.
#[derive(Clone, Copy)]
pub(crate) enum Reply {
    Http(u16, &'static str),
    /// Reads the request, then closes the connection without a word.
    Close,
}

const OK: Reply = Reply::Http(200, r#"{"status":"OK","message":"Status recorded."}"#);

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Got {
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
}

/// A tiny HTTP/1.1 shop on 127.0.0.1: answers its script in order, then OK.
pub(crate) struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub(crate) async fn start(script: &[Reply]) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let seen = got.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (seen, script) = (seen.clone(), script.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut sock).await else {
                        return;
                    };
                    seen.lock().unwrap().push(request);
                    let reply = script.lock().unwrap().pop_front().unwrap_or(OK);
                    if let Reply::Http(status, body) = reply {
                        let answer = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = sock.write_all(answer.as_bytes()).await;
                        let _ = sock.shutdown().await;
                    }
                });
            }
        });
        Receiver { addr, got }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/shop/callback?order=42", self.addr)
    }

    pub(crate) fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Got> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    assert!(
        head.starts_with("POST /shop/callback?order=42 HTTP/1.1"),
        "{head}"
    );
    Some(Got {
        headers,
        body: String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string(),
    })
}

const BODY: &str = r#"{"apiVersion":"002.73","status":"Authorized","merchantToken":"q1w2e3r4t5y6u7i8o9p0aA","errorCode":"000","transactions":[]}"#;

/// Queues a callback as the payment flow does: in a write transaction, then wakes
/// the worker.
fn queue(db: &Db, merchant_id: u64, request_id: u64, url: &str, at: i64) -> u64 {
    let wtx = db.begin_write().unwrap();
    let id = enqueue_in(
        &wtx,
        NewCallback {
            merchant_id,
            request_id,
            url: url.into(),
            body: BODY.into(),
            at,
        },
    )
    .unwrap();
    wtx.commit().unwrap();
    guichet::callbacks::notify();
    id
}

/// Waits (20 s at most) until callback `id` satisfies `done`.
pub(crate) async fn wait_for(
    db: &Db,
    id: u64,
    what: &str,
    done: impl Fn(&Callback) -> bool,
) -> Callback {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let cb = db.callback(id).unwrap().unwrap();
        if done(&cb) {
            return cb;
        }
        assert!(Instant::now() < deadline, "{what}: {cb:#?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Moves the clock on and wakes the worker.
fn advance(clock: &FakeClock, seconds: i64) {
    clock.advance(time::Duration::seconds(seconds));
    guichet::callbacks::notify();
}

/// The signature a shop computes from the headers and the body it got.
fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v1={hex}")
}

/// An app of its own on `data` (to stop it and start another on the same file).
async fn start_app(
    data: &std::path::Path,
    clock: &FakeClock,
) -> (
    Db,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (acceptor, addr) = App::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut config = Config::new(addr, data.to_path_buf(), None).unwrap();
    config.callback_allow_hosts = vec!["127.0.0.1".into()];
    let app = App::build(config, Arc::new(clock.clone())).unwrap();
    let db = app.state.db.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        app.serve(acceptor, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (db, stop, served)
}

#[tokio::test]
async fn a_callback_is_signed_retried_with_back_off_until_the_shop_says_ok_and_survives_a_restart()
{
    let receiver = Receiver::start(&[
        Reply::Http(
            500,
            r#"{"status":"KO","message":"Error when recording status."}"#,
        ),
        Reply::Http(200, r#"{"status":"KO","message":"unknown order"}"#),
        Reply::Close,
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let clock = FakeClock::new(datetime!(2026-06-01 10:00 UTC));
    let t0 = clock.now().unix_timestamp();

    let (db, stop, served) = start_app(&data, &clock).await;
    let id = queue(&db, 7, 42, &receiver.url(), t0);
    let cb = wait_for(&db, id, "first attempt", |c| c.attempts.len() == 1).await;
    assert_eq!(cb.attempts[0].http_status, Some(500));
    assert_eq!(cb.attempts[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!((cb.state, cb.next_at), (CallbackState::Pending, t0 + 10));
    // Not due yet: nothing more is sent.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.got().len(), 1);

    advance(&clock, 10);
    let cb = wait_for(&db, id, "second attempt", |c| c.attempts.len() == 2).await;
    assert_eq!(cb.attempts[1].http_status, Some(200));
    assert_eq!(
        cb.attempts[1].error.as_deref(),
        Some("the shop answered status KO: unknown order")
    );
    assert_eq!(cb.next_at, t0 + 10 + 30);

    // The appliance stops between two attempts and starts again on the same file.
    drop(db);
    stop.send(()).unwrap();
    served.await.unwrap();
    let (db, stop, served) = start_app(&data, &clock).await;
    assert_eq!(db.pending_callback_count().unwrap(), 1);

    advance(&clock, 30);
    let cb = wait_for(&db, id, "third attempt", |c| c.attempts.len() == 3).await;
    assert_eq!(cb.attempts[2].http_status, None);
    let closed = cb.attempts[2].error.clone().unwrap_or_default();
    assert!(closed.contains("connection closed"), "{closed}");
    assert_eq!(cb.next_at, t0 + 10 + 30 + 120);

    advance(&clock, 120);
    let cb = wait_for(&db, id, "acknowledged", |c| {
        c.state == CallbackState::Delivered
    })
    .await;
    assert_eq!(cb.attempts.len(), 4);
    assert_eq!(
        cb.attempts.iter().filter(|a| a.error.is_none()).count(),
        1,
        "exactly one acknowledged attempt"
    );
    assert_eq!(db.pending_callback_count().unwrap(), 0);
    assert_eq!(db.callbacks_of_request(42).unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    // Four deliveries, each the same body, signed with the merchant's secret at the
    // app's time, with the same callback id.
    let got = receiver.got();
    assert_eq!(got.len(), 4);
    let secret = db.callback_secret(7).unwrap().unwrap().secret;
    let times = [t0, t0 + 10, t0 + 40, t0 + 160];
    for (g, at) in got.iter().zip(times) {
        assert_eq!(g.body, BODY);
        assert_eq!(g.headers["content-type"], "application/json");
        assert_eq!(g.headers["x-guichet-callback-id"], id.to_string());
        let ts = &g.headers["x-guichet-timestamp"];
        assert_eq!(ts, &at.to_string());
        assert_eq!(
            g.headers["x-guichet-signature"],
            expected_signature(&secret, ts, &g.body)
        );
    }
    assert!(db.check().unwrap().is_ok());
    drop(db);
    stop.send(()).unwrap();
    served.await.unwrap();
}

#[tokio::test]
async fn the_php_examples_double_answer_and_a_plain_2xx_acknowledge_a_callback() {
    let receiver = Receiver::start(&[
        Reply::Http(
            200,
            r#"{"status":"OK","message":"Status recorded"}{"status":"KO","message":"Error"}"#,
        ),
        Reply::Http(200, "thanks"),
    ])
    .await;
    let app = spawn_app_with(|c| c.callback_allow_hosts = vec!["127.0.0.1".into()]).await;
    let at = app.clock.now().unix_timestamp();
    let a = queue(&app.db, 1, 1, &receiver.url(), at);
    let b = queue(&app.db, 1, 2, &receiver.url(), at);
    for id in [a, b] {
        let cb = wait_for(&app.db, id, "acknowledged", |c| {
            c.state == CallbackState::Delivered
        })
        .await;
        assert_eq!(cb.attempts.len(), 1);
    }
}

#[tokio::test]
async fn callbacks_to_loopback_private_link_local_and_metadata_addresses_are_refused_unless_allowed()
 {
    let receiver = Receiver::start(&[]).await;
    let port = receiver.addr.port();
    let app = spawn_app().await;
    let at = app.clock.now().unix_timestamp();
    let cases = [
        (
            format!("http://127.0.0.1:{port}/shop/callback?order=42"),
            "loopback address",
        ),
        (
            format!("http://[::1]:{port}/shop/callback?order=42"),
            "loopback address",
        ),
        (
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "cloud metadata address",
        ),
        ("http://10.0.0.1/callback".to_string(), "private address"),
        (
            "http://[::ffff:10.0.0.1]/callback".to_string(),
            "private address",
        ),
        (
            format!("http://localhost:{port}/shop/callback?order=42"),
            "loopback address",
        ),
    ];
    let ids: Vec<u64> = cases
        .iter()
        .enumerate()
        .map(|(i, (url, _))| queue(&app.db, 1, i as u64 + 1, url, at))
        .collect();
    for (id, (url, why)) in ids.iter().zip(&cases) {
        let cb = wait_for(&app.db, *id, url, |c| !c.attempts.is_empty()).await;
        let error = cb.attempts[0].error.clone().unwrap_or_default();
        assert!(
            error.starts_with("refused: ") && error.contains(why),
            "{url}: {error}"
        );
        assert!(error.contains("--callback-allow-host"), "{error}");
        assert_eq!(cb.attempts[0].http_status, None);
        assert_eq!(cb.state, CallbackState::Pending, "{url}");
    }
    assert!(receiver.got().is_empty(), "nothing reached the receiver");

    // Allowed by name, the same shop is reached (the name resolves to loopback).
    let allowed = spawn_app_with(|c| c.callback_allow_hosts = vec!["localhost".into()]).await;
    let at = allowed.clock.now().unix_timestamp();
    let id = queue(
        &allowed.db,
        1,
        1,
        &format!("http://localhost:{port}/shop/callback?order=42"),
        at,
    );
    let cb = wait_for(&allowed.db, id, "acknowledged", |c| {
        c.state == CallbackState::Delivered
    })
    .await;
    assert_eq!(cb.attempts.len(), 1);
    assert_eq!(receiver.got().len(), 1);
}

#[tokio::test]
async fn the_callbacks_page_shows_each_attempt_and_a_new_secret_once_to_the_merchants_managers_only()
 {
    let receiver = Receiver::start(&[Reply::Http(503, "busy")]).await;
    let app = spawn_app_with(|c| c.callback_allow_hosts = vec!["127.0.0.1".into()]).await;
    let atlas = app.merchant("Atlas");
    let other = app.merchant("Other");
    let at = app.clock.now().unix_timestamp();
    let id = queue(&app.db, atlas.id, 42, &receiver.url(), at);
    wait_for(&app.db, id, "first attempt", |c| c.attempts.len() == 1).await;
    let refused = queue(&app.db, atlas.id, 43, "http://10.0.0.1/cb", at);
    wait_for(&app.db, refused, "refused", |c| c.attempts.len() == 1).await;

    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{}/callbacks", atlas.id);
    let (status, page) = admin.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Notifications à la boutique"), "{page}");
    assert!(page.contains("HTTP 503"), "{page}");
    assert!(page.contains("en attente"), "{page}");
    assert!(
        page.contains(&receiver.url().replace('&', "&amp;")),
        "{page}"
    );
    assert!(page.contains("X-Guichet-Signature"), "{page}");
    assert!(
        page.contains("refusée : 10.0.0.1 est une adresse privée"),
        "{page}"
    );
    let (_, edit) = admin
        .page(&format!("/parameters/merchants/{}", atlas.id))
        .await;
    assert!(edit.contains(&path), "the merchant's page links to it");

    // A new secret is shown once, audited, and signs from then on.
    let old = app.db.callback_secret(atlas.id).unwrap().unwrap().secret;
    let r = admin.post(&path, &[("action", "rotate")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = r.text().await.unwrap();
    let new = app.db.callback_secret(atlas.id).unwrap().unwrap().secret;
    assert_ne!(old, new);
    assert!(shown.contains(&new), "{shown}");
    let (_, again) = admin.page(&path).await;
    assert!(!again.contains(&new) && !again.contains(&old));
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(
        audit.contains("Nouveau secret de signature des notifications"),
        "{audit}"
    );
    assert!(!audit.contains(&new));
    let r = admin.post(&path, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.db.callback_secret(atlas.id).unwrap().unwrap().secret,
        new
    );

    // The merchant's user managers see theirs; other merchants' users and users
    // without the permission get 404.
    let manages = Permissions {
        manage_users: true,
        ..Permissions::default()
    };
    app.merchant_user("atlas.manager", atlas.id, manages);
    app.merchant_user("other.manager", other.id, manages);
    app.merchant_user(
        "atlas.viewer",
        atlas.id,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let (status, page) = app.signed_in("atlas.manager").await.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("HTTP 503"));
    let outsider = app.signed_in("other.manager").await;
    assert_eq!(outsider.page(&path).await.0, StatusCode::NOT_FOUND);
    let r = outsider.post(&path, &[("action", "rotate")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.db.callback_secret(atlas.id).unwrap().unwrap().secret,
        new
    );
    let viewer = app.signed_in("atlas.viewer").await;
    assert_eq!(viewer.page(&path).await.0, StatusCode::NOT_FOUND);
    let missing = format!("/parameters/merchants/{}/callbacks", other.id + 100);
    assert_eq!(admin.page(&missing).await.0, StatusCode::NOT_FOUND);
}
