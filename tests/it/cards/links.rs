//! Card data on the payment page and payment links: a card number is never echoed,
//! abandoned challenges are capped, a stored card shows no token, a link is shown
//! once and kept only as its hash.

use guichet::db::Scope;
use guichet::domain::card::token_fingerprint;
use guichet::domain::codes::ResultCode;
use guichet::domain::payment::{MAX_TOTAL_ATTEMPTS, link_hash};
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay, shop, submit_card};
use crate::support::html::field_in;
use crate::support::spawn_app;

#[tokio::test]
async fn a_valid_card_number_is_never_sent_back_after_a_validation_error() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    for typed in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "5555-5555-5555-4444",
    ] {
        // Valid number, expired date.
        let r = submit_card(&customer, &token, typed, "01/26", "123").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Cette carte est expirée"), "{body}");
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        let spaced = digits
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        for shown in [typed, digits.as_str(), spaced.as_str(), &digits[..12]] {
            assert!(!body.contains(shown), "{shown} echoed: {body}");
        }
        assert!(body.contains(&digits[12..]), "the last four are a reminder");
    }
}

#[tokio::test]
async fn ten_abandoned_challenges_block_the_link_and_the_eleventh_attempt_never_reaches_the_bank() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let mut csrf = String::new();
    for i in 0..MAX_TOTAL_ATTEMPTS {
        let r = submit_card(&customer, &token, "5105105105105100", "12/30", "123").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "attempt {i}");
        let challenge = r.headers()["location"].to_str().unwrap().to_string();
        assert!(challenge.contains("/3ds/"), "attempt {i}: {challenge}");
        let (_, page) = customer.page(&challenge).await;
        csrf = field_in(&page, "csrf");
        let r = customer
            .post_raw(
                &format!("/payment/{token}/abandon"),
                &[
                    ("csrf", &field_in(&page, "csrf")),
                    ("challenge", &field_in(&page, "challenge")),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert_eq!(req.attempts.len(), MAX_TOTAL_ATTEMPTS);
    assert_eq!(req.refused_attempts, 0, "abandons are not refusals");
    assert!(req.blocked, "the link is blocked after ten attempts");
    // The eleventh, with a card the bank would accept at once, posted straight to the
    // link (the page itself now says the request is blocked).
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", csrf.as_str()),
                ("holder", "Salma Idrissi"),
                ("number", "4111111111111111"),
                ("expiry", "12/30"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/result/"), "{to}");
    let tx_id: u64 = to
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tx = app.db.transaction(Scope::Admin, tx_id).unwrap().unwrap();
    assert_eq!(tx.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(app.gateway.acquirer.payments_sent(), 0, "no bank call");
}

#[tokio::test]
async fn the_back_office_says_a_card_is_stored_without_showing_its_token() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    let tx = app
        .db
        .transaction(Scope::Admin, req.paid_tx.unwrap())
        .unwrap()
        .unwrap();
    let stored = tx.card.unwrap().token;
    let (status, page) = c.page(&format!("/transactions/{}", tx.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("enregistrée"), "{page}");
    assert!(page.contains(&token_fingerprint(&stored)));
    assert!(!page.contains(&stored), "the token is not shown");
}

#[tokio::test]
async fn a_payment_link_is_shown_once_and_stored_only_as_its_hash() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    assert_eq!(token.len(), 32);
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert_eq!(req.link_hash, link_hash(&token));
    assert!(req.token.is_empty(), "read back, a request has no secret");
    let data = std::fs::read(app.db.key_file().with_extension("redb")).unwrap();
    assert!(
        !data.windows(32).any(|w| w == token.as_bytes()),
        "the link's secret is not in the data file"
    );
    let (status, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&token) && !page.contains("/payment/"));
    assert!(
        page.contains("ne peut pas être affiché à nouveau"),
        "{page}"
    );
    assert!(page.contains("Nouveau lien"));
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert!(req.paid_tx.is_some(), "the link works");
}

#[tokio::test]
async fn a_new_link_replaces_the_old_one_which_stops_working() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, old) = new_request(&c, m, &[]).await;
    let r = c
        .post(&format!("/payment-requests/{id}/new-link"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = c.page(&location).await;
    assert!(
        page.contains("Le lien précédent ne permet plus de payer."),
        "{page}"
    );
    let new = crate::fixtures::payments::token_in_link(&page);
    // A reload of that page shows it no more.
    let (_, again) = c.page(&location).await;
    assert!(!again.contains(&new));
    assert_ne!(new, old);
    let customer = app.client();
    let (status, _) = customer.page(&format!("/payment/{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link is dead");
    let (status, _) = customer.page(&format!("/payment/{new}")).await;
    assert_eq!(status, StatusCode::OK);
    // Nobody without the virtual terminal permission may do it.
    app.merchant_user(
        "atlas.viewer",
        m,
        guichet::domain::user::Permissions {
            view: true,
            ..Default::default()
        },
    );
    let v = app.signed_in("atlas.viewer").await;
    let r = v
        .post(&format!("/payment-requests/{id}/new-link"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = customer.page(&format!("/payment/{new}")).await;
    assert_eq!(status, StatusCode::OK, "still the current link");
}

#[tokio::test]
async fn a_sent_link_email_keeps_no_usable_link_in_the_outbox() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send")]).await;
    let mail_id = app
        .db
        .payment_request(Scope::Admin, id)
        .unwrap()
        .unwrap()
        .emails[0];
    let waiting = app.db.mail(mail_id).unwrap().unwrap();
    let token = crate::fixtures::payments::token_in_link(&waiting.text);
    assert!(
        waiting.html.contains(&token),
        "a waiting email keeps its link"
    );
    app.db
        .record_mail_attempt(
            mail_id,
            guichet::db::outbox::MailAttempt { at: 0, error: None },
            None,
        )
        .unwrap();
    let sent = app.db.mail(mail_id).unwrap().unwrap();
    assert!(!sent.text.contains(&token) && !sent.html.contains(&token));
    assert!(sent.text.contains("/payment/…"), "{}", sent.text);
    // Redacting the email did not kill the link itself.
    let (status, _) = app.client().page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
}
