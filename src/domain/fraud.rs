//! A merchant's fraud restrictions (FRAUD-1, FRAUD-3): velocity limits per holder
//! name, card, email and IP address, each over its own window, and whether
//! international cards need 3-D Secure. Pure: the counts are read by the caller
//! (`db::velocity`) for the windows [`evaluate`] asks, with `now` passed in.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::codes::ResultCode;
use super::filter::is_attempt;
pub use super::fraud_form::{LimitValues, RulesValues, field, summary_words};
use super::text::fold;
use super::transaction::{Operation, Transaction};

/// What a velocity limit counts payments by.
/// Stored (in journals and rules): the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum KeyKind {
    /// The cardholder's name (case- and accent-insensitive).
    Holder = 0,
    /// The card (its storage token).
    Card = 1,
    /// The buyer's email address (case-insensitive).
    Email = 2,
    /// The buyer's IP address.
    Ip = 3,
}

impl KeyKind {
    pub const ALL: [KeyKind; 4] = [KeyKind::Card, KeyKind::Email, KeyKind::Ip, KeyKind::Holder];

    /// The form field prefix.
    pub fn key(self) -> &'static str {
        match self {
            KeyKind::Holder => "holder",
            KeyKind::Card => "card",
            KeyKind::Email => "email",
            KeyKind::Ip => "ip",
        }
    }

    /// "Carte" / "Card" (a heading).
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            KeyKind::Holder => lang.pick("Nom du porteur", "Holder name"),
            KeyKind::Card => lang.pick("Carte", "Card"),
            KeyKind::Email => lang.pick("E-mail", "Email"),
            KeyKind::Ip => lang.pick("Adresse IP", "IP address"),
        }
    }

    /// "carte" / "card" (within a sentence).
    pub fn noun(self, lang: Lang) -> &'static str {
        match self {
            KeyKind::Holder => lang.pick("nom du porteur", "holder name"),
            KeyKind::Card => lang.pick("carte", "card"),
            KeyKind::Email => lang.pick("e-mail", "email"),
            KeyKind::Ip => lang.pick("adresse IP", "IP address"),
        }
    }

    /// "pour cette carte" / "for this card".
    fn this(self, lang: Lang) -> &'static str {
        match self {
            KeyKind::Holder => lang.pick("pour ce nom de porteur", "for this holder name"),
            KeyKind::Card => lang.pick("pour cette carte", "for this card"),
            KeyKind::Email => lang.pick("pour cet e-mail", "for this email"),
            KeyKind::Ip => lang.pick("pour cette adresse IP", "for this IP address"),
        }
    }
}

/// The unit of a window.
/// Stored: the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Unit {
    Minutes = 0,
    Hours = 1,
    Days = 2,
}

impl Unit {
    pub const ALL: [Unit; 3] = [Unit::Minutes, Unit::Hours, Unit::Days];

    pub fn key(self) -> &'static str {
        match self {
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Unit::Minutes => lang.pick("minutes", "minutes"),
            Unit::Hours => lang.pick("heures", "hours"),
            Unit::Days => lang.pick("jours", "days"),
        }
    }

    fn seconds(self) -> i64 {
        match self {
            Unit::Minutes => 60,
            Unit::Hours => 3_600,
            Unit::Days => 86_400,
        }
    }
}

/// A sliding window: the last `count` minutes, hours or days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub count: u32,
    pub unit: Unit,
}

/// The longest window an admin may set; velocity events older than this are pruned.
pub const MAX_WINDOW_SECONDS: i64 = 90 * 86_400;
/// The highest limit an admin may set.
pub const MAX_LIMIT: u32 = 10_000;

impl Window {
    pub const fn new(count: u32, unit: Unit) -> Window {
        Window { count, unit }
    }

    pub fn seconds(self) -> i64 {
        i64::from(self.count) * self.unit.seconds()
    }

    /// "24 h", "30 min", "7 jours" / "7 days".
    pub fn text(self, lang: Lang) -> String {
        let n = self.count;
        match (self.unit, lang) {
            (Unit::Minutes, _) => format!("{n} min"),
            (Unit::Hours, _) => format!("{n} h"),
            (Unit::Days, Lang::Fr) if n == 1 => "1 jour".into(),
            (Unit::Days, Lang::En) if n == 1 => "1 day".into(),
            (Unit::Days, Lang::Fr) => format!("{n} jours"),
            (Unit::Days, Lang::En) => format!("{n} days"),
        }
    }
}

/// One velocity limit: at most `max_accepted` accepted and `max_refused` refused
/// payments per key within `window` (`None`: no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VelocityLimit {
    pub max_accepted: Option<u32>,
    pub max_refused: Option<u32>,
    pub window: Window,
}

impl VelocityLimit {
    /// "10 acceptés, 3 refusés en 24 h" / "10 accepted, 3 refused in 24 h" / "no limit".
    pub fn text(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.max_accepted {
            parts.push(format!("{a} {}", lang.pick("acceptés", "accepted")));
        }
        if let Some(r) = self.max_refused {
            parts.push(format!("{r} {}", lang.pick("refusés", "refused")));
        }
        if parts.is_empty() {
            return lang.pick("pas de limite", "no limit").into();
        }
        format!(
            "{} {} {}",
            parts.join(", "),
            lang.pick("en", "in"),
            self.window.text(lang)
        )
    }
}

