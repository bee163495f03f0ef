//! The blacklist (FRAUD-4): cards, emails, IP addresses or ranges and holder names
//! that may not pay, for every merchant (global, admins only) or for one. Parsing of
//! what a user types into an entry, and the pure match of a payment against entries.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Lang;
use super::form::{FieldError, required, too_long};
use super::request_form::valid_email;
use super::text::{fold, free_text_error};
use super::transaction::Transaction;

/// Longest reason kept.
pub const REASON_MAX: usize = 200;
/// Longest name or email kept.
const VALUE_MAX: usize = 254;

/// What an entry lists.
/// Stored (in entries and in journals): the discriminants are the on-disk order; never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Kind {
    /// A card, by its storage token.
    Card = 0,
    Email = 1,
    /// One address or a CIDR range, IPv4 or IPv6.
    Ip = 2,
    /// A holder name, matched without case or accents.
    Name = 3,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Card, Kind::Email, Kind::Ip, Kind::Name];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Card => "card",
            Kind::Email => "email",
            Kind::Ip => "ip",
            Kind::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Card => lang.pick("Carte", "Card"),
            Kind::Email => lang.pick("Email", "Email"),
            Kind::Ip => lang.pick("Adresse IP", "IP address"),
            Kind::Name => lang.pick("Nom du porteur", "Holder name"),
        }
    }

    /// The kind inside a sentence ("blacklist: IP address").
    pub fn noun(self, lang: Lang) -> &'static str {
        match self {
            Kind::Card => lang.pick("carte", "card"),
            Kind::Email => lang.pick("email", "email"),
            Kind::Ip => lang.pick("adresse IP", "IP address"),
            Kind::Name => lang.pick("nom du porteur", "holder name"),
        }
    }

    /// "add this card": the one-click button of the transaction's tab.
    pub fn add_this(self, lang: Lang) -> &'static str {
        match self {
            Kind::Card => lang.pick("Ajouter cette carte", "Add this card"),
            Kind::Email => lang.pick("Ajouter cet email", "Add this email"),
            Kind::Ip => lang.pick("Ajouter cette IP", "Add this IP"),
            Kind::Name => lang.pick("Ajouter ce nom", "Add this name"),
        }
    }
}

/// One listed value.
/// Stored: a new record; its shape is pinned by `db::golden`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u64,
    pub kind: Kind,
    /// What is matched: the card's storage token, the email in lower case, the range
    /// in canonical form (`10.0.0.0/8`, `2001:db8::1`), the folded name.
    pub key: String,
    /// What people see: the masked card (BIN•••last4), the email, the range, the name
    /// as typed. Never a full card number.
    pub shown: String,
    /// `None`: every merchant (added by an admin).
    pub merchant_id: Option<u64>,
    pub added_by: String,
    /// Unix seconds.
    pub added_at: i64,
    pub reason: String,
}

impl Entry {
    /// Whether this entry applies to a payment of `merchant_id`.
    pub fn applies_to(&self, merchant_id: u64) -> bool {
        self.merchant_id.is_none_or(|m| m == merchant_id)
    }
}

/// An IP address or range: `prefix` leading bits of `network` (IPv4 in the low 32 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    pub v6: bool,
    pub network: u128,
    pub prefix: u8,
}

fn bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            // An IPv4 client seen through a dual-stack socket is the IPv4 address.
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(a)),
        },
    }
}

/// The mask of the first `prefix` bits of a `width`-bit address.
fn mask(width: u8, prefix: u8) -> u128 {
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if prefix == 0 {
        0
    } else {
        all & !((1u128 << (width - prefix)) - 1)
    }
}

