//! Tests of the demo generator (compiled only under `#[cfg(test)]`, see `mod.rs`).

use std::collections::BTreeSet;
use std::time::Instant;

use time::macros::datetime;

use super::*;
use crate::db::Scope;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn options(transactions: u64, seed: u64) -> DemoOptions {
    DemoOptions {
        transactions,
        seed,
        now: NOW,
    }
}

fn fresh_db(dir: &tempfile::TempDir) -> Db {
    Db::open(&dir.path().join("demo.redb")).unwrap()
}

fn all_rows(db: &Db) -> Vec<Transaction> {
    let n = usize::try_from(db.transaction_count().unwrap()).unwrap();
    db.latest_transactions(Scope::Admin, n).unwrap()
}

#[test]
fn twenty_thousand_rows_pass_the_consistency_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    let mut seen = Vec::new();
    let summary = generate(&db, &options(20_000, 7), &mut |n| seen.push(n)).unwrap();
    assert_eq!(summary.transactions, 20_000);
    assert_eq!(summary.merchants, SPECS.len());
    assert_eq!(summary.logins.len(), 1 + 2 * SPECS.len());
    assert_eq!(seen.last(), Some(&20_000));
    assert_eq!(db.transaction_count().unwrap(), 20_000);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.transactions, 20_000);
    let (events, by_time) = db.velocity_events().unwrap();
    assert!(
        !events.is_empty(),
        "the last 90 days feed the velocity counters"
    );
    assert_eq!(events.len() as u64, by_time);
    for op in Operation::ALL {
        assert!(
            report.per_operation.get(op.key()).is_some_and(|n| *n > 0),
            "no {op:?}"
        );
    }
}

#[test]
fn rows_follow_the_guides_mix() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    generate(&db, &options(20_000, 11), &mut |_| {}).unwrap();
    let rows = all_rows(&db);
    let refused: BTreeSet<_> = rows
        .iter()
        .filter(|t| !t.code.is_accepted())
        .map(|t| t.code)
        .collect();
    assert!(refused.len() >= 8, "{refused:?}");
    let count = |op| rows.iter().filter(|t| t.operation == op).count() as f64;
    let (tds, sales, auths) = (
        count(Operation::ThreeDSecure),
        count(Operation::Sale),
        count(Operation::Authorization),
    );
    let sale_share = sales / (sales + auths);
    assert!((0.48..0.62).contains(&sale_share), "{sale_share}");
    let refused_payments = rows
        .iter()
        .filter(|t| !t.code.is_accepted())
        .filter(|t| {
            matches!(
                t.operation,
                Operation::ThreeDSecure | Operation::Sale | Operation::Authorization
            )
        })
        .count() as f64;
    let refusal_share = refused_payments / tds;
    assert!((0.09..0.15).contains(&refusal_share), "{refusal_share}");
    let start = (NOW - time::Duration::days(365)).unix_timestamp();
    assert!(
        rows.iter()
            .all(|t| (start..=NOW.unix_timestamp()).contains(&t.at))
    );
    assert!(rows.iter().all(|t| {
        t.card
            .as_ref()
            .is_some_and(|c| c.bin.len() == 6 && c.last4.len() == 4)
    }));
    assert!(
        rows.iter()
            .filter(|t| t.code == ResultCode::THREE_DS_FAILED)
            .all(|t| t.operation == Operation::ThreeDSecure)
    );
    // About 0.1 % of accepted sales are disputed, in full, days after the sale.
    let by_id: std::collections::HashMap<u64, &Transaction> =
        rows.iter().map(|t| (t.id, t)).collect();
    let accepted_sales = rows
        .iter()
        .filter(|t| t.operation == Operation::Sale && t.code.is_accepted())
        .count() as f64;
    let chargebacks: Vec<_> = rows
        .iter()
        .filter(|t| t.operation == Operation::Chargeback)
        .collect();
    let share = chargebacks.len() as f64 / accepted_sales;
    assert!((0.0003..0.003).contains(&share), "{share}");
    for cb in chargebacks {
        let sale = by_id[&cb.parent_id.unwrap()];
        assert!(sale.operation == Operation::Sale && sale.code.is_accepted());
        assert_eq!(cb.amount, sale.amount);
        assert!(cb.at >= sale.at + 5 * DAY);
    }
    // The newest rows are close to `now`; the oldest close to a year before.
    assert!(rows[0].at > NOW.unix_timestamp() - DAY);
    assert!(rows[rows.len() - 1].at < start + 2 * DAY);
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    // One key file for the three: tokens depend on the key, the rest on the seed.
    let keys = d1.path().join("shared.keys");
    let open = |d: &tempfile::TempDir| {
        Db::open_keyed(&d.path().join("demo.redb"), &keys, crate::db::CACHE_BYTES).unwrap()
    };
    let (a, b, c) = (open(&d1), open(&d2), open(&d3));
    for (db, seed) in [(&a, 3), (&b, 3), (&c, 4)] {
        generate(db, &options(3_000, seed), &mut |_| {}).unwrap();
    }
    assert_eq!(all_rows(&a), all_rows(&b));
    assert_ne!(all_rows(&a), all_rows(&c));
    assert_eq!(
        a.merchants(Scope::Admin).unwrap(),
        b.merchants(Scope::Admin).unwrap()
    );
}