/// A merchant's restrictions (FRAUD-1, FRAUD-3), set by an admin; a merchant never
/// set gets [`MerchantRules::default`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantRules {
    pub holder: VelocityLimit,
    pub card: VelocityLimit,
    pub email: VelocityLimit,
    pub ip: VelocityLimit,
    /// International cards not enrolled in 3-D Secure are refused (FRAUD-3).
    pub international_requires_3ds: bool,
}

impl Default for MerchantRules {
    /// Card: 3 refused or 10 accepted per 24 h; email: 5 refused per 24 h; IP: 10
    /// refused per hour; holder name: no limit; international cards need 3-D Secure.
    fn default() -> Self {
        let day = Window::new(24, Unit::Hours);
        MerchantRules {
            holder: VelocityLimit {
                max_accepted: None,
                max_refused: None,
                window: day,
            },
            card: VelocityLimit {
                max_accepted: Some(10),
                max_refused: Some(3),
                window: day,
            },
            email: VelocityLimit {
                max_accepted: None,
                max_refused: Some(5),
                window: day,
            },
            ip: VelocityLimit {
                max_accepted: None,
                max_refused: Some(10),
                window: Window::new(1, Unit::Hours),
            },
            international_requires_3ds: true,
        }
    }
}

impl MerchantRules {
    pub fn limit(&self, kind: KeyKind) -> &VelocityLimit {
        match kind {
            KeyKind::Holder => &self.holder,
            KeyKind::Card => &self.card,
            KeyKind::Email => &self.email,
            KeyKind::Ip => &self.ip,
        }
    }

    pub(super) fn limit_mut(&mut self, kind: KeyKind) -> &mut VelocityLimit {
        match kind {
            KeyKind::Holder => &mut self.holder,
            KeyKind::Card => &mut self.card,
            KeyKind::Email => &mut self.email,
            KeyKind::Ip => &mut self.ip,
        }
    }

    /// One line for the audit log: `card=10/3/24h email=-/5/24h … 3ds=on`.
    pub fn summary(&self) -> String {
        let n = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
        let mut out: Vec<String> = KeyKind::ALL
            .iter()
            .map(|&k| {
                let l = self.limit(k);
                format!(
                    "{}={}/{}/{}{}",
                    k.key(),
                    n(l.max_accepted),
                    n(l.max_refused),
                    l.window.count,
                    l.window.unit.key()
                )
            })
            .collect();
        out.push(format!(
            "international_3ds={}",
            if self.international_requires_3ds {
                "on"
            } else {
                "off"
            }
        ));
        out.join(" ")
    }
}

/// Who a payment comes from, as velocity limits see it: the card's storage token,
/// the holder's name, the buyer's email and IP address (empty: unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    pub card_token: String,
    pub holder: String,
    pub email: String,
    pub ip: String,
}

impl Subject {
    /// The subject of a recorded payment attempt. A rebill is asked from the back
    /// office: its IP address is the user's, not the buyer's, so it has none.
    pub fn of(tx: &Transaction) -> Subject {
        let card = tx.card.as_ref();
        Subject {
            card_token: card.map(|c| c.token.clone()).unwrap_or_default(),
            holder: card.map(|c| c.holder.clone()).unwrap_or_default(),
            email: tx.buyer.email.clone(),
            ip: if tx.operation == Operation::Rebill {
                String::new()
            } else {
                tx.initiator.ip.clone()
            },
        }
    }

    /// Each known key with its value as compared: names folded (case and accents
    /// ignored), emails lowercased, IP addresses and tokens as they are.
    pub fn keys(&self) -> Vec<(KeyKind, String)> {
        let mut out = vec![
            (KeyKind::Holder, fold(&self.holder)),
            (KeyKind::Card, self.card_token.trim().to_string()),
            (KeyKind::Email, self.email.trim().to_lowercase()),
            (KeyKind::Ip, self.ip.trim().to_string()),
        ];
        out.retain(|(_, v)| !v.is_empty());
        out
    }
}

/// Whether a row counts for velocity limits: a payment attempt (sale, authorization
/// or rebill, not abandoned) that a rule did not stop first (585, 586: a refused
/// fraudster retrying does not push their own window further), and that a bank
/// answered (a silent bank is not the cardholder's fault).
pub fn counts_for_velocity(op: Operation, code: ResultCode) -> bool {
    is_attempt(op, code)
        && ![
            ResultCode::TOO_MANY_ATTEMPTS,
            ResultCode::COUNTRY_REFUSED,
            ResultCode::ACQUIRER_DOWN,
            ResultCode::UNKNOWN_ERROR,
        ]
        .contains(&code)
}

/// Accepted and refused payments counted for one key over one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub accepted: u32,
    pub refused: u32,
}

/// The limit a payment met: `count` payments (accepted or refused) for this `kind`
/// within `window`, where `limit` are allowed. Stored in journals (`Rule::Velocity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    pub kind: KeyKind,
    pub refused: bool,
    pub count: u32,
    pub limit: u32,
    pub window: Window,
}

