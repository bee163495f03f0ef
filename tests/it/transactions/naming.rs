//! One name for one thing across the screens (UX review): "3-D Secure" written the
//! same way everywhere, the buyer's region called "Région" (not "État", the word of a
//! status), a payment request's status called "Statut", and long emails and order ids
//! that wrap at sensible points only.

use guichet::db::Scope;
use guichet::domain::transaction::{Party, Transaction};
use reqwest::StatusCode;

use super::detail::seed_detail;
use crate::fixtures::payments::{new_request, shop};
use crate::support::html::dd;
use crate::support::spawn_app;

#[tokio::test]
async fn three_d_secure_is_written_3_d_secure_on_the_detail_and_in_the_operation_filter() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (_, list) = admin.page("/transactions").await;
    assert!(list.contains(">Vérification 3-D Secure</option>"), "filter");
    let (_, page) = admin.page("/transactions/1").await;
    assert!(page.contains("Vérification 3-D Secure"));
    assert_eq!(dd(&page, "3-D Secure"), "✓ oui");
    for p in [&list, &page] {
        assert!(!p.contains("3D Secure"), "the other spelling");
    }
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions/1").await;
    assert!(page.contains("3-D Secure verification") && !page.contains("3D Secure"));
}

#[tokio::test]
async fn the_buyer_s_region_is_called_region_not_state() {
    let app = spawn_app().await;
    seed_detail(&app);
    // A sale whose buyer gave a region.
    let mut rows = vec![Transaction {
        id: 0,
        buyer: Party {
            name: "Salma Idrissi".into(),
            state: "Souss-Massa".into(),
            ..Party::default()
        },
        ..app.db.transaction(Scope::Admin, 2).unwrap().unwrap()
    }];
    app.db.insert_transactions(&mut rows).unwrap();
    let admin = app.admin().await;
    let (status, page) = admin.page(&format!("/transactions/{}", rows[0].id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dd(&page, "Région"), "Souss-Massa");
    assert!(!page.contains("<dt>État</dt>"));
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page(&format!("/transactions/{}", rows[0].id)).await;
    assert_eq!(dd(&page, "Region"), "Souss-Massa");
    assert!(!page.contains("<dt>State</dt>"));
}

#[tokio::test]
async fn a_request_s_status_is_statut_and_its_holder_s_region_is_region() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, terminal) = c.page("/terminal").await;
    assert!(terminal.contains(">Région</label>") && !terminal.contains(">État</label>"));
    let (id, _) = new_request(
        &c,
        m,
        &[
            ("state", "Souss-Massa"),
            ("email", "fatima.zahra.elidrissi@example.com"),
            ("order_id", "REV-fr-d-ACCEPT"),
        ],
    )
    .await;
    let (_, list) = c.page("/payment-requests").await;
    assert!(list.contains("<th>Statut</th>") && !list.contains("<th>État</th>"));
    assert!(list.contains(r#"data-label="Statut""#));
    // The email may wrap before its "@", the order id after its dashes: not mid-word.
    assert!(
        list.contains("fatima.<wbr>zahra.<wbr>elidrissi@<wbr>example.<wbr>com"),
        "{list}"
    );
    assert!(list.contains("REV-<wbr>fr-<wbr>d-<wbr>ACCEPT"));
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(dd(&page, "Région"), "Souss-Massa");
    c.post("/lang", &[("lang", "en")]).await;
    let (_, list) = c.page("/payment-requests").await;
    assert!(list.contains("<th>Status</th>") && !list.contains("<th>State</th>"));
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(dd(&page, "Region"), "Souss-Massa");
}
