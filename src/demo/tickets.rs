//! Support tickets, so the Support tab and a transaction's Tickets tab are not empty:
//! the first shop's manager asks about a refund (the support answered and waits for
//! the merchant, who has not read it yet), the second asks an integration question
//! nobody answered yet, the third's account question was answered and resolved.
//! Written through the same functions as the pages, without emails (demo addresses
//! are not real ones).

use super::*;
use crate::db::Scope;
use crate::domain::actor::Actor;
use crate::domain::outbox::Mail;
use crate::domain::support::{Category, NewTicket, Reply, Ticket, TicketMessage, TicketState};
use crate::domain::transaction::Operation;

const HOUR: i64 = 3_600;

/// The newest refund of `merchant` among the generated rows `first..last`, looked
/// for from the newest down (a few hundred rows at most in practice).
fn newest_refund(db: &Db, merchant: u64, (first, last): (u64, u64)) -> Result<Option<u64>> {
    for id in (first..last).rev().take(20_000) {
        if let Some(t) = db.transaction(Scope::Admin, id)?
            && t.merchant_id == merchant
            && t.operation == Operation::Refund
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// No notification: the demo's addresses are not real ones.
fn no_mail(_: &Ticket, _: &TicketMessage, _: &User) -> Option<Mail> {
    None
}

fn user(db: &Db, username: &str) -> Result<User> {
    db.user_by_username(username)?.ok_or(Error::NotFound)
}

/// Opens the demo tickets on the first three shops (fewer when there are fewer).
pub(super) fn open_some(
    db: &Db,
    shops: &[(u64, &str)],
    rows: (u64, u64),
    now: i64,
) -> std::result::Result<usize, DemoError> {
    let admin = user(db, "demo.admin")?;
    let at = |hours_ago: i64, who: &User| {
        Actor::new(
            now - hours_ago * HOUR,
            who.username.clone(),
            "196.200.130.10",
        )
    };
    let mut opened = 0;
    if let Some(&(merchant, slug)) = shops.first() {
        let manager = user(db, &format!("{slug}.manager"))?;
        let refund = newest_refund(db, merchant, rows)?;
        let t = db.open_ticket(
            NewTicket {
                subject: "Remboursement non visible par le client".into(),
                category: Category::Refund,
                message: "Bonjour,\nNous avons remboursé cette commande il y a quelques jours mais le client dit ne rien voir sur son relevé. Pouvez-vous vérifier de votre côté ?\nMerci".into(),
                transaction_id: refund,
            },
            &manager,
            &at(30, &manager),
            &no_mail,
        )?;
        db.post_ticket_message(
            Scope::Admin,
            t.id,
            &admin,
            Reply {
                body: "Bonjour,\nLe remboursement a bien été transmis à la banque du porteur. Selon les banques il apparaît sous 3 à 10 jours ouvrés. Si le client ne voit toujours rien dans une semaine, répondez ici avec la date de son relevé et nous ouvrirons une enquête.".into(),
                state: Some(TicketState::WaitingMerchant),
            },
            &at(26, &admin),
            &no_mail,
        )?
        .map_err(|r| DemoError::Ticket(format!("{r:?}")))?;
        db.mark_ticket_read(admin.id, t.id)?;
        opened += 1;
    }
    if let Some(&(_, slug)) = shops.get(1) {
        let manager = user(db, &format!("{slug}.manager"))?;
        db.open_ticket(
            NewTicket {
                subject: "URL de notification (callback) : quelle signature vérifier ?".into(),
                category: Category::Integration,
                message: "Bonjour,\nNous branchons notre site sur l'API. Nos notifications arrivent bien, mais comment vérifier leur signature côté serveur ? Existe-t-il un exemple en PHP ?".into(),
                transaction_id: None,
            },
            &manager,
            &at(3, &manager),
            &no_mail,
        )?;
        opened += 1;
    }
    if let Some(&(_, slug)) = shops.get(2) {
        let manager = user(db, &format!("{slug}.manager"))?;
        let t = db.open_ticket(
            NewTicket {
                subject: "Ajouter un utilisateur en consultation seule".into(),
                category: Category::Account,
                message: "Bonjour, notre comptable doit voir les transactions sans pouvoir rembourser. Comment faire ?".into(),
                transaction_id: None,
            },
            &manager,
            &at(72, &manager),
            &no_mail,
        )?;
        db.post_ticket_message(
            Scope::Admin,
            t.id,
            &admin,
            Reply {
                body: "Bonjour, dans Paramètres › Utilisateurs › Nouvel utilisateur, cochez seulement « Consulter » (et « Exporter » s'il en a besoin). Je passe ce ticket en résolu ; répondez ici si besoin.".into(),
                state: Some(TicketState::Resolved),
            },
            &at(70, &admin),
            &no_mail,
        )?
        .map_err(|r| DemoError::Ticket(format!("{r:?}")))?;
        db.mark_ticket_read(admin.id, t.id)?;
        db.mark_ticket_read(manager.id, t.id)?;
        opened += 1;
    }
    Ok(opened)
}
