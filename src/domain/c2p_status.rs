//! The payment status object of the merchant API (spec §5): what `GET …/status`
//! answers, what the callback posts and what the redirect's `data` carries, and the
//! transaction attempt object (`/transaction/{id}/info`, exports). One superset
//! shape serves every protocol version: the 002.7x nested fields and the older flat
//! ones side by side (clients ignore the keys they do not know). Pure.

use serde_json::{Map, Value, json};

use super::Lang;
use super::c2p::ApiPayment;
use super::payment::{PaymentRequest, RequestStatus};
use super::transaction::{Operation, Transaction};

/// The protocol's operation name of a row.
pub fn operation_name(op: Operation) -> &'static str {
    match op {
        Operation::ThreeDSecure => "3ds",
        Operation::Sale => "sale",
        Operation::Authorization => "authorize",
        Operation::Capture => "capture",
        Operation::Cancel => "cancel",
        Operation::Refund => "refund",
        Operation::Rebill => "rebill",
        Operation::Chargeback => "chargeback",
    }
}

/// A row's result code as the protocol writes it: three digits, a string.
pub fn code_text(tx: &Transaction) -> String {
    tx.code.to_string()
}

/// Unix seconds as the protocol's dates: milliseconds.
fn ms(at: i64) -> i64 {
    at.saturating_mul(1_000)
}

/// The JSON object stored as text in an [`ApiPayment`] (empty object when unset).
fn stored(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// Who the payment is for, as the context of an attempt.
pub struct PaymentRef<'a> {
    pub request: &'a PaymentRequest,
    pub api: Option<&'a ApiPayment>,
    pub merchant_token: &'a str,
}

/// One transaction as a TransactionAttempt (spec §5.2). `rows` are the payment's
/// other rows, for the amount already refunded.
pub fn attempt_json(tx: &Transaction, rows: &[Transaction], payment: Option<&PaymentRef>) -> Value {
    let refunded: i64 = rows
        .iter()
        .filter(|r| {
            r.parent_id == Some(tx.id) && r.operation == Operation::Refund && r.code.is_accepted()
        })
        .map(|r| r.amount.minor())
        .sum();
    let initial = matches!(tx.operation, Operation::Sale | Operation::Authorization);
    let mut o = Map::new();
    let s = |v: &str| Value::String(v.to_string());
    if let Some(p) = payment {
        o.insert("paymentID".into(), s(&p.request.id.to_string()));
        o.insert("paymentMerchantToken".into(), s(p.merchant_token));
    }
    o.insert("transactionID".into(), s(&tx.id.to_string()));
    if !initial && let Some(parent) = tx.parent_id {
        o.insert("refTransactionID".into(), s(&parent.to_string()));
    }
    o.insert("providerTransactionID".into(), s(&tx.id.to_string()));
    let method = if tx.operation == Operation::Chargeback {
        "Chargeback"
    } else {
        "CreditCard"
    };
    o.insert("paymentMethod".into(), s(method));
    o.insert("paymentType".into(), s(method));
    o.insert("operation".into(), s(operation_name(tx.operation)));
    o.insert("date".into(), json!(ms(tx.at)));
    o.insert("amount".into(), json!(tx.amount.minor()));
    o.insert("refundedAmount".into(), json!(refunded));
    o.insert("currency".into(), s(tx.currency.code()));
    o.insert("resultCode".into(), s(&code_text(tx)));
    o.insert("resultMessage".into(), s(tx.code.text(Lang::En)));
    o.insert(
        "status".into(),
        s(if tx.code.is_accepted() {
            "Authorized"
        } else {
            "Not authorized"
        }),
    );
    o.insert("orderID".into(), s(&tx.sale.order_id));
    o.insert("orderDescription".into(), s(&tx.sale.description));
    o.insert("isTest".into(), json!(tx.test));
    let b = &tx.buyer;
    let (first, last) = match b.name.rsplit_once(' ') {
        Some((f, l)) => (f, l),
        None => ("", b.name.as_str()),
    };
    let mut shopper = match payment.and_then(|p| p.api) {
        Some(api) => stored(&api.shopper),
        None => Value::Object(Map::new()),
    };
    if let Value::Object(sh) = &mut shopper {
        let mut set = |k: &str, v: &str| {
            if !v.is_empty() && !sh.contains_key(k) {
                sh.insert(k.to_string(), s(v));
            }
        };
        set("name", &b.name);
        set("firstName", first);
        set("lastName", last);
        set("address", &b.address);
        set("address1", &b.address);
        set("zipcode", &b.postcode);
        set("city", &b.city);
        set("state", &b.state);
        set("countryCode", &b.country);
        set("phone", &b.phone);
        set("email", &b.email);
        set("birthDate", &b.birth_date.replace('-', ""));
        set("idNumber", &b.id_number);
        set("ipAddress", &tx.initiator.ip);
        sh.entry("account")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    o.insert("shopper".into(), shopper);
    if let Some(c) = &tx.card {
        o.insert(
            "paymentMeanInfo".into(),
            json!({
                "cardNumber": c.masked(),
                "cardExpireMonth": format!("{:02}", c.exp_month),
                "cardExpireYear": c.exp_year.to_string(),
                "cardHolderName": c.holder,
                "cardBrand": c.brand.map_or("", |b| b.name()),
                "iinCountry": c.country,
                "is3DSecure": c.three_ds,
                "statementDescriptor": tx.statement_descriptor,
            }),
        );
    }
    Value::Object(o)
}

/// The payment's status word (spec §5.1).
pub fn status_word(request: &PaymentRequest, last: Option<&Transaction>, now: i64) -> &'static str {
    let at =
        time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    match request.status(at) {
        RequestStatus::Paid => "Authorized",
        RequestStatus::Blocked => "Not authorized",
        RequestStatus::Expired => "Expired",
        RequestStatus::Cancelled => "Not processed",
        RequestStatus::Waiting if last.is_some() => "Pending",
        RequestStatus::Waiting => "Not processed",
    }
}

