//! The customer payment page as a customer reads it: the amount as the headline and on
//! the button, no empty billing rows, a receipt with a customer reference, whom to
//! contact after a refusal, the card number never written back; and, in Chromium, the
//! page at 390×844 (no sideways scroll, Pay above the fold) and at 1366 px.

use guichet::domain::customer_ref::customer_reference;
use reqwest::StatusCode;

use crate::fixtures::payments::{last_attempt, new_request, pay, request, shop, submit_card};
use crate::support::browser::{self, Browser, Page};
use crate::support::spawn_app;

const BIG: &[(&str, &str)] = &[("amount", "1250,50"), ("order_id", "CMD-1001")];

#[tokio::test]
async fn the_pay_button_carries_the_amount_in_both_languages_and_empty_billing_rows_are_hidden() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let customer = app.client();
    let (status, fr) = customer.page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("Payer 1 250,50 MAD"), "{fr}");
    assert!(
        fr.contains(r#"class="pay-amount""#),
        "the amount is the headline"
    );
    assert!(fr.contains("brand-mark"), "card-brand marks");
    assert!(!fr.contains("et confirmer la transaction"));
    // The request has a name, an email and a country: no address, city or phone rows.
    // The email may wrap after its "@", not mid-word.
    assert!(fr.contains("Salma Idrissi") && fr.contains("salma@<wbr>example.<wbr>ma"));
    assert!(
        !fr.contains("Code postal") && !fr.contains("Téléphone"),
        "{fr}"
    );
    let (_, en) = customer.page(&format!("/payment/{token}?lang=en")).await;
    assert!(en.contains("Pay 1,250.50 MAD"), "{en}");
    assert!(en.contains("Billing details") && en.contains("Card number"));
    assert!(!en.contains("Zip code") && !en.contains("Phone"), "{en}");
    // The customer pages have their own stylesheet, with a print layout.
    assert!(fr.contains("/static/pay.css"));
    let (status, css) = customer.page("/static/pay.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("@media print"));
}

#[tokio::test]
async fn the_receipt_shows_the_customer_reference_and_not_the_transaction_number() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, BIG).await;
    let customer = app.client();
    let result = pay(&customer, &token, "4111111111111111", "").await;
    let (three_ds, sale) = last_attempt(&app, id);
    let (status, page) = customer.page(&result).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Paiement accepté"), "{page}");
    let reference = customer_reference(&request(&app, id));
    assert!(reference.starts_with("CMD-1001 · "), "{reference}");
    assert!(page.contains(&reference), "{reference}: {page}");
    // What the customer reads (the result's URL still names the attempt's row).
    let main = &page[page.find("<main").unwrap()..];
    for n in [sale.id, three_ds.id] {
        assert!(
            !main.contains(&format!(">{n}<")),
            "transaction {n} shown: {main}"
        );
    }
    assert!(!page.contains("Transaction"), "{page}");
    assert!(page.contains("Visa •••• 1111"), "{page}");
    assert!(
        !page.contains("Votre paiement est accepté."),
        "the heading says it once: {page}"
    );
    assert!(page.contains("window.print()"), "a print button");
    // The paid link shows the same receipt.
    let (_, again) = customer.page(&format!("/payment/{token}")).await;
    let main = &again[again.find("<main").unwrap()..];
    assert!(main.contains(&reference) && !main.contains(&format!(">{}<", sale.id)));
}

