//! Transaction-level calls (spec §9): info, refund / capture / cancel / rebill
//! through the same one-transaction paths as the back office, and the export. A
//! transaction of another merchant is answered as one that does not exist.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde_json::{Value, json};

use super::idempotency::{Attempt, once};
use super::{blocking, error, not_found, read_body, reply};
use crate::db::Scope;
use crate::domain::actor::Actor;
use crate::domain::c2p::{ApiError, DEFAULT_API_VERSION, amount};
use crate::domain::c2p_status::operation_name;
use crate::domain::codes::ResultCode;
use crate::domain::filter::Filter;
use crate::domain::transaction::Operation;
use crate::gateway::OpOutcome;
use crate::handlers::AppState;

/// A transaction id of the path: digits only (anything else does not exist).
fn tx_id(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The TransactionAttempt of transaction `id` of the caller's merchant.
async fn attempt(state: &AppState, merchant: u64, id: &str) -> Result<Value, Response> {
    let Some(id) = tx_id(id) else {
        return Err(not_found("Transaction"));
    };
    let gateway = state.gateway.clone();
    let db = state.db.clone();
    let found = blocking(move || {
        let Some(tx) = db.transaction(Scope::Merchant(merchant), id)? else {
            return Ok(None);
        };
        if tx.operation == Operation::ThreeDSecure {
            return Ok(None);
        }
        Ok(gateway.api_attempts(merchant, &[tx])?.pop())
    })
    .await?;
    found.ok_or_else(|| not_found("Transaction"))
}

/// `GET /transaction/{id}/info`: the attempt object, at the top level.
#[handler]
pub async fn info(req: &Request, Path(id): Path<String>, state: Data<&AppState>) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match attempt(&state, caller.merchant_id, &id).await {
        Ok(v) => reply(StatusCode::OK, &v),
        Err(r) => r,
    }
}

/// `GET /transaction/{id}` (the gateway API's status, used by the old Payzone
/// client): `{"errorCode","errorMessage","transaction"}`.
#[handler]
pub async fn gateway_status(
    req: &Request,
    Path(id): Path<String>,
    state: Data<&AppState>,
) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match attempt(&state, caller.merchant_id, &id).await {
        Ok(v) => reply(
            StatusCode::OK,
            &json!({
                "errorCode": v["resultCode"],
                "errorMessage": v["resultMessage"],
                "transaction": v,
            }),
        ),
        Err(r) => r,
    }
}

/// `POST /transaction/{id}/refund/confirm` (JAVA client only, undocumented):
/// answered as not supported rather than guessed.
#[handler]
pub async fn refund_confirm(req: &Request, state: Data<&AppState>) -> Response {
    if let Err(r) = super::auth::authenticate(req, &state).await {
        return r;
    }
    error(&ApiError::bad(
        "refund/confirm is not supported: POST /transaction/{id}/refund refunds at once",
    ))
}

