use super::*;

fn prepare(json: &str) -> Result<Prepare, ApiError> {
    parse_prepare(json.as_bytes(), "102030")
}

#[test]
fn a_nested_002_73_prepare_is_read_with_its_shopper_order_and_urls() {
    let p = prepare(
        r#"{"apiVersion":"002.73","currency":"mad","amount":12550,"operation":"Authorize",
        "paymentMode":"Single","paymentMethod":"creditcard","secure3d":true,
        "ctrlRedirectURL":"https://shop.example/return?x=1","ctrlCallbackURL":"https://shop.example/cb",
        "ctrlCustomData":"cart 42","timeOut":"PT2H",
        "shopper":{"id":7,"firstName":"Salma","lastName":"Idrissi","email":"salma@example.ma",
          "countryCode":"ma","homePhone":"0600000000","birthDate":"19850314","address1":"1 rue A","city":"Rabat"},
        "order":{"id":1001,"description":"Two tickets","shippingType":"05","type":"99","cartContent":[]},
        "shipping":{"name":"Salma","countryCode":"MA"},"unknownField":{"x":1}}"#,
    )
    .expect("valid");
    assert_eq!(p.input.amount.minor(), 12_550);
    assert_eq!(p.input.currency, Currency::Mad);
    assert_eq!(p.input.operation, Operation::Authorization);
    assert_eq!(p.input.order_id, "1001", "a numeric id is read as text");
    assert_eq!(p.input.description, "Two tickets");
    assert_eq!(p.input.holder.name, "Salma Idrissi");
    assert_eq!(p.input.holder.country, "MA");
    assert_eq!(p.input.holder.birth_date, "1985-03-14");
    assert_eq!(p.timeout_seconds, 7_200);
    assert_eq!(p.api.redirect_url, "https://shop.example/return?x=1");
    assert_eq!(p.api.custom_data, "cart 42");
    assert!(p.api.secure3d);
    let order: Value = serde_json::from_str(&p.api.order).unwrap();
    assert_eq!(order["id"], "1001");
    assert_eq!(order["shippingType"], "05");
    assert!(order.get("type").is_none(), "an invalid code is not echoed");
    let shopper: Value = serde_json::from_str(&p.api.shopper).unwrap();
    assert_eq!(shopper["id"], "7");
}

#[test]
fn the_flat_002_layout_of_the_payzone_client_is_read_too() {
    let p = prepare(
        r#"{"apiVersion":"002","currency":"MAD","amount":"5000","orderID":"CMD-9",
        "shippingType":"Virtual","paymentType":"CreditCard","customerIP":"1.2.3.4",
        "ctrlRedirectURL":"http://shop.example/back","shopperFirstName":"Omar","shopperLastName":"B",
        "shopperEmail":"omar@example.ma","orderDescription":"Abonnement"}"#,
    )
    .expect("valid");
    assert_eq!(p.api.api_version, "002");
    assert_eq!(p.input.amount.minor(), 5_000);
    assert_eq!(p.input.order_id, "CMD-9");
    assert_eq!(p.input.holder.name, "Omar B");
    assert_eq!(p.input.description, "Abonnement");
    assert_eq!(p.timeout_seconds, DEFAULT_TIMEOUT_SECONDS);
}

