//! The durable email outbox (LINK-5): a message is written in the same transaction as
//! what it announces, then sent by the mail worker, retried with back-off, each
//! attempt recorded.

use redb::ReadableTable;

use super::Tx;
use super::tables::{MAIL_DUE_AT_ID, MAIL_ID_TO_MAIL};
use super::{Db, Result, codec, next_id};
use crate::domain::payment::{RequestStatus, redact_payment_links};

pub use crate::domain::outbox::{Mail, MailAttempt, MailKind, MailState};

/// Withdraws the payment-link messages among `ids` that are still waiting: they are
/// given up (with `reason` as their last attempt) and keep no link. Used when a new
/// link or a cancellation makes the link they carry useless. Returns how many.
pub fn withdraw_links(wtx: &Tx, ids: &[u64], now: i64, reason: &str) -> Result<usize> {
    let mut t = wtx.open_table(MAIL_ID_TO_MAIL)?;
    let mut due = wtx.open_table(MAIL_DUE_AT_ID)?;
    let mut n = 0;
    for id in ids {
        let found: Option<Mail> = t
            .get(*id)?
            .map(|v| codec::decode("outbox", v.value()))
            .transpose()?;
        let Some(mut mail) =
            found.filter(|m| m.state == MailState::Pending && m.kind == MailKind::PaymentLink)
        else {
            continue;
        };
        due.remove((mail.next_at, mail.id))?;
        mail.attempts.push(MailAttempt {
            at: now,
            error: Some(reason.to_string()),
        });
        mail.state = MailState::Failed;
        mail.text = redact_payment_links(&mail.text);
        mail.html = redact_payment_links(&mail.html);
        t.insert(mail.id, codec::encode(&mail)?.as_slice())?;
        n += 1;
    }
    Ok(n)
}

/// Queues a message (its `id` must be 0) for sending at once; returns its id.
pub fn enqueue(wtx: &Tx, mail: &mut Mail) -> Result<u64> {
    mail.id = next_id(wtx, "next_mail_id", 1)?;
    mail.state = MailState::Pending;
    mail.next_at = mail.created_at;
    wtx.open_table(MAIL_DUE_AT_ID)?
        .insert((mail.next_at, mail.id), ())?;
    wtx.open_table(MAIL_ID_TO_MAIL)?
        .insert(mail.id, codec::encode(mail)?.as_slice())?;
    Ok(mail.id)
}

impl Db {
    /// Withdraws the payment-link messages due at `due_at` whose request can no
    /// longer be paid at `now` (expired, or gone): the worker calls this before
    /// sending, so no link email leaves for a request that cannot be paid.
    pub fn withdraw_unpayable_links(
        &self,
        now: time::OffsetDateTime,
        due_at: i64,
    ) -> Result<usize> {
        let wtx = self.begin_write()?;
        let mut stale = Vec::new();
        {
            let due = wtx.open_table(MAIL_DUE_AT_ID)?;
            let t = wtx.open_table(MAIL_ID_TO_MAIL)?;
            for row in due.range(..=(due_at, u64::MAX))? {
                let id = row?.0.value().1;
                let Some(v) = t.get(id)? else { continue };
                let mail: Mail = codec::decode("outbox", v.value())?;
                if mail.kind != MailKind::PaymentLink {
                    continue;
                }
                let payable = super::payments::get_in(&wtx, mail.request_id)?
                    .is_some_and(|r| r.status(now) == RequestStatus::Waiting);
                if !payable {
                    stale.push(id);
                }
            }
        }
        if stale.is_empty() {
            return Ok(0);
        }
        let n = withdraw_links(
            &wtx,
            &stale,
            now.unix_timestamp(),
            "not sent: the request can no longer be paid",
        )?;
        wtx.commit()?;
        Ok(n)
    }

    /// Pending messages due at `now`, oldest first.
    pub fn due_mails(&self, now: i64, limit: usize) -> Result<Vec<Mail>> {
        let rtx = self.begin_read()?;
        let due = rtx.open_table(MAIL_DUE_AT_ID)?;
        let t = rtx.open_table(MAIL_ID_TO_MAIL)?;
        let mut out = Vec::new();
        for row in due.range(..=(now, u64::MAX))?.take(limit) {
            let id = row?.0.value().1;
            if let Some(v) = t.get(id)? {
                out.push(codec::decode("outbox", v.value())?);
            }
        }
        Ok(out)
    }

    /// Records an attempt: sent, or pending again at `retry_at`, or failed (`None`).
    pub fn record_mail_attempt(
        &self,
        id: u64,
        attempt: MailAttempt,
        retry_at: Option<i64>,
    ) -> Result<Option<Mail>> {
        // Grouped with the payments being written (see `Db::write`).
        self.write(|wtx| {
            let attempt = attempt.clone();
            let mut t = wtx.open_table(MAIL_ID_TO_MAIL)?;
            let mut due = wtx.open_table(MAIL_DUE_AT_ID)?;
            let found: Option<Mail> = t
                .get(id)?
                .map(|v| codec::decode("outbox", v.value()))
                .transpose()?;
            match found {
                Some(mut mail) if mail.state == MailState::Pending => {
                    due.remove((mail.next_at, mail.id))?;
                    let sent = attempt.error.is_none();
                    mail.attempts.push(attempt);
                    match (sent, retry_at) {
                        (true, _) => mail.state = MailState::Sent,
                        (false, Some(at)) => {
                            mail.next_at = at;
                            due.insert((at, mail.id), ())?;
                        }
                        (false, None) => mail.state = MailState::Failed,
                    }
                    if mail.state != MailState::Pending && mail.kind == MailKind::PaymentLink {
                        // Done with: the outbox keeps no usable link (L8).
                        mail.text = redact_payment_links(&mail.text);
                        mail.html = redact_payment_links(&mail.html);
                    }
                    if mail.state != MailState::Pending && mail.kind == MailKind::Welcome {
                        use crate::domain::welcome::redact_welcome_links;
                        mail.text = redact_welcome_links(&mail.text);
                        mail.html = redact_welcome_links(&mail.html);
                    }
                    t.insert(mail.id, codec::encode(&mail)?.as_slice())?;
                    Ok(Some(mail))
                }
                _ => Ok(None),
            }
        })
    }

    pub fn mail(&self, id: u64) -> Result<Option<Mail>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(MAIL_ID_TO_MAIL)?;
        t.get(id)?
            .map(|v| codec::decode("outbox", v.value()))
            .transpose()
    }

    /// Messages newest first, older than `before` when given.
    pub fn mails(&self, before: Option<u64>, limit: usize) -> Result<Vec<Mail>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(MAIL_ID_TO_MAIL)?;
        let mut out = Vec::new();
        for row in t.range(..before.unwrap_or(u64::MAX))?.rev().take(limit) {
            out.push(codec::decode("outbox", row?.1.value())?);
        }
        Ok(out)
    }

    /// How many messages wait for sending.
    pub fn pending_mail_count(&self) -> Result<u64> {
        use redb::ReadableTableMetadata;
        let rtx = self.begin_read()?;
        Ok(rtx.open_table(MAIL_DUE_AT_ID)?.len()?)
    }
}