#[test]
fn demo_users_sign_in_with_the_shared_password_and_a_full_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    let summary = generate(&db, &options(500, 1), &mut |_| {}).unwrap();
    assert_eq!(db.transaction_count().unwrap(), 500);
    let manager = db.user_by_username("uber.manager").unwrap().unwrap();
    assert!(crate::auth::verify_password(
        DEMO_PASSWORD,
        &manager.password_hash
    ));
    assert!(!manager.must_change_password);
    assert_eq!(manager.permissions(), Permissions::ALL);
    let viewer = db.user_by_username("naoura.viewer").unwrap().unwrap();
    assert!(
        viewer.permissions().view && viewer.permissions().export && !viewer.permissions().operate
    );
    assert!(
        db.user_by_username("demo.admin")
            .unwrap()
            .unwrap()
            .is_admin()
    );
    let roles: BTreeSet<_> = summary.logins.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(
        roles,
        BTreeSet::from(["admin", "merchant manager", "merchant viewer"])
    );
    assert!(generate(&db, &options(10, 1), &mut |_| {}).is_err());
    assert_eq!(db.transaction_count().unwrap(), 500);
    // FRAUD-4: per merchant with refused sales, a listed card and email of refused
    // demo payments; and two global values.
    let listed = db.blacklist(Scope::Admin, None, "", 100).unwrap().entries;
    let kinds: BTreeSet<_> = listed.iter().map(|e| e.kind.key()).collect();
    assert_eq!(kinds, BTreeSet::from(["card", "email", "ip"]));
    let merchants: BTreeSet<_> = listed.iter().filter_map(|e| e.merchant_id).collect();
    assert!(merchants.len() > 3, "{merchants:?}");
    assert_eq!(listed.iter().filter(|e| e.merchant_id.is_none()).count(), 2);
}

#[test]
fn zero_rows_still_creates_merchants_and_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    let summary = generate(&db, &options(0, 1), &mut |_| {}).unwrap();
    assert_eq!(summary.transactions, 0);
    assert_eq!(db.merchants(Scope::Admin).unwrap().len(), SPECS.len());
}

/// `cargo test --release --lib demo -- --ignored --nocapture`
#[test]
#[ignore]
fn one_million_rows_timing() {
    let dir = tempfile::tempdir().unwrap();
    // The page cache `guichet demo` opens the file with.
    let db = Db::open_with_cache(&dir.path().join("demo.redb"), 2 << 30).unwrap();
    let started = Instant::now();
    let summary = generate(&db, &options(1_000_000, 2026), &mut |_| {}).unwrap();
    let elapsed = started.elapsed();
    let size = std::fs::metadata(dir.path().join("demo.redb"))
        .unwrap()
        .len();
    println!(
        "demo: {} rows in {elapsed:.2?}, file {} MB",
        summary.transactions,
        size / 1_000_000
    );
    let started = Instant::now();
    let report = db.check().unwrap();
    println!(
        "check: {:?} in {:.2?}, problems {:?}",
        report.per_operation,
        started.elapsed(),
        report.problems
    );
    assert!(report.is_ok());
}

