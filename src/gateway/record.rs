//! Writing an attempt: its two rows, their journals, the request's new state and the
//! receipt, in one write transaction.

use super::Gateway;
use crate::acquirer::CardInfo;
use crate::db::{self, Scope, outbox, payments, transactions, tx_log, velocity};
use crate::domain::card_form::CardDetails;
use crate::domain::codes::ResultCode;
use crate::domain::journal::{JournalEntry, Rule, Step};
use crate::domain::payment::{AttemptContext, PaymentRequest, attempt_rows};
use crate::domain::transaction::{StoredCard, Transaction};

/// The card of an attempt: as typed (its stored form is made from it), or already
/// in its stored form (a payment settled after a stop: its number was never kept).
pub(super) enum AttemptCard<'a> {
    Typed(&'a CardDetails),
    Stored(StoredCard),
}

/// One attempt ready to be written.
pub(super) struct Attempt<'a> {
    pub(super) card: AttemptCard<'a>,
    pub(super) info: CardInfo,
    pub(super) authenticated: bool,
    pub(super) ip: &'a str,
    pub(super) three_ds: ResultCode,
    pub(super) code: ResultCode,
    pub(super) three_ds_steps: Vec<JournalEntry>,
    pub(super) sale_steps: Vec<JournalEntry>,
    /// Counts towards the refused attempts that block a request.
    pub(super) counts: bool,
    /// The pending payment this attempt settles (removed with its rows); 0: none.
    pub(super) pending: u64,
}

/// The card, its scheme and country, and the buyer's IP address of a payment a rule
/// refuses.
pub(super) struct Refused<'a> {
    pub(super) card: &'a CardDetails,
    pub(super) info: CardInfo,
    pub(super) ip: &'a str,
}

impl Gateway {
    /// Writes the 3-D Secure and sale rows of a payment `rule` refused with `code`
    /// before 3-D Secure and the acquirer, both journals naming the rule; returns
    /// the sale's id. `counts`: see [`Attempt::counts`].
    pub(super) fn refuse(
        &self,
        req: &PaymentRequest,
        r: Refused,
        rule: Rule,
        code: ResultCode,
        counts: bool,
    ) -> db::Result<u64> {
        let now = self.now().unix_timestamp();
        let steps = vec![
            JournalEntry::new(now, Step::CardReceived { request: req.id }),
            JournalEntry::with_code(now, Step::RefusedByRule(rule), code),
        ];
        self.record(
            req,
            Attempt {
                card: AttemptCard::Typed(r.card),
                info: r.info,
                authenticated: false,
                ip: r.ip,
                three_ds: code,
                code,
                sale_steps: steps.clone(),
                three_ds_steps: steps,
                counts,
                pending: 0,
            },
        )
    }

    /// Writes the two rows of an attempt, their journals, the request's new state and,
    /// when accepted, the customer's receipt — in one write transaction.
    pub(super) fn record(&self, req: &PaymentRequest, a: Attempt) -> db::Result<u64> {
        let merchant = self.db.merchant(Scope::Admin, req.merchant_id)?;
        // The receipt names the merchant as its customers see it.
        let look = self.db.mail_look(req.merchant_id)?;
        let now = self.now().unix_timestamp();
        let stored = match a.card {
            AttemptCard::Typed(card) => card.stored(
                self.card_key.0,
                &self.card_key.1,
                a.info.country,
                a.authenticated,
            ),
            AttemptCard::Stored(card) => card,
        };
        let cx = AttemptContext {
            request: req,
            card: stored,
            ip: a.ip,
            at: now,
            test: self.acquirer.is_test(),
            merchant_account: merchant
                .as_ref()
                .and_then(|m| m.accounts.first().cloned())
                .unwrap_or_default(),
            statement_descriptor: merchant
                .as_ref()
                .map(|m| m.statement_descriptor.clone())
                .unwrap_or_default(),
        };
        let rows = attempt_rows(&cx, a.three_ds, a.code);
        let (sale_id, notify, req) = self.db.write(|wtx| {
            let Some(mut req) = payments::get_in(wtx, req.id)? else {
                return Err(db::Error::NotFound);
            };
            let mut rows = rows.clone();
            transactions::insert_many(wtx, &mut rows[..1])?;
            rows[1].parent_id = Some(rows[0].id);
            transactions::insert_many(wtx, &mut rows[1..])?;
            velocity::add_in(wtx, &self.db.velocity_key(), &rows)?;
            let [three_ds, sale] = &rows;
            let mut three_ds_steps = a.three_ds_steps.clone();
            three_ds_steps.push(JournalEntry::new(
                now,
                Step::Linked {
                    operation: sale.operation,
                    id: sale.id,
                },
            ));
            for j in &three_ds_steps {
                tx_log::add_journal(wtx, three_ds.id, j)?;
            }
            for j in &a.sale_steps {
                tx_log::add_journal(wtx, sale.id, j)?;
            }
            req.attempts.push(sale.id);
            if a.code.is_accepted() && req.paid_tx.is_some() {
                // The desk lock makes this unreachable; should it happen, the money
                // moved, so the rows are kept and the first payment stays the request's.
                tracing::error!(
                    request = req.id,
                    tx = sale.id,
                    "second accepted payment on one request: refund it from the Operations tab"
                );
            } else if a.code.is_accepted() {
                req.paid_tx = Some(sale.id);
                // Link emails still waiting would invite to pay a paid request.
                outbox::withdraw_links(wtx, &req.emails, now, "not sent: the request was paid")?;
                let mut mail = crate::mail::receipt(&req, sale, &look, now, &self.time_zone);
                req.emails.push(outbox::enqueue(wtx, &mut mail)?);
            } else {
                req.record_unpaid(a.counts, self.max_attempts);
                if req.blocked {
                    outbox::withdraw_links(
                        wtx,
                        &req.emails,
                        now,
                        "not sent: the request was blocked",
                    )?;
                }
            }
            // An API payment that has ended (paid, or blocked) tells its shop, from a
            // queue written with the payment.
            let notify =
                (a.code.is_accepted() || req.blocked) && self.queue_callback_in(wtx, &req)?;
            payments::update(wtx, &req)?;
            if a.pending != 0 {
                crate::db::pending::remove_payment_in(wtx, a.pending)?;
            }
            Ok((sale.id, notify, req))
        })?;
        self.metrics.payment(a.code);
        if a.code.is_accepted() {
            self.mail_queued(req.emails.last().copied().unwrap_or(0), &req.holder.email);
        }
        if notify {
            crate::callbacks::notify();
        }
        Ok(sale_id)
    }

    /// The attempt `tx_id` of the request of `token`, with its 3-D Secure row.
    pub fn attempt(
        &self,
        token: &str,
        tx_id: u64,
    ) -> db::Result<Option<(PaymentRequest, Transaction)>> {
        let Some(req) = self.db.payment_request_by_token(token)? else {
            return Ok(None);
        };
        if !req.attempts.contains(&tx_id) {
            return Ok(None);
        }
        Ok(self
            .db
            .transaction(Scope::Merchant(req.merchant_id), tx_id)?
            .map(|tx| (req, tx)))
    }

    /// Logs a queued message, and that it waits when no SMTP server is configured.
    pub(super) fn mail_queued(&self, id: u64, to: &str) {
        if self.smtp_configured {
            self.mail_ready.notify_one();
        } else {
            tracing::warn!(
                mail_id = id,
                to = %crate::domain::text::log_safe(to),
                "no SMTP server configured: the message waits in the outbox (Parameters › Emails)"
            );
        }
    }
}
