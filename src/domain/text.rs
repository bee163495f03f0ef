//! Folding text for case- and accent-insensitive search: `Fès` and `FES` both fold to `fes`.

/// Lowercase ASCII transliteration with runs of whitespace collapsed.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s.trim());
    ascii
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_accents_do_not_matter() {
        assert_eq!(fold("Fès"), "fes");
        assert_eq!(fold("MOHAMED"), fold("mohamed"));
        assert_eq!(fold("  Omar   Benani "), "omar benani");
        assert_eq!(fold("Éloïse"), "eloise");
    }
}
