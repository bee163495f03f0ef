//! Buyer location rules (FRAUD-2): per merchant, an allow-list or a deny-list of
//! countries for the card's country (from its BIN) and, separately, for the buyer's
//! IP address country (`geo::ip_country`). A payment from a country a list refuses
//! gets [`ResultCode::COUNTRY_REFUSED`] before the acquirer is called, and its
//! Journal names the list and the country. Pure: the countries are looked up by the
//! caller.
//!
//! A country nobody can tell (a private or unassigned IP address, a card whose BIN
//! has no country) is refused by an allow-list (it is not shown to be allowed) and
//! let through by a deny-list (it is not shown to be denied).

use serde::{Deserialize, Serialize};

use super::Lang;
use super::countries;
use super::form::FieldError;

/// How a country list is used.
/// Stored (in rules and journals): the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum ListMode {
    /// No restriction (the list is kept, unused).
    #[default]
    Off = 0,
    /// Only the listed countries pass.
    Allow = 1,
    /// The listed countries are refused.
    Deny = 2,
}

impl ListMode {
    pub const ALL: [ListMode; 3] = [ListMode::Off, ListMode::Allow, ListMode::Deny];

    /// The form value.
    pub fn key(self) -> &'static str {
        match self {
            ListMode::Off => "off",
            ListMode::Allow => "allow",
            ListMode::Deny => "deny",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ListMode::Off => lang.pick("Aucune restriction", "No restriction"),
            ListMode::Allow => lang.pick(
                "Accepter seulement ces pays (liste autorisée)",
                "Accept only these countries (allow-list)",
            ),
            ListMode::Deny => lang.pick(
                "Refuser ces pays (liste refusée)",
                "Refuse these countries (deny-list)",
            ),
        }
    }
}

/// Which country a rule looks at.
/// Stored (in journals): the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Source {
    /// The card's issuing country, from its BIN.
    Card = 0,
    /// The country the buyer's IP address is registered in.
    Ip = 1,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Card, Source::Ip];

    /// The form field prefix.
    pub fn key(self) -> &'static str {
        match self {
            Source::Card => "card_country",
            Source::Ip => "ip_country",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Source::Card => lang.pick("Pays de la carte", "Card country"),
            Source::Ip => lang.pick("Pays de l'adresse IP", "IP address country"),
        }
    }
}

/// One country list and how it is used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryRule {
    pub mode: ListMode,
    /// ISO 3166-1 alpha-2 codes, upper case, sorted, without duplicates.
    pub countries: Vec<String>,
}

impl CountryRule {
    /// Whether a payment from `country` (`None`: unknown) is refused.
    pub fn refuses(&self, country: Option<&str>) -> bool {
        let listed = country.is_some_and(|c| self.countries.iter().any(|l| l == c));
        match self.mode {
            ListMode::Off => false,
            ListMode::Allow => !listed,
            ListMode::Deny => listed,
        }
    }

    /// "MA, FR" or "—".
    pub fn codes(&self) -> String {
        if self.countries.is_empty() {
            "—".into()
        } else {
            self.countries.join(", ")
        }
    }

    /// "Maroc (MA), France (FR)".
    pub fn names(&self, lang: Lang) -> String {
        self.countries
            .iter()
            .map(|c| country_text(c, lang))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "seulement Maroc (MA), France (FR)" / "all except Russia (RU)" / "no restriction".
    pub fn text(&self, lang: Lang) -> String {
        match self.mode {
            ListMode::Off => lang.pick("aucune restriction", "no restriction").into(),
            ListMode::Allow => format!("{}{}", lang.pick("seulement ", "only "), self.names(lang)),
            ListMode::Deny => format!(
                "{}{}",
                lang.pick("tous sauf ", "all except "),
                self.names(lang)
            ),
        }
    }
}

/// "Maroc (MA)", or the code alone when it is not a known country.
fn country_text(code: &str, lang: Lang) -> String {
    match countries::name(code, lang) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    }
}

/// A merchant's location rules; the default restricts nothing (international cards
/// are already held to 3-D Secure by FRAUD-3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationRules {
    pub card: CountryRule,
    pub ip: CountryRule,
}