impl IpRange {
    fn width(self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    /// Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`.
    pub fn parse(input: &str) -> Result<IpRange, FieldError> {
        let s = input.trim();
        let bad = || {
            FieldError::new(
                "value",
                format!(
                    "« {s} » n'est pas une adresse IP ni une plage CIDR (ex. 192.0.2.7, 10.0.0.0/8, 2001:db8::/32)."
                ),
                format!(
                    "\"{s}\" is not an IP address or CIDR range (e.g. 192.0.2.7, 10.0.0.0/8, 2001:db8::/32)."
                ),
            )
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| bad())?;
        let (v6, value) = match ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        let width = if v6 { 128 } else { 32 };
        let prefix = match prefix {
            None => width,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= width && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(FieldError::new(
                        "value",
                        format!(
                            "« /{p} » : la longueur du préfixe va de 0 à {width} pour cette adresse."
                        ),
                        format!(
                            "\"/{p}\": the prefix length goes from 0 to {width} for this address."
                        ),
                    ));
                }
            },
        };
        let range = IpRange {
            v6,
            network: value & mask(width, prefix),
            prefix,
        };
        if range.network != value {
            let fixed = range.to_string();
            return Err(FieldError::new(
                "value",
                format!("« {s} » a des bits d'hôte après le préfixe : vouliez-vous dire {fixed} ?"),
                format!("\"{s}\" has host bits set after the prefix: did you mean {fixed}?"),
            ));
        }
        Ok(range)
    }

    /// Whether `ip` is in the range (an IPv4 address never in an IPv6 range).
    pub fn contains(self, ip: IpAddr) -> bool {
        let (v6, value) = bits(ip);
        v6 == self.v6 && value & mask(self.width(), self.prefix) == self.network
    }

    /// The network at `prefix` that `ip` belongs to: what the index is looked up by.
    pub fn of(ip: IpAddr, prefix: u8) -> IpRange {
        let (v6, value) = bits(ip);
        let width = if v6 { 128 } else { 32 };
        IpRange {
            v6,
            network: value & mask(width, prefix.min(width)),
            prefix: prefix.min(width),
        }
    }

    /// Every prefix length an address of this family may be listed under.
    pub fn prefixes(ip: IpAddr) -> std::ops::RangeInclusive<u8> {
        if bits(ip).0 { 0..=128 } else { 0..=32 }
    }
}

impl std::str::FromStr for IpRange {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<IpRange, FieldError> {
        IpRange::parse(s)
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addr: IpAddr = if self.v6 {
            IpAddr::V6(self.network.into())
        } else {
            IpAddr::V4(u32::try_from(self.network).unwrap_or(0).into())
        };
        if self.prefix == self.width() {
            write!(f, "{addr}")
        } else {
            write!(f, "{addr}/{}", self.prefix)
        }
    }
}

/// The canonical email key: trimmed, lower case.
pub fn email_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A typed (kind, value) made into (key, shown). Cards are not typed: they are added
/// from a transaction (see [`card_value`]).
pub fn parse_value(kind: Kind, raw: &str) -> Result<(String, String), FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(required("value"));
    }
    if v.chars().count() > VALUE_MAX {
        return Err(too_long("value", VALUE_MAX));
    }
    match kind {
        Kind::Card => Err(FieldError::new(
            "kind",
            "Une carte s'ajoute depuis l'onglet « Liste noire » d'une de ses transactions.",
            "A card is added from the \"Blacklist\" tab of one of its transactions.",
        )),
        Kind::Email if valid_email(v) => Ok((email_key(v), v.to_string())),
        Kind::Email => Err(FieldError::new(
            "value",
            format!("« {v} » n'est pas une adresse email valide."),
            format!("\"{v}\" is not a valid email address."),
        )),
        Kind::Ip => IpRange::parse(v).map(|r| (r.to_string(), r.to_string())),
        Kind::Name => match free_text_error("value", v, false) {
            Some(e) => Err(e),
            None if fold(v).is_empty() => Err(required("value")),
            None => Ok((fold(v), v.to_string())),
        },
    }
}

/// A card's entry value: its storage token, shown masked.
pub fn card_value(token: &str, masked: &str) -> (String, String) {
    (token.to_string(), masked.to_string())
}

/// The reason, required, one line, short, no card number.
pub fn parse_reason(raw: &str) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError::new(
            "reason",
            "Indiquez pourquoi cette valeur est mise en liste noire.",
            "Say why this value is blacklisted.",
        ));
    }
    if v.chars().count() > REASON_MAX {
        return Err(too_long("reason", REASON_MAX));
    }
    match free_text_error("reason", v, false) {
        Some(e) => Err(e),
        None => Ok(v.to_string()),
    }
}

/// The add form as typed (the list page's and, without `value`, the tab's).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub kind: String,
    pub value: String,
    pub reason: String,
    /// `global` or a merchant id (admins only; a merchant user adds to their own).
    pub scope: String,
    /// `1` on the confirmation's form: without it, the answer is the confirmation.
    pub confirmed: String,
}

impl AddForm {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed == "1"
    }
}

/// The scope typed by an admin (`global` or a merchant id), or the merchant of a
/// merchant user (`own`), whatever they typed.
pub fn parse_scope(raw: &str, own: Option<u64>) -> Result<Option<u64>, FieldError> {
    if let Some(m) = own {
        return Ok(Some(m));
    }
    match raw.trim() {
        "global" => Ok(None),
        s => s.parse::<u64>().map(Some).map_err(|_| {
            FieldError::new(
                "scope",
                "Choisissez « tous les marchands » ou un marchand.",
                "Choose \"all merchants\" or a merchant.",
            )
        }),
    }
}

