//! Card testing that the velocity limits stop (FRAUD-1), so the Restrictions page, the
//! 585 refusals and their Journals are not empty: per merchant, one burst in the last
//! 90 days where a card no other payment uses is refused three times by its bank,
//! then twice more by the card's default limit (3 refused payments per 24 h) with
//! 585, each refusal's Journal naming the rule as the payment flow writes it.

use super::*;
use crate::domain::fraud::{Fired, KeyKind, MerchantRules};
use crate::domain::journal::{JournalEntry, Rule, Step};

/// What a scheduled row brings with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// The random mix.
    Normal,
    /// A 3-D Secure row whose payment the bank refuses with this code.
    Refuse(ResultCode),
    /// A row refused with 585 by this limit (the 3-D Secure row, then its sale).
    Velocity(Fired),
}

/// The bank's answers to the first attempts of a burst (each counts as refused).
const BANK_REFUSALS: [ResultCode; 3] = [
    ResultCode::INSUFFICIENT_FUNDS,
    ResultCode::ISSUER_REFUSED,
    ResultCode::ISSUER_REFUSED,
];
/// Attempts the limit refuses after the bank's refusals.
const RULE_REFUSALS: usize = 2;
/// Minutes between the start of a burst and each of its attempts.
const ATTEMPT_MINUTES: [i64; 5] = [0, 2, 5, 9, 14];

/// When each shop's burst starts (newest first, so the next one is popped from the
/// end): between 4 and 83 days before `end`, at night, within the 90 days the
/// velocity counters hold.
pub(super) fn bursts(shops: usize, end: i64) -> Vec<(i64, usize)> {
    let mut out: Vec<(i64, usize)> = (0..shops)
        .map(|i| {
            let days = 4 + (i as i64 * 7) % 80;
            let night = end - end.rem_euclid(DAY) + 2 * 3_600 + 17 * 60 * i as i64;
            (night - days * DAY, i)
        })
        .collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out
}

/// The limit a card's fourth attempt meets with the default rules.
fn card_limit() -> Fired {
    let l = MerchantRules::default().card;
    let limit = l.max_refused.unwrap_or(3);
    Fired {
        kind: KeyKind::Card,
        refused: true,
        count: limit,
        limit,
        window: l.window,
    }
}

impl Generator {
    /// Schedules the next burst when it is due at `at`; says whether it did.
    pub(super) fn start_burst(&mut self, heap: &mut Heap, at: i64) -> bool {
        let Some(&(when, shop)) = self.bursts.last() else {
            return false;
        };
        if when > at {
            return false;
        }
        self.bursts.pop();
        let kind = self.shops[shop].spec.kind;
        let amount = amount(&mut self.rng, kind);
        let mut first = self.three_ds_row(shop, at, amount, ResultCode::ACCEPTED);
        // A card, email and address of its own: no other demo payment counts with it.
        let mut r = SmallRng::seed_from_u64(self.seed ^ (0xC4D0 + shop as u64).rotate_left(40));
        let c = customer(&mut r, self.year, &self.card_key);
        first.card = Some(c.card);
        first.buyer = c.buyer;
        first.shipping = Party::default();
        first.initiator.ip = c.ip;
        let fired = card_limit();
        let plans = BANK_REFUSALS
            .iter()
            .map(|code| (ResultCode::ACCEPTED, Plan::Refuse(*code)))
            .chain(std::iter::repeat_n(
                (ResultCode::TOO_MANY_ATTEMPTS, Plan::Velocity(fired)),
                RULE_REFUSALS,
            ));
        for ((code, plan), minutes) in plans.zip(ATTEMPT_MINUTES) {
            let mut row = first.clone();
            row.at = at + minutes * 60;
            row.code = code;
            self.push_planned(heap, row, Operation::Sale, plan);
        }
        true
    }

    /// The Journal lines of a row refused by a rule that has just been given `id`: the
    /// rule, and on its 3-D Secure row the link to it (as `gateway::velocity` writes).
    pub(super) fn journal(&mut self, item: &Scheduled, id: u64) {
        let Plan::Velocity(fired) = item.plan else {
            return;
        };
        let tx = &item.tx;
        let step = Step::RefusedByRule(Rule::Velocity(fired));
        let code = ResultCode::TOO_MANY_ATTEMPTS;
        self.journals
            .push((id, JournalEntry::with_code(tx.at, step, code)));
        if let Some(parent) = tx.parent_id {
            let linked = Step::Linked {
                operation: tx.operation,
                id,
            };
            self.journals
                .push((parent, JournalEntry::new(tx.at, linked)));
        }
    }

    /// The sale a second after a 3-D Secure row a limit refused, refused the same way.
    pub(super) fn refused_by_rule(
        &mut self,
        tds: &Transaction,
        id: u64,
        op: Operation,
        heap: &mut Heap,
        fired: Fired,
    ) {
        if let Some(row) = self.child(tds, id, op, tds.amount, 1, ResultCode::TOO_MANY_ATTEMPTS) {
            self.push_planned(heap, row, op, Plan::Velocity(fired));
        }
    }
}
