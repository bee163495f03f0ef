//! A payment from the payment page (LINK-4, FLOW-1 … FLOW-4): card received, 3-D
//! Secure (frictionless, challenge or refusal), then the sale or authorization. One
//! payment request is handled by one thread at a time (its desk lock), so a double
//! click or two tabs make one payment. The card number and security code stay in
//! memory, in the desk, only while the cardholder answers the challenge.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::Duration;

use super::Gateway;
use super::record::{Attempt, AttemptCard, Refused};
use super::velocity::Checked;
use crate::acquirer::{CardInfo, CardPayment, ThreeDsDecision, three_ds_decision};
use crate::db::{self, Scope};
use crate::domain::card::Brand;
use crate::domain::card_form::CardDetails;
use crate::domain::codes::ResultCode;
use crate::domain::journal::{JournalEntry, Rule, Step};
use crate::domain::payment::{MAX_TOTAL_ATTEMPTS, PaymentRequest, RequestStatus};
use crate::domain::pending::PendingPayment;
use crate::domain::transaction::Operation;

/// How long the issuer's page waits for the code before the payment is abandoned (098).
pub const CHALLENGE_TIMEOUT: Duration = Duration::minutes(10);
/// Answers remembered per request (for repeated submits of one form).
const MAX_ANSWERS: usize = 64;
/// A desk with nothing pending is forgotten after this long.
const DESK_IDLE: Duration = Duration::hours(1);

/// What a submitted form led to; a second submit of the same form gets the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The attempt ended; its sale or authorization row.
    Result(u64),
    /// The issuer asks the cardholder for a code.
    Challenge(String),
}

/// The answer to "Pay now".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    Answer(Answer),
    /// Paid, expired or cancelled: no payment.
    NotPayable(RequestStatus),
    /// Another window is at the 3-D Secure step of this request.
    InProgress(String),
    Unknown,
}

/// What the issuer's page shows.
pub struct ChallengeView {
    pub request: PaymentRequest,
    pub masked: String,
    pub brand: Brand,
}

struct Challenge {
    id: String,
    card: CardDetails,
    info: CardInfo,
    started_at: i64,
    ip: String,
}

/// What is in flight for one payment request.
#[derive(Default)]
pub(super) struct Desk {
    challenge: Option<Challenge>,
    answers: HashMap<String, Answer>,
    last_used: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Holds a request's desk (no payment moves on it while held).
pub(super) fn lock_desk(desk: &Mutex<Desk>) -> MutexGuard<'_, Desk> {
    lock(desk)
}

impl Gateway {
    pub(super) fn desk(&self, request_id: u64) -> Arc<Mutex<Desk>> {
        lock(&self.desks).entry(request_id).or_default().clone()
    }

    /// "Pay now" on the request of `token` with a checked card. `nonce` identifies the
    /// rendered form.
    pub fn pay(&self, token: &str, card: CardDetails, nonce: &str, ip: &str) -> db::Result<Start> {
        let Some(req) = self.db.payment_request_by_token(token)? else {
            return Ok(Start::Unknown);
        };
        let desk = self.desk(req.id);
        let mut desk = lock(&desk);
        let now = self.now().unix_timestamp();
        desk.last_used = now;
        if let Some(a) = desk.answers.get(nonce).filter(|_| !nonce.is_empty()) {
            return Ok(Start::Answer(a.clone()));
        }
        // Read again under the lock: another thread may just have paid, or a new
        // link may just have replaced this one.
        let Some(req) = self
            .db
            .payment_request(Scope::Admin, req.id)?
            .filter(|r| r.link_hash == crate::domain::payment::link_hash(token))
        else {
            return Ok(Start::Unknown);
        };
        if let Some(c) = desk.challenge.take() {
            if now - c.started_at <= CHALLENGE_TIMEOUT.whole_seconds() {
                let id = c.id.clone();
                desk.challenge = Some(c);
                return Ok(Start::InProgress(id));
            }
            self.abandon_challenge(&req, &c)?;
        }
        let answer = match req.status(self.now()) {
            RequestStatus::Waiting => self.start(&req, card, ip, &mut desk)?,
            RequestStatus::Blocked => {
                // One 585 pair per window: a blocked link cannot be used to fill the disk.
                if let Some(last) = req.attempts.last()
                    && let Some(tx) = self.db.transaction(Scope::Admin, *last)?
                    && tx.code == ResultCode::TOO_MANY_ATTEMPTS
                    && now - tx.at < CHALLENGE_TIMEOUT.whole_seconds()
                {
                    return Ok(Start::Answer(Answer::Result(tx.id)));
                }
                let info = self.acquirer.enrolment(&card.pan);
                let rule = if req.refused_attempts >= self.max_attempts {
                    Rule::TooManyAttempts {
                        limit: self.max_attempts,
                    }
                } else {
                    Rule::TooManyTotalAttempts {
                        limit: u32::try_from(MAX_TOTAL_ATTEMPTS).unwrap_or(u32::MAX),
                    }
                };
                let id = self.refuse(
                    &req,
                    Refused {
                        card: &card,
                        info,
                        ip,
                    },
                    rule,
                    ResultCode::TOO_MANY_ATTEMPTS,
                    false,
                )?;
                Answer::Result(id)
            }
            other => return Ok(Start::NotPayable(other)),
        };
        if !nonce.is_empty() {
            if desk.answers.len() >= MAX_ANSWERS {
                desk.answers.clear();
            }
            desk.answers.insert(nonce.to_string(), answer.clone());
        }
        Ok(Start::Answer(answer))
    }

