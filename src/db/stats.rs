//! The cells of Statistics (STAT-1): from the rollups when one dimension at a time
//! answers (no filter, or a filter on the very dimension split), otherwise by
//! walking the column store of the period, as the transaction search does. The
//! country splits need each row's record: they are read by id for the matching rows
//! only, and refused past [`COUNTRY_SCAN_LIMIT`] rows.

use std::collections::{BTreeMap, HashMap};

use super::columns::NO_BRAND;
use super::rollups::{Dim, RollupQuery, bad_bounds, brand_of, brand_value, country_of};
use super::{Db, Error, Result, Scope};
use crate::domain::card::Brand;
use crate::domain::figures::Cell;
use crate::domain::money::Currency;
use crate::domain::stats::StatsQuery;
use crate::domain::stats_tables::{Split, SplitValue, StatCells, TableKey};
use crate::domain::transaction::{Operation, Transaction};

/// The most rows a country split under a terminal or brand filter reads one by one
/// (~0.5 s of record reads); past it the split is refused with a message.
pub const COUNTRY_SCAN_LIMIT: u64 = 200_000;

/// The dimension a split table is on.
pub fn dim_of(key: TableKey) -> Dim {
    match key {
        TableKey::Brands => Dim::Brand,
        TableKey::CardCountries => Dim::CardCountry,
        TableKey::IpCountries => Dim::IpCountry,
        TableKey::Terminals => Dim::Terminal,
        TableKey::Periods | TableKey::Refusals => Dim::Total,
    }
}

/// What the value `v` of a split table's dimension stands for.
pub fn split_value(key: TableKey, v: u32) -> SplitValue {
    match dim_of(key) {
        Dim::Brand => SplitValue::Brand(brand_of(v)),
        Dim::CardCountry | Dim::IpCountry => SplitValue::Country(country_of(v)),
        Dim::Terminal | Dim::Total => SplitValue::Terminal(v),
    }
}

type Key = (usize, u32, u8, u16, u8);
/// Count and sum of amounts per group.
type Groups = BTreeMap<Key, (u64, i64)>;

fn add(groups: &mut Groups, k: Key, amount: i64) {
    let e = groups.entry(k).or_default();
    e.0 += 1;
    e.1 = e.1.wrapping_add(amount);
}

fn is_country(d: Dim) -> bool {
    matches!(d, Dim::CardCountry | Dim::IpCountry)
}

fn cells_of(groups: Groups) -> Vec<Cell> {
    groups
        .into_iter()
        .filter_map(|((period, value, op, code, cur), (count, sum))| {
            Some(Cell {
                period,
                value,
                op: Operation::from_index(op)?,
                code,
                currency: *Currency::ALL.get(usize::from(cur))?,
                count,
                sum,
            })
        })
        .collect()
}

impl Db {
    /// The cells of the rows of `merchant` (all, for an admin, when `None`) in each
    /// period bounded by `bounds`, with the given terminal and brand, split on `dim`:
    /// what [`Db::figures`] answers for one dimension, under filters the rollups do
    /// not hold. Walks the column store (and, for the country dimensions, reads the
    /// matching rows' records). Fails like [`Db::rollup`] (`BadRange`, `NotFound`),
    /// and with `TooManyRows` when a country split matches more than
    /// [`COUNTRY_SCAN_LIMIT`] rows.
    pub fn figures_scan(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        bounds: &[i64],
        terminal: Option<u32>,
        brand: Option<Brand>,
        dim: Dim,
    ) -> Result<Vec<Cell>> {
        self.figures_scan_limited(
            scope,
            merchant,
            bounds,
            (terminal, brand),
            dim,
            COUNTRY_SCAN_LIMIT,
        )
    }

    pub(crate) fn figures_scan_limited(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        bounds: &[i64],
        filter: (Option<u32>, Option<Brand>),
        dim: Dim,
        limit: u64,
    ) -> Result<Vec<Cell>> {
        self.figures_scan_many(scope, merchant, bounds, filter, &[dim], limit)?
            .pop()
            .unwrap_or(Ok(Vec::new()))
    }

