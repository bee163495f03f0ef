//! A prepare in a currency the merchant does not accept (its settings: MAD alone by
//! default) is refused with the API's 400, naming the accepted ones.

use guichet::domain::merchant_settings::MerchantSettings;
use guichet::domain::money::Currency;

use super::shop;
use crate::support::spawn_app;

#[tokio::test]
async fn a_prepare_in_a_currency_the_merchant_does_not_accept_is_refused_naming_the_accepted_ones()
{
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let body = r#"{"apiVersion":"002.73","currency":"EUR","amount":1000,"operation":"sale","order":{"id":"WEB-EUR"}}"#;
    let (_, v) = s.post(&app, "/payment/prepare", body).await;
    assert_eq!(v["code"], "400", "{v}");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("EUR") && message.contains("accepted: MAD"),
        "{message}"
    );
    assert!(
        app.db
            .payment_requests(guichet::db::Scope::Admin, None, 10)
            .unwrap()
            .is_empty()
    );
    let actor = guichet::domain::actor::Actor::new(0, "admin", "127.0.0.1");
    let settings = MerchantSettings {
        currencies: vec![Currency::Mad, Currency::Eur],
        ..MerchantSettings::default()
    };
    app.db
        .set_merchant_settings(s.merchant, &settings, &actor)
        .unwrap()
        .unwrap();
    let (_, v) = s.post(&app, "/payment/prepare", body).await;
    assert_eq!(v["code"], "200", "{v}");
}