/// The payment status object: `rows` are every row of the payment but 3-D Secure
/// checks (the attempts and their follow-ups), oldest first.
pub fn status_json(payment: &PaymentRef, rows: &[Transaction], now: i64) -> Value {
    let req = payment.request;
    // The last initial attempt: the newest sale or authorization of the request.
    let last = rows
        .iter()
        .filter(|t| req.attempts.contains(&t.id))
        .max_by_key(|t| (t.at, t.id));
    let api_version = payment
        .api
        .map_or(super::c2p::DEFAULT_API_VERSION, |a| a.api_version.as_str());
    let mut o = Map::new();
    let s = |v: &str| Value::String(v.to_string());
    o.insert("apiVersion".into(), s(api_version));
    o.insert("status".into(), s(status_word(req, last, now)));
    o.insert("merchantToken".into(), s(payment.merchant_token));
    o.insert(
        "operation".into(),
        s(operation_name(last.map_or(req.operation, |t| t.operation))),
    );
    o.insert(
        "errorCode".into(),
        s(&last.map(code_text).unwrap_or_default()),
    );
    o.insert(
        "errorMessage".into(),
        s(last.map_or("", |t| t.code.text(Lang::En))),
    );
    o.insert("currency".into(), s(req.currency.code()));
    o.insert("amount".into(), json!(req.amount.minor()));
    o.insert(
        "ctrlCustomData".into(),
        s(payment.api.map_or("", |a| a.custom_data.as_str())),
    );
    // 002 … 002.62 read the order id at the top level; 002.7x in `order`.
    o.insert("orderID".into(), s(&req.order_id));
    if let Some(t) = last {
        o.insert("transactionID".into(), s(&t.id.to_string()));
        o.insert("paymentType".into(), s("CreditCard"));
        if let Some(c) = &t.card {
            o.insert("cardHolderName".into(), s(&c.holder));
        }
        o.insert("shopperIPAddress".into(), s(&t.initiator.ip));
    }
    let h = &req.holder;
    for (k, v) in [
        ("shopperName", &h.name),
        ("shopperAddress", &h.address),
        ("shopperZipcode", &h.postcode),
        ("shopperCity", &h.city),
        ("shopperState", &h.state),
        ("shopperCountryCode", &h.country),
        ("shopperPhone", &h.phone),
        ("shopperEmail", &h.email),
    ] {
        o.insert(k.into(), s(v));
    }
    let mut order = payment.api.map_or_else(
        || json!({"id": req.order_id, "recurrence": {"type": "undefined"}}),
        |a| stored(&a.order),
    );
    if let Value::Object(ord) = &mut order {
        ord.entry("id").or_insert_with(|| s(&req.order_id));
    }
    o.insert("order".into(), order);
    o.insert(
        "shipping".into(),
        payment
            .api
            .map_or_else(|| json!({}), |a| stored(&a.shipping)),
    );
    o.insert(
        "transactions".into(),
        Value::Array(
            rows.iter()
                .filter(|t| t.operation != Operation::ThreeDSecure)
                .map(|t| attempt_json(t, rows, Some(payment)))
                .collect(),
        ),
    );
    Value::Object(o)
}

#[cfg(test)]
#[path = "c2p_status_tests.rs"]
mod tests;
