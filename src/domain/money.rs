//! Money: amounts in minor units, the ISO 4217 currencies with their minor units
//! (MAD and EUR 2 decimals, TND 3, JPY 0), the parsing of what people type into a
//! [`Decimal`], the two display formats (`7 001,00 MAD`, `7,001.00 MAD`,
//! `12,345 TND` / `12.345 TND`, `1 500 JPY` / `1,500 JPY`), checked totals, and the
//! one rounding rule of rates and shares.
//!
//! Rounding rule: a rate, share or change is computed exactly in [`Decimal`] and
//! rounded half up (half away from zero: 12.25 → 12.3, −12.25 → −12.3) to a tenth
//! of a percent; see [`percent_tenths`]. Amounts are never rounded: a typed amount
//! with more decimals than its currency has is refused.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{self, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Lang;
use super::iso4217::TABLE;

/// The largest amount accepted anywhere, in minor units whatever the currency:
/// 99 999 999,99 MAD, 9 999 999,999 TND, 9 999 999 999 JPY.
pub const MAX_MINOR: i64 = 9_999_999_999;

/// The largest total (of many amounts) that can be shown: the range of a [`Decimal`]
/// (2^96 − 1 minor units). A sum beyond it is an [`Overflow`], never a wrapped value.
pub const MAX_TOTAL: i128 = 79_228_162_514_264_337_593_543_950_335;

/// The minus sign of negative totals (U+2212, as the lists show it).
const MINUS: char = '\u{2212}';

/// A non-negative amount in minor units (1/10^exponent of its currency's unit). The
/// currency is kept beside it (on the transaction, the request ...).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// `None` when negative or above [`MAX_MINOR`].
    pub fn from_minor(minor: i64) -> Option<Amount> {
        (0..=MAX_MINOR).contains(&minor).then_some(Amount(minor))
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).and_then(Amount::from_minor)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).and_then(Amount::from_minor)
    }

    /// The amount in major units of `currency`: 12345 minor units of TND are 12.345.
    pub fn to_decimal(self, currency: Currency) -> Decimal {
        Decimal::new(self.0, currency.exponent())
    }

    /// Machine format, a decimal point and the currency's decimals: `7001.00` (MAD),
    /// `12.345` (TND), `1500` (JPY). Exports and the API's texts use it.
    pub fn to_decimal_string(self, currency: Currency) -> String {
        self.to_decimal(currency).to_string()
    }
}

/// An ISO 4217 currency with minor units (see `domain::iso4217`). Stored as its place
/// in that table: postcard writes it as an enum variant index (so MAD, EUR and USD,
/// the variants of the enum it replaced, keep their bytes), the column store and the
/// rollup keys as one byte ([`Currency::index`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(u8);

const COUNT: usize = TABLE.len();

/// The codes in stored order, the variant names serde is told about.
static CODES: [&str; COUNT] = {
    let mut codes = [""; COUNT];
    let mut i = 0;
    while i < COUNT {
        codes[i] = TABLE[i].code;
        i += 1;
    }
    codes
};

// The table's indices must fit the one byte the column store keeps, 255 excepted
// (`db::columns::NO_CURRENCY`).
const _: () = assert!(COUNT < u8::MAX as usize);

// Named as the variants of the enum this type replaced, so that call sites did not
// change; each is checked against its code in the tests.
#[allow(non_upper_case_globals)]
impl Currency {
    /// Moroccan dirham, 2 decimals; the default.
    pub const Mad: Currency = Currency(0);
    /// Euro, 2 decimals.
    pub const Eur: Currency = Currency(1);
    /// US dollar, 2 decimals.
    pub const Usd: Currency = Currency(2);
    /// Japanese yen, no decimals.
    pub const Jpy: Currency = Currency(70);
    /// Tunisian dinar, 3 decimals.
    pub const Tnd: Currency = Currency(137);
}

impl Currency {
    /// Every currency, in stored order (MAD, EUR, USD, then by code).
    pub const ALL: [Currency; COUNT] = {
        let mut all = [Currency(0); COUNT];
        let mut i = 0;
        while i < COUNT {
            all[i] = Currency(i as u8);
            i += 1;
        }
        all
    };

