//! The middleware every request goes through: context (session, language, CSRF
//! token), CSRF refusal of state-changing requests, security headers, and the gate
//! that keeps back-office routes for signed-in users who have set their password.

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use poem::http::{Method, StatusCode, header};
use poem::web::cookie::{Cookie, SameSite};
use poem::{Endpoint, IntoResponse, Request, Response};
use sha2::Sha256;

use super::{AppState, Ctx, Session};
use crate::db::sessions::SessionStage;
use crate::domain::Lang;
use crate::domain::auth::{SessionCheck, check_session, is_expired};

pub const SESSION_COOKIE: &str = "guichet_session";
pub const CSRF_COOKIE: &str = "guichet_csrf";
pub const LANG_COOKIE: &str = "guichet_lang";
pub use crate::fragments::form::CSRF_FIELD;
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The form token for a CSRF cookie value: HMAC under the appliance's key.
pub fn csrf_token(key: &[u8; 32], cookie_value: &str) -> String {
    // HMAC pads a key shorter than the hash block (64 bytes) with zeros: padding it
    // here gives the same MAC through the infallible constructor.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    mac.update(cookie_value.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Largest request body accepted (forms are a few KiB); bigger ones get a 413
/// before anything else reads them.
pub const MAX_BODY: usize = 64 * 1024;

/// The name a cookie really has: with an https base URL, the `__Host-` prefix
/// (Secure, Path=/, no Domain) so a sibling sub-domain or a plain-http answer
/// cannot plant it.
pub fn cookie_name(state: &AppState, name: &str) -> String {
    if state.config.secure_cookies() {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

/// The value of one of our cookies, under its real (maybe `__Host-`) name.
pub fn read_cookie(req: &Request, state: &AppState, name: &str) -> Option<String> {
    req.cookie()
        .get(&cookie_name(state, name))
        .map(|c| c.value_str().to_string())
}

/// A cookie with the attributes every Guichet cookie has.
pub fn cookie(state: &AppState, name: &str, value: &str, same_site: SameSite) -> Cookie {
    let mut c = Cookie::new_with_str(cookie_name(state, name), value);
    c.set_http_only(true);
    c.set_same_site(same_site);
    c.set_path("/");
    c.set_secure(state.config.secure_cookies());
    c
}

/// Builds the context, refuses bad CSRF tokens, adds the security headers.
pub async fn context<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    state: AppState,
) -> poem::Result<Response> {
    let (csrf_cookie, new_csrf) = csrf_cookie(&req, &state);
    let csrf = csrf_token(&state.csrf_key, &csrf_cookie);
    let ctx = request_ctx(&req, &state, csrf.clone()).await;
    let hsts = state.config.secure_cookies();
    if let Some(mut refused) = check_unsafe_method(&mut req, &ctx, &csrf).await {
        refused.set_data(request_user(&ctx));
        refused.set_data(poem::PathPattern(BEFORE_ROUTING.into()));
        return Ok(with_security_headers(refused, hsts));
    }
    req.extensions_mut().insert(ctx.clone());
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    // A path no route knows gets the 404 page of the reader's language, not the
    // router's bare English "not found".
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if resp.status() == poem::http::StatusCode::NOT_FOUND && !is_html {
        resp = ctx.not_found().into_response();
    }
    resp.set_data(request_user(&ctx));
    if new_csrf {
        let c = cookie(&state, CSRF_COOKIE, &csrf_cookie, SameSite::Lax);
        if let Ok(v) = header::HeaderValue::from_str(&c.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(with_security_headers(resp, hsts))
}

/// Who made the request, for its log line: the user's id and login, the address.
fn request_user(ctx: &Ctx) -> crate::observe::RequestUser {
    crate::observe::RequestUser {
        user_id: ctx.user().map(|u| u.id),
        login: ctx.user().map(|u| u.username.clone()),
        ip: ctx.ip.clone(),
    }
}

/// The CSRF cookie of the browser, or a new one (`true`: to be set on the answer).
fn csrf_cookie(req: &Request, state: &AppState) -> (String, bool) {
    match read_cookie(req, state, CSRF_COOKIE) {
        Some(c) if c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) => (c, false),
        _ => (crate::db::sessions::new_token(), true),
    }
}

/// The client's address, through the trusted proxies of the configuration.
fn client_ip(req: &Request, state: &AppState) -> String {
    req.remote_addr()
        .as_socket_addr()
        .map(|a| state.config.client_ip(a.ip(), req.headers()).to_string())
        .unwrap_or_default()
}

/// The request context: session, language (the user's, else the cookie's), address,
/// path and whether htmx asks for a fragment.
async fn request_ctx(req: &Request, state: &AppState, csrf: String) -> Ctx {
    let session_token = read_cookie(req, state, SESSION_COOKIE).filter(|t| t.len() <= 128);
    let signed = match session_token {
        Some(token) => load_session(state, token).await,
        None => None,
    };
    let cookie_lang = read_cookie(req, state, LANG_COOKIE).and_then(|c| Lang::parse(&c));
    let lang = signed
        .as_ref()
        .map(|s| s.user.lang)
        .or(cookie_lang)
        .unwrap_or_default();
    let htmx = req.header("HX-Request") == Some("true")
        && req.header("HX-History-Restore-Request") != Some("true");
    Ctx {
        state: state.clone(),
        lang,
        signed,
        csrf,
        ip: client_ip(req, state),
        path: req.uri().path().to_string(),
        htmx,
        request_id: req
            .extensions()
            .get::<crate::observe::RequestId>()
            .map_or_else(crate::observe::new_request_id, |r| r.0.clone()),
    }
}

/// For a POST (or any method that may change state): the refusal page when the body
/// is too large or the CSRF token is wrong; `None` when the request may go on.
async fn check_unsafe_method(req: &mut Request, ctx: &Ctx, csrf: &str) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let Some(body) = read_body_bounded(req).await else {
        let page = crate::pages::error::too_large_page(&ctx.view());
        return Some(
            page.with_status(StatusCode::PAYLOAD_TOO_LARGE)
                .into_response(),
        );
    };
    if !csrf_ok(req, &body, csrf) {
        let page = crate::pages::error::csrf_page(&ctx.view());
        return Some(page.with_status(StatusCode::FORBIDDEN).into_response());
    }
    None
}

/// Reads the body of a state-changing request into memory, refusing (false) one
/// over [`MAX_BODY`] — announced or streamed — before any byte past the limit is kept.
async fn read_body_bounded(req: &mut Request) -> Option<bytes::Bytes> {
    let announced = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return None;
    }
    let bytes = req.take_body().into_bytes_limit(MAX_BODY).await.ok()?;
    req.set_body(bytes.clone());
    Some(bytes)
}

/// Loads a live session and its user; ends sessions that timed out or whose user
/// may no longer sign in. Records activity at most once a minute. A storage error is
/// logged with its cause and answers "no session" (the request meets the sign-in
/// page, never someone else's data).
async fn load_session(state: &AppState, token: String) -> Option<Session> {
    let db = state.db.clone();
    let now = state.clock.now();
    match tokio::task::spawn_blocking(move || signed_in(&db, token, now)).await {
        Ok(Ok(signed)) => signed,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot read the session: the request goes on signed out");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "the session lookup failed: the request goes on signed out");
            None
        }
    }
}

