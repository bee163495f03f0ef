//! The virtual terminal's form (LINK-1): what the merchant types, checked field by
//! field into a `RequestInput`, then into a new `PaymentRequest`. Pure: time is passed in.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use super::Lang;
use super::countries;
use super::form::{FieldError, text};
use super::money::{Amount, Currency, parse_positive_amount};
use super::payment::{DEFAULT_VALIDITY_DAYS, MAX_VALIDITY_DAYS, PaymentRequest, link_hash};
use super::transaction::{Operation, Party};

/// The virtual terminal's form as typed (LINK-1). Every field is text so that bad
/// input comes back with a message, never a rejection by the deserializer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RequestForm {
    pub merchant: String,
    pub terminal: String,
    pub operation: String,
    pub order_id: String,
    pub amount: String,
    pub currency: String,
    pub description: String,
    pub lang: String,
    pub validity_days: String,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub phone: String,
    pub email: String,
    pub id_number: String,
    pub birth_date: String,
    /// Which button: `send` or `show`.
    pub action: String,
}

/// A validated virtual-terminal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInput {
    pub operation: Operation,
    pub order_id: String,
    pub amount: Amount,
    pub currency: Currency,
    pub description: String,
    pub lang: Lang,
    pub validity_days: u32,
    pub holder: Party,
}

/// A plausible email address: one `@`, a dot in the domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A required free-text field whose missing value says which field it is, like the
/// amount's ("The amount is required."): `(field, value, max)`.
fn required_text(
    errors: &mut Vec<FieldError>,
    (field, value, max): (&'static str, &str, usize),
    fr: &str,
    en: &str,
) -> String {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, fr, en));
        return String::new();
    }
    text(errors, field, value, max, true)
}

/// A birth date typed as DD/MM/YYYY (D/M/YYYY too) or YYYY-MM-DD.
pub fn parse_birth_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
        return Some(d);
    }
    let mut parts = s.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || d.is_empty()
        || d.len() > 2
        || m.is_empty()
        || m.len() > 2
    {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// A stored birth date (YYYY-MM-DD) as DD/MM/YYYY; anything else as it is.
pub fn birth_date_display(stored: &str) -> String {
    match Date::parse(
        stored,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(d) => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        Err(_) => stored.to_string(),
    }
}

impl RequestForm {
    /// Validates every field at once, so that all errors are shown in place.
    /// `lang` is the language of the page it was typed on: it reads the amount
    /// (`12,345` is 12.345 TND in French; see `money::parse_amount`).
    pub fn parse(&self, today: Date, lang: Lang) -> Result<RequestInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let operation = match self.operation.trim() {
            "" | "sale" => Some(Operation::Sale),
            "authorization" => Some(Operation::Authorization),
            _ => {
                errors.push(FieldError::new(
                    "operation",
                    "Choisissez Vente ou Autorisation.",
                    "Choose Sale or Authorization.",
                ));
                None
            }
        };
        let order_id = required_text(
            &mut errors,
            ("order_id", &self.order_id, 64),
            "Le numéro de commande est obligatoire.",
            "The order number is required.",
        );
        let currency = Currency::parse(&self.currency);
        // The amount is read in the chosen currency (its decimals); MAD until one is.
        let amount = match parse_positive_amount(&self.amount, currency.unwrap_or_default(), lang) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(FieldError::new(
                    "amount",
                    e.message(Lang::Fr),
                    e.message(Lang::En),
                ));
                None
            }
        };
        if currency.is_none() {
            errors.push(FieldError::new(
                "currency",
                "La devise est obligatoire.",
                "The currency is required.",
            ));
        }
        let description = text(&mut errors, "description", &self.description, 500, false);
        let lang = Lang::parse(&self.lang).unwrap_or_default();
        let validity_days = match self.validity_days.trim() {
            "" => Some(DEFAULT_VALIDITY_DAYS),
            s => match s.parse::<u32>() {
                Ok(d) if (1..=MAX_VALIDITY_DAYS).contains(&d) => Some(d),
                _ => {
                    errors.push(FieldError::new(
                        "validity_days",
                        format!("Un nombre de jours de 1 à {MAX_VALIDITY_DAYS}."),
                        format!("A number of days from 1 to {MAX_VALIDITY_DAYS}."),
                    ));
                    None
                }
            },
        };
        let name = required_text(
            &mut errors,
            ("name", &self.name, 80),
            "Le nom du client est obligatoire.",
            "The customer's name is required.",
        );
        let address = text(&mut errors, "address", &self.address, 120, false);
        let postcode = text(&mut errors, "postcode", &self.postcode, 16, false);
        let city = text(&mut errors, "city", &self.city, 80, false);
        let state = text(&mut errors, "state", &self.state, 80, false);
        let country = match self.country.trim() {
            "" => String::new(),
            c => countries::parse(c).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "country",
                    "Pays inconnu.",
                    "Unknown country.",
                ));
                String::new()
            }),
        };
        let phone = text(&mut errors, "phone", &self.phone, 24, false);
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            errors.push(FieldError::new(
                "phone",
                "Chiffres, espaces et + - ( ) seulement.",
                "Digits, spaces and + - ( ) only.",
            ));
        }
        let email = required_text(
            &mut errors,
            ("email", &self.email, 254),
            "L'adresse électronique est obligatoire.",
            "The email address is required.",
        );
        if !email.is_empty() && !valid_email(&email) {
            errors.push(FieldError::new(
                "email",
                "Adresse électronique invalide (exemple : nom@domaine.ma).",
                "Invalid email address (example: name@domain.com).",
            ));
        }
        let id_number = text(&mut errors, "id_number", &self.id_number, 40, false);
        // Typed as DD/MM/YYYY like every date of the app (YYYY-MM-DD still read),
        // kept as YYYY-MM-DD.
        let birth_date = match self.birth_date.trim() {
            "" => String::new(),
            s => match parse_birth_date(s) {
                Some(d) if d < today => d.to_string(),
                _ => {
                    errors.push(FieldError::new(
                        "birth_date",
                        "Date passée au format JJ/MM/AAAA (ex. 14/03/1985).",
                        "A past date as DD/MM/YYYY (e.g. 14/03/1985).",
                    ));
                    String::new()
                }
            },
        };
        match (operation, amount, currency, validity_days) {
            (Some(operation), Some(amount), Some(currency), Some(validity_days))
                if errors.is_empty() =>
            {
                Ok(RequestInput {
                    operation,
                    order_id,
                    amount,
                    currency,
                    description,
                    lang,
                    validity_days,
                    holder: Party {
                        name,
                        address,
                        postcode,
                        city,
                        state,
                        country,
                        phone,
                        email,
                        birth_date,
                        id_number,
                    },
                })
            }
            _ => Err(errors),
        }
    }
}

