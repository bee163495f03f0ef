//! The fraud restrictions form (FRAUD-1, FRAUD-3): the values an admin types, their
//! checks with a message beside each bad field, and the audit line read back in words.

use super::Lang;
use super::form::FieldError;
use super::fraud::{
    KeyKind, MAX_LIMIT, MAX_WINDOW_SECONDS, MerchantRules, Unit, VelocityLimit, Window,
};

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
