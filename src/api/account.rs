//! `GET /account` (spec §11.1): the merchant's payment-page settings as the shop's
//! client reads them.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use serde_json::json;

use super::{blocking, not_found, query_version, reply};
use crate::db::Scope;
use crate::domain::c2p::DEFAULT_API_VERSION;
use crate::handlers::AppState;

#[handler]
pub async fn account(req: &Request, state: Data<&AppState>) -> Response {
    let caller = match super::auth::authenticate(req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let db = state.db.clone();
    let id = caller.merchant_id;
    let found = blocking(move || {
        let m = db.merchant(Scope::Merchant(id), id)?;
        Ok(match m {
            Some(m) => Some((m, db.merchant_settings(id)?)),
            None => None,
        })
    })
    .await;
    let (merchant, settings) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return not_found("Merchant"),
        Err(r) => return r,
    };
    let version = match query_version(req) {
        v if v.is_empty() => DEFAULT_API_VERSION.to_string(),
        v => v,
    };
    // The currencies this merchant accepts (its settings; amounts in their minor units).
    let currencies: Vec<&str> = settings.currencies.iter().map(|c| c.code()).collect();
    reply(
        StatusCode::OK,
        &json!({
            "apiVersion": version,
            "name": merchant.name,
            "displayTerms": false,
            "termsUrl": "",
            "supportUrl": "",
            "maxAttempts": state.config.max_attempts,
            "notificationSenderName": merchant.name,
            "notificationSenderEmail": state.config.mail_from,
            // The customer gets a receipt of an accepted payment when an email is known.
            "notificationOnSuccess": true,
            "notificationOnFailure": false,
            "merchantNotification": false,
            "merchantNotificationTo": "",
            "merchantNotificationLang": "fr",
            "paymentMethods": [{
                "paymentMethod": "CreditCard",
                "currencies": currencies,
                "defaultOperation": "sale",
            }],
            "themes": [],
        }),
    )
}
