//! The log of each transaction: notes (typed by users), history (who did what,
//! when, from where) and journal (processing steps with their codes).

use redb::{ReadableDatabase, ReadableTable};
use serde::Serialize;

use super::Tx;
use super::tables::{TX_HISTORY, TX_JOURNAL, TX_NOTES};
use super::{Db, Result, Scope, codec, transactions};
use crate::domain::actor::Actor;
use crate::domain::note::NoteText;

pub use crate::domain::tx_log::{HistoryEntry, NoteEntry};

impl NoteEntry {
    /// A note written by `actor`.
    pub fn by(actor: &Actor, text: impl Into<String>) -> NoteEntry {
        NoteEntry {
            at: actor.at,
            author: actor.user.clone(),
            ip: actor.ip.clone(),
            text: text.into(),
        }
    }
}

impl HistoryEntry {
    /// A History line: `actor` did `action` (`note.add`, `refund`, …).
    pub fn by(actor: &Actor, action: impl Into<String>, detail: impl Into<String>) -> HistoryEntry {
        HistoryEntry {
            at: actor.at,
            user: actor.user.clone(),
            ip: actor.ip.clone(),
            action: action.into(),
            detail: detail.into(),
        }
    }
}

pub use crate::domain::journal::JournalEntry;

type Seq = redb::TableDefinition<'static, (u64, u64), &'static [u8]>;

fn append<T: Serialize>(wtx: &Tx, def: Seq, tx_id: u64, value: &T) -> Result<()> {
    let mut t = wtx.open_table(def)?;
    let next = t
        .range((tx_id, 0)..=(tx_id, u64::MAX))?
        .next_back()
        .transpose()?
        .map_or(0, |(k, _)| k.value().1 + 1);
    t.insert((tx_id, next), codec::encode(value)?.as_slice())?;
    Ok(())
}

pub fn add_history(wtx: &Tx, tx_id: u64, entry: &HistoryEntry) -> Result<()> {
    append(wtx, TX_HISTORY, tx_id, entry)
}

pub fn add_journal(wtx: &Tx, tx_id: u64, entry: &JournalEntry) -> Result<()> {
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

    /// Adds a note by `actor` to transaction `tx_id` (visible in `scope`) and its
    /// `note.add` History line, in one write. `false` when the transaction is not
    /// visible (nothing written).
    pub fn add_note(
        &self,
        scope: Scope,
        tx_id: u64,
        text: NoteText,
        actor: &Actor,
    ) -> Result<bool> {
        let wtx = self.begin_write()?;
        if !transactions::get_in(&wtx, tx_id)?.is_some_and(|t| scope.allows(t.merchant_id)) {
            return Ok(false);
        }
        append(
            &wtx,
            TX_NOTES,
            tx_id,
            &NoteEntry::by(actor, text.into_string()),
        )?;
        add_history(&wtx, tx_id, &HistoryEntry::by(actor, "note.add", ""))?;
        wtx.commit()?;
        Ok(true)
    }
}
