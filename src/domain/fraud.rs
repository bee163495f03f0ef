//! A merchant's fraud restrictions (FRAUD-1, FRAUD-3): velocity limits per holder
//! name, card, email and IP address, each over its own window, and whether
//! international cards need 3-D Secure. Pure: the counts are read by the caller
//! (`db::velocity`) for the windows [`evaluate`] asks, with `now` passed in.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::codes::ResultCode;
use super::filter::is_attempt;
use super::form::FieldError;
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

/// One `key=value` of a [`MerchantRules::summary`] in words, for the audit log:
/// "carte : 10 acceptés, 3 refusés en 24 h". `None` when it is not one.
pub fn summary_words(key: &str, value: &str, lang: Lang) -> Option<String> {
    if key == "international_3ds" {
        return Some(
            match value {
                "on" => lang.pick(
                    "cartes internationales : 3-D Secure exigé",
                    "international cards: 3-D Secure required",
                ),
                _ => lang.pick(
                    "cartes internationales : 3-D Secure non exigé",
                    "international cards: 3-D Secure not required",
                ),
            }
            .into(),
        );
    }
    let kind = KeyKind::ALL.into_iter().find(|k| k.key() == key)?;
    let mut it = value.split('/');
    let n = |s: &str| -> Option<Option<u32>> {
        if s == "-" {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    let max_accepted = n(it.next()?)?;
    let max_refused = n(it.next()?)?;
    let w = it.next()?;
    let digits = w.find(|c: char| !c.is_ascii_digit())?;
    let unit = Unit::ALL.into_iter().find(|u| u.key() == &w[digits..])?;
    let l = VelocityLimit {
        max_accepted,
        max_refused,
        window: Window::new(w[..digits].parse().ok()?, unit),
    };
    Some(format!(
        "{}{}{}",
        kind.noun(lang),
        lang.pick(" : ", ": "),
        l.text(lang)
    ))
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

    fn limit_mut(&mut self, kind: KeyKind) -> &mut VelocityLimit {
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
/// or rebill, not abandoned) that a rule did not stop first (585: a refused
/// fraudster retrying does not push their own window further), and that a bank
/// answered (a silent bank is not the cardholder's fault).
pub fn counts_for_velocity(op: Operation, code: ResultCode) -> bool {
    is_attempt(op, code)
        && ![
            ResultCode::TOO_MANY_ATTEMPTS,
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

/// The values an admin typed for one key kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitValues {
    pub max_accepted: String,
    pub max_refused: String,
    pub window: String,
    pub unit: String,
}

/// The restrictions form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RulesValues {
    /// In [`KeyKind::ALL`] order.
    pub limits: [LimitValues; 4],
    pub international_requires_3ds: bool,
}

impl RulesValues {
    /// The values showing `rules`.
    pub fn of(rules: &MerchantRules) -> RulesValues {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        RulesValues {
            limits: KeyKind::ALL.map(|k| {
                let l = rules.limit(k);
                LimitValues {
                    max_accepted: n(l.max_accepted),
                    max_refused: n(l.max_refused),
                    window: l.window.count.to_string(),
                    unit: l.window.unit.key().to_string(),
                }
            }),
            international_requires_3ds: rules.international_requires_3ds,
        }
    }

    /// The rules typed, or a message beside each bad field (fields are named
    /// `card_accepted`, `card_refused`, `card_window`, `card_unit`, …).
    pub fn parse(&self) -> Result<MerchantRules, Vec<FieldError>> {
        let mut rules = MerchantRules {
            international_requires_3ds: self.international_requires_3ds,
            ..MerchantRules::default()
        };
        let mut errors = Vec::new();
        for (kind, v) in KeyKind::ALL.iter().zip(&self.limits) {
            let l = rules.limit_mut(*kind);
            l.max_accepted = parse_limit(&v.max_accepted, field(*kind, "accepted"), &mut errors);
            l.max_refused = parse_limit(&v.max_refused, field(*kind, "refused"), &mut errors);
            if let Some(w) = parse_window(&v.window, &v.unit, *kind, &mut errors) {
                l.window = w;
            }
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }
}

/// The form field `{kind}_{what}` (static: a `FieldError` names its field).
pub fn field(kind: KeyKind, what: &str) -> &'static str {
    match (kind, what) {
        (KeyKind::Holder, "accepted") => "holder_accepted",
        (KeyKind::Holder, "refused") => "holder_refused",
        (KeyKind::Holder, "window") => "holder_window",
        (KeyKind::Holder, _) => "holder_unit",
        (KeyKind::Card, "accepted") => "card_accepted",
        (KeyKind::Card, "refused") => "card_refused",
        (KeyKind::Card, "window") => "card_window",
        (KeyKind::Card, _) => "card_unit",
        (KeyKind::Email, "accepted") => "email_accepted",
        (KeyKind::Email, "refused") => "email_refused",
        (KeyKind::Email, "window") => "email_window",
        (KeyKind::Email, _) => "email_unit",
        (KeyKind::Ip, "accepted") => "ip_accepted",
        (KeyKind::Ip, "refused") => "ip_refused",
        (KeyKind::Ip, "window") => "ip_window",
        (KeyKind::Ip, _) => "ip_unit",
    }
}

fn parse_limit(s: &str, name: &'static str, errors: &mut Vec<FieldError>) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<i64>() {
        Ok(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => u32::try_from(n).ok(),
        Ok(n) if n < 1 => {
            errors.push(FieldError::new(
                name,
                format!("« {s} » : la limite est au moins 1 (vide : pas de limite)."),
                format!("\"{s}\": the limit is at least 1 (empty: no limit)."),
            ));
            None
        }
        Ok(_) => {
            errors.push(FieldError::new(
                name,
                format!("« {s} » : au plus {MAX_LIMIT}."),
                format!("\"{s}\": at most {MAX_LIMIT}."),
            ));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                name,
                format!("« {s} » n'est pas un nombre entier de 1 à {MAX_LIMIT}."),
                format!("\"{s}\" is not a whole number from 1 to {MAX_LIMIT}."),
            ));
            None
        }
    }
}

fn parse_window(
    count: &str,
    unit: &str,
    kind: KeyKind,
    errors: &mut Vec<FieldError>,
) -> Option<Window> {
    let Some(unit) = Unit::ALL.into_iter().find(|u| u.key() == unit.trim()) else {
        errors.push(FieldError::new(
            field(kind, "unit"),
            "Choisissez minutes, heures ou jours.",
            "Choose minutes, hours or days.",
        ));
        return None;
    };
    let s = count.trim();
    let (fr, en) = if s.is_empty() {
        (
            "Indiquez la durée de la période (1 minute à 90 jours).".to_string(),
            "Give the length of the window (1 minute to 90 days).".to_string(),
        )
    } else {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 && Window::new(n, unit).seconds() <= MAX_WINDOW_SECONDS => {
                return Some(Window::new(n, unit));
            }
            _ => (
                format!("« {s} » : une période de 1 minute à 90 jours."),
                format!("\"{s}\": a window from 1 minute to 90 days."),
            ),
        }
    };
    errors.push(FieldError::new(field(kind, "window"), fr, en));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payment events for one key: (time, accepted).
    struct Events(Vec<(KeyKind, String, i64, bool)>);

    impl Events {
        fn count(&self, kind: KeyKind, key: &str, since: i64, now: i64) -> Counts {
            let mut c = Counts::default();
            for (k, v, at, ok) in &self.0 {
                if *k == kind && v == key && *at >= since && *at <= now {
                    if *ok {
                        c.accepted += 1;
                    } else {
                        c.refused += 1;
                    }
                }
            }
            c
        }

        fn eval(&self, rules: &MerchantRules, keys: &[(KeyKind, &str)], now: i64) -> Option<Fired> {
            let r: Result<_, ()> = evaluate(rules, now, |kind, since| {
                Ok(keys
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, v)| self.count(kind, v, since, now))
                    .unwrap_or_default())
            });
            r.ok().flatten()
        }
    }

    const T: i64 = 1_700_000_000;

    fn only(kind: KeyKind, l: VelocityLimit) -> MerchantRules {
        let none = VelocityLimit {
            max_accepted: None,
            max_refused: None,
            window: Window::new(1, Unit::Hours),
        };
        let mut r = MerchantRules {
            holder: none,
            card: none,
            email: none,
            ip: none,
            international_requires_3ds: true,
        };
        *r.limit_mut(kind) = l;
        r
    }

    #[test]
    fn the_limit_is_reached_at_t_and_freed_at_t_plus_the_window() {
        let rules = only(
            KeyKind::Card,
            VelocityLimit {
                max_accepted: None,
                max_refused: Some(3),
                window: Window::new(24, Unit::Hours),
            },
        );
        let ev = Events(
            [T - 100, T - 50, T]
                .iter()
                .map(|&at| (KeyKind::Card, "tok".to_string(), at, false))
                .collect(),
        );
        let keys = [(KeyKind::Card, "tok")];
        assert_eq!(
            ev.eval(&rules, &keys, T - 1),
            None,
            "2 refusals: a 3rd may try"
        );
        let fired = ev
            .eval(&rules, &keys, T)
            .expect("3 refusals: the 4th is refused");
        assert_eq!((fired.count, fired.limit, fired.refused), (3, 3, true));
        assert_eq!(
            fired.text(Lang::En),
            "3 refused payments for this card in 24 h, limit 3"
        );
        assert_eq!(
            fired.text(Lang::Fr),
            "3 paiements refusés pour cette carte en 24 h, limite 3"
        );
        let day = 86_400;
        assert!(ev.eval(&rules, &keys, T - 100 + day - 1).is_some());
        assert_eq!(
            ev.eval(&rules, &keys, T - 100 + day),
            None,
            "the first refusal left the window at t + 24 h"
        );
    }

    #[test]
    fn accepted_and_refused_payments_are_counted_apart() {
        let rules = only(
            KeyKind::Email,
            VelocityLimit {
                max_accepted: Some(2),
                max_refused: Some(5),
                window: Window::new(1, Unit::Days),
            },
        );
        let mut ev = Events(vec![
            (KeyKind::Email, "a".into(), T - 10, false),
            (KeyKind::Email, "a".into(), T - 9, false),
            (KeyKind::Email, "a".into(), T - 8, true),
        ]);
        let keys = [(KeyKind::Email, "a")];
        assert_eq!(ev.eval(&rules, &keys, T), None);
        ev.0.push((KeyKind::Email, "a".into(), T - 1, true));
        let fired = ev
            .eval(&rules, &keys, T)
            .expect("2 accepted reach the limit");
        assert!(!fired.refused);
        assert_eq!(
            fired.text(Lang::En),
            "2 accepted payments for this email in 1 day, limit 2"
        );
        assert_eq!(
            ev.eval(&rules, &[(KeyKind::Email, "b")], T),
            None,
            "another key"
        );
    }

    #[test]
    fn names_match_whatever_their_case_and_accents() {
        let rules = only(
            KeyKind::Holder,
            VelocityLimit {
                max_accepted: Some(1),
                max_refused: None,
                window: Window::new(30, Unit::Minutes),
            },
        );
        let ev = Events(vec![(KeyKind::Holder, fold("Hélène  Noël"), T, true)]);
        let key = fold("HELENE NOEL");
        assert!(ev.eval(&rules, &[(KeyKind::Holder, &key)], T).is_some());
    }

    #[test]
    fn a_missing_key_and_a_kind_without_limits_count_nothing() {
        let rules = MerchantRules::default();
        let ev = Events(
            (0..20)
                .map(|i| (KeyKind::Holder, "x".to_string(), T - i, false))
                .collect(),
        );
        assert_eq!(ev.eval(&rules, &[(KeyKind::Holder, "x")], T), None);
        assert_eq!(ev.eval(&rules, &[], T), None);
    }

    #[test]
    fn the_audit_summary_reads_back_in_words() {
        let r = MerchantRules::default();
        let s = r.summary();
        assert_eq!(
            s,
            "card=10/3/24hours email=-/5/24hours ip=-/10/1hours holder=-/-/24hours international_3ds=on"
        );
        let words: Vec<String> = s
            .split(' ')
            .filter_map(|p| p.split_once('='))
            .filter_map(|(k, v)| summary_words(k, v, Lang::Fr))
            .collect();
        assert_eq!(
            words,
            [
                "carte : 10 acceptés, 3 refusés en 24 h",
                "e-mail : 5 refusés en 24 h",
                "adresse IP : 10 refusés en 1 h",
                "nom du porteur : pas de limite",
                "cartes internationales : 3-D Secure exigé"
            ]
        );
        assert_eq!(
            summary_words("card", "-/3/7days", Lang::En).as_deref(),
            Some("card: 3 refused in 7 days")
        );
    }

    #[test]
    fn a_subject_folds_names_and_lowercases_emails() {
        let a = Subject {
            holder: "Hélène  Noël".into(),
            email: " Salma@Example.MA".into(),
            ..Subject::default()
        };
        let b = Subject {
            holder: "HELENE NOEL".into(),
            email: "salma@example.ma".into(),
            ..Subject::default()
        };
        assert_eq!(a.keys(), b.keys());
        assert_eq!(a.keys().len(), 2, "no card, no IP: not counted");
    }

    fn values(f: impl Fn(&mut RulesValues)) -> RulesValues {
        let mut v = RulesValues::of(&MerchantRules::default());
        f(&mut v);
        v
    }

    #[test]
    fn the_defaults_read_back_from_their_own_form() {
        let v = RulesValues::of(&MerchantRules::default());
        assert_eq!(v.parse(), Ok(MerchantRules::default()));
        let off = values(|v| v.international_requires_3ds = false);
        assert!(!off.parse().expect("valid").international_requires_3ds);
    }

    #[test]
    fn bad_limits_and_windows_are_named_beside_their_field() {
        let bad = values(|v| {
            v.limits[0].max_refused = "-1".into();
            v.limits[0].max_accepted = "10001".into();
            v.limits[1].max_refused = "trois".into();
            v.limits[2].window = String::new();
            v.limits[3].window = "91".into();
            v.limits[3].unit = "days".into();
        });
        let errors = bad.parse().expect_err("refused");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "card_accepted",
                "card_refused",
                "email_refused",
                "ip_window",
                "holder_window"
            ]
        );
        assert!(errors[1].en.contains("\"-1\""), "{:?}", errors[1]);
        let unit = values(|v| v.limits[0].unit = "weeks".into());
        assert_eq!(unit.parse().expect_err("refused")[0].field, "card_unit");
        let edge = values(|v| {
            v.limits[0].window = "90".into();
            v.limits[0].unit = "days".into();
            v.limits[1].window = "1".into();
            v.limits[1].unit = "minutes".into();
            v.limits[2].max_accepted = String::new();
        });
        assert!(edge.parse().is_ok(), "1 minute and 90 days are allowed");
    }
}
