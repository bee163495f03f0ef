//! The two languages of the interface.

use serde::{Deserialize, Serialize};

/// A language of the interface. French is the default.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Lang {
    #[default]
    Fr = 0,
    En = 1,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The ISO 639-1 code, as used in URLs and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's own name, for switches.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// Parses `fr` / `en` (case-insensitive); anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks French or English text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The form of a word for `n` things, `(singular, plural)` in each language.
    /// French takes the singular for 0 and 1 (« 0 élément », « 1 élément »), English
    /// only for 1 ("0 items", "1 item").
    pub fn plural<'a>(self, n: u64, fr: (&'a str, &'a str), en: (&'a str, &'a str)) -> &'a str {
        match self {
            Lang::Fr if n <= 1 => fr.0,
            Lang::Fr => fr.1,
            Lang::En if n == 1 => en.0,
            Lang::En => en.1,
        }
    }

    /// `n` and the word in its right form: « 1 tentative », "2 attempts", with the
    /// language's thousands separator (« 1 250 éléments »).
    pub fn count(self, n: u64, fr: (&str, &str), en: (&str, &str)) -> String {
        format!(
            "{} {}",
            super::money::format_count(n, self),
            self.plural(n, fr, en)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_refuses_others() {
        assert_eq!(Lang::parse("FR"), Some(Lang::Fr));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::default(), Lang::Fr);
    }

    #[test]
    fn counts_take_the_singular_or_plural_of_each_language() {
        let item = |lang: Lang, n| lang.count(n, ("élément", "éléments"), ("item", "items"));
        assert_eq!(item(Lang::Fr, 0), "0 élément");
        assert_eq!(item(Lang::Fr, 1), "1 élément");
        assert_eq!(item(Lang::Fr, 2), "2 éléments");
        assert_eq!(item(Lang::En, 0), "0 items");
        assert_eq!(item(Lang::En, 1), "1 item");
        assert_eq!(item(Lang::En, 2), "2 items");
        assert_eq!(item(Lang::En, 1250), "1,250 items");
    }
}
