//! Issue 17, money in every currency's decimals: a Tunisian dinar merchant (3
//! decimals) and a yen one (none) take payments through the virtual terminal and the
//! merchant API, read them in the list in both languages, export them and refund a
//! part; what people type wrongly is refused beside the field in both languages.

use calamine::Data;
use guichet::db::Scope;
use guichet::domain::actor::Actor;
use guichet::domain::money::Currency;
use guichet::domain::transaction::{Operation, Transaction};
use guichet::export::COLUMNS;
use reqwest::StatusCode;
use serde_json::Value;

use crate::fixtures::payments::{new_request, pay, request, shop};
use crate::support::download::download;
use crate::support::sheets::{Sheet, json_table};
use crate::support::{Client, TestApp, spawn_app};

/// The admin sets merchant `m` to accept MAD and the codes typed in `other`, through
/// its settings page.
async fn accept(app: &TestApp, m: u64, other: &str) {
    let admin = app.admin().await;
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/settings"),
            &[("currency", "MAD"), ("currency_other", other)],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin
        .page(&format!("/parameters/merchants/{m}/settings"))
        .await;
    for code in other.split(", ") {
        assert!(
            page.contains(&format!(r#"name="currency" value="{code}" checked"#)),
            "{code} ticked: {page}"
        );
    }
}

/// An API credential of merchant `m`: (originator, password).
fn credential(app: &TestApp, m: u64) -> (String, String) {
    let actor = Actor::new(0, "admin", "127.0.0.1");
    let issued = app.db.api_credential_create(m, &actor).unwrap().unwrap();
    (issued.credential.originator, issued.password)
}

/// A JSON call of the merchant API with HTTP Basic.
async fn api(app: &TestApp, who: &(String, String), path: &str, body: Option<&str>) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", app.base);
    let r = match body {
        Some(b) => client.post(url).body(b.to_string()),
        None => client.get(url),
    }
    .basic_auth(&who.0, Some(&who.1))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Prepares a sale of `amount` minor units in `currency` through the API, pays it on
/// the payment page; returns the transaction.
async fn api_sale(
    app: &TestApp,
    who: &(String, String),
    currency: &str,
    amount: i64,
    shown: &str,
) -> Transaction {
    let body = format!(
        r#"{{"apiVersion":"002.73","currency":"{currency}","amount":{amount},"operation":"sale",
        "shopper":{{"firstName":"Salma","lastName":"Idrissi","email":"salma@example.ma"}},
        "order":{{"id":"WEB-{currency}"}}}}"#
    );
    let v = api(app, who, "/payment/prepare", Some(&body)).await;
    assert_eq!(v["code"], "200", "{v}");
    let (mt, ct) = (
        v["merchantToken"].as_str().unwrap().to_string(),
        v["customerToken"].as_str().unwrap().to_string(),
    );
    let customer = app.client();
    let (_, page) = customer.page(&format!("/payment/{ct}")).await;
    assert!(
        page.contains(shown),
        "the payment page shows {shown}: {page}"
    );
    pay(&customer, &ct, "4111111111111111", "").await;
    let status = api(app, who, &format!("/payment/{mt}/status"), None).await;
    assert_eq!(status["amount"], amount, "{status}");
    assert_eq!(status["currency"], currency, "{status}");
    let tx = &status["transactions"][0];
    assert_eq!(tx["amount"], amount, "{tx}");
    let id: u64 = tx["transactionID"].as_str().unwrap().parse().unwrap();
    app.db.transaction(Scope::Admin, id).unwrap().unwrap()
}

/// Pays a terminal request (created with `fields`) and returns its transaction.
async fn terminal_sale(app: &TestApp, c: &Client, m: u64, fields: &[(&str, &str)]) -> Transaction {
    let (id, token) = new_request(c, m, fields).await;
    let customer = app.client();
    pay(&customer, &token, "4111111111111111", "").await;
    let tx = request(app, id).paid_tx.expect("paid");
    app.db.transaction(Scope::Admin, tx).unwrap().unwrap()
}

/// The amount and currency cells of row `id` in a CSV export (columns 5 and 6).
fn csv_amount(csv: &str, id: u64) -> (String, String) {
    let mut r =
        csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    for row in r.records() {
        let row = row.unwrap();
        if row[0] == id.to_string() {
            return (row[4].to_string(), row[5].to_string());
        }
    }
    panic!("no row {id} in {csv}")
}