    /// ISO 4217 alpha code: `MAD`.
    pub fn code(self) -> &'static str {
        TABLE[usize::from(self.0)].code
    }

    /// ISO 4217 numeric code: 504 for MAD.
    pub fn numeric(self) -> u16 {
        TABLE[usize::from(self.0)].numeric
    }

    /// Minor units: the number of decimals (MAD 2, TND 3, JPY 0).
    pub fn exponent(self) -> u32 {
        u32::from(TABLE[usize::from(self.0)].exponent)
    }

    /// Minor units in one major unit: 100 for MAD, 1000 for TND, 1 for JPY.
    pub fn minor_per_unit(self) -> i64 {
        10_i64.pow(self.exponent())
    }

    /// The place in [`Currency::ALL`], as stored.
    pub fn index(self) -> u8 {
        self.0
    }

    /// The currency stored as `index`; `None` for an index this version does not know.
    pub fn from_index(index: u8) -> Option<Currency> {
        (usize::from(index) < COUNT).then_some(Currency(index))
    }

    /// An ISO 4217 alpha code, any case, spaces around allowed.
    pub fn parse(s: &str) -> Option<Currency> {
        let s = s.trim();
        CODES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(s))
            .and_then(|i| u8::try_from(i).ok())
            .map(Currency)
    }

    /// The largest amount in this currency, for messages: `99 999 999,99 MAD`.
    pub fn max_text(self, lang: Lang) -> String {
        format_number(Amount(MAX_MINOR), self, lang)
    }
}

impl Default for Currency {
    /// MAD.
    fn default() -> Self {
        Currency::Mad
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    /// A unit variant of an enum whose variants are the table's codes: postcard writes
    /// the index (the bytes of the former enum), a text format the code.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("Currency", u32::from(self.0), self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_enum("Currency", &CODES, CurrencyVisitor)
    }
}

struct CurrencyVisitor;

impl<'de> Visitor<'de> for CurrencyVisitor {
    type Value = Currency;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ISO 4217 currency")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Currency, A::Error> {
        let (VariantOf(c), variant) = data.variant::<VariantOf>()?;
        variant.unit_variant()?;
        Ok(c)
    }
}

/// A variant identifier: its index (postcard) or its code (text formats; the
/// former enum's names, `Mad`, read too).
struct VariantOf(Currency);

impl<'de> Deserialize<'de> for VariantOf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Id;
        impl Visitor<'_> for Id {
            type Value = VariantOf;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a currency index or ISO 4217 code")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<VariantOf, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(Currency::from_index)
                    .map(VariantOf)
                    .ok_or_else(|| E::custom(format!("unknown currency index {v}")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VariantOf, E> {
                Currency::parse(v)
                    .map(VariantOf)
                    .ok_or_else(|| E::unknown_variant(v, &CODES))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<VariantOf, E> {
                let s = std::str::from_utf8(v).map_err(|_| E::custom("a currency code"))?;
                self.visit_str(s)
            }
        }
        d.deserialize_identifier(Id)
    }
}

/// Why typed text is not an amount.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmountError {
    Empty,
    Invalid(String),
    Negative(String),
    /// More decimals than the currency has.
    TooManyDecimals(String, Currency),
    /// Above [`MAX_MINOR`] minor units of the currency.
    TooLarge(String, Currency),
    Ambiguous(String),
    Zero,
}

impl AmountError {
    /// A message for the person who typed it.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AmountError::Empty, Lang::Fr) => "Le montant est obligatoire.".into(),
            (AmountError::Empty, Lang::En) => "The amount is required.".into(),
            (AmountError::Invalid(s), Lang::Fr) => {
                format!("« {s} » n'est pas un montant (exemples : 1500, 1 500,00, 1500.50).")
            }
            (AmountError::Invalid(s), Lang::En) => {
                format!("\"{s}\" is not an amount (examples: 1500, 1,500.00, 1500.50).")
            }
            (AmountError::Negative(s), Lang::Fr) => {
                format!("« {s} » : le montant ne peut pas être négatif.")
            }
            (AmountError::Negative(s), Lang::En) => {
                format!("\"{s}\": the amount cannot be negative.")
            }
            (AmountError::TooManyDecimals(s, c), Lang::Fr) => match c.exponent() {
                0 => format!("« {s} » : pas de décimales en {c}."),
                1 => format!("« {s} » : une décimale au plus en {c}."),
                2 => format!("« {s} » : deux décimales au plus."),
                3 => format!("« {s} » : trois décimales au plus en {c}."),
                n => format!("« {s} » : {n} décimales au plus en {c}."),
            },
            (AmountError::TooManyDecimals(s, c), Lang::En) => match c.exponent() {
                0 => format!("\"{s}\": {c} has no decimals."),
                1 => format!("\"{s}\": at most one decimal in {c}."),
                2 => format!("\"{s}\": at most two decimals."),
                3 => format!("\"{s}\": at most three decimals in {c}."),
                n => format!("\"{s}\": at most {n} decimals in {c}."),
            },
            (AmountError::TooLarge(s, c), Lang::Fr) => {
                format!("« {s} » : le montant dépasse {}.", c.max_text(lang))
            }
            (AmountError::TooLarge(s, c), Lang::En) => {
                format!("\"{s}\": the amount exceeds {}.", c.max_text(lang))
            }
            (AmountError::Ambiguous(s), Lang::Fr) => {
                format!("« {s} » est ambigu : écrivez par exemple 10001 ou 10,00.")
            }
            (AmountError::Ambiguous(s), Lang::En) => {
                format!("\"{s}\" is ambiguous: write for example 10001 or 10.00.")
            }
            (AmountError::Zero, Lang::Fr) => "Le montant doit être supérieur à zéro.".into(),
            (AmountError::Zero, Lang::En) => "The amount must be greater than zero.".into(),
        }
    }
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AmountError {}

