//! A few blacklist entries (FRAUD-4) so its page and the transactions' tab are not
//! empty for anyone: per merchant, the card of one refused demo payment and the
//! email of another, listed by that merchant; and two global entries by the demo
//! admin.

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
    // Up to two refused sales per merchant, in id order.
    let mut picked: std::collections::BTreeMap<u64, Vec<crate::domain::transaction::Transaction>> =
        std::collections::BTreeMap::new();
    for id in first_id..first_id + written.min(LOOK_AT) {
        let Some(tx) = db.transaction(Scope::Admin, id)? else {
            continue;
        };
        let refused = tx.operation == Operation::Sale && !tx.code.is_accepted();
        let mine = picked.entry(tx.merchant_id).or_default();
        if refused && tx.card.is_some() && !tx.buyer.email.is_empty() && mine.len() < 2 {
            mine.push(tx);
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
    for txs in picked.values() {
        if let Some(tx) = txs.first()
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
        if let Some(tx) = txs.get(1) {
            entries.push(NewEntry {
                kind: Kind::Email,
                key: email_key(&tx.buyer.email),
                shown: tx.buyer.email.clone(),
                merchant_id: Some(tx.merchant_id),
                reason: "Impayés répétés".into(),
            });
        }
    }
    let wtx = db.begin_write()?;
    for e in entries {
        add_in(&wtx, db.audit_key(), e, &admin)?;
    }
    wtx.commit()?;
    Ok(())
}
