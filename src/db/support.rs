//! Support tickets (issue 14, SUP-1): the tickets, their threads, the indexes by
//! merchant and by transaction, and who has not read a ticket's last message yet.
//! Each entry of a thread is one write transaction: ticket, message, indexes,
//! unread marks, the notification emails (outbox) and the audit line.

use std::collections::BTreeSet;

use redb::{ReadableTable, ReadableTableMetadata};

use super::audit::{self, AuditEntry};
use super::outbox::{Mail, enqueue};
use super::tables::{
    MERCHANT_ID_TICKET_ID, MERCHANT_TX_TICKET_ID, TICKET_ID_TO_TICKET, TICKET_MESSAGES,
    USER_ID_TO_USER, USER_ID_UNREAD_TICKET_ID,
};
use super::{Db, Error, Result, Scope, Tx, codec, next_id, transactions, users};
use crate::domain::actor::Actor;
use crate::domain::support::{
    Author, NewTicket, Refusal, Reply, Side, Ticket, TicketFilter, TicketMessage, TicketState,
};
use crate::domain::user::User;

/// Writes the notification of a new message to one recipient: the ticket, the
/// message and the recipient in, the email (in the recipient's language) out. The
/// handlers pass `mail::ticket::ticket_message` through it; `None` sends nothing
/// (the demo's tickets).
pub type Compose<'a> = &'a dyn Fn(&Ticket, &TicketMessage, &User) -> Option<Mail>;

pub use crate::domain::support::UNREAD_CAP;

fn get_in(wtx: &Tx, id: u64) -> Result<Option<Ticket>> {
    let t = wtx.open_table(TICKET_ID_TO_TICKET)?;
    let v = t.get(id)?;
    v.map(|v| codec::decode("tickets", v.value())).transpose()
}

fn put(wtx: &Tx, t: &Ticket) -> Result<()> {
    wtx.open_table(TICKET_ID_TO_TICKET)?
        .insert(t.id, codec::encode(t)?.as_slice())?;
    Ok(())
}

fn put_message(wtx: &Tx, m: &TicketMessage) -> Result<()> {
    wtx.open_table(TICKET_MESSAGES)?
        .insert((m.ticket_id, m.seq), codec::encode(m)?.as_slice())?;
    Ok(())
}

/// Who is told of `author_side`'s new message on `t`: every active admin for a
/// merchant's message; the user who opened the ticket (still active and still the
/// merchant's) for the support side's.
fn recipients(wtx: &Tx, t: &Ticket, author_side: Side) -> Result<Vec<User>> {
    match author_side {
        Side::Support => Ok(users::get(wtx, t.opened_by)?
            .filter(|u| !u.disabled && u.merchant_id() == Some(t.merchant_id))
            .into_iter()
            .collect()),
        Side::Merchant => {
            let table = wtx.open_table(USER_ID_TO_USER)?;
            let mut out = Vec::new();
            for row in table.iter()? {
                let u: User = codec::decode("users", row?.1.value())?;
                if u.is_admin() && !u.disabled {
                    out.push(u);
                }
            }
            Ok(out)
        }
    }
}