/// Arabic-Indic digits (U+0660–U+0669) and their Persian forms (U+06F0–U+06F9) are
/// read as the digits they are; the Arabic decimal separator U+066B is a decimal mark
/// and the Arabic thousands separator U+066C a grouping mark (see README, Money).
fn ascii_digit(c: char) -> Option<char> {
    let value = match c {
        '0'..='9' => return Some(c),
        '\u{660}'..='\u{669}' => u32::from(c) - 0x660,
        '\u{6f0}'..='\u{6f9}' => u32::from(c) - 0x6f0,
        _ => return None,
    };
    char::from_digit(value, 10)
}

const ARABIC_DECIMAL: char = '\u{66b}';

/// Parses an amount of `currency` as people type it, in major units: `1500`,
/// `1 500,00`, `1500.5`, `1,500.50`, `1.500,50`, `12,345` (TND, in French), `١٢٣`.
/// Spaces and apostrophes group thousands. When both `,` and `.` appear, the last is
/// the decimal separator; several of one kind alone group thousands; a lone one is
/// decimal unless exactly three digits follow it. Then it groups thousands for a
/// currency without decimals (`1,500` JPY), is decimal for a currency with three or
/// more when it is `lang`'s decimal separator (`12,345` TND in French, `12.345` in
/// English), and is refused as ambiguous otherwise (`10,001` MAD, `12,345` TND in
/// English). Refuses signs, exponents, more decimals than the currency has and more
/// than [`MAX_MINOR`] minor units.
pub fn parse_amount(input: &str, currency: Currency, lang: Lang) -> Result<Amount, AmountError> {
    let raw = input.trim();
    let value =
        parse_decimal(raw, currency.exponent(), Some(lang)).map_err(|e| e.with(raw, currency))?;
    let minor = value
        .checked_mul(Decimal::from(currency.minor_per_unit()))
        .and_then(|m| m.to_i64())
        .ok_or_else(|| AmountError::TooLarge(raw.into(), currency))?;
    Amount::from_minor(minor).ok_or_else(|| AmountError::TooLarge(raw.into(), currency))
}

/// Like [`parse_amount`], but zero is refused too.
pub fn parse_positive_amount(
    input: &str,
    currency: Currency,
    lang: Lang,
) -> Result<Amount, AmountError> {
    let amount = parse_amount(input, currency, lang)?;
    if amount.is_zero() {
        return Err(AmountError::Zero);
    }
    Ok(amount)
}

/// Why text is not a decimal, before the currency is known to the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    Empty,
    Invalid,
    Negative,
    TooManyDecimals,
    TooLarge,
    Ambiguous,
}

impl DecimalError {
    /// The [`AmountError`] for `raw` typed in `currency`.
    pub fn with(self, raw: &str, currency: Currency) -> AmountError {
        let raw = raw.to_string();
        match self {
            DecimalError::Empty => AmountError::Empty,
            DecimalError::Invalid => AmountError::Invalid(raw),
            DecimalError::Negative => AmountError::Negative(raw),
            DecimalError::TooManyDecimals => AmountError::TooManyDecimals(raw, currency),
            DecimalError::TooLarge => AmountError::TooLarge(raw, currency),
            DecimalError::Ambiguous => AmountError::Ambiguous(raw),
        }
    }
}

