//! Card data and payment links at rest (security issue 8): the card number is never
//! echoed, the storage-token key stays out of the data file, link tokens are kept
//! only as hashes, attempts per link are capped, rebills are bounded.

use reqwest::StatusCode;

use crate::payments::{new_request, shop, submit_card};
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
