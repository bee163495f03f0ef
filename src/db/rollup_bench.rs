//! What the rollups save and cost, for `guichet bench`: the same answers computed by
//! scanning the rows, the rollups' size in the file, and their write time.

use std::collections::BTreeMap;

use redb::ReadableTableMetadata;

use super::rollups::{Group, RollupQuery, Totals, add, bad_bounds};
use super::tables::ROLLUP;
use super::{Db, Error, Result, Scope};
use crate::domain::transaction::Transaction;

/// The size of the rollups in the file.
#[derive(Clone, Copy, Debug, Default)]
pub struct RollupStats {
    pub entries: u64,
    /// Pages (leaf and branch) × 4 KiB: what the table takes in the file.
    pub page_bytes: u64,
    pub stored_bytes: u64,
}

impl Db {
    /// The answers of every query in `qs` computed by reading each row of the span
    /// they cover (the period's rows, found by id): what the rollups save. For the
    /// bench; fails like [`Db::rollup`].
    pub fn rollup_by_scan(
        &self,
        scope: Scope,
        qs: &[RollupQuery],
    ) -> Result<Vec<BTreeMap<Group, Totals>>> {
        let mut merchants = Vec::with_capacity(qs.len());
        for q in qs {
            if let Some(why) = bad_bounds(&q.bounds) {
                return Err(Error::BadRange(why));
            }
            merchants.push(match (scope, q.merchant) {
                (Scope::Admin, m) => m,
                (Scope::Merchant(own), Some(m)) if m == own => Some(own),
                (Scope::Merchant(_), _) => return Err(Error::NotFound),
            });
        }
        let from = qs.iter().filter_map(|q| q.bounds.first()).min().copied();
        let to = qs.iter().filter_map(|q| q.bounds.last()).max().copied();
        let mut out = vec![BTreeMap::new(); qs.len()];
        let (Some(from), Some(to)) = (from, to) else {
            return Ok(out);
        };
        // Ids grow with time: the period's rows are those from the first at `from`.
        let first = self.first_tx_at_or_after(from)?;
        let rtx = self.begin_read()?;
        let rows = rtx.open_table(super::tables::TX_ID_TO_TX)?;
        for entry in rows.range(first..)? {
            let tx: Transaction = super::codec::decode("transactions", entry?.1.value())?;
            if tx.at >= to {
                break;
            }
            for ((q, m), map) in qs.iter().zip(&merchants).zip(out.iter_mut()) {
                let value = q.dim.value_of(&tx);
                if m.is_some_and(|m| m != tx.merchant_id) || q.value.is_some_and(|v| v != value) {
                    continue;
                }
                let after = q.bounds.partition_point(|b| *b <= tx.at);
                if after == 0 || after == q.bounds.len() {
                    continue;
                }
                let period = after - 1;
                let g = Group {
                    period,
                    value,
                    op: tx.operation.index(),
                    code: tx.code.value(),
                    currency: super::columns::currency_index(tx.currency),
                };
                let t: &mut Totals = map.entry(g).or_default();
                t.count += 1;
                t.sum = t.sum.wrapping_add(tx.amount.minor());
            }
        }
        Ok(out)
    }

    /// How much of the file the rollups take.
    pub fn rollup_stats(&self) -> Result<RollupStats> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(ROLLUP)?;
        let s = t.stats()?;
        Ok(RollupStats {
            entries: t.len()?,
            page_bytes: (s.leaf_pages() + s.branch_pages()) * 4096,
            stored_bytes: s.stored_bytes(),
        })
    }

    /// The time the rollups of `txs` take to write, in a write transaction that is
    /// then dropped (nothing is written): the bench's write cost.
    pub fn rollup_write_time(&self, txs: &[Transaction]) -> Result<std::time::Duration> {
        let wtx = self.begin_write()?;
        let started = std::time::Instant::now();
        add(&wtx, txs)?;
        let took = started.elapsed();
        wtx.abort()?;
        Ok(took)
    }
}
