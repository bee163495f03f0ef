//! The consistency check (`guichet check`): every operation obeys the domain rules,
//! every index and rollup agrees with the rows.

use std::collections::{BTreeMap, HashMap};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::rollups::{self, Totals};
use super::tables::{MERCHANT_ID_TX_ID, PARENT_ID_CHILD_ID, ROLLUP, TX_ID_TO_TX};
use super::{Db, Result, codec};
use crate::domain::transaction::{AUTHORIZATION_HOLD, Operation, Transaction};

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    pub transactions: u64,
    pub problems: Vec<String>,
    /// Counts per operation, for the summary.
    pub per_operation: BTreeMap<&'static str, u64>,
    /// The audit log's hash chain.
    pub audit: super::audit::ChainReport,
    /// Payments and operations that were with the acquirer (also in `problems`): a
    /// stop between the call and the write, or a backup's snapshot taken during a
    /// payment. The next start settles them.
    pub in_flight: Vec<String>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems but those in flight, which a start settles: what a backup's
    /// copy must not have.
    pub fn integrity_problems(&self) -> Vec<String> {
        self.problems
            .iter()
            .filter(|p| !self.in_flight.contains(p))
            .cloned()
            .collect()
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < 100 {
            self.problems.push(p);
        }
    }
}

/// What the check keeps of each row.
struct Row {
    merchant: u64,
    op: Operation,
    accepted: bool,
    amount: i64,
    at: i64,
}

impl Db {
    /// Reads every row once and checks rules, links, indexes and rollups.
    pub fn check(&self) -> Result<Report> {
        check_in(&self.inner.begin_read()?, self.keys())
    }
}

/// [`Db::check`] on one read transaction of any data file, with its keys: what
/// `guichet check` runs, and what a backup and a restore run on their copy.
pub(crate) fn check_in(rtx: &redb::ReadTransaction, keys: &crate::keys::Keys) -> Result<Report> {
    let t = rtx.open_table(TX_ID_TO_TX)?;
    let mut report = Report::default();
    let mut rows: HashMap<u64, Row> =
        HashMap::with_capacity(usize::try_from(t.len()?).unwrap_or(0));
    let mut quarters: BTreeMap<rollups::RollupKey, Totals> = BTreeMap::new();
    let mut with_parent: Vec<(u64, u64)> = Vec::new();
    let mut last_at = i64::MIN;
    for row in t.iter()? {
        let (k, v) = row?;
        let tx: Transaction = codec::decode("transactions", v.value())?;
        if tx.id != k.value() {
            report.problem(format!("row {} holds transaction {}", k.value(), tx.id));
        }
        if tx.at < last_at {
            report.problem(format!(
                "transaction {} is dated before the one before it",
                tx.id
            ));
        }
        last_at = tx.at;
        for key in rollups::keys_of(&tx) {
            let q = quarters.entry(key).or_default();
            q.count += 1;
            q.sum = q.sum.wrapping_add(tx.amount.minor());
        }
        *report.per_operation.entry(tx.operation.key()).or_default() += 1;
        if let Some(p) = tx.parent_id {
            with_parent.push((p, tx.id));
        }
        let accepted = tx.code.is_accepted();
        rows.insert(
            tx.id,
            Row {
                merchant: tx.merchant_id,
                op: tx.operation,
                accepted,
                amount: tx.amount.minor(),
                at: tx.at,
            },
        );
    }
    report.transactions = rows.len() as u64;
    check_links(&rows, &with_parent, &mut report);
    let differing = quarter_rollups_differing(rtx, rollups::running(quarters))?;
    if differing > 0 {
        report.problem(format!(
            "{differing} quarter-hour rollup entries differ from a recount of the rows"
        ));
    }
    let n = report.transactions;
    let len = rtx.open_table(MERCHANT_ID_TX_ID)?.len()?;
    if len != n {
        report.problem(format!(
            "merchant index has {len} entries for {n} transactions"
        ));
    }
    let parents = rtx.open_table(PARENT_ID_CHILD_ID)?.len()?;
    if parents != with_parent.len() as u64 {
        report.problem(format!(
            "parent index has {parents} entries for {} linked transactions",
            with_parent.len()
        ));
    }
    for p in super::security::account_problems(rtx)? {
        report.problem(p);
    }
    for p in super::blacklist::problems(rtx)? {
        report.problem(p);
    }
    let velocity_key = super::velocity::hash_key(&keys.audit_key);
    for p in super::velocity::problems(rtx, &velocity_key)? {
        report.problem(p);
    }
    for p in super::callbacks::problems(rtx)? {
        report.problem(p);
    }
    for p in super::pending::problems(rtx)? {
        report.in_flight.push(p.clone());
        report.problem(p);
    }
    report.audit = super::audit::verify_chain_in(rtx, &keys.audit_key)?;
    if let Some(b) = &report.audit.first_break {
        report.problem(format!(
            "audit log: the chain breaks at entry {}: it {}",
            b.seq, b.reason
        ));
    }
    Ok(report)
}

