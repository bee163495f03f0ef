//! Every documented error answers the protocol's JSON with a clear message, never
//! a 500: credentials, missing and bad fields, bodies that are not JSON or too
//! large, unknown tokens and ids, another merchant's payment, operations not
//! allowed now, and what Guichet does not support.

use reqwest::StatusCode;

use super::{answer, shop};
use crate::support::spawn_app;

#[tokio::test]
async fn wrong_or_missing_credentials_get_the_protocols_403() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    for auth in [
        Some(("999999", "nope")),
        Some((s.originator.as_str(), "wrong")),
        None,
    ] {
        let mut b = reqwest::Client::new().get(format!("{}/account", app.base));
        if let Some((u, p)) = auth {
            b = b.basic_auth(u, Some(p));
        }
        let (status, v) = answer(b.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(v["code"], "403");
    }
}

#[tokio::test]
async fn bad_prepare_bodies_get_a_code_and_a_message_with_http_200() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let order = r#""order":{"id":"A"}"#;
    let cases = [
        ("not json".to_string(), "402", "JSON error"),
        ("[1]".to_string(), "402", "not a JSON object"),
        (format!(r#"{{"currency":"MAD",{order}}}"#), "401", "amount"),
        (format!(r#"{{"amount":100,{order}}}"#), "401", "currency"),
        (
            r#"{"amount":100,"currency":"MAD"}"#.to_string(),
            "401",
            "order.id",
        ),
        (
            format!(r#"{{"amount":0,"currency":"MAD",{order}}}"#),
            "400",
            "positive",
        ),
        (
            format!(r#"{{"amount":-5,"currency":"MAD",{order}}}"#),
            "400",
            "positive",
        ),
        (
            format!(r#"{{"amount":12.5,"currency":"MAD",{order}}}"#),
            "400",
            "whole number",
        ),
        (
            format!(r#"{{"amount":1000000000,"currency":"MAD",{order}}}"#),
            "400",
            "at most",
        ),
        (
            format!(r#"{{"amount":100,"currency":"XYZ",{order}}}"#),
            "400",
            "XYZ",
        ),
        (
            format!(r#"{{"amount":100,"currency":"MAD","ctrlCallbackURL":"ftp://x",{order}}}"#),
            "400",
            "ctrlCallbackURL",
        ),
        (
            format!(r#"{{"amount":100,"currency":"MAD","paymentMethod":"Alipay",{order}}}"#),
            "400",
            "not supported",
        ),
        (
            format!(
                r#"{{"amount":100,"currency":"MAD","paymentMode":"InstalmentsPayments",{order}}}"#
            ),
            "400",
            "not supported",
        ),
    ];
    for (body, code, words) in cases {
        let (status, v) = s.post(&app, "/payment/prepare", &body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(v["code"], code, "{body}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(words),
            "{body}: {v}"
        );
    }
    assert_eq!(
        app.db
            .payment_requests(guichet::db::Scope::Admin, None, 10)
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let big = format!(
        r#"{{"amount":100,"pad":"{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    let r = reqwest::Client::new()
        .post(format!("{}/payment/prepare", app.base))
        .basic_auth(&s.originator, Some(&s.password))
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, v) = answer(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["code"], "400");
}

#[tokio::test]
async fn unknown_tokens_ids_and_another_merchants_payments_are_not_found() {
    let app = spawn_app().await;
    let a = shop(&app, "Atlas");
    let b = shop(&app, "Basma");
    let (mt, _) = a.prepare(&app, 1000, "").await;
    for path in [
        format!("/payment/{mt}/status"),
        "/payment/AAAAAAAAAAAAAAAAAAAAAA/status".to_string(),
        "/transaction/999999/info".to_string(),
        "/transaction/abc/info".to_string(),
    ] {
        let (status, v) = b.get(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["code"], "404", "{path}");
    }
    let (status, _) = a.get(&app, &format!("/payment/{mt}/status")).await;
    assert_eq!(status, StatusCode::OK, "its own merchant reads it");
    let (status, v) = b
        .post(&app, "/transaction/1/refund", r#"{"amount":1}"#)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "404");
}

#[tokio::test]
async fn bad_operation_and_export_requests_are_named() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let (status, v) = s.get(&app, "/transactions/export?startTime=10").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["code"], "401");
    let (_, v) = s
        .get(&app, "/transactions/export?startTime=20&endTime=10")
        .await;
    assert_eq!(v["code"], "400");
    let (_, v) = s
        .get(&app, "/transactions/export?startTime=x&endTime=10")
        .await;
    assert!(v["message"].as_str().unwrap().contains("startTime"), "{v}");
    let (_, v) = s
        .post(&app, "/subscription/12/cancel", r#"{"cancelReason":1000}"#)
        .await;
    assert_eq!(v["code"], "678");
    let (_, v) = s
        .post(&app, "/payment/abc/process/wechat/direct", "{}")
        .await;
    assert_eq!(v["code"], "400");
    for path in [
        "/transaction/1/nothing-here/at-all",
        "/payment/a/b/c",
        "/transactions",
    ] {
        let (status, v) = s.get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["code"], "404", "{path}");
    }
    // A method a route does not take: the 404 the clients know, not a 405.
    let (status, v) = s.post(&app, "/transaction/1/info", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "404");
}

#[tokio::test]
async fn the_same_idempotency_key_twenty_times_at_once_prepares_one_payment() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let body = r#"{"currency":"MAD","amount":4200,"order":{"id":"IDEM-1"}}"#;
    let send = |body: &'static str| {
        let (base, o, p) = (app.base.clone(), s.originator.clone(), s.password.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/payment/prepare"))
                .basic_auth(o, Some(p))
                .header("Idempotency-Key", "order-IDEM-1")
                .body(body)
                .send()
                .await
                .unwrap();
            answer(r).await
        }
    };
    let answers = futures_util::future::join_all((0..20).map(|_| send(body))).await;
    let first = &answers[0].1;
    assert_eq!(first["code"], "200", "{first}");
    for (status, v) in &answers {
        assert_eq!(*status, StatusCode::OK);
        assert_eq!(v, first, "every retry answers the first answer");
    }
    assert_eq!(
        app.db
            .payment_requests(guichet::db::Scope::Admin, None, 10)
            .unwrap()
            .len(),
        1,
        "one effect"
    );
    let (status, v) = send(r#"{"currency":"MAD","amount":9999,"order":{"id":"IDEM-1"}}"#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["code"], "409");
}
