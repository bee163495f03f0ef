//! Chargebacks (an issuer's dispute of an accepted debit): recorded by an admin from
//! the Operations tab after a confirmation, in one write; refused in place with the
//! reason; never for a merchant's users; never two beyond what is left; then seen in
//! the list, its filter and totals, every export format, the Journal and History.

use guichet::clock::Clock;
use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::transaction::{Operation, Transaction};
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::download::every_format;
use crate::support::sheets::export_ids;
use crate::support::{Client, TestApp, spawn_app};

/// A paid sale of 250,00 MAD at Atlas: its row id.
async fn paid_sale(app: &TestApp, c: &Client, m: u64) -> u64 {
    let (id, token) = new_request(c, m, &[("operation", "sale")]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    *req.attempts.last().unwrap()
}

fn chargebacks(app: &TestApp, id: u64) -> Vec<Transaction> {
    app.db
        .children(Scope::Admin, id)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Chargeback)
        .collect()
}

fn today(app: &TestApp) -> String {
    app.clock.now().date().to_string()
}

#[tokio::test]
async fn an_admin_records_a_chargeback_after_a_confirmation_and_everyone_sees_it() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let sale = paid_sale(&app, &manager, m).await;
    let admin = app.admin().await;
    let (status, tab) = admin
        .page(&format!("/transactions/{sale}?tab=operations"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("Enregistrer un impayé (chargeback)"), "{tab}");
    let (_, theirs) = manager
        .page(&format!("/transactions/{sale}?tab=operations"))
        .await;
    assert!(!theirs.contains("Enregistrer un impayé"), "{theirs}");

    let day = today(&app);
    let (status, confirm) = admin
        .page(&format!(
            "/transactions/{sale}/chargeback?amount=100&reason=not-received&date={day}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{confirm}");
    assert!(
        confirm.contains("Marchandise ou service non reçu") && confirm.contains("100,00 MAD"),
        "{confirm}"
    );
    assert!(
        chargebacks(&app, sale).is_empty(),
        "the confirmation writes nothing"
    );

    let r = admin
        .post(
            &format!("/transactions/{sale}/chargeback"),
            &[
                ("amount", "100.00"),
                ("reason", "not-received"),
                ("date", &day),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let done = r.headers()["location"].to_str().unwrap().to_string();
    let cb = chargebacks(&app, sale);
    assert_eq!(cb.len(), 1);
    let cb = &cb[0];
    assert_eq!(cb.amount.minor(), 10_000);
    assert_eq!(cb.code, ResultCode::ACCEPTED);
    assert_eq!(cb.parent_id, Some(sale));
    let (_, page) = admin.page(&done).await;
    assert!(
        page.contains("Impayé (chargeback) : <span class=\"nowrap\">100,00 / 250,00 MAD"),
        "the summary: {page}"
    );
    assert!(
        page.contains(&format!(
            "Impayé (chargeback) de 100,00 MAD enregistré : <a href=\"/transactions/{}\">",
            cb.id
        )),
        "{page}"
    );
    for id in [sale, cb.id] {
        let history = app.db.history(id).unwrap();
        assert_eq!(history.len(), 1, "{id}");
        assert_eq!(
            (history[0].action.as_str(), history[0].user.as_str()),
            ("chargeback", "admin")
        );
    }
    let audit = app.db.audit(Scope::Admin, 50).unwrap();
    assert!(audit.iter().any(|e| e.action == "chargeback.record"
        && e.target == format!("transaction {sale}")
        && e.merchant_id == Some(m)));

    // The merchant's users see it: the Journal, the History, the list and its filter.
    let (_, journal) = manager
        .page(&format!("/transactions/{}/tab/journal", cb.id))
        .await;
    assert!(
        journal.contains(&format!(
            "notifié par la banque émettrice le {day}, motif : Marchandise ou service non reçu"
        )),
        "{journal}"
    );
    let (_, history) = manager
        .page(&format!("/transactions/{sale}/tab/history"))
        .await;
    assert!(history.contains("Impayé (chargeback)"), "{history}");
    let (_, list) = manager.page("/transactions?operation=chargeback").await;
    assert!(
        list.contains(r#"<option value="chargeback" selected"#),
        "{list}"
    );
    assert!(list.contains("\u{2212}100,00 MAD"), "{list}");
    assert!(list.contains(&format!(r#"href="/transactions/{}""#, cb.id)));
    assert!(!list.contains(&format!(r#"href="/transactions/{sale}""#)));
    let (_, sales) = manager.page("/transactions?operation=sale").await;
    assert!(
        sales.contains("flag-dispute") && sales.contains(">Impayé<"),
        "{sales}"
    );
    let (_, all) = manager.page("/transactions").await;
    assert!(
        all.contains("150,00 MAD"),
        "net of the sale and its chargeback: {all}"
    );

    let pairs = [("operation", "chargeback".to_string())];
    for (format, file) in every_format(&admin, &pairs).await {
        assert_eq!(export_ids(format, &file.body), vec![cb.id], "{format}");
    }
    let report = app.db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_merchant_manager_cannot_record_a_chargeback() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let sale = paid_sale(&app, &manager, m).await;
    let path = format!("/transactions/{sale}/chargeback");
    let day = today(&app);
    let (status, _) = manager
        .page(&format!("{path}?amount=1&reason=fraud&date={day}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = manager
        .post(
            &path,
            &[("amount", "1"), ("reason", "fraud"), ("date", &day)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(chargebacks(&app, sale).is_empty());
}

#[tokio::test]
async fn a_chargeback_beyond_what_is_left_or_without_reason_or_date_is_refused_in_place() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let sale = paid_sale(&app, &manager, m).await;
    let r = manager
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.admin().await;
    let path = format!("/transactions/{sale}/chargeback");
    let day = today(&app);
    let tomorrow = (app.clock.now().date() + time::Duration::days(1)).to_string();
    for (fields, message) in [
        (
            [
                ("amount", "150,01"),
                ("reason", "fraud"),
                ("date", day.as_str()),
            ],
            "Le montant ne peut pas dépasser 150,00 MAD.",
        ),
        (
            [("amount", "0"), ("reason", "fraud"), ("date", day.as_str())],
            "Le montant doit être supérieur à zéro.",
        ),
        (
            [("amount", "10"), ("reason", ""), ("date", day.as_str())],
            "Choisissez le motif de l'impayé dans la liste.",
        ),
        (
            [
                ("amount", "10"),
                ("reason", "fraud"),
                ("date", "04/03/2026"),
            ],
            "Saisissez la date de l'impayé (AAAA-MM-JJ).",
        ),
        (
            [
                ("amount", "10"),
                ("reason", "fraud"),
                ("date", tomorrow.as_str()),
            ],
            "ne peut pas être dans le futur",
        ),
        (
            [
                ("amount", "10"),
                ("reason", "fraud"),
                ("date", "2020-01-01"),
            ],
            "ne peut pas précéder celle de la transaction",
        ),
    ] {
        let r = admin.post(&path, &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(r#"<small class="error" id="f-cb-err">"#),
            "in place: {body}"
        );
        assert!(body.contains(message), "{fields:?}: {body}");
        assert!(
            body.contains(&format!(r#"value="{}""#, fields[0].1)),
            "the amount typed stays"
        );
    }
    assert!(chargebacks(&app, sale).is_empty());

    // What the chargeback leaves is all a later refund may take, and the reverse.
    let other = paid_sale(&app, &manager, m).await;
    let r = admin
        .post(
            &format!("/transactions/{other}/chargeback"),
            &[("amount", "200"), ("reason", "duplicate"), ("date", &day)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = manager
        .post(
            &format!("/transactions/{other}/operations/refund"),
            &[("amount", "50,01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Le montant ne peut pas dépasser 50,00 MAD.")
    );
}

#[tokio::test]
async fn two_concurrent_chargebacks_beyond_what_is_left_never_both_pass() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let sale = paid_sale(&app, &manager, m).await;
    let admin = app.admin().await;
    let csrf = admin.csrf().await;
    let day = today(&app);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = admin.http.clone();
        let url = format!("{}/transactions/{sale}/chargeback", app.base);
        let (csrf, day) = (csrf.clone(), day.clone());
        tasks.push(tokio::spawn(async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("amount", "150"),
                ("reason", "fraud"),
                ("date", day.as_str()),
            ];
            http.post(url).form(&form).send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let passed = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(passed, 1, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count(),
        7
    );
    assert_eq!(chargebacks(&app, sale).len(), 1);
    let report = app.db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}
