//! The background queues as the appliance's figures see them (issue 16): the email
//! outbox and the callbacks to the shops, each read from its due index only — its
//! length and its first row — so a scrape costs the same at any volume.

use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::{CALLBACK_DUE_AT_ID, MAIL_DUE_AT_ID};
use super::{Db, Result};
use crate::domain::system::Queue;

impl Db {
    /// The outbox and the callback queue, in one read transaction.
    pub fn queues(&self) -> Result<(Queue, Queue)> {
        let rtx = self.begin_read()?;
        let mail = rtx.open_table(MAIL_DUE_AT_ID)?;
        let outbox = Queue {
            depth: mail.len()?,
            first_due_at: mail.first()?.map(|(k, _)| k.value().0),
        };
        let due = rtx.open_table(CALLBACK_DUE_AT_ID)?;
        let callbacks = Queue {
            depth: due.len()?,
            first_due_at: due.first()?.map(|(k, _)| k.value().0),
        };
        Ok((outbox, callbacks))
    }
}

#[cfg(test)]
mod tests {
    use crate::db::Db;
    use crate::db::tables::MAIL_DUE_AT_ID;

    #[test]
    fn the_queues_give_their_length_and_first_due_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("g.redb")).unwrap();
        let (outbox, callbacks) = db.queues().unwrap();
        assert_eq!((outbox.depth, outbox.first_due_at), (0, None));
        assert_eq!((callbacks.depth, callbacks.first_due_at), (0, None));
        db.write(|wtx| {
            let mut due = wtx.open_table(MAIL_DUE_AT_ID)?;
            due.insert((500, 2), ())?;
            due.insert((200, 7), ())?;
            Ok(())
        })
        .unwrap();
        let (outbox, _) = db.queues().unwrap();
        assert_eq!((outbox.depth, outbox.first_due_at), (2, Some(200)));
    }
}
