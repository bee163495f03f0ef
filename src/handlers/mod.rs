//! Thin poem handlers, the request context they share, and the middleware around them.

pub mod api_credentials;
pub mod audit;
pub mod auth;
pub mod authorizations;
pub mod backups;
pub mod blacklist;
pub mod callbacks;
pub mod chargebacks;
pub mod email_templates;
pub mod emails;
pub mod export;
pub mod guard;
pub mod home;
pub mod keyset;
pub mod merchants;
pub mod middleware;
pub mod operations;
pub mod pay;
pub mod payment_requests;
pub mod profile;
pub mod restrictions;
pub mod second_factor;
pub mod statistics;
pub mod support;
pub mod support_contacts;
pub mod system;
pub mod terminal;
pub mod transactions;
pub mod users;
pub mod welcome;

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Db, Scope};
use crate::domain::Lang;
use crate::domain::text::{log_safe_max, log_safe_path};
use crate::domain::user::User;
use crate::domain::zone::Zone;
use crate::fragments::View;
use crate::pages::error::ErrorKind;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub csrf_key: [u8; 32],
    pub gateway: Arc<crate::gateway::Gateway>,
    /// Rate limits and hashing slots in front of every password check.
    pub door: Arc<crate::auth::throttle::Door>,
    /// Places for exports running at once.
    pub exports: Arc<export::ExportSlots>,
    /// Failure limits, audit pacing and last-use pacing of the merchant API's
    /// credential check (`api::auth`).
    pub api_door: Arc<crate::auth::api_door::ApiDoor>,
    /// Payment links just made, waiting to be shown once.
    pub once_links: Arc<terminal::OnceLinks>,
    /// The open connections, which a failed download cuts.
    pub connections: Arc<crate::connection::Connections>,
    /// Backups: the schedule, "Back up now", the control socket's requests.
    pub backups: Arc<crate::backup::Backups>,
    /// The write probe of `/readyz` and Parameters › System.
    pub probe: Arc<crate::observe::probe::WriteProbe>,
}

/// The signed-in session: the user with the session token that carries them.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub token: String,
    /// A second factor is required and not enrolled yet: only enrolment is open.
    pub must_enrol: bool,
    /// Support tickets the user has not read (the Support tab's count).
    pub unread_tickets: u64,
}

/// The request context, built by the middleware and extracted by handlers.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    pub lang: Lang,
    pub signed: Option<Session>,
    pub csrf: String,
    pub ip: String,
    pub path: String,
    pub htmx: bool,
    /// The request's id (`X-Request-Id`, the reference on error pages).
    pub request_id: String,
}

impl<'a> FromRequest<'a> for Ctx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        req.extensions()
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))
    }
}

