//! The acquirer (SIM-1): the bank side behind one trait, and the built-in simulator
//! driven by documented test card numbers. The simulator is deterministic: the card
//! number alone decides the answer, so every path can be tried by hand and in tests.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::Lang;
use crate::domain::card::{Brand, Expiry, Pan};
use crate::domain::codes::ResultCode;
use crate::domain::money::{Amount, Currency};
use crate::domain::transaction::{StoredCard, Transaction};

/// How the issuer authenticates the cardholder (3-D Secure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrolment {
    /// Enrolled; the issuer authenticates without asking anything.
    Frictionless,
    /// Enrolled; the issuer asks the cardholder for a code.
    Challenge,
    /// Not enrolled in 3-D Secure.
    NotEnrolled,
}

/// What the directory server tells about a card before paying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardInfo {
    pub brand: Brand,
    /// ISO 3166 alpha-2 country of the issuing bank.
    pub country: &'static str,
    pub enrolment: Enrolment,
}

/// A payment as sent to the acquirer. Holds the full card number for the duration
/// of the call only.
pub struct CardPayment<'a> {
    pub pan: &'a Pan,
    pub expiry: Expiry,
    pub cvv: &'a str,
    pub amount: Amount,
    pub currency: Currency,
    /// The gateway's reference of this attempt (see [`Acquirer::payment_result`]);
    /// empty: none.
    pub reference: &'a str,
}

/// The bank side. Calls are blocking: run them off the async executor.
pub trait Acquirer: Send + Sync + 'static {
    /// Shown in journals ("simulator", a bank's name, …).
    fn name(&self) -> &'static str;
    /// Whether what it answers is a test (no money moves).
    fn is_test(&self) -> bool;
    /// 3-D Secure enrolment, brand and issuer country of a card.
    fn enrolment(&self, pan: &Pan) -> CardInfo;
    /// Verifies the code the cardholder typed on the issuer's challenge page.
    fn verify_challenge(&self, pan: &Pan, code: &str) -> ResultCode;
    /// Debits at once (FLOW-4).
    fn sale(&self, payment: &CardPayment) -> ResultCode;
    /// Holds the amount (FLOW-3).
    fn authorize(&self, payment: &CardPayment) -> ResultCode;
    /// The operations below carry the gateway's `reference`: sent again with the
    /// same reference (after a stop between the call and the write), the acquirer
    /// answers what it answered the first time and moves no money again.
    fn capture(&self, reference: &str, authorization: &Transaction, amount: Amount) -> ResultCode;
    fn cancel(&self, reference: &str, authorization: &Transaction) -> ResultCode;
    fn refund(&self, reference: &str, debit: &Transaction, amount: Amount) -> ResultCode;
    /// A new charge on a stored card token (OPS-4).
    fn rebill(
        &self,
        reference: &str,
        card: &StoredCard,
        amount: Amount,
        currency: Currency,
    ) -> ResultCode;
    /// The answer given to the sale or authorization sent under `reference`, if
    /// the acquirer got it: how a payment interrupted by a stop is settled without
    /// sending the card again (its number is never kept).
    fn payment_result(&self, reference: &str) -> Option<ResultCode>;
    /// How many sales and authorizations were sent since start (monitoring).
    fn payments_sent(&self) -> u64;
    /// Operations (capture, cancel, refund, rebill) done since start: each
    /// reference counted once, however many times it was sent.
    fn operations_done(&self) -> u64;
}

/// One documented test card of the simulator.
#[derive(Clone, Copy, Debug)]
pub struct TestCard {
    pub number: &'static str,
    pub brand: Brand,
    pub country: &'static str,
    pub enrolment: Enrolment,
    /// The acquirer's answer once 3-D Secure is passed.
    pub outcome: ResultCode,
}

