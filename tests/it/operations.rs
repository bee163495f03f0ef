//! The Operations tab (OPS-1 … OPS-5): confirmation, one write per operation, the
//! rules with a fake clock, concurrency, permissions.

use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::{Client, TestApp, spawn_app};

/// A paid request: returns the sale (or authorization) row id.
async fn paid(app: &TestApp, c: &Client, m: u64, operation: &str, card: &str) -> u64 {
    let (id, token) = new_request(c, m, &[("operation", operation)]).await;
    pay(&app.client(), &token, card, "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    *req.attempts.last().unwrap()
}

fn children(app: &TestApp, id: u64) -> Vec<Transaction> {
    app.db.children(Scope::Admin, id).unwrap()
}

#[tokio::test]
async fn a_refund_is_confirmed_first_then_written_linked_with_history_and_a_second_is_refused() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    let (status, tab) = c
        .page(&format!("/transactions/{sale}?tab=operations"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        tab.contains("Remboursement") && tab.contains("Au plus 250,00 MAD"),
        "{tab}"
    );
    assert!(
        tab.contains("<strong>Capture</strong> — Impossible sur une transaction de type « Vente »"),
        "capture is explained: {tab}"
    );

    let (status, confirm) = c
        .page(&format!(
            "/transactions/{sale}/operations/refund?amount=125"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains("Rembourser 125,00 MAD au client sur la carte Visa •••• 1111."),
        "{confirm}"
    );
    assert!(
        children(&app, sale).is_empty(),
        "the confirmation step writes nothing"
    );

    let r = c
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "125.00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let kids = children(&app, sale);
    assert_eq!(kids.len(), 1);
    let refund = &kids[0];
    assert_eq!(refund.operation, Operation::Refund);
    assert_eq!(refund.amount.minor(), 12_500);
    assert_eq!(refund.code, ResultCode::ACCEPTED);
    assert_eq!(refund.initiator.user_name, "atlas.manager");
    let (_, page) = c.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        page.contains(&format!("transaction {}", refund.id)),
        "{page}"
    );
    assert!(
        page.contains("déjà été remboursée"),
        "the tab now says why not: {page}"
    );
    for id in [sale, refund.id] {
        let history = app.db.history(id).unwrap();
        assert_eq!(history.len(), 1, "{id}");
        assert_eq!(history[0].user, "atlas.manager");
        assert_eq!(history[0].ip, "127.0.0.1");
        assert_eq!(history[0].action, "refund");
    }
    let (_, history) = c.page(&format!("/transactions/{sale}?tab=history")).await;
    assert!(history.contains("atlas.manager") && history.contains("127.0.0.1"));

    let r = c
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cette transaction a déjà été remboursée")
    );
    assert_eq!(children(&app, sale).len(), 1);
}

#[tokio::test]
async fn refund_amounts_that_make_no_sense_are_refused_clearly() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    for (amount, message) in [
        ("0", "Le montant doit être supérieur à zéro."),
        ("-5", "le montant ne peut pas être négatif"),
        ("1e3", "n'est pas un montant"),
        ("10,001", "est ambigu"),
        ("99999999999999", "le montant dépasse"),
        ("250,01", "Le montant ne peut pas dépasser 250,00 MAD."),
    ] {
        for r in [
            c.get(&format!(
                "/transactions/{sale}/operations/refund?amount={}",
                crate::support::html::urlencode(amount)
            ))
            .await,
            c.post(
                &format!("/transactions/{sale}/operations/refund"),
                &[("amount", amount)],
            )
            .await,
        ] {
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
            let body = r.text().await.unwrap();
            assert!(body.contains(message), "{amount}: {body}");
        }
    }
    assert!(children(&app, sale).is_empty());
}