/// `POST /transaction/{id}/refund | capture | cancel | rebill`.
#[handler]
pub async fn operate(
    req: &Request,
    raw: poem::Body,
    Path((id, op)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let operation = match op.as_str() {
        "refund" => Operation::Refund,
        "capture" => Operation::Capture,
        "cancel" => Operation::Cancel,
        "rebill" => Operation::Rebill,
        _ => return not_found("Route"),
    };
    let Some(id) = tx_id(&id) else {
        return not_found("Transaction");
    };
    let bytes = match read_body(req, raw).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    // No body at all is an empty object (the old Payzone capture sends only an amount).
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return error(&ApiError::json("the body is not a JSON object")),
            Err(e) => return error(&ApiError::json(e)),
        }
    };
    let merchant = caller.merchant_id;
    let db = state.db.clone();
    let original = match blocking(move || db.transaction(Scope::Merchant(merchant), id)).await {
        Ok(Some(t)) if t.operation != Operation::ThreeDSecure => t,
        Ok(_) => return not_found("Transaction"),
        Err(r) => return r,
    };
    // Cancel releases the whole authorization: its amount is optional.
    let amount = match (value.get("amount"), operation) {
        (None | Some(Value::Null), Operation::Cancel) => original.amount,
        (v, _) => match amount(v, "amount") {
            Ok(a) => a,
            Err(e) => return error(&e),
        },
    };
    // A rebill may carry its own order id (002.62+); nothing else is kept of it.
    let order_id = match value.get("orderId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 100 => {
            Some(s.trim().to_string())
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return error(&ApiError::bad("orderId: a text of 1 to 100 characters")),
    };
    if order_id.is_some() && operation != Operation::Rebill {
        return error(&ApiError::bad("orderId is read on a rebill only"));
    }
    if value
        .get("merchantIdentifier")
        .is_some_and(|v| !v.is_null())
    {
        return error(&ApiError::bad(
            "merchantIdentifier is not supported: leave it out",
        ));
    }
    let actor = Actor::new(
        state.clock.now().unix_timestamp(),
        format!("API {}", caller.originator),
        super::auth::client_ip(req, &state).to_string(),
    );
    let gateway = state.gateway.clone();
    let attempt = Attempt::of(req, &caller.originator, &bytes);
    let now = state.clock.now().unix_timestamp();
    let currency = original.currency;
    once(&state.db, now, attempt, move || async move {
        let outcome = blocking(move || {
            gateway.operate_with(
                Scope::Merchant(merchant),
                id,
                (operation, amount),
                &actor,
                "",
                order_id,
            )
        })
        .await;
        operation_answer(outcome, operation, currency)
    })
    .await
}

/// The protocol's answer to an operation (spec §9.2): `code` `000` and the new
/// transaction, the acquirer's refusal code, or `501` with the rule that refused it.
fn operation_answer(
    outcome: Result<OpOutcome, Response>,
    operation: Operation,
    currency: crate::domain::money::Currency,
) -> Response {
    let name = operation_name(operation);
    match outcome {
        Ok(OpOutcome::Done(tx)) => {
            let code = tx.code.to_string();
            let message = tx.code.text(crate::domain::Lang::En);
            reply(
                StatusCode::OK,
                &json!({
                    "code": code,
                    "message": message,
                    "transactionID": tx.id.to_string(),
                    "operation": name,
                    // The gateway API's names, read by the old Payzone client.
                    "errorCode": code,
                    "errorMessage": message,
                }),
            )
        }
        Ok(OpOutcome::Refused(why)) => {
            let message = why.message(crate::domain::Lang::En, currency);
            reply(
                StatusCode::OK,
                &json!({
                    "code": "501",
                    "message": message,
                    "operation": name,
                    "errorCode": "501",
                    "errorMessage": message,
                }),
            )
        }
        Ok(OpOutcome::NotFound) => not_found("Transaction"),
        Err(r) => r,
    }
}

/// The export's query, checked.
struct ExportQuery {
    version: String,
    from: i64,
    to: i64,
    operation: Option<Operation>,
    code: Option<ResultCode>,
    /// A payment method or network filter that no card transaction matches.
    nothing: bool,
}

