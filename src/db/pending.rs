//! Operations with the acquirer (see `domain::pending`): recorded durably before the
//! call, removed with the row that settles them.

use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::{PENDING_OPS, PENDING_PAYMENTS};
use super::{Db, Result, Tx, codec};
use crate::domain::pending::{PendingOp, PendingPayment};

/// Records `p` (its id set here) in `wtx`.
pub fn insert_in(wtx: &Tx, p: &mut PendingOp) -> Result<()> {
    let mut t = wtx.open_table(PENDING_OPS)?;
    let next = t.last()?.map_or(1, |(k, _)| k.value() + 1);
    p.id = next;
    t.insert(next, codec::encode(p)?.as_slice())?;
    Ok(())
}

/// Removes pending operation `id` (its row is being written in `wtx`).
pub fn remove_in(wtx: &Tx, id: u64) -> Result<()> {
    wtx.open_table(PENDING_OPS)?.remove(id)?;
    Ok(())
}

/// The pending operation on transaction `original`, if any (the table holds the
/// few operations with the acquirer at this moment).
pub fn of_original_in(wtx: &Tx, original: u64) -> Result<Option<PendingOp>> {
    let t = wtx.open_table(PENDING_OPS)?;
    for row in t.iter()? {
        let p: PendingOp = codec::decode("pending_ops", row?.1.value())?;
        if p.original == original {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// Records payment `p` (its id set here), durably, in a write of its own (grouped
/// with the writes running meanwhile, see [`Db::write`]).
pub fn insert_payment(db: &Db, p: &mut PendingPayment) -> Result<()> {
    p.id = db.write(|wtx| {
        let mut t = wtx.open_table(PENDING_PAYMENTS)?;
        let next = t.last()?.map_or(1, |(k, _)| k.value() + 1);
        let row = PendingPayment {
            id: next,
            ..p.clone()
        };
        t.insert(next, codec::encode(&row)?.as_slice())?;
        Ok(next)
    })?;
    Ok(())
}

/// Removes pending payment `id` (its rows are being written in `wtx`).
pub fn remove_payment_in(wtx: &Tx, id: u64) -> Result<()> {
    wtx.open_table(PENDING_PAYMENTS)?.remove(id)?;
    Ok(())
}

impl Db {
    /// Every pending payment, oldest first.
    pub fn pending_payments(&self) -> Result<Vec<PendingPayment>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(PENDING_PAYMENTS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            out.push(codec::decode("pending_payments", row?.1.value())?);
        }
        Ok(out)
    }

    /// Every pending operation, oldest first.
    pub fn pending_ops(&self) -> Result<Vec<PendingOp>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(PENDING_OPS)?;
        let mut out = Vec::with_capacity(usize::try_from(t.len()?).unwrap_or(0));
        for row in t.iter()? {
            out.push(codec::decode("pending_ops", row?.1.value())?);
        }
        Ok(out)
    }
}

/// `guichet check`: an operation left with the acquirer by a stop (the next start
/// settles it), as a sentence.
pub(super) fn problems(rtx: &redb::ReadTransaction) -> Result<Vec<String>> {
    let t = rtx.open_table(PENDING_OPS)?;
    let mut out = Vec::new();
    for row in t.iter()? {
        let p: PendingOp = codec::decode("pending_ops", row?.1.value())?;
        out.push(format!(
            "operation {} of transaction {} (asked at {}) was sent to the acquirer and not written: the next start settles it",
            p.operation.key(),
            p.original,
            p.requested_at
        ));
    }
    for row in rtx.open_table(PENDING_PAYMENTS)?.iter()? {
        let p: PendingPayment = codec::decode("pending_payments", row?.1.value())?;
        out.push(format!(
            "a payment of request {} (sent at {}) reached the acquirer and was not written: the next start settles it",
            p.request_id, p.sent_at
        ));
    }
    Ok(out)
}
