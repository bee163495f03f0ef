//! How one transaction reads in the list, in words: its status with the result code as
//! a detail, its card as brand and last four digits, its amount signed (a refund is
//! money going back, so it shows negative). Pure functions of the row and the language.

use super::card::Brand;
use super::codes::ResultCode;
use super::lang::Lang;
use super::money::{Amount, Currency, format_amount};
use super::transaction::{Operation, Status, StoredCard};

/// The minus sign put before the amount of money going back to the cardholder.
pub const MINUS: char = '\u{2212}';

/// "Refusée · 051": the status word and the three-digit code (the code's meaning
/// goes in a tooltip or a second line, see [`ResultCode::text`]).
pub fn status_line(code: ResultCode, lang: Lang) -> String {
    format!("{} · {code}", Status::of(code).label(lang))
}

/// "Visa •••• 4444" (brand as the scheme writes it, then the last four digits only);
/// `None` when the row has no card.
pub fn card_short(card: Option<&StoredCard>) -> Option<String> {
    let card = card?;
    let brand = card.brand.filter(|b| *b != Brand::Unknown).map(brand_word);
    let dots = format!("•••• {}", card.last4);
    Some(match brand {
        Some(b) => format!("{b} {dots}"),
        None => dots,
    })
}

/// The brand in title case for reading ("Visa", "Mastercard", "Amex").
fn brand_word(b: Brand) -> &'static str {
    match b {
        Brand::Visa => "Visa",
        Brand::Mastercard => "Mastercard",
        Brand::Amex => "Amex",
        Brand::Maestro => "Maestro",
        Brand::Discover => "Discover",
        Brand::Jcb => "JCB",
        Brand::Diners => "Diners",
        Brand::UnionPay => "UnionPay",
        Brand::Unknown => "",
    }
}

/// True when the operation gives money back to the cardholder.
pub fn is_outgoing(op: Operation) -> bool {
    op == Operation::Refund
}

/// The amount as the list shows it: "−625,25 MAD" for a refund, "1 250,50 MAD" otherwise.
pub fn signed_amount(op: Operation, amount: Amount, currency: Currency, lang: Lang) -> String {
    let text = format_amount(amount, currency, lang);
    if is_outgoing(op) && !amount.is_zero() {
        format!("{MINUS}{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(brand: Option<Brand>) -> StoredCard {
        StoredCard {
            bin: "555555".into(),
            last4: "4444".into(),
            pan_len: 16,
            brand,
            ..StoredCard::default()
        }
    }

    #[test]
    fn a_card_reads_as_brand_and_last_four_never_the_bin() {
        let c = card(Some(Brand::Mastercard));
        assert_eq!(card_short(Some(&c)).unwrap(), "Mastercard •••• 4444");
        assert_eq!(card_short(Some(&card(None))).unwrap(), "•••• 4444");
        assert!(!card_short(Some(&c)).unwrap().contains("555555"));
        assert_eq!(card_short(None), None);
    }

    #[test]
    fn a_refund_is_negative_and_a_sale_is_not() {
        let a = Amount::from_minor(62_525).unwrap();
        assert_eq!(
            signed_amount(Operation::Refund, a, Currency::Mad, Lang::Fr),
            "\u{2212}625,25 MAD"
        );
        assert_eq!(
            signed_amount(Operation::Sale, a, Currency::Mad, Lang::En),
            "625.25 MAD"
        );
    }

    #[test]
    fn a_status_is_a_word_and_its_code() {
        let code = ResultCode::parse("051").unwrap();
        assert_eq!(status_line(code, Lang::Fr), "Refusée · 051");
        assert_eq!(status_line(code, Lang::En), "Refused · 051");
    }
}
