//! §4 Merchant scoping.

use guichet::domain::transaction::Operation;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::dataset::{Rng, seed};
use crate::support::html::{get_htmx, ids_in, list_url, listing};
use crate::support::spawn_app;
use crate::transactions::oracle::{F, Kind, agrees, brute_force, from_row, query};

#[tokio::test]
async fn a_merchant_user_sees_only_their_merchants_rows_and_totals() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    let glovo = d.merchant("Glovoapp");
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let mut rng = Rng(11);
    let mut filters: Vec<Vec<F>> = vec![
        vec![],
        vec![F::Holder("mohamed".into())],
        vec![F::Status("refused".into(), false)],
        vec![F::Operation("refund".into(), Operation::Refund)],
        vec![F::Merchant(uber)],
        vec![F::Merchant(glovo)],
        vec![F::Account("VPS_GLOVO_DH".into())],
        vec![F::Terminal(30001)],
    ];
    // Values taken from other merchants' rows find nothing here.
    for kind in [Kind::Ref, Kind::Order, Kind::Email, Kind::Amount] {
        for _ in 0..3 {
            let row = rng.pick(&d.rows);
            if let Some(f) = from_row(kind, row, &mut rng) {
                filters.push(vec![f]);
            }
        }
    }
    for f in &filters {
        agrees(&c, &d.rows, f, Some(uber)).await;
    }
    let all = agrees(&c, &d.rows, &[], Some(uber)).await;
    assert!(all > 0 && all < d.rows.len());
    let l = listing(&c, &query(&[F::Merchant(glovo)])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), 0);
    assert!(l.ids.is_empty());
    assert!(
        l.body
            .contains("Aucune transaction ne correspond à ces critères.")
    );
    // No merchant picker for a merchant user, no other merchant's name.
    assert!(!l.body.contains(r#"name="merchant""#));
    assert!(!l.body.contains("Glovoapp") && !l.body.contains("Riad Fès"));
    // The htmx fragment is scoped the same way.
    let (_, _, fragment) = get_htmx(&c, &list_url(&query(&[])), true).await;
    let uber_ids = brute_force(&d.rows, &[], Some(uber));
    assert_eq!(ids_in(&fragment), uber_ids[..10]);
}

#[tokio::test]
async fn a_merchant_user_gets_404_on_another_merchants_transaction_and_every_tab() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let c = app.signed_in("uber.manager").await;
    let theirs = d
        .rows
        .iter()
        .filter(|t| t.merchant_id != uber)
        .step_by(37)
        .take(6);
    let own = d.rows.iter().find(|t| t.merchant_id == uber).unwrap();
    for tx in theirs {
        let id = tx.id;
        let mut paths = vec![format!("/transactions/{id}")];
        for tab in [
            "general",
            "associated",
            "journal",
            "notes",
            "history",
            "nope",
        ] {
            paths.push(format!("/transactions/{id}?tab={tab}"));
            paths.push(format!("/transactions/{id}/tab/{tab}"));
        }
        for path in &paths {
            for htmx in [false, true] {
                let (status, _, body) = get_htmx(&c, path, htmx).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path} htmx={htmx}");
                assert!(!body.contains(&tx.sale.order_id), "{path}");
            }
        }
        let r = c
            .post(&format!("/transactions/{id}/notes"), &[("text", "Vu")])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(app.db.notes(id).unwrap().is_empty());
        assert!(app.db.history(id).unwrap().is_empty());
        // Found by reference: nothing either.
        let l = listing(&c, &query(&[F::Ref(id)])).await;
        assert_eq!(l.total(), 0);
    }
    // Their own transaction is there; ids that do not exist are 404s as well.
    assert_eq!(
        c.get(&format!("/transactions/{}", own.id)).await.status(),
        StatusCode::OK
    );
    for path in [
        "/transactions/999999",
        "/transactions/0",
        "/transactions/abc",
        "/transactions/-1/tab/general",
    ] {
        assert_eq!(c.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_user_without_the_view_permission_gets_404_on_transactions() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user(
        "uber.users",
        uber,
        Permissions {
            manage_users: true,
            export: true,
            ..Permissions::default()
        },
    );
    let own = d.rows.iter().find(|t| t.merchant_id == uber).unwrap().id;
    let c = app.signed_in("uber.users").await;
    for path in [
        "/transactions".to_string(),
        list_url(&query(&[])),
        format!("/transactions/{own}"),
        format!("/transactions/{own}?tab=notes"),
        format!("/transactions/{own}/tab/associated"),
    ] {
        for htmx in [false, true] {
            let (status, _, body) = get_htmx(&c, &path, htmx).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(!body.contains("tx-table"), "{path}");
        }
    }
    let r = c
        .post(&format!("/transactions/{own}/notes"), &[("text", "Vu")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(app.db.notes(own).unwrap().is_empty());
    // Not signed in: sent to the sign-in page, never shown a row.
    let anon = app.client();
    let r = anon.get("/transactions").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
