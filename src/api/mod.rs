//! The merchant API (issue 13): the Connect2Pay protocol (`../shared/spec/connect2pay.md`)
//! served to web shops over HTTP Basic, JSON in and out. Its routes live beside the
//! back office's but outside its sessions and CSRF checks: [`is_api`] picks the
//! requests that are API calls, [`endpoint`] answers them. Every answer is JSON:
//! business errors with HTTP 200 and the protocol's `code` (the PHP client reads
//! only 200 answers), 403 for bad credentials, 404 for what does not exist here.

pub mod account;
pub mod auth;
pub mod idempotency;
pub mod payments;
pub mod transactions;

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use serde_json::{Value, json};

use crate::domain::c2p::ApiError;
use crate::handlers::AppState;

/// The largest API request body (a prepare with a full cart is a few KB).
pub const MAX_BODY: usize = 64 * 1024;

/// Whether `req` is a merchant API call (or the old `dopay` customer link).
pub fn is_api(req: &Request) -> bool {
    let path = req.uri().path();
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match seg.as_slice() {
        ["transaction", ..] | ["subscription", ..] | ["account"] => true,
        ["payment", "prepare"] => true,
        ["payment", _, "status"] => true,
        ["payment", _, "process", ..] => true,
        // The back office never uses HTTP Basic: a call that does is the API's
        // (its export shares a path with the back office's; an unknown path gets
        // the API's JSON 404, not the sign-in page).
        _ => req
            .header(header::AUTHORIZATION)
            .is_some_and(|a| a.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("basic "))),
    }
}

/// A JSON answer.
pub fn reply(status: StatusCode, v: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(v.to_string())
}

/// A protocol error, answered with HTTP 200 as the clients expect.
pub fn error(e: &ApiError) -> Response {
    reply(StatusCode::OK, &e.to_json())
}

/// `404` with the protocol's code, for what does not exist (or is another
/// merchant's).
pub fn not_found(what: &str) -> Response {
    reply(
        StatusCode::NOT_FOUND,
        &json!({"code": "404", "message": format!("{what} not found")}),
    )
}

/// A storage failure: logged, answered `500` with the protocol's code and nothing
/// of the cause.
pub fn internal(e: &dyn std::fmt::Display) -> Response {
    let reference = crate::observe::request_id_or_new();
    let cause = crate::domain::text::log_safe_max(&e.to_string(), 500);
    tracing::error!(error_id = %reference, "API call failed: {cause}");
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"code": "500", "message": format!("Internal error (reference {reference}); nothing was changed by a failed call, retry it")}),
    )
}

/// A full disk (or a write refused since one): logged, answered `503` with
/// `{"code":"503"}`; an `Idempotency-Key` retry runs the call again.
pub fn storage_unavailable(e: &crate::db::Error) -> Response {
    let reference = crate::observe::request_id_or_new();
    tracing::error!(error_id = %reference, "API call: {}", crate::handlers::storage_unavailable_log(e));
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({"code": "503", "message": format!("Disk full: nothing was recorded, retry later (reference {reference})")}),
    )
}

/// Runs blocking storage work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::db::Result<T> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) if e.is_storage_unavailable() => Err(storage_unavailable(&e)),
        Ok(Err(e)) => Err(internal(&e)),
        Err(e) => Err(internal(&e)),
    }
}

/// The body of a POST, whatever its Content-Type says (the clients differ), at most
/// [`MAX_BODY`] bytes: a larger one is refused with `413` before it is read.
pub async fn read_body(req: &Request, body: poem::Body) -> Result<bytes::Bytes, Response> {
    let too_large = || {
        reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"code": "400", "message": format!("Request body too large: at most {} KB", MAX_BODY / 1024)}),
        )
    };
    let announced = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    body.into_bytes_limit(MAX_BODY)
        .await
        .map_err(|_| too_large())
}

/// The API's endpoint: its routes, JSON for unknown paths and methods, and a panic
/// answered `500` in JSON (logged), never a dropped connection.
pub fn endpoint(state: AppState) -> impl Endpoint {
    let routes = Route::new()
        .at("/payment/prepare", poem::post(payments::prepare))
        .at("/transaction/prepare", poem::post(payments::prepare))
        .at("/payment/:token/status", poem::get(payments::status))
        .at("/transaction/:token/status", poem::get(payments::status))
        .at("/transaction/:token/dopay", poem::get(payments::dopay))
        .at(
            "/payment/:token/process/:method/direct",
            poem::post(payments::direct_process),
        )
        .at(
            "/subscription/:id/cancel",
            poem::post(payments::subscription),
        )
        .at(
            "/subscription/:id/rebill",
            poem::post(payments::subscription),
        )
        .at("/transaction/:id/info", poem::get(transactions::info))
        .at("/transaction/:id", poem::get(transactions::gateway_status))
        .at("/transaction/:id/:op", poem::post(transactions::operate))
        .at(
            "/transaction/:id/refund/confirm",
            poem::post(transactions::refund_confirm),
        )
        .at("/transactions/export", poem::get(transactions::export))
        .at("/account", poem::get(account::account))
        .data(state);
    let caught = CatchPanic::new().with_handler(|_| {
        tracing::error!("an API call panicked");
        reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": "500", "message": "Internal error"}),
        )
    });
    routes.with(caught).around(shape)
}

/// JSON for unknown paths and methods.
async fn shape<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let method = req.method().clone();
    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    Ok(match resp.status() {
        StatusCode::NOT_FOUND if !is_json(&resp) => not_found("Route"),
        // The clients know 200, 403 and 404 only: a method a route does not take is
        // a route that does not exist.
        StatusCode::METHOD_NOT_ALLOWED => reply(
            StatusCode::NOT_FOUND,
            &json!({"code": "404", "message": format!("Route not found for {method}")}),
        ),
        _ => resp,
    })
}

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The `apiVersion` of a GET's query (empty when absent).
pub fn query_version(req: &Request) -> String {
    req.uri()
        .query()
        .and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "apiVersion")
                .map(|(_, v)| v.chars().take(8).collect())
        })
        .unwrap_or_default()
}