    /// 3-D Secure decision, then the acquirer (or the challenge page).
    fn start(
        &self,
        req: &PaymentRequest,
        card: CardDetails,
        ip: &str,
        desk: &mut Desk,
    ) -> db::Result<Answer> {
        if let Some(id) = self.refuse_if_blacklisted(req, &card, ip)? {
            return Ok(Answer::Result(id));
        }
        let now = self.now().unix_timestamp();
        let info = self.acquirer.enrolment(&card.pan);
        if let Some(id) = self.refuse_if_location(req, &card, info, ip)? {
            return Ok(Answer::Result(id));
        }
        // Held until the attempt is written (see `velocity`).
        let held = match self.check_velocity(req, &card, info, ip, desk)? {
            Checked::Refused(id) => return Ok(Answer::Result(id)),
            Checked::Pass(held) => held,
        };
        let received = JournalEntry::new(now, Step::CardReceived { request: req.id });
        let enrolment = JournalEntry::new(
            now,
            Step::Enrolment {
                enrolled: info.enrolment != crate::acquirer::Enrolment::NotEnrolled,
                challenge: info.enrolment == crate::acquirer::Enrolment::Challenge,
            },
        );
        let decision = match three_ds_decision(info) {
            // FRAUD-3 is the merchant's setting: off, the acquirer decides.
            ThreeDsDecision::Refuse(_)
                if info.brand != Brand::Amex && !held.rules.international_requires_3ds =>
            {
                ThreeDsDecision::PassWithout
            }
            d => d,
        };
        match decision {
            ThreeDsDecision::Challenge => {
                // Checked again when the code is answered, before the acquirer.
                drop(held);
                let id = crate::db::payments::new_link_token();
                desk.challenge = Some(Challenge {
                    id: id.clone(),
                    card,
                    info,
                    started_at: now,
                    ip: ip.to_string(),
                });
                Ok(Answer::Challenge(id))
            }
            ThreeDsDecision::Refuse(code) => {
                let rule = if info.brand == Brand::Amex {
                    Rule::BrandNotAccepted
                } else {
                    Rule::InternationalWithout3ds
                };
                let refused = JournalEntry::with_code(now, Step::RefusedByRule(rule), code);
                let id = self.record(
                    req,
                    Attempt {
                        card: AttemptCard::Typed(&card),
                        info,
                        authenticated: false,
                        ip,
                        three_ds: code,
                        code,
                        three_ds_steps: vec![received, enrolment, refused.clone()],
                        sale_steps: vec![refused],
                        counts: true,
                        pending: 0,
                    },
                )?;
                Ok(Answer::Result(id))
            }
            decision => {
                let authenticated = decision == ThreeDsDecision::Pass;
                let three_ds_steps = vec![
                    received,
                    JournalEntry {
                        code: Some(ResultCode::ACCEPTED),
                        ..enrolment
                    },
                ];
                self.send(req, &card, info, authenticated, ip, three_ds_steps)
                    .map(Answer::Result)
            }
        }
    }

    /// Sends the sale or authorization and writes the attempt.
    fn send(
        &self,
        req: &PaymentRequest,
        card: &CardDetails,
        info: CardInfo,
        authenticated: bool,
        ip: &str,
        three_ds_steps: Vec<JournalEntry>,
    ) -> db::Result<u64> {
        // Recorded durably before the acquirer hears of it (the stored card only):
        // a stop during the call leaves this record, which the next start settles
        // from the acquirer's answer to its reference.
        let stored = card.stored(
            self.card_key.0,
            &self.card_key.1,
            info.country,
            authenticated,
        );
        let mut pending = PendingPayment {
            id: 0,
            request_id: req.id,
            reference: crate::db::payments::new_link_token(),
            card: stored.clone(),
            ip: ip.to_string(),
            sent_at: self.now().unix_timestamp(),
            three_ds_steps: three_ds_steps.clone(),
        };
        crate::db::pending::insert_payment(&self.db, &mut pending)?;
        let payment = CardPayment {
            pan: &card.pan,
            expiry: card.expiry,
            cvv: &card.cvv,
            amount: req.amount,
            currency: req.currency,
            reference: &pending.reference,
        };
        let code = if req.operation == Operation::Authorization {
            self.acquirer.authorize(&payment)
        } else {
            self.acquirer.sale(&payment)
        };
        self.write_answer(req, pending, code, info)
    }