impl LocationRules {
    pub fn rule(&self, source: Source) -> &CountryRule {
        match source {
            Source::Card => &self.card,
            Source::Ip => &self.ip,
        }
    }

    /// Whether any list is in use.
    pub fn is_on(&self) -> bool {
        self.card.mode != ListMode::Off || self.ip.mode != ListMode::Off
    }

    /// One line for the audit log: `card_country=allow:MA,FR ip_country=off`.
    pub fn summary(&self) -> String {
        Source::ALL
            .iter()
            .map(|s| {
                let r = self.rule(*s);
                match r.mode {
                    ListMode::Off => format!("{}=off", s.key()),
                    m => format!("{}={}:{}", s.key(), m.key(), r.countries.join(",")),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One `key=value` of a [`LocationRules::summary`] in words, for the audit log.
pub fn summary_words(key: &str, value: &str, lang: Lang) -> Option<String> {
    let source = Source::ALL.into_iter().find(|s| s.key() == key)?;
    let (mode, list) = value.split_once(':').unwrap_or((value, ""));
    let mode = ListMode::ALL.into_iter().find(|m| m.key() == mode)?;
    let rule = CountryRule {
        mode,
        countries: list
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    };
    Some(format!(
        "{}{}{}",
        source.label(lang),
        lang.pick(" : ", ": "),
        rule.text(lang)
    ))
}

/// The rule that refused a payment: which country, from which list. Stored in
/// journals (`Rule::Location`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationFired {
    pub source: Source,
    pub mode: ListMode,
    /// The country looked at; `None` when it is unknown.
    pub country: Option<[u8; 2]>,
}

impl LocationFired {
    fn country(&self) -> Option<&str> {
        self.country
            .as_ref()
            .and_then(|c| std::str::from_utf8(c).ok())
    }

    /// "carte émise en Espagne (ES), pays absent de la liste autorisée" /
    /// "card issued in Spain (ES), a country not on the allow-list".
    pub fn text(&self, lang: Lang) -> String {
        let what = match (self.source, self.country()) {
            (Source::Card, Some(c)) => format!(
                "{}{}",
                lang.pick("carte émise en ", "card issued in "),
                country_text(c, lang)
            ),
            (Source::Card, None) => lang
                .pick("carte d'un pays inconnu", "card of an unknown country")
                .into(),
            (Source::Ip, Some(c)) => format!(
                "{}{}",
                lang.pick("adresse IP située en ", "IP address located in "),
                country_text(c, lang)
            ),
            (Source::Ip, None) => lang
                .pick(
                    "adresse IP sans pays connu",
                    "IP address with no known country",
                )
                .into(),
        };
        let why = match self.mode {
            ListMode::Deny => lang.pick("pays de la liste refusée", "a country on the deny-list"),
            _ => lang.pick(
                "pays absent de la liste autorisée",
                "a country not on the allow-list",
            ),
        };
        format!("{what}, {why}")
    }
}

/// The first list that refuses a payment whose card is from `card_country` and whose
/// buyer's IP address is in `ip_country` (`None`: unknown). A payment without a
/// buyer IP address (a rebill, asked from the back office) passes `check_ip: false`.
pub fn evaluate(
    rules: &LocationRules,
    card_country: Option<&str>,
    ip_country: Option<&str>,
    check_ip: bool,
) -> Option<LocationFired> {
    let fired = |source, country: Option<&str>| {
        let rule = rules.rule(source);
        rule.refuses(country).then(|| LocationFired {
            source,
            mode: rule.mode,
            country: country.and_then(|c| <[u8; 2]>::try_from(c.as_bytes()).ok()),
        })
    };
    let card_country = card_country.filter(|c| !c.trim().is_empty());
    fired(Source::Card, card_country).or_else(|| {
        if check_ip {
            fired(Source::Ip, ip_country)
        } else {
            None
        }
    })
}

/// The most countries a list may hold (there are 249).
pub const MAX_COUNTRIES: usize = 249;

/// The location fields as typed: a mode and the codes ("MA, FR BE").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationValues {
    /// In [`Source::ALL`] order.
    pub modes: [String; 2],
    pub countries: [String; 2],
}

impl LocationValues {
    pub fn of(rules: &LocationRules) -> LocationValues {
        LocationValues {
            modes: Source::ALL.map(|s| rules.rule(s).mode.key().to_string()),
            countries: Source::ALL.map(|s| rules.rule(s).countries.join(", ")),
        }
    }

    /// The rules typed, or a message beside each bad field (`card_country_mode`,
    /// `card_country_list`, `ip_country_mode`, `ip_country_list`).
    pub fn parse(&self) -> Result<LocationRules, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut rules = LocationRules::default();
        for (i, source) in Source::ALL.into_iter().enumerate() {
            let (mode_field, list_field) = fields(source);
            // A form without the field (an older page) means no restriction.
            let typed = self.modes[i].trim();
            let mode = ListMode::ALL
                .into_iter()
                .find(|m| m.key() == typed || (typed.is_empty() && *m == ListMode::Off));
            let Some(mode) = mode else {
                errors.push(FieldError::new(
                    mode_field,
                    "Choisissez : aucune restriction, liste autorisée ou liste refusée.",
                    "Choose: no restriction, allow-list or deny-list.",
                ));
                continue;
            };
            let countries = parse_countries(&self.countries[i], list_field, &mut errors);
            if mode != ListMode::Off && countries.as_ref().is_some_and(Vec::is_empty) {
                errors.push(FieldError::new(
                    list_field,
                    "Donnez au moins un pays (code ISO à 2 lettres, ex. MA), ou choisissez « aucune restriction ».",
                    "Give at least one country (2-letter ISO code, e.g. MA), or choose \"no restriction\".",
                ));
            }
            let rule = CountryRule {
                mode,
                countries: countries.unwrap_or_default(),
            };
            match source {
                Source::Card => rules.card = rule,
                Source::Ip => rules.ip = rule,
            }
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }
}

/// The form fields of a source: its mode and its list.
pub fn fields(source: Source) -> (&'static str, &'static str) {
    match source {
        Source::Card => ("card_country_mode", "card_country_list"),
        Source::Ip => ("ip_country_mode", "ip_country_list"),
    }
}

/// Codes separated by commas, semicolons or spaces; each must be a known ISO
/// 3166-1 alpha-2 code. `None` (with a message) when one is not.
fn parse_countries(
    input: &str,
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for part in input
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        match countries::parse(part) {
            Some(code) => out.push(code),
            None => unknown.push(part.chars().take(20).collect::<String>()),
        }
    }
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .take(5)
            .map(|u| format!("« {u} »"))
            .collect::<Vec<_>>()
            .join(", ");
        let list_en = unknown
            .iter()
            .take(5)
            .map(|u| format!("\"{u}\""))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(FieldError::new(
            field,
            format!("{list} : pas un code pays ISO à 2 lettres (ex. MA, FR, ES)."),
            format!("{list_en}: not a 2-letter ISO country code (e.g. MA, FR, ES)."),
        ));
        return None;
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_COUNTRIES {
        errors.push(FieldError::new(
            field,
            format!("{MAX_COUNTRIES} pays au plus."),
            format!("At most {MAX_COUNTRIES} countries."),
        ));
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: ListMode, countries: &[&str]) -> CountryRule {
        CountryRule {
            mode,
            countries: countries.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn an_allow_list_passes_only_its_countries_and_a_deny_list_refuses_only_its_own() {
        let allow = rule(ListMode::Allow, &["FR", "MA"]);
        assert!(!allow.refuses(Some("MA")));
        assert!(allow.refuses(Some("ES")));
        assert!(allow.refuses(None), "unknown is not shown to be allowed");
        let deny = rule(ListMode::Deny, &["RU"]);
        assert!(deny.refuses(Some("RU")));
        assert!(!deny.refuses(Some("MA")));
        assert!(!deny.refuses(None), "unknown is not shown to be denied");
        let off = rule(ListMode::Off, &["MA"]);
        assert!(!off.refuses(Some("ES")) && !off.refuses(None));
    }

    #[test]
    fn the_card_country_is_checked_before_the_ip_country_and_rebills_skip_the_ip() {
        let rules = LocationRules {
            card: rule(ListMode::Allow, &["MA"]),
            ip: rule(ListMode::Deny, &["RU"]),
        };
        assert_eq!(evaluate(&rules, Some("MA"), Some("MA"), true), None);
        let card = evaluate(&rules, Some("ES"), Some("RU"), true).expect("refused");
        assert_eq!(card.source, Source::Card);
        assert_eq!(card.country, Some(*b"ES"));
        let ip = evaluate(&rules, Some("MA"), Some("RU"), true).expect("refused");
        assert_eq!((ip.source, ip.mode), (Source::Ip, ListMode::Deny));
        assert_eq!(evaluate(&rules, Some("MA"), Some("RU"), false), None);
        let unknown = evaluate(&rules, Some(""), None, true).expect("refused");
        assert_eq!((unknown.source, unknown.country), (Source::Card, None));
        assert_eq!(evaluate(&LocationRules::default(), None, None, true), None);
    }

    #[test]
    fn the_journal_names_the_list_and_the_country_in_both_languages() {
        let f = LocationFired {
            source: Source::Card,
            mode: ListMode::Allow,
            country: Some(*b"ES"),
        };
        assert_eq!(
            f.text(Lang::Fr),
            "carte émise en Espagne (ES), pays absent de la liste autorisée"
        );
        assert_eq!(
            f.text(Lang::En),
            "card issued in Spain (ES), a country not on the allow-list"
        );
        let ip = LocationFired {
            source: Source::Ip,
            mode: ListMode::Deny,
            country: Some(*b"RU"),
        };
        assert!(
            ip.text(Lang::En)
                .starts_with("IP address located in Russia")
        );
        assert!(ip.text(Lang::En).ends_with("a country on the deny-list"));
        let none = LocationFired {
            country: None,
            ..ip
        };
        assert!(
            none.text(Lang::Fr)
                .starts_with("adresse IP sans pays connu")
        );
    }

    #[test]
    fn typed_codes_are_upper_cased_sorted_and_deduplicated() {
        let v = LocationValues {
            modes: ["allow".into(), "deny".into()],
            countries: ["ma; fr  MA,es".into(), "ru".into()],
        };
        let r = v.parse().expect("valid");
        assert_eq!(r.card.countries, ["ES", "FR", "MA"]);
        assert_eq!(r.ip, rule(ListMode::Deny, &["RU"]));
        assert_eq!(LocationValues::of(&r).parse(), Ok(r.clone()));
        assert_eq!(
            r.summary(),
            "card_country=allow:ES,FR,MA ip_country=deny:RU"
        );
        assert_eq!(
            summary_words("card_country", "allow:ES,MA", Lang::Fr).as_deref(),
            Some("Pays de la carte : seulement Espagne (ES), Maroc (MA)")
        );
        assert_eq!(
            summary_words("ip_country", "off", Lang::En).as_deref(),
            Some("IP address country: no restriction")
        );
    }

    #[test]
    fn unknown_codes_an_empty_list_and_an_unknown_mode_are_named_beside_their_field() {
        let v = LocationValues {
            modes: ["allow".into(), "sometimes".into()],
            countries: ["MA, XX, France".into(), String::new()],
        };
        let errors = v.parse().expect_err("refused");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["card_country_list", "ip_country_mode"]);
        assert!(
            errors[0].en.contains("\"XX\", \"France\""),
            "{:?}",
            errors[0]
        );
        let empty = LocationValues {
            modes: ["deny".into(), "off".into()],
            countries: [" , ".into(), "ma".into()],
        };
        let errors = empty.parse().expect_err("refused");
        assert_eq!(errors[0].field, "card_country_list");
        assert!(errors[0].fr.contains("au moins un pays"));
        let off = LocationValues {
            modes: ["off".into(), "off".into()],
            countries: [String::new(), "ma".into()],
        };
        let r = off.parse().expect("an unused list is kept");
        assert_eq!(r.ip, rule(ListMode::Off, &["MA"]));
        assert!(!r.is_on());
    }
}
