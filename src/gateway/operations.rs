//! Operations from the Operations tab and the merchant API (OPS-1 … OPS-5):
//! refund, capture, cancel, rebill. The check and a pending record are one write
//! transaction; the acquirer is called outside any write transaction (other writes
//! go on meanwhile); its answer, the new row, its journal and the History lines
//! are a second one that removes the pending record. A lock on the original spans
//! the three steps and a pending record refuses any other operation on it, so two
//! concurrent refunds of one sale cannot both pass; a stop between the call and
//! the write leaves the record, settled at the next start under the same acquirer
//! reference (the acquirer answers again, no money moves twice).

use super::Gateway;
use crate::db::tx_log::HistoryEntry;
use crate::db::{
    self, Scope, operation_keys, outbox, payments, pending, rebills, transactions, tx_log, velocity,
};
use crate::domain::Lang;
use crate::domain::actor::Actor;
use crate::domain::codes::ResultCode;
use crate::domain::journal::{JournalEntry, Rule, Step};
use crate::domain::money::Amount;
use crate::domain::operation_rules::{OpRefusal, RebillLimits, check_operation, rebill_day};
use crate::domain::pending::PendingOp;
use crate::domain::transaction::{Operation, Transaction};

/// What an operation led to.
#[derive(Debug)]
pub enum OpOutcome {
    /// Written (accepted or refused by the acquirer: see its code).
    Done(Box<Transaction>),
    Refused(OpRefusal),
    NotFound,
}

impl Gateway {
    /// Runs `op` on transaction `id` for `amount`, by `actor` (its user and IP go on
    /// the new row, its journal and History; the times are the gateway's). `key` is the
    /// one-time key of the confirmation form: a second submit of it answers the
    /// transaction the first one wrote (a double click never charges twice).
    pub fn operate(
        &self,
        scope: Scope,
        id: u64,
        op: Operation,
        amount: Amount,
        actor: &Actor,
        key: &str,
    ) -> db::Result<OpOutcome> {
        self.operate_with(scope, id, (op, amount), actor, key, None)
    }

    /// [`Gateway::operate`], a rebill with its own `order_id` (the merchant API's
    /// `orderId`; none: the original's).
    pub fn operate_with(
        &self,
        scope: Scope,
        id: u64,
        (op, amount): (Operation, Amount),
        actor: &Actor,
        key: &str,
        order_id: Option<String>,
    ) -> db::Result<OpOutcome> {
        // Locks before the write transaction, as payments take them (see `velocity`),
        // and on the original from the check to the write of the acquirer's answer:
        // a second operation on it waits, then sees the first one's row.
        let _held = match op {
            Operation::Rebill => self.lock_rebill(scope, id)?,
            _ => Vec::new(),
        };
        let _original = self.lock_original(id);
        let now = self.now();
        let first = self.db.write(|wtx| {
            let (original, key) = match open_original(wtx, scope, id, op, key)? {
                Ok(found) => found,
                Err(outcome) => return Ok(First::Answer(outcome)),
            };
            if pending::of_original_in(wtx, original.id)?.is_some() {
                return Ok(First::Answer(OpOutcome::Refused(OpRefusal::InProgress)));
            }
            let children = transactions::children_in(wtx, id)?;
            // M6: the merchant's rebill policy and the card's rebills today, read in this
            // write transaction so two rebills cannot both pass the daily limit.
            let day = rebill_day(now);
            let token = original
                .card
                .as_ref()
                .map(|c| c.token.clone())
                .unwrap_or_default();
            let limits = if op == Operation::Rebill {
                rebills::limits_in(wtx, original.merchant_id, &token, day)?
            } else {
                RebillLimits::default()
            };
            let amount = match check_operation(op, &original, &children, amount, &limits, now) {
                Ok(a) => a,
                Err(refusal) => return Ok(First::Answer(OpOutcome::Refused(refusal))),
            };
            let requested_at = now.unix_timestamp();
            let mut pending = PendingOp {
                id: 0,
                original: original.id,
                operation: op,
                amount,
                requested_at,
                actor: (actor.at, actor.user.clone(), actor.ip.clone()),
                key,
                reference: payments::new_link_token(),
                order_id: order_id.clone().filter(|_| op == Operation::Rebill),
            };
            // A rebill is refused before the acquirer when its card, email, IP or holder
            // is blacklisted, its card country refused, or when it would pass one of the
            // merchant's velocity limits: its row is written at once.
            let rule = match op {
                Operation::Rebill => match super::blacklist::listed_in(wtx, &original)? {
                    Some(listed) => Some(listed),
                    None => match super::location::rebill_refused_in(wtx, &original)? {
                        Some(refused) => Some(refused),
                        None => self.rebill_velocity(wtx, &original, requested_at)?,
                    },
                },
                _ => None,
            };
            if let Some(rule) = rule {
                let code = match rule {
                    Rule::Location(_) => ResultCode::COUNTRY_REFUSED,
                    _ => ResultCode::TOO_MANY_ATTEMPTS,
                };
                let settled = self.settle_in(wtx, &original, &pending, code, Some(rule))?;
                return Ok(First::Settled(Box::new(settled)));
            }
            // Recorded durably before the acquirer hears of it: a stop during the call
            // leaves this record, which the next start settles (`settle_pending`).
            pending::insert_in(wtx, &mut pending)?;
            Ok(First::Sent(Box::new((original, pending))))
        })?;
        let (original, pending) = match first {
            First::Answer(outcome) => return Ok(outcome),
            First::Settled(settled) => return Ok(self.settled(*settled)),
            First::Sent(sent) => *sent,
        };
        let code = self.send_operation(&pending, &original)?;
        let settled = self
            .db
            .write(|wtx| self.settle_in(wtx, &original, &pending, code, None))?;
        Ok(self.settled(settled))
    }

