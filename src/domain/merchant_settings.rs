//! A merchant's settings seen by its customers (issue 14, point 5): the currencies
//! it accepts, the name and logo text on the payment page and emails, and the
//! data-protection notice at the bottom of the payment page. Kept beside the
//! merchant record (its own table), so that the record's layout did not change.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::form::FieldError;
use super::money::Currency;
use super::text::free_text_error;
use super::user::Merchant;

/// The notice shown when the admin has not written one (Moroccan law 09-08, CNDP).
pub const DEFAULT_NOTICE_FR: &str = "Conformément à la loi n° 09-08 relative à la protection des personnes physiques à l'égard du traitement des données à caractère personnel, vous disposez d'un droit d'accès, de rectification et d'opposition au traitement de vos données personnelles. Ce traitement a été notifié à la CNDP (Commission nationale de contrôle de la protection des données à caractère personnel).";
pub const DEFAULT_NOTICE_EN: &str = "In accordance with Moroccan law no. 09-08 on the protection of individuals with regard to the processing of personal data, you have the right to access, correct and object to the processing of your personal data. This processing was notified to the CNDP (the Moroccan data protection authority).";

pub const MAX_DISPLAY_NAME: usize = 80;
pub const MAX_LOGO_TEXT: usize = 40;
pub const MAX_NOTICE: usize = 2000;

/// Stored (postcard, positional): never reorder nor retype the fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantSettings {
    /// Never empty; in `Currency::ALL` order.
    pub currencies: Vec<Currency>,
    /// Empty: the merchant's own display name (company, else name).
    pub display_name: String,
    /// Empty: the display name is the header.
    pub logo_text: String,
    /// Empty: the default notice, in the customer's language.
    pub privacy_notice: String,
}

impl Default for MerchantSettings {
    /// MAD only, as the guide says; the merchant's names; the default notice.
    fn default() -> Self {
        MerchantSettings {
            currencies: vec![Currency::Mad],
            display_name: String::new(),
            logo_text: String::new(),
            privacy_notice: String::new(),
        }
    }
}

impl MerchantSettings {
    pub fn accepts(&self, currency: Currency) -> bool {
        self.currencies.contains(&currency)
    }

    /// The accepted currencies' codes, e.g. "MAD, EUR".
    pub fn accepted_codes(&self) -> String {
        self.currencies
            .iter()
            .map(|c| c.code())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The name customers see: the display name set here, else the merchant's.
    pub fn shown_name(&self, merchant: &Merchant) -> String {
        if self.display_name.is_empty() {
            merchant.display_name().to_string()
        } else {
            self.display_name.clone()
        }
    }

    /// The payment page's header: the logo text, else the shown name.
    pub fn header(&self, merchant: &Merchant) -> String {
        if self.logo_text.is_empty() {
            self.shown_name(merchant)
        } else {
            self.logo_text.clone()
        }
    }

    /// The data-protection notice in `lang`: the one written, else the default.
    pub fn notice(&self, lang: Lang) -> &str {
        if self.privacy_notice.is_empty() {
            lang.pick(DEFAULT_NOTICE_FR, DEFAULT_NOTICE_EN)
        } else {
            &self.privacy_notice
        }
    }

    /// The field message for a currency the merchant does not accept.
    pub fn currency_error(&self, field: &'static str, currency: Currency) -> FieldError {
        let accepted = self.accepted_codes();
        FieldError::new(
            field,
            format!(
                "Ce marchand n'accepte pas {} : devises acceptées {accepted}.",
                currency.code()
            ),
            format!(
                "This merchant does not accept {}: accepted currencies {accepted}.",
                currency.code()
            ),
        )
    }

    /// The settings form's values.
    pub fn to_form(&self) -> SettingsForm {
        SettingsForm {
            currencies: self.currencies.iter().map(|c| c.code().into()).collect(),
            other: String::new(),
            display_name: self.display_name.clone(),
            logo_text: self.logo_text.clone(),
            privacy_notice: self.privacy_notice.clone(),
        }
    }
}

/// The settings form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsForm {
    /// The codes ticked, as posted (`currency` fields, repeated), then those typed in
    /// `other`.
    pub currencies: Vec<String>,
    /// Other ISO 4217 codes, as typed (`currency_other`: `TND, JPY`).
    pub other: String,
    pub display_name: String,
    pub logo_text: String,
    pub privacy_notice: String,
}

fn checked_text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> String {
    let v = value.trim().to_string();
    if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{max} caractères au plus."),
            format!("At most {max} characters."),
        ));
    } else if let Some(e) = free_text_error(field, &v, multiline) {
        errors.push(e);
    }
    v
}

