//! The application: state, bootstrap, and THE one route table.

use std::sync::Arc;

use poem::endpoint::EmbeddedFilesEndpoint;
use poem::http::StatusCode;
use poem::listener::{Acceptor, AcceptorExt, Listener, TcpListener};
use poem::middleware::{CatchPanic, CookieJarManager};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, Server};
use rust_embed::RustEmbed;

use crate::clock::Clock;
use crate::config::Config;
use crate::connection::CuttableAcceptor;
use crate::db::Db;
use crate::domain::permission::{Access, Permission};
use crate::gateway::Gateway;
use crate::handlers::guard::{RouteSpec, Table, get, post};
use crate::handlers::{
    AppState, Ctx, api_credentials, audit, auth, authorizations, backups, blacklist, callbacks,
    chargebacks, email_templates, emails, export, home, merchants, middleware, operations, pay,
    payment_requests, profile, restrictions, second_factor, statistics, support, support_contacts,
    system, terminal, transactions, users, welcome,
};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The back office: every route with the access it needs, declared next to its path.
/// This table is the authorization matrix (walked route × role by `tests/it/routes.rs`).
pub fn back_office() -> Table {
    use Permission::{Admin, Export, ManageUsers, Operate, View, VirtualTerminal};
    const SIGNED_IN: Access = Access::SignedIn;
    const VIEW: Access = Access::All(&[View]);
    const EXPORT: Access = Access::All(&[View, Export]);
    const OPERATE: Access = Access::All(&[View, Operate]);
    const TERMINAL: Access = Access::All(&[VirtualTerminal]);
    const REQUESTS: Access = Access::Any(&[View, VirtualTerminal]);
    const MANAGE_USERS: Access = Access::All(&[ManageUsers]);
    const ADMIN: Access = Access::All(&[Admin]);
    const BLACKLIST: Access = Access::Any(&[View, ManageUsers]);
    const BLACKLIST_TAB: Access = Access::All(&[View, ManageUsers]);
    Table::new()
        .at("/", SIGNED_IN, get(home::home))
        .at("/home", VIEW, get(home::dashboard))
        .at("/transactions", VIEW, get(transactions::transactions_list))
        .at("/search", VIEW, get(transactions::global_search))
        .at("/statistics", VIEW, get(statistics::statistics_page))
        .at(
            "/statistics/export",
            EXPORT,
            get(statistics::statistics_export),
        )
        .at(
            "/authorizations",
            VIEW,
            get(authorizations::authorizations_list),
        )
        .at(
            "/transactions/export",
            EXPORT,
            get(export::transactions_export),
        )
        .at(
            "/transactions/:id",
            VIEW,
            get(transactions::transaction_detail),
        )
        .at(
            "/transactions/:id/tab/:tab",
            VIEW,
            get(transactions::transaction_tab),
        )
        .at(
            "/transactions/:id/notes",
            VIEW,
            post(transactions::note_create),
        )
        .at(
            "/transactions/:id/blacklist",
            BLACKLIST_TAB,
            post(blacklist::transaction_blacklist_add),
        )
        .at(
            "/transactions/:id/operations/:op",
            OPERATE,
            get(operations::operation_confirm).post(operations::operation_run),
        )
        .at(
            "/transactions/:id/chargeback",
            ADMIN,
            get(chargebacks::chargeback_confirm).post(chargebacks::chargeback_record),
        )
        .at(
            "/terminal",
            TERMINAL,
            get(terminal::terminal_form).post(terminal::terminal_submit),
        )
        .at(
            "/payment-requests",
            REQUESTS,
            get(payment_requests::requests_list),
        )
        .at(
            "/payment-requests/:id",
            REQUESTS,
            get(payment_requests::request_detail),
        )
        .at(
            "/payment-requests/:id/resend",
            TERMINAL,
            post(payment_requests::request_resend),
        )
        .at(
            "/payment-requests/:id/new-link",
            TERMINAL,
            post(payment_requests::request_new_link),
        )
        .at(
            "/payment-requests/:id/cancel",
            TERMINAL,
            get(payment_requests::request_cancel_confirm).post(payment_requests::request_cancel),
        )
        .at("/support", SIGNED_IN, get(support::support_list))
        .at(
            "/support/new",
            SIGNED_IN,
            get(support::ticket_new).post(support::ticket_create),
        )
        .at(
            "/support/:id",
            SIGNED_IN,
            get(support::ticket_thread).post(support::ticket_answer),
        )
        .at("/support/:id/state", ADMIN, post(support::ticket_state))
        .at("/parameters", SIGNED_IN, get(profile::parameters_home))
        .at("/parameters/profile", SIGNED_IN, get(profile::profile_page))
        .at(
            "/parameters/profile/password",
            SIGNED_IN,
            post(profile::profile_password),
        )
        .at(
            "/parameters/profile/time-zone",
            SIGNED_IN,
            post(profile::profile_time_zone),
        )
        .at(
            "/parameters/profile/email",
            SIGNED_IN,
            post(profile::profile_email),
        )
        .at(
            "/parameters/profile/sessions/end-others",
            SIGNED_IN,
            post(profile::profile_end_other_sessions),
        )
        .at(
            "/parameters/profile/second-factor/disable",
            SIGNED_IN,
            post(second_factor::profile_disable),
        )
        .at(
            "/parameters/security",
            ADMIN,
            get(second_factor::security_page).post(second_factor::security_submit),
        )
        .at(
            "/parameters/merchants",
            ADMIN,
            get(merchants::merchants_list),
        )
        .at(
            "/parameters/merchants/new",
            ADMIN,
            get(merchants::merchant_new).post(merchants::merchant_create),
        )
        .at(
            "/parameters/merchants/:id",
            ADMIN,
            get(merchants::merchant_edit).post(merchants::merchant_update),
        )
        .at(
            "/parameters/merchants/:id/settings",
            ADMIN,
            get(merchants::settings_edit).post(merchants::settings_update),
        )
        .at(
            "/parameters/merchants/:id/settings/emails",
            ADMIN,
            post(merchants::email_branding_update),
        )
        .at(
            "/parameters/merchants/:id/rebill",
            ADMIN,
            get(merchants::rebill_policy_edit).post(merchants::rebill_policy_update),
        )
        .at(
            "/parameters/merchants/:id/callbacks",
            MANAGE_USERS,
            get(callbacks::callbacks_page).post(callbacks::callbacks_rotate),
        )
        .at(
            "/parameters/merchants/:id/restrictions",
            ADMIN,
            get(restrictions::restrictions_edit).post(restrictions::restrictions_update),
        )
        .at(
            "/parameters/api",
            MANAGE_USERS,
            get(api_credentials::api_home),
        )
        .at(
            "/parameters/merchants/:id/api",
            MANAGE_USERS,
            get(api_credentials::api_credentials_list).post(api_credentials::api_credential_create),
        )
        .at(
            "/parameters/merchants/:id/api/:credential/revoke",
            MANAGE_USERS,
            get(api_credentials::api_credential_revoke_confirm)
                .post(api_credentials::api_credential_revoke),
        )
        .at(
            "/parameters/restrictions",
            MANAGE_USERS,
            get(restrictions::restrictions_view),
        )
        .at("/parameters/users", MANAGE_USERS, get(users::users_list))
        .at(
            "/parameters/users/new",
            MANAGE_USERS,
            get(users::user_new).post(users::user_create),
        )
        .at(
            "/parameters/users/:id",
            MANAGE_USERS,
            get(users::user_detail).post(users::user_update),
        )
        .at(
            "/parameters/users/:id/:action",
            MANAGE_USERS,
            post(users::user_action),
        )
        .at(
            "/parameters/blacklist",
            BLACKLIST,
            get(blacklist::blacklist_list),
        )
        .at(
            "/parameters/blacklist/new",
            MANAGE_USERS,
            post(blacklist::blacklist_add),
        )
        .at(
            "/parameters/blacklist/:id/remove",
            MANAGE_USERS,
            get(blacklist::blacklist_remove_confirm).post(blacklist::blacklist_remove),
        )
        .at("/parameters/audit", ADMIN, get(audit::audit_list))
        .at("/parameters/emails", ADMIN, get(emails::outbox))
        .at(
            "/parameters/support",
            ADMIN,
            get(support_contacts::contacts_edit).post(support_contacts::contacts_update),
        )
        .at(
            "/parameters/emails/templates",
            ADMIN,
            get(email_templates::templates_page),
        )
        .at(
            "/parameters/emails/templates/:template",
            ADMIN,
            get(email_templates::template_edit).post(email_templates::template_save),
        )
        .at(
            "/parameters/emails/templates/:template/preview",
            ADMIN,
            post(email_templates::template_preview),
        )
        .at(
            "/parameters/emails/templates/:template/test",
            ADMIN,
            post(email_templates::template_test),
        )
        .at(
            "/parameters/emails/templates/:template/reset",
            ADMIN,
            get(email_templates::template_reset_confirm).post(email_templates::template_reset),
        )
        .at(
            "/parameters/backups",
            ADMIN,
            get(backups::backups_page).post(backups::backup_now),
        )
        .at("/parameters/system", ADMIN, get(system::system_page))
}

