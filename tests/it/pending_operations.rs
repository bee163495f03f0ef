//! An operation whose acquirer call is interrupted by a stop (issue 13 point 5): the
//! check and a pending record are written before the call, the row after it; a
//! stop in between leaves the record, which `guichet check` reports and the next
//! start settles under the same acquirer reference — the money moves once.

use std::sync::Arc;

use guichet::acquirer::{Acquirer, CardInfo, CardPayment, Simulator};
use guichet::db::Scope;
use guichet::domain::actor::Actor;
use guichet::domain::card::Pan;
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::operation_rules::OpRefusal;
use guichet::domain::transaction::{Operation, StoredCard, Transaction};
use guichet::gateway::{Gateway, OpOutcome};

use crate::fixtures::payments::{new_request, pay, request, shop};
use crate::support::spawn_app;

/// Where the process "stops" (panics): right after the acquirer answered, before
/// the gateway could write the answer.
#[derive(PartialEq)]
enum After {
    Sale,
    Refund,
}

/// The simulator, but the process stops after the acquirer's answer to a sale or a
/// refund.
struct Stops(Arc<Simulator>, After);

impl Acquirer for Stops {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn is_test(&self) -> bool {
        true
    }
    fn enrolment(&self, pan: &Pan) -> CardInfo {
        self.0.enrolment(pan)
    }
    fn verify_challenge(&self, pan: &Pan, code: &str) -> ResultCode {
        self.0.verify_challenge(pan, code)
    }
    fn sale(&self, p: &CardPayment) -> ResultCode {
        let code = self.0.sale(p);
        if self.1 == After::Sale {
            panic!("the appliance stopped between the acquirer's answer and the write");
        }
        code
    }
    fn authorize(&self, p: &CardPayment) -> ResultCode {
        self.0.authorize(p)
    }
    fn capture(&self, r: &str, t: &Transaction, a: Amount) -> ResultCode {
        self.0.capture(r, t, a)
    }
    fn cancel(&self, r: &str, t: &Transaction) -> ResultCode {
        self.0.cancel(r, t)
    }
    fn refund(&self, r: &str, t: &Transaction, a: Amount) -> ResultCode {
        let code = self.0.refund(r, t, a);
        if self.1 == After::Refund {
            panic!("the appliance stopped between the acquirer's answer and the write");
        }
        code
    }
    fn rebill(&self, r: &str, c: &StoredCard, a: Amount, cur: Currency) -> ResultCode {
        self.0.rebill(r, c, a, cur)
    }
    fn payment_result(&self, r: &str) -> Option<ResultCode> {
        self.0.payment_result(r)
    }
    fn payments_sent(&self) -> u64 {
        self.0.payments_sent()
    }
    fn operations_done(&self) -> u64 {
        self.0.operations_done()
    }
}

fn gateway(app: &crate::support::TestApp, acquirer: Arc<dyn Acquirer>) -> Gateway {
    Gateway::new(
        app.db.clone(),
        Arc::new(app.clock.clone()),
        acquirer,
        "http://127.0.0.1".into(),
        3,
        false,
    )
    .unwrap()
}

#[tokio::test]
async fn a_refund_interrupted_after_the_acquirer_is_reported_then_settled_once_at_the_next_start() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let sale = request(&app, id).paid_tx.unwrap();
    let bank = Arc::new(Simulator::default());
    let actor = Actor::new(0, "atlas.manager", "127.0.0.1");
    let amount = Amount::from_minor(5_000).unwrap();
    // The stop: the acquirer refunded, nothing was written after it.
    let stopping = gateway(&app, Arc::new(Stops(bank.clone(), After::Refund)));
    let (db, a2) = (app.db.clone(), actor.clone());
    let crashed = std::thread::spawn(move || {
        let _ = db;
        stopping.operate(Scope::Admin, sale, Operation::Refund, amount, &a2, "")
    })
    .join();
    assert!(crashed.is_err(), "the stop happened");
    assert_eq!(bank.operations_done(), 1, "the money moved once");
    assert!(
        app.db.children(Scope::Admin, sale).unwrap().is_empty(),
        "no refund row yet"
    );
    let report = app.db.check().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("operation refund of transaction {sale}"))),
        "{:?}",
        report.problems
    );
    // Meanwhile another operation on the sale is refused, never sent.
    let other = gateway(&app, bank.clone());
    match other
        .operate(Scope::Admin, sale, Operation::Refund, amount, &actor, "")
        .unwrap()
    {
        OpOutcome::Refused(OpRefusal::InProgress) => {}
        o => panic!("{o:?}"),
    }
    // The next start settles it: sent again under its reference, answered again,
    // no money moved twice; its row written once.
    let restarted = gateway(&app, bank.clone());
    assert_eq!(restarted.settle_pending().unwrap(), 1);
    assert_eq!(bank.operations_done(), 1, "still one refund at the bank");
    let refunds: Vec<Transaction> = app
        .db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Refund)
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].code, ResultCode::ACCEPTED);
    assert_eq!(refunds[0].amount, amount);
    assert_eq!(restarted.settle_pending().unwrap(), 0);
    assert!(
        app.db.check().unwrap().is_ok(),
        "{:?}",
        app.db.check().unwrap().problems
    );
    // And a second refund is now refused by the rules, as for any refunded sale.
    match restarted
        .operate(Scope::Admin, sale, Operation::Refund, amount, &actor, "")
        .unwrap()
    {
        OpOutcome::Refused(OpRefusal::AlreadyRefunded) => {}
        o => panic!("{o:?}"),
    }
}

#[tokio::test]
async fn a_payment_interrupted_after_the_acquirer_is_written_at_the_next_start_from_its_answer() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let bank = Arc::new(Simulator::default());
    let stopping = gateway(&app, Arc::new(Stops(bank.clone(), After::Sale)));
    let card = guichet::domain::card_form::CardForm {
        holder: "Salma Idrissi".into(),
        number: "4111111111111111".into(),
        expiry: "12/39".into(),
        cvv: "123".into(),
        ..Default::default()
    }
    .parse(time::macros::date!(2026 - 01 - 01))
    .unwrap();
    let t = token.clone();
    let crashed = std::thread::spawn(move || stopping.pay(&t, card, "", "203.0.113.9")).join();
    assert!(crashed.is_err(), "the stop happened");
    assert_eq!(bank.payments_sent(), 1, "the acquirer took the payment");
    assert!(request(&app, id).attempts.is_empty(), "nothing written yet");
    let report = app.db.check().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("a payment of request {id}"))),
        "{:?}",
        report.problems
    );
    let restarted = gateway(&app, bank.clone());
    assert_eq!(restarted.settle_pending_payments().unwrap(), 1);
    let req = request(&app, id);
    let sale = app
        .db
        .transaction(Scope::Admin, req.paid_tx.expect("paid"))
        .unwrap()
        .unwrap();
    assert_eq!(sale.code, ResultCode::ACCEPTED);
    assert_eq!(sale.initiator.ip, "203.0.113.9");
    assert_eq!(sale.card.as_ref().unwrap().last4, "1111");
    assert_eq!(bank.payments_sent(), 1, "never sent twice");
    assert_eq!(restarted.settle_pending_payments().unwrap(), 0);
    assert!(
        app.db.check().unwrap().is_ok(),
        "{:?}",
        app.db.check().unwrap().problems
    );
}