#[test]
fn every_merchant_has_payments_refused_with_585_by_a_velocity_rule_named_in_their_journal() {
    use crate::domain::fraud::KeyKind;
    use crate::domain::journal::{Rule, Step};
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    generate(&db, &options(5_000, 5), &mut |_| {}).unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    let rows = all_rows(&db);
    let since = NOW.unix_timestamp() - crate::domain::fraud::MAX_WINDOW_SECONDS;
    for m in db.merchants(Scope::Admin).unwrap() {
        let mut found = 0;
        for t in rows.iter().filter(|t| {
            t.merchant_id == m.id
                && t.operation == Operation::Sale
                && t.code == ResultCode::TOO_MANY_ATTEMPTS
        }) {
            let journal = db.journal(t.id).unwrap();
            let Some(fired) = journal.iter().find_map(|j| match j.step {
                Step::RefusedByRule(Rule::Velocity(f)) => Some(f),
                _ => None,
            }) else {
                continue;
            };
            found += 1;
            assert!(t.at >= since, "within the velocity counters' 90 days");
            assert_eq!((fired.kind, fired.refused), (KeyKind::Card, true));
            assert_eq!(
                Step::RefusedByRule(Rule::Velocity(fired)).text(Lang::Fr),
                "Refusée par une règle : 3 paiements refusés pour cette carte en 24 h, limite 3"
            );
            // True to the rows: 3 refused payments of that card in the 24 h before.
            let token = &t.card.as_ref().unwrap().token;
            let refused_before = rows
                .iter()
                .filter(|r| r.card.as_ref().is_some_and(|c| &c.token == token))
                .filter(|r| r.at < t.at && r.at > t.at - DAY)
                .filter(|r| crate::domain::fraud::counts_for_velocity(r.operation, r.code))
                .filter(|r| !r.code.is_accepted())
                .count();
            assert_eq!(refused_before, 3, "{}", m.name);
            // Its 3-D Secure row is refused the same way and links to it.
            let tds = rows.iter().find(|r| Some(r.id) == t.parent_id).unwrap();
            assert_eq!(tds.code, ResultCode::TOO_MANY_ATTEMPTS);
            let steps: Vec<Step> = db
                .journal(tds.id)
                .unwrap()
                .into_iter()
                .map(|j| j.step)
                .collect();
            assert_eq!(
                steps,
                [
                    Step::RefusedByRule(Rule::Velocity(fired)),
                    Step::Linked {
                        operation: Operation::Sale,
                        id: t.id
                    }
                ]
            );
        }
        assert!(found >= 1, "{}: no 585 named by a velocity rule", m.name);
    }
}

#[test]
fn the_demo_has_support_tickets_one_about_a_refund_waiting_unread_for_its_merchant() {
    use crate::domain::support::{Category, TicketFilter, TicketState};
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir);
    generate(&db, &options(3_000, 3), &mut |_| {}).unwrap();
    let now = NOW.unix_timestamp();
    let all = db
        .tickets(Scope::Admin, &TicketFilter::default(), now, None, 10)
        .unwrap();
    assert_eq!(all.len(), 3);
    let refund = all
        .iter()
        .find(|t| t.category == Category::Refund)
        .expect("the refund ticket");
    assert_eq!(refund.state, TicketState::WaitingMerchant);
    let tx = db
        .transaction(Scope::Admin, refund.transaction_id.expect("about a refund"))
        .unwrap()
        .unwrap();
    assert_eq!(tx.operation, Operation::Refund);
    assert_eq!(tx.merchant_id, refund.merchant_id);
    let shop = &SPECS[0];
    let manager = db
        .user_by_username(&format!("{}.manager", shop.slug))
        .unwrap()
        .unwrap();
    assert_eq!(db.unread_ticket_count(manager.id).unwrap(), 1);
    let admin = db.user_by_username("demo.admin").unwrap().unwrap();
    assert_eq!(
        db.unread_ticket_count(admin.id).unwrap(),
        1,
        "the unanswered one"
    );
    // Nothing to send: the demo's addresses are not real ones.
    assert_eq!(db.pending_mail_count().unwrap(), 0);
}