impl Ctx {
    pub fn t<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(fr, en)
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.state.clock.now()
    }

    /// The render-only view of this request that pages and fragments take.
    pub fn view(&self) -> View<'_> {
        View {
            lang: self.lang,
            csrf: &self.csrf,
            path: &self.path,
            user: self.user(),
            now: self.now(),
            zone: self.zone(),
            support_unread: self.signed.as_ref().map_or(0, |s| s.unread_tickets),
            request_id: &self.request_id,
        }
    }

    /// The zone this request's dates are read and shown in: the signed-in user's
    /// own choice, else the appliance's.
    pub fn zone(&self) -> &Zone {
        self.user()
            .and_then(|u| u.time_zone.as_ref())
            .unwrap_or(&self.state.config.time_zone)
    }

    /// Today in [`Self::zone`].
    pub fn today(&self) -> time::Date {
        self.zone().today(self.now())
    }

    pub fn user(&self) -> Option<&User> {
        self.signed.as_ref().map(|s| &s.user)
    }

    /// The signed-in user; the gate guarantees one on back-office routes.
    pub fn require_user(&self) -> poem::Result<&User> {
        self.user().ok_or_else(|| self.not_found())
    }

    /// Who does this request's writes: the signed-in user (or nobody), now, from its IP.
    pub fn actor(&self) -> crate::domain::actor::Actor {
        crate::domain::actor::Actor::new(
            self.now().unix_timestamp(),
            self.user().map(|u| u.username.clone()).unwrap_or_default(),
            self.ip.clone(),
        )
    }

    /// What the signed-in user may see.
    pub fn scope(&self) -> Scope {
        match self.user().and_then(User::merchant_id) {
            Some(m) => Scope::Merchant(m),
            None if self.user().is_some_and(User::is_admin) => Scope::Admin,
            // No user: an impossible merchant id, so nothing is visible.
            None => Scope::Merchant(u64::MAX),
        }
    }

    /// Runs blocking storage work off the async executor; `NotFound` becomes the 404
    /// page, other storage errors the 500 page.
    pub async fn db<T, F>(&self, f: F) -> poem::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> db::Result<T> + Send + 'static,
    {
        let db = self.state.db.clone();
        match tokio::task::spawn_blocking(move || f(&db)).await {
            Ok(Ok(v)) => Ok(v),
            // Something this user may not see (another merchant's) is simply absent.
            Ok(Err(db::Error::NotFound)) => Err(self.not_found()),
            Ok(Err(e)) if e.is_storage_unavailable() => Err(self.storage_unavailable(&e)),
            Ok(Err(e)) => Err(self.internal(&e)),
            Err(e) => Err(self.internal(&e)),
        }
    }

    /// Runs blocking gateway work (payments, operations) off the async executor.
    pub async fn gateway<T, F>(&self, f: F) -> poem::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&crate::gateway::Gateway) -> db::Result<T> + Send + 'static,
    {
        let g = self.state.gateway.clone();
        match tokio::task::spawn_blocking(move || f(&g)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.is_storage_unavailable() => Err(self.storage_unavailable(&e)),
            Ok(Err(e)) => Err(self.internal(&e)),
            Err(e) => Err(self.internal(&e)),
        }
    }

    /// Logs the cause with the request's id and answers a page that shows only the id.
    pub fn internal(&self, err: &dyn std::fmt::Display) -> poem::Error {
        let id = self.request_id.clone();
        // The path may hold a payment link's secret, and both may hold typed text.
        let path = log_safe_path(&self.path);
        let cause = log_safe_max(&err.to_string(), 500);
        tracing::error!(error_id = %id, path = %path, "internal error: {cause}");
        let body = crate::pages::error::page(&self.view(), ErrorKind::Internal, &id);
        poem::Error::from_response(
            body.with_status(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response(),
        )
    }

    /// A full disk (or a write that failed earlier, which redb latches until the
    /// service restarts): logged with an id, answered 503 with a page that says so.
    pub fn storage_unavailable(&self, err: &db::Error) -> poem::Error {
        let id = self.request_id.clone();
        let path = log_safe_path(&self.path);
        tracing::error!(error_id = %id, path = %path, "{}", storage_unavailable_log(err));
        let body = crate::pages::error::page(&self.view(), ErrorKind::StorageUnavailable, &id);
        poem::Error::from_response(
            body.with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response(),
        )
    }

    pub fn not_found(&self) -> poem::Error {
        let body = crate::pages::error::page(&self.view(), ErrorKind::NotFound, "");
        poem::Error::from_response(body.with_status(StatusCode::NOT_FOUND).into_response())
    }

    pub fn forbidden(&self) -> poem::Error {
        let body = crate::pages::error::page(&self.view(), ErrorKind::Forbidden, "");
        poem::Error::from_response(body.with_status(StatusCode::FORBIDDEN).into_response())
    }
}

/// A 303 redirect (after a successful POST), or `HX-Redirect` for htmx requests.
pub fn see_other(ctx: &Ctx, to: &str) -> Response {
    if ctx.htmx {
        Response::builder()
            .status(StatusCode::OK)
            .header("HX-Redirect", to)
            .finish()
    } else {
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("Location", to)
            .finish()
    }
}

/// A place among the password-hashing slots (see `auth::throttle`), or the 429 page
/// when every slot and the short queue are taken. Move it into the blocking task.
pub async fn hashing_slot(ctx: &Ctx) -> poem::Result<tokio::sync::OwnedSemaphorePermit> {
    ctx.state.door.slot().await.map_err(|_| {
        let page = crate::pages::error::too_many_page(&ctx.view());
        poem::Error::from_response(
            page.with_status(StatusCode::TOO_MANY_REQUESTS)
                .into_response(),
        )
    })
}

/// Hashes a password off the executor (argon2 takes tens of milliseconds), on one
/// of the bounded hashing slots.
pub async fn hash_blocking(ctx: &Ctx, password: String) -> poem::Result<String> {
    let slot = hashing_slot(ctx).await?;
    match tokio::task::spawn_blocking(move || {
        let _slot = slot;
        crate::auth::hash_password(&password)
    })
    .await
    {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(ctx.internal(&e)),
        Err(e) => Err(ctx.internal(&e)),
    }
}

/// Verifies a password off the executor.
pub async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || crate::auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// The log line of a write refused for storage: what happened and what to do.
pub fn storage_unavailable_log(err: &db::Error) -> String {
    crate::recovery::storage_failed();
    if err.is_disk_full() {
        format!(
            "disk full: a write was refused and nothing of it was recorded; free space on the data file's volume: the server reopens the data file by itself once it can write again ({err})"
        )
    } else {
        format!(
            "storage unavailable after an earlier write error (full disk?): free space on the data file's volume: the server reopens the data file by itself once it can write again ({err})"
        )
    }
}
