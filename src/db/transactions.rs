//! Transactions with their indexes and quarter-hour rollups, always written together.

use redb::{ReadableTable, ReadableTableMetadata};

use super::Tx;
use super::columns::Row;
use super::tables::{
    FIELD_VALUE_TX_ID, MERCHANT_ID_TX_ID, PARENT_ID_CHILD_ID, TX_ID_TO_COLS, TX_ID_TO_TX,
};
use super::{Db, Error, Result, Scope, codec, next_id, peek_id};
use crate::domain::text::fold;
use crate::domain::transaction::Transaction;

/// The text fields with their own index (rare filters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    OrderId = 1,
    Email = 2,
    Holder = 3,
    BuyerName = 4,
    Last4 = 5,
    Account = 7,
}

impl Field {
    /// The folded values a transaction has for each indexed field (empty ones left out).
    pub fn values(tx: &Transaction) -> Vec<(Field, String)> {
        let mut out = vec![
            (Field::OrderId, fold(&tx.sale.order_id)),
            (Field::Email, fold(&tx.buyer.email)),
            (Field::BuyerName, fold(&tx.buyer.name)),
            (Field::Account, tx.initiator.merchant_account.clone()),
        ];
        if let Some(card) = &tx.card {
            out.push((Field::Holder, fold(&card.holder)));
            out.push((Field::Last4, card.last4.clone()));
        }
        out.retain(|(_, v)| !v.is_empty());
        out
    }
}

/// Writes transactions whose `id` is 0 with fresh ids (in time order), their index
/// entries and rollup counters, all in `wtx`. Returns the ids given.
/// A transaction dated before the latest one is moved to the latest time, so that
/// id order stays time order.
pub fn insert_many(wtx: &Tx, txs: &mut [Transaction]) -> Result<()> {
    let mut records = wtx.open_table(TX_ID_TO_TX)?;
    let mut cols = wtx.open_table(TX_ID_TO_COLS)?;
    let mut by_merchant = wtx.open_table(MERCHANT_ID_TX_ID)?;
    let mut by_parent = wtx.open_table(PARENT_ID_CHILD_ID)?;
    let mut by_field = wtx.open_table(FIELD_VALUE_TX_ID)?;
    // Ids grow with time: the last row is the latest.
    let mut latest = match records.last()? {
        Some((_, v)) => codec::decode::<Transaction>("transactions", v.value())?.at,
        None => i64::MIN,
    };
    for tx in txs.iter_mut() {
        if tx.id != 0 {
            return Err(Error::IdAlreadySet {
                kind: "transaction",
                id: tx.id,
            });
        }
        tx.id = next_id(wtx, "next_tx_id", 1)?;
        tx.at = tx.at.max(latest);
        latest = tx.at;
        records.insert(tx.id, codec::encode(tx)?.as_slice())?;
        cols.insert(tx.id, Row::of(tx).encode().as_slice())?;
        by_merchant.insert((tx.merchant_id, tx.id), ())?;
        if let Some(parent) = tx.parent_id {
            by_parent.insert((parent, tx.id), ())?;
        }
        for (field, value) in Field::values(tx) {
            by_field.insert((field as u8, value.as_str(), tx.id), ())?;
        }
    }
    super::rollups::add(wtx, txs)
}

/// Reads a transaction inside a write transaction (for checked operations).
pub fn get_in(wtx: &Tx, id: u64) -> Result<Option<Transaction>> {
    let t = wtx.open_table(TX_ID_TO_TX)?;
    let v = t.get(id)?;
    v.map(|v| codec::decode("transactions", v.value()))
        .transpose()
}

/// The transactions that follow `id` (captures, refunds, …), oldest first.
pub fn children_in(wtx: &Tx, id: u64) -> Result<Vec<Transaction>> {
    let idx = wtx.open_table(PARENT_ID_CHILD_ID)?;
    let t = wtx.open_table(TX_ID_TO_TX)?;
    let mut out = Vec::new();
    for row in idx.range((id, 0)..=(id, u64::MAX))? {
        let child = row?.0.value().1;
        if let Some(v) = t.get(child)? {
            out.push(codec::decode("transactions", v.value())?);
        }
    }
    Ok(out)
}

impl Db {
    /// A transaction, if it exists and is visible in `scope`.
    pub fn transaction(&self, scope: Scope, id: u64) -> Result<Option<Transaction>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let tx: Option<Transaction> = t
            .get(id)?
            .map(|v| codec::decode("transactions", v.value()))
            .transpose()?;
        Ok(tx.filter(|tx| scope.allows(tx.merchant_id)))
    }

    /// Writes one batch of new transactions durably (see [`insert_many`]).
    pub fn insert_transactions(&self, txs: &mut [Transaction]) -> Result<()> {
        let wtx = self.begin_write()?;
        insert_many(&wtx, txs)?;
        wtx.commit()?;
        Ok(())
    }

    /// The newest transactions visible in `scope`, newest first.
    pub fn latest_transactions(&self, scope: Scope, limit: usize) -> Result<Vec<Transaction>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let mut out = Vec::with_capacity(limit);
        let ids: Vec<u64> = match scope {
            Scope::Admin => {
                let mut ids = Vec::with_capacity(limit);
                for row in t.iter()?.rev().take(limit) {
                    ids.push(row?.0.value());
                }
                ids
            }
            Scope::Merchant(m) => {
                let idx = rtx.open_table(MERCHANT_ID_TX_ID)?;
                let mut ids = Vec::with_capacity(limit);
                for row in idx.range((m, 0)..=(m, u64::MAX))?.rev().take(limit) {
                    ids.push(row?.0.value().1);
                }
                ids
            }
        };
        for id in ids {
            if let Some(v) = t.get(id)? {
                out.push(codec::decode("transactions", v.value())?);
            }
        }
        Ok(out)
    }

    /// The transactions that follow `id` and are visible in `scope`, oldest first.
    pub fn children(&self, scope: Scope, id: u64) -> Result<Vec<Transaction>> {
        let rtx = self.begin_read()?;
        let idx = rtx.open_table(PARENT_ID_CHILD_ID)?;
        let t = rtx.open_table(TX_ID_TO_TX)?;
        let mut out = Vec::new();
        for row in idx.range((id, 0)..=(id, u64::MAX))? {
            let child = row?.0.value().1;
            if let Some(v) = t.get(child)? {
                let tx: Transaction = codec::decode("transactions", v.value())?;
                if scope.allows(tx.merchant_id) {
                    out.push(tx);
                }
            }
        }
        Ok(out)
    }

    /// How many transactions are stored.
    pub fn transaction_count(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(TX_ID_TO_TX)?.len()?)
    }

    /// The id the next transaction will get.
    pub fn next_transaction_id(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(peek_id(&rtx, "next_tx_id")?.unwrap_or(1))
    }
}
