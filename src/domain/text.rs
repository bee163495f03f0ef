//! Text as people type it: folding for case- and accent-insensitive search (`Fès` and
//! `FES` both fold to `fes`), the checks every stored free-text field shares (no control
//! or bidi-override characters, something visible, no card number), and the escaping of
//! user-supplied values before they reach a log line.

use super::card::contains_pan_like;
use super::user::FieldError;

/// Lowercase ASCII transliteration with runs of whitespace collapsed.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s.trim());
    ascii
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// How many characters of a user-supplied value a log line keeps.
pub const LOG_MAX_CHARS: usize = 64;

/// A user-supplied value made safe for one log line: control characters (CR, LF, tab,
/// ESC, …) and invisible or bidi-control characters are written as escapes (`\n`,
/// `\u{202e}`), and only the first [`LOG_MAX_CHARS`] characters are kept, followed by
/// `…` when cut. A log reader can then neither be shown forged lines nor a value
/// reordered on screen, and a pasted secret does not land in the log whole.
pub fn log_safe(value: &str) -> String {
    log_safe_max(value, LOG_MAX_CHARS)
}

/// [`log_safe`] with another length limit, for longer texts such as error messages
/// that may quote user input.
pub fn log_safe_max(value: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(value.len().min(max_chars * 2) + 3);
    for (i, c) in value.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// A request path for the log, with the secret of a payment link replaced:
/// `/payment/3f2a…/3ds/x` becomes `/payment/…/3ds/x`. Then made [`log_safe_max`].
pub fn log_safe_path(path: &str) -> String {
    let redacted = match path.strip_prefix("/payment/") {
        Some(rest) => {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            format!("/payment/…{tail}")
        }
        None if path.starts_with("/welcome/") => "/welcome/…".to_string(),
        None => path.to_string(),
    };
    log_safe_max(&redacted, 200)
}

/// Characters that show nothing by themselves: format characters (zero-width spaces
/// and joiners, bidi marks, embeddings, overrides and isolates, word joiner, BOM,
/// interlinear annotation), variation selectors, tags and the Hangul fillers.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Bidi embeddings, overrides and isolates: they reorder the text around them on
/// screen, in exports and in emails, so stored text may not contain them. (The
/// left-to-right and right-to-left marks, which only nudge neutral characters, are
/// allowed inside visible text.)
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// True when the text shows at least one character: not only whitespace, control and
/// invisible characters.
pub fn has_visible(s: &str) -> bool {
    s.chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// The field message for a card number typed into a free-text field.
pub fn pan_error(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "Ne saisissez pas de numéro de carte ici.",
        "Do not type a card number here.",
    )
}

/// The checks every stored free-text field shares, on the trimmed, non-empty value:
/// no control character (line breaks and tabs allowed when `multiline`), no bidi
/// control, at least one visible character, no card number (PCI DSS 3.3: a full card
/// number must not end up in notes, descriptions or names). `None` when acceptable.
pub fn free_text_error(field: &'static str, value: &str, multiline: bool) -> Option<FieldError> {
    let allowed_control = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value
        .chars()
        .any(|c| (c.is_control() && !allowed_control(c)) || is_bidi_control(c))
    {
        return Some(FieldError::new(
            field,
            "Caractères non autorisés (retours à la ligne, caractères de contrôle ou d'inversion du sens d'écriture).",
            "Characters not allowed (line breaks, control or text-direction override characters).",
        ));
    }
    if !value.is_empty() && !has_visible(value) {
        return Some(FieldError::new(
            field,
            "Ce champ ne contient aucun caractère visible.",
            "This field has no visible character.",
        ));
    }
    if contains_pan_like(value) {
        return Some(pan_error(field));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_do_not_matter() {
        assert_eq!(fold("Fès"), "fes");
        assert_eq!(fold("MOHAMED"), fold("mohamed"));
        assert_eq!(fold("  Omar   Benani "), "omar benani");
        assert_eq!(fold("Éloïse"), "eloise");
    }

    #[test]
    fn log_safe_escapes_line_breaks_so_no_line_can_be_forged() {
        let forged = "x\n2026-06-01T10:00:00Z  INFO signed in user=admin";
        let safe = log_safe(forged);
        assert!(!safe.contains('\n'));
        assert!(safe.starts_with("x\\n2026"));
        assert_eq!(log_safe("a\r\nb\tc\u{1b}[31m"), "a\\r\\nb\\tc\\u{1b}[31m");
        assert_eq!(log_safe("back\\slash"), "back\\\\slash");
    }

    #[test]
    fn log_safe_escapes_bidi_and_invisible_characters() {
        assert_eq!(log_safe("ab\u{202e}cd"), "ab\\u{202e}cd");
        assert_eq!(log_safe("\u{200b}"), "\\u{200b}");
        assert_eq!(log_safe("Fès معاذ"), "Fès معاذ");
    }

    #[test]
    fn log_safe_keeps_at_most_64_characters() {
        let long = "é".repeat(100);
        let safe = log_safe(&long);
        assert_eq!(safe.chars().count(), 65);
        assert!(safe.ends_with('…'));
        let exact = "a".repeat(64);
        assert_eq!(log_safe(&exact), exact);
        assert_eq!(log_safe(""), "");
        assert_eq!(log_safe_max("abcdef", 3), "abc…");
    }

    #[test]
    fn payment_link_secrets_are_redacted_from_logged_paths() {
        assert_eq!(
            log_safe_path("/payment/0123456789abcdef0123456789abcdef"),
            "/payment/…"
        );
        assert_eq!(
            log_safe_path("/payment/0123abcd/3ds/c1?lang=fr"),
            "/payment/…/3ds/c1?lang=fr"
        );
        assert_eq!(log_safe_path("/payment/"), "/payment/…");
        assert_eq!(log_safe_path("/transactions/12"), "/transactions/12");
        assert_eq!(log_safe_path("/a\nb"), "/a\\nb");
    }

    #[test]
    fn a_text_made_only_of_invisible_characters_is_not_visible() {
        assert!(!has_visible("\u{202e}\u{202e}\u{202e}"));
        assert!(!has_visible("\u{200b}\u{feff} \u{2066}"));
        assert!(!has_visible(""));
        assert!(has_visible("\u{200f}سلمى"));
        assert!(has_visible("a"));
    }

    #[test]
    fn free_text_refuses_controls_bidi_overrides_invisible_text_and_card_numbers() {
        let field = |v: &str, multiline: bool| free_text_error("f", v, multiline).map(|e| e.en);
        assert_eq!(field("Salma Idrissi", false), None);
        assert_eq!(field("Rue 12, Fès 30000", false), None);
        assert!(field("line\nbreak", false).unwrap().contains("not allowed"));
        assert_eq!(field("line\nbreak", true), None);
        assert!(
            field("evil\u{202e}txt.exe", true)
                .unwrap()
                .contains("not allowed")
        );
        assert!(
            field("\u{200b}\u{200b}", false)
                .unwrap()
                .contains("visible")
        );
        assert_eq!(
            field("card 4111 1111 1111 1111", true).as_deref(),
            Some("Do not type a card number here.")
        );
        assert_eq!(
            pan_error("note").fr,
            "Ne saisissez pas de numéro de carte ici."
        );
    }
}
