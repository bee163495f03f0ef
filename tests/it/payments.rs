//! Payment links end to end: the virtual terminal, the payment page with 3-D Secure,
//! every test card, blocking after refusals, concurrency, link states.

use guichet::acquirer::{CHALLENGE_CODE, Enrolment, TEST_CARDS};
use guichet::db::Scope;
use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::payment::PaymentRequest;
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, shop, submit_card, token_in_link};
use crate::support::html::field_in;
use crate::support::{Client, TestApp, spawn_app, spawn_app_with};

fn request(app: &TestApp, id: u64) -> PaymentRequest {
    app.db.payment_request(Scope::Admin, id).unwrap().unwrap()
}

fn tx(app: &TestApp, id: u64) -> Transaction {
    app.db.transaction(Scope::Admin, id).unwrap().unwrap()
}

/// The (3-D Secure row, sale row) of the request's last attempt.
fn last_attempt(app: &TestApp, id: u64) -> (Transaction, Transaction) {
    let sale = tx(app, *request(app, id).attempts.last().expect("an attempt"));
    let three_ds = tx(
        app,
        sale.parent_id.expect("sale linked to its 3-D Secure row"),
    );
    (three_ds, sale)
}

#[tokio::test]
async fn every_test_card_gives_its_code_and_its_two_linked_rows() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    for card in TEST_CARDS {
        let (id, token) = new_request(&c, m, &[]).await;
        let customer = app.client();
        let result = pay(&customer, &token, card.number, CHALLENGE_CODE).await;
        let expected = if card.brand == Brand::Amex
            || (card.enrolment == Enrolment::NotEnrolled && card.country != "MA")
        {
            ResultCode::INTERNAL_REFUSAL
        } else {
            card.outcome
        };
        assert_eq!(card.expected(), expected, "documented outcome");
        let (three_ds, sale) = last_attempt(&app, id);
        assert_eq!(sale.code, expected, "{}", card.number);
        assert_eq!(three_ds.operation, Operation::ThreeDSecure);
        assert_eq!(sale.operation, Operation::Sale);
        assert!(three_ds.test && sale.test, "simulator rows are test rows");
        assert_eq!(sale.amount.minor(), 25_000);
        let stored = sale.card.as_ref().unwrap();
        assert_eq!(stored.last4, &card.number[card.number.len() - 4..]);
        assert_eq!(stored.country, card.country);
        // The 3-D Secure row passed unless the refusal came from the 3-D Secure rule.
        let three_ds_expected = if expected == ResultCode::INTERNAL_REFUSAL {
            expected
        } else {
            ResultCode::ACCEPTED
        };
        assert_eq!(three_ds.code, three_ds_expected, "{}", card.number);
        assert_eq!(stored.three_ds, three_ds_expected.is_accepted());
        let (status, page) = customer.page(&result).await;
        assert_eq!(status, StatusCode::OK);
        if expected.is_accepted() {
            assert!(page.contains("Paiement accepté"), "{page}");
            assert_eq!(request(&app, id).paid_tx, Some(sale.id));
        } else {
            assert!(page.contains("Paiement refusé"), "{page}");
            assert!(page.contains(expected.customer_text(guichet::domain::Lang::Fr)));
            assert!(page.contains("Réessayer"), "another try is offered: {page}");
        }
        assert_eq!(
            app.db.journal(sale.id).unwrap().last().unwrap().code,
            Some(expected)
        );
        assert!(!app.db.journal(three_ds.id).unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_wrong_3ds_code_refuses_with_656_on_both_rows() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let result = pay(&customer, &token, "5105 1051 0510 5100", "654321").await;
    let (three_ds, sale) = last_attempt(&app, id);
    assert_eq!(three_ds.code, ResultCode::THREE_DS_FAILED);
    assert_eq!(sale.code, ResultCode::THREE_DS_FAILED);
    let (_, page) = customer.page(&result).await;
    assert!(
        page.contains("La vérification 3-D Secure a échoué"),
        "{page}"
    );
    assert_eq!(
        app.gateway.acquirer.payments_sent(),
        0,
        "nothing sent to the bank"
    );
}

#[tokio::test]
async fn three_refused_attempts_block_the_request_and_the_next_one_answers_585() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    // Three forms opened before the refusals, so the fourth can still be sent.
    let (_, late_page) = customer.page(&format!("/payment/{token}")).await;
    for _ in 0..3 {
        pay(&customer, &token, "4000000000009995", "").await;
    }
    assert_eq!(request(&app, id).refused_attempts, 3);
    let (status, page) = customer.page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Paiement bloqué"), "{page}");
    let sent = app.gateway.acquirer.payments_sent();
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &field_in(&late_page, "csrf")),
                ("attempt", &field_in(&late_page, "attempt")),
                ("holder", "Salma Idrissi"),
                ("number", "4111111111111111"),
                ("expiry", "12/30"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (three_ds, sale) = last_attempt(&app, id);
    assert_eq!(sale.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(three_ds.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(
        app.gateway.acquirer.payments_sent(),
        sent,
        "585 never reaches the bank"
    );
    let (_, page) = customer
        .page(r.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("585") && page.contains("bloqué"), "{page}");
    let journal = app.db.journal(sale.id).unwrap();
    assert!(format!("{journal:?}").contains("TooManyAttempts"));
}

#[tokio::test]
async fn the_attempt_limit_is_configurable() {
    let app = spawn_app_with(|c| c.max_attempts = 1).await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4000000000000002", "").await;
    assert!(request(&app, id).blocked);
}

#[tokio::test]
async fn card_errors_are_shown_in_place_and_nothing_is_sent_or_written() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let before = app.db.transaction_count().unwrap();
    for (number, expiry, cvv, message) in [
        (
            "4111111111111112",
            "12/30",
            "123",
            "Ce numéro de carte n'est pas valide",
        ),
        (
            "4111111111111111",
            "01/26",
            "123",
            "Cette carte est expirée",
        ),
        (
            "4111111111111111",
            "13/30",
            "123",
            "date d'expiration attendue",
        ),
        (
            "4111111111111111",
            "12/30",
            "12",
            "Le cryptogramme a 3 chiffres",
        ),
        ("4111-1111", "12/30", "123", "de 12 à 19 chiffres"),
    ] {
        let r = submit_card(&customer, &token, number, expiry, cvv).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{number}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{message}: {body}");
        assert!(body.contains("Salma Idrissi"), "typed values are kept");
        assert!(!body.contains(&format!(r#"value="{cvv}""#)) || cvv.len() < 3);
    }
    assert_eq!(app.db.transaction_count().unwrap(), before);
    assert_eq!(app.gateway.acquirer.payments_sent(), 0);
}

#[tokio::test]
async fn twenty_concurrent_pay_now_make_one_acquirer_call_and_one_payment() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    // Half double-click one form (same attempt key), half come from other tabs.
    let customer = app.client();
    let (_, page) = customer.page(&format!("/payment/{token}")).await;
    let csrf = field_in(&page, "csrf");
    let same = field_in(&page, "attempt");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = customer.http.clone();
        let url = format!("{}/payment/{token}", app.base);
        let csrf = csrf.clone();
        let attempt = if i % 2 == 0 {
            same.clone()
        } else {
            format!("tab-{i}")
        };
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("attempt", attempt.as_str()),
                    ("holder", "Salma Idrissi"),
                    ("number", "4111111111111111"),
                    ("expiry", "12/30"),
                    ("cvv", "123"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.gateway.acquirer.payments_sent(), 1);
    let req = request(&app, id);
    assert_eq!(req.attempts.len(), 1);
    assert!(req.paid_tx.is_some());
    assert_eq!(app.db.transaction_count().unwrap(), 2);
    let (status, page) = customer.page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Demande déjà payée") && page.contains("Reçu"),
        "{page}"
    );
}

#[tokio::test]
async fn expired_cancelled_paid_and_unknown_links_get_their_own_page() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let customer = app.client();

    let (_, unknown) = customer
        .page("/payment/0123456789abcdef0123456789abcdef")
        .await;
    assert!(unknown.contains("Lien inconnu"));
    let r = customer.get("/payment/not-a-token").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (paid_id, paid) = new_request(&c, m, &[]).await;
    pay(&customer, &paid, "4111111111111111", "").await;
    assert!(request(&app, paid_id).paid_tx.is_some());

    let (cancel_id, cancelled) = new_request(&c, m, &[]).await;
    let (status, confirm) = c
        .page(&format!("/payment-requests/{cancel_id}/cancel"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Confirmer l'annulation"));
    let r = c
        .post(&format!("/payment-requests/{cancel_id}/cancel"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = customer.page(&format!("/payment/{cancelled}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Demande annulée"), "{page}");

    let (_, expiring) = new_request(&c, m, &[("validity_days", "1")]).await;
    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    let (status, page) = customer.page(&format!("/payment/{expiring}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Lien expiré"), "{page}");
    let r = submit_card_blind(&customer, &expiring).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "redirected to the expired page"
    );
    assert_eq!(
        app.gateway.acquirer.payments_sent(),
        1,
        "no payment on a dead link"
    );

    let c = app.signed_in("atlas.manager").await;
    let (_, list) = c.page("/payment-requests").await;
    for label in ["Payée", "Annulée", "Expirée"] {
        assert!(list.contains(label), "{label}: {list}");
    }
}

/// Submits a card to a link without opening its page first (an old tab).
async fn submit_card_blind(customer: &Client, token: &str) -> reqwest::Response {
    let csrf = customer.csrf().await;
    customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &csrf),
                ("holder", "Salma Idrissi"),
                ("number", "4111111111111111"),
                ("expiry", "12/30"),
                ("cvv", "123"),
            ],
        )
        .await
}

#[tokio::test]
async fn the_virtual_terminal_refuses_bad_amounts_and_missing_fields_with_clear_messages() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let terminal = format!("{m}:21114");
    for (amount, message) in [
        ("0", "Le montant doit être supérieur à zéro."),
        ("-5", "le montant ne peut pas être négatif"),
        ("1e3", "n'est pas un montant"),
        ("10,001", "est ambigu"),
        ("99999999999999", "le montant dépasse"),
    ] {
        let r = c
            .post(
                "/terminal",
                &[
                    ("terminal", &terminal),
                    ("order_id", "A1"),
                    ("amount", amount),
                    ("currency", "MAD"),
                    ("name", "Salma"),
                    ("email", "salma@example.ma"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{amount}: {body}");
        assert!(body.contains(r#"value="Salma""#), "typed values are kept");
    }
    let r = c.post("/terminal", &[("terminal", &terminal)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.matches("Ce champ est obligatoire.").count() >= 3,
        "{body}"
    );
    assert!(body.contains("Choisissez la monnaie."));
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", "999:1"),
                ("order_id", "A1"),
                ("amount", "10"),
                ("currency", "MAD"),
                ("name", "S"),
                ("email", "s@e.ma"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "another merchant's terminal"
    );
    assert!(
        app.db
            .payment_requests(Scope::Admin, None, 10)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn merchant_users_see_only_their_own_requests_and_need_the_terminal_permission() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let other = app.merchant("Other");
    app.merchant_user("other.manager", other.id, Permissions::ALL);
    let o = app.signed_in("other.manager").await;
    let (status, _) = o.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = o.post(&format!("/payment-requests/{id}/cancel"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = o.page("/payment-requests").await;
    assert!(!list.contains(&token) && !list.contains("Salma"));
    app.merchant_user(
        "atlas.viewer",
        m,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let v = app.signed_in("atlas.viewer").await;
    let (status, _) = v.page("/terminal").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = v.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::OK, "viewers follow requests");
    let r = v.post(&format!("/payment-requests/{id}/resend"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_authorization_request_holds_the_amount_and_the_page_speaks_english_on_request() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[("operation", "authorization"), ("lang", "en")]).await;
    let customer = app.client();
    let (_, page) = customer.page(&format!("/payment/{token}")).await;
    assert!(
        page.contains("PAYMENT REQUEST") && page.contains("Pay now"),
        "{page}"
    );
    assert!(page.contains("Invoicing detail") && page.contains("Atlas Voyages SARL"));
    let (_, fr) = customer.page(&format!("/payment/{token}?lang=fr")).await;
    assert!(fr.contains("DEMANDE DE PAIEMENT") && fr.contains("Payer maintenant"));
    pay(&customer, &token, "4111111111111111", "").await;
    let (_, sale) = last_attempt(&app, id);
    assert_eq!(sale.operation, Operation::Authorization);
    assert!(sale.code.is_accepted());
    let (_, detail) = c.page(&format!("/transactions/{}", sale.id)).await;
    assert!(
        detail.contains("En attente de capture jusqu'au 08.06.2026"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_accepted_sale_shows_its_settlement_date_and_its_journal() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "5555 5555 5555 4444", CHALLENGE_CODE).await;
    let (three_ds, sale) = last_attempt(&app, id);
    let (_, detail) = c.page(&format!("/transactions/{}", sale.id)).await;
    assert!(detail.contains("Crédit marchand prévu"));
    assert!(
        detail.contains("03.06.2026 10:00"),
        "settles 48 h later: {detail}"
    );
    let (_, journal) = c
        .page(&format!("/transactions/{}?tab=journal", three_ds.id))
        .await;
    assert!(journal.contains("code demandé au porteur"), "{journal}");
    assert!(journal.contains("Code 3-D Secure correct"));
    let (_, journal) = c
        .page(&format!("/transactions/{}?tab=journal", sale.id))
        .await;
    assert!(
        journal.contains("Envoyée à l'acquéreur (simulator)"),
        "{journal}"
    );
    let (_, associated) = c
        .page(&format!("/transactions/{}?tab=associated", sale.id))
        .await;
    assert!(associated.contains(&format!("/transactions/{}", three_ds.id)));
}

#[tokio::test]
async fn a_challenge_left_unanswered_is_recorded_as_abandoned_098() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let r = submit_card(&customer, &token, "5105105105105100", "12/30", "123").await;
    let challenge = r.headers()["location"].to_str().unwrap().to_string();
    assert!(challenge.contains("/3ds/"));
    // A second window meets the pending verification instead of paying twice.
    let other = app.client();
    let r = submit_card(&other, &token, "4111111111111111", "12/30", "123").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Reprendre la vérification")
    );
    app.clock.advance(Duration::minutes(11));
    assert_eq!(app.gateway.sweep().unwrap(), 1);
    let (three_ds, sale) = last_attempt(&app, id);
    assert_eq!(sale.code, ResultCode::ABANDONED);
    assert_eq!(three_ds.code, ResultCode::ABANDONED);
    let req = request(&app, id);
    assert_eq!(req.refused_attempts, 0, "an abandon is not a refusal");
    let (status, _) = customer.page(&challenge).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the old challenge is gone");
    pay(&customer, &token, "4111111111111111", "").await;
    assert!(request(&app, id).paid_tx.is_some());
}

#[tokio::test]
async fn the_test_card_page_lists_every_card_and_code() {
    let app = spawn_app().await;
    let (status, page) = app.client().page("/test-cards?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    for card in TEST_CARDS {
        assert!(page.contains(&card.display()), "{}", card.number);
    }
    for code in ["585", "098", "004", "656", "906"] {
        assert!(page.contains(code), "{code}");
    }
}

#[tokio::test]
async fn without_smtp_a_sent_link_waits_in_the_outbox_shown_to_admins() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send"), ("email", "karim@example.ma")]).await;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(
        page.contains("En file d'attente") && page.contains("karim@example.ma"),
        "{page}"
    );
    let (status, _) = c.page("/parameters/emails").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the outbox page is for admins"
    );
    let admin = app.admin().await;
    let (status, outbox) = admin.page("/parameters/emails").await;
    assert_eq!(status, StatusCode::OK);
    assert!(outbox.contains("Aucun serveur SMTP configuré"), "{outbox}");
    assert!(outbox.contains("karim@example.ma") && outbox.contains("Lien de paiement"));
    assert_eq!(app.db.pending_mail_count().unwrap(), 1);
    let mail = app.db.mail(request(&app, id).emails[0]).unwrap().unwrap();
    assert!(
        mail.subject
            .starts_with("Demande de paiement – commande CMD-2026-001")
    );
    assert!(mail.text.contains(&format!("{}/payment/", app.base)));
}

#[tokio::test]
async fn a_silent_bank_does_not_count_towards_blocking_the_request() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    for _ in 0..4 {
        pay(&customer, &token, "4000000000000036", "").await;
    }
    let req = request(&app, id);
    assert_eq!((req.refused_attempts, req.blocked), (0, false));
    assert_eq!(req.attempts.len(), 4);
    pay(&customer, &token, "4111111111111111", "").await;
    assert!(request(&app, id).paid_tx.is_some());
}

#[tokio::test]
async fn giving_up_a_stale_challenge_page_leaves_the_current_one_alone() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let r = submit_card(&customer, &token, "5105105105105100", "12/30", "123").await;
    let first = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = customer.page(&first).await;
    let csrf = field_in(&page, "csrf");
    let first_id = field_in(&page, "challenge");
    let r = customer
        .post_raw(
            &format!("/payment/{token}/abandon"),
            &[
                ("csrf", &csrf),
                ("challenge", &first_id),
                ("lang", "en\r\nX: y"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/payment/{token}?lang=fr"));
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ABANDONED);
    let r = submit_card(&customer, &token, "5105105105105100", "12/30", "123").await;
    let second = r.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(first, second);
    // The stale page's button names the old challenge: nothing happens to the new one.
    let r = customer
        .post_raw(
            &format!("/payment/{token}/abandon"),
            &[("csrf", &csrf), ("challenge", &first_id)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = customer.page(&second).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the current challenge is still there"
    );
    assert_eq!(request(&app, id).attempts.len(), 1);
    // Past ten minutes the issuer page is gone even before the sweep.
    app.clock.advance(Duration::minutes(11));
    let (status, _) = customer.page(&second).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_admin_goes_from_an_empty_appliance_to_a_paid_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, vt) = admin.page("/terminal").await;
    assert!(vt.contains("Aucun marchand pour l'instant"), "{vt}");
    let r = admin
        .post(
            "/parameters/merchants/new",
            &[
                ("name", "Dar Tajine"),
                ("company", "Dar Tajine SARL"),
                ("terminals", "21114 Web"),
                ("accounts", "VPS_DAR_DH"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = app.db.merchants(Scope::Admin).unwrap()[0].id;
    let (id, token) = new_request(&admin, m, &[]).await;
    let customer = app.client();
    let result = pay(&customer, &token, "4111 1111 1111 1111", "").await;
    let (_, page) = customer.page(&result).await;
    assert!(
        page.contains("Paiement accepté") && page.contains("Dar Tajine SARL"),
        "{page}"
    );
    let (_, list) = admin.page("/payment-requests").await;
    assert!(
        list.contains("Payée") && list.contains("Dar Tajine"),
        "{list}"
    );
    assert!(request(&app, id).paid_tx.is_some());
}

#[tokio::test]
async fn a_waiting_request_can_be_resent_but_not_a_paid_one() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send")]).await;
    let first = token_in_link(
        &app.db
            .mail(request(&app, id).emails[0])
            .unwrap()
            .unwrap()
            .text,
    );
    let r = c.post(&format!("/payment-requests/{id}/resend"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        page.contains("Un nouveau lien part par email à salma@example.ma : le lien précédent ne permet plus de payer."),
        "{page}"
    );
    assert_eq!(request(&app, id).emails.len(), 2);
    // The resent email carries a new link; the first one no longer opens the request.
    let token = token_in_link(
        &app.db
            .mail(request(&app, id).emails[1])
            .unwrap()
            .unwrap()
            .text,
    );
    assert_ne!(token, first);
    let (status, _) = app.client().page(&format!("/payment/{first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    pay(&app.client(), &token, "4111111111111111", "").await;
    assert_eq!(request(&app, id).emails.len(), 3, "the receipt");
    let r = c.post(&format!("/payment-requests/{id}/resend"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Impossible : cette demande est « Payée ».")
    );
    let r = c.post(&format!("/payment-requests/{id}/cancel"), &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a paid request cannot be cancelled"
    );
    assert_eq!(request(&app, id).emails.len(), 3);
}