/// The number people typed, in major units, with at most `exponent` decimals (the
/// rules of [`parse_amount`]). `lang` is the language whose decimal separator settles
/// a lone separator followed by three digits when `exponent` is 3 or more; `None`
/// refuses that case as ambiguous.
pub fn parse_decimal(
    raw: &str,
    exponent: u32,
    lang: Option<Lang>,
) -> Result<Decimal, DecimalError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(DecimalError::Empty);
    }
    if raw.starts_with(['-', MINUS]) {
        return Err(DecimalError::Negative);
    }
    let body = raw.strip_prefix('+').unwrap_or(raw);
    let mut compact = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            ' ' | '\u{a0}' | '\u{202f}' | '\'' | '\u{66c}' => {}
            ',' | '.' | ARABIC_DECIMAL => compact.push(c),
            c => compact.push(ascii_digit(c).ok_or(DecimalError::Invalid)?),
        }
    }
    let (int_part, frac_part) = if compact.contains(ARABIC_DECIMAL) {
        // The Arabic decimal separator is never a grouping mark: one, and alone.
        let (int, frac) = compact
            .split_once(ARABIC_DECIMAL)
            .ok_or(DecimalError::Invalid)?;
        if frac.contains(ARABIC_DECIMAL) || compact.contains([',', '.']) {
            return Err(DecimalError::Invalid);
        }
        (int.to_string(), frac.to_string())
    } else {
        let (int, frac) = split_decimal(&compact, exponent, lang)?;
        (int.replace([',', '.'], ""), frac.to_string())
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::Invalid);
    }
    if frac_part.len() > exponent as usize {
        return Err(DecimalError::TooManyDecimals);
    }
    let int_part = int_part.trim_start_matches('0');
    if int_part.len() > 20 {
        return Err(DecimalError::TooLarge);
    }
    let text = if frac_part.is_empty() {
        format!("0{int_part}")
    } else {
        format!("0{int_part}.{frac_part}")
    };
    Decimal::from_str_exact(&text).map_err(|_| DecimalError::TooLarge)
}

/// Splits digits-and-separators into (integer part with grouping marks, fraction).
fn split_decimal(s: &str, exponent: u32, lang: Option<Lang>) -> Result<(&str, &str), DecimalError> {
    let Some(pos) = s.rfind([',', '.']) else {
        return Ok((s, ""));
    };
    let sep = s.as_bytes()[pos] as char;
    let after = &s[pos + 1..];
    let before = &s[..pos];
    let other = if sep == ',' { '.' } else { ',' };
    let seps_of_kind = s.matches(sep).count();
    let lang_decimal = lang.map(|l| match l {
        Lang::Fr => ',',
        Lang::En => '.',
    });
    let is_decimal = if before.contains(other) {
        // Both kinds present: the last one is the decimal separator.
        true
    } else if seps_of_kind > 1 {
        false
    } else if after.len() == 3 && !before.is_empty() {
        // `10,001`: a thousands group or three decimals.
        match exponent {
            0 => false,
            3.. if lang_decimal == Some(sep) => true,
            _ => return Err(DecimalError::Ambiguous),
        }
    } else {
        true
    };
    if is_decimal {
        if !valid_grouping(before, other) || !after.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecimalError::Invalid);
        }
        Ok((before, after))
    } else {
        if !valid_grouping(s, sep) {
            return Err(DecimalError::Invalid);
        }
        Ok((s, ""))
    }
}

/// `1,234,567` style grouping: first group 1–3 digits, the others exactly 3.
fn valid_grouping(s: &str, sep: char) -> bool {
    if !s.contains(sep) {
        return !s.contains([',', '.']);
    }
    let mut groups = s.split(sep);
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()));
    first_ok && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// Displays an amount for people: `7 001,00 MAD` in French, `7,001.00 MAD` in English,
/// `12,345 TND` / `12.345 TND`, `1 500 JPY` / `1,500 JPY`.
pub fn format_amount(amount: Amount, currency: Currency, lang: Lang) -> String {
    format!(
        "{} {}",
        format_number(amount, currency, lang),
        currency.code()
    )
}

/// The number alone, grouped and with the currency's decimals, in the language's
/// convention: `7 001,00` / `7,001.00`.
pub fn format_number(amount: Amount, currency: Currency, lang: Lang) -> String {
    format_minor(i128::from(amount.0), currency, lang)
}