#[tokio::test]
async fn sixteen_concurrent_refunds_of_one_sale_let_exactly_one_through() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    let csrf = c.csrf().await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let http = c.http.clone();
        let url = format!("{}/transactions/{sale}/operations/refund", app.base);
        let csrf = csrf.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .form(&[("csrf", csrf.as_str()), ("amount", "250")])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count(),
        15
    );
    let refunds: Vec<_> = children(&app, sale)
        .into_iter()
        .filter(|t| t.operation == Operation::Refund)
        .collect();
    assert_eq!(refunds.len(), 1);
    let report = app.db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn capture_passes_at_6_days_23_59_and_fails_at_7_days_and_1_second() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let early = paid(&app, &c, m, "authorization", "4111111111111111").await;
    let late = paid(&app, &c, m, "authorization", "4111111111111111").await;
    let at = app.db.transaction(Scope::Admin, early).unwrap().unwrap().at;
    let t0 = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
    app.clock
        .set(t0 + Duration::days(6) + Duration::hours(23) + Duration::minutes(59));
    let c = app.signed_in("atlas.manager").await;
    let r = c
        .post(
            &format!("/transactions/{early}/operations/capture"),
            &[("amount", "250,01")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "never above the authorized amount"
    );
    let (_, confirm) = c
        .page(&format!(
            "/transactions/{early}/operations/capture?amount=200"
        ))
        .await;
    assert!(
        confirm.contains("<h1>Confirmer la capture</h1>")
            && confirm.contains(r#"<button class="primary" type="submit">Capturer <span class="nowrap">200,00 MAD</span></button>"#),
        "{confirm}"
    );
    let r = c
        .post(
            &format!("/transactions/{early}/operations/capture"),
            &[("amount", "200")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let capture = &children(&app, early)[0];
    let (_, done) = c.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        done.contains(&format!(
            r#"Capture de 200,00 MAD acceptée : <a href="/transactions/{0}">transaction {0}</a>."#,
            capture.id
        )),
        "{done}"
    );
    assert_eq!(
        (capture.operation, capture.amount.minor()),
        (Operation::Capture, 20_000)
    );
    let r = c
        .post(
            &format!("/transactions/{early}/operations/capture"),
            &[("amount", "50")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "captured once"
    );

    app.clock.set(t0 + Duration::days(7) + Duration::seconds(1));
    let c = app.signed_in("atlas.manager").await;
    let r = c
        .post(
            &format!("/transactions/{late}/operations/capture"),
            &[("amount", "250")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cette autorisation a expiré")
    );
    let (_, detail) = c.page(&format!("/transactions/{late}")).await;
    assert!(detail.contains("Expirée (7 jours sans capture)"));
    assert!(children(&app, late).is_empty());
    // The capture is a debit: it can be refunded.
    let r = c
        .post(
            &format!("/transactions/{}/operations/refund", capture.id),
            &[("amount", "200")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_cancel_releases_an_authorization_which_then_cannot_be_captured() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let auth = paid(&app, &c, m, "authorization", "4111111111111111").await;
    let (_, confirm) = c
        .page(&format!("/transactions/{auth}/operations/cancel"))
        .await;
    assert!(confirm.contains("seront libérés"), "{confirm}");
    // Going back is not « Annuler », which is what the main button does.
    assert!(
        confirm
            .contains(r#"<button class="primary" type="submit">Annuler l'autorisation</button>"#)
            && confirm.contains(">Ne rien faire</a>"),
        "{confirm}"
    );
    let r = c
        .post(&format!("/transactions/{auth}/operations/cancel"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let kids = children(&app, auth);
    let (_, done) = c.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        done.contains(&format!(
            r#"<div class="flash ok" role="status">Annulation de l'autorisation (250,00 MAD) acceptée : <a href="/transactions/{0}">transaction {0}</a>.</div>"#,
            kids[0].id
        )),
        "{done}"
    );
    assert_eq!(
        (kids[0].operation, kids[0].amount.minor()),
        (Operation::Cancel, 25_000)
    );
    let r = c
        .post(
            &format!("/transactions/{auth}/operations/capture"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cette autorisation a été annulée.")
    );
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    let r = c
        .post(&format!("/transactions/{sale}/operations/cancel"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a sale cannot be cancelled"
    );
}

#[tokio::test]
async fn a_rebill_charges_the_stored_card_again_and_answers_like_the_card() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    c.post("/lang", &[("lang", "en")]).await;
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/rebill"),
            &[("amount", "99.90")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rebill = children(&app, sale)
        .into_iter()
        .find(|t| t.operation == Operation::Rebill)
        .unwrap();
    let (_, done) = c.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        done.contains(&format!(
            r#"<div class="flash ok" role="status">Rebill of 99.90 MAD accepted: <a href="/transactions/{0}">transaction {0}</a>.</div>"#,
            rebill.id
        )),
        "{done}"
    );
    c.post("/lang", &[("lang", "fr")]).await;
    assert_eq!(rebill.amount.minor(), 9_990);
    assert!(rebill.code.is_accepted());
    let original = app.db.transaction(Scope::Admin, sale).unwrap().unwrap();
    assert_eq!(
        rebill.card.as_ref().unwrap().token,
        original.card.as_ref().unwrap().token
    );
    let journal = app.db.journal(rebill.id).unwrap();
    assert_eq!(journal.last().unwrap().code, Some(ResultCode::ACCEPTED));
    // A refused payment has no card to charge again.
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4000000000009995", "").await;
    let refused = *app
        .db
        .payment_request(Scope::Admin, id)
        .unwrap()
        .unwrap()
        .attempts
        .last()
        .unwrap();
    let r = c
        .post(
            &format!("/transactions/{refused}/operations/rebill"),
            &[("amount", "10")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_users_with_the_operate_permission_see_the_tab_and_may_operate() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    app.merchant_user(
        "atlas.viewer",
        m,
        Permissions {
            view: true,
            export: true,
            ..Permissions::default()
        },
    );
    let v = app.signed_in("atlas.viewer").await;
    let (status, detail) = v.page(&format!("/transactions/{sale}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!detail.contains("tab=operations"), "no Operations tab");
    // A link to the Operations tab (shared by a colleague, say) opens the transaction
    // they may see, on its General tab, and says why not the operations.
    let (status, page) = v
        .page(&format!("/transactions/{sale}?tab=operations"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<div class="flash info" role="status">Vous n'avez pas le droit d'opérer sur les transactions : voici les informations générales de celle-ci.</div>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"aria-current="page">Informations générales</a>"#),
        "{page}"
    );
    assert!(
        !page.contains("op-refund") && !page.contains("tab=operations"),
        "{page}"
    );
    v.post("/lang", &[("lang", "en")]).await;
    let (status, page) = v
        .page(&format!("/transactions/{sale}?tab=operations"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("You are not allowed to operate on transactions: here is this transaction's general information."),
        "{page}"
    );
    // The tab itself, as htmx loads it, stays refused, and so do the operations.
    let (status, _) = v
        .page(&format!("/transactions/{sale}/tab/operations"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = v.page("/transactions/999999?tab=operations").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown transaction");
    let (status, _) = v
        .page(&format!("/transactions/{sale}/operations/refund?amount=1"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = v
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Another merchant's operator cannot reach it either.
    let other = app.merchant("Other");
    app.merchant_user("other.manager", other.id, Permissions::ALL);
    let o = app.signed_in("other.manager").await;
    let r = o
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(children(&app, sale).is_empty());
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/sale"),
            &[("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not an operation");
}

#[tokio::test]
async fn a_double_click_on_a_confirmation_writes_one_operation() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid(&app, &c, m, "sale", "4111111111111111").await;
    let (_, confirm) = c
        .page(&format!("/transactions/{sale}/operations/rebill?amount=40"))
        .await;
    let key = crate::support::html::field_in(&confirm, "key");
    let csrf = c.csrf().await;
    for _ in 0..2 {
        let r = c
            .post_raw(
                &format!("/transactions/{sale}/operations/rebill"),
                &[("csrf", &csrf), ("amount", "40.00"), ("key", &key)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        children(&app, sale).len(),
        1,
        "one rebill for one confirmation"
    );
    // A new confirmation is a new operation.
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/rebill"),
            &[("amount", "40")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(children(&app, sale).len(), 2);
}