/// The blocking part of [`load_session`].
fn signed_in(
    db: &crate::db::Db,
    token: String,
    now: time::OffsetDateTime,
) -> crate::db::Result<Option<Session>> {
    let Some(session) = db.session(&token)? else {
        return Ok(None);
    };
    if session.stage != SessionStage::Full {
        // Waiting for the second factor: not signed in (the code page reads it).
        return Ok(None);
    }
    let alive = check_session(session.created_at, session.last_seen, now) == SessionCheck::Alive;
    let user = match db.user(session.user_id)? {
        Some(u) if alive && !u.disabled && !is_expired(u.last_used_at, now) => u,
        _ => {
            db.end_session(&token)?;
            return Ok(None);
        }
    };
    if now.unix_timestamp() - session.last_seen >= 60
        && let Err(e) = db.touch_session(&token, now.unix_timestamp())
    {
        // A lost last-seen time only shortens the session.
        tracing::warn!(error = %e, "cannot record the session's activity");
    }
    let must_enrol = !user.has_second_factor()
        && crate::auth::second_factor::required(db, &user).unwrap_or_else(|e| {
            // Unknown: keep the user to enrolment, the safe side.
            tracing::error!(error = %e, "cannot read whether a second factor is required");
            true
        });
    let unread_tickets = db.unread_ticket_count(user.id).unwrap_or_else(|e| {
        // Only the Support tab's count is lost.
        tracing::error!(error = %e, "cannot count the unread support tickets");
        0
    });
    Ok(Some(Session {
        user,
        token,
        must_enrol,
        unread_tickets,
    }))
}