impl TestCard {
    /// The number grouped by four (Amex: 4-6-5) as printed on cards.
    pub fn display(&self) -> String {
        let d = self.number;
        if self.brand == Brand::Amex && d.len() == 15 {
            return format!("{} {} {}", &d[..4], &d[4..10], &d[10..]);
        }
        d.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What happens with this card, in words.
    pub fn behaviour(&self, lang: Lang) -> String {
        let three_ds = match (self.enrolment, lang) {
            (Enrolment::Frictionless, Lang::Fr) => "3-D Secure sans saisie",
            (Enrolment::Frictionless, Lang::En) => "frictionless 3-D Secure",
            (Enrolment::Challenge, Lang::Fr) => {
                "3-D Secure avec code : 123456 → accepté, tout autre code → 656"
            }
            (Enrolment::Challenge, Lang::En) => {
                "3-D Secure challenge: 123456 → accepted, any other code → 656"
            }
            (Enrolment::NotEnrolled, Lang::Fr) => "non enrôlée 3-D Secure",
            (Enrolment::NotEnrolled, Lang::En) => "not enrolled in 3-D Secure",
        };
        let code = self.expected();
        format!("{three_ds} · {code} {}", code.text(lang))
    }

    /// The code a payment with this card ends with on the payment page (the 3-D
    /// Secure rule may refuse before the acquirer answers).
    pub fn expected(&self) -> ResultCode {
        let info = CardInfo {
            brand: self.brand,
            country: self.country,
            enrolment: self.enrolment,
        };
        match three_ds_decision(info) {
            ThreeDsDecision::Refuse(code) => code,
            _ => self.outcome,
        }
    }
}

/// The code that passes the simulator's 3-D Secure challenge.
pub const CHALLENGE_CODE: &str = "123456";

/// The simulator's test cards (README and the test-card page list the same).
pub const TEST_CARDS: [TestCard; 11] = [
    card(
        "4111111111111111",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::ACCEPTED,
    ),
    card(
        "5105105105105100",
        Brand::Mastercard,
        "MA",
        Enrolment::Challenge,
        ResultCode::ACCEPTED,
    ),
    card(
        "5555555555554444",
        Brand::Mastercard,
        "FR",
        Enrolment::Challenge,
        ResultCode::ACCEPTED,
    ),
    card(
        "4012888888881881",
        Brand::Visa,
        "US",
        Enrolment::NotEnrolled,
        ResultCode::ACCEPTED,
    ),
    card(
        "378282246310005",
        Brand::Amex,
        "US",
        Enrolment::Frictionless,
        ResultCode::ACCEPTED,
    ),
    card(
        "4000000000000002",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::ISSUER_REFUSED,
    ),
    card(
        "4000000000009995",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::INSUFFICIENT_FUNDS,
    ),
    card(
        "4000000000000127",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::WRONG_CVV,
    ),
    card(
        "4000000000000044",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::ACQUIRER_REFUSED,
    ),
    card(
        "4000000000000036",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::ACQUIRER_DOWN,
    ),
    card(
        "4000000000000119",
        Brand::Visa,
        "MA",
        Enrolment::Frictionless,
        ResultCode::UNKNOWN_ERROR,
    ),
];

const fn card(
    number: &'static str,
    brand: Brand,
    country: &'static str,
    enrolment: Enrolment,
    outcome: ResultCode,
) -> TestCard {
    TestCard {
        number,
        brand,
        country,
        enrolment,
        outcome,
    }
}

/// The test card with these digits, if it is one.
pub fn test_card(digits: &str) -> Option<&'static TestCard> {
    TEST_CARDS.iter().find(|c| c.number == digits)
}

/// The test card a stored card stands for (same BIN, last four and length).
fn test_card_of(stored: &StoredCard) -> Option<&'static TestCard> {
    TEST_CARDS.iter().find(|c| {
        c.number.len() == usize::from(stored.pan_len)
            && c.number.starts_with(&stored.bin)
            && c.number.ends_with(&stored.last4)
    })
}

/// What the gateway decides at the 3-D Secure step, before any money moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreeDsDecision {
    /// Authenticated without a challenge: go on to the sale or authorization.
    Pass,
    /// Domestic card not enrolled: go on without authentication.
    PassWithout,
    /// Ask the cardholder for the issuer's code.
    Challenge,
    /// Stop here with this code (FRAUD-3: international card without 3-D Secure;
    /// American Express is not accepted).
    Refuse(ResultCode),
}

/// The gateway's 3-D Secure rule for a card (FRAUD-3), pure.
pub fn three_ds_decision(info: CardInfo) -> ThreeDsDecision {
    if info.brand == Brand::Amex {
        return ThreeDsDecision::Refuse(ResultCode::INTERNAL_REFUSAL);
    }
    match info.enrolment {
        Enrolment::Frictionless => ThreeDsDecision::Pass,
        Enrolment::Challenge => ThreeDsDecision::Challenge,
        Enrolment::NotEnrolled if info.country == "MA" => ThreeDsDecision::PassWithout,
        Enrolment::NotEnrolled => ThreeDsDecision::Refuse(ResultCode::INTERNAL_REFUSAL),
    }
}