impl Fired {
    /// "3 paiements refusés pour cette carte en 24 h, limite 3" /
    /// "3 refused payments for this card in 24 h, limit 3".
    pub fn text(&self, lang: Lang) -> String {
        let (n, limit, w) = (self.count, self.limit, self.window.text(lang));
        let this = self.kind.this(lang);
        match (lang, self.refused, n == 1) {
            (Lang::Fr, true, true) => format!("1 paiement refusé {this} en {w}, limite {limit}"),
            (Lang::Fr, true, false) => {
                format!("{n} paiements refusés {this} en {w}, limite {limit}")
            }
            (Lang::Fr, false, true) => {
                format!("1 paiement accepté {this} en {w}, limite {limit}")
            }
            (Lang::Fr, false, false) => {
                format!("{n} paiements acceptés {this} en {w}, limite {limit}")
            }
            (Lang::En, true, true) => format!("1 refused payment {this} in {w}, limit {limit}"),
            (Lang::En, true, false) => format!("{n} refused payments {this} in {w}, limit {limit}"),
            (Lang::En, false, true) => format!("1 accepted payment {this} in {w}, limit {limit}"),
            (Lang::En, false, false) => {
                format!("{n} accepted payments {this} in {w}, limit {limit}")
            }
        }
    }
}

/// The first limit a new payment would break, if any. `count(kind, since)` gives the
/// payments for the payment's own `kind` key at or after unix time `since` (a key the
/// payment lacks counts nothing). A limit of 3 lets 3 through: the 4th is refused.
/// Cards are checked first, then emails, IP addresses and holder names.
pub fn evaluate<E>(
    rules: &MerchantRules,
    now: i64,
    mut count: impl FnMut(KeyKind, i64) -> Result<Counts, E>,
) -> Result<Option<Fired>, E> {
    for kind in KeyKind::ALL {
        let l = rules.limit(kind);
        if l.max_accepted.is_none() && l.max_refused.is_none() {
            continue;
        }
        // An event at t counts until t + window (excluded).
        let c = count(kind, now - l.window.seconds() + 1)?;
        let fired = |refused, count, limit| Fired {
            kind,
            refused,
            count,
            limit,
            window: l.window,
        };
        if let Some(max) = l.max_refused
            && c.refused >= max
        {
            return Ok(Some(fired(true, c.refused, max)));
        }
        if let Some(max) = l.max_accepted
            && c.accepted >= max
        {
            return Ok(Some(fired(false, c.accepted, max)));
        }
    }
    Ok(None)
}

/// One past payment as a backtest replays it: when, its id, accepted or not, and its
/// keys (each stored key given a number by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastPayment {
    pub at: i64,
    pub id: u64,
    pub accepted: bool,
    pub keys: Vec<(KeyKind, u32)>,
}

/// The payments dated from `from` that `rules` would have refused (ids, oldest
/// first), replaying `past` (sorted by time, including the payments before `from`
/// that the windows reach). A payment the rules refuse no longer counts for the
/// ones after it, as in the payment flow; nor does one of `refused_first` (sorted
/// ids another rule refuses before velocity limits are checked, not returned).
/// Each key keeps the events of its window only, so a replay costs one step per
/// event whatever the number of payments per key.
pub fn backtest(
    rules: &MerchantRules,
    past: &[PastPayment],
    from: i64,
    refused_first: &[u64],
) -> Vec<u64> {
    use std::collections::{HashMap, VecDeque};
    #[derive(Default)]
    struct Window {
        events: VecDeque<(i64, bool)>,
        counts: Counts,
    }
    let mut seen: HashMap<(KeyKind, u32), Window> = HashMap::new();
    let mut refused = Vec::new();
    for p in past {
        if refused_first.binary_search(&p.id).is_ok() {
            continue;
        }
        if p.at >= from {
            let fired = evaluate(rules, p.at, |kind, since| {
                let key = p.keys.iter().find(|(k, _)| *k == kind);
                let Some(w) = key.and_then(|(k, v)| seen.get_mut(&(*k, *v))) else {
                    return Ok::<_, ()>(Counts::default());
                };
                // Payments come in time order: what leaves a key's window never returns.
                while let Some(&(at, ok)) = w.events.front() {
                    if at >= since {
                        break;
                    }
                    w.events.pop_front();
                    if ok {
                        w.counts.accepted -= 1;
                    } else {
                        w.counts.refused -= 1;
                    }
                }
                Ok(w.counts)
            });
            if matches!(fired, Ok(Some(_))) {
                refused.push(p.id);
                continue;
            }
        }
        for (k, v) in &p.keys {
            let w = seen.entry((*k, *v)).or_default();
            w.events.push_back((p.at, p.accepted));
            if p.accepted {
                w.counts.accepted += 1;
            } else {
                w.counts.refused += 1;
            }
        }
    }
    refused
}

/// What a backtest found: the payments of the period the rules would have refused
/// (ids, oldest first) among `payments`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backtest {
    pub refused: Vec<u64>,
    pub payments: u64,
}
