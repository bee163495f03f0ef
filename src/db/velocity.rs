//! Fraud restrictions in storage: each merchant's rules (FRAUD-1, FRAUD-3) and the
//! velocity events they count — one per key (card token, keyed hashes of the
//! holder's name, email and IP address) of each payment attempt, written in the
//! payment's own write transaction. A count over a window is one range read; events
//! older than the longest window are pruned a few per write, so the tables stay
//! bounded and a check costs the same at 10M rows as at 1k.

use hmac::{Hmac, KeyInit, Mac};
use redb::{ReadableTable, ReadableTableMetadata};
use sha2::Sha256;

use super::Tx;
use super::tables::{MERCHANT_ID_TO_FRAUD_RULES, VELOCITY_BY_TIME, VELOCITY_EVENTS};
use super::{Db, Result, codec};
use crate::domain::actor::Actor;
use crate::domain::fraud::{
    self, Counts, Fired, KeyKind, MAX_WINDOW_SECONDS, MerchantRules, PastPayment, Subject,
    counts_for_velocity, evaluate,
};
use crate::domain::location::LocationRules;

/// The period a backtest replays (issue 12: "the last 30 days").
pub const BACKTEST_SECONDS: i64 = 30 * 86_400;
use crate::domain::transaction::Transaction;

/// Old events removed per write at most (each write adds at most 4).
const PRUNE_PER_WRITE: usize = 16;

