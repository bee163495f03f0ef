//! Group commit (issue 15): the money writes share durable commits, and the
//! one-write-transaction guarantees hold exactly: sixteen concurrent refunds of one
//! sale let one through, twenty concurrent Pay now make one payment — fifty times
//! each, with a slow disk (1 ms per durable commit) so that writes do gather.

use std::time::Duration;

use guichet::clock::Clock;
use guichet::db::{GroupCommit, Scope};
use guichet::domain::actor::Actor;
use guichet::domain::card_form::CardForm;
use guichet::domain::money::Amount;
use guichet::domain::transaction::Operation;
use guichet::gateway::{Answer, OpOutcome, Start};

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::spawn_app;

const ROUNDS: usize = 50;

/// A Luhn-valid Visa number the simulator accepts at once, one per round (a card
/// pays at most 10 times a day under the default rules).
fn card(round: usize) -> String {
    let body = format!("4970{round:011}");
    let sum: u32 = body
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, x) if x > 9 => x - 9,
            (0, x) => x,
            _ => d,
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn slow_disk() -> GroupCommit {
    GroupCommit {
        fsync_delay: Duration::from_millis(1),
        ..GroupCommit::default()
    }
}

#[tokio::test]
async fn sixteen_concurrent_refunds_let_exactly_one_through_fifty_times_over_group_commit() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    app.db.set_group_commit(slow_disk());
    let commits = app.db.durable_commits();
    for round in 0..ROUNDS {
        let (id, token) = new_request(&c, m, &[]).await;
        pay(&app.client(), &token, &card(round), "").await;
        let sale = *app
            .db
            .payment_request(Scope::Admin, id)
            .unwrap()
            .unwrap()
            .attempts
            .last()
            .unwrap();
        let g = app.gateway.clone();
        let done = tokio::task::spawn_blocking(move || {
            let amount = Amount::from_minor(25_000).unwrap();
            std::thread::scope(|s| {
                let runs: Vec<_> = (0..16)
                    .map(|i| {
                        let g = &g;
                        s.spawn(move || {
                            let actor = Actor::new(0, "atlas.manager", format!("10.0.0.{i}"));
                            g.operate(Scope::Admin, sale, Operation::Refund, amount, &actor, "")
                                .unwrap()
                        })
                    })
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().unwrap())
                    .filter(|o| matches!(o, OpOutcome::Done(t) if t.code.is_accepted()))
                    .count()
            })
        })
        .await
        .unwrap();
        assert_eq!(done, 1, "round {round}");
        let refunds = app
            .db
            .children(Scope::Admin, sale)
            .unwrap()
            .into_iter()
            .filter(|t| t.operation == Operation::Refund)
            .count();
        assert_eq!(refunds, 1, "round {round}");
    }
    assert!(app.db.durable_commits() > commits);
    let report = app.db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn twenty_concurrent_pay_now_make_one_payment_fifty_times_over_group_commit() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    app.db.set_group_commit(slow_disk());
    for round in 0..ROUNDS {
        let (id, token) = new_request(&c, m, &[]).await;
        let sent = app.gateway.acquirer.payments_sent();
        let g = app.gateway.clone();
        let today = app.clock.now().date();
        tokio::task::spawn_blocking(move || {
            std::thread::scope(|s| {
                for i in 0..20 {
                    let (g, token) = (&g, &token);
                    s.spawn(move || {
                        let card = CardForm {
                            holder: "Salma Idrissi".into(),
                            number: card(round),
                            expiry: "12/39".into(),
                            cvv: "123".into(),
                            ..CardForm::default()
                        }
                        .parse(today)
                        .ok()
                        .unwrap();
                        // Half double-click one form, half come from other tabs.
                        let nonce = if i % 2 == 0 {
                            "same".to_string()
                        } else {
                            format!("tab-{i}")
                        };
                        let start = g.pay(token, card, &nonce, "196.200.1.1").unwrap();
                        // The first is paid; the others see the request paid.
                        assert!(
                            matches!(
                                start,
                                Start::Answer(Answer::Result(_)) | Start::NotPayable(_)
                            ),
                            "round {round}"
                        );
                    });
                }
            });
        })
        .await
        .unwrap();
        assert_eq!(
            app.gateway.acquirer.payments_sent() - sent,
            1,
            "round {round}"
        );
        let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
        assert_eq!(req.attempts.len(), 1, "round {round}");
        assert!(req.paid_tx.is_some(), "round {round}");
    }
    assert_eq!(app.db.transaction_count().unwrap(), 2 * ROUNDS as u64);
    let report = app.db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}