#[test]
fn bad_amounts_are_refused_with_a_clear_code_and_message() {
    let with = |amount: &str| {
        prepare(&format!(
            r#"{{"currency":"MAD","amount":{amount},"order":{{"id":"A"}}}}"#
        ))
    };
    assert_eq!(with("0").unwrap_err().code, "400");
    assert!(with("-5").unwrap_err().message.contains("positive"));
    assert!(with("12.5").unwrap_err().message.contains("whole number"));
    assert!(
        with("\"12,50\"")
            .unwrap_err()
            .message
            .contains("whole number")
    );
    assert!(with("1000000000").unwrap_err().message.contains("at most"));
    assert!(
        with("99999999999999999999999")
            .unwrap_err()
            .message
            .contains("at most")
    );
    assert_eq!(
        prepare(r#"{"currency":"MAD","order":{"id":"A"}}"#).unwrap_err(),
        ApiError::missing("amount")
    );
    assert!(with("999999999").is_ok());
}

#[test]
fn missing_fields_unknown_currencies_and_unsupported_means_are_named() {
    assert_eq!(
        prepare(r#"{"amount":100,"order":{"id":"A"}}"#)
            .unwrap_err()
            .code,
        "401"
    );
    assert_eq!(
        prepare(r#"{"amount":100,"currency":"MAD"}"#).unwrap_err(),
        ApiError::missing("order.id")
    );
    let e = prepare(r#"{"amount":100,"currency":"XYZ","order":{"id":"A"}}"#).unwrap_err();
    assert_eq!(e.code, "400");
    assert!(e.message.contains("XYZ is not accepted"), "{e:?}");
    let e =
        prepare(r#"{"amount":100,"currency":"MAD","order":{"id":"A"},"paymentMethod":"WeChat"}"#)
            .unwrap_err();
    assert!(e.message.contains("WeChat is not supported"), "{e:?}");
    let e =
        prepare(r#"{"amount":100,"currency":"MAD","order":{"id":"A"},"paymentMode":"Recurrent"}"#)
            .unwrap_err();
    assert!(e.message.contains("subscriptions"), "{e:?}");
    let e =
        prepare(r#"{"amount":100,"currency":"MAD","order":{"id":"A"},"offerID":3}"#).unwrap_err();
    assert!(e.message.contains("offerID is not supported"), "{e:?}");
}

#[test]
fn an_order_id_over_100_characters_is_refused_not_cut() {
    let long = "x".repeat(101);
    let e = prepare(&format!(
        r#"{{"amount":100,"currency":"MAD","order":{{"id":"{long}"}}}}"#
    ))
    .unwrap_err();
    assert_eq!(e.message, "order.id: at most 100 characters");
    let ok = "y".repeat(100);
    assert!(
        prepare(&format!(
            r#"{{"amount":100,"currency":"MAD","order":{{"id":"{ok}"}}}}"#
        ))
        .is_ok()
    );
}

#[test]
fn bodies_that_are_not_a_json_object_are_json_errors() {
    for body in ["", "not json", "[1,2]", "\"text\"", "{\"amount\":"] {
        assert_eq!(prepare(body).unwrap_err().code, "402", "{body}");
    }
}

#[test]
fn urls_must_be_absolute_http_or_https_with_a_host() {
    for ok in [
        "https://a.example/x?y=1",
        "http://127.0.0.1:8080/cb",
        "https://[::1]:8443/r",
        "https://shop-1.example.ma",
    ] {
        assert_eq!(check_url(ok), Ok(()), "{ok}");
    }
    for bad in [
        "ftp://a.example",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@a.example/",
        "//a.example/x",
        "https://a.example/ x",
        "https://a.example;script-src */x",
        "https://a.exa'mple/",
        "https://a.example:80a/",
        "https://[::1/",
    ] {
        assert!(check_url(bad).is_err(), "{bad}");
    }
    assert!(check_url(&format!("https://a.example/{}", "x".repeat(2_100))).is_err());
    let e = prepare(
        r#"{"amount":100,"currency":"MAD","order":{"id":"A"},"ctrlCallbackURL":"file:///etc/passwd"}"#,
    )
    .unwrap_err();
    assert!(e.message.starts_with("ctrlCallbackURL:"), "{e:?}");
}

#[test]
fn iso_durations_are_read_in_seconds() {
    assert_eq!(iso_duration_seconds("P1D"), Some(86_400));
    assert_eq!(iso_duration_seconds("P2D"), Some(172_800));
    assert_eq!(iso_duration_seconds("P1M"), Some(30 * 86_400));
    assert_eq!(iso_duration_seconds("P1W"), Some(7 * 86_400));
    assert_eq!(iso_duration_seconds("PT30M"), Some(1_800));
    assert_eq!(iso_duration_seconds("P1DT12H"), Some(129_600));
    for bad in [
        "",
        "P",
        "1D",
        "PT",
        "P1H",
        "PD",
        "P1D1M",
        "P9999999D",
        "P1.5D",
    ] {
        assert_eq!(iso_duration_seconds(bad), None, "{bad}");
    }
    let e = prepare(r#"{"amount":100,"currency":"MAD","order":{"id":"A"},"timeOut":"P90D"}"#)
        .unwrap_err();
    assert!(e.message.contains("timeOut P90D"), "{e:?}");
}
