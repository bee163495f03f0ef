//! Card-number scanners for the leak tests: Luhn-valid numbers in text, numbers
//! as people type them, and byte searches.

pub(crate) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Every 13–19 digit Luhn-valid number in `text`: digit runs (optionally grouped by
/// single spaces or dashes) not glued to letters, as a card number would be printed.
pub(crate) fn full_card_numbers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::new();
        let mut end = i;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                digits.push(b[i] - b'0');
                end = i + 1;
                i += 1;
            } else if (b[i] == b' ' || b[i] == b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        let glued = b.get(end).is_some_and(u8::is_ascii_alphabetic);
        if !glued && (13..=19).contains(&digits.len()) && luhn(&digits) {
            found.push(text[start..end].to_string());
        }
        i = end.max(start + 1);
    }
    found
}

#[test]
pub(crate) fn the_card_number_scanner_finds_what_it_should() {
    assert_eq!(
        full_card_numbers("<dd>4111111111111111</dd>"),
        ["4111111111111111"]
    );
    assert_eq!(
        full_card_numbers("carte 4111 1111 1111 1111."),
        ["4111 1111 1111 1111"]
    );
    assert_eq!(full_card_numbers("(378282246310005)"), ["378282246310005"]);
    assert!(full_card_numbers("411111XXXXXX1111 4111111111111112").is_empty());
    assert!(full_card_numbers("tok-a4111111111111111b 30.05.2026 14:04:07").is_empty());
}

pub(crate) fn grouped(number: &str) -> String {
    number
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Occurrences of `needle` not glued to other digits.
/// `needle` as a word of its own: not inside a longer number, nor inside a hex
/// string (the log holds hashes and reference ids).
pub(crate) fn standalone(haystack: &[u8], needle: &[u8]) -> bool {
    // Part of a longer word or number: a letter or digit beside it, or a decimal
    // point with a digit beyond (a duration `1.847` ms is not a security code).
    let joined = |at: Option<&u8>, beyond: Option<&u8>| {
        at.is_some_and(|b| {
            b.is_ascii_alphanumeric()
                || (matches!(b, b'.' | b',') && beyond.is_some_and(u8::is_ascii_digit))
        })
    };
    haystack.windows(needle.len()).enumerate().any(|(i, w)| {
        let end = i + needle.len();
        w == needle
            && !joined(
                i.checked_sub(1).and_then(|j| haystack.get(j)),
                i.checked_sub(2).and_then(|j| haystack.get(j)),
            )
            && !joined(haystack.get(end), haystack.get(end + 1))
    })
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