/// A typed entry, checked: (kind, key, shown, merchant, reason), or every field's error.
pub type Parsed = (Kind, String, String, Option<u64>, String);

/// Checks the list page's add form (`own`: the merchant of a merchant user).
pub fn parse_add(f: &AddForm, own: Option<u64>) -> Result<Parsed, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = Kind::parse(&f.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choisissez ce que vous mettez en liste noire.",
            "Choose what you are blacklisting.",
        ));
    }
    let value = kind.map(|k| parse_value(k, &f.value));
    let reason = parse_reason(&f.reason);
    let scope = parse_scope(&f.scope, own);
    match (kind, value, reason, scope) {
        (Some(k), Some(Ok((key, shown))), Ok(r), Ok(s)) if errors.is_empty() => {
            Ok((k, key, shown, s, r))
        }
        (_, value, reason, scope) => {
            errors.extend(value.and_then(Result::err));
            errors.extend(reason.err());
            errors.extend(scope.err());
            Err(errors)
        }
    }
}

/// What a payment (or a transaction) offers to the blacklist.
#[derive(Clone, Debug, Default)]
pub struct Candidate<'a> {
    pub merchant_id: u64,
    pub card_token: Option<&'a str>,
    pub email: &'a str,
    pub ip: &'a str,
    pub holder: &'a str,
}

impl Candidate<'_> {
    /// The key this payment has for `kind`, if any.
    pub fn key(&self, kind: Kind) -> Option<String> {
        let key = match kind {
            Kind::Card => self.card_token.unwrap_or_default().to_string(),
            Kind::Email => email_key(self.email),
            Kind::Ip => IpRange::of(self.ip_addr()?, 128).to_string(),
            Kind::Name => fold(self.holder),
        };
        (!key.is_empty()).then_some(key)
    }

    pub fn ip_addr(&self) -> Option<IpAddr> {
        self.ip.trim().parse().ok()
    }
}

/// What a stored transaction offers: its card's token, its buyer's email, the IP it
/// came from and its holder's name (the card's, else the buyer's).
pub fn candidate_of(tx: &Transaction) -> Candidate<'_> {
    let card = tx.card.as_ref();
    Candidate {
        merchant_id: tx.merchant_id,
        card_token: card.map(|c| c.token.as_str()).filter(|t| !t.is_empty()),
        email: &tx.buyer.email,
        ip: &tx.initiator.ip,
        holder: card
            .map(|c| c.holder.as_str())
            .filter(|h| !h.trim().is_empty())
            .unwrap_or(&tx.buyer.name),
    }
}

/// Whether `entry` lists something of `c` (its scope included).
pub fn entry_matches(entry: &Entry, c: &Candidate) -> bool {
    if !entry.applies_to(c.merchant_id) {
        return false;
    }
    match entry.kind {
        Kind::Ip => match (IpRange::parse(&entry.key), c.ip_addr()) {
            (Ok(r), Some(ip)) => r.contains(ip),
            _ => false,
        },
        kind => c.key(kind).is_some_and(|k| k == entry.key),
    }
}