    /// Writes the attempt of `pending` with the acquirer's `code`, removing the
    /// pending record with its rows.
    fn write_answer(
        &self,
        req: &PaymentRequest,
        pending: PendingPayment,
        code: ResultCode,
        info: CardInfo,
    ) -> db::Result<u64> {
        let at = self.now().unix_timestamp();
        let sale_steps = vec![
            JournalEntry::new(
                pending.sent_at,
                Step::Sent {
                    acquirer: self.acquirer.name().to_string(),
                    operation: req.operation,
                },
            ),
            JournalEntry::with_code(at, Step::Answer, code),
        ];
        self.record(
            req,
            Attempt {
                card: AttemptCard::Stored(pending.card),
                info,
                authenticated: false,
                ip: &pending.ip,
                three_ds: ResultCode::ACCEPTED,
                code,
                three_ds_steps: pending.three_ds_steps,
                sale_steps,
                // A bank that does not answer is not the cardholder's fault.
                counts: code != ResultCode::ACQUIRER_DOWN && code != ResultCode::UNKNOWN_ERROR,
                pending: pending.id,
            },
        )
    }

    /// Payments a stop left with the acquirer: each is written with the answer the
    /// acquirer gave its reference (never sent again: the card's number is not
    /// kept); one the acquirer never got is written as unanswered (910), no money
    /// moved. Run at start, before any request. Returns how many.
    pub fn settle_pending_payments(&self) -> db::Result<usize> {
        let pending = self.db.pending_payments()?;
        for p in &pending {
            let Some(req) = self.db.payment_request(Scope::Admin, p.request_id)? else {
                continue;
            };
            let code = self
                .acquirer
                .payment_result(&p.reference)
                .unwrap_or(ResultCode::ACQUIRER_DOWN);
            let info = CardInfo {
                brand: p.card.brand.unwrap_or(Brand::Unknown),
                country: "",
                enrolment: crate::acquirer::Enrolment::Frictionless,
            };
            let desk = self.desk(req.id);
            let _desk = lock(&desk);
            self.write_answer(&req, p.clone(), code, info)?;
            tracing::warn!(request = p.request_id, %code, "a payment interrupted by a stop was settled with the acquirer's answer");
        }
        Ok(pending.len())
    }

    /// The challenge `challenge_id` of the request of `token`, if it is pending.
    pub fn challenge(&self, token: &str, challenge_id: &str) -> db::Result<Option<ChallengeView>> {
        let Some(req) = self.db.payment_request_by_token(token)? else {
            return Ok(None);
        };
        let desk = self.desk(req.id);
        let desk = lock(&desk);
        let now = self.now().unix_timestamp();
        Ok(desk
            .challenge
            .as_ref()
            .filter(|c| c.id == challenge_id)
            .filter(|c| now - c.started_at <= CHALLENGE_TIMEOUT.whole_seconds())
            .map(|c| ChallengeView {
                masked: c.card.pan.masked(),
                brand: c.info.brand,
                request: req.clone(),
            }))
    }

