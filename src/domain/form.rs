//! The form toolkit of the domain: a field-level error in both languages and the
//! helpers that trim, require and bound free-text fields.

use super::Lang;

/// A field-level error: which field, and the message in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub fr: String,
    pub en: String,
}

impl FieldError {
    pub fn new(field: &'static str, fr: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError {
            field,
            fr: fr.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.fr, &self.en)
    }
}

/// `At most {max} characters.` for `field`.
pub fn too_long(field: &'static str, max: usize) -> FieldError {
    FieldError::new(
        field,
        format!("{max} caractères au plus."),
        format!("At most {max} characters."),
    )
}

/// `This field is required.` for `field`.
pub fn required(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "Ce champ est obligatoire.",
        "This field is required.",
    )
}

/// Trims and bounds a free-text field (`max` characters; line breaks only in
/// `description`), pushing its error, if any, to `errors`.
pub fn text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
    mandatory: bool,
) -> String {
    let v = value.trim().to_string();
    if mandatory && v.is_empty() {
        errors.push(required(field));
    } else if v.chars().count() > max {
        errors.push(too_long(field, max));
    } else if let Some(e) = super::text::free_text_error(field, &v, field == "description") {
        errors.push(e);
    }
    v
}
