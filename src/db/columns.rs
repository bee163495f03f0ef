//! An in-memory column store of the few fields the transaction search filters on
//! and totals (time, merchant, terminal, operation, code, amount, card brand, BIN,
//! last 4, currency): 35 bytes a row, so 10 million rows scan in tens of
//! milliseconds. Row `i` is transaction id `i + 1` (ids are dense and in time
//! order). Each row is also kept in `TX_ID_TO_COLS`, written with the transaction,
//! so loading is a fast read.
//!
//! Rows written before the currency was kept are 34 bytes: they still decode, and
//! `Store::sync` fills their currency from the transaction itself (one lookup per
//! such row, once per process).

use std::sync::RwLock;

use redb::ReadableDatabase;

use super::tables::TX_ID_TO_COLS;
use super::tables::TX_ID_TO_TX;
use super::{Error, Result, codec, peek_id};
use crate::domain::card::Brand;
use crate::domain::money::Currency;
use crate::domain::transaction::Transaction;

pub const NO_BRAND: u8 = u8::MAX;
pub const NO_LAST4: u16 = u16::MAX;
pub const NO_BIN: u32 = u32::MAX;
/// A row of a data file written before the currency was kept (see `Store::sync`).
pub const NO_CURRENCY: u8 = u8::MAX;
const ROW_BYTES: usize = 35;
/// The rows written before the currency byte: the same fields, without it.
const OLD_ROW_BYTES: usize = 34;

/// The filter fields of one transaction, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub at: i64,
    pub merchant: u32,
    pub terminal: u32,
    pub amount: i64,
    pub code: u16,
    pub op: u8,
    pub brand: u8,
    pub bin: u32,
    pub last4: u16,
    /// The currency's place in `Currency::ALL`, or [`NO_CURRENCY`] (an old row).
    pub currency: u8,
}

/// The place of `c` in `Currency::ALL`, as the column store keeps it (never
/// [`NO_CURRENCY`]: the table holds fewer than 255 currencies).
pub fn currency_index(c: Currency) -> u8 {
    c.index()
}

impl Row {
    pub fn of(tx: &Transaction) -> Row {
        let card = tx.card.as_ref();
        Row {
            at: tx.at,
            merchant: u32::try_from(tx.merchant_id).unwrap_or(u32::MAX),
            terminal: tx.initiator.terminal,
            amount: tx.amount.minor(),
            code: tx.code.value(),
            op: tx.operation.index(),
            brand: card
                .and_then(|c| c.brand)
                .and_then(|b| Brand::ALL.iter().position(|x| *x == b))
                .map_or(NO_BRAND, |i| i as u8),
            bin: card.and_then(|c| c.bin.parse().ok()).unwrap_or(NO_BIN),
            last4: card.and_then(|c| c.last4.parse().ok()).unwrap_or(NO_LAST4),
            currency: currency_index(tx.currency),
        }
    }

    pub fn encode(&self) -> [u8; ROW_BYTES] {
        let mut b = [0u8; ROW_BYTES];
        b[0..8].copy_from_slice(&self.at.to_le_bytes());
        b[8..12].copy_from_slice(&self.merchant.to_le_bytes());
        b[12..16].copy_from_slice(&self.terminal.to_le_bytes());
        b[16..24].copy_from_slice(&self.amount.to_le_bytes());
        b[24..26].copy_from_slice(&self.code.to_le_bytes());
        b[26] = self.op;
        b[27] = self.brand;
        b[28..32].copy_from_slice(&self.bin.to_le_bytes());
        b[32..34].copy_from_slice(&self.last4.to_le_bytes());
        b[34] = self.currency;
        b
    }

    /// A 35-byte row, or a 34-byte one written before the currency was kept (its
    /// currency is then [`NO_CURRENCY`]); `None` for any other length.
    pub fn decode(b: &[u8]) -> Option<Row> {
        let currency = match b.len() {
            ROW_BYTES => b[34],
            OLD_ROW_BYTES => NO_CURRENCY,
            _ => return None,
        };
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let i64_at = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        Some(Row {
            at: i64_at(0),
            merchant: u32_at(8),
            terminal: u32_at(12),
            amount: i64_at(16),
            code: u16_at(24),
            op: b[26],
            brand: b[27],
            bin: u32_at(28),
            last4: u16_at(32),
            currency,
        })
    }
}