/// Checks the token from the `X-CSRF-Token` header or the `csrf` form field of the
/// (already bounded) body, putting the body back for the handler.
fn csrf_ok(req: &Request, bytes: &[u8], expected: &str) -> bool {
    if let Some(h) = req.header(CSRF_HEADER) {
        return constant_time_eq(h.as_bytes(), expected.as_bytes());
    }
    let is_form = req
        .header(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return false;
    }
    let found = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v)
        });
    found.is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
}

/// Compares two secrets in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// CSP with scripts from our own origin only, no framing, no sniffing, no referrer
/// leaks; HSTS when the appliance is served over https.
pub fn with_security_headers(mut resp: Response, hsts: bool) -> Response {
    let h = resp.headers_mut();
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let pairs = [
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (k, v) in pairs {
        // A page may widen its own policy (the payment result posting to a shop).
        if !h.contains_key(k) {
            h.insert(k, header::HeaderValue::from_static(v));
        }
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    resp
}

/// Back-office routes: signed in, password already changed, and a second factor
/// enrolled where one is required.
pub async fn gate<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let redirect = |to: &str| {
        let mut r = super::see_other(&ctx, to);
        // Answered before routing: the metrics and the log name no route.
        r.set_data(poem::PathPattern(BEFORE_ROUTING.into()));
        Ok(r)
    };
    match &ctx.signed {
        None => {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            redirect(&format!("/login?next={}", urlencode(next)))
        }
        Some(s) if s.user.must_change_password => redirect("/password"),
        Some(s) if s.must_enrol => redirect("/second-factor"),
        Some(_) => ep.call(req).await.map(IntoResponse::into_response),
    }
}

/// The route label of a request answered before any route took it: a refused form
/// (CSRF, size), or a back-office request the gate sent elsewhere (sign-in, password
/// change, second-factor enrolment).
pub const BEFORE_ROUTING: &str = "/*";

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e[1..].to_string())
        .unwrap_or_default()
}

/// Only local paths may be followed after sign-in (no open redirect): a path that
/// starts with one `/`, at most 512 characters from a plain set (no backslash, no
/// control or space character a browser would drop, no `//` anywhere); else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/_-.~?=&%+:,;@!()*'$[]|".contains(c);
    match next {
        Some(n)
            if n.starts_with('/')
                && n.len() <= 512
                && !n.contains("//")
                && n.chars().all(plain)
                && !n.to_ascii_lowercase().contains("%2f%2f")
                && !n.to_ascii_lowercase().contains("%5c") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_the_plain_hmac_of_the_cookie_under_the_key() {
        let key = [7u8; 32];
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"cookie");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(csrf_token(&key, "cookie"), expected);
        assert_ne!(csrf_token(&[8u8; 32], "cookie"), expected);
    }
}
