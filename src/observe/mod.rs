//! Watching the appliance (issue 16): a request id for every request (the
//! `X-Request-Id` header, the error pages, every log line of the request), one log
//! line per request, the Prometheus metrics and the write probe of `/readyz`.

pub mod logging;
pub mod metrics;
pub mod probe;

use std::sync::Arc;
use std::time::Instant;

use poem::http::Method;
use poem::http::header::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

pub use metrics::Metrics;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of a request: 16 random hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Who made a request, as the request context found it (set on the response by the
/// site's middleware; the merchant API leaves it unset): never a session token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestUser {
    pub user_id: Option<u64>,
    pub login: Option<String>,
    /// The client's address (through the trusted proxies).
    pub ip: String,
}

/// A new request id.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The id of the request this task serves (`None` outside a request).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The id of the request being served, or a new one (an error reference outside
/// any request).
pub fn request_id_or_new() -> String {
    current_request_id().unwrap_or_else(new_request_id)
}

/// The method as a metric label: the standard ones, anything else `OTHER` (a client
/// may send any token as a method).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The route template that answered (`/transactions/:id`), never the path (which may
/// hold ids or a payment link's secret); `unmatched` when no route took the request.
fn route_of(resp: &Response) -> String {
    match resp.data::<poem::PathPattern>() {
        Some(p) if p.0.is_empty() => "/".to_string(),
        Some(p) => p.0.to_string(),
        None => "unmatched".to_string(),
    }
}

/// The outermost middleware: gives the request its id (in the request's extensions,
/// the task, the log span), answers it in `X-Request-Id`, counts it and writes one
/// log line with its id, method, route template, status, duration and user.
pub async fn requests<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    metrics: Arc<Metrics>,
) -> poem::Result<Response> {
    let started = Instant::now();
    let id = new_request_id();
    let method = method_label(req.method());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id);
    let mut resp = REQUEST_ID
        .scope(
            id.clone(),
            async move {
                match ep.call(req).await {
                    Ok(r) => r.into_response(),
                    Err(e) => e.into_response(),
                }
            }
            .instrument(span),
        )
        .await;
    let elapsed = started.elapsed();
    let route = route_of(&resp);
    let status = resp.status();
    metrics.request(method, &route, status.as_u16(), elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let who = resp.data::<RequestUser>().cloned().unwrap_or_default();
    let user = who
        .login
        .as_deref()
        .map(crate::domain::text::log_safe)
        .unwrap_or_default();
    let duration_ms = (elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                target: "guichet::request",
                request_id = %id,
                method,
                route = %route,
                status = status.as_u16(),
                duration_ms,
                user_id = who.user_id.unwrap_or(0),
                user = %user,
                ip = %who.ip,
                "request"
            )
        };
    }
    if status.is_server_error() {
        line!(warn);
    } else {
        line!(info);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_sixteen_hex_digits_and_differ() {
        let a = new_request_id();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_request_id());
        assert_eq!(current_request_id(), None);
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
