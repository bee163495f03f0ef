//! Card numbers where none should be: finding one typed into free text (notes,
//! names, descriptions — PCI DSS 3.3), and never sending one back in a page.

use super::card::luhn_valid;

/// Characters that may stand between the digit groups of a typed card number.
fn is_group_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '/' | '_' | '\u{2010}'..='\u{2015}')
}

/// True when `text` holds what looks like a full card number: 13 to 19 digits that
/// pass the Luhn check, typed in one piece or in groups separated by up to three
/// spaces, line breaks, tabs, dashes, dots, slashes or underscores. Digits of any
/// script (full-width, Arabic-Indic…) count as the digits they stand for. Any run of
/// consecutive groups is tried, so a number followed by its security code or expiry
/// (`4111 1111 1111 1111 123`) is found too; a longer unbroken run of digits (a
/// reference, an IBAN) is not a card number, and neither are phone numbers (too few
/// digits) nor Luhn-invalid runs.
pub fn contains_pan_like(text: &str) -> bool {
    let folded: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() || !c.is_numeric() {
                return c.to_string();
            }
            // `٤` → `4`, `４` → `4`; other numerals (fractions, roman) stay letters.
            let t = deunicode::deunicode_char(c).unwrap_or("");
            if t.len() == 1 && t.bytes().all(|b| b.is_ascii_digit()) {
                t.to_string()
            } else {
                "x".to_string()
            }
        })
        .collect();
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut gap = 0usize;
    for c in folded.chars() {
        if c.is_ascii_digit() {
            current.push(c);
            gap = 0;
            continue;
        }
        if !current.is_empty() {
            groups.push(std::mem::take(&mut current));
        }
        if is_group_separator(c) && !groups.is_empty() && gap < 3 {
            gap += 1;
            continue;
        }
        if pan_in_groups(&groups) {
            return true;
        }
        groups.clear();
        gap = 0;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    pan_in_groups(&groups)
}

/// What may be shown back in a refused form: the value, or nothing when it could hold
/// a card number (a Luhn-valid run, or 13 digits or more in all) — a card number never
/// travels back in a response (PCI DSS 3.4, review L1).
pub fn echo_safe(value: &str) -> String {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if digits >= 13 || contains_pan_like(value) {
        String::new()
    } else {
        value.to_string()
    }
}

/// Any consecutive groups with 13 to 19 digits in all that pass the Luhn check.
fn pan_in_groups(groups: &[String]) -> bool {
    (0..groups.len()).any(|first| {
        let mut digits = String::with_capacity(19);
        for g in &groups[first..] {
            digits.push_str(g);
            if digits.len() > 19 {
                return false;
            }
            if digits.len() >= 13 && luhn_valid(&digits) {
                return true;
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_card_numbers_are_found_in_free_text() {
        for text in [
            "4111111111111111",
            "card 4111 1111 1111 1111 please",
            "4111-1111-1111-1111",
            "x4111111111111111y",
            "5555 5555 5555 4444, exp 12/30",
            "3782 822463 10005",
            "4111 1111 1111 1111 123",
            "12 4111111111111111",
            "4111 -1111- 1111  1111",
            "numéro\u{a0}4012\u{a0}8888\u{a0}8888\u{a0}1881",
            "4111\n1111\n1111\n1111",
            "4111\t1111\t1111\t1111",
            "4111.1111.1111.1111",
            "4111/1111/1111/1111",
            "4111 - 1111 - 1111 - 1111",
            "4111   1111   1111   1111",
            "\u{664}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}\u{661}",
            "\u{ff14}\u{ff11}\u{ff11}\u{ff11} 1111 1111 1111",
        ] {
            assert!(contains_pan_like(text), "{text}");
        }
    }

    #[test]
    fn refused_values_that_may_hold_a_card_number_are_not_shown_back() {
        assert_eq!(echo_safe("Salma Idrissi"), "Salma Idrissi");
        assert_eq!(echo_safe("12/30"), "12/30");
        assert_eq!(echo_safe("4111 1111 1111 1111"), "");
        assert_eq!(echo_safe("Salma 4111111111111112"), "");
        assert_eq!(echo_safe("4111.1111.1111.1111"), "");
    }

    #[test]
    fn phone_numbers_references_and_non_luhn_runs_are_not_card_numbers() {
        for text in [
            "",
            "Salma Idrissi",
            "+212 6 12 34 56 78",
            "06 12 34 56 78",
            "+33 1 23 45 67 89",
            "4111111111111112",
            "4111 1111 1111 1112",
            "CMD-2026-000123",
            "order 12345678901234567890123",
            "411111111111",
            "4111 1111    1111 1111",
            "4111111111111111111111",
            "4111 ½ 1111 1111 1111",
        ] {
            assert!(!contains_pan_like(text), "{text}");
        }
    }
}
