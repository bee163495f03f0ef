//! Paying a link: every test card and its rows, 3-D Secure codes and abandoned
//! challenges, blocking after refusals, concurrent Pay now, a silent bank.

use guichet::acquirer::{CHALLENGE_CODE, Enrolment, TEST_CARDS};
use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::Operation;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{
    last_attempt, new_request, pay, request, shop, submit_card, without_velocity_limits,
};
use crate::support::html::field_in;
use crate::support::{spawn_app, spawn_app_with};

#[tokio::test]
async fn every_test_card_gives_its_code_and_its_two_linked_rows() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    // One email and one address for every test card: more refusals than the defaults allow.
    without_velocity_limits(&app, m);
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
            "Saisissez le cryptogramme : 3 chiffres au dos de la carte.",
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