impl SettingsForm {
    /// From the posted pairs: `currency` (repeated) and the text fields.
    pub fn from_pairs(pairs: &[(String, String)]) -> SettingsForm {
        let mut f = SettingsForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "currency" => f.currencies.push(v.clone()),
                "currency_other" => {
                    f.other = v.clone();
                    f.currencies.extend(
                        v.split([',', ';', ' ', '\n', '\t'])
                            .filter(|c| !c.trim().is_empty())
                            .map(|c| c.trim().to_string()),
                    );
                }
                "display_name" => f.display_name = v.clone(),
                "logo_text" => f.logo_text = v.clone(),
                "privacy_notice" => f.privacy_notice = v.clone(),
                _ => {}
            }
        }
        f
    }

    pub fn ticked(&self, c: Currency) -> bool {
        self.currencies
            .iter()
            .any(|s| Currency::parse(s) == Some(c))
    }

    /// Every field checked at once.
    pub fn parse(&self) -> Result<MerchantSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(bad) = self
            .currencies
            .iter()
            .find(|s| Currency::parse(s).is_none())
        {
            let bad: String = bad.chars().take(12).collect();
            errors.push(FieldError::new(
                "currencies",
                format!("Devise inconnue. « {bad} » n'est pas un code ISO 4217 de devise (exemples : MAD, EUR, TND, JPY)."),
                format!("Unknown currency. \"{bad}\" is not an ISO 4217 currency code (examples: MAD, EUR, TND, JPY)."),
            ));
        }
        let currencies: Vec<Currency> = Currency::ALL
            .into_iter()
            .filter(|c| self.ticked(*c))
            .collect();
        if currencies.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "currencies",
                "Cochez au moins une devise.",
                "Tick at least one currency.",
            ));
        }
        let display_name = checked_text(
            &mut errors,
            "display_name",
            &self.display_name,
            MAX_DISPLAY_NAME,
            false,
        );
        let logo_text = checked_text(
            &mut errors,
            "logo_text",
            &self.logo_text,
            MAX_LOGO_TEXT,
            false,
        );
        let privacy_notice = checked_text(
            &mut errors,
            "privacy_notice",
            &self.privacy_notice,
            MAX_NOTICE,
            true,
        );
        if errors.is_empty() {
            Ok(MerchantSettings {
                currencies,
                display_name,
                logo_text,
                privacy_notice,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(currencies: &[&str]) -> SettingsForm {
        SettingsForm {
            currencies: currencies.iter().map(|s| s.to_string()).collect(),
            ..SettingsForm::default()
        }
    }

    #[test]
    fn the_default_accepts_mad_only_and_mentions_the_cndp_law() {
        let s = MerchantSettings::default();
        assert!(s.accepts(Currency::Mad) && !s.accepts(Currency::Eur));
        assert!(s.notice(Lang::Fr).contains("09-08") && s.notice(Lang::Fr).contains("CNDP"));
        assert!(s.notice(Lang::En).contains("09-08"));
    }

    #[test]
    fn the_ticked_currencies_are_kept_in_the_usual_order() {
        let s = form(&["USD", "MAD"]).parse().unwrap();
        assert_eq!(s.currencies, vec![Currency::Mad, Currency::Usd]);
        assert_eq!(s.accepted_codes(), "MAD, USD");
    }

    #[test]
    fn any_iso_currency_may_be_typed_beside_the_usual_ones() {
        let pairs: Vec<(String, String)> =
            [("currency", "MAD"), ("currency_other", " tnd, JPY;clf ")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let s = SettingsForm::from_pairs(&pairs).parse().unwrap();
        assert_eq!(
            s.currencies,
            vec![
                Currency::Mad,
                Currency::parse("CLF").unwrap(),
                Currency::Jpy,
                Currency::Tnd
            ]
        );
        let bad = form(&["MAD", "XAU"]).parse().unwrap_err();
        assert!(
            bad[0].fr.contains("Devise inconnue. « XAU »"),
            "{:?}",
            bad[0]
        );
    }

    #[test]
    fn no_currency_or_an_unknown_one_is_refused_beside_the_field() {
        for f in [form(&[]), form(&["XYZ", "MAD"])] {
            let errors = f.parse().unwrap_err();
            assert_eq!(errors[0].field, "currencies");
        }
    }

    #[test]
    fn a_too_long_display_name_and_a_control_character_are_refused() {
        let mut f = form(&["MAD"]);
        f.display_name = "x".repeat(MAX_DISPLAY_NAME + 1);
        f.logo_text = "a\u{7}b".into();
        let fields: Vec<_> = f.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["display_name", "logo_text"]);
    }

    #[test]
    fn a_written_notice_may_span_lines() {
        let mut f = form(&["MAD"]);
        f.privacy_notice = "Ligne 1\nLigne 2".into();
        assert_eq!(f.parse().unwrap().notice(Lang::En), "Ligne 1\nLigne 2");
    }
}
