//! The `ids` filter: a selection of transactions linked from another screen (a fraud
//! backtest's refusals), checked against the brute-force oracle, in scope, kept by
//! paging, the page size switch and exports, and refused clearly when malformed.

use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::dataset::{Dataset, seed};
use crate::support::download::download;
use crate::support::html::{link, listing};
use crate::support::sheets::json_table;
use crate::support::spawn_app;
use crate::transactions::oracle::{F, agrees, brute_force, brute_totals, query};
use crate::transactions::totals::totals_in;

/// Every `step`-th row's id from `skip`, 3-D Secure checks included, and two ids no
/// row has.
fn some_ids(d: &Dataset, skip: usize, step: usize) -> Vec<u64> {
    let mut ids: Vec<u64> = d
        .rows
        .iter()
        .skip(skip)
        .step_by(step)
        .map(|t| t.id)
        .collect();
    let last = d.rows.last().unwrap().id;
    ids.extend([last + 1, last + 1_000]);
    ids
}

fn joined(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

#[tokio::test]
async fn the_ids_filter_keeps_only_the_listed_transactions_with_their_totals() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let ids = some_ids(&d, 1, 2);
    let listed = brute_force(&d.rows, &[F::Ids(ids.clone())], None);
    assert!(
        listed.len() > 100,
        "more than one page of 100: {}",
        listed.len()
    );
    // Alone, with other filters (AND) and with the 3-D Secure rows shown: every page
    // and the totals line agree with a scan of every row.
    for filters in [
        vec![F::Ids(ids.clone())],
        vec![F::Ids(ids.clone()), F::Status("refused".into(), false)],
        vec![F::Ids(ids.clone()), F::Show3ds],
        vec![F::Ids(ids.clone()), F::Merchant(d.merchant("Glovoapp"))],
    ] {
        assert!(
            agrees(&admin, &d.rows, &filters, None).await > 0,
            "{filters:?}"
        );
    }

    // From the backtest's link: every date, no start or end typed.
    let pairs = vec![("period", "all".to_string()), ("ids", joined(&ids))];
    let l = listing(&admin, &pairs).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), listed.len() as u64);
    assert_eq!(l.ids, listed[..10]);
    assert_eq!(
        totals_in(&l.body),
        brute_totals(&d.rows, &listed).shown(false)
    );
    // The chip says how many were selected (the two unknown ids included), and its
    // link removes the selection only.
    let chip = format!("Sélection : {} transactions", ids.len());
    assert!(l.body.contains(&chip), "{chip}");
    let chip_at = l.body.find(&chip).unwrap();
    let tag = &l.body[l.body[..chip_at].rfind("<a ").unwrap()..chip_at];
    assert!(tag.contains(r#"href="/transactions?period=all""#), "{tag}");
    // Without a period, a selection is not cut to today either.
    let l = listing(&admin, &[("ids", joined(&ids))]).await;
    assert_eq!(l.total(), listed.len() as u64);

    // The pager, the page size switch (the form holds the selection) and the exports
    // keep it.
    let pairs = vec![("period", "all".to_string()), ("ids", joined(&ids))];
    let l = listing(&admin, &pairs).await;
    let next = link(&l.body, "next").expect("a next page");
    assert!(next.contains("ids="), "{next}");
    let (_, page2) = admin.page(&next).await;
    assert_eq!(crate::support::html::ids_in(&page2), listed[10..20]);
    assert!(
        l.body.contains(&format!(
            r#"id="q-ids" name="ids" value="{}""#,
            joined(&ids)
        )),
        "the filter form keeps the selection"
    );
    assert!(l.body.contains("Sélection (numéros de transaction)"));
    let file = download(&admin, "json", "all", &pairs).await;
    assert!(file.status.is_success());
    assert_eq!(json_table(&file.body).len(), listed.len());
    // Without the filter the same period lists more.
    let l = listing(&admin, &query(&[])).await;
    assert!(l.total() > listed.len() as u64);
}

#[tokio::test]
async fn a_merchant_user_sees_none_of_another_merchants_ids() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            export: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let theirs: Vec<u64> = d
        .rows
        .iter()
        .filter(|t| t.merchant_id != uber)
        .step_by(5)
        .map(|t| t.id)
        .collect();
    assert!(!theirs.is_empty());
    let pairs = vec![("period", "all".to_string()), ("ids", joined(&theirs))];
    let l = listing(&c, &pairs).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), 0);
    assert!(l.ids.is_empty());
    let file = download(&c, "json", "all", &pairs).await;
    assert!(file.status.is_success());
    assert!(json_table(&file.body).is_empty());
    // Mixed with their own: only theirs.
    let mixed = some_ids(&d, 0, 11);
    let mine = agrees(&c, &d.rows, &[F::Ids(mixed.clone())], Some(uber)).await;
    assert!(mine > 0 && mine < brute_force(&d.rows, &[F::Ids(mixed)], None).len());
}

#[tokio::test]
async fn a_malformed_or_too_long_selection_is_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = listing(&admin, &[("ids", "12,abc,34".to_string())]).await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body.contains(
            "« abc » : numéro de transaction attendu (nombres entiers séparés par des virgules)."
        ),
        "{}",
        l.body
    );
    // The field is shown, marked, with its message.
    assert!(
        l.body
            .contains(r#"id="q-ids" name="ids" value="12,abc,34" aria-invalid="true""#)
    );
    let many = joined(&(1..=501).collect::<Vec<_>>());
    let l = listing(&admin, &[("ids", many.clone())]).await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body
            .contains("501 transactions sélectionnées : 500 au plus.")
    );
    let file = download(&admin, "csv", "all", &[("ids", many)]).await;
    assert_eq!(file.status, StatusCode::BAD_REQUEST);
}
