//! One page of a transaction search, as the result table shows it, and the totals of
//! every row the search matches (not only the page).

use super::card_text::echo_safe;
use super::lang::Lang;
use super::money::{Currency, format_count, format_minor};
use crate::domain::transaction::Transaction;

/// One page of a search with the exact number of matches and their totals.
pub struct SearchPage {
    pub total: u64,
    pub rows: Vec<Transaction>,
    pub totals: Totals,
    /// The follow-up rows (refunds, captures, cancellations) of the page's rows, for
    /// their flags (see [`super::list_row::followup`]).
    pub children: Vec<Transaction>,
}

/// The totals line of a search. `count` is every matching row; `accepted` those with
/// code 000; `attempts` the payment attempts among them (sales, authorizations and
/// rebills, not abandoned: see [`super::filter::is_attempt`]) and `attempts_accepted`
/// the accepted ones, whose ratio is the acceptance rate, the same as Home's and
/// Statistics'; `net` per currency is the accepted money-moving rows, sales, captures and
/// rebills added, refunds taken off (see [`super::list_row::net_sign`]), in minor units.
/// Authorizations, cancellations, 3-D Secure checks and refusals move no money: they
/// are counted, never summed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: u64,
    pub accepted: u64,
    pub attempts: u64,
    pub attempts_accepted: u64,
    /// One entry per currency seen among the matching rows, in `Currency::ALL` order.
    pub net: Vec<(Currency, i128)>,
    /// The amounts of the accepted matching rows, unsigned, whatever their operation
    /// (what authorizations hold, say); same currencies and order as `net`.
    pub gross: Vec<(Currency, i128)>,
}

impl Totals {
    /// "87,5 %" / "87.5%": accepted payment attempts over payment attempts, to a tenth,
    /// rounded half up; `None` without any attempt.
    pub fn acceptance_rate(&self, lang: Lang) -> Option<String> {
        super::figures::per_mille(self.attempts_accepted, self.attempts)
            .map(|p| super::figures::per_mille_text(p, lang))
    }

    /// "transaction" or "transactions" after the count (French keeps 0 and 1 singular).
    pub fn noun(&self, lang: Lang) -> &'static str {
        let singular = match lang {
            Lang::Fr => self.count <= 1,
            Lang::En => self.count == 1,
        };
        if singular {
            "transaction"
        } else {
            "transactions"
        }
    }

    /// The count grouped for reading.
    pub fn count_text(&self, lang: Lang) -> String {
        format_count(self.count, lang)
    }
}

/// A signed total for reading: "−1 250,50 MAD" / "1,250.50 MAD", "12,345 TND". Totals
/// may pass the largest single amount, hence `i128`; past [`super::money::MAX_TOTAL`]
/// it says so (an overflow), never a wrong number.
pub fn format_total(minor: i128, currency: Currency, lang: Lang) -> String {
    format!(
        "{} {}",
        format_minor(minor, currency, lang),
        currency.code()
    )
}

/// What the top bar's search box looks for once the term is not a visible transaction
/// id: a list filter (name, value), or nothing for an empty term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Nothing,
    Last4(String),
    Email(String),
    Order(String),
}

impl Lookup {
    /// The list filter this lookup is: its query name and value.
    pub fn pair(&self) -> Option<(&'static str, &str)> {
        match self {
            Lookup::Nothing => None,
            Lookup::Last4(v) => Some(("last4", v)),
            Lookup::Email(v) => Some(("email", v)),
            Lookup::Order(v) => Some(("order", v)),
        }
    }
}

/// A term typed in the top bar's search box: the transaction id it may be, and what to
/// look for otherwise. Four digits are a card's last four, a term with `@` an email,
/// anything else an order id. A whole card number is never echoed anywhere: it is
/// searched by its last four digits only.
pub fn interpret(term: &str) -> (Option<u64>, Lookup) {
    let t = term.trim();
    if t.is_empty() {
        return (None, Lookup::Nothing);
    }
    if echo_safe(t).is_empty() {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let last4 = digits[digits.len().saturating_sub(4)..].to_string();
        return (None, Lookup::Last4(last4));
    }
    let all_digits = t.chars().all(|c| c.is_ascii_digit());
    let id = all_digits.then(|| t.parse::<u64>().ok()).flatten();
    let lookup = if all_digits && t.len() == 4 {
        Lookup::Last4(t.to_string())
    } else if t.contains('@') {
        Lookup::Email(t.to_string())
    } else {
        Lookup::Order(t.to_string())
    };
    (id, lookup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_term_is_an_id_then_last_four_email_or_order() {
        assert_eq!(interpret("  "), (None, Lookup::Nothing));
        assert_eq!(
            interpret("4444"),
            (Some(4444), Lookup::Last4("4444".into()))
        );
        assert_eq!(
            interpret("2968 "),
            (Some(2968), Lookup::Last4("2968".into()))
        );
        assert_eq!(
            interpret("123456"),
            (Some(123_456), Lookup::Order("123456".into()))
        );
        assert_eq!(
            interpret("zoe@ex.ma"),
            (None, Lookup::Email("zoe@ex.ma".into()))
        );
        assert_eq!(
            interpret("RES-2026-00033"),
            (None, Lookup::Order("RES-2026-00033".into()))
        );
    }

    #[test]
    fn a_whole_card_number_is_searched_by_its_last_four_only() {
        for pan in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
        ] {
            let (id, lookup) = interpret(pan);
            assert_eq!(id, None, "{pan}");
            let want = &pan[pan.len() - 4..];
            assert_eq!(lookup, Lookup::Last4(want.into()), "{pan}");
        }
    }

    #[test]
    fn the_acceptance_rate_is_a_tenth_of_a_percent_rounded_half_up() {
        let t = Totals {
            count: 9,
            accepted: 7,
            attempts: 8,
            attempts_accepted: 7,
            net: Vec::new(),
            gross: Vec::new(),
        };
        assert_eq!(t.acceptance_rate(Lang::Fr).unwrap(), "87,5\u{a0}%");
        assert_eq!(t.acceptance_rate(Lang::En).unwrap(), "87.5%");
        let third = Totals {
            count: 3,
            accepted: 2,
            attempts: 3,
            attempts_accepted: 2,
            net: Vec::new(),
            gross: Vec::new(),
        };
        assert_eq!(third.acceptance_rate(Lang::En).unwrap(), "66.7%");
        assert_eq!(Totals::default().acceptance_rate(Lang::Fr), None);
        assert_eq!(Totals::default().noun(Lang::Fr), "transaction");
        assert_eq!(Totals::default().noun(Lang::En), "transactions");
        assert_eq!(third.noun(Lang::En), "transactions");
        let one = Totals {
            count: 1,
            ..Totals::default()
        };
        assert_eq!(one.noun(Lang::En), "transaction");
    }

    #[test]
    fn a_total_is_grouped_and_signed_beyond_the_largest_single_amount() {
        assert_eq!(
            format_total(-125_050, Currency::Mad, Lang::Fr),
            "\u{2212}1 250,50 MAD"
        );
        assert_eq!(format_total(5, Currency::Eur, Lang::En), "0.05 EUR");
        assert_eq!(
            format_total(123_456_789_012_345, Currency::Usd, Lang::En),
            "1,234,567,890,123.45 USD"
        );
        assert_eq!(
            format_total(-5, Currency::Tnd, Lang::Fr),
            "\u{2212}0,005 TND"
        );
        assert_eq!(format_total(1_500, Currency::Jpy, Lang::En), "1,500 JPY");
    }
}
