use super::*;
use crate::domain::c2p::parse_prepare;
use crate::domain::codes::ResultCode;
use crate::domain::transaction::tests::{T0, tx};

fn payment() -> (PaymentRequest, ApiPayment) {
    let p = parse_prepare(
        br#"{"apiVersion":"002.70","currency":"MAD","amount":10000,"ctrlCustomData":"cart-7",
        "order":{"id":"ORD-42","description":"Test order","shippingType":"05"},
        "shopper":{"firstName":"Jane","lastName":"Roe","email":"jane@example.com","id":7},
        "shipping":{"name":"Jane Roe","city":"Paris"}}"#,
        "102030",
    )
    .unwrap();
    let mut req = p.input.into_request(1, 0, "API 102030", "t".into(), T0);
    req.id = 9;
    (
        req,
        ApiPayment {
            request_id: 9,
            ..p.api
        },
    )
}

fn sale(id: u64, code: ResultCode) -> Transaction {
    let mut t = tx(id, Operation::Sale, 10_000, code, T0);
    t.sale.order_id = "ORD-42".into();
    t
}

#[test]
fn a_paid_payment_answers_authorized_with_its_attempts_and_their_follow_ups() {
    let (mut req, api) = payment();
    let refused = sale(3, ResultCode::INSUFFICIENT_FUNDS);
    let paid = sale(5, ResultCode::ACCEPTED);
    let mut refund = tx(6, Operation::Refund, 2_500, ResultCode::ACCEPTED, T0);
    refund.parent_id = Some(5);
    req.attempts = vec![3, 5];
    req.paid_tx = Some(5);
    let p = PaymentRef {
        request: &req,
        api: Some(&api),
        merchant_token: "q1w2e3r4t5y6u7i8o9p0aA",
    };
    let rows = [refused, paid, refund];
    let s = status_json(&p, &rows, T0.unix_timestamp() + 60);
    assert_eq!(s["status"], "Authorized");
    assert_eq!(s["errorCode"], "000", "the code is a string");
    assert_eq!(s["operation"], "sale");
    assert_eq!(s["amount"], 10_000);
    assert_eq!(s["ctrlCustomData"], "cart-7");
    assert_eq!(s["apiVersion"], "002.70");
    assert_eq!(s["order"]["id"], "ORD-42");
    assert_eq!(s["orderID"], "ORD-42");
    assert_eq!(s["shipping"]["city"], "Paris");
    let t = s["transactions"].as_array().unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t[0]["resultCode"], "051");
    assert!(t[0].get("refTransactionID").is_none(), "an initial attempt");
    assert_eq!(t[1]["refundedAmount"], 2_500);
    assert_eq!(t[1]["paymentMeanInfo"]["cardNumber"], "411111XXXXXX1111");
    assert_eq!(t[1]["paymentMerchantToken"], "q1w2e3r4t5y6u7i8o9p0aA");
    assert_eq!(t[1]["date"], T0.unix_timestamp() * 1_000);
    assert_eq!(t[2]["operation"], "refund");
    assert_eq!(t[2]["refTransactionID"], "5");
    assert_eq!(t[1]["shopper"]["email"], "jane@example.com");
    assert_eq!(t[1]["shopper"]["id"], "7");
}

#[test]
fn an_open_payment_is_not_processed_then_pending_after_a_refusal_then_expired() {
    let (mut req, api) = payment();
    let p = |req: &PaymentRequest, rows: &[Transaction], now: i64| {
        status_json(
            &PaymentRef {
                request: req,
                api: Some(&api),
                merchant_token: "m",
            },
            rows,
            now,
        )
    };
    let now = T0.unix_timestamp() + 10;
    let s = p(&req, &[], now);
    assert_eq!(s["status"], "Not processed");
    assert_eq!(s["errorCode"], "");
    assert_eq!(s["transactions"], json!([]), "always an array");
    req.attempts = vec![3];
    let rows = [sale(3, ResultCode::ISSUER_REFUSED)];
    assert_eq!(p(&req, &rows, now)["status"], "Pending");
    assert_eq!(p(&req, &rows, now)["errorCode"], "005");
    let later = req.expires_at + 1;
    assert_eq!(p(&req, &rows, later)["status"], "Expired");
    req.blocked = true;
    assert_eq!(p(&req, &rows, now)["status"], "Not authorized");
}
