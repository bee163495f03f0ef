//! Payment requests: the virtual terminal and its refusals, link states, who sees
//! which request, the outbox without SMTP, resending.

use guichet::acquirer::CHALLENGE_CODE;
use guichet::db::Scope;
use guichet::domain::transaction::Operation;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{last_attempt, new_request, pay, request, shop, token_in_link};
use crate::support::{Client, spawn_app};

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
    // Each missing field says which one it is, like the amount does.
    assert!(!body.contains("Ce champ est obligatoire."), "{body}");
    for message in [
        "Le numéro de commande est obligatoire.",
        "Le montant est obligatoire.",
        "La devise est obligatoire.",
        "Le nom du client est obligatoire.",
        "L'adresse électronique est obligatoire.",
    ] {
        assert!(body.contains(message), "{message}: {body}");
    }
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
async fn the_birth_date_is_typed_as_dd_mm_yyyy_like_every_date_and_the_labels_read_plainly() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, form) = c.page("/terminal").await;
    assert!(
        form.contains(r#"name="birth_date" type="text""#)
            && form.contains(r#"placeholder="JJ/MM/AAAA""#),
        "{form}"
    );
    for label in ["Prénom et nom", "Description de la commande", "Devise"] {
        assert!(form.contains(label), "{label}: {form}");
    }
    assert!(
        !form.contains("Prénom/Nom") && !form.contains(">Monnaie<"),
        "{form}"
    );
    // A date in the past, as DD/MM/YYYY: kept, and shown the same way.
    let (id, _) = new_request(&c, m, &[("birth_date", "14/03/1985")]).await;
    assert_eq!(request(&app, id).holder.birth_date, "1985-03-14");
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(page.contains("14/03/1985"), "{page}");
    // Not a date, or one in the future: a clear 422 in place.
    let terminal = format!("{m}:21114");
    for bad in ["1985-13-45", "31/02/1990", "14/03/85", "01/01/2999"] {
        let r = c
            .post(
                "/terminal",
                &[
                    ("terminal", &terminal),
                    ("order_id", "A1"),
                    ("amount", "10"),
                    ("currency", "MAD"),
                    ("name", "Salma Idrissi"),
                    ("email", "salma@example.ma"),
                    ("birth_date", bad),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Date passée au format JJ/MM/AAAA"),
            "{bad}: {body}"
        );
    }
    let r = c
        .post("/lang", &[("lang", "en"), ("next", "/terminal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, en) = c.page("/terminal").await;
    assert!(en.contains(r#"placeholder="DD/MM/YYYY""#), "{en}");
    assert!(
        en.contains("First and last name") && en.contains("Currency"),
        "{en}"
    );
}

#[tokio::test]
async fn request_attempts_show_the_card_as_brand_and_last_four_like_every_page() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    pay(&customer, &token, "4000000000000002", "").await;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(page.contains("Visa •••• 0002"), "{page}");
    assert!(!page.contains("XXXXXX"), "{page}");
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
        page.contains("PAYMENT REQUEST") && page.contains("Pay 250.00 MAD"),
        "{page}"
    );
    assert!(page.contains("Billing details") && page.contains("Atlas Voyages SARL"));
    let (_, fr) = customer.page(&format!("/payment/{token}?lang=fr")).await;
    assert!(fr.contains("DEMANDE DE PAIEMENT") && fr.contains("Payer 250,00"));
    pay(&customer, &token, "4111111111111111", "").await;
    let (_, sale) = last_attempt(&app, id);
    assert_eq!(sale.operation, Operation::Authorization);
    assert!(sale.code.is_accepted());
    let (_, detail) = c.page(&format!("/transactions/{}", sale.id)).await;
    assert!(
        detail.contains("En attente de capture jusqu'au 8 juin 2026"),
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
        detail.contains("3 juin 2026, 10:00 (UTC)"),
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
        journal.contains("Envoyée à l'acquéreur (simulateur)"),
        "{journal}"
    );
    let (_, associated) = c
        .page(&format!("/transactions/{}?tab=associated", sale.id))
        .await;
    assert!(associated.contains(&format!("/transactions/{}", three_ds.id)));
}

#[tokio::test]
async fn without_smtp_a_sent_link_waits_in_the_outbox_shown_to_admins() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send"), ("email", "karim@example.ma")]).await;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(
        page.contains("En file d'attente") && page.contains("karim@<wbr>example.<wbr>ma"),
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
        page.contains("Un email avec un nouveau lien pour salma@example.ma est dans la file d'envoi ; le lien précédent ne permet plus de payer."),
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
