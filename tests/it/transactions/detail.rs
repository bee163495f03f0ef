//! §5 The detail: general and associated tabs, notes.

use guichet::db::transactions;
use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::transaction::{
    Affiliation, Initiator, Operation, Party, SaleDetails, StoredCard, Transaction,
};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::support::html::{dd, get_htmx, ids_in};
use crate::support::{TestApp, spawn_app};

/// A 3-D Secure check, its sale and the sale's refund, for Uber; a refused sale for
/// Glovoapp; an Amex authorization. Returns (uber id, glovo id).
pub(super) fn seed_detail(app: &TestApp) -> (u64, u64) {
    let uber = app.merchant("Uber").id;
    let glovo = app.merchant("Glovoapp").id;
    let t0 = datetime!(2026-05-30 14:03:27 UTC).unix_timestamp();
    let card = |bin: &str, last4: &str, len: u8, brand: Brand, holder: &str| StoredCard {
        bin: bin.into(),
        last4: last4.into(),
        pan_len: len,
        brand: Some(brand),
        exp_month: 9,
        exp_year: 2028,
        holder: holder.into(),
        token: "c0ffee-token".into(),
        three_ds: true,
        country: "MA".into(),
    };
    let base = Transaction {
        id: 0,
        at: t0,
        merchant_id: uber,
        operation: Operation::ThreeDSecure,
        amount: Amount::from_minor(700_100).unwrap(),
        currency: Currency::Mad,
        code: ResultCode::ACCEPTED,
        card: Some(card("411111", "1111", 16, Brand::Visa, "MOHAMED ALAOUI")),
        initiator: Initiator {
            ip: "196.200.1.2".into(),
            terminal: 21114,
            merchant_account: "VPS_TEST_DH".into(),
            ..Initiator::default()
        },
        sale: SaleDetails {
            order_id: "UB-2026-000001".into(),
            description: "Course Uber".into(),
            ..SaleDetails::default()
        },
        buyer: Party {
            name: "Mohamed Alaoui".into(),
            email: "mohamed.alaoui@gmail.com".into(),
            city: "Fès".into(),
            ..Party::default()
        },
        shipping: Party::default(),
        affiliation: Affiliation::default(),
        test: false,
        parent_id: None,
        statement_descriptor: "UBER".into(),
    };
    let mut rows = vec![
        base.clone(),
        Transaction {
            at: t0 + 40,
            operation: Operation::Sale,
            parent_id: Some(1),
            ..base.clone()
        },
        Transaction {
            at: t0 + 86_400,
            operation: Operation::Refund,
            amount: Amount::from_minor(350_050).unwrap(),
            parent_id: Some(2),
            ..base.clone()
        },
        Transaction {
            at: t0 + 90_000,
            merchant_id: glovo,
            operation: Operation::Sale,
            code: ResultCode::INSUFFICIENT_FUNDS,
            card: Some(card("378282", "0005", 15, Brand::Amex, "Fès Voyages")),
            ..base.clone()
        },
        Transaction {
            at: t0 + 90_100,
            operation: Operation::Authorization,
            card: Some(card("676770", "0207", 19, Brand::Maestro, "Éloïse Martin")),
            ..base.clone()
        },
    ];
    let wtx = app.db.begin_write().unwrap();
    transactions::insert_many(&wtx, &mut rows).unwrap();
    wtx.commit().unwrap();
    assert_eq!(
        rows.iter().map(|t| t.id).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    (uber, glovo)
}

#[tokio::test]
async fn the_general_tab_shows_the_masked_card_the_code_text_and_the_settlement_date() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (status, page) = admin.page("/transactions/2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dd(&page, "Numéro de carte"), "411111XXXXXX1111");
    assert_eq!(
        dd(&page, "Code de retour"),
        "000 - Transaction terminée avec succès"
    );
    assert_eq!(dd(&page, "Statut"), "Acceptée");
    assert_eq!(dd(&page, "Opération"), "Vente");
    assert_eq!(dd(&page, "Montant"), "7 001,00 MAD");
    assert_eq!(dd(&page, "Date"), "30 mai 2026, 14:04 (UTC)");
    // Accepted sale: credited 48 hours later.
    assert_eq!(
        dd(&page, "Crédit marchand prévu"),
        "1 juin 2026, 14:04 (UTC)"
    );
    assert_eq!(dd(&page, "Nom du porteur"), "MOHAMED ALAOUI");
    assert_eq!(dd(&page, "Marque de la carte"), "VISA");
    assert_eq!(dd(&page, "Date d'expiration"), "09 / 2028");
    assert_eq!(dd(&page, "ID de la commande"), "UB-2026-000001");
    assert_eq!(dd(&page, "Société"), "Uber SARL");
    // The same page by its tab name, and in the htmx tab fragment.
    let (_, general) = admin.page("/transactions/2?tab=general").await;
    assert!(general.contains("411111XXXXXX1111"));
    let (_, _, fragment) = get_htmx(&admin, "/transactions/2/tab/general", true).await;
    assert!(fragment.contains("<dd>411111XXXXXX1111</dd>"));
    // A refused sale: its code text, no settlement; an Amex number has 15 digits.
    let (_, page) = admin.page("/transactions/4").await;
    assert_eq!(dd(&page, "Code de retour"), "051 - Fonds insuffisants");
    assert_eq!(dd(&page, "Statut"), "Refusée");
    assert_eq!(dd(&page, "Numéro de carte"), "378282XXXXX0005");
    assert!(!page.contains("Crédit marchand prévu"));
    // Refunds and authorizations are not credited; a fresh authorization waits.
    let (_, page) = admin.page("/transactions/3").await;
    assert!(!page.contains("Crédit marchand prévu"));
    let (_, page) = admin.page("/transactions/5").await;
    assert_eq!(dd(&page, "Numéro de carte"), "676770XXXXXXXXX0207");
    assert!(!page.contains("Crédit marchand prévu"));
    assert!(
        dd(&page, "Autorisation").starts_with("En attente de capture jusqu'au 7 juin 2026"),
        "{}",
        dd(&page, "Autorisation")
    );
    // In English.
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions/2").await;
    assert_eq!(
        dd(&page, "Result code"),
        "000 - Transaction successfully completed"
    );
    assert_eq!(dd(&page, "Expected settlement"), "1 Jun 2026, 14:04 (UTC)");
    assert_eq!(dd(&page, "Card number"), "411111XXXXXX1111");
}

#[tokio::test]
async fn the_associated_tab_of_a_sale_lists_its_3ds_parent_and_its_refund() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (status, page) = admin.page("/transactions/2?tab=associated").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_in(&page), [3, 1], "newest first");
    assert!(page.contains("Transactions associées (2)"));
    assert!(page.contains("Vérification 3-D Secure") && page.contains("Remboursement"));
    assert!(page.contains(r#"aria-current="page">Transactions associées (2)</a>"#));
    // From either end of the chain.
    let (_, page) = admin.page("/transactions/1/tab/associated").await;
    assert_eq!(ids_in(&page), [2]);
    let (_, page) = admin.page("/transactions/3/tab/associated").await;
    assert_eq!(ids_in(&page), [2]);
    let (_, page) = admin.page("/transactions/4/tab/associated").await;
    assert!(ids_in(&page).is_empty());
    assert!(page.contains("Transactions associées (0)"));
    // Every tab answers, an unknown one is a 404.
    for tab in ["general", "associated", "journal", "notes", "history"] {
        let (status, page) = admin.page(&format!("/transactions/2?tab={tab}")).await;
        assert_eq!(status, StatusCode::OK, "{tab}");
        // The summary stays on top of every tab.
        assert!(
            page.contains(
                r#"<span class="sum-id">Transaction 2</span> · <span class="sum-op">Vente</span>"#
            ) && page.contains(r#"<strong class="sum-amount">7 001,00 MAD</strong>"#),
            "{tab}"
        );
    }
    let (_, journal) = admin.page("/transactions/4?tab=journal").await;
    assert!(journal.contains("Journal (1)") && journal.contains("Vente – Fonds insuffisants"));
    assert_eq!(
        admin.get("/transactions/2?tab=secret").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/transactions/2/tab/secret").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_merchant_user_adds_a_note_seen_in_notes_and_history() {
    let app = spawn_app().await;
    let (uber, _) = seed_detail(&app);
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let (_, page) = c.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (0)"));
    assert!(page.contains(r#"action="/transactions/2/notes""#));
    let (_, page) = c.page("/transactions/2?tab=history").await;
    assert!(page.contains("Aucune action sur cette transaction depuis sa création."));
    let text = "Client rappelé à Fès : remboursement partiel validé <ok>";
    let r = c.post("/transactions/2/notes", &[("text", text)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/transactions/2?tab=notes");
    let (status, page) = c.page("/transactions/2?tab=notes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Notes (1)"));
    assert!(page.contains("Client rappelé à Fès : remboursement partiel validé &lt;ok&gt;"));
    assert!(page.contains("1 juin 2026, 10:00 (UTC) · uber.viewer"));
    let (_, page) = c.page("/transactions/2/tab/history").await;
    assert!(page.contains(r#"<span data-code="note.add">Note ajoutée</span>"#));
    assert!(page.contains("<td>uber.viewer</td>"));
    // Seen by the admin too, and only on that transaction.
    let admin = app.admin().await;
    let (_, page) = admin.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (1)") && page.contains("remboursement partiel validé"));
    let (_, page) = admin.page("/transactions/3?tab=notes").await;
    assert!(page.contains("Notes (0)"));
    // A second note counts too.
    let r = admin
        .post("/transactions/2/notes", &[("text", "Vérifié.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (2)"));
    let history = app.db.history(2).unwrap();
    let who: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h.action.as_str(), h.user.as_str()))
        .collect();
    assert_eq!(who, [("note.add", "uber.viewer"), ("note.add", "admin")]);
}

#[tokio::test]
async fn an_empty_or_too_long_note_is_refused_with_422() {
    let app = spawn_app().await;
    let (uber, _) = seed_detail(&app);
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let c = app.signed_in("uber.manager").await;
    let long = "é".repeat(2001);
    for text in ["", "   ", "\n\t", long.as_str()] {
        let r = c.post("/transactions/2/notes", &[("text", text)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{:.10}", text);
        let body = r.text().await.unwrap();
        assert!(body.contains("La note doit contenir de 1 à 2000 caractères."));
    }
    let r = c.post("/transactions/2/notes", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.notes(2).unwrap().is_empty());
    assert!(app.db.history(2).unwrap().is_empty());
    // 2000 characters exactly is fine.
    let ok = "é".repeat(2000);
    let r = c.post("/transactions/2/notes", &[("text", &ok)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.notes(2).unwrap().len(), 1);
    // Without the CSRF token nothing is written.
    let r = c
        .post_raw("/transactions/2/notes", &[("text", "sans jeton")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.notes(2).unwrap().len(), 1);
}
