//! Hostile input over HTTP (security review L2, L7, attack report A2, A3, A11): every
//! surface answers a 4xx with a message, never a dropped connection, and no card
//! number is stored through a free-text field.

use guichet::db::Scope;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::html::{field_in, urlencode};
use crate::support::{Client, spawn_app};

const PAN_FR: &str = "Ne saisissez pas de numéro de carte ici.";

/// Submits the card form of the link `token` with these values.
async fn submit(
    customer: &Client,
    token: &str,
    holder: &str,
    number: &str,
    expiry: &str,
) -> (StatusCode, String) {
    let (status, page) = customer.page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = field_in(&page, "csrf");
    let attempt = field_in(&page, "attempt");
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &csrf),
                ("attempt", &attempt),
                ("lang", "fr"),
                ("holder", holder),
                ("number", number),
                ("expiry", expiry),
                ("cvv", "123"),
            ],
        )
        .await;
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_payment_page_answers_bad_card_fields_with_a_message_not_a_dropped_connection() {
    let app = spawn_app().await;
    let (merchant, c) = shop(&app).await;
    let (id, token) = new_request(&c, merchant, &[]).await;
    let customer = app.client();
    let card = "4111111111111111";
    let long = "4".repeat(120);
    let cases: [(&str, &str, &str, &str); 8] = [
        ("Salma Idrissi", card, "1é1", "au format MM/AA"),
        ("Salma Idrissi", card, "1€", "au format MM/AA"),
        ("Salma Idrissi", card, "0€", "au format MM/AA"),
        ("Salma Idrissi", "411111😀", "12/30", "que des chiffres"),
        ("Salma Idrissi", &long, "12/30", "(ici 120)"),
        (
            "Salma Idrissi",
            "-4111111111111111",
            "12/30",
            "que des chiffres",
        ),
        (
            "\u{202e}\u{202e}\u{202e}",
            card,
            "12/30",
            "Caractères non autorisés",
        ),
        ("\u{200b}\u{feff}", card, "12/30", "aucun caractère visible"),
    ];
    for (holder, number, expiry, message) in cases {
        let (status, page) = submit(&customer, &token, holder, number, expiry).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{holder:?} {number} {expiry}: {page}"
        );
        assert!(
            page.contains(message),
            "{holder:?} {number} {expiry}: {message} missing"
        );
    }
    // Nothing was sent to the acquirer: no attempt, the link still waits.
    let req = app
        .db
        .payment_request(Scope::Admin, id)
        .unwrap()
        .expect("request");
    assert!(req.attempts.is_empty());
    assert_eq!(req.refused_attempts, 0);
}

#[tokio::test]
async fn filters_at_the_last_representable_day_answer_400_on_the_list_the_export_and_htmx() {
    let app = spawn_app().await;
    let (_, c) = shop(&app).await;
    for value in ["9999-12-31", "9999-12-31T23:59"] {
        for field in ["from", "to"] {
            let query = format!("{field}={}", urlencode(value));
            let (status, page) = c.page(&format!("/transactions?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(page.contains("date trop lointaine"), "{query}: {page}");

            let r = c
                .http
                .get(format!("{}/transactions?{query}", c.base))
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "htmx {query}");
            let fragment = r.text().await.unwrap();
            assert!(fragment.contains("date trop lointaine"), "htmx {query}");
            assert!(!fragment.contains("<html"), "htmx gets the fragment");

            let (status, page) = c
                .page(&format!("/transactions/export?format=csv&{query}"))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "export {query}");
            assert!(page.contains("date trop lointaine"), "export {query}");
        }
    }
    // Oversized numbers in the query string are messages too, or harmless.
    let (status, page) = c
        .page("/transactions?merchant=18446744073709551616&terminal=99999999999")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("un nombre entier est attendu"), "{page}");
    let (status, _) = c.page(&format!("/transactions?page={}", u64::MAX)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_note_with_a_card_number_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (merchant, c) = shop(&app).await;
    let (id, token) = new_request(&c, merchant, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app
        .db
        .payment_request(Scope::Admin, id)
        .unwrap()
        .expect("request");
    let tx = req.paid_tx.expect("paid");
    for text in [
        "Client a donné sa carte 4111 1111 1111 1111 par téléphone",
        "5555-5555-5555-4444",
    ] {
        let r = c
            .post(&format!("/transactions/{tx}/notes"), &[("text", text)])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains(PAN_FR), "{body}");
        assert!(!body.contains("4111 1111 1111 1111"), "not echoed");
    }
    assert!(app.db.notes(tx).unwrap().is_empty());
    // A phone number is not a card number.
    let r = c
        .post(
            &format!("/transactions/{tx}/notes"),
            &[("text", "Rappeler au +212 6 12 34 56 78")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.notes(tx).unwrap().len(), 1);
}

#[tokio::test]
async fn a_virtual_terminal_request_with_a_card_number_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (merchant, c) = shop(&app).await;
    let terminal = format!("{merchant}:21114");
    for (field, value) in [
        ("description", "Payer avec 4111 1111 1111 1111"),
        ("order_id", "4111111111111111"),
        ("name", "Salma 4111-1111-1111-1111"),
        ("address", "4111111111111111 rue Atlas"),
    ] {
        let mut fields = vec![
            ("terminal", terminal.as_str()),
            ("operation", "sale"),
            ("order_id", "CMD-2026-001"),
            ("amount", "250,00"),
            ("currency", "MAD"),
            ("lang", "fr"),
            ("name", "Salma Idrissi"),
            ("email", "salma@example.ma"),
            ("action", "show"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let r = c.post("/terminal", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let body = r.text().await.unwrap();
        assert!(body.contains(PAN_FR), "{field}: {body}");
        assert!(
            !body.contains(value),
            "{field}: the number is not sent back"
        );
    }
    let stored = app.db.payment_requests(Scope::Admin, None, 100).unwrap();
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test]
async fn merchant_fields_refuse_line_breaks_and_card_numbers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        (
            "name",
            "Atlas\nINFO signed in user=admin",
            "Caractères non autorisés",
        ),
        ("name", "\u{202e}\u{202e}", "Caractères non autorisés"),
        ("company", "Atlas 4111 1111 1111 1111", PAN_FR),
        ("terminals", "21114 4111111111111111", PAN_FR),
    ];
    for (field, value, message) in cases {
        let mut fields = vec![
            ("name", "Atlas Voyages"),
            ("company", ""),
            ("terminals", "21114 Web"),
            ("accounts", "VPS_TEST_DH"),
            ("statement_descriptor", "ATLAS"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let r = admin.post("/parameters/merchants/new", &fields).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {value:?}"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{field} {value:?}: {body}");
    }
    assert!(app.db.merchants(Scope::Admin).unwrap().is_empty());
}
