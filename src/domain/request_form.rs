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

impl RequestForm {
    /// Validates every field at once, so that all errors are shown in place.
    pub fn parse(&self, today: Date) -> Result<RequestInput, Vec<FieldError>> {
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
        let order_id = text(&mut errors, "order_id", &self.order_id, 64, true);
        let amount = match parse_positive_amount(&self.amount) {
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
        let currency = Currency::parse(&self.currency);
        if currency.is_none() {
            errors.push(FieldError::new(
                "currency",
                "Choisissez la monnaie.",
                "Choose the currency.",
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
        let name = text(&mut errors, "name", &self.name, 80, true);
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
        let email = text(&mut errors, "email", &self.email, 254, true);
        if !email.is_empty() && !valid_email(&email) {
            errors.push(FieldError::new(
                "email",
                "Adresse électronique invalide (exemple : nom@domaine.ma).",
                "Invalid email address (example: name@domain.com).",
            ));
        }
        let id_number = text(&mut errors, "id_number", &self.id_number, 40, false);
        let birth_date = match self.birth_date.trim() {
            "" => String::new(),
            s => match Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
                Ok(d) if d < today => s.to_string(),
                _ => {
                    errors.push(FieldError::new(
                        "birth_date",
                        "Date passée au format AAAA-MM-JJ.",
                        "A past date as YYYY-MM-DD.",
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
