//! A note on a transaction: 1 to 2000 characters of free text, never a card number.

use super::form::FieldError;
use super::text::free_text_error;

/// The text of a note, trimmed and checked. No setter: only `parse` makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteText(String);

impl NoteText {
    /// The longest note, in characters.
    pub const MAX_CHARS: usize = 2000;

    /// Trims `input` and checks it: 1 to 2000 characters, line breaks allowed, no
    /// control character and no card number (field `text`).
    pub fn parse(input: &str) -> Result<NoteText, FieldError> {
        let text = input.trim();
        if text.is_empty() || text.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "text",
                "La note doit contenir de 1 à 2000 caractères.",
                "A note has 1 to 2000 characters.",
            ));
        }
        match free_text_error("text", text, true) {
            Some(e) => Err(e),
            None => Ok(NoteText(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lang;

    #[test]
    fn a_note_is_trimmed_and_keeps_its_line_breaks() {
        let n = NoteText::parse("  called the buyer\nrefund agreed  ").unwrap();
        assert_eq!(n.as_str(), "called the buyer\nrefund agreed");
    }

    #[test]
    fn a_note_has_1_to_2000_characters() {
        for bad in ["", "   \n ", &"é".repeat(2001)] {
            let e = NoteText::parse(bad).unwrap_err();
            assert_eq!(e.field, "text");
            assert_eq!(e.message(Lang::En), "A note has 1 to 2000 characters.");
            assert_eq!(
                e.message(Lang::Fr),
                "La note doit contenir de 1 à 2000 caractères."
            );
        }
        assert!(NoteText::parse(&"é".repeat(2000)).is_ok());
        assert!(NoteText::parse("x").is_ok());
    }

    #[test]
    fn a_note_never_holds_a_card_number_or_a_control_character() {
        let e = NoteText::parse("card 4111 1111 1111 1111").unwrap_err();
        assert_eq!(e.en, "Do not type a card number here.");
        assert!(NoteText::parse("bell \u{7}").is_err());
        assert!(NoteText::parse("\u{202e}reversed").is_err());
    }
}
