//! Money: amounts in minor units (centimes), currencies, and the parsing of what
//! people type and the two display formats (`7 001,00 MAD`, `7,001.00 MAD`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Lang;

/// The largest amount accepted anywhere: 99 999 999,99 in major units.
pub const MAX_MINOR: i64 = 9_999_999_999;

/// A non-negative amount in minor units (1/100 of the currency unit).
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

    /// Machine format with a decimal point and two decimals: `7001.00`.
    pub fn to_decimal_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The currencies a payment request may be made in. MAD is the default.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Currency {
    #[default]
    Mad = 0,
    Eur = 1,
    Usd = 2,
}

impl Currency {
    pub const ALL: [Currency; 3] = [Currency::Mad, Currency::Eur, Currency::Usd];

    /// ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Mad => "MAD",
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
        }
    }

    pub fn parse(s: &str) -> Option<Currency> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// Why typed text is not an amount.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmountError {
    Empty,
    Invalid(String),
    Negative(String),
    TooManyDecimals(String),
    TooLarge(String),
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
            (AmountError::TooManyDecimals(s), Lang::Fr) => {
                format!("« {s} » : deux décimales au plus.")
            }
            (AmountError::TooManyDecimals(s), Lang::En) => {
                format!("\"{s}\": at most two decimals.")
            }
            (AmountError::TooLarge(s), Lang::Fr) => {
                format!("« {s} » : le montant dépasse 99 999 999,99.")
            }
            (AmountError::TooLarge(s), Lang::En) => {
                format!("\"{s}\": the amount exceeds 99,999,999.99.")
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

/// Parses an amount as people type it, in major units: `1500`, `1 500,00`,
/// `1500.5`, `1,500.50`, `1.500,50`. Spaces group thousands; the last `,` or `.`
/// is the decimal separator when both kinds appear or when one or two digits follow
/// it; a lone separator followed by exactly three digits (`10,001`) is refused as
/// ambiguous. Refuses signs, exponents and more than two decimals.
pub fn parse_amount(input: &str) -> Result<Amount, AmountError> {
    let raw = input.trim();
    if raw.is_empty() {
        return Err(AmountError::Empty);
    }
    if raw.starts_with('-') {
        return Err(AmountError::Negative(raw.into()));
    }
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    let compact = compact.strip_prefix('+').unwrap_or(&compact);
    if compact.is_empty()
        || !compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Err(AmountError::Invalid(raw.into()));
    }
    let (int_part, frac_part) = split_decimal(compact).map_err(|ambiguous| {
        if ambiguous {
            AmountError::Ambiguous(raw.into())
        } else {
            AmountError::Invalid(raw.into())
        }
    })?;
    if frac_part.len() > 2 {
        return Err(AmountError::TooManyDecimals(raw.into()));
    }
    let int_digits: String = int_part
        .chars()
        .filter(|c| *c != ',' && *c != '.')
        .collect();
    if int_digits.is_empty() && frac_part.is_empty() {
        return Err(AmountError::Invalid(raw.into()));
    }
    if int_digits.len() > 12 {
        return Err(AmountError::TooLarge(raw.into()));
    }
    let major: i64 = if int_digits.is_empty() {
        0
    } else {
        int_digits
            .parse()
            .map_err(|_| AmountError::Invalid(raw.into()))?
    };
    let mut cents: i64 = if frac_part.is_empty() {
        0
    } else {
        frac_part
            .parse()
            .map_err(|_| AmountError::Invalid(raw.into()))?
    };
    if frac_part.len() == 1 {
        cents *= 10;
    }
    let minor = major
        .checked_mul(100)
        .and_then(|m| m.checked_add(cents))
        .ok_or_else(|| AmountError::TooLarge(raw.into()))?;
    Amount::from_minor(minor).ok_or_else(|| AmountError::TooLarge(raw.into()))
}

/// Like [`parse_amount`], but zero is refused too.
pub fn parse_positive_amount(input: &str) -> Result<Amount, AmountError> {
    let amount = parse_amount(input)?;
    if amount.is_zero() {
        return Err(AmountError::Zero);
    }
    Ok(amount)
}

