//! Rebills of a stored card are bounded: a ceiling an admin sets, three a day, and a
//! receipt for each.

use guichet::db::Scope;
use guichet::domain::operation_rules::RebillPolicy;
use guichet::domain::transaction::{Operation, Transaction};
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::{Client, TestApp, spawn_app};

/// A paid 250,00 MAD sale of `shop`'s manager for salma@example.ma: its row id.
async fn paid_sale(app: &TestApp, c: &Client, m: u64) -> u64 {
    let (id, token) = new_request(c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    req.paid_tx.unwrap()
}

async fn rebill(c: &Client, sale: u64, amount: &str) -> reqwest::Response {
    c.post(
        &format!("/transactions/{sale}/operations/rebill"),
        &[("amount", amount)],
    )
    .await
}

fn rebills(app: &TestApp, sale: u64) -> Vec<Transaction> {
    app.db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Rebill)
        .collect()
}

#[tokio::test]
async fn a_rebill_above_the_original_amount_is_refused_until_an_admin_raises_the_ceiling() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    let r = rebill(&c, sale, "250,01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Une nouvelle facturation ne peut pas dépasser 250,00"),
        "{body}"
    );
    let (status, page) = c
        .page(&format!(
            "/transactions/{sale}/operations/rebill?amount=900"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused at the confirmation too"
    );
    assert!(page.contains("ne peut pas dépasser"));
    assert!(rebills(&app, sale).is_empty());
    assert_eq!(app.gateway.acquirer.payments_sent(), 1, "only the sale");

    let admin = app.admin().await;
    let (status, form) = admin
        .page(&format!("/parameters/merchants/{m}/rebill"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("max_per_day"), "{form}");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "1000,00"), ("max_per_day", "3")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit = app.db.audit(Scope::Admin, 5).unwrap();
    assert_eq!(audit[0].action, "merchant.rebill_policy");
    assert_eq!(audit[0].merchant_id, Some(m));
    // The form shows the saved values, and saving them again changes nothing.
    let (_, form) = admin
        .page(&format!("/parameters/merchants/{m}/rebill"))
        .await;
    let shown = input_value(&form, "max_amount");
    assert_eq!(shown, "1000.00");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[
                ("max_amount", &shown),
                ("max_per_day", &input_value(&form, "max_per_day")),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.db.rebill_policy(m).unwrap(),
        RebillPolicy {
            max_amount_minor: Some(100_000),
            max_per_day: 3
        }
    );

    let r = rebill(&c, sale, "900").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(rebills(&app, sale)[0].amount.minor(), 90_000);
    let r = rebill(&c, sale, "1000,01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_stored_card_is_rebilled_three_times_a_day_at_most() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    for i in 0..3 {
        let r = rebill(&c, sale, "10").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "rebill {i}");
    }
    let r = rebill(&c, sale, "10").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("déjà été refacturée 3 fois aujourd'hui"),
        "{body}"
    );
    // A rebill of a rebill is the same card: still refused.
    let first = rebills(&app, sale)[0].id;
    let r = rebill(&c, first, "10").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rebills(&app, sale).len(), 3);
    assert_eq!(
        app.gateway.acquirer.payments_sent(),
        4,
        "the sale and three rebills: the refused ones never reach the bank"
    );

    app.clock.advance(Duration::days(1));
    let c = app.signed_in("atlas.manager").await;
    let r = rebill(&c, sale, "10").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a new day");
    let to = r.headers()["location"].to_str().unwrap();
    assert!(to.contains("done="), "{to}");
    assert_eq!(rebills(&app, sale).len(), 4);
}

#[tokio::test]
async fn only_an_admin_sets_a_merchants_rebill_limits() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (status, _) = c.page(&format!("/parameters/merchants/{m}/rebill")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = c
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "99999"), ("max_per_day", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.db.rebill_policy(m).unwrap(), RebillPolicy::default());
    let admin = app.admin().await;
    let r = admin
        .post_raw(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "99999"), ("max_per_day", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "abc"), ("max_per_day", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.rebill_policy(m).unwrap(), RebillPolicy::default());
}

#[tokio::test]
async fn the_customer_gets_a_receipt_for_every_rebill() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    let before = app.db.pending_mail_count().unwrap();
    let r = rebill(&c, sale, "12,50").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.pending_mail_count().unwrap(), before + 1);
    let mail = &app.db.mails(None, 1).unwrap()[0];
    assert_eq!(mail.to, "salma@example.ma");
    assert!(
        mail.subject.starts_with("Nouveau débit de votre carte"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("12,50"), "{}", mail.text);
    assert!(mail.text.contains(&rebills(&app, sale)[0].id.to_string()));
    assert!(!mail.text.contains("4111111111111111"));
}

/// The value of the `Input` named `name` on a back-office form.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &page[at..];
    let v = rest.find(r#"value=""#).unwrap() + r#"value=""#.len();
    rest[v..].split('"').next().unwrap().to_string()
}
