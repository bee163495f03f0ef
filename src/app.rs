//! The application: state, bootstrap, and THE one route table.

use std::sync::Arc;

use poem::endpoint::EmbeddedFilesEndpoint;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, CookieJarManager};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, Server, get, post,
};
use rust_embed::RustEmbed;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::gateway::Gateway;
use crate::handlers::{
    AppState, Ctx, audit, auth, emails, export, home, merchants, middleware, operations, pay,
    payment_requests, profile, second_factor, terminal, transactions, users,
};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// Every route of the product.
pub fn routes(state: AppState) -> impl poem::Endpoint {
    let back_office = Route::new()
        .at("/", get(home::home))
        .at("/transactions", get(transactions::transactions_list))
        .at("/transactions/export", get(export::transactions_export))
        .at("/transactions/:id", get(transactions::transaction_detail))
        .at(
            "/transactions/:id/tab/:tab",
            get(transactions::transaction_tab),
        )
        .at("/transactions/:id/notes", post(transactions::note_create))
        .at(
            "/transactions/:id/operations/:op",
            get(operations::operation_confirm).post(operations::operation_run),
        )
        .at(
            "/terminal",
            get(terminal::terminal_form).post(terminal::terminal_submit),
        )
        .at("/payment-requests", get(payment_requests::requests_list))
        .at(
            "/payment-requests/:id",
            get(payment_requests::request_detail),
        )
        .at(
            "/payment-requests/:id/resend",
            post(payment_requests::request_resend),
        )
        .at(
            "/payment-requests/:id/new-link",
            post(payment_requests::request_new_link),
        )
        .at(
            "/payment-requests/:id/cancel",
            get(payment_requests::request_cancel_confirm).post(payment_requests::request_cancel),
        )
        .at("/parameters", get(profile::parameters_home))
        .at("/parameters/profile", get(profile::profile_page))
        .at(
            "/parameters/profile/password",
            post(profile::profile_password),
        )
        .at(
            "/parameters/profile/second-factor/disable",
            post(second_factor::profile_disable),
        )
        .at(
            "/parameters/security",
            get(second_factor::security_page).post(second_factor::security_submit),
        )
        .at("/parameters/merchants", get(merchants::merchants_list))
        .at(
            "/parameters/merchants/new",
            get(merchants::merchant_new).post(merchants::merchant_create),
        )
        .at(
            "/parameters/merchants/:id",
            get(merchants::merchant_edit).post(merchants::merchant_update),
        )
        .at(
            "/parameters/merchants/:id/rebill",
            get(merchants::rebill_policy_edit).post(merchants::rebill_policy_update),
        )
        .at("/parameters/users", get(users::users_list))
        .at(
            "/parameters/users/new",
            get(users::user_new).post(users::user_create),
        )
        .at(
            "/parameters/users/:id",
            get(users::user_detail).post(users::user_update),
        )
        .at("/parameters/users/:id/:action", post(users::user_action))
        .at("/parameters/audit", get(audit::audit_list))
        .at("/parameters/emails", get(emails::outbox))
        .around(middleware::gate);
    let app = Route::new()
        .at("/login", get(auth::login_page).post(auth::login_submit))
        .at("/logout", post(auth::logout))
        .at("/lang", post(auth::lang_set))
        .at(
            "/password",
            get(auth::password_page).post(auth::password_submit),
        )
        .at(
            "/login/code",
            get(second_factor::code_page).post(second_factor::code_submit),
        )
        .at("/second-factor", get(second_factor::enrol_page))
        .at("/second-factor/start", post(second_factor::enrol_start))
        .at("/second-factor/confirm", post(second_factor::enrol_confirm))
        .at("/healthz", get(home::health))
        .at("/test-cards", get(pay::test_cards))
        .at(
            "/payment/:token",
            get(pay::payment_page_get).post(pay::payment_submit),
        )
        .at(
            "/payment/:token/3ds/:challenge",
            get(pay::challenge_get).post(pay::challenge_submit),
        )
        .at("/payment/:token/abandon", post(pay::abandon))
        .at("/payment/:token/result/:tx", get(pay::result))
        .nest("/static", EmbeddedFilesEndpoint::<Static>::new())
        .nest("/", back_office);
    guarded(app, state)
}

/// What the panic safety net found: the panic's message, made safe for the log.
#[derive(Clone)]
struct Panicked(String);

/// The message a panic carries (`panic!("…")`, `expect("…")`, slicing errors).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    crate::domain::text::log_safe_max(text, 300)
}

/// Replaces the default panic printer, which writes the raw message (and the user text
/// it may quote, line breaks included) to stderr, with one escaped and cut log line.
pub fn log_panics_safely() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = panic_message(info.payload());
        tracing::error!(%location, "panic: {message}");
    }));
}

/// Turns the marker left by the inner `CatchPanic` into the 500 error page of the
/// request's language, logged with its id like any internal error.
async fn panic_page<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let ctx = req.extensions().get::<Ctx>().cloned();
    let resp = ep.call(req).await?.into_response();
    match (resp.extensions().get::<Panicked>(), ctx) {
        (Some(Panicked(message)), Some(ctx)) => {
            Err(ctx.internal(&format!("a handler panicked: {message}")))
        }
        _ => Ok(resp),
    }
}