/// Marks `t` unread for the other side's recipients (read for its author) and
/// queues their emails. Returns how many emails were queued.
fn notify(
    wtx: &Tx,
    t: &Ticket,
    m: &TicketMessage,
    author: &User,
    compose: Compose,
) -> Result<usize> {
    let to = recipients(wtx, t, m.side)?;
    {
        let mut unread = wtx.open_table(USER_ID_UNREAD_TICKET_ID)?;
        for r in to.iter().filter(|r| r.id != author.id) {
            unread.insert((r.id, t.id), ())?;
        }
        unread.remove((author.id, t.id))?;
    }
    let mut queued = 0;
    for r in to
        .iter()
        .filter(|r| r.id != author.id && !r.email.trim().is_empty())
    {
        if let Some(mut mail) = compose(t, m, r) {
            enqueue(wtx, &mut mail)?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// `state=open→waiting` when the entry changed the state, else empty.
fn state_detail(from: TicketState, m: &TicketMessage) -> String {
    m.state
        .map(|to| format!("state={}→{}", from.key(), to.key()))
        .unwrap_or_default()
}

fn target(t: &Ticket) -> String {
    format!("ticket {}", t.id)
}

impl Db {
    /// Opens a ticket for `author`'s merchant with its first message, tells every
    /// active admin (unread mark, and an email through `compose` to those with an
    /// address) and audits it as `ticket.open`, in one transaction. `NotFound` when
    /// the author is no merchant's user or the transaction is not its merchant's.
    pub fn open_ticket(
        &self,
        new: NewTicket,
        author: &User,
        actor: &Actor,
        compose: Compose,
    ) -> Result<Ticket> {
        let merchant_id = author.merchant_id().ok_or(Error::NotFound)?;
        let wtx = self.begin_write()?;
        if let Some(tx) = new.transaction_id {
            transactions::get_in(&wtx, tx)?
                .filter(|t| t.merchant_id == merchant_id)
                .ok_or(Error::NotFound)?;
        }
        let (mut t, mut first) = Ticket::open(new, merchant_id, Author::of(author), actor.at);
        t.id = next_id(&wtx, "next_ticket_id", 1)?;
        first.ticket_id = t.id;
        put(&wtx, &t)?;
        put_message(&wtx, &first)?;
        wtx.open_table(MERCHANT_ID_TICKET_ID)?
            .insert((merchant_id, t.id), ())?;
        if let Some(tx) = t.transaction_id {
            wtx.open_table(MERCHANT_TX_TICKET_ID)?
                .insert((merchant_id, tx, t.id), ())?;
        }
        notify(&wtx, &t, &first, author, compose)?;
        let mut detail = format!("category={}", t.category.key());
        if let Some(tx) = t.transaction_id {
            detail.push_str(&format!(" transaction={tx}"));
        }
        let entry =
            AuditEntry::by(actor, "ticket.open", target(&t), Some(merchant_id)).with_detail(detail);
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(t)
    }

    /// Adds `author`'s message (already checked) to ticket `id`, with the state the
    /// support side chose (ignored for merchants), tells the other side
    /// (unread marks and emails through `compose`) and audits it as `ticket.message`
    /// (with the state change, if any), in one transaction. `Ok(Err(_))` when the
    /// ticket refuses it (closed): nothing is written. `NotFound` outside `scope`.
    pub fn post_ticket_message(
        &self,
        scope: Scope,
        id: u64,
        author: &User,
        reply: Reply,
        actor: &Actor,
        compose: Compose,
    ) -> Result<std::result::Result<Ticket, Refusal>> {
        let wtx = self.begin_write()?;
        let mut t = get_in(&wtx, id)?
            .filter(|t| scope.allows(t.merchant_id))
            .ok_or(Error::NotFound)?;
        let before = t.state;
        let m = match t.answer(Author::of(author), reply.body, reply.state, actor.at) {
            Ok(m) => m,
            Err(r) => return Ok(Err(r)),
        };
        put(&wtx, &t)?;
        put_message(&wtx, &m)?;
        notify(&wtx, &t, &m, author, compose)?;
        let entry = AuditEntry::by(actor, "ticket.message", target(&t), Some(t.merchant_id))
            .with_detail(state_detail(before, &m));
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Ok(t))
    }

    /// The support side (`author`, an admin) moves ticket `id` to `to` without a
    /// message; written in its thread and audited as `ticket.state`, in one
    /// transaction. `Ok(Err(_))` when refused (not the support side, same state).
    pub fn set_ticket_state(
        &self,
        id: u64,
        to: TicketState,
        author: &User,
        actor: &Actor,
    ) -> Result<std::result::Result<Ticket, Refusal>> {
        let wtx = self.begin_write()?;
        let mut t = get_in(&wtx, id)?.ok_or(Error::NotFound)?;
        let before = t.state;
        let m = match t.set_state(Author::of(author), to, actor.at) {
            Ok(m) => m,
            Err(r) => return Ok(Err(r)),
        };
        put(&wtx, &t)?;
        put_message(&wtx, &m)?;
        let entry = AuditEntry::by(actor, "ticket.state", target(&t), Some(t.merchant_id))
            .with_detail(state_detail(before, &m));
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Ok(t))
    }

    /// Ticket `id` if `scope` may see it.
    pub fn ticket(&self, scope: Scope, id: u64) -> Result<Option<Ticket>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TICKET_ID_TO_TICKET)?;
        let found: Option<Ticket> = t
            .get(id)?
            .map(|v| codec::decode("tickets", v.value()))
            .transpose()?;
        Ok(found.filter(|t| scope.allows(t.merchant_id)))
    }

    /// Ticket `id` and its thread, oldest entry first, if `scope` may see it.
    pub fn ticket_thread(
        &self,
        scope: Scope,
        id: u64,
    ) -> Result<Option<(Ticket, Vec<TicketMessage>)>> {
        let Some(ticket) = self.ticket(scope, id)? else {
            return Ok(None);
        };
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TICKET_MESSAGES)?;
        let mut thread = Vec::new();
        for row in t.range((id, 0)..=(id, u32::MAX))? {
            thread.push(codec::decode("ticket_messages", row?.1.value())?);
        }
        Ok(Some((ticket, thread)))
    }

    /// The tickets `scope` sees that pass `filter` at `now`, newest first, below
    /// ticket `before` when given, at most `limit`. A merchant's list (or an admin's
    /// filtered by merchant) reads that merchant's index only.
    pub fn tickets(
        &self,
        scope: Scope,
        filter: &TicketFilter,
        now: i64,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Ticket>> {
        let below = before.unwrap_or(u64::MAX);
        let rtx = self.begin_read()?;
        let t = rtx.open_table(TICKET_ID_TO_TICKET)?;
        let merchant = match scope {
            Scope::Merchant(m) => Some(m),
            Scope::Admin => filter.merchant,
        };
        let mut out = Vec::new();
        let mut keep = |bytes: &[u8]| -> Result<bool> {
            let ticket: Ticket = codec::decode("tickets", bytes)?;
            if scope.allows(ticket.merchant_id) && filter.matches(&ticket, now) {
                out.push(ticket);
            }
            Ok(out.len() < limit)
        };
        match merchant {
            Some(m) => {
                let idx = rtx.open_table(MERCHANT_ID_TICKET_ID)?;
                for row in idx.range((m, 0)..(m, below))?.rev() {
                    let id = row?.0.value().1;
                    if let Some(v) = t.get(id)?
                        && !keep(v.value())?
                    {
                        break;
                    }
                }
            }
            None => {
                for row in t.range(..below)?.rev() {
                    if !keep(row?.1.value())? {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The tickets about transaction `tx` of `merchant_id`, newest first.
    pub fn transaction_tickets(&self, merchant_id: u64, tx: u64) -> Result<Vec<Ticket>> {
        let rtx = self.begin_read()?;
        let idx = rtx.open_table(MERCHANT_TX_TICKET_ID)?;
        let t = rtx.open_table(TICKET_ID_TO_TICKET)?;
        let mut out = Vec::new();
        for row in idx
            .range((merchant_id, tx, 0)..=(merchant_id, tx, u64::MAX))?
            .rev()
        {
            let id = row?.0.value().2;
            if let Some(v) = t.get(id)? {
                out.push(codec::decode("tickets", v.value())?);
            }
        }
        Ok(out)
    }

    /// How many tickets `user_id` has not read, counted up to [`UNREAD_CAP`]: a range
    /// of the user's own rows, cheap enough for every page.
    pub fn unread_ticket_count(&self, user_id: u64) -> Result<u64> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(USER_ID_UNREAD_TICKET_ID)?;
        if t.len()? == 0 {
            return Ok(0);
        }
        let mut n = 0;
        for row in t.range((user_id, 0)..=(user_id, u64::MAX))? {
            row?;
            n += 1;
            if n >= UNREAD_CAP {
                break;
            }
        }
        Ok(n)
    }

    /// Which of `ids` `user_id` has not read.
    pub fn unread_among(&self, user_id: u64, ids: &[u64]) -> Result<BTreeSet<u64>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(USER_ID_UNREAD_TICKET_ID)?;
        let mut out = BTreeSet::new();
        for id in ids {
            if t.get((user_id, *id))?.is_some() {
                out.insert(*id);
            }
        }
        Ok(out)
    }

    /// `user_id` has read ticket `id`: its unread mark goes (a write only when there
    /// is one). Returns whether there was one.
    pub fn mark_ticket_read(&self, user_id: u64, id: u64) -> Result<bool> {
        if self.unread_among(user_id, &[id])?.is_empty() {
            return Ok(false);
        }
        let wtx = self.begin_write()?;
        let had = wtx
            .open_table(USER_ID_UNREAD_TICKET_ID)?
            .remove((user_id, id))?
            .is_some();
        wtx.commit()?;
        Ok(had)
    }
}
