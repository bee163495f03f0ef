//! One-time keys of confirmed operation forms: a key remembers the transaction its
//! first submit wrote, so a second submit of the same confirmation writes nothing.

use redb::ReadableTable;

use super::tables::OP_KEY_TO_TX_ID;
use super::{Result, Tx};

/// The transaction written by the operation submitted with `key`, if any.
pub fn find(wtx: &Tx, key: &str) -> Result<Option<u64>> {
    Ok(wtx
        .open_table(OP_KEY_TO_TX_ID)?
        .get(key)?
        .map(|v| v.value()))
}

/// Remembers that the operation submitted with `key` wrote transaction `tx_id`, in
/// the transaction that writes it.
pub fn remember(wtx: &Tx, key: &str, tx_id: u64) -> Result<()> {
    wtx.open_table(OP_KEY_TO_TX_ID)?.insert(key, tx_id)?;
    Ok(())
}