#[tokio::test]
async fn after_a_card_error_the_typed_card_number_is_not_written_back() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let customer = app.client();
    for (number, expiry, cvv) in [
        ("5555555555554444", "01/26", "123"),
        ("5555 5555 5555 4444", "12/30", "12"),
        ("4111111111111112", "12/30", "123"),
    ] {
        let r = submit_card(&customer, &token, number, expiry, cvv).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{number}");
        let body = r.text().await.unwrap();
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        assert!(!body.contains(number), "{number} written back");
        assert!(!body.contains(&digits), "{digits} written back");
        assert!(
            !body.contains(&digits[..12]),
            "first 12 digits of {digits} written back"
        );
        assert!(
            !body.contains(&format!(r#"value="{cvv}""#)),
            "cvv written back"
        );
        assert!(
            body.contains(r#"name="number" value="""#),
            "empty number field"
        );
        assert!(body.contains("Salma Idrissi"), "the holder name comes back");
        assert!(
            body.contains(&format!(r#"value="{expiry}""#)),
            "the expiry comes back"
        );
    }
}

#[tokio::test]
async fn refusal_and_blocked_pages_recap_the_payment_and_say_whom_to_contact() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let customer = app.client();
    let mut last = String::new();
    for _ in 0..3 {
        let result = pay(&customer, &token, "4000000000000002", "").await;
        let (_, page) = customer.page(&result).await;
        assert!(page.contains("Paiement refusé"), "{page}");
        assert!(page.contains("1 250,50 MAD") && page.contains("CMD-1001"));
        assert!(page.contains("Contacter le marchand") && page.contains("Atlas Voyages"));
        last = page;
    }
    assert!(last.contains("bloqué"), "{last}");
    let (status, blocked) = customer.page(&format!("/payment/{token}?lang=en")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(blocked.contains("Payment blocked"), "{blocked}");
    assert!(blocked.contains("Contact the merchant") && blocked.contains("quoting order"));
    // The merchant record holds no email, phone or website: the page says so and
    // sends the customer back to where the order was placed.
    assert!(blocked.contains("where you placed your order"), "{blocked}");
    assert!(last.contains("là où vous avez passé commande"), "{last}");
    assert!(blocked.contains("CMD-1001") && blocked.contains("Atlas Voyages"));
}

#[tokio::test]
async fn the_security_code_is_3_digits_on_the_back_as_only_visa_and_mastercard_are_accepted() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let customer = app.client();
    let (_, fr) = customer.page(&format!("/payment/{token}")).await;
    let (_, en) = customer.page(&format!("/payment/{token}?lang=en")).await;
    for page in [&fr, &en] {
        assert!(!page.contains("American Express"), "{page}");
    }
    assert!(fr.contains("Les 3 chiffres au dos de la carte"), "{fr}");
    assert!(en.contains("The 3 digits on the back of the card"), "{en}");
    // Four digits on a Visa card: the error says what the hint says.
    let r = submit_card(&customer, &token, "4111111111111111", "12/30", "1234").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("3 chiffres au dos de la carte"), "{body}");
    assert!(
        !body.contains("American Express") && !body.contains("1234"),
        "{body}"
    );
}

#[tokio::test]
async fn the_test_cards_page_is_a_stacked_list_on_phones_and_its_banner_does_not_link_to_itself() {
    let app = spawn_app().await;
    let customer = app.client();
    for (path, word) in [
        ("/test-cards", "Cartes de test"),
        ("/test-cards?lang=en", "Test cards"),
    ] {
        let (status, page) = customer.page(path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(word), "{page}");
        let banner = &page[page.find("test-banner").expect("the test banner")..];
        let banner = &banner[..banner.find("</aside>").unwrap()];
        assert!(!banner.contains("<a "), "a link to itself: {banner}");
        assert!(page.contains(r#"class="grid stack test-cards""#), "{page}");
        assert!(!page.contains("American Express"), "{page}");
    }
    let (_, page) = customer.page("/test-cards?lang=en").await;
    assert!(page.contains(r#"data-label="Outcome""#), "{page}");
    assert!(page.contains("any 3-digit security code will do"), "{page}");
    // The payment page's banner still links to the test cards.
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let (_, pay_page) = customer.page(&format!("/payment/{token}")).await;
    assert!(
        pay_page.contains(r#"href="/test-cards?lang=fr""#),
        "{pay_page}"
    );
}

/// Resizes the window so the page's viewport is `w`×`h` CSS pixels.
async fn viewport(b: &Browser, p: &Page<'_>, w: u32, h: u32) {
    b.client.set_window_size(w, h).await.unwrap();
    let inner = p
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    let (iw, ih) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
    // Headless windows have no frame; if one shows up, grow the window by it.
    if iw != u64::from(w) || ih != u64::from(h) {
        let dw = u64::from(w) * 2 - iw;
        let dh = u64::from(h) * 2 - ih;
        b.client
            .set_window_size(dw as u32, dh as u32)
            .await
            .unwrap();
    }
}

async fn no_sideways_scroll(p: &Page<'_>, what: &str) {
    let fits = p
        .js("return document.documentElement.scrollWidth <= window.innerWidth;")
        .await;
    let widths = p
        .js("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    assert_eq!(fits, serde_json::json!(true), "{what}: {widths}");
}

/// The test banner's left and right edges are those of `column` (within a pixel).
async fn banner_lines_up_with(p: &Page<'_>, column: &str, what: &str) {
    let gaps = p
        .js(&format!(
            "const a = document.querySelector('aside.test-banner').getBoundingClientRect(); \
             const c = document.querySelector('{column}').getBoundingClientRect(); \
             return [Math.abs(a.left - c.left) <= 1, Math.abs(a.right - c.right) <= 1, a.left, a.right, c.left, c.right];"
        ))
        .await;
    assert_eq!(gaps[0], serde_json::json!(true), "{what}: {gaps}");
    assert_eq!(gaps[1], serde_json::json!(true), "{what}: {gaps}");
}

#[tokio::test]
async fn on_a_390_phone_the_amount_and_pay_button_are_above_the_fold_without_sideways_scroll() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, BIG).await;
    let (_, other) = new_request(&c, m, BIG).await;
    let (_, fresh) = new_request(&c, m, BIG).await;
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.goto(&format!("/payment/{token}")).await;
    viewport(&b, &p, 390, 844).await;
    p.wait_for("button.pay-now").await;
    let size = p
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    assert_eq!(size, serde_json::json!([390, 844]));
    no_sideways_scroll(&p, "payment page").await;
    banner_lines_up_with(&p, "div.pay-grid", "payment page at 390").await;
    let bottoms = p
        .js("return ['button.pay-now', 'p.pay-amount'].map(s => document.querySelector(s).getBoundingClientRect().bottom);")
        .await;
    for bottom in bottoms.as_array().unwrap() {
        assert!(
            bottom.as_f64().unwrap() <= 844.0,
            "below the fold: {bottoms}"
        );
    }
    assert_eq!(p.text("button.pay-now").await, "Payer 1 250,50 MAD");
    b.screenshot("target/screenshots/pay-390.png").await;

    // A card error: the number field comes back empty.
    p.fill("#f-number", "5555 5555 5555 4444").await;
    p.fill("#f-expiry", "01/26").await;
    p.fill("#f-cvv", "123").await;
    p.click("button.pay-now").await;
    p.wait_for("div.flash.err").await;
    let number = p.find("#f-number").await.prop("value").await.unwrap();
    assert_eq!(number.as_deref(), Some(""));
    no_sideways_scroll(&p, "card error").await;
    b.screenshot("target/screenshots/pay-390-card-error.png")
        .await;

    // 3-D Secure, then the receipt.
    p.fill("#f-number", "5555 5555 5555 4444").await;
    p.fill("#f-expiry", "12/30").await;
    p.fill("#f-cvv", "123").await;
    p.click("button.pay-now").await;
    p.wait_for("section.issuer").await;
    no_sideways_scroll(&p, "3-D Secure").await;
    b.screenshot("target/screenshots/pay-390-3ds.png").await;
    p.fill("#f-code", "123456").await;
    p.click("section.issuer button.primary").await;
    p.wait_for("section.pay-result").await;
    no_sideways_scroll(&p, "receipt").await;
    banner_lines_up_with(&p, "section.pay-result", "receipt at 390").await;
    assert!(p.text("section.pay-result").await.contains("CMD-1001 · "));
    b.screenshot("target/screenshots/pay-390-receipt.png").await;

    // A refusal on another request.
    p.goto(&format!("/payment/{other}")).await;
    p.fill("#f-number", "4000 0000 0000 0002").await;
    p.fill("#f-expiry", "12/30").await;
    p.fill("#f-cvv", "123").await;
    p.click("button.pay-now").await;
    p.wait_for("section.pay-result.ko").await;
    no_sideways_scroll(&p, "refusal").await;
    b.screenshot("target/screenshots/pay-390-refused.png").await;
    // Two more refusals block the link: the page says whom to contact.
    for _ in 0..2 {
        p.goto(&format!("/payment/{other}")).await;
        p.fill("#f-number", "4000 0000 0000 0002").await;
        p.fill("#f-expiry", "12/30").await;
        p.fill("#f-cvv", "123").await;
        p.click("button.pay-now").await;
        p.wait_for("section.pay-result.ko").await;
    }
    p.goto(&format!("/payment/{other}")).await;
    p.wait_for("div.pay-contact").await;
    no_sideways_scroll(&p, "blocked").await;
    b.screenshot("target/screenshots/pay-390-blocked.png").await;

    // The desktop width, in English.
    viewport(&b, &p, 1366, 900).await;
    p.goto(&format!("/payment/{fresh}?lang=en")).await;
    p.wait_for("button.pay-now").await;
    assert_eq!(p.text("button.pay-now").await, "Pay 1,250.50 MAD");
    no_sideways_scroll(&p, "payment page at 1366").await;
    banner_lines_up_with(&p, "div.pay-grid", "payment page at 1366").await;
    b.screenshot("target/screenshots/pay-1366-en.png").await;
    p.goto(&format!("/payment/{token}")).await;
    p.wait_for("div.pay-receipt").await;
    banner_lines_up_with(&p, "section.pay-closed", "receipt at 1366").await;
    b.screenshot("target/screenshots/pay-1366-receipt.png")
        .await;
    b.close().await;
}