/// A signed number of minor units (a total) for people: `−1 250,50` / `-`-less
/// `1,250.50`; the minus is U+2212. A total beyond [`MAX_TOTAL`] is written as an
/// overflow, never as a wrong number.
pub fn format_minor(minor: i128, currency: Currency, lang: Lang) -> String {
    let Ok(value) = Decimal::try_from_i128_with_scale(minor, currency.exponent()) else {
        return lang.pick("dépassement de capacité", "overflow").into();
    };
    let (group, decimal) = match lang {
        Lang::Fr => (' ', ','),
        Lang::En => (',', '.'),
    };
    let text = value.abs().to_string();
    let (major, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 4);
    if value.is_sign_negative() && !value.is_zero() {
        out.push(MINUS);
    }
    for (i, c) in major.chars().enumerate() {
        if i > 0 && (major.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// A signed total in machine format (exports): `-0.05`, `12.345`, `1500`.
pub fn minor_to_decimal_string(minor: i128, currency: Currency) -> String {
    Decimal::try_from_i128_with_scale(minor, currency.exponent())
        .map_or_else(|_| "overflow".into(), |d| d.to_string())
}

/// Groups an integer count for display: `247 790` / `247,790`.
pub fn format_count(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::Fr => ' ',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A total that would pass [`MAX_TOTAL`] minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl Overflow {
    pub fn message(self, lang: Lang) -> &'static str {
        lang.pick(
            "Le total dépasse la capacité de calcul.",
            "The total exceeds what can be computed.",
        )
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message(Lang::En))
    }
}

impl std::error::Error for Overflow {}

/// `total + minor`, checked: an [`Overflow`] past ±[`MAX_TOTAL`].
pub fn add_to_total(total: i128, minor: i128) -> Result<i128, Overflow> {
    total
        .checked_add(minor)
        .filter(|t| t.unsigned_abs() <= MAX_TOTAL.unsigned_abs())
        .ok_or(Overflow)
}

/// The sum of many signed amounts in minor units, checked.
pub fn checked_sum(minors: impl IntoIterator<Item = i128>) -> Result<i128, Overflow> {
    minors.into_iter().try_fold(0, add_to_total)
}

/// A running total kept in an `i128` that turns into [`OVERFLOWED`] (written as an
/// overflow) instead of wrapping; used where a figure has no error path of its own.
pub fn saturating_total(total: i128, minor: i128) -> i128 {
    if total == OVERFLOWED {
        return OVERFLOWED;
    }
    add_to_total(total, minor).unwrap_or(OVERFLOWED)
}

/// The value of a total that overflowed (beyond [`MAX_TOTAL`]: [`format_minor`] writes
/// it as an overflow).
pub const OVERFLOWED: i128 = i128::MAX;

/// `part / whole` as a percentage in [`Decimal`], rounded half up (away from zero) to
/// a tenth, returned in tenths of a percent (`1 / 8` → 125 = 12.5 %); `None` when
/// `whole` is zero or the result does not fit. The one rounding rule of rates, shares
/// and changes (Home, Statistics, the list's acceptance rate).
pub fn percent_tenths(part: i128, whole: i128) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    let part = Decimal::try_from_i128_with_scale(part, 0).ok()?;
    let whole = Decimal::try_from_i128_with_scale(whole, 0).ok()?;
    part.checked_mul(Decimal::ONE_THOUSAND)?
        .checked_div(whole)?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minor(s: &str) -> i64 {
        parse_amount(s, Currency::Mad, Lang::Fr).unwrap().minor()
    }

    fn mad(s: &str) -> Result<Amount, AmountError> {
        parse_amount(s, Currency::Mad, Lang::Fr)
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(minor("1500"), 150_000);
        assert_eq!(minor("1 500,00"), 150_000);
        assert_eq!(minor("1500.5"), 150_050);
        assert_eq!(minor("1,500.50"), 150_050);
        assert_eq!(minor("1.500,50"), 150_050);
        assert_eq!(minor("1\u{a0}500,00"), 150_000);
        assert_eq!(minor("20,47"), 2047);
        assert_eq!(minor("0,5"), 50);
        assert_eq!(minor("1,500,000"), 150_000_000);
        assert_eq!(minor("0"), 0);
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(mad(""), Err(AmountError::Empty));
        assert!(matches!(mad("-5"), Err(AmountError::Negative(_))));
        assert!(matches!(mad("\u{2212}5"), Err(AmountError::Negative(_))));
        assert!(matches!(mad("1e3"), Err(AmountError::Invalid(_))));
        assert!(matches!(mad("1,2,3"), Err(AmountError::Invalid(_))));
        assert!(matches!(mad("1.5.0"), Err(AmountError::Invalid(_))));
        assert!(matches!(
            mad("12,3456"),
            Err(AmountError::TooManyDecimals(..))
        ));
        assert!(matches!(
            mad("99999999999999"),
            Err(AmountError::TooLarge(..))
        ));
        assert!(matches!(mad("100 000 000"), Err(AmountError::TooLarge(..))));
        assert!(matches!(
            mad("9".repeat(60).as_str()),
            Err(AmountError::TooLarge(..))
        ));
        assert!(matches!(mad("abc"), Err(AmountError::Invalid(_))));
        assert!(matches!(mad("١٢e"), Err(AmountError::Invalid(_))));
        assert_eq!(
            parse_positive_amount("0", Currency::Mad, Lang::Fr),
            Err(AmountError::Zero)
        );
    }

    #[test]
    fn ten_comma_zero_zero_one_is_refused_rather_than_guessed() {
        // "10,001" could be ten thousand and one or ten with three decimals.
        assert!(matches!(mad("10,001"), Err(AmountError::Ambiguous(_))));
        assert!(matches!(mad("1.500"), Err(AmountError::Ambiguous(_))));
    }

    #[test]
    fn each_currency_takes_its_own_number_of_decimals() {
        let tnd = |s: &str, lang| parse_amount(s, Currency::Tnd, lang);
        assert_eq!(tnd("12,345", Lang::Fr).unwrap().minor(), 12_345);
        assert_eq!(tnd("12.345", Lang::En).unwrap().minor(), 12_345);
        assert_eq!(tnd("0,005", Lang::Fr).unwrap().minor(), 5);
        assert_eq!(tnd("0.001", Lang::En).unwrap().minor(), 1);
        assert_eq!(tnd("1 250,5", Lang::Fr).unwrap().minor(), 1_250_500);
        assert_eq!(tnd("1,250.50", Lang::En).unwrap().minor(), 1_250_500);
        // In English a lone comma before three digits may group thousands.
        assert!(matches!(
            tnd("12,345", Lang::En),
            Err(AmountError::Ambiguous(_))
        ));
        assert!(matches!(
            tnd("12.345", Lang::Fr),
            Err(AmountError::Ambiguous(_))
        ));
        let four = tnd("12,3456", Lang::Fr).unwrap_err();
        assert_eq!(
            four,
            AmountError::TooManyDecimals("12,3456".into(), Currency::Tnd)
        );
        assert_eq!(
            four.message(Lang::Fr),
            "« 12,3456 » : trois décimales au plus en TND."
        );
        assert_eq!(
            four.message(Lang::En),
            "\"12,3456\": at most three decimals in TND."
        );
        let jpy = |s: &str, lang| parse_amount(s, Currency::Jpy, lang);
        assert_eq!(jpy("1500", Lang::Fr).unwrap().minor(), 1500);
        assert_eq!(jpy("1,500", Lang::En).unwrap().minor(), 1500);
        assert_eq!(jpy("1 500", Lang::Fr).unwrap().minor(), 1500);
        assert_eq!(jpy("1.500", Lang::Fr).unwrap().minor(), 1500);
        let dec = jpy("1500,5", Lang::Fr).unwrap_err();
        assert_eq!(
            dec.message(Lang::Fr),
            "« 1500,5 » : pas de décimales en JPY."
        );
        assert_eq!(dec.message(Lang::En), "\"1500,5\": JPY has no decimals.");
        let big = jpy("10000000000", Lang::En).unwrap_err();
        assert_eq!(
            big.message(Lang::En),
            "\"10000000000\": the amount exceeds 9,999,999,999."
        );
        let mad_big = mad("100000000").unwrap_err();
        assert_eq!(
            mad_big.message(Lang::Fr),
            "« 100000000 » : le montant dépasse 99 999 999,99."
        );
        assert_eq!(
            mad("12,345").unwrap_err().message(Lang::Fr),
            "« 12,345 » est ambigu : écrivez par exemple 10001 ou 10,00."
        );
    }

    #[test]
    fn arabic_indic_digits_are_read_as_the_digits_they_are() {
        assert_eq!(mad("١٢٣").unwrap().minor(), 12_300);
        assert_eq!(mad("۱۲۳").unwrap().minor(), 12_300);
        assert_eq!(mad("١٬٢٥٠٫٥٠").unwrap().minor(), 125_050);
        assert_eq!(mad("١ ٢٥٠,٥").unwrap().minor(), 125_050);
        assert_eq!(
            parse_amount("١٢٫٣٤٥", Currency::Tnd, Lang::En)
                .unwrap()
                .minor(),
            12_345
        );
        // The Arabic decimal separator is one, alone: never mixed with , or .
        assert!(matches!(mad("1,2٫5"), Err(AmountError::Invalid(_))));
        assert!(matches!(mad("1٫2٫5"), Err(AmountError::Invalid(_))));
        assert!(matches!(
            mad("١٢٫٣٤٥"),
            Err(AmountError::TooManyDecimals(..))
        ));
        // Other scripts' digits are not amounts.
        assert!(matches!(mad("१२३"), Err(AmountError::Invalid(_))));
        assert!(matches!(mad("１２３"), Err(AmountError::Invalid(_))));
    }

    #[test]
    fn formats_in_both_languages() {
        let a = Amount::from_minor(700_100).unwrap();
        assert_eq!(format_amount(a, Currency::Mad, Lang::Fr), "7 001,00 MAD");
        assert_eq!(format_amount(a, Currency::Mad, Lang::En), "7,001.00 MAD");
        let small = Amount::from_minor(2047).unwrap();
        assert_eq!(format_amount(small, Currency::Mad, Lang::Fr), "20,47 MAD");
        let big = Amount::from_minor(9_123_456_789).unwrap();
        assert_eq!(format_number(big, Currency::Usd, Lang::En), "91,234,567.89");
        assert_eq!(format_count(247_790, Lang::En), "247,790");
        assert_eq!(format_count(247_790, Lang::Fr), "247 790");
        assert_eq!(a.to_decimal_string(Currency::Mad), "7001.00");
        let t = Amount::from_minor(12_345).unwrap();
        assert_eq!(format_amount(t, Currency::Tnd, Lang::Fr), "12,345 TND");
        assert_eq!(format_amount(t, Currency::Tnd, Lang::En), "12.345 TND");
        assert_eq!(t.to_decimal_string(Currency::Tnd), "12.345");
        let r = Amount::from_minor(1_250_500).unwrap();
        assert_eq!(format_number(r, Currency::Tnd, Lang::Fr), "1 250,500");
        assert_eq!(format_number(r, Currency::Tnd, Lang::En), "1,250.500");
        assert_eq!(format_amount(t, Currency::Jpy, Lang::Fr), "12 345 JPY");
        assert_eq!(format_amount(t, Currency::Jpy, Lang::En), "12,345 JPY");
        assert_eq!(t.to_decimal_string(Currency::Jpy), "12345");
        assert_eq!(Amount::ZERO.to_decimal_string(Currency::Tnd), "0.000");
        assert_eq!(
            format_minor(-125_050, Currency::Mad, Lang::Fr),
            "\u{2212}1 250,50"
        );
        assert_eq!(minor_to_decimal_string(-5, Currency::Mad), "-0.05");
        assert_eq!(minor_to_decimal_string(-5, Currency::Tnd), "-0.005");
        assert_eq!(
            format_minor(MAX_TOTAL + 1, Currency::Mad, Lang::En),
            "overflow"
        );
    }

    #[test]
    fn format_then_parse_round_trips() {
        for m in [
            0, 1, 99, 100, 101, 999, 1000, 99_999, 100_000, 1_234_567, MAX_MINOR,
        ] {
            let a = Amount::from_minor(m).unwrap();
            for currency in [Currency::Mad, Currency::Tnd, Currency::Jpy] {
                for lang in Lang::ALL {
                    let shown = format_number(a, currency, lang);
                    assert_eq!(
                        parse_amount(&shown, currency, lang),
                        Ok(a),
                        "{m} {lang:?} {shown}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_named_currencies_are_the_codes_they_say() {
        for (c, code, exponent) in [
            (Currency::Mad, "MAD", 2),
            (Currency::Eur, "EUR", 2),
            (Currency::Usd, "USD", 2),
            (Currency::Tnd, "TND", 3),
            (Currency::Jpy, "JPY", 0),
        ] {
            assert_eq!(c.code(), code);
            assert_eq!(c.exponent(), exponent);
            assert_eq!(Currency::parse(code), Some(c));
            assert_eq!(Currency::parse(&code.to_lowercase()), Some(c));
        }
        assert_eq!(Currency::default(), Currency::Mad);
        assert_eq!(Currency::parse("XAU"), None);
        assert_eq!(Currency::parse("ZZZ"), None);
        assert_eq!(Currency::from_index(Currency::ALL.len() as u8), None);
        assert_eq!(format!("{:?}", Currency::Tnd), "TND");
    }

    #[test]
    fn a_currency_is_written_as_the_enum_it_replaced_and_read_back() {
        // postcard: the variant index, one byte below 128, a varint above.
        for c in Currency::ALL {
            let bytes = postcard::to_stdvec(&c).unwrap();
            let mut want = Vec::new();
            let mut v = u32::from(c.index());
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    want.push(b);
                    break;
                }
                want.push(b | 0x80);
            }
            assert_eq!(bytes, want, "{c}");
            assert_eq!(postcard::from_bytes::<Currency>(&bytes).unwrap(), c);
        }
        assert!(postcard::from_bytes::<Currency>(&[250]).is_err());
        // Text formats: the code; the former enum's names are still read.
        assert_eq!(serde_json::to_string(&Currency::Tnd).unwrap(), "\"TND\"");
        assert_eq!(
            serde_json::from_str::<Currency>("\"Mad\"").unwrap(),
            Currency::Mad
        );
        assert_eq!(
            serde_json::from_str::<Currency>("\"JPY\"").unwrap(),
            Currency::Jpy
        );
        assert!(serde_json::from_str::<Currency>("\"XAU\"").is_err());
    }

    #[test]
    fn the_table_agrees_with_the_iso_currency_crate() {
        use std::collections::BTreeSet;
        // The crate's current currencies with minor units, metals and test codes left out.
        let mut theirs = BTreeSet::new();
        for numeric in 0..1000 {
            let Some(c) = iso_currency::Currency::from_numeric(numeric) else {
                continue;
            };
            if c.exponent().is_some() && !c.is_special() && c.is_superseded().is_none() {
                theirs.insert(c.code());
            }
        }
        let ours: BTreeSet<&str> = TABLE.iter().map(|i| i.code).collect();
        assert_eq!(ours.len(), TABLE.len(), "a code appears twice");
        assert_eq!(
            theirs.difference(&ours).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "new ISO currencies: append them at the end of iso4217::TABLE"
        );
        for iso in TABLE {
            let c = iso_currency::Currency::from_code(iso.code)
                .unwrap_or_else(|| panic!("{} is not an ISO 4217 code", iso.code));
            assert_eq!(c.numeric(), iso.numeric, "{}", iso.code);
            // A changed exponent rescales stored amounts: it needs a migration.
            assert_eq!(c.exponent(), Some(u16::from(iso.exponent)), "{}", iso.code);
            assert!(
                c.is_superseded().is_none(),
                "{} is superseded: keep it in the table (stored), stop offering it",
                iso.code
            );
        }
        assert_eq!(
            &TABLE[..3].iter().map(|i| i.code).collect::<Vec<_>>(),
            &["MAD", "EUR", "USD"]
        );
    }

    #[test]
    fn rates_round_half_up_to_a_tenth_of_a_percent() {
        assert_eq!(percent_tenths(1, 8), Some(125));
        assert_eq!(percent_tenths(1, 3), Some(333));
        assert_eq!(percent_tenths(2, 3), Some(667));
        assert_eq!(percent_tenths(1, 2000), Some(1)); // 0.05 % → 0.1 %
        assert_eq!(percent_tenths(1, 2001), Some(0));
        assert_eq!(percent_tenths(-1, 2000), Some(-1)); // away from zero
        assert_eq!(percent_tenths(5, 0), None);
        assert_eq!(percent_tenths(u64::MAX.into(), u64::MAX.into()), Some(1000));
    }

    #[test]
    fn totals_are_checked_not_wrapped() {
        assert_eq!(checked_sum([1, 2, 3]), Ok(6));
        assert_eq!(checked_sum([MAX_TOTAL, 1]), Err(Overflow));
        assert_eq!(checked_sum([-MAX_TOTAL, -1]), Err(Overflow));
        assert_eq!(saturating_total(MAX_TOTAL, 1), OVERFLOWED);
        assert_eq!(saturating_total(OVERFLOWED, -5), OVERFLOWED);
        assert_eq!(
            format_minor(OVERFLOWED, Currency::Mad, Lang::Fr),
            "dépassement de capacité"
        );
        assert_eq!(
            Overflow.message(Lang::En),
            "The total exceeds what can be computed."
        );
    }
}
