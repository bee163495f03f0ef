//! The whole flow of a shop: prepare, the customer pays on the payment page and is
//! sent back with the encrypted status, status, info, operations, export, account.

use guichet::clock::Clock;
use guichet::domain::c2p_crypto::decrypt_redirect_data;
use reqwest::StatusCode;
use serde_json::Value;

use super::shop;
use crate::fixtures::payments::pay;
use crate::support::html::field_in;
use crate::support::spawn_app;

#[tokio::test]
async fn a_shop_prepares_a_payment_its_customer_pays_and_the_shop_reads_refunds_and_exports_it() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas Voyages");
    let (mt, ct) = s
        .prepare(
            &app,
            25_000,
            r#","ctrlRedirectURL":"https://shop.example/return?payxpert_return=1","ctrlCustomData":"cart-77""#,
        )
        .await;
    assert_eq!(mt.len(), 22, "16 bytes of URL-safe base64: {mt}");
    assert_eq!(ct.len(), 32);
    // Before payment.
    let (status, v) = s
        .get(&app, &format!("/payment/{mt}/status?apiVersion=002.73"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "Not processed");
    assert_eq!(v["transactions"], serde_json::json!([]));
    assert_eq!(v["order"]["id"], "WEB-1001");
    // The customer pays on the existing page, then goes back to the shop.
    let customer = app.client();
    let result = pay(&customer, &ct, "4111111111111111", "").await;
    let r = customer.get(&result).await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("form-action 'self' https://shop.example;"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"action="https://shop.example/return?payxpert_return=1""#),
        "{page}"
    );
    assert_eq!(field_in(&page, "customer"), ct);
    let data = field_in(&page, "data");
    let back: Value =
        serde_json::from_str(&decrypt_redirect_data(&mt, &data).expect("decrypts")).unwrap();
    assert_eq!(back["status"], "Authorized");
    assert_eq!(back["errorCode"], "000");
    assert_eq!(back["merchantToken"], mt);
    assert_eq!(back["ctrlCustomData"], "cart-77");
    // Status, as the shop reads it (and the old alias).
    let (_, v) = s.get(&app, &format!("/payment/{mt}/status")).await;
    assert_eq!(v["status"], "Authorized");
    assert_eq!(v["amount"], 25_000);
    let sale = v["transactions"][0].clone();
    assert_eq!(sale["operation"], "sale");
    assert_eq!(sale["resultCode"], "000");
    assert_eq!(sale["paymentMeanInfo"]["cardNumber"], "411111XXXXXX1111");
    assert_eq!(sale["paymentMerchantToken"], mt);
    let id = sale["transactionID"].as_str().unwrap().to_string();
    let (_, old) = s.get(&app, &format!("/transaction/{mt}/status")).await;
    assert_eq!(old["status"], "Authorized");
    // Info.
    let (status, info) = s.get(&app, &format!("/transaction/{id}/info")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["transactionID"], id.as_str());
    assert_eq!(info["orderID"], "WEB-1001");
    // A partial refund, then another for more than is left.
    let (status, r) = s
        .post(
            &app,
            &format!("/transaction/{id}/refund"),
            r#"{"apiVersion":"002.73","amount":5000}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["code"], "000", "{r}");
    assert_eq!(r["operation"], "refund");
    let refund_id = r["transactionID"].as_str().unwrap().to_string();
    let (_, r) = s
        .post(
            &app,
            &format!("/transaction/{id}/refund"),
            r#"{"amount":100}"#,
        )
        .await;
    assert_eq!(r["code"], "501", "one refund per transaction: {r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("already been refunded"),
        "{r}"
    );
    let (_, v) = s.get(&app, &format!("/payment/{mt}/status")).await;
    let t = v["transactions"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["refundedAmount"], 5_000);
    assert_eq!(t[1]["refTransactionID"], id.as_str());
    assert_eq!(t[1]["transactionID"], refund_id.as_str());
    // Export of the day, then filtered by operation.
    let now = app.clock.now().unix_timestamp();
    let (status, e) = s
        .get(
            &app,
            &format!(
                "/transactions/export?apiVersion=002.73&startTime={}&endTime={}",
                now - 3600,
                now + 3600
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = e["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["transactionID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [id.as_str(), refund_id.as_str()],
        "oldest first, no 3-D Secure row"
    );
    let (_, e) = s
        .get(
            &app,
            &format!("/transactions/export?startTime={}&endTime={}&operation=refund&transactionResultCode=0", now - 3600, now + 3600),
        )
        .await;
    assert_eq!(e["transactions"].as_array().unwrap().len(), 1);
    // Account.
    let (_, a) = s.get(&app, "/account").await;
    assert_eq!(a["name"], "Atlas Voyages");
    assert_eq!(a["paymentMethods"][0]["paymentMethod"], "CreditCard");
    assert!(a["paymentMethods"][0]["currencies"].is_array());
    assert!(app.db.check().unwrap().is_ok());
}

#[tokio::test]
async fn an_authorization_is_captured_and_another_cancelled_through_the_api() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (mt, ct) = s.prepare(&app, 10_000, r#","operation":"authorize""#).await;
        pay(&app.client(), &ct, "4111111111111111", "").await;
        let (_, v) = s.get(&app, &format!("/payment/{mt}/status")).await;
        assert_eq!(v["operation"], "authorize");
        ids.push(
            v["transactions"][0]["transactionID"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (_, r) = s
        .post(
            &app,
            &format!("/transaction/{}/capture", ids[0]),
            r#"{"amount":8000}"#,
        )
        .await;
    assert_eq!(r["code"], "000", "{r}");
    assert_eq!(r["operation"], "capture");
    assert_eq!(
        r["errorCode"], "000",
        "the old Payzone client reads errorCode"
    );
    let (_, r) = s
        .post(
            &app,
            &format!("/transaction/{}/capture", ids[0]),
            r#"{"amount":1000}"#,
        )
        .await;
    assert_eq!(r["code"], "501", "captured already: {r}");
    // Cancel without an amount releases the whole authorization.
    let (_, r) = s
        .post(&app, &format!("/transaction/{}/cancel", ids[1]), "")
        .await;
    assert_eq!(r["code"], "000", "{r}");
    assert_eq!(r["operation"], "cancel");
    let (_, r) = s
        .post(
            &app,
            &format!("/transaction/{}/rebill", ids[1]),
            r#"{"amount":10001}"#,
        )
        .await;
    assert_eq!(r["code"], "501", "above the original amount: {r}");
    let (_, r) = s
        .post(
            &app,
            &format!("/transaction/{}/rebill", ids[1]),
            r#"{"amount":2500,"orderId":"R-2"}"#,
        )
        .await;
    assert_eq!(r["code"], "000", "{r}");
    assert_eq!(r["operation"], "rebill");
    let rebill = r["transactionID"].as_str().unwrap().to_string();
    let (_, info) = s.get(&app, &format!("/transaction/{rebill}/info")).await;
    assert_eq!(info["orderID"], "R-2", "the rebill's own order id");
    assert_eq!(info["refTransactionID"], ids[1].as_str());
}

#[tokio::test]
async fn the_old_payzone_client_prepares_with_flat_fields_and_its_customer_uses_dopay() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let (status, v) = s
        .post(
            &app,
            "/transaction/prepare",
            r#"{"apiVersion":"002","currency":"MAD","amount":1500,"orderID":"PZ-7","shippingType":"Virtual",
            "paymentType":"CreditCard","customerIP":"203.0.113.9","ctrlRedirectURL":"http://shop.example/back",
            "shopperFirstName":"Omar","shopperEmail":"omar@example.ma"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["code"], "200", "{v}");
    let ct = v["customerToken"].as_str().unwrap();
    let r = app.client().get(&format!("/transaction/{ct}/dopay")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/payment/{ct}").as_str());
    let mt = v["merchantToken"].as_str().unwrap();
    let (_, st) = s.get(&app, &format!("/transaction/{mt}/status")).await;
    assert_eq!(st["apiVersion"], "002");
    assert_eq!(st["orderID"], "PZ-7");
    assert_eq!(st["shopperName"], "Omar");
}

#[tokio::test]
async fn a_prepared_payment_shows_in_processing_with_its_origin_order_and_custom_data() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    app.merchant_user(
        "atlas.manager",
        s.merchant,
        guichet::domain::user::Permissions::ALL,
    );
    s.prepare(
        &app,
        7_700,
        r#","ctrlCustomData":"panier 5512","ctrlCallbackURL":"https://shop.example/cb""#,
    )
    .await;
    let c = app.signed_in("atlas.manager").await;
    let (status, list) = c.page("/payment-requests").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("WEB-1001"), "{list}");
    assert!(list.contains(r#"class="badge info""#), "the API badge");
    let id = app
        .db
        .payment_requests(guichet::db::Scope::Admin, None, 1)
        .unwrap()[0]
        .id;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(
        page.contains(&format!(
            "API marchand (identifiant {}, version 002.73)",
            s.originator
        )),
        "{page}"
    );
    assert!(page.contains("panier 5512"));
    assert!(page.contains("https://shop.example/cb"));
}

#[tokio::test]
async fn a_paid_api_payment_notifies_its_shop_with_the_signed_status() {
    use crate::callbacks::Receiver;
    let app = crate::support::spawn_app_with(|c| {
        c.callback_allow_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let s = shop(&app, "Atlas");
    let shop_server = Receiver::start(&[]).await;
    let (mt, ct) = s
        .prepare(
            &app,
            12_300,
            &format!(
                r#","ctrlCallbackURL":"{}","ctrlCustomData":"c-9""#,
                shop_server.url()
            ),
        )
        .await;
    // A refusal the customer may retry says nothing yet; the payment does.
    pay(&app.client(), &ct, "4000000000000002", "").await;
    pay(&app.client(), &ct, "4111111111111111", "").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while shop_server.got().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no callback came");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = shop_server.got();
    assert_eq!(got.len(), 1, "one notification, when the payment ended");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["status"], "Authorized");
    assert_eq!(body["merchantToken"], mt);
    assert_eq!(body["ctrlCustomData"], "c-9");
    assert_eq!(body["transactions"].as_array().unwrap().len(), 2);
    assert!(got[0].headers["x-guichet-signature"].starts_with("v1="));
    // The request's page lists the delivery.
    let id = app
        .db
        .payment_requests(guichet::db::Scope::Admin, None, 1)
        .unwrap()[0]
        .id;
    let admin = app.admin().await;
    let (_, page) = admin.page(&format!("/payment-requests/{id}")).await;
    assert!(page.contains("Notifications de la boutique"), "{page}");
    assert!(
        page.contains(&shop_server.url().replace('&', "&amp;")),
        "{page}"
    );
}