impl RequestForm {
    /// The form to show again after a refusal, with every field that holds a card
    /// number emptied: the number is not sent back into the page.
    pub fn without_card_numbers(&self) -> RequestForm {
        let clear = |v: &String| {
            if super::card::contains_pan_like(v) {
                String::new()
            } else {
                v.clone()
            }
        };
        RequestForm {
            order_id: clear(&self.order_id),
            description: clear(&self.description),
            name: clear(&self.name),
            address: clear(&self.address),
            postcode: clear(&self.postcode),
            city: clear(&self.city),
            state: clear(&self.state),
            phone: clear(&self.phone),
            email: clear(&self.email),
            id_number: clear(&self.id_number),
            ..self.clone()
        }
    }
}

impl RequestInput {
    /// The request these details make, valid `validity_days` from `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn into_request(
        self,
        merchant_id: u64,
        terminal: u32,
        created_by: &str,
        token: String,
        now: OffsetDateTime,
    ) -> PaymentRequest {
        PaymentRequest {
            id: 0,
            merchant_id,
            terminal,
            created_at: now.unix_timestamp(),
            created_by: created_by.to_string(),
            operation: self.operation,
            order_id: self.order_id,
            amount: self.amount,
            currency: self.currency,
            description: self.description,
            lang: self.lang,
            expires_at: (now + Duration::days(i64::from(self.validity_days))).unix_timestamp(),
            holder: self.holder,
            link_hash: link_hash(&token),
            cancelled: None,
            paid_tx: None,
            refused_attempts: 0,
            blocked: false,
            attempts: Vec::new(),
            emails: Vec::new(),
            token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_birth_date_is_read_as_dd_mm_yyyy_or_yyyy_mm_dd_and_shown_as_dd_mm_yyyy() {
        assert_eq!(parse_birth_date("14/03/1985"), Some(date!(1985 - 03 - 14)));
        assert_eq!(parse_birth_date(" 4/3/1985 "), Some(date!(1985 - 03 - 04)));
        assert_eq!(parse_birth_date("1985-03-14"), Some(date!(1985 - 03 - 14)));
        for bad in [
            "31/02/1990",
            "14/03/85",
            "14-03-1985",
            "14/13/1985",
            "1/2/3/4",
            "",
            "abc",
        ] {
            assert_eq!(parse_birth_date(bad), None, "{bad}");
        }
        assert_eq!(birth_date_display("1985-03-14"), "14/03/1985");
        assert_eq!(birth_date_display(""), "");
    }
}