/// Struct-of-arrays: each filter scans only the columns it needs.
#[derive(Default)]
pub struct Columns {
    pub at: Vec<i64>,
    pub merchant: Vec<u32>,
    pub terminal: Vec<u32>,
    pub amount: Vec<i64>,
    pub code: Vec<u16>,
    pub op: Vec<u8>,
    pub brand: Vec<u8>,
    pub bin: Vec<u32>,
    pub last4: Vec<u16>,
    pub currency: Vec<u8>,
}

impl Columns {
    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    fn push(&mut self, r: Row) {
        self.at.push(r.at);
        self.merchant.push(r.merchant);
        self.terminal.push(r.terminal);
        self.amount.push(r.amount);
        self.code.push(r.code);
        self.op.push(r.op);
        self.brand.push(r.brand);
        self.bin.push(r.bin);
        self.last4.push(r.last4);
        self.currency.push(r.currency);
    }

    /// Row positions whose time is in `[from, to)`: times are sorted, so two binary searches.
    pub fn time_range(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        let lo = self.at.partition_point(|&t| t < from);
        let hi = self.at.partition_point(|&t| t < to);
        lo..hi.max(lo)
    }
}

/// The shared store, brought up to date with the data file before each use.
#[derive(Default)]
pub struct Store {
    cols: RwLock<Columns>,
}

impl Store {
    /// Reads the rows committed since the last sync (all of them the first time).
    pub fn sync(&self, db: &redb::Database) -> Result<()> {
        let rtx = db.begin_read()?;
        let committed = peek_id(&rtx, "next_tx_id")?.unwrap_or(1).saturating_sub(1);
        let have = self.cols.read().map(|c| c.len() as u64).unwrap_or(0);
        if have >= committed {
            return Ok(());
        }
        let mut cols = self.cols.write().map_err(|_| Error::Poisoned)?;
        let start = cols.len() as u64 + 1;
        let table = rtx.open_table(TX_ID_TO_COLS)?;
        let txs = rtx.open_table(TX_ID_TO_TX)?;
        for row in table.range(start..)? {
            let (k, v) = row?;
            let id = k.value();
            let mut r = Row::decode(v.value()).ok_or(Error::Corrupt {
                table: "tx_cols",
                detail: format!("row {id}"),
            })?;
            if r.currency == NO_CURRENCY {
                // An old 34-byte row: its currency is the transaction's.
                let tx = txs.get(id)?.ok_or(Error::Corrupt {
                    table: "tx_cols",
                    detail: format!("row {id} has no transaction"),
                })?;
                let tx: Transaction = codec::decode("transactions", tx.value())?;
                r.currency = currency_index(tx.currency);
            }
            if id != cols.len() as u64 + 1 {
                return Err(Error::Corrupt {
                    table: "tx_cols",
                    detail: format!("id {id} is not dense"),
                });
            }
            cols.push(r);
        }
        Ok(())
    }

    /// Runs `f` on the columns, read-locked.
    pub fn with<T>(&self, f: impl FnOnce(&Columns) -> T) -> Result<T> {
        let cols = self.cols.read().map_err(|_| Error::Poisoned)?;
        Ok(f(&cols))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_their_bytes() {
        let r = Row {
            at: 1_700_000_000,
            merchant: 7,
            terminal: 21114,
            amount: 700_100,
            code: 51,
            op: 2,
            brand: 0,
            bin: 411111,
            last4: 1111,
            currency: 1,
        };
        assert_eq!(Row::decode(&r.encode()), Some(r));
        assert_eq!(Row::decode(&[0u8; 3]), None);
    }

    #[test]
    fn a_row_written_before_the_currency_was_kept_still_decodes_without_one() {
        let r = Row {
            at: 1_700_000_000,
            merchant: 7,
            terminal: 21114,
            amount: 700_100,
            code: 51,
            op: 2,
            brand: 0,
            bin: 411111,
            last4: 1111,
            currency: 2,
        };
        let old = &r.encode()[..34];
        assert_eq!(
            Row::decode(old),
            Some(Row {
                currency: NO_CURRENCY,
                ..r
            })
        );
        assert_eq!(Row::decode(&[0u8; 36]), None);
    }

    #[test]
    fn time_ranges_come_from_binary_search() {
        let mut c = Columns::default();
        for at in [10, 20, 20, 30, 40] {
            c.push(Row {
                at,
                merchant: 1,
                terminal: 0,
                amount: 0,
                code: 0,
                op: 0,
                brand: NO_BRAND,
                bin: NO_BIN,
                last4: NO_LAST4,
                currency: 0,
            });
        }
        assert_eq!(c.time_range(20, 31), 1..4);
        assert_eq!(c.time_range(41, 50), 5..5);
        assert_eq!(c.time_range(0, 10), 0..0);
    }
}
