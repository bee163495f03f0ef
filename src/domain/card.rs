//! Cards: the number as typed (Luhn-checked, never stored), its brand from the BIN,
//! its masked form `411111XXXXXX1111`, expiry and security code checks, and the keyed
//! storage token that stands for the card once the number is gone.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::Date;

use super::Lang;

/// Card schemes recognised from the first digits.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Brand {
    Visa = 0,
    Mastercard = 1,
    Amex = 2,
    Maestro = 3,
    Discover = 4,
    Jcb = 5,
    Diners = 6,
    UnionPay = 7,
    Unknown = 8,
}

impl Brand {
    pub const ALL: [Brand; 9] = [
        Brand::Visa,
        Brand::Mastercard,
        Brand::Amex,
        Brand::Maestro,
        Brand::Discover,
        Brand::Jcb,
        Brand::Diners,
        Brand::UnionPay,
        Brand::Unknown,
    ];

    /// The scheme's name as printed on screens and exports.
    pub fn name(self) -> &'static str {
        match self {
            Brand::Visa => "VISA",
            Brand::Mastercard => "MASTERCARD",
            Brand::Amex => "AMEX",
            Brand::Maestro => "MAESTRO",
            Brand::Discover => "DISCOVER",
            Brand::Jcb => "JCB",
            Brand::Diners => "DINERS",
            Brand::UnionPay => "UNIONPAY",
            Brand::Unknown => "UNKNOWN",
        }
    }

    /// Short lowercase key used in query strings (`brand=visa`).
    pub fn key(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Maestro => "maestro",
            Brand::Discover => "discover",
            Brand::Jcb => "jcb",
            Brand::Diners => "diners",
            Brand::UnionPay => "unionpay",
            Brand::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Brand> {
        let s = s.trim();
        Brand::ALL
            .into_iter()
            .find(|b| b.key().eq_ignore_ascii_case(s) || b.name().eq_ignore_ascii_case(s))
    }

    /// Length of the security code for this brand.
    pub fn cvv_len(self) -> usize {
        if self == Brand::Amex { 4 } else { 3 }
    }

    /// The brand of a card number, from its first digits.
    pub fn from_digits(digits: &str) -> Brand {
        let prefix = |n: usize| {
            digits
                .get(..n)
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
        match () {
            _ if p1 == 4 => Brand::Visa,
            _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => Brand::Mastercard,
            _ if p2 == 34 || p2 == 37 => Brand::Amex,
            _ if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) => Brand::Discover,
            _ if (3528..=3589).contains(&p4) => Brand::Jcb,
            _ if p2 == 36 || p2 == 38 || (300..=305).contains(&p3) => Brand::Diners,
            _ if p2 == 62 => Brand::UnionPay,
            _ if p2 == 50 || (56..=69).contains(&p2) => Brand::Maestro,
            _ => Brand::Unknown,
        }
    }
}

/// Why a typed card detail is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardError {
    Empty,
    NotDigits,
    BadLength(usize),
    Luhn,
    BadExpiry(String),
    Expired,
    BadCvv,
}

impl CardError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CardError::Empty, Lang::Fr) => "Le numéro de carte est obligatoire.".into(),
            (CardError::Empty, Lang::En) => "The card number is required.".into(),
            (CardError::NotDigits, Lang::Fr) => {
                "Le numéro de carte ne doit contenir que des chiffres.".into()
            }
            (CardError::NotDigits, Lang::En) => "The card number must contain digits only.".into(),
            (CardError::BadLength(n), Lang::Fr) => {
                format!("Un numéro de carte a de 12 à 19 chiffres (ici {n}).")
            }
            (CardError::BadLength(n), Lang::En) => {
                format!("A card number has 12 to 19 digits (this one has {n}).")
            }
            (CardError::Luhn, Lang::Fr) => {
                "Ce numéro de carte n'est pas valide : vérifiez-le.".into()
            }
            (CardError::Luhn, Lang::En) => "This card number is not valid: please check it.".into(),
            (CardError::BadExpiry(s), Lang::Fr) if s.is_empty() => {
                "Date d'expiration attendue au format MM/AA.".into()
            }
            (CardError::BadExpiry(s), Lang::Fr) => {
                format!("« {s} » : date d'expiration attendue au format MM/AA.")
            }
            (CardError::BadExpiry(s), Lang::En) if s.is_empty() => {
                "Expiry date expected as MM/YY.".into()
            }
            (CardError::BadExpiry(s), Lang::En) => {
                format!("\"{s}\": expiry date expected as MM/YY.")
            }
            (CardError::Expired, Lang::Fr) => "Cette carte est expirée.".into(),
            (CardError::Expired, Lang::En) => "This card has expired.".into(),
            (CardError::BadCvv, Lang::Fr) => {
                "Saisissez le cryptogramme : 3 chiffres au dos de la carte.".into()
            }
            (CardError::BadCvv, Lang::En) => {
                "Enter the security code: 3 digits on the back of the card.".into()
            }
        }
    }
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for CardError {}