/// How many stored quarter-hour running totals are missing, extra or different
/// from `expected` (both walked in key order, nothing else held in memory).
fn quarter_rollups_differing(
    rtx: &redb::ReadTransaction,
    expected: BTreeMap<rollups::RollupKey, Totals>,
) -> Result<u64> {
    let table = rtx.open_table(ROLLUP)?;
    let mut stored_rows = table.iter()?;
    let mut next_stored = || -> Result<Option<(rollups::RollupKey, Totals)>> {
        Ok(stored_rows.next().transpose()?.map(|(k, v)| {
            let (count, sum) = v.value();
            (k.value(), Totals { count, sum })
        }))
    };
    let mut expected = expected.into_iter();
    let (mut s, mut e) = (next_stored()?, expected.next());
    let mut differing = 0;
    loop {
        match (&s, &e) {
            (None, None) => return Ok(differing),
            (Some((sk, sv)), Some((ek, ev))) if sk == ek => {
                differing += u64::from(sv != ev);
                s = next_stored()?;
                e = expected.next();
            }
            (Some((sk, _)), Some((ek, _))) if sk < ek => {
                differing += 1;
                s = next_stored()?;
            }
            (Some(_), None) => {
                differing += 1;
                s = next_stored()?;
            }
            (_, Some(_)) => {
                differing += 1;
                e = expected.next();
            }
        }
    }
}

fn check_links(rows: &HashMap<u64, Row>, links: &[(u64, u64)], report: &mut Report) {
    // Accepted refunds per debit, accepted captures/cancels per authorization.
    let mut refunds: HashMap<u64, u32> = HashMap::new();
    // Money given back per debit (refunds and chargebacks), never above the debit.
    let mut given_back: HashMap<u64, i64> = HashMap::new();
    let mut settles: HashMap<u64, u32> = HashMap::new();
    for &(parent_id, child_id) in links {
        let (Some(parent), Some(child)) = (rows.get(&parent_id), rows.get(&child_id)) else {
            report.problem(format!(
                "transaction {child_id} follows missing transaction {parent_id}"
            ));
            continue;
        };
        if parent.merchant != child.merchant {
            report.problem(format!(
                "transaction {child_id} and its parent {parent_id} belong to different merchants"
            ));
        }
        if !child.accepted {
            continue;
        }
        match child.op {
            Operation::Refund => {
                if !parent.op.debits() || !parent.accepted {
                    report.problem(format!(
                        "refund {child_id} is on {parent_id}, not an accepted debit"
                    ));
                }
                if child.amount > parent.amount {
                    report.problem(format!("refund {child_id} is above its debit {parent_id}"));
                }
                *refunds.entry(parent_id).or_default() += 1;
                *given_back.entry(parent_id).or_default() += child.amount;
            }
            Operation::Chargeback => {
                if !parent.op.debits() || !parent.accepted {
                    report.problem(format!(
                        "chargeback {child_id} is on {parent_id}, not an accepted debit"
                    ));
                }
                *given_back.entry(parent_id).or_default() += child.amount;
            }
            Operation::Capture | Operation::Cancel => {
                if parent.op != Operation::Authorization || !parent.accepted {
                    report.problem(format!(
                        "{} {child_id} is on {parent_id}, not an accepted authorization",
                        child.op.key()
                    ));
                }
                if child.amount > parent.amount {
                    report.problem(format!(
                        "{} {child_id} is above its authorization {parent_id}",
                        child.op.key()
                    ));
                }
                if child.at > parent.at + AUTHORIZATION_HOLD.whole_seconds() {
                    report.problem(format!(
                        "{} {child_id} came after authorization {parent_id} expired",
                        child.op.key()
                    ));
                }
                *settles.entry(parent_id).or_default() += 1;
            }
            Operation::Sale | Operation::Authorization => {
                if parent.op != Operation::ThreeDSecure {
                    report.problem(format!(
                        "payment {child_id} follows {parent_id}, not a 3-D Secure row"
                    ));
                }
            }
            Operation::Rebill => {
                if !parent.accepted {
                    report.problem(format!(
                        "rebill {child_id} is on refused transaction {parent_id}"
                    ));
                }
            }
            Operation::ThreeDSecure => {
                report.problem(format!("3-D Secure row {child_id} has a parent"))
            }
        }
    }
    for (id, back) in given_back {
        if rows.get(&id).is_some_and(|p| back > p.amount) {
            report.problem(format!(
                "refunds and chargebacks of transaction {id} exceed its amount"
            ));
        }
    }
    for (id, n) in refunds.into_iter().filter(|(_, n)| *n > 1) {
        report.problem(format!("transaction {id} was refunded {n} times"));
    }
    for (id, n) in settles.into_iter().filter(|(_, n)| *n > 1) {
        report.problem(format!(
            "authorization {id} was captured or cancelled {n} times"
        ));
    }
}
