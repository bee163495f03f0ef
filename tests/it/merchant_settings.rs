//! Merchant settings (issue 14, point 5): the currencies a merchant accepts (MAD
//! alone by default) bind the virtual terminal even against a crafted POST; the
//! display name, logo text and data-protection notice reach the payment page and
//! the customer's emails; the admin's form refuses bad input beside the field.

use guichet::db::Scope;
use guichet::domain::merchant_settings::MerchantSettings;
use guichet::domain::money::Currency;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, request, shop};
use crate::support::{TestApp, spawn_app};

fn allow(app: &TestApp, merchant: u64, settings: MerchantSettings) {
    let actor = guichet::domain::actor::Actor::new(0, "admin", "127.0.0.1");
    app.db
        .set_merchant_settings(merchant, &settings, &actor)
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_merchant_limited_to_mad_cannot_create_an_eur_request_even_by_a_crafted_post() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (status, form) = c.page("/terminal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"value="MAD""#), "{form}");
    assert!(!form.contains(r#"value="EUR""#) && !form.contains(r#"value="USD""#));
    let terminal = format!("{m}:21114");
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", &terminal),
                ("operation", "sale"),
                ("order_id", "CMD-EUR-1"),
                ("amount", "250,00"),
                ("currency", "EUR"),
                ("lang", "fr"),
                ("name", "Salma Idrissi"),
                ("email", "salma@example.ma"),
                ("action", "show"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Ce marchand n&#39;accepte pas EUR : devises acceptées MAD.")
            || body.contains("Ce marchand n'accepte pas EUR : devises acceptées MAD."),
        "{body}"
    );
    assert!(
        app.db
            .payment_requests(Scope::Admin, None, 10)
            .unwrap()
            .is_empty()
    );
    // Once EUR is accepted, the same request goes through and EUR is offered.
    allow(
        &app,
        m,
        MerchantSettings {
            currencies: vec![Currency::Mad, Currency::Eur],
            ..MerchantSettings::default()
        },
    );
    let (_, form) = c.page("/terminal").await;
    assert!(form.contains(r#"value="EUR""#) && !form.contains(r#"value="USD""#));
    let (id, _) = new_request(&c, m, &[("currency", "EUR")]).await;
    assert_eq!(request(&app, id).currency, Currency::Eur);
}

#[tokio::test]
async fn the_settings_form_refuses_bad_input_beside_the_field_and_saves_audited() {
    let app = spawn_app().await;
    let (m, merchant_user) = shop(&app).await;
    let path = format!("/parameters/merchants/{m}/settings");
    // Merchant users never see it.
    let (status, _) = merchant_user.page(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = app.admin().await;
    let (status, page) = admin.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("loi n° 09-08") && page.contains("CNDP"),
        "{page}"
    );
    assert!(
        page.contains(r#"name="currency" value="MAD" checked"#),
        "{page}"
    );
    let long = "x".repeat(81);
    let r = admin
        .post(
            &path,
            &[("display_name", long.as_str()), ("logo_text", "Atlas")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Cochez au moins une devise."), "{body}");
    assert!(body.contains("80 caractères au plus."), "{body}");
    assert!(body.contains(r#"id="f-currencies-err""#));
    let r = admin
        .post(&path, &[("currency", "MAD"), ("currency", "XYZ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Devise inconnue."));
    assert_eq!(
        app.db.merchant_settings(m).unwrap(),
        MerchantSettings::default()
    );
    let r = admin
        .post(
            &path,
            &[
                ("currency", "MAD"),
                ("currency", "USD"),
                ("display_name", "Atlas Voyages Maroc"),
                ("logo_text", "ATLAS"),
                ("privacy_notice", "Déclaration CNDP n° D-123-2026."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = app.db.merchant_settings(m).unwrap();
    assert_eq!(s.currencies, vec![Currency::Mad, Currency::Usd]);
    assert_eq!(s.display_name, "Atlas Voyages Maroc");
    let log = app.db.audit(Scope::Admin, 100).unwrap();
    assert!(log.iter().any(|e| e.action == "merchant.settings"));
    // Without the CSRF token nothing changes.
    let r = admin.post_raw(&path, &[("currency", "EUR")]).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.merchant_settings(m).unwrap(), s);
}

#[tokio::test]
async fn the_payment_page_and_the_email_show_the_display_name_logo_text_and_notice() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let (_, fr) = customer.page(&format!("/payment/{token}")).await;
    assert!(fr.contains("loi n° 09-08") && fr.contains("CNDP"), "{fr}");
    assert!(fr.contains("Atlas Voyages SARL"), "the company by default");
    let (_, en) = customer.page(&format!("/payment/{token}?lang=en")).await;
    assert!(en.contains("Moroccan law no. 09-08"), "{en}");
    allow(
        &app,
        m,
        MerchantSettings {
            display_name: "Atlas Voyages Maroc".into(),
            logo_text: "ATLAS <b>".into(),
            privacy_notice: "Déclaration CNDP n° D-123-2026 <script>".into(),
            ..MerchantSettings::default()
        },
    );
    let (_, fr) = customer.page(&format!("/payment/{token}")).await;
    assert!(
        fr.contains(r#"class="pay-merchant">ATLAS &lt;b&gt;<"#),
        "{fr}"
    );
    assert!(
        fr.contains(r#"class="pay-to">Atlas Voyages Maroc<"#),
        "{fr}"
    );
    assert!(fr.contains("Déclaration CNDP n° D-123-2026 &lt;script&gt;"));
    assert!(!fr.contains("Atlas Voyages SARL") && !fr.contains("loi n° 09-08"));
    // The email of a link sent now names the merchant by its display name.
    let (id, _) = new_request(&c, m, &[("action", "send")]).await;
    let mail_id = *request(&app, id).emails.last().expect("an email queued");
    let mail = app.db.mail(mail_id).unwrap().unwrap();
    assert!(
        mail.subject.contains("Atlas Voyages Maroc"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Atlas Voyages Maroc"));
    assert!(!mail.text.contains("Atlas Voyages SARL"));
}

#[tokio::test]
async fn the_gateway_itself_refuses_a_request_in_a_currency_the_merchant_does_not_accept() {
    use guichet::domain::money::Amount;
    use guichet::domain::request_form::RequestInput;
    use guichet::domain::transaction::{Operation, Party};
    let app = spawn_app().await;
    let (m, _) = shop(&app).await;
    let input = |currency| RequestInput {
        operation: Operation::Sale,
        order_id: "CMD-GW-1".into(),
        amount: Amount::from_minor(10_000).unwrap(),
        currency,
        description: String::new(),
        lang: guichet::domain::Lang::Fr,
        validity_days: 7,
        holder: Party {
            name: "Salma Idrissi".into(),
            email: "salma@example.ma".into(),
            ..Party::default()
        },
    };
    let refused = app
        .gateway
        .create_request(input(Currency::Eur), m, 0, "tester", true);
    assert!(
        matches!(
            refused,
            Err(guichet::db::Error::CurrencyNotAccepted(Currency::Eur))
        ),
        "{:?}",
        refused.err()
    );
    assert!(
        app.db
            .payment_requests(Scope::Admin, None, 10)
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    let created = app
        .gateway
        .create_request(input(Currency::Mad), m, 0, "tester", false)
        .unwrap();
    assert_eq!(created.request.currency, Currency::Mad);
}