/// The built-in acquirer. Every transaction it answers is a test transaction.
#[derive(Default)]
pub struct Simulator {
    payments: AtomicU64,
    /// The answer given to each operation reference.
    ledger: std::sync::Mutex<std::collections::HashMap<String, ResultCode>>,
    /// The answer given to each payment reference.
    paid: std::sync::Mutex<std::collections::HashMap<String, ResultCode>>,
}

impl Simulator {
    /// The answer to operation `reference`: the first time `answer()`, afterwards
    /// the same answer again, nothing done twice.
    fn once(&self, reference: &str, answer: impl FnOnce() -> ResultCode) -> ResultCode {
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        *ledger.entry(reference.to_string()).or_insert_with(answer)
    }

    fn answer(&self, payment: &CardPayment) -> ResultCode {
        if payment.reference.is_empty() {
            return self.decide(payment);
        }
        let mut paid = self.paid.lock().unwrap_or_else(|e| e.into_inner());
        *paid
            .entry(payment.reference.to_string())
            .or_insert_with(|| self.decide(payment))
    }

    fn decide(&self, payment: &CardPayment) -> ResultCode {
        self.payments.fetch_add(1, Ordering::Relaxed);
        let digits = payment.pan.expose_digits();
        if !payment.pan.is_luhn_valid() {
            return ResultCode::INVALID_CARD;
        }
        match test_card(digits) {
            Some(c) if c.brand == Brand::Amex => ResultCode::INTERNAL_REFUSAL,
            Some(c) => c.outcome,
            None if payment.pan.brand() == Brand::Amex => ResultCode::INTERNAL_REFUSAL,
            None => ResultCode::ACCEPTED,
        }
    }
}

