//! Payment links: a card number typed as the holder is not sent back, waiting link
//! emails are withdrawn when their link is useless.

use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn a_card_number_typed_as_the_holder_is_not_sent_back_on_the_payment_page() {
    let app = spawn_app().await;
    let (merchant, c) = crate::fixtures::payments::shop(&app).await;
    let (_, token) = crate::fixtures::payments::new_request(&c, merchant, &[]).await;
    let customer = app.client();
    let (_, page) = customer.page(&format!("/payment/{token}")).await;
    let csrf = crate::support::html::field_in(&page, "csrf");
    let attempt = crate::support::html::field_in(&page, "attempt");
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &csrf),
                ("attempt", &attempt),
                ("lang", "fr"),
                ("holder", "4012 8888 8888 1881"),
                ("number", "4111 1111 1111 1111"),
                ("expiry", "4111111111111111"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    for digits in [
        "4012 8888 8888 1881",
        "4012888888881881",
        "4111111111111111",
        "4111 1111 1111 1111",
    ] {
        assert!(!body.contains(digits), "{digits} sent back");
    }
}

#[tokio::test]
async fn waiting_link_emails_are_withdrawn_when_a_new_link_or_a_cancel_makes_them_useless() {
    let app = spawn_app().await;
    let (merchant, c) = crate::fixtures::payments::shop(&app).await;
    // No SMTP server: the emails wait in the outbox.
    let (first, _) =
        crate::fixtures::payments::new_request(&c, merchant, &[("action", "send")]).await;
    let mail_of = |id: u64| {
        let req = app
            .db
            .payment_request(guichet::db::Scope::Admin, id)
            .unwrap()
            .unwrap();
        app.db.mail(req.emails[0]).unwrap().unwrap()
    };
    assert_eq!(
        mail_of(first).state,
        guichet::db::outbox::MailState::Pending
    );
    assert!(mail_of(first).text.contains("/payment/"));
    let new = crate::fixtures::payments::new_link(&c, first).await;
    let old_mail = mail_of(first);
    assert_eq!(old_mail.state, guichet::db::outbox::MailState::Failed);
    assert!(!old_mail.text.contains(&new));
    assert!(old_mail.text.contains("/payment/…") || !old_mail.text.contains("/payment/"));
    assert!(
        old_mail
            .attempts
            .last()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("newer link")
    );
    assert_eq!(app.db.due_mails(i64::MAX, 10).unwrap().len(), 0);

    let (second, _) =
        crate::fixtures::payments::new_request(&c, merchant, &[("action", "send")]).await;
    let r = c
        .post(&format!("/payment-requests/{second}/cancel"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mail_of(second).state,
        guichet::db::outbox::MailState::Failed
    );
    assert_eq!(app.db.due_mails(i64::MAX, 10).unwrap().len(), 0);
}