/// What the route table declares, for the route × role test.
pub fn back_office_routes() -> Vec<RouteSpec> {
    back_office().specs().to_vec()
}

/// Every route of the product.
pub fn routes(state: AppState) -> impl poem::Endpoint {
    let back_office = back_office().into_route().around(middleware::gate);
    let app = Route::new()
        .at(
            "/login",
            poem::get(auth::login_page).post(auth::login_submit),
        )
        .at("/logout", poem::post(auth::logout))
        .at("/lang", poem::post(auth::lang_set))
        .at(
            "/password",
            poem::get(auth::password_page).post(auth::password_submit),
        )
        .at(
            "/welcome/:token",
            poem::get(welcome::welcome_page).post(welcome::welcome_submit),
        )
        .at(
            "/login/code",
            poem::get(second_factor::code_page).post(second_factor::code_submit),
        )
        .at("/second-factor", poem::get(second_factor::enrol_page))
        .at(
            "/second-factor/start",
            poem::post(second_factor::enrol_start),
        )
        .at(
            "/second-factor/confirm",
            poem::post(second_factor::enrol_confirm),
        )
        .at("/healthz", poem::get(home::health))
        .at("/readyz", poem::get(system::readyz))
        .at("/metrics", poem::get(system::metrics))
        .at("/test-cards", poem::get(pay::test_cards))
        .at(
            "/payment/:token",
            poem::get(pay::payment_page_get).post(pay::payment_submit),
        )
        .at(
            "/payment/:token/3ds/:challenge",
            poem::get(pay::challenge_get).post(pay::challenge_submit),
        )
        .at("/payment/:token/abandon", poem::post(pay::abandon))
        .at("/payment/:token/result/:tx", poem::get(pay::result))
        .nest("/static", EmbeddedFilesEndpoint::<Static>::new())
        .nest("/", back_office);
    let api = Arc::new(crate::api::endpoint(state.clone()));
    let metrics = state.gateway.metrics.clone();
    guarded(app, state)
        .around(move |site, req| {
            let api = api.clone();
            async move { dispatch(api, site, req).await }
        })
        .around(move |ep, req| crate::observe::requests(ep, req, metrics.clone()))
}