/// The entries among `entries` that list something of `c`, in their order.
pub fn matches<'e>(entries: &'e [Entry], c: &Candidate) -> Vec<&'e Entry> {
    entries.iter().filter(|e| entry_matches(e, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, kind: Kind, raw: &str, merchant_id: Option<u64>) -> Entry {
        let (key, shown) = match kind {
            Kind::Card => card_value(raw, "411111•••1111"),
            k => parse_value(k, raw).unwrap(),
        };
        Entry {
            id,
            kind,
            key,
            shown,
            merchant_id,
            added_by: "admin".into(),
            added_at: 1_780_000_000,
            reason: "fraud".into(),
        }
    }

    fn ip(ip: &str) -> Candidate<'_> {
        Candidate {
            merchant_id: 1,
            ip,
            ..Candidate::default()
        }
    }

    #[test]
    fn cidr_edges_first_and_last_address_zero_and_full_prefix() {
        let net = [entry(1, Kind::Ip, "10.1.0.0/16", None)];
        assert_eq!(matches(&net, &ip("10.1.0.0")).len(), 1);
        assert_eq!(matches(&net, &ip("10.1.255.255")).len(), 1);
        assert!(matches(&net, &ip("10.0.255.255")).is_empty());
        assert!(matches(&net, &ip("10.2.0.0")).is_empty());
        let all = [entry(2, Kind::Ip, "0.0.0.0/0", None)];
        assert_eq!(matches(&all, &ip("203.0.113.9")).len(), 1);
        assert!(matches(&all, &ip("2001:db8::1")).is_empty(), "v4 never v6");
        let one = [entry(3, Kind::Ip, "192.0.2.7/32", None)];
        assert_eq!(one[0].key, "192.0.2.7");
        assert_eq!(matches(&one, &ip("192.0.2.7")).len(), 1);
        assert!(matches(&one, &ip("192.0.2.8")).is_empty());
        assert_eq!(
            matches(&one, &ip("::ffff:192.0.2.7")).len(),
            1,
            "a v4-mapped client is its v4 address"
        );
    }

    #[test]
    fn cidr_v6_ranges_and_single_addresses() {
        let net = [entry(1, Kind::Ip, "2001:db8::/32", None)];
        assert_eq!(matches(&net, &ip("2001:db8::")).len(), 1);
        assert_eq!(
            matches(&net, &ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")).len(),
            1
        );
        assert!(matches(&net, &ip("2001:db9::")).is_empty());
        assert!(matches(&net, &ip("10.0.0.1")).is_empty());
        let all = [entry(2, Kind::Ip, "::/0", None)];
        assert_eq!(matches(&all, &ip("fe80::1")).len(), 1);
        let one = [entry(3, Kind::Ip, "2001:DB8::1", None)];
        assert_eq!(one[0].key, "2001:db8::1");
        assert_eq!(matches(&one, &ip("2001:db8:0::1")).len(), 1);
        assert!(matches(&one, &ip("2001:db8::2")).is_empty());
        assert!(matches(&one, &ip("not an ip")).is_empty());
    }

    #[test]
    fn malformed_addresses_and_prefixes_are_refused_with_a_message() {
        for (bad, word) in [
            ("10.0.0.0/33", "/33"),
            ("2001:db8::/129", "/129"),
            ("10.0.0.0/-1", "/-1"),
            ("10.0.0.0/", "/"),
            ("10.0.0.256", "10.0.0.256"),
            ("hello", "hello"),
            ("10.0.0.1/8", "10.0.0.0/8"),
        ] {
            let e = IpRange::parse(bad).unwrap_err();
            assert_eq!(e.field, "value");
            assert!(e.fr.contains(word) && e.en.contains(word), "{bad}: {e:?}");
        }
    }

    #[test]
    fn names_match_without_case_or_accents_and_emails_without_case() {
        let list = [
            entry(1, Kind::Name, "Éloïse  BENANI", None),
            entry(2, Kind::Email, "Fraud@Example.MA", None),
        ];
        let c = Candidate {
            merchant_id: 1,
            holder: "eloise benani",
            email: "fraud@example.ma ",
            ..Candidate::default()
        };
        assert_eq!(
            matches(&list, &c).iter().map(|e| e.id).collect::<Vec<_>>(),
            [1, 2]
        );
        let other = Candidate {
            holder: "Eloise Benan",
            email: "fraud@example.com",
            ..c
        };
        assert!(matches(&list, &other).is_empty());
    }

    #[test]
    fn a_card_matches_by_token_and_scope_limits_an_entry_to_its_merchant() {
        let list = [
            entry(1, Kind::Card, "1:abc", Some(7)),
            entry(2, Kind::Card, "1:abc", None),
        ];
        let mine = Candidate {
            merchant_id: 7,
            card_token: Some("1:abc"),
            ..Candidate::default()
        };
        assert_eq!(matches(&list, &mine).len(), 2);
        let other = Candidate {
            merchant_id: 8,
            ..mine.clone()
        };
        assert_eq!(
            matches(&list, &other)
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            [2]
        );
        let no_card = Candidate {
            card_token: None,
            ..mine
        };
        assert!(matches(&list, &no_card).is_empty());
    }

    #[test]
    fn bad_values_and_reasons_say_what_is_wrong() {
        assert_eq!(parse_value(Kind::Email, "a@b").unwrap_err().field, "value");
        assert_eq!(parse_value(Kind::Name, "  ").unwrap_err().field, "value");
        assert_eq!(parse_value(Kind::Card, "4111").unwrap_err().field, "kind");
        assert_eq!(
            parse_value(Kind::Name, "4111 1111 1111 1111")
                .unwrap_err()
                .field,
            "value"
        );
        assert_eq!(parse_reason(" ").unwrap_err().field, "reason");
        assert_eq!(
            parse_reason(&"x".repeat(REASON_MAX + 1)).unwrap_err().field,
            "reason"
        );
        assert_eq!(parse_reason(" chargeback ").unwrap(), "chargeback");
    }
}