/// Splits digits-and-separators into (integer part with grouping marks, fraction).
/// `Err(true)` when ambiguous, `Err(false)` when the grouping is malformed.
fn split_decimal(s: &str) -> Result<(&str, &str), bool> {
    let Some(pos) = s.rfind([',', '.']) else {
        return Ok((s, ""));
    };
    let sep = s.as_bytes()[pos] as char;
    let after = &s[pos + 1..];
    let before = &s[..pos];
    let other = if sep == ',' { '.' } else { ',' };
    let seps_of_kind = s.matches(sep).count();
    let is_decimal = if before.contains(other) {
        // Both kinds present: the last one is the decimal separator.
        true
    } else if seps_of_kind > 1 {
        false
    } else if after.len() == 3 {
        return Err(true);
    } else {
        true
    };
    if is_decimal {
        if !valid_grouping(before, other) {
            return Err(false);
        }
        Ok((before, after))
    } else {
        if !valid_grouping(s, sep) {
            return Err(false);
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

/// Displays an amount for people: `7 001,00 MAD` in French, `7,001.00 MAD` in English.
pub fn format_amount(amount: Amount, currency: Currency, lang: Lang) -> String {
    format!("{} {}", format_number(amount, lang), currency.code())
}

/// The number alone, grouped and with two decimals, in the language's convention.
pub fn format_number(amount: Amount, lang: Lang) -> String {
    let (group, decimal) = match lang {
        Lang::Fr => (' ', ','),
        Lang::En => (',', '.'),
    };
    let major = (amount.0 / 100).to_string();
    let mut grouped = String::with_capacity(major.len() + major.len() / 3 + 4);
    for (i, c) in major.chars().enumerate() {
        if i > 0 && (major.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    format!("{grouped}{decimal}{:02}", amount.0 % 100)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn minor(s: &str) -> i64 {
        parse_amount(s).unwrap().minor()
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
        assert_eq!(parse_amount(""), Err(AmountError::Empty));
        assert!(matches!(parse_amount("-5"), Err(AmountError::Negative(_))));
        assert!(matches!(parse_amount("1e3"), Err(AmountError::Invalid(_))));
        assert!(matches!(
            parse_amount("1.5.0"),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(
            parse_amount("12,3456"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(
            parse_amount("99999999999999"),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(parse_amount("abc"), Err(AmountError::Invalid(_))));
        assert_eq!(parse_positive_amount("0"), Err(AmountError::Zero));
    }

    #[test]
    fn ten_comma_zero_zero_one_is_refused_rather_than_guessed() {
        // "10,001" could be ten thousand and one or ten with three decimals.
        assert!(matches!(
            parse_amount("10,001"),
            Err(AmountError::Ambiguous(_))
        ));
        assert!(matches!(
            parse_amount("1.500"),
            Err(AmountError::Ambiguous(_))
        ));
    }

    #[test]
    fn formats_in_both_languages() {
        let a = Amount::from_minor(700_100).unwrap();
        assert_eq!(format_amount(a, Currency::Mad, Lang::Fr), "7 001,00 MAD");
        assert_eq!(format_amount(a, Currency::Mad, Lang::En), "7,001.00 MAD");
        let small = Amount::from_minor(2047).unwrap();
        assert_eq!(format_amount(small, Currency::Mad, Lang::Fr), "20,47 MAD");
        let big = Amount::from_minor(9_123_456_789).unwrap();
        assert_eq!(format_number(big, Lang::En), "91,234,567.89");
        assert_eq!(format_count(247_790, Lang::En), "247,790");
        assert_eq!(format_count(247_790, Lang::Fr), "247 790");
        assert_eq!(a.to_decimal_string(), "7001.00");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for m in [0, 1, 99, 100, 101, 99_999, 100_000, 1_234_567, MAX_MINOR] {
            let a = Amount::from_minor(m).unwrap();
            for lang in Lang::ALL {
                assert_eq!(
                    parse_amount(&format_number(a, lang)).unwrap(),
                    a,
                    "{m} {lang:?}"
                );
            }
        }
    }
}
