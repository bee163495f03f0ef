//! Card data and payment links at rest (security issue 8): the card number is never
//! echoed, the storage-token key stays out of the data file, link tokens are kept
//! only as hashes, attempts per link are capped, rebills are bounded.

use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::payment::MAX_TOTAL_ATTEMPTS;
use reqwest::StatusCode;

use crate::payments::{new_request, shop, submit_card};
use crate::support::{field_in, spawn_app};

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
