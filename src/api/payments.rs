//! Payments: prepare (spec §3), status (§8), the old `dopay` customer link (§4),
//! and the answers for what Guichet does not offer (subscriptions, direct-process
//! payment methods).

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde_json::json;

use super::idempotency::{Attempt, once};
use super::{blocking, error, not_found, read_body, reply};
use crate::domain::c2p::{ApiError, parse_prepare};
use crate::handlers::AppState;

/// `POST /payment/prepare` and `/transaction/prepare`.
#[handler]
pub async fn prepare(req: &Request, raw: poem::Body, state: Data<&AppState>) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let bytes = match read_body(req, raw).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let attempt = Attempt::of(req, &caller.originator, &bytes);
    let now = state.clock.now().unix_timestamp();
    let gateway = state.gateway.clone();
    let (originator, merchant) = (caller.originator.clone(), caller.merchant_id);
    let body = bytes.clone();
    once(&state.db, now, attempt, move || async move {
        let p = match parse_prepare(&body, &originator) {
            Ok(p) => p,
            Err(e) => return error(&e),
        };
        let api_version = p.api.api_version.clone();
        // Only a currency the merchant accepts (its settings; MAD alone by default).
        let g = gateway.clone();
        let settings = match blocking(move || g.db.merchant_settings(merchant)).await {
            Ok(s) => s,
            Err(r) => return r,
        };
        if !settings.accepts(p.input.currency) {
            return error(&ApiError::bad(format!(
                "currency: {} is not accepted by this merchant (accepted: {})",
                p.input.currency.code(),
                settings.accepted_codes()
            )));
        }
        match blocking(move || gateway.prepare(p, merchant)).await {
            Ok(done) => {
                tracing::info!(
                    request = done.request.id,
                    merchant,
                    "payment prepared through the API"
                );
                reply(
                    StatusCode::OK,
                    &json!({
                        "apiVersion": api_version,
                        "code": "200",
                        "message": "Request processed successfully",
                        "merchantToken": done.merchant_token,
                        "customerToken": done.request.token,
                    }),
                )
            }
            Err(r) => r,
        }
    })
    .await
}

/// `GET /payment/{merchantToken}/status` and `/transaction/{merchantToken}/status`.
#[handler]
pub async fn status(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let gateway = state.gateway.clone();
    let merchant = caller.merchant_id;
    match blocking(move || gateway.api_status(merchant, &token)).await {
        Ok(Some(status)) => reply(StatusCode::OK, &status),
        Ok(None) => not_found("Payment"),
        Err(r) => r,
    }
}

/// `GET /transaction/{customerToken}/dopay`: the old customer link, sent on to the
/// payment page.
#[handler]
pub async fn dopay(Path(token): Path<String>) -> Response {
    let safe = token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric());
    if !safe {
        return not_found("Payment");
    }
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(poem::http::header::LOCATION, format!("/payment/{token}"))
        .finish()
}

/// `POST /payment/{customerToken}/process/{method}/direct`: WeChat, Alipay and UPI
/// are not offered.
#[handler]
pub async fn direct_process(
    req: &Request,
    Path((_, method)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    if let Err(r) = super::auth::authenticate(req, &state).await {
        return r;
    }
    let method: String = method.chars().take(32).collect();
    error(&ApiError::bad(format!(
        "Payment method {method} is not supported: only CreditCard through the payment page"
    )))
}

/// `POST /subscription/{id}/cancel`: there are no subscriptions here.
#[handler]
pub async fn subscription(req: &Request, state: Data<&AppState>) -> Response {
    if let Err(r) = super::auth::authenticate(req, &state).await {
        return r;
    }
    error(&ApiError {
        code: "678",
        message: "Invalid subscription id: subscriptions are not supported".into(),
    })
}