/// True when the digit string passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

pub use super::card_text::{contains_pan_like, echo_safe};

/// Strips the spaces and dashes people type between groups of digits.
pub fn normalize_digits(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect()
}

/// A full card number (PAN) as typed, Luhn-checked. It lives only in memory while a
/// payment is processed: it has no `Serialize`, and `Debug` shows it masked.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(String);

impl Pan {
    /// Parses a number, refusing wrong characters, lengths and Luhn failures.
    pub fn parse(input: &str) -> Result<Pan, CardError> {
        let digits = Pan::digits_only(input)?;
        if !luhn_valid(&digits) {
            return Err(CardError::Luhn);
        }
        Ok(Pan(digits))
    }

    /// Like [`Pan::parse`] but keeps a Luhn-invalid number (for the acquirer, which
    /// answers 004 to it).
    pub fn parse_unchecked(input: &str) -> Result<Pan, CardError> {
        Pan::digits_only(input).map(Pan)
    }

    fn digits_only(input: &str) -> Result<String, CardError> {
        let digits = normalize_digits(input);
        if digits.is_empty() {
            return Err(CardError::Empty);
        }
        // Spaces and dashes only between digits: `-4111…` or `4111…-` is not a number.
        let trimmed = input.trim_matches(|c: char| c == ' ' || c == '\u{a0}');
        let digit_ends = trimmed.starts_with(|c: char| c.is_ascii_digit())
            && trimmed.ends_with(|c: char| c.is_ascii_digit());
        if !digit_ends || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CardError::NotDigits);
        }
        if !(12..=19).contains(&digits.len()) {
            return Err(CardError::BadLength(digits.len()));
        }
        Ok(digits)
    }

    pub fn is_luhn_valid(&self) -> bool {
        luhn_valid(&self.0)
    }

    /// The digits, for the acquirer call only. Never log or store them.
    pub fn expose_digits(&self) -> &str {
        &self.0
    }

    /// The first six digits (bank identification number).
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    pub fn brand(&self) -> Brand {
        Brand::from_digits(&self.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `411111XXXXXX1111`.
    pub fn masked(&self) -> String {
        mask(self.bin(), self.last4(), self.0.len())
    }

    /// The keyed token that stands for this card in storage: HMAC-SHA256 of the
    /// number under card key `key_id` (kept in the key file, never in the data file),
    /// 24 hex digits with the key id in front (see [`token_with_key_id`]). The same
    /// card gives the same token under one key; without the key it reveals nothing.
    pub fn storage_token(&self, key_id: u32, key: &[u8]) -> String {
        token_with_key_id(key_id, &keyed_hex(key, self.0.as_bytes()))
    }
}

/// Hex of the first 96 bits of HMAC-SHA256(`key`, `data`).
fn keyed_hex(key: &[u8], data: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC accepts keys of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(data);
    let bytes = mac.finalize().into_bytes();
    bytes[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A storage token as kept: the id of the card key it was made with, then its hex.
/// Key 1 has no prefix (the tokens written before key ids existed); others read
/// `k<id>:<hex>`.
pub fn token_with_key_id(key_id: u32, hex: &str) -> String {
    if key_id == 1 {
        hex.to_string()
    } else {
        format!("k{key_id}:{hex}")
    }
}

/// The id of the card key a stored token was made with (1 when it has no prefix).
pub fn token_key_id(token: &str) -> u32 {
    token
        .strip_prefix('k')
        .and_then(|t| t.split_once(':'))
        .and_then(|(id, _)| id.parse().ok())
        .unwrap_or(1)
}

/// Rotation: the token under the new key is HMAC(new key, old token as stored), so
/// it is made without the card number and the old key can then be destroyed.
pub fn rekey_token(old: &str, new_id: u32, new_key: &[u8]) -> String {
    token_with_key_id(new_id, &keyed_hex(new_key, old.as_bytes()))
}

/// A short, non-reversible mark of a stored token for the back office: the first 8
/// hex digits of its SHA-256.
pub fn token_fingerprint(token: &str) -> String {
    use sha2::Digest;
    Sha256::digest(token.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

/// The masked number from its parts: BIN, as many `X` as hidden digits, last four.
pub fn mask(bin: &str, last4: &str, len: usize) -> String {
    let hidden = len.saturating_sub(bin.len() + last4.len());
    format!("{bin}{}{last4}", "X".repeat(hidden))
}

/// A card's expiry month and year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    pub month: u8,
    pub year: u16,
}

impl Expiry {
    /// Parses `MM/YY`, `MM/YYYY`, `MM-YY` or `MMYY`.
    pub fn parse(input: &str) -> Result<Expiry, CardError> {
        // The message quotes what was typed, unless it may be a card number.
        let bad = || CardError::BadExpiry(echo_safe(input.trim()).chars().take(20).collect());
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let (m, y) = match s.split_once(['/', '-']) {
            Some(parts) => parts,
            // Only four ASCII digits may be split in the middle (`1é1` is four bytes).
            None if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) => s.split_at(2),
            None => return Err(bad()),
        };
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(m) || m.len() > 2 || !all_digits(y) {
            return Err(bad());
        }
        let month: u8 = m.parse().map_err(|_| bad())?;
        let year: u16 = y.parse().map_err(|_| bad())?;
        let year = match y.len() {
            2 => 2000 + year,
            // Cards expire this century: `01/0000` is a typo, not a date.
            4 if (2000..=2099).contains(&year) => year,
            _ => return Err(bad()),
        };
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Expiry { month, year })
    }

    /// A card is valid through the last day of its expiry month.
    pub fn is_expired(self, today: Date) -> bool {
        let (y, m) = (today.year(), u8::from(today.month()));
        i32::from(self.year) < y || (i32::from(self.year) == y && self.month < m)
    }

    /// `10 / 2024` as in the guide's detail screen.
    pub fn display(self) -> String {
        format!("{:02} / {}", self.month, self.year)
    }
}

/// Checks a security code's shape for the brand. The code itself is never stored.
pub fn check_cvv(input: &str, brand: Brand) -> Result<(), CardError> {
    let s = input.trim();
    if s.len() == brand.cvv_len() && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CardError::BadCvv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn luhn_accepts_test_cards_and_refuses_typos() {
        for n in [
            "4111111111111111",
            "5105105105105100",
            "5555555555554444",
            "378282246310005",
            "4012888888881881",
        ] {
            assert!(luhn_valid(n), "{n}");
        }
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("41a1"));
    }

    #[test]
    fn brands_come_from_the_first_digits() {
        assert_eq!(Brand::from_digits("4111111111111111"), Brand::Visa);
        assert_eq!(Brand::from_digits("5555555555554444"), Brand::Mastercard);
        assert_eq!(Brand::from_digits("2221000000000009"), Brand::Mastercard);
        assert_eq!(Brand::from_digits("378282246310005"), Brand::Amex);
        assert_eq!(Brand::from_digits("6011111111111117"), Brand::Discover);
        assert_eq!(Brand::from_digits("3530111333300000"), Brand::Jcb);
        assert_eq!(Brand::from_digits("9999999999999995"), Brand::Unknown);
        assert_eq!(Brand::parse("visa"), Some(Brand::Visa));
    }

    #[test]
    fn a_pan_is_masked_everywhere_it_shows() {
        let pan = Pan::parse("4111 1111 1111 1111").unwrap();
        assert_eq!(pan.masked(), "411111XXXXXX1111");
        assert_eq!(format!("{pan:?}"), "Pan(411111XXXXXX1111)");
        assert_eq!(pan.bin(), "411111");
        assert_eq!(pan.last4(), "1111");
        let amex = Pan::parse("3782 822463 10005").unwrap();
        assert_eq!(amex.masked(), "378282XXXXX0005");
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(Pan::parse(""), Err(CardError::Empty));
        assert_eq!(Pan::parse("4111-1111-1111-111x"), Err(CardError::NotDigits));
        assert_eq!(Pan::parse("41111"), Err(CardError::BadLength(5)));
        assert_eq!(Pan::parse("4111111111111112"), Err(CardError::Luhn));
        assert!(Pan::parse_unchecked("4111111111111112").is_ok());
    }

    #[test]
    fn the_storage_token_is_keyed_and_stable() {
        let pan = Pan::parse("4111111111111111").unwrap();
        let a = pan.storage_token(1, b"key-one");
        assert_eq!(a, pan.storage_token(1, b"key-one"));
        assert_ne!(a, pan.storage_token(1, b"key-two"));
        assert_eq!(a.len(), 24);
        assert!(!a.contains("4111"));
    }

    #[test]
    fn a_token_carries_the_id_of_its_key_and_key_one_has_no_prefix() {
        let pan = Pan::parse("4111111111111111").unwrap();
        let one = pan.storage_token(1, b"key-one");
        assert_eq!(token_key_id(&one), 1);
        let two = pan.storage_token(2, b"key-two");
        assert!(two.starts_with("k2:"), "{two}");
        assert_eq!(token_key_id(&two), 2);
        assert_eq!(two.len(), 3 + 24);
        let rekeyed = rekey_token(&one, 12, b"key-twelve");
        assert!(rekeyed.starts_with("k12:"));
        assert_eq!(token_key_id(&rekeyed), 12);
        assert_eq!(rekeyed, rekey_token(&one, 12, b"key-twelve"));
        assert_ne!(rekeyed, pan.storage_token(12, b"key-twelve"));
        assert_eq!(token_fingerprint(&one).len(), 8);
        assert!(!one.contains(&token_fingerprint(&one)));
    }

    #[test]
    fn expiry_is_parsed_and_checked_against_today() {
        let e = Expiry::parse("10/24").unwrap();
        assert_eq!(
            e,
            Expiry {
                month: 10,
                year: 2024
            }
        );
        assert_eq!(
            Expiry::parse("1224").unwrap(),
            Expiry {
                month: 12,
                year: 2024
            }
        );
        assert!(Expiry::parse("13/24").is_err());
        assert!(Expiry::parse("ab").is_err());
        assert!(!e.is_expired(date!(2024 - 10 - 31)));
        assert!(e.is_expired(date!(2024 - 11 - 01)));
        assert_eq!(e.display(), "10 / 2024");
    }

    #[test]
    fn expiries_with_multibyte_characters_are_refused_without_panicking() {
        for bad in [
            "1é1", "1€", "0€", "é1/24", "12/2é", "€€", "1😀", "+1/24", "1/+24", "123/24", "1/0000",
        ] {
            assert!(
                matches!(Expiry::parse(bad), Err(CardError::BadExpiry(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Expiry::parse("1/2030").unwrap(),
            Expiry {
                month: 1,
                year: 2030
            }
        );
    }

    #[test]
    fn card_numbers_with_emoji_signs_or_too_many_digits_are_refused() {
        assert_eq!(Pan::parse("411111😀"), Err(CardError::NotDigits));
        assert_eq!(Pan::parse(&"4".repeat(120)), Err(CardError::BadLength(120)));
        assert_eq!(Pan::parse("-4111111111111111"), Err(CardError::NotDigits));
        assert_eq!(Pan::parse("4111111111111111-"), Err(CardError::NotDigits));
        assert_eq!(Pan::parse("--"), Err(CardError::Empty));
        assert!(Pan::parse(" 4111-1111-1111-1111 ").is_ok());
        assert!(Pan::parse_unchecked("-4111111111111112").is_err());
    }

    #[test]
    fn cvv_length_depends_on_the_brand() {
        assert!(check_cvv("123", Brand::Visa).is_ok());
        assert!(check_cvv("1234", Brand::Visa).is_err());
        assert!(check_cvv("1234", Brand::Amex).is_ok());
        assert!(check_cvv("12a", Brand::Visa).is_err());
    }
}