/// Merchant API calls to the API's endpoint (no session, no CSRF: HTTP Basic),
/// everything else to the site.
async fn dispatch<A: Endpoint, S: Endpoint>(
    api: Arc<A>,
    site: Arc<S>,
    req: Request,
) -> poem::Result<Response> {
    if crate::api::is_api(&req) {
        api.call(req).await.map(IntoResponse::into_response)
    } else {
        site.call(req).await.map(IntoResponse::into_response)
    }
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

/// What keeps the HTTPS certificate fresh.
enum Renewal {
    /// The files of `--tls-cert`/`--tls-key`, read again on SIGHUP or a change.
    Files(crate::tls::Watcher),
    /// ACME: obtained, kept and renewed.
    Acme(crate::acme::Acme),
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
        crate::callbacks::client::use_ring_provider();
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
        )?
        .with_time_zone(config.time_zone.clone());
        // Payments and operations a stop left with the acquirer are written before
        // any request.
        let settled = gateway.settle_pending_payments()? + gateway.settle_pending()?;
        if settled > 0 {
            tracing::warn!(
                settled,
                "operations interrupted by the last stop were settled"
            );
        }
        let door = Arc::new(crate::auth::throttle::Door::new(config.sign_in));
        let backups = Arc::new(crate::backup::Backups::new(
            db.clone(),
            clock.clone(),
            config.backup.clone(),
        ));
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
                api_door: Arc::default(),
                exports,
                once_links: Arc::default(),
                connections: Arc::default(),
                backups,
                probe: Arc::default(),
            },
        })
    }

    /// Serves on an already bound acceptor until `shutdown` resolves. Its
    /// connections can be cut (see `connection`): a failed download ends abnormally.
    pub async fn serve<A: Acceptor + 'static>(
        self,
        acceptor: A,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        // HTTPS: the certificate files (watched for a new certificate), and the
        // plain-HTTP listener that redirects to the HTTPS base URL; checked before
        // anything starts.
        let tls = match (&self.state.config.tls, &self.state.config.acme) {
            (Some(settings), _) => {
                let certificates = Arc::new(
                    crate::tls::Certificates::load(settings.clone())
                        .map_err(std::io::Error::other)?,
                );
                let config = crate::tls::server_config(certificates.clone(), false)
                    .map_err(std::io::Error::other)?;
                Some((
                    config,
                    Renewal::Files(crate::tls::Watcher::new(certificates)),
                ))
            }
            (None, Some(settings)) => {
                let certificates = Arc::new(crate::acme::AcmeCertificates::default());
                let acme = crate::acme::Acme::new(settings.clone(), certificates.clone());
                acme.load_kept();
                let config =
                    crate::tls::server_config(certificates, true).map_err(std::io::Error::other)?;
                Some((config, Renewal::Acme(acme)))
            }
            (None, None) => None,
        };
        let redirect = match self.state.config.http_redirect_addr {
            Some(addr) => Some(
                App::bind(addr)
                    .await
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
                    })?
                    .0,
            ),
            None => None,
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopping = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let outbox = crate::mail::worker::Outbox {
            db: self.state.db.clone(),
            clock: self.state.clock.clone(),
            ready: self.state.gateway.mail_ready.clone(),
        };
        let worker = tokio::spawn(crate::mail::worker::run(
            outbox,
            self.state.config.clone(),
            stopping(),
        ));
        // Callbacks to the shops: queued with the payments, sent and retried here.
        let callbacks = match crate::callbacks::Worker::new(
            self.state.db.clone(),
            self.state.clock.clone(),
            &self.state.config,
        ) {
            Ok(w) => Some(tokio::spawn(crate::callbacks::run(w, stopping()))),
            Err(e) => {
                tracing::error!("callbacks cannot be sent: {e}");
                None
            }
        };
        // Abandoned challenges every 30 s; dead sessions and ran-out locks every 5 min.
        let sweeper = tokio::spawn(crate::gateway::sweeper::run(
            self.state.gateway.clone(),
            self.state.config.retention,
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
        // Scheduled backups, and the control socket `guichet backup` asks.
        let schedule = tokio::spawn(self.state.backups.clone().run_schedule(stopping()));
        let control = self.state.config.control_socket.then(|| {
            tokio::spawn(crate::backup::control::serve(
                self.state.db.path().to_path_buf(),
                self.state.backups.clone(),
                stopping(),
            ))
        });
        let (acceptor, watcher) = match tls {
            Some((config, renewal)) => (
                crate::tls::TlsAcceptor::new(acceptor, config).boxed(),
                Some(match renewal {
                    Renewal::Files(watcher) => tokio::spawn(watcher.run(stopping())),
                    Renewal::Acme(acme) => tokio::spawn(acme.run(stopping())),
                }),
            ),
            None => (acceptor.boxed(), None),
        };
        let redirect = redirect.map(|plain| {
            let base = self.state.config.base_url.clone();
            tokio::spawn(crate::tls::serve_redirect(plain, base, stopping()))
        });
        let acceptor = CuttableAcceptor::new(acceptor, self.state.connections.clone());
        let ep = routes(self.state).into_endpoint();
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(ep, shutdown, Some(std::time::Duration::from_secs(10)))
            .await;
        let _ = stop.send(true);
        let _ = worker.await;
        if let Some(c) = callbacks {
            let _ = c.await;
        }
        let _ = sweeper.await;
        let _ = sweep_door.await;
        let _ = schedule.await;
        if let Some(c) = control {
            let _ = c.await;
        }
        if let Some(w) = watcher {
            let _ = w.await;
        }
        if let Some(r) = redirect {
            let _ = r.await;
        }
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
