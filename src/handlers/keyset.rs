//! Keyset pagination of the newest-first lists (payment requests, emails): a page
//! is the rows older than a `before` id, and the link to the next page carries the
//! id of the last row shown.

use serde::Deserialize;

/// `?before=<id>`: where a newest-first page starts (empty for the first page).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BeforeQuery {
    before: String,
}

impl BeforeQuery {
    /// The id the page starts below, if any.
    pub fn cursor(&self) -> Option<u64> {
        self.before.trim().parse::<u64>().ok()
    }
}

/// A page of at most `size` rows out of `rows` (fetched as `size + 1` to know if
/// more follow), with the `before` cursor of the next page when there is one.
pub fn keyset_page<T>(
    mut rows: Vec<T>,
    size: usize,
    id: impl Fn(&T) -> u64,
) -> (Vec<T>, Option<u64>) {
    let older = if rows.len() > size {
        size.checked_sub(1).and_then(|i| rows.get(i)).map(&id)
    } else {
        None
    };
    rows.truncate(size);
    (rows, older)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_says_where_the_next_one_starts_only_when_more_rows_follow() {
        assert_eq!(keyset_page(vec![9, 8, 7], 2, |r| *r), (vec![9, 8], Some(8)));
        assert_eq!(keyset_page(vec![9, 8], 2, |r| *r), (vec![9, 8], None));
        assert_eq!(keyset_page(Vec::<u64>::new(), 2, |r| *r), (vec![], None));
    }
}
