//! Per-transaction notes, history (who did what, when, from where) and journal
//! (processing steps with their codes).

use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::Serialize;

use super::tables::{TX_HISTORY, TX_JOURNAL, TX_NOTES};
use super::{Db, Result, codec};

pub use crate::domain::journal::JournalEntry;
pub use crate::domain::tx_log::{HistoryEntry, NoteEntry};

type Seq = redb::TableDefinition<'static, (u64, u64), &'static [u8]>;

fn append<T: Serialize>(wtx: &WriteTransaction, def: Seq, tx_id: u64, value: &T) -> Result<()> {
    let mut t = wtx.open_table(def)?;
    let next = t
        .range((tx_id, 0)..=(tx_id, u64::MAX))?
        .next_back()
        .transpose()?
        .map_or(0, |(k, _)| k.value().1 + 1);
    t.insert((tx_id, next), codec::encode(value).as_slice())?;
    Ok(())
}

pub fn add_history(wtx: &WriteTransaction, tx_id: u64, entry: &HistoryEntry) -> Result<()> {
    append(wtx, TX_HISTORY, tx_id, entry)
}

pub fn add_journal(wtx: &WriteTransaction, tx_id: u64, entry: &JournalEntry) -> Result<()> {
    append(wtx, TX_JOURNAL, tx_id, entry)
}

impl Db {
    fn read_seq<T: serde::de::DeserializeOwned>(
        &self,
        def: Seq,
        name: &'static str,
        tx_id: u64,
    ) -> Result<Vec<T>> {
        let rtx = self.inner.begin_read()?;
        let t = rtx.open_table(def)?;
        let mut out = Vec::new();
        for row in t.range((tx_id, 0)..=(tx_id, u64::MAX))? {
            out.push(codec::decode(name, row?.1.value())?);
        }
        Ok(out)
    }

    pub fn notes(&self, tx_id: u64) -> Result<Vec<NoteEntry>> {
        self.read_seq(TX_NOTES, "notes", tx_id)
    }

    pub fn history(&self, tx_id: u64) -> Result<Vec<HistoryEntry>> {
        self.read_seq(TX_HISTORY, "history", tx_id)
    }

    pub fn journal(&self, tx_id: u64) -> Result<Vec<JournalEntry>> {
        self.read_seq(TX_JOURNAL, "journal", tx_id)
    }

    /// Adds a note and its history line in one write.
    pub fn add_note(&self, tx_id: u64, note: &NoteEntry) -> Result<()> {
        let wtx = self.begin_write()?;
        append(&wtx, TX_NOTES, tx_id, note)?;
        let h = HistoryEntry {
            at: note.at,
            user: note.author.clone(),
            ip: note.ip.clone(),
            action: "note.add".into(),
            detail: String::new(),
        };
        add_history(&wtx, tx_id, &h)?;
        wtx.commit()?;
        Ok(())
    }
}
