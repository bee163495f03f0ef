//! The merchant API (issue 13) driven over a real socket with a plain HTTP client,
//! as a web shop's Connect2Pay client would: HTTP Basic, JSON bodies whatever the
//! Content-Type, codes as strings.

mod clients;
mod currencies;
mod errors;
mod flow;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// A shop: a merchant with a user manager and an API credential.
pub(crate) struct Shop {
    pub merchant: u64,
    pub originator: String,
    pub password: String,
}

pub(crate) fn shop(app: &TestApp, name: &str) -> Shop {
    let m = app.merchant(name);
    let actor = guichet::domain::actor::Actor::new(0, "admin", "127.0.0.1");
    let issued = app.db.api_credential_create(m.id, &actor).unwrap().unwrap();
    Shop {
        merchant: m.id,
        originator: issued.credential.originator,
        password: issued.password,
    }
}

impl Shop {
    /// POSTs `body` as the old clients do: no Content-Type.
    pub(crate) async fn post(&self, app: &TestApp, path: &str, body: &str) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", app.base))
            .basic_auth(&self.originator, Some(&self.password))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", app.base))
            .basic_auth(&self.originator, Some(&self.password))
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    /// Prepares a payment of `amount` cents; returns (merchantToken, customerToken).
    pub(crate) async fn prepare(
        &self,
        app: &TestApp,
        amount: i64,
        extra: &str,
    ) -> (String, String) {
        let body = format!(
            r#"{{"apiVersion":"002.73","currency":"MAD","amount":{amount},"operation":"sale",
            "shopper":{{"firstName":"Salma","lastName":"Idrissi","email":"salma@example.ma"}},
            "order":{{"id":"WEB-1001","description":"Deux billets"}}{extra}}}"#
        );
        let (status, v) = self.post(app, "/payment/prepare", &body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["code"], "200", "{v}");
        (
            v["merchantToken"].as_str().unwrap().to_string(),
            v["customerToken"].as_str().unwrap().to_string(),
        )
    }
}

/// The status and JSON body of an answer (which must be JSON).
pub(crate) async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(ct.starts_with("application/json"), "{status} {ct}: {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}