impl Acquirer for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn is_test(&self) -> bool {
        true
    }

    fn enrolment(&self, pan: &Pan) -> CardInfo {
        match test_card(pan.expose_digits()) {
            Some(c) => CardInfo {
                brand: c.brand,
                country: c.country,
                enrolment: c.enrolment,
            },
            None => CardInfo {
                brand: pan.brand(),
                country: "MA",
                enrolment: Enrolment::Frictionless,
            },
        }
    }

    fn verify_challenge(&self, _pan: &Pan, code: &str) -> ResultCode {
        if code.trim() == CHALLENGE_CODE {
            ResultCode::ACCEPTED
        } else {
            ResultCode::THREE_DS_FAILED
        }
    }

    fn sale(&self, payment: &CardPayment) -> ResultCode {
        self.answer(payment)
    }

    fn authorize(&self, payment: &CardPayment) -> ResultCode {
        self.answer(payment)
    }

    fn capture(
        &self,
        reference: &str,
        _authorization: &Transaction,
        _amount: Amount,
    ) -> ResultCode {
        self.once(reference, || ResultCode::ACCEPTED)
    }

    fn cancel(&self, reference: &str, _authorization: &Transaction) -> ResultCode {
        self.once(reference, || ResultCode::ACCEPTED)
    }

    fn refund(&self, reference: &str, _debit: &Transaction, _amount: Amount) -> ResultCode {
        self.once(reference, || ResultCode::ACCEPTED)
    }

    fn rebill(
        &self,
        reference: &str,
        card: &StoredCard,
        _amount: Amount,
        _currency: Currency,
    ) -> ResultCode {
        self.once(reference, || {
            self.payments.fetch_add(1, Ordering::Relaxed);
            match test_card_of(card) {
                Some(c) if c.brand == Brand::Amex => ResultCode::INTERNAL_REFUSAL,
                Some(c) => c.outcome,
                None if card.brand == Some(Brand::Amex) => ResultCode::INTERNAL_REFUSAL,
                None => ResultCode::ACCEPTED,
            }
        })
    }

    fn payment_result(&self, reference: &str) -> Option<ResultCode> {
        self.paid.lock().ok()?.get(reference).copied()
    }

    fn payments_sent(&self) -> u64 {
        self.payments.load(Ordering::Relaxed)
    }

    fn operations_done(&self) -> u64 {
        self.ledger.lock().map_or(0, |l| l.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(sim: &Simulator, number: &str) -> ResultCode {
        let pan = Pan::parse_unchecked(number).unwrap();
        sim.sale(&CardPayment {
            pan: &pan,
            expiry: Expiry {
                month: 12,
                year: 2030,
            },
            cvv: "123",
            amount: Amount::from_minor(1000).unwrap(),
            currency: Currency::Mad,
            reference: "",
        })
    }

    #[test]
    fn every_test_card_is_luhn_valid_and_answers_its_code() {
        let sim = Simulator::default();
        for c in TEST_CARDS {
            let pan = Pan::parse(c.number).unwrap();
            assert_eq!(pan.brand(), c.brand, "{}", c.number);
            let expected = if c.brand == Brand::Amex {
                ResultCode::INTERNAL_REFUSAL
            } else {
                c.outcome
            };
            assert_eq!(pay(&sim, c.number), expected, "{}", c.number);
        }
        assert_eq!(sim.payments_sent(), TEST_CARDS.len() as u64);
    }

    #[test]
    fn a_number_failing_luhn_gets_004_and_others_are_accepted() {
        let sim = Simulator::default();
        assert_eq!(pay(&sim, "4111111111111112"), ResultCode::INVALID_CARD);
        assert_eq!(pay(&sim, "4242424242424242"), ResultCode::ACCEPTED);
        let info = sim.enrolment(&Pan::parse("5454545454545454").unwrap());
        assert_eq!(info.brand, Brand::Mastercard);
        assert_eq!(info.country, "MA");
    }

    #[test]
    fn the_three_ds_rule_refuses_amex_and_international_cards_without_3ds() {
        let sim = Simulator::default();
        let decide = |n: &str| three_ds_decision(sim.enrolment(&Pan::parse(n).unwrap()));
        assert_eq!(decide("4111111111111111"), ThreeDsDecision::Pass);
        assert_eq!(decide("5105105105105100"), ThreeDsDecision::Challenge);
        assert_eq!(decide("5555555555554444"), ThreeDsDecision::Challenge);
        assert_eq!(
            decide("4012888888881881"),
            ThreeDsDecision::Refuse(ResultCode::INTERNAL_REFUSAL)
        );
        assert_eq!(
            decide("378282246310005"),
            ThreeDsDecision::Refuse(ResultCode::INTERNAL_REFUSAL)
        );
        let domestic_not_enrolled = CardInfo {
            brand: Brand::Visa,
            country: "MA",
            enrolment: Enrolment::NotEnrolled,
        };
        assert_eq!(
            three_ds_decision(domestic_not_enrolled),
            ThreeDsDecision::PassWithout
        );
    }

    #[test]
    fn the_challenge_accepts_only_its_code() {
        let sim = Simulator::default();
        let pan = Pan::parse("5105105105105100").unwrap();
        assert_eq!(sim.verify_challenge(&pan, "123456"), ResultCode::ACCEPTED);
        assert_eq!(
            sim.verify_challenge(&pan, "000000"),
            ResultCode::THREE_DS_FAILED
        );
        assert_eq!(sim.verify_challenge(&pan, ""), ResultCode::THREE_DS_FAILED);
    }

    #[test]
    fn a_rebill_answers_like_the_stored_test_card() {
        let sim = Simulator::default();
        let stored = |n: &str| StoredCard {
            bin: n[..6].into(),
            last4: n[n.len() - 4..].into(),
            pan_len: n.len() as u8,
            token: "t".into(),
            ..StoredCard::default()
        };
        let a = Amount::from_minor(500).unwrap();
        assert_eq!(
            sim.rebill("r1", &stored("4000000000009995"), a, Currency::Mad),
            ResultCode::INSUFFICIENT_FUNDS
        );
        assert_eq!(
            sim.rebill("r2", &stored("4111111111111111"), a, Currency::Mad),
            ResultCode::ACCEPTED
        );
    }

    #[test]
    fn an_operation_sent_again_under_its_reference_gets_its_first_answer_and_moves_nothing() {
        let sim = Simulator::default();
        let a = Amount::from_minor(500).unwrap();
        let card = StoredCard {
            bin: "400000".into(),
            last4: "9995".into(),
            pan_len: 16,
            ..StoredCard::default()
        };
        let first = sim.rebill("ref-1", &card, a, Currency::Mad);
        assert_eq!(sim.rebill("ref-1", &card, a, Currency::Mad), first);
        assert_eq!(sim.payments_sent(), 1);
        assert_eq!(sim.operations_done(), 1);
        sim.rebill("ref-2", &card, a, Currency::Mad);
        assert_eq!(sim.operations_done(), 2);
    }

    #[test]
    fn test_cards_print_grouped() {
        assert_eq!(TEST_CARDS[0].display(), "4111 1111 1111 1111");
        assert_eq!(TEST_CARDS[4].display(), "3782 822463 10005");
    }
}
