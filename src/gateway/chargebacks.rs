//! Chargebacks recorded from the Operations tab by an administrator: the issuer's
//! dispute of an accepted debit. The check (what is left after refunds and earlier
//! chargebacks), the new row, its journal, the History lines and the audit entry are
//! one write transaction, so two chargebacks can never together exceed the debit.

use time::Date;

use super::Gateway;
use super::OpOutcome;
use super::operations::{link_to_original, open_original};
use crate::db::audit::{self, AuditEntry};
use crate::db::{self, Scope, transactions, tx_log};
use crate::domain::actor::Actor;
use crate::domain::chargeback::{ChargebackReason, dispute_day};
use crate::domain::codes::ResultCode;
use crate::domain::journal::{JournalEntry, Step};
use crate::domain::money::Amount;
use crate::domain::operation_rules::check_chargeback;
use crate::domain::transaction::{Operation, Transaction};

/// What a chargeback form holds once parsed (the reason and the date may be missing:
/// the rule says so in the reader's words).
#[derive(Clone, Copy, Debug)]
pub struct Dispute {
    pub amount: Amount,
    pub reason: Option<ChargebackReason>,
    pub on: Option<Date>,
}

impl Gateway {
    /// Records a chargeback of `dispute` on transaction `id` by `actor` (an
    /// administrator: the caller checks). `key` is the confirmation form's one-time
    /// key: a second submit answers the row the first one wrote.
    pub fn chargeback(
        &self,
        scope: Scope,
        id: u64,
        dispute: Dispute,
        actor: &Actor,
        key: &str,
    ) -> db::Result<OpOutcome> {
        // An operation with the acquirer on this transaction finishes first.
        let _original = self.lock_original(id);
        let now = self.now();
        let written = self.db.write(|wtx| {
            let op = Operation::Chargeback;
            let (original, key) = match open_original(wtx, scope, id, op, key)? {
                Ok(found) => found,
                Err(outcome) => return Ok(Err(outcome)),
            };
            let children = transactions::children_in(wtx, id)?;
            let (amount, reason, on) = (dispute.amount, dispute.reason, dispute.on);
            let (reason, on) = match check_chargeback(&original, &children, amount, reason, on, now)
            {
                Ok(checked) => checked,
                Err(refusal) => return Ok(Err(OpOutcome::Refused(refusal))),
            };
            let at = now.unix_timestamp();
            let code = ResultCode::ACCEPTED;
            let mut rows = [Transaction {
                id: 0,
                at,
                operation: op,
                amount,
                code,
                parent_id: Some(original.id),
                initiator: original.initiator.clone().by(actor),
                ..original.clone()
            }];
            transactions::insert_many(wtx, &mut rows)?;
            let [row] = rows;
            let disputed = Step::Disputed {
                reason,
                day: dispute_day(on),
                user: actor.user.clone(),
            };
            tx_log::add_journal(wtx, row.id, &JournalEntry::with_code(at, disputed, code))?;
            link_to_original(wtx, &original, &row, actor, key.as_deref())?;
            let entry = AuditEntry::by(
                &actor.at(at),
                "chargeback.record",
                format!("transaction {}", original.id),
                Some(original.merchant_id),
            )
            .with_detail(format!("tx={} reason={}", row.id, reason.key()));
            audit::append(wtx, self.db.audit_key(), &entry)?;
            Ok(Ok((row, original.id, reason.key())))
        })?;
        let (row, original_id, row_reason) = match written {
            Ok(w) => w,
            Err(outcome) => return Ok(outcome),
        };
        self.metrics.operation(row.operation, row.code);
        tracing::debug!(tx = row.id, parent = original_id, reason = row_reason, user = %crate::domain::text::log_safe(&actor.user), "chargeback written");
        Ok(OpOutcome::Done(Box::new(row)))
    }
}
