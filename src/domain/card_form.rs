//! The card form of the payment page: checked before anything is sent (holder, Luhn,
//! expiry, security code shape); the number and code then live only in memory.

use serde::Deserialize;
use time::Date;

use super::Lang;
use super::card::{Brand, CardError, Expiry, Pan, check_cvv};
use super::payment::text;
use super::transaction::StoredCard;
use super::user::FieldError;

/// The card form of the payment page as typed.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CardForm {
    pub holder: String,
    pub number: String,
    pub expiry: String,
    pub cvv: String,
    /// One-time key of the rendered form: a second submit of the same form gets
    /// the first one's answer.
    pub attempt: String,
    /// The page's language (`fr` / `en`).
    pub lang: String,
}

impl std::fmt::Debug for CardForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardForm")
            .field("holder", &self.holder)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// A card ready for the acquirer. The number and code live only in memory.
pub struct CardDetails {
    pub holder: String,
    pub pan: Pan,
    pub expiry: Expiry,
    pub cvv: String,
}

fn card_error(field: &'static str, e: &CardError) -> FieldError {
    FieldError::new(field, e.message(Lang::Fr), e.message(Lang::En))
}

impl CardForm {
    /// Checks the card before anything is sent: holder, Luhn, expiry, code shape.
    pub fn parse(&self, today: Date) -> Result<CardDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let holder = text(&mut errors, "holder", &self.holder, 80, true);
        let holder_refused = errors.iter().any(|e| e.field == "holder");
        if !holder_refused && holder.chars().filter(char::is_ascii_digit).count() >= 8 {
            // A card number typed in the wrong field must not be stored as a name.
            errors.push(FieldError::new(
                "holder",
                "Saisissez le nom inscrit sur la carte, pas son numéro.",
                "Enter the name printed on the card, not its number.",
            ));
        }
        let pan = Pan::parse(&self.number)
            .map_err(|e| errors.push(card_error("number", &e)))
            .ok();
        let expiry = match Expiry::parse(&self.expiry) {
            Ok(e) if e.is_expired(today) => {
                errors.push(card_error("expiry", &CardError::Expired));
                None
            }
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(card_error("expiry", &e));
                None
            }
        };
        let brand = pan.as_ref().map(Pan::brand);
        let cvv = self.cvv.trim().to_string();
        // Only Visa and Mastercard are accepted: 3 digits, as the page says. An
        // American Express number goes on to be refused as not accepted, whatever
        // its 4-digit code; no number yet means the accepted cards' 3 digits.
        let cvv_ok = match brand {
            Some(b @ Brand::Amex) => {
                check_cvv(&cvv, b).is_ok() || check_cvv(&cvv, Brand::Visa).is_ok()
            }
            Some(b) => check_cvv(&cvv, b).is_ok(),
            None => check_cvv(&cvv, Brand::Visa).is_ok(),
        };
        if !cvv_ok {
            errors.push(card_error("cvv", &CardError::BadCvv));
        }
        match (pan, expiry) {
            (Some(pan), Some(expiry)) if errors.is_empty() => Ok(CardDetails {
                holder,
                pan,
                expiry,
                cvv,
            }),
            _ => Err(errors),
        }
    }
}

impl CardDetails {
    /// The card as stored: BIN, last 4, brand, expiry, holder, token keyed with card
    /// key `key_id`.
    pub fn stored(
        &self,
        key_id: u32,
        key: &[u8],
        country: &str,
        authenticated: bool,
    ) -> StoredCard {
        StoredCard {
            bin: self.pan.bin().to_string(),
            last4: self.pan.last4().to_string(),
            pan_len: u8::try_from(self.pan.len()).unwrap_or(19),
            brand: Some(self.pan.brand()),
            exp_month: self.expiry.month,
            exp_year: self.expiry.year,
            holder: self.holder.clone(),
            token: self.pan.storage_token(key_id, key),
            three_ds: authenticated,
            country: country.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_card_form_checks_luhn_expiry_and_code_before_sending() {
        let today = date!(2026 - 06 - 01);
        let card = |number: &str, expiry: &str, cvv: &str| CardForm {
            holder: "Salma Idrissi".into(),
            number: number.into(),
            expiry: expiry.into(),
            cvv: cvv.into(),
            ..CardForm::default()
        };
        let ok = card("4111 1111 1111 1111", "12/30", "123")
            .parse(today)
            .unwrap();
        assert_eq!(ok.pan.last4(), "1111");
        let fields = |c: CardForm| -> Vec<&str> {
            c.parse(today)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields(card("4111111111111112", "12/30", "123")), ["number"]);
        assert_eq!(fields(card("4111111111111111", "05/26", "123")), ["expiry"]);
        assert!(fields(card("4111111111111111", "06/26", "123")).is_empty());
        assert_eq!(fields(card("4111111111111111", "13/30", "123")), ["expiry"]);
        assert_eq!(fields(card("4111111111111111", "12/30", "12")), ["cvv"]);
        // Visa and Mastercard only: 3 digits, never 4, as the page and its error say.
        assert_eq!(fields(card("4111111111111111", "12/30", "1234")), ["cvv"]);
        assert_eq!(fields(card("5105105105105100", "12/30", "1234")), ["cvv"]);
        assert_eq!(
            fields(card("4111111111111112", "12/30", "1234")),
            ["number", "cvv"]
        );
        // An American Express number is refused as not accepted further on, not
        // here for its code.
        assert!(fields(card("378282246310005", "12/30", "123")).is_empty());
        assert!(fields(card("378282246310005", "12/30", "1234")).is_empty());
        let e = card("4111111111111111", "12/30", "1234")
            .parse(today)
            .err()
            .expect("a 4-digit code on a Visa card is refused");
        assert!(
            !e[0].fr.contains("American Express")
                && e[0].fr.contains("3 chiffres au dos de la carte")
        );
        assert!(e[0].en.contains("3 digits on the back of the card"));
        let mut pasted = card("4111111111111111", "12/30", "123");
        pasted.holder = "4111 1111 1111 1111".into();
        assert_eq!(fields(pasted), ["holder"]);
    }
}