#[tokio::test]
async fn a_tnd_merchant_takes_12_345_tnd_by_terminal_and_api_lists_exports_and_refunds_0_005() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    accept(&app, m, "TND").await;
    // The virtual terminal, in French: 12,345 is twelve dinars and 345 millimes.
    let by_terminal =
        terminal_sale(&app, &c, m, &[("amount", "12,345"), ("currency", "TND")]).await;
    assert_eq!(by_terminal.currency, Currency::Tnd);
    assert_eq!(by_terminal.amount.minor(), 12_345);
    // The merchant API: amounts in the currency's minor units.
    let who = credential(&app, m);
    let by_api = api_sale(&app, &who, "TND", 12_345, "12,345 TND").await;
    assert_eq!(by_api.currency, Currency::Tnd);
    assert_eq!(by_api.amount.minor(), 12_345);
    let account = api(&app, &who, "/account", None).await;
    assert_eq!(
        account["paymentMethods"][0]["currencies"],
        serde_json::json!(["MAD", "TND"])
    );
    // The list, in French then in English.
    let (status, list) = c.page("/transactions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.matches("12,345 TND").count() >= 2, "{list}");
    assert!(list.contains("24,690 TND"), "the net total: {list}");
    // Exports: a decimal point and three decimals, in CSV and JSON.
    let csv = download(&c, "csv", "all", &[]).await;
    assert_eq!(csv.status, StatusCode::OK);
    for tx in [&by_terminal, &by_api] {
        assert_eq!(
            csv_amount(csv.text(), tx.id),
            ("12.345".into(), "TND".into())
        );
    }
    let json = download(&c, "json", "all", &[]).await;
    let rows = json_table(&json.body);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row[col("amount")], "12.345", "{row:?}");
        assert_eq!(row[col("currency")], "TND", "{row:?}");
    }
    // XLSX: a number, 12.345 (shown with three decimals).
    let xlsx = Sheet::read(&download(&c, "xlsx", "all", &[]).await.body);
    assert_eq!(xlsx.height(), 3);
    for row in 1..3 {
        assert_eq!(xlsx.get(row, col("amount")), &Data::Float(12.345));
    }
    // A refund of 0,005 TND from the back office: five millimes.
    let (status, confirm) = c
        .page(&format!(
            "/transactions/{}/operations/refund?amount=0,005",
            by_terminal.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Rembourser 0,005 TND"), "{confirm}");
    assert!(
        confirm.contains(r#"name="amount" value="0,005""#),
        "{confirm}"
    );
    let r = c
        .post(
            &format!("/transactions/{}/operations/refund", by_terminal.id),
            &[("amount", "0,005")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let refund = children(&app, by_terminal.id);
    assert_eq!(refund.len(), 1);
    assert_eq!(refund[0].operation, Operation::Refund);
    assert_eq!(refund[0].amount.minor(), 5);
    assert_eq!(refund[0].currency, Currency::Tnd);
    let (_, detail) = c.page(&format!("/transactions/{}", by_terminal.id)).await;
    assert!(detail.contains("0,005 / 12,345 TND"), "{detail}");
    // The API refunds in minor units too: 5 millimes of the other sale.
    let r = api(
        &app,
        &who,
        &format!("/transaction/{}/refund", by_api.id),
        Some(r#"{"amount":5}"#),
    )
    .await;
    assert_eq!(r["code"], "000", "{r}");
    let (_, list) = c.page("/transactions").await;
    assert!(list.contains("0,005 TND"), "{list}");
    assert!(
        list.contains("24,680 TND"),
        "the net total after two refunds: {list}"
    );
    // Home and Statistics count in dinars too; the statistics CSV in their decimals.
    let (_, home) = c.page("/home").await;
    assert!(home.contains("24,680 TND"), "{home}");
    let stats = c.get("/statistics/export?table=periods").await;
    assert_eq!(stats.status(), StatusCode::OK);
    let stats = stats.text().await.unwrap();
    assert!(
        stats.contains("CA net (TND)") && stats.contains(",24.680"),
        "{stats}"
    );
    // The email of a payment link, previewed from the terminal.
    let terminal = format!("{m}:21114");
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", terminal.as_str()),
                ("operation", "sale"),
                ("order_id", "CMD-MAIL"),
                ("amount", "7,5"),
                ("currency", "TND"),
                ("lang", "fr"),
                ("name", "Salma Idrissi"),
                ("email", "salma@example.ma"),
                ("country", "TN"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let preview = r.text().await.unwrap();
    assert!(preview.contains("7,500 TND"), "{preview}");
    c.post("/lang", &[("lang", "en")]).await;
    let (_, list) = c.page("/transactions").await;
    assert!(
        list.contains("12.345 TND") && list.contains("24.680 TND"),
        "{list}"
    );
}

#[tokio::test]
async fn a_yen_merchant_types_no_decimals_and_exports_whole_yen() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    accept(&app, m, "JPY, TND").await;
    let sale = terminal_sale(&app, &c, m, &[("amount", "1 500"), ("currency", "JPY")]).await;
    assert_eq!(sale.currency, Currency::Jpy);
    assert_eq!(sale.amount.minor(), 1500);
    let who = credential(&app, m);
    let by_api = api_sale(&app, &who, "JPY", 2_000, "2 000 JPY").await;
    assert_eq!(by_api.amount.minor(), 2000);
    let (_, list) = c.page("/transactions").await;
    assert!(
        list.contains("1 500 JPY") && list.contains("3 500 JPY"),
        "{list}"
    );
    let csv = download(&c, "csv", "all", &[]).await;
    assert_eq!(
        csv_amount(csv.text(), sale.id),
        ("1500".into(), "JPY".into())
    );
    let json = download(&c, "json", "all", &[]).await;
    assert!(
        json_table(&json.body)
            .iter()
            .any(|row| row[col("amount")] == "2000" && row[col("currency")] == "JPY")
    );
    // A yen has no decimals: a refund of 0,5 is refused beside the field.
    let r = c
        .post(
            &format!("/transactions/{}/operations/refund", sale.id),
            &[("amount", "0,5")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("« 0,5 » : pas de décimales en JPY.")
    );
    let r = c
        .post(
            &format!("/transactions/{}/operations/refund", sale.id),
            &[("amount", "500")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(children(&app, sale.id)[0].amount.minor(), 500);
    let (_, detail) = c.page(&format!("/transactions/{}", sale.id)).await;
    assert!(detail.contains("500 / 1 500 JPY"), "{detail}");
}

#[tokio::test]
async fn bad_amounts_get_a_clear_message_beside_the_field_in_both_languages() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    accept(&app, m, "TND").await;
    let terminal = format!("{m}:21114");
    let refused = |lang: &'static str, amount: &'static str, currency: &'static str| {
        let terminal = terminal.clone();
        let c = &c;
        async move {
            c.post("/lang", &[("lang", lang)]).await;
            let r = c
                .post(
                    "/terminal",
                    &[
                        ("terminal", terminal.as_str()),
                        ("operation", "sale"),
                        ("order_id", "CMD-1"),
                        ("amount", amount),
                        ("currency", currency),
                        ("lang", "fr"),
                        ("name", "Salma Idrissi"),
                        ("email", "salma@example.ma"),
                        ("country", "TN"),
                        ("action", "show"),
                    ],
                )
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{lang} {amount}"
            );
            r.text().await.unwrap()
        }
    };
    for (lang, amount, currency, message) in [
        ("fr", "1,2,3", "MAD", "« 1,2,3 » n'est pas un montant"),
        ("en", "1,2,3", "MAD", "&quot;1,2,3&quot; is not an amount"),
        ("fr", "1e3", "TND", "« 1e3 » n'est pas un montant"),
        ("en", "1e3", "TND", "&quot;1e3&quot; is not an amount"),
        (
            "fr",
            "12,3456",
            "TND",
            "« 12,3456 » : trois décimales au plus en TND.",
        ),
        (
            "en",
            "12.3456",
            "TND",
            "&quot;12.3456&quot;: at most three decimals in TND.",
        ),
        ("fr", "-5", "TND", "le montant ne peut pas être négatif"),
        ("en", "-5", "TND", "the amount cannot be negative"),
        ("fr", "10000000", "TND", "le montant dépasse 9 999 999,999."),
        ("en", "10000000", "TND", "the amount exceeds 9,999,999.999."),
        (
            "fr",
            "100000000",
            "MAD",
            "le montant dépasse 99 999 999,99.",
        ),
        // In English a lone comma before three digits may group thousands.
        ("en", "12,345", "TND", "is ambiguous"),
        ("fr", "10,001", "MAD", "est ambigu"),
        // Other scripts' digits are not read.
        ("fr", "१२३", "MAD", "n'est pas un montant"),
    ] {
        let page = refused(lang, amount, currency).await;
        assert!(page.contains(message), "{lang} {amount}: {page}");
        assert!(
            page.contains(r#"id="f-amount-err""#),
            "{lang} {amount}: beside the field"
        );
    }
    // Arabic-Indic digits are read as the digits they are.
    c.post("/lang", &[("lang", "fr")]).await;
    let tx = terminal_sale(&app, &c, m, &[("amount", "١٢٫٣٤٥"), ("currency", "TND")]).await;
    assert_eq!((tx.amount.minor(), tx.currency), (12_345, Currency::Tnd));
}

/// The place of export column `name`.
fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

/// The follow-up rows of transaction `id`.
fn children(app: &TestApp, id: u64) -> Vec<Transaction> {
    app.db.children(Scope::Admin, id).unwrap()
}
