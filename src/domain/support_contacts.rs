//! The gateway's support contacts (issue 14, point 2): the email address, phone and
//! opening hours the admin sets once, shown on the Support tab, the sign-in page's
//! help line and the customer's payment-refused page.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::form::{FieldError, text};
use super::request_form::valid_email;

pub const MAX_EMAIL: usize = 254;
pub const MAX_PHONE: usize = 30;
pub const MAX_HOURS: usize = 120;

/// Stored (postcard, positional): never reorder nor retype the fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportContacts {
    /// Empty: no address given.
    pub email: String,
    /// As typed, e.g. "0522 48 00 47" or "+212 522 48 00 47"; empty: none.
    pub phone: String,
    /// Opening hours in French, e.g. "du lundi au vendredi de 9 h à 17 h".
    pub hours_fr: String,
    /// Opening hours in English; empty: the French text.
    pub hours_en: String,
}

impl SupportContacts {
    /// Nothing set: the pages fall back to "contact your gateway's support".
    pub fn is_empty(&self) -> bool {
        self.email.is_empty() && self.phone.is_empty()
    }

    /// The opening hours in `lang`, the other language's when only one is set.
    pub fn hours(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Fr => (&self.hours_fr, &self.hours_en),
            Lang::En => (&self.hours_en, &self.hours_fr),
        };
        if first.is_empty() { second } else { first }
    }

    /// The `tel:` link of the phone: its digits, with a leading `+` kept.
    pub fn phone_link(&self) -> String {
        let plus = self.phone.trim_start().starts_with('+');
        let digits: String = self.phone.chars().filter(char::is_ascii_digit).collect();
        format!("tel:{}{digits}", if plus { "+" } else { "" })
    }

    /// The form's values.
    pub fn to_form(&self) -> ContactsForm {
        ContactsForm {
            email: self.email.clone(),
            phone: self.phone.clone(),
            hours_fr: self.hours_fr.clone(),
            hours_en: self.hours_en.clone(),
        }
    }

    /// What the audit log keeps of a change.
    pub fn audit_detail(&self) -> String {
        format!(
            "email={:?} phone={:?} hours_fr={:?} hours_en={:?}",
            self.email, self.phone, self.hours_fr, self.hours_en
        )
    }
}

/// The contacts form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ContactsForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub hours_fr: String,
    #[serde(default)]
    pub hours_en: String,
}

/// A phone number as people write it: digits, spaces, dots, dashes, parentheses and
/// one leading `+`, with 6 to 15 digits (E.164's maximum).
fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (6..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
}

impl ContactsForm {
    /// Every field checked at once; all fields may be empty (no contact shown).
    pub fn parse(&self) -> Result<SupportContacts, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = text(&mut errors, "email", &self.email, MAX_EMAIL, false);
        if !email.is_empty() && errors.is_empty() && !valid_email(&email) {
            errors.push(FieldError::new(
                "email",
                "Adresse e-mail invalide (exemple : support@exemple.ma).",
                "Invalid email address (example: support@example.com).",
            ));
        }
        let before = errors.len();
        let phone = text(&mut errors, "phone", &self.phone, MAX_PHONE, false);
        if !phone.is_empty() && errors.len() == before && !valid_phone(&phone) {
            errors.push(FieldError::new(
                "phone",
                "Numéro invalide : des chiffres (6 à 15), espaces, points, tirets, parenthèses et un + au début.",
                "Invalid number: digits (6 to 15), spaces, dots, dashes, parentheses and a leading +.",
            ));
        }
        let hours_fr = text(&mut errors, "hours_fr", &self.hours_fr, MAX_HOURS, false);
        let hours_en = text(&mut errors, "hours_en", &self.hours_en, MAX_HOURS, false);
        if errors.is_empty() {
            Ok(SupportContacts {
                email,
                phone,
                hours_fr,
                hours_en,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, phone: &str) -> ContactsForm {
        ContactsForm {
            email: email.into(),
            phone: phone.into(),
            hours_fr: " du lundi au vendredi de 9 h à 17 h ".into(),
            hours_en: String::new(),
        }
    }

    fn fields(f: &ContactsForm) -> Vec<&'static str> {
        f.parse().unwrap_err().iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_form_is_trimmed_and_kept() {
        let c = form(" support@guichet.ma ", "0522 48 00 47")
            .parse()
            .unwrap();
        assert_eq!(c.email, "support@guichet.ma");
        assert_eq!(c.phone, "0522 48 00 47");
        assert_eq!(c.hours_fr, "du lundi au vendredi de 9 h à 17 h");
        assert!(!c.is_empty());
    }

    #[test]
    fn an_empty_form_clears_the_contacts() {
        let c = ContactsForm::default().parse().unwrap();
        assert!(c.is_empty());
        assert_eq!(c, SupportContacts::default());
    }

    #[test]
    fn a_bad_email_or_phone_is_refused_beside_its_field() {
        assert_eq!(fields(&form("support", "0522")), ["email", "phone"]);
        assert_eq!(fields(&form("a@b.ma", "05 22 abc 47")), ["phone"]);
        assert_eq!(fields(&form("a@b.ma", "++212522480047")), ["phone"]);
        assert_eq!(fields(&form("a@b.ma", "1234567890123456")), ["phone"]);
        assert!(form("a@b.ma", "+212 (5) 22-48.00.47").parse().is_ok());
    }

    #[test]
    fn a_card_number_or_a_control_character_is_refused() {
        let mut f = form("a@b.ma", "");
        f.hours_en = "4111 1111 1111 1111".into();
        assert_eq!(fields(&f), ["hours_en"]);
        f.hours_en = "9h\u{202e}17h".into();
        assert_eq!(fields(&f), ["hours_en"]);
    }

    #[test]
    fn hours_fall_back_to_the_other_language() {
        let c = form("a@b.ma", "").parse().unwrap();
        assert_eq!(c.hours(Lang::En), "du lundi au vendredi de 9 h à 17 h");
        let both = SupportContacts {
            hours_en: "Monday to Friday, 9am to 5pm".into(),
            ..c
        };
        assert_eq!(both.hours(Lang::En), "Monday to Friday, 9am to 5pm");
        assert_eq!(both.hours(Lang::Fr), "du lundi au vendredi de 9 h à 17 h");
    }

    #[test]
    fn the_phone_link_keeps_digits_and_a_leading_plus() {
        let c = SupportContacts {
            phone: "+212 (5) 22-48.00.47".into(),
            ..SupportContacts::default()
        };
        assert_eq!(c.phone_link(), "tel:+212522480047");
    }
}
