//! Velocity limits in the payment flow (FRAUD-1, FRAUD-5): before the 3-D Secure
//! decision and the acquirer, the merchant's rules are read with the counts of the
//! payment's card, email, IP address and holder name. A payment over a limit is
//! refused with 585, the acquirer never called, and the Journal names the rule.
//!
//! Race-free: the payment holds a lock on each of its keys (striped) from the check
//! to the write of its rows, so twenty payments of one card at once are checked one
//! after the other, each seeing the ones before it. Locks are taken in one order
//! (after the request's desk, before any write transaction), so two payments cannot
//! deadlock. A rebill takes the same locks, then checks its card's limits
//! inside its own write transaction.

use std::sync::{Mutex, MutexGuard};

use super::Gateway;
use super::pay::Desk;
use super::record::Refused;
use crate::acquirer::CardInfo;
use crate::db::{self, Tx, velocity};
use crate::domain::card_form::CardDetails;
use crate::domain::codes::ResultCode;
use crate::domain::fraud::{MerchantRules, Subject};
use crate::domain::journal::Rule;
use crate::domain::payment::PaymentRequest;
use crate::domain::transaction::Transaction;

/// Lock stripes: payments whose keys share no stripe never wait on each other.
const STRIPES: usize = 4096;

/// The striped locks on velocity keys.
pub(super) struct KeyLocks([Mutex<()>; STRIPES]);

impl Default for KeyLocks {
    fn default() -> Self {
        KeyLocks(std::array::from_fn(|_| Mutex::new(())))
    }
}

/// Held from the check until the payment's rows are written.
pub(super) struct Held<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
    /// The merchant's rules, as read under the locks.
    pub(super) rules: MerchantRules,
}

/// What the check found.
pub(super) enum Checked<'a> {
    /// Refused by a rule: the sale row written with 585.
    Refused(u64),
    /// Within the limits: go on, holding the locks.
    Pass(Held<'a>),
}

fn stripe(merchant_id: u64, key: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (merchant_id, key).hash(&mut h);
    usize::try_from(h.finish() % STRIPES as u64).unwrap_or(0)
}

impl Gateway {
    /// Checks the merchant's velocity limits for a card about to be paid on `req`
    /// from `ip`; over a limit, writes the 3-D Secure and sale rows with 585 and a
    /// Journal naming the rule. Call with the request's desk held.
    pub(super) fn check_velocity<'a>(
        &'a self,
        req: &PaymentRequest,
        card: &CardDetails,
        info: CardInfo,
        ip: &str,
        _desk: &Desk,
    ) -> db::Result<Checked<'a>> {
        let subject = Subject {
            card_token: card.pan.storage_token(self.card_key.0, &self.card_key.1),
            holder: card.holder.clone(),
            email: req.holder.email.clone(),
            ip: ip.to_string(),
        };
        let guards = self.lock_keys(req.merchant_id, &subject);
        let now = self.now().unix_timestamp();
        let (rules, fired) = self.db.velocity_check(req.merchant_id, &subject, now)?;
        let Some(fired) = fired else {
            return Ok(Checked::Pass(Held {
                _guards: guards,
                rules,
            }));
        };
        tracing::info!(request = req.id, merchant = req.merchant_id, rule = %fired.text(crate::domain::Lang::En), "payment refused by a velocity limit");
        let id = self.refuse(
            req,
            Refused { card, info, ip },
            Rule::Velocity(fired),
            ResultCode::TOO_MANY_ATTEMPTS,
            true,
        )?;
        Ok(Checked::Refused(id))
    }

    /// Locks the velocity keys of `subject` for `merchant_id`, in stripe order. Taken
    /// after a request's desk and before any write transaction, never the other way.
    fn lock_keys(&self, merchant_id: u64, subject: &Subject) -> Vec<MutexGuard<'_, ()>> {
        let keys = velocity::subject_keys(&self.db.velocity_key(), subject);
        let mut stripes: Vec<usize> = keys.iter().map(|(_, k)| stripe(merchant_id, k)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        stripes
            .into_iter()
            .map(|i| {
                self.key_locks.0[i]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
            })
            .collect()
    }

    /// The lock an operation on transaction `id` holds from its check to the write
    /// of the acquirer's answer. Taken after any velocity key lock, never before.
    pub(super) fn lock_original(&self, id: u64) -> MutexGuard<'_, ()> {
        let i = usize::try_from(id % STRIPES as u64).unwrap_or(0);
        self.original_locks.0[i]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The locks a rebill of transaction `id` holds until it is written, so that a
    /// payment of the same card checking its limits meanwhile sees it (none when the
    /// row is not found: the rebill then writes nothing).
    pub(super) fn lock_rebill(
        &self,
        scope: db::Scope,
        id: u64,
    ) -> db::Result<Vec<MutexGuard<'_, ()>>> {
        Ok(match self.db.transaction(scope, id)? {
            Some(original) => {
                let subject = Subject {
                    ip: String::new(),
                    ..Subject::of(&original)
                };
                self.lock_keys(original.merchant_id, &subject)
            }
            None => Vec::new(),
        })
    }

    /// The rule a rebill of `original` breaks, if any, read in the rebill's write
    /// transaction (which holds every other write back, so two rebills cannot both
    /// pass). The IP address is the back-office user's: not counted.
    pub(super) fn rebill_velocity(
        &self,
        wtx: &Tx,
        original: &Transaction,
        now: i64,
    ) -> db::Result<Option<Rule>> {
        let rules = velocity::rules_in(wtx, original.merchant_id)?;
        let subject = Subject {
            ip: String::new(),
            ..Subject::of(original)
        };
        let keys = velocity::subject_keys(&self.db.velocity_key(), &subject);
        Ok(velocity::check_in(wtx, original.merchant_id, &rules, &keys, now)?.map(Rule::Velocity))
    }
}
