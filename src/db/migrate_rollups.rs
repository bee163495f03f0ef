//! Schema 2 or 3 → 4: the quarter-hour running totals (`rollups`) are (re)built from
//! the rows already in the file (schema 3's buyer-country dimension was the country
//! typed at payment; schema 4's is the IP address's). The column store lacks the card and buyer countries, so the
//! rows themselves are read, in id order (time order), in chunks of
//! [`CHUNK`] rows per write transaction; only the last one, which records the schema,
//! is durable. A crash before it leaves the old schema and the next open starts over
//! from an emptied table.

use redb::{Database, ReadableTable};

use super::tables::{META, ROLLUP, TX_ID_TO_TX};
use super::{Result, SCHEMA_VERSION, Tx, codec, rollups, tables};
use crate::domain::transaction::Transaction;

/// Rows read and added per write transaction.
const CHUNK: u64 = 20_000;

/// Empties the rollups and adds every row of the file to them, in `wtx`. Returns
/// the rows added.
pub(crate) fn build_in(wtx: &Tx) -> Result<u64> {
    clear(wtx)?;
    let (mut n, mut last) = (0, 0);
    while let Some((added, id)) = add_chunk(wtx, last)? {
        n += added;
        last = id;
    }
    Ok(n)
}

/// Builds the rollups of a schema-2 or 3 file anew and records the current schema.
/// Returns the rows added.
pub(crate) fn rebuild(db: &Database) -> Result<u64> {
    let started = std::time::Instant::now();
    let mut wtx = Tx(db.begin_write()?);
    wtx.set_not_durable()?;
    tables::create_all(&wtx)?;
    clear(&wtx)?;
    wtx.commit()?;
    let (mut n, mut last) = (0, 0);
    loop {
        let mut wtx = Tx(db.begin_write()?);
        match add_chunk(&wtx, last)? {
            Some((added, id)) => {
                n += added;
                last = id;
                wtx.set_not_durable()?;
                wtx.commit()?;
            }
            None => {
                wtx.open_table(META)?
                    .insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                wtx.set_durable()?;
                wtx.commit()?;
                break;
            }
        }
    }
    tracing::info!(
        rows = n,
        seconds = started.elapsed().as_secs_f64(),
        "migrated the data file to schema {SCHEMA_VERSION}: quarter-hour rollups built from the rows"
    );
    Ok(n)
}

fn clear(wtx: &Tx) -> Result<()> {
    wtx.delete_table(ROLLUP)?;
    wtx.open_table(ROLLUP)?;
    Ok(())
}

/// Adds up to [`CHUNK`] rows with ids after `after`: (rows added, last id), or
/// `None` when there are none left.
fn add_chunk(wtx: &Tx, after: u64) -> Result<Option<(u64, u64)>> {
    let txs: Vec<Transaction> = {
        let t = wtx.open_table(TX_ID_TO_TX)?;
        let mut out = Vec::new();
        for row in t.range(after.saturating_add(1)..)?.take(CHUNK as usize) {
            out.push(codec::decode("transactions", row?.1.value())?);
        }
        out
    };
    let Some(last) = txs.last().map(|t| t.id) else {
        return Ok(None);
    };
    rollups::add(wtx, &txs)?;
    Ok(Some((txs.len() as u64, last)))
}