    /// [`Db::figures_scan`] for several dimensions in one walk (and one read of the
    /// records for the country ones): one answer per dimension, in order, each
    /// `TooManyRows` on its own.
    pub(crate) fn figures_scan_many(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        bounds: &[i64],
        (terminal, brand): (Option<u32>, Option<Brand>),
        dims: &[Dim],
        limit: u64,
    ) -> Result<Vec<Result<Vec<Cell>>>> {
        if let Some(why) = bad_bounds(bounds) {
            return Err(Error::BadRange(why));
        }
        let merchant = match (scope, merchant) {
            (Scope::Admin, m) => m,
            (Scope::Merchant(own), Some(m)) if m == own => Some(own),
            (Scope::Merchant(_), _) => return Err(Error::NotFound),
        };
        let merchant = merchant.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
        let brand = brand
            .and_then(|b| Brand::ALL.iter().position(|x| *x == b))
            .map(|i| i as u8);
        let (from, to) = (bounds[0], bounds[bounds.len() - 1]);
        if dims.is_empty() {
            return Ok(Vec::new());
        }
        let countries = dims.iter().any(|d| is_country(*d));
        self.store.sync(&self.inner)?;
        let mut groups: Vec<Groups> = vec![BTreeMap::new(); dims.len()];
        // For the country splits: (id, group without its value, amount) of each match.
        let mut pending: Vec<(u64, Key, i64)> = Vec::new();
        self.store.with(|c| {
            for i in c.time_range(from, to) {
                if merchant.is_some_and(|m| c.merchant[i] != m)
                    || terminal.is_some_and(|t| c.terminal[i] != t)
                    || brand.is_some_and(|b| c.brand[i] != b)
                {
                    continue;
                }
                // bounds[0] <= at < last bound: the partition point is in 1..len.
                let period = bounds.partition_point(|b| *b <= c.at[i]) - 1;
                let base = (period, 0, c.op[i], c.code[i], c.currency[i]);
                for (g, dim) in groups.iter_mut().zip(dims) {
                    let value = match dim {
                        Dim::Total => 0,
                        Dim::Brand if c.brand[i] == NO_BRAND => 0,
                        Dim::Brand => u32::from(c.brand[i]) + 1,
                        Dim::Terminal => c.terminal[i],
                        Dim::CardCountry | Dim::IpCountry => continue,
                    };
                    add(g, (base.0, value, base.2, base.3, base.4), c.amount[i]);
                }
                if countries {
                    pending.push((i as u64 + 1, base, c.amount[i]));
                }
            }
        })?;
        let too_many = pending.len() as u64 > limit;
        if countries && !too_many {
            self.add_countries(dims, pending.as_slice(), &mut groups)?;
        }
        let rows = pending.len() as u64;
        Ok(groups
            .into_iter()
            .zip(dims)
            .map(|(g, d)| {
                if too_many && is_country(*d) {
                    Err(Error::TooManyRows { rows, limit })
                } else {
                    Ok(cells_of(g))
                }
            })
            .collect())
    }

    /// Adds the rows `pending` (id, group without its value, amount) to the groups of
    /// the country dimensions among `dims`, reading each row's record once.
    fn add_countries(
        &self,
        dims: &[Dim],
        pending: &[(u64, Key, i64)],
        groups: &mut [Groups],
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        // Newest first, as `fetch_desc` reads a dense run in one walk.
        let ids: Vec<u64> = pending.iter().rev().map(|p| p.0).collect();
        let txs: HashMap<u64, Transaction> = self
            .fetch_desc(&ids)?
            .into_iter()
            .map(|tx| (tx.id, tx))
            .collect();
        for (id, k, amount) in pending {
            let tx = txs.get(id).ok_or(Error::Corrupt {
                table: "transactions",
                detail: format!("row {id} of the column store has no transaction"),
            })?;
            for (g, dim) in groups.iter_mut().zip(dims) {
                if is_country(*dim) {
                    add(g, (k.0, dim.value_of(tx), k.2, k.3, k.4), *amount);
                }
            }
        }
        Ok(())
    }

    /// Every cell of the Statistics screen for `q` and `merchant` (see
    /// [`Db::figures`]): the periods from the rollups of the one dimension filtered
    /// on (or a scan when both a terminal and a brand are), each split from its
    /// rollups when no other dimension is filtered, else from a scan. A country split
    /// past the scan's limit is [`Split::TooMany`], not an error.
    pub fn statistics(
        &self,
        scope: Scope,
        merchant: Option<u64>,
        q: &StatsQuery,
    ) -> Result<StatCells> {
        let rollup = |dim: Dim, value: Option<u32>, bounds: Vec<i64>| {
            self.figures(
                scope,
                &RollupQuery {
                    merchant,
                    dim,
                    value,
                    bounds,
                },
            )
        };
        let brand = q.brand.map(|b| brand_value(Some(b)));
        let periods = match (q.terminal, brand) {
            (None, None) => rollup(Dim::Total, None, q.bounds.clone())?,
            (Some(t), None) => rollup(Dim::Terminal, Some(t), q.bounds.clone())?,
            (None, Some(b)) => rollup(Dim::Brand, Some(b), q.bounds.clone())?,
            (Some(_), Some(_)) => {
                self.figures_scan(scope, merchant, &q.bounds, q.terminal, q.brand, Dim::Total)?
            }
        };
        let whole = q.period_bounds();
        // The splits the rollups answer exactly; the others in one scan.
        let exact = |dim: Dim| match (q.terminal, brand) {
            (None, None) => Some(None),
            (Some(t), None) if dim == Dim::Terminal => Some(Some(t)),
            (None, Some(b)) if dim == Dim::Brand => Some(Some(b)),
            _ => None,
        };
        let scanned: Vec<Dim> = TableKey::SPLITS
            .into_iter()
            .map(dim_of)
            .filter(|d| exact(*d).is_none())
            .collect();
        let mut scans = self
            .figures_scan_many(
                scope,
                merchant,
                &whole,
                (q.terminal, q.brand),
                &scanned,
                COUNTRY_SCAN_LIMIT,
            )?
            .into_iter();
        let mut splits = Vec::new();
        for key in TableKey::SPLITS {
            let dim = dim_of(key);
            let cells = match exact(dim) {
                Some(value) => rollup(dim, value, whole.clone()),
                None => scans.next().unwrap_or(Ok(Vec::new())),
            };
            let split = match cells {
                Ok(c) => Split::Cells(c),
                Err(Error::TooManyRows { rows, limit }) => Split::TooMany { rows, limit },
                Err(e) => return Err(e),
            };
            splits.push((key, split));
        }
        Ok(StatCells { periods, splits })
    }
}