/// Wraps `ep` in what every response needs: the request context (language, session,
/// CSRF check, security headers), the cookie jar, and a safety net: a panic in a
/// handler becomes the 500 error page (its id and cause in the log, the security
/// headers on it) instead of a dropped connection. A panic outside the handlers (in
/// the middleware itself) still gets a plain 500 with the security headers.
pub fn guarded<E: Endpoint + 'static>(ep: E, state: AppState) -> impl Endpoint {
    let inner = CatchPanic::new().with_handler(|payload: Box<dyn std::any::Any + Send>| {
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .extension(Panicked(panic_message(payload.as_ref())))
            .finish()
    });
    let hsts = state.config.secure_cookies();
    let outer = CatchPanic::new().with_handler(move |payload: Box<dyn std::any::Any + Send>| {
        let message = panic_message(payload.as_ref());
        tracing::error!("a request panicked outside its handler: {message}");
        middleware::with_security_headers(
            "Erreur interne / Internal error"
                .with_status(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response(),
            hsts,
        )
    });
    ep.with(inner)
        .around(panic_page)
        .around(move |ep, req| middleware::context(ep, req, state.clone()))
        .with(CookieJarManager::new())
        .with(outer)
}

/// A built application, ready to serve.
pub struct App {
    pub state: AppState,
}

impl App {
    /// Opens the data file and prepares the state. Blocking.
    pub fn build(config: Config, clock: Arc<dyn Clock>) -> Result<App, crate::db::Error> {
        let key_file = crate::keys::resolve(&config.data, config.key_file.as_deref());
        let db = Db::open_keyed(&config.data, &key_file, crate::db::CACHE_BYTES)?;
        App::with_db(db, config, clock)
    }

    /// The application on an already open data file.
    pub fn with_db(db: Db, config: Config, clock: Arc<dyn Clock>) -> Result<App, crate::db::Error> {
        let csrf_key = db.keys().csrf_key;
        let acquirer: Arc<dyn crate::acquirer::Acquirer> =
            Arc::new(crate::acquirer::Simulator::default());
        let gateway = Gateway::new(
            db.clone(),
            clock.clone(),
            acquirer,
            config.base_url.clone(),
            config.max_attempts,
            config.smtp.is_some(),
        )?;
        let door = Arc::new(crate::auth::throttle::Door::new(config.sign_in));
        let exports = Arc::new(crate::handlers::export::ExportSlots::new(
            config.exports_per_user,
            config.exports_total,
        ));
        Ok(App {
            state: AppState {
                db,
                clock,
                config: Arc::new(config),
                csrf_key,
                gateway: Arc::new(gateway),
                door,
                exports,
                once_links: Arc::default(),
            },
        })
    }

    /// Serves on an already bound acceptor until `shutdown` resolves.
    pub async fn serve<A: Acceptor + 'static>(
        self,
        acceptor: A,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopping = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let worker = tokio::spawn(crate::mail::worker::run(
            self.state.gateway.clone(),
            self.state.config.clone(),
            stopping(),
        ));
        let sweeper = tokio::spawn(crate::mail::worker::sweeper(
            self.state.gateway.clone(),
            stopping(),
        ));
        let door = self.state.door.clone();
        let door_stop = stopping();
        let sweep_door = tokio::spawn(async move {
            tokio::pin!(door_stop);
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tick.tick() => door.sweep(),
                    () = &mut door_stop => break,
                }
            }
        });
        let housekeeper = tokio::spawn(housekeeping(
            self.state.db.clone(),
            self.state.clock.clone(),
            stopping(),
        ));
        let ep = routes(self.state).into_endpoint();
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(ep, shutdown, Some(std::time::Duration::from_secs(10)))
            .await;
        let _ = stop.send(true);
        let _ = worker.await;
        let _ = sweeper.await;
        let _ = sweep_door.await;
        let _ = housekeeper.await;
        served
    }

    /// Binds `addr` (port 0 picks a free one) and returns the acceptor with its address.
    pub async fn bind(
        addr: std::net::SocketAddr,
    ) -> std::io::Result<(impl Acceptor, std::net::SocketAddr)> {
        let acceptor = TcpListener::bind(addr).into_acceptor().await?;
        let local = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| std::io::Error::other("no local address"))?;
        Ok((acceptor, local))
    }
}

/// How often dead sessions and ran-out locks are removed.
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Removes dead sessions (idle, too old, waiting for a code too long) and counters
/// whose lock ran out, every few minutes until `stopping` resolves.
async fn housekeeping(
    db: Db,
    clock: Arc<dyn Clock>,
    stopping: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => return,
            () = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
        }
        let (db, now) = (db.clone(), clock.now());
        let done =
            tokio::task::spawn_blocking(move || crate::auth::second_factor::housekeeping(&db, now))
                .await;
        match done {
            Ok(Ok((sessions, counters))) => {
                tracing::debug!(sessions, counters, "housekeeping");
            }
            Ok(Err(e)) => tracing::warn!("housekeeping: {e}"),
            Err(e) => tracing::warn!("housekeeping: {e}"),
        }
    }
}