    /// Asks the acquirer for `p` on `original`, under the operation's reference.
    fn send_operation(&self, p: &PendingOp, original: &Transaction) -> db::Result<ResultCode> {
        let r = p.reference.as_str();
        Ok(match p.operation {
            Operation::Refund => self.acquirer.refund(r, original, p.amount),
            Operation::Capture => self.acquirer.capture(r, original, p.amount),
            Operation::Cancel => self.acquirer.cancel(r, original),
            _ => self.acquirer.rebill(
                r,
                original.card.as_ref().ok_or(db::Error::NotFound)?,
                p.amount,
                original.currency,
            ),
        })
    }

    /// Operations a stop left with the acquirer: each is sent again under its
    /// reference (the acquirer answers as the first time, no money moves twice) and
    /// its row written. Run at start, before any request. Returns how many.
    pub fn settle_pending(&self) -> db::Result<usize> {
        let pending = self.db.pending_ops()?;
        for p in &pending {
            let _original = self.lock_original(p.original);
            let Some(original) = self.db.transaction(Scope::Admin, p.original)? else {
                continue;
            };
            let code = self.send_operation(p, &original)?;
            let settled = self
                .db
                .write(|wtx| self.settle_in(wtx, &original, p, code, None))?;
            self.settled(settled);
            tracing::warn!(
                original = p.original,
                operation = p.operation.key(),
                %code,
                "an operation interrupted by a stop was settled with the acquirer"
            );
        }
        Ok(pending.len())
    }

    /// Writes the row of operation `p` on `original` with the acquirer's `code` (or
    /// the `rule` that refused it before the acquirer), its journal, History lines,
    /// the rebill count and receipt, and removes its pending record — in `wtx`
    /// (the caller commits, then tells [`Gateway::settled`]).
    fn settle_in(
        &self,
        wtx: &db::Tx,
        original: &Transaction,
        p: &PendingOp,
        code: ResultCode,
        rule: Option<Rule>,
    ) -> db::Result<Settled> {
        let (op, amount, requested_at) = (p.operation, p.amount, p.requested_at);
        let actor = p.actor();
        let at = self.now().unix_timestamp();
        let mut row = Transaction {
            id: 0,
            at,
            operation: op,
            amount,
            code,
            parent_id: Some(original.id),
            test: original.test || self.acquirer.is_test(),
            initiator: original.initiator.clone().by(&actor),
            ..original.clone()
        };
        if let Some(card) = row.card.as_mut()
            && op == Operation::Rebill
        {
            card.three_ds = false;
        }
        if let Some(order) = &p.order_id {
            row.sale.order_id = order.clone();
        }
        let mut rows = [row];
        transactions::insert_many(wtx, &mut rows)?;
        velocity::add_in(wtx, &self.db.velocity_key(), &rows)?;
        let [row] = rows;
        let requested = JournalEntry::new(
            requested_at,
            Step::Requested {
                operation: op,
                user: actor.user.clone(),
                amount,
                currency: original.currency,
            },
        );
        let steps = match rule {
            // Refused before the acquirer: the Journal says by which rule or entry.
            Some(rule) => vec![
                requested,
                JournalEntry::with_code(at, Step::RefusedByRule(rule), code),
            ],
            None => vec![
                requested,
                JournalEntry::new(
                    requested_at,
                    Step::Sent {
                        acquirer: self.acquirer.name().to_string(),
                        operation: op,
                    },
                ),
                JournalEntry::with_code(at, Step::Answer, code),
            ],
        };
        for j in &steps {
            tx_log::add_journal(wtx, row.id, j)?;
        }
        link_to_original(wtx, original, &row, &actor, p.key.as_deref())?;
        let mut receipt = None;
        if op == Operation::Rebill && rule.is_none() {
            let token = original
                .card
                .as_ref()
                .map(|c| c.token.clone())
                .unwrap_or_default();
            let day = rebill_day(
                time::OffsetDateTime::from_unix_timestamp(requested_at)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            );
            rebills::count_in(wtx, original.merchant_id, &token, day)?;
            // The cardholder hears of every rebill charged, when an address is known.
            if code.is_accepted() && !row.buyer.email.is_empty() {
                let lang = row
                    .initiator
                    .point_of_sale
                    .strip_prefix("LINK-")
                    .and_then(|r| r.parse::<u64>().ok())
                    .map(|r| payments::get_in(wtx, r))
                    .transpose()?
                    .flatten()
                    .map_or(Lang::Fr, |r| r.lang);
                let look = self.db.mail_look(row.merchant_id)?;
                let mut mail =
                    crate::mail::rebill_receipt(&row, &look, (lang, &self.time_zone), at);
                receipt = Some((outbox::enqueue(wtx, &mut mail)?, mail.to));
            }
        }
        if p.id != 0 {
            pending::remove_in(wtx, p.id)?;
        }
        Ok(Settled {
            row,
            receipt,
            user: actor.user,
        })
    }