/// The key the holder names, emails and IP addresses are hashed with: derived from
/// the audit key of the key file (never rotated), so the data file alone never
/// reveals who paid.
pub fn hash_key(audit_key: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(audit_key) {
        mac.update(b"guichet velocity key");
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The stored key of a value: cards by their storage token (already keyed), the
/// rest by 96 bits of HMAC-SHA256 over the kind and the value.
fn stored_key(hash_key: &[u8; 32], kind: KeyKind, value: &str) -> String {
    if kind == KeyKind::Card {
        return value.to_string();
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(hash_key) else {
        return String::new();
    };
    mac.update(&[kind as u8]);
    mac.update(value.as_bytes());
    crate::keys::to_hex(&mac.finalize().into_bytes()[..12])
}

/// The stored keys of a subject.
pub fn subject_keys(hash_key: &[u8; 32], s: &Subject) -> Vec<(KeyKind, String)> {
    s.keys()
        .into_iter()
        .map(|(k, v)| (k, stored_key(hash_key, k, &v)))
        .collect()
}

fn rules_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    merchant_id: u64,
) -> Result<MerchantRules> {
    let v = t.get(merchant_id)?;
    v.map(|v| codec::decode("fraud_rules", v.value()))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The merchant's rules (the defaults when an admin never set them).
pub fn rules_in(wtx: &Tx, merchant_id: u64) -> Result<MerchantRules> {
    rules_from(&wtx.open_table(MERCHANT_ID_TO_FRAUD_RULES)?, merchant_id)
}

fn count_from(
    t: &impl ReadableTable<(u64, u8, &'static str, i64, u64), u8>,
    merchant_id: u64,
    kind: KeyKind,
    key: &str,
    since: i64,
) -> Result<Counts> {
    let mut c = Counts::default();
    let k = kind as u8;
    for row in
        t.range((merchant_id, k, key, since, 0)..=(merchant_id, k, key, i64::MAX, u64::MAX))?
    {
        if row?.1.value() == 1 {
            c.accepted = c.accepted.saturating_add(1);
        } else {
            c.refused = c.refused.saturating_add(1);
        }
    }
    Ok(c)
}

/// The first of `rules` a new payment of `keys` (see [`subject_keys`]) for
/// `merchant_id` at `now` would break, read in `wtx` (or under the gateway's key
/// locks) so that two payments cannot both pass a limit.
pub fn check_in(
    wtx: &Tx,
    merchant_id: u64,
    rules: &MerchantRules,
    keys: &[(KeyKind, String)],
    now: i64,
) -> Result<Option<Fired>> {
    let t = wtx.open_table(VELOCITY_EVENTS)?;
    check_from(&t, merchant_id, rules, keys, now)
}

fn check_from(
    t: &impl ReadableTable<(u64, u8, &'static str, i64, u64), u8>,
    merchant_id: u64,
    rules: &MerchantRules,
    keys: &[(KeyKind, String)],
    now: i64,
) -> Result<Option<Fired>> {
    evaluate(rules, now, |kind, since| {
        match keys.iter().find(|(k, _)| *k == kind) {
            Some((_, key)) => count_from(t, merchant_id, kind, key, since),
            None => Ok(Counts::default()),
        }
    })
}

/// Records the velocity events of new rows (those that count: see
/// [`counts_for_velocity`]) and prunes a few events older than the longest window.
pub fn add_in(wtx: &Tx, hash_key: &[u8; 32], rows: &[Transaction]) -> Result<()> {
    let mut events = wtx.open_table(VELOCITY_EVENTS)?;
    let mut by_time = wtx.open_table(VELOCITY_BY_TIME)?;
    let mut latest = i64::MIN;
    for tx in rows {
        latest = latest.max(tx.at);
        if !counts_for_velocity(tx.operation, tx.code) {
            continue;
        }
        let accepted = u8::from(tx.code.is_accepted());
        for (kind, key) in subject_keys(hash_key, &Subject::of(tx)) {
            let k = kind as u8;
            events.insert((tx.merchant_id, k, key.as_str(), tx.at, tx.id), accepted)?;
            by_time.insert((tx.at, tx.id, tx.merchant_id, k, key.as_str()), ())?;
        }
    }
    let cutoff = latest.saturating_sub(MAX_WINDOW_SECONDS);
    let mut old = Vec::new();
    for row in by_time
        .range(..(cutoff, 0, 0, 0, ""))?
        .take(PRUNE_PER_WRITE)
    {
        let (k, _) = row?;
        let (at, id, merchant, kind, key) = k.value();
        old.push((at, id, merchant, kind, key.to_string()));
    }
    for (at, id, merchant, kind, key) in old {
        by_time.remove((at, id, merchant, kind, key.as_str()))?;
        events.remove((merchant, kind, key.as_str(), at, id))?;
    }
    Ok(())
}

/// Rotation: card events follow their tokens to the new key (`rekey` maps a token).
pub(crate) fn rekey_cards(wtx: &Tx, rekey: &dyn Fn(&str) -> String) -> Result<()> {
    let mut events = wtx.open_table(VELOCITY_EVENTS)?;
    let mut by_time = wtx.open_table(VELOCITY_BY_TIME)?;
    let card = KeyKind::Card as u8;
    let mut rows = Vec::new();
    for row in by_time.iter()? {
        let (k, _) = row?;
        let (at, id, merchant, kind, key) = k.value();
        if kind == card {
            rows.push((at, id, merchant, key.to_string()));
        }
    }
    for (at, id, merchant, token) in rows {
        let new = rekey(&token);
        if new == token {
            continue;
        }
        let accepted = events
            .remove((merchant, card, token.as_str(), at, id))?
            .map_or(0, |v| v.value());
        by_time.remove((at, id, merchant, card, token.as_str()))?;
        events.insert((merchant, card, new.as_str(), at, id), accepted)?;
        by_time.insert((at, id, merchant, card, new.as_str()), ())?;
    }
    Ok(())
}

/// One stored velocity event, for `guichet check`.
pub struct Event {
    pub merchant_id: u64,
    pub kind: u8,
    pub key: String,
    pub at: i64,
    pub tx_id: u64,
    pub accepted: bool,
}

impl Db {
    /// The key names, emails and IP addresses are hashed with (see [`hash_key`]).
    pub fn velocity_key(&self) -> [u8; 32] {
        hash_key(&self.keys().audit_key)
    }

    /// The merchant's fraud restrictions.
    pub fn fraud_rules(&self, merchant_id: u64) -> Result<MerchantRules> {
        let rtx = self.begin_read()?;
        rules_from(&rtx.open_table(MERCHANT_ID_TO_FRAUD_RULES)?, merchant_id)
    }

    /// The merchant's rules and the first of them a new payment of `subject` at
    /// `now` would break. Not atomic with the payment's write: the gateway holds its
    /// locks on the subject's keys from this read to that write.
    pub fn velocity_check(
        &self,
        merchant_id: u64,
        subject: &Subject,
        now: i64,
    ) -> Result<(MerchantRules, Option<Fired>)> {
        let rtx = self.begin_read()?;
        let rules = rules_from(&rtx.open_table(MERCHANT_ID_TO_FRAUD_RULES)?, merchant_id)?;
        let keys = subject_keys(&self.velocity_key(), subject);
        let t = rtx.open_table(VELOCITY_EVENTS)?;
        let fired = check_from(&t, merchant_id, &rules, &keys, now)?;
        Ok((rules, fired))
    }

    /// Sets the velocity limits of merchant `merchant_id`, its location rules kept
    /// (see [`Db::set_restrictions`]). `None` when there is no such merchant.
    pub fn set_fraud_rules(
        &self,
        merchant_id: u64,
        rules: &MerchantRules,
        actor: &Actor,
    ) -> Result<Option<()>> {
        let location = self.location_rules(merchant_id)?;
        self.set_restrictions(merchant_id, rules, &location, actor)
    }

    /// The merchant's payments of the 30 days before `now` that `rules` and
    /// `location` would have refused (ids, oldest first), and how many payments those
    /// days had. Location rules first, from the period's rows (see
    /// [`Db::location_refused`]; none read when no list is in use); then velocity
    /// limits replayed from the velocity events (see [`fraud::backtest`]): one range
    /// read per key kind over the merchant's last 120 days at most.
    pub fn backtest(
        &self,
        merchant_id: u64,
        rules: &MerchantRules,
        location: &LocationRules,
        now: i64,
    ) -> Result<fraud::Backtest> {
        let from = now - BACKTEST_SECONDS;
        // The rows the country lists need are read on a thread of their own while
        // the velocity events are read here.
        let started = std::time::Instant::now();
        std::thread::scope(|scope| {
            let by_location = scope.spawn(|| {
                let r = self.location_refused(merchant_id, location, from, now + 1);
                tracing::debug!(
                    ms = started.elapsed().as_millis(),
                    "backtest: location rows read"
                );
                r
            });
            let past = self.past_payments(merchant_id, rules, from, now)?;
            tracing::debug!(
                ms = started.elapsed().as_millis(),
                payments = past.len(),
                "backtest: velocity events read"
            );
            let by_location = by_location.join().map_err(|_| super::Error::Corrupt {
                table: "velocity_events",
                detail: "the backtest's location thread panicked".into(),
            })??;
            let mut refused = fraud::backtest(rules, &past, from, &by_location);
            tracing::debug!(ms = started.elapsed().as_millis(), "backtest: replayed");
            refused.extend(by_location);
            // Ids are given in time order.
            refused.sort_unstable();
            Ok(fraud::Backtest {
                payments: past.iter().filter(|p| p.at >= from).count() as u64,
                refused,
            })
        })
    }

    /// The merchant's payments from `from` back as far as the longest window of
    /// `rules` reaches, up to `now`, from the velocity events of the key kinds
    /// `rules` limit (and of cards, which every payment has: the count), oldest first.
    fn past_payments(
        &self,
        merchant_id: u64,
        rules: &MerchantRules,
        from: i64,
        now: i64,
    ) -> Result<Vec<PastPayment>> {
        use std::collections::HashMap;
        let limited: Vec<KeyKind> = KeyKind::ALL
            .into_iter()
            .filter(|k| {
                let l = rules.limit(*k);
                *k == KeyKind::Card || l.max_accepted.is_some() || l.max_refused.is_some()
            })
            .collect();
        let reach = KeyKind::ALL
            .iter()
            .map(|k| rules.limit(*k).window.seconds())
            .max()
            .unwrap_or(0);
        let rtx = self.begin_read()?;
        let t = rtx.open_table(VELOCITY_EVENTS)?;
        // Every event in reach, its key given a number (one allocation per key, not
        // per event), then sorted into payments.
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let mut events: Vec<(i64, u64, KeyKind, u32, bool)> = Vec::new();
        for kind in limited {
            let k = kind as u8;
            let range = (merchant_id, k, "", i64::MIN, 0)..(merchant_id, k + 1, "", i64::MIN, 0);
            for row in t.range(range)? {
                let (key, v) = row?;
                let (_, _, value, at, id) = key.value();
                if at < from - reach || at > now {
                    continue;
                }
                let next = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
                let n = match numbers.get(value) {
                    Some(n) => *n,
                    None => *numbers.entry(value.to_string()).or_insert(next),
                };
                events.push((at, id, kind, n, v.value() == 1));
            }
        }
        events.sort_unstable_by_key(|e| (e.0, e.1));
        let mut past: Vec<PastPayment> = Vec::new();
        for (at, id, kind, n, accepted) in events {
            match past.last_mut() {
                Some(p) if p.id == id && p.at == at => p.keys.push((kind, n)),
                _ => past.push(PastPayment {
                    at,
                    id,
                    accepted,
                    keys: vec![(kind, n)],
                }),
            }
        }
        Ok(past)
    }

    /// Fills empty velocity counters from the rows of the longest window before `now`
    /// (a data file written before the counters existed, such as an old bench file),
    /// 50,000 rows per write, the last one durable. Returns the rows read: 0 when the
    /// counters already hold events.
    pub fn fill_velocity_events(&self, now: i64) -> Result<u64> {
        if !self.begin_read()?.open_table(VELOCITY_EVENTS)?.is_empty()? {
            return Ok(0);
        }
        self.store.sync(&self.inner)?;
        // Ids are dense and in time order: row `i` is id `i + 1`.
        let (first, last) = self.store.with(|c| {
            let r = c.time_range(now - MAX_WINDOW_SECONDS, i64::MAX);
            (r.start as u64 + 1, r.end as u64)
        })?;
        let key = self.velocity_key();
        let mut read = 0;
        let mut id = first;
        while id <= last {
            let to = last.min(id + 49_999);
            let rows = self.fetch(&(id..=to).collect::<Vec<u64>>())?;
            let mut wtx = self.begin_write()?;
            if to == last {
                wtx.set_durable()?;
            } else {
                wtx.set_not_durable()?;
            }
            add_in(&wtx, &key, &rows)?;
            wtx.commit()?;
            read += rows.len() as u64;
            id = to + 1;
        }
        Ok(read)
    }

    /// How many velocity events are kept.
    pub fn velocity_event_count(&self) -> Result<u64> {
        Ok(self.begin_read()?.open_table(VELOCITY_EVENTS)?.len()?)
    }

    /// Every velocity event (for `guichet check`), and how many the time index holds.
    pub fn velocity_events(&self) -> Result<(Vec<Event>, u64)> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(VELOCITY_EVENTS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let (merchant_id, kind, key, at, tx_id) = k.value();
            out.push(Event {
                merchant_id,
                kind,
                key: key.to_string(),
                at,
                tx_id,
                accepted: v.value() == 1,
            });
        }
        Ok((out, rtx.open_table(VELOCITY_BY_TIME)?.len()?))
    }
}

/// `guichet check`: every event is one key of a payment attempt that counts, with
/// that row's merchant, time and outcome; a row with events has one per key it has;
/// the time index has the same entries. Problems are returned as sentences.
pub(super) fn problems(rtx: &redb::ReadTransaction, hash_key: &[u8; 32]) -> Result<Vec<String>> {
    use std::collections::BTreeMap;
    let txs = rtx.open_table(super::tables::TX_ID_TO_TX)?;
    let events = rtx.open_table(VELOCITY_EVENTS)?;
    let by_time = rtx.open_table(VELOCITY_BY_TIME)?;
    let mut out = Vec::new();
    let mut per_tx: BTreeMap<u64, Vec<(u8, String)>> = BTreeMap::new();
    for row in events.iter()? {
        let (k, v) = row?;
        let (merchant, kind, key, at, id) = k.value();
        per_tx.entry(id).or_default().push((kind, key.to_string()));
        let Some(tx) = txs.get(id)? else {
            out.push(format!("velocity event of missing transaction {id}"));
            continue;
        };
        let tx: Transaction = codec::decode("transactions", tx.value())?;
        if tx.merchant_id != merchant
            || tx.at != at
            || !counts_for_velocity(tx.operation, tx.code)
            || (v.value() == 1) != tx.code.is_accepted()
        {
            out.push(format!(
                "velocity event of transaction {id} disagrees with its row"
            ));
        }
        if by_time.get((at, id, merchant, kind, key))?.is_none() {
            out.push(format!(
                "velocity event of transaction {id} is missing from the time index"
            ));
        }
    }
    if by_time.len()? != events.len()? {
        out.push(format!(
            "velocity time index has {} entries for {} events",
            by_time.len()?,
            events.len()?
        ));
    }
    for (id, mut got) in per_tx {
        let Some(tx) = txs.get(id)? else { continue };
        let tx: Transaction = codec::decode("transactions", tx.value())?;
        let mut want: Vec<(u8, String)> = subject_keys(hash_key, &Subject::of(&tx))
            .into_iter()
            .map(|(k, v)| (k as u8, v))
            .collect();
        got.sort();
        want.sort();
        // Pruning removes the oldest events a few at a time: a row may have lost some.
        if got.iter().any(|g| !want.contains(g)) {
            out.push(format!(
                "velocity events of transaction {id} are not the keys of its row"
            ));
        }
    }
    Ok(out)
}
