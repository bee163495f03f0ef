//! A few blacklist entries (FRAUD-4) so its page and the transactions' tab are not
//! empty: the card and the email of two refused demo payments, each listed by its
//! merchant, and two global entries by the demo admin.

use crate::db::blacklist::{NewEntry, add_in};
use crate::db::{Db, Scope};
use crate::domain::actor::Actor;
use crate::domain::blacklist::{Kind, email_key};
use crate::domain::transaction::Operation;

use super::DemoError;

/// Demo rows read to find refused sales to list.
const LOOK_AT: u64 = 5_000;

/// Lists two refused demo sales' card and email, and two global values.
pub(super) fn list_some(db: &Db, first_id: u64, written: u64, now: i64) -> Result<(), DemoError> {
    let mut picked = Vec::new();
    for id in first_id..first_id + written.min(LOOK_AT) {
        let Some(tx) = db.transaction(Scope::Admin, id)? else {
            continue;
        };
        let refused = tx.operation == Operation::Sale && !tx.code.is_accepted();
        if refused && tx.card.is_some() && !tx.buyer.email.is_empty() {
            picked.push(tx);
            if picked.len() == 2 {
                break;
            }
        }
    }
    let admin = Actor::new(now, "demo.admin", "local");
    let mut entries = vec![
        NewEntry {
            kind: Kind::Ip,
            key: "185.220.101.0/24".into(),
            shown: "185.220.101.0/24".into(),
            merchant_id: None,
            reason: "Nœuds de sortie Tor : tentatives de carding répétées".into(),
        },
        NewEntry {
            kind: Kind::Email,
            key: "carding@example.net".into(),
            shown: "carding@example.net".into(),
            merchant_id: None,
            reason: "Adresse signalée par la banque acquéreuse".into(),
        },
    ];
    if let Some(tx) = picked.first()
        && let Some(card) = &tx.card
    {
        entries.push(NewEntry {
            kind: Kind::Card,
            key: card.token.clone(),
            shown: card.masked(),
            merchant_id: Some(tx.merchant_id),
            reason: "Carte déclarée volée par le porteur".into(),
        });
    }
    if let Some(tx) = picked.get(1) {
        entries.push(NewEntry {
            kind: Kind::Email,
            key: email_key(&tx.buyer.email),
            shown: tx.buyer.email.clone(),
            merchant_id: Some(tx.merchant_id),
            reason: "Impayés répétés".into(),
        });
    }
    let wtx = db.begin_write()?;
    for e in entries {
        add_in(&wtx, db.audit_key(), e, &admin)?;
    }
    wtx.commit()?;
    Ok(())
}