fn export_query(req: &Request) -> Result<ExportQuery, ApiError> {
    let pairs: Vec<(String, String)> = req
        .uri()
        .query()
        .map(serde_urlencoded::from_str)
        .transpose()
        .map_err(|_| ApiError::bad("the query string is not readable"))?
        .unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let seconds = |k: &str| -> Result<i64, ApiError> {
        let v = get(k).ok_or_else(|| ApiError::missing(k))?;
        v.parse::<i64>()
            .ok()
            .filter(|n| (0..=253_402_300_799).contains(n))
            .ok_or_else(|| ApiError::bad(format!("{k} must be a Unix time in seconds (got {v})")))
    };
    let from = seconds("startTime")?;
    let to = seconds("endTime")?;
    if from >= to {
        return Err(ApiError::bad("startTime must be before endTime"));
    }
    let operation = match get("operation") {
        None => None,
        Some(o) => Some(
            Operation::ALL
                .into_iter()
                .filter(|op| *op != Operation::ThreeDSecure)
                .find(|op| operation_name(*op).eq_ignore_ascii_case(&o))
                .ok_or_else(|| ApiError::bad(format!("operation {o} is not known")))?,
        ),
    };
    let code = match get("transactionResultCode") {
        None => None,
        Some(c) => match c.parse::<u16>() {
            Ok(n) if n <= 999 => match ResultCode::from_value(n) {
                Some(code) => Some(code),
                // A code this gateway never answers: nothing matches.
                None => return Ok(nothing(from, to)),
            },
            _ => {
                return Err(ApiError::bad(format!(
                    "transactionResultCode must be a number from 0 to 999 (got {c})"
                )));
            }
        },
    };
    let card = |k: &str, ok: &[&str]| {
        get(k).is_some_and(|v| !ok.iter().any(|o| v.eq_ignore_ascii_case(o)))
    };
    Ok(ExportQuery {
        version: match get("apiVersion") {
            Some(v) => v.chars().take(8).collect(),
            None => DEFAULT_API_VERSION.to_string(),
        },
        from,
        to,
        operation,
        code,
        nothing: card("paymentMethod", &["CreditCard"]) || card("paymentNetwork", &[]),
    })
}

fn nothing(from: i64, to: i64) -> ExportQuery {
    ExportQuery {
        version: DEFAULT_API_VERSION.to_string(),
        from,
        to,
        operation: None,
        code: None,
        nothing: true,
    }
}

/// Rows read and written per step of an export.
const EXPORT_CHUNK: usize = 1_000;

/// `GET /transactions/export?startTime&endTime…`: `{"apiVersion","transactions":[…]}`,
/// streamed a thousand rows at a time (a year of a busy merchant never sits in
/// memory whole).
#[handler]
pub async fn export(req: &Request, state: Data<&AppState>) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match export_query(req) {
        Ok(q) => q,
        Err(e) => return error(&e),
    };
    let merchant = caller.merchant_id;
    let mut f = Filter::period(q.from, q.to);
    f.merchant = Some(merchant);
    f.operation = q.operation;
    f.code = q.code;
    let db = state.db.clone();
    let ids = if q.nothing {
        Vec::new()
    } else {
        match blocking(move || db.search_ids(Scope::Merchant(merchant), &f)).await {
            Ok(ids) => ids,
            Err(r) => return r,
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let gateway = state.gateway.clone();
    let db = state.db.clone();
    let head = format!(
        "{{\"apiVersion\":{},\"transactions\":[",
        Value::String(q.version)
    );
    tokio::task::spawn_blocking(move || {
        let send = |b: String| tx.blocking_send(Ok(bytes::Bytes::from(b))).is_ok();
        if !send(head) {
            return;
        }
        let mut first = true;
        // Oldest first, as the protocol's examples list them.
        for chunk in ids.rchunks(EXPORT_CHUNK).rev() {
            let newest_first: Vec<u64> = chunk.to_vec();
            let rows = match db.fetch_desc(&newest_first) {
                Ok(mut rows) => {
                    rows.reverse();
                    rows
                }
                Err(e) => {
                    tracing::error!("API export stopped: {e}");
                    let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            };
            let attempts = match gateway.api_attempts(merchant, &rows) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!("API export stopped: {e}");
                    let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            };
            let mut out = String::new();
            for a in attempts {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&a.to_string());
            }
            if !send(out) {
                return;
            }
        }
        send("]}".into());
    });
    let stream = tokio_stream_from(rx);
    Response::builder()
        .status(StatusCode::OK)
        .content_type("application/json; charset=utf-8")
        .header(poem::http::header::CACHE_CONTROL, "no-store")
        .body(Body::from_bytes_stream(stream))
}

/// The receiving end of a channel as a stream.
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<bytes::Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