    /// The cardholder's code on the issuer's page. `None` when the challenge is gone
    /// (answered in another window, abandoned, or lost in a restart).
    pub fn answer_challenge(
        &self,
        token: &str,
        challenge_id: &str,
        code: &str,
    ) -> db::Result<Option<Answer>> {
        let Some(req) = self.db.payment_request_by_token(token)? else {
            return Ok(None);
        };
        let desk = self.desk(req.id);
        let mut desk = lock(&desk);
        desk.last_used = self.now().unix_timestamp();
        let Some(c) = desk.challenge.take_if(|c| c.id == challenge_id) else {
            return Ok(desk.answers.get(challenge_id).cloned());
        };
        let Some(req) = self.db.payment_request(Scope::Admin, req.id)? else {
            return Ok(None);
        };
        let now = self.now().unix_timestamp();
        if now - c.started_at > CHALLENGE_TIMEOUT.whole_seconds()
            || req.status(self.now()) != RequestStatus::Waiting
        {
            self.abandon_challenge(&req, &c)?;
            return Ok(None);
        }
        let verdict = self.acquirer.verify_challenge(&c.card.pan, code);
        let passed = verdict.is_accepted();
        let steps = vec![
            JournalEntry::new(c.started_at, Step::CardReceived { request: req.id }),
            JournalEntry::new(
                c.started_at,
                Step::Enrolment {
                    enrolled: true,
                    challenge: true,
                },
            ),
            JournalEntry::new(c.started_at, Step::ChallengeShown),
            JournalEntry::with_code(now, Step::ChallengeAnswered { passed }, verdict),
        ];
        let id = if passed {
            match self.check_velocity(&req, &c.card, c.info, &c.ip, &desk)? {
                Checked::Refused(id) => id,
                Checked::Pass(_held) => self.send(&req, &c.card, c.info, true, &c.ip, steps)?,
            }
        } else {
            let last = steps.last().cloned().into_iter().collect();
            self.record(
                &req,
                Attempt {
                    card: AttemptCard::Typed(&c.card),
                    info: c.info,
                    authenticated: false,
                    ip: &c.ip,
                    three_ds: verdict,
                    code: verdict,
                    three_ds_steps: steps,
                    sale_steps: last,
                    counts: true,
                    pending: 0,
                },
            )?
        };
        let answer = Answer::Result(id);
        desk.answers
            .insert(challenge_id.to_string(), answer.clone());
        Ok(Some(answer))
    }

    /// The cardholder gives up the pending challenge `challenge_id` ("start again").
    pub fn abandon(&self, token: &str, challenge_id: &str) -> db::Result<()> {
        let Some(req) = self.db.payment_request_by_token(token)? else {
            return Ok(());
        };
        let desk = self.desk(req.id);
        let mut desk = lock(&desk);
        if let Some(c) = desk.challenge.take_if(|c| c.id == challenge_id) {
            self.abandon_challenge(&req, &c)?;
        }
        Ok(())
    }

    /// Writes the 098 rows of a challenge left unanswered.
    fn abandon_challenge(&self, req: &PaymentRequest, c: &Challenge) -> db::Result<u64> {
        let now = self.now().unix_timestamp();
        let code = ResultCode::ABANDONED;
        let abandoned = JournalEntry::with_code(now, Step::Abandoned, code);
        self.record(
            req,
            Attempt {
                card: AttemptCard::Typed(&c.card),
                info: c.info,
                authenticated: false,
                ip: &c.ip,
                three_ds: code,
                code,
                three_ds_steps: vec![
                    JournalEntry::new(c.started_at, Step::CardReceived { request: req.id }),
                    JournalEntry::new(c.started_at, Step::ChallengeShown),
                    abandoned.clone(),
                ],
                sale_steps: vec![abandoned],
                counts: false,
                pending: 0,
            },
        )
    }

    /// Abandons challenges past their time and forgets idle desks. Run periodically.
    pub fn sweep(&self) -> db::Result<usize> {
        let now = self.now().unix_timestamp();
        let ids: Vec<(u64, Arc<Mutex<Desk>>)> = lock(&self.desks)
            .iter()
            .map(|(id, d)| (*id, d.clone()))
            .collect();
        let mut abandoned = 0;
        for (id, desk) in ids {
            let mut d = lock(&desk);
            let expired = d
                .challenge
                .as_ref()
                .is_some_and(|c| now - c.started_at > CHALLENGE_TIMEOUT.whole_seconds());
            if expired
                && let Some(c) = d.challenge.take()
                && let Some(req) = self.db.payment_request(Scope::Admin, id)?
            {
                self.abandon_challenge(&req, &c)?;
                abandoned += 1;
            }
            let idle = d.challenge.is_none() && now - d.last_used > DESK_IDLE.whole_seconds();
            drop(d);
            if idle {
                // Under the map lock nobody can take a new handle on this desk; remove
                // it only when no one else holds one (the map and this loop do).
                let mut desks = lock(&self.desks);
                if Arc::strong_count(&desk) == 2
                    && desk.try_lock().is_ok_and(|d| d.challenge.is_none())
                {
                    desks.remove(&id);
                }
            }
        }
        Ok(abandoned)
    }

    /// The pending challenge of a request, if any (for "resume" links). Never waits:
    /// a desk busy with a payment answers `None`.
    pub fn pending_challenge(&self, request_id: u64) -> Option<String> {
        let desk = lock(&self.desks).get(&request_id)?.clone();
        let d = desk.try_lock().ok()?;
        let now = self.now().unix_timestamp();
        d.challenge
            .as_ref()
            .filter(|c| now - c.started_at <= CHALLENGE_TIMEOUT.whole_seconds())
            .map(|c| c.id.clone())
    }
}