    /// After the commit of [`Gateway::settle_in`]: wakes the mail worker for the
    /// receipt, logs the operation.
    fn settled(&self, s: Settled) -> OpOutcome {
        if let Some((mail_id, to)) = &s.receipt {
            self.mail_queued(*mail_id, to);
        }
        let row = s.row;
        self.metrics.operation(row.operation, row.code);
        tracing::debug!(tx = row.id, parent = ?row.parent_id, operation = row.operation.key(), code = %row.code, user = %crate::domain::text::log_safe(&s.user), "operation written");
        OpOutcome::Done(Box::new(row))
    }
}

/// The first write of an operation: answered there, settled there (refused by a
/// rule), or recorded as pending for the acquirer.
enum First {
    Answer(OpOutcome),
    Settled(Box<Settled>),
    Sent(Box<(Transaction, PendingOp)>),
}

/// An operation's row written (not yet committed), with its receipt to announce.
struct Settled {
    row: Transaction,
    receipt: Option<(u64, String)>,
    user: String,
}

/// The transaction an operation applies to, seen in `scope`, and the operation's
/// one-time key; `Err` with the answer to give instead: not found, or the row a
/// first submit of the same key already wrote (a double click never writes twice).
pub(super) fn open_original(
    wtx: &db::Tx,
    scope: Scope,
    id: u64,
    op: Operation,
    key: &str,
) -> db::Result<Result<(Transaction, Option<String>), OpOutcome>> {
    let Some(original) = transactions::get_in(wtx, id)?.filter(|t| scope.allows(t.merchant_id))
    else {
        return Ok(Err(OpOutcome::NotFound));
    };
    let key = (!key.is_empty()).then(|| format!("{id}:{}:{key}", op.key()));
    if let Some(k) = &key
        && let Some(done) = operation_keys::find(wtx, k)?
            .map(|t| transactions::get_in(wtx, t))
            .transpose()?
            .flatten()
    {
        return Ok(Err(OpOutcome::Done(Box::new(done))));
    }
    Ok(Ok((original, key)))
}

/// What every operation row writes besides itself, in its write transaction: the
/// "linked" step on the original's journal, the History line on both rows, and the
/// one-time key pointing at the new row.
pub(super) fn link_to_original(
    wtx: &db::Tx,
    original: &Transaction,
    row: &Transaction,
    actor: &Actor,
    key: Option<&str>,
) -> db::Result<()> {
    let (op, code, at) = (row.operation, row.code, row.at);
    let linked = Step::Linked {
        operation: op,
        id: row.id,
    };
    tx_log::add_journal(wtx, original.id, &JournalEntry::with_code(at, linked, code))?;
    let detail = HistoryEntry::operation_detail(row.amount, original.currency, row.id, code);
    let history = HistoryEntry::by(&actor.at(at), op.key(), detail);
    for tx_id in [original.id, row.id] {
        tx_log::add_history(wtx, tx_id, &history)?;
    }
    if let Some(k) = key {
        operation_keys::remember(wtx, k, row.id)?;
    }
    Ok(())
}
