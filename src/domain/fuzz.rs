//! Property tests ("fuzzing") of every parser that reads what people type or send:
//! card number, expiry, security code, amounts, filter dates and the whole transaction
//! filter, the free-text checks and the log escaping. Each property is fed arbitrary
//! Unicode and structured near-valid input; none may panic, and what parses must
//! re-format and parse back to the same value.
//!
//! `cargo test` runs each property with proptest's default case count; `make fuzz` runs
//! them with `PROPTEST_CASES=1000000` in release mode. Names start with `fuzz_` so that
//! target selects them.

use proptest::prelude::*;
use time::Date;

use super::Lang;
use super::card::{Brand, CardError, Expiry, Pan, check_cvv, contains_pan_like, luhn_valid};
use super::card_form::CardForm;
use super::filter::{RawFilter, parse};
use super::money::{
    Amount, Currency, MAX_MINOR, MAX_TOTAL, Overflow, checked_sum, format_amount, format_number,
    parse_amount, parse_positive_amount, percent_tenths,
};
use super::payment::RequestForm;
use super::text::{free_text_error, has_visible, is_invisible, log_safe, log_safe_path};
use super::user::MerchantInput;

/// Any characters at all, controls and invisible ones included.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Any currency of the ISO table.
fn any_currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(Currency::ALL.to_vec())
}

/// Characters that broke parsers before, or that parsers must treat with care.
static TRICKY: [&str; 14] = [
    "é", "€", "😀", "+", "/", ".", ",", "٣", "\u{202e}", "\u{200b}", "\0", "\n", "T", ":",
];

/// Text made of `alphabet` pieces and tricky characters.
fn near(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(alphabet),
        1 => prop::sample::select(&TRICKY[..]),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

static DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
static CARD_ALPHABET: [&str; 13] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "-", "\u{a0}",
];
static AMOUNT_ALPHABET: [&str; 20] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", ",", ".", "'", "-", "\u{660}",
    "\u{669}", "\u{66b}", "\u{66c}", "e",
];
static IDS_ALPHABET: [&str; 13] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ",", " ", "-",
];
static EXPIRY_ALPHABET: [&str; 13] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "/", "-", " ",
];

/// Arbitrary text or text close to what the parser expects.
fn input(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop_oneof![1 => any_text(max), 3 => near(alphabet, max)]
}

/// A Luhn-valid number of 13 to 19 digits.
fn luhn_number() -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, 12..=18).prop_map(|mut digits| {
        // The check digit that makes the whole number pass.
        for check in 0..10u8 {
            digits.push(check);
            let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            if luhn_valid(&s) {
                return s;
            }
            digits.pop();
        }
        String::new()
    })
}

/// Dates around the edges time can hold, with out-of-range months, days and minutes.
fn date_like() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        1 => -10_000i32..=10_000,
        1 => 9_990i32..=9_999,
        1 => 1_990i32..=2_030,
    ];
    let time = prop::option::of((0u8..=25, 0u8..=61));
    (year, 0u8..=13, 0u8..=32, time).prop_map(|(y, m, d, t)| {
        let date = format!("{y:04}-{m:02}-{d:02}");
        match t {
            Some((h, min)) => format!("{date}T{h:02}:{min:02}"),
            None => date,
        }
    })
}

/// Any date time can represent (the clock's "today").
fn any_date() -> impl Strategy<Value = Date> {
    (Date::MIN.to_julian_day()..=Date::MAX.to_julian_day())
        .prop_map(|j| Date::from_julian_day(j).unwrap_or(Date::MIN))
}

/// A zone among those with unusual days: UTC, Casablanca (Ramadan), half and quarter
/// hours, a skipped midnight (São Paulo), half-hour DST (Lord Howe), ±14/−11 hours.
fn any_zone() -> impl Strategy<Value = super::zone::Zone> {
    prop::sample::select(vec![
        "UTC",
        "Africa/Casablanca",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ])
    .prop_map(|n| super::zone::Zone::parse(n).unwrap_or_else(|_| super::zone::Zone::utc()))
}

/// One filter value: empty, arbitrary, or shaped like what the field expects.
fn filter_value(valid: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![2 => Just(String::new()), 1 => any_text(24), 3 => valid].boxed()
}

fn number_like() -> BoxedStrategy<String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..200).prop_map(|n| n.to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        near(&DIGITS, 24),
    ]
    .boxed()
}

fn choice(words: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(words).prop_map(String::from).boxed()
}

fn raw_filter() -> impl Strategy<Value = RawFilter> {
    let dates = (
        filter_value(date_like().boxed()),
        filter_value(date_like().boxed()),
        filter_value(choice(&["all", "ALL", "x"])),
    );
    let ids = (
        filter_value(number_like()),
        filter_value(number_like()),
        filter_value(near(&DIGITS, 10).boxed()),
        filter_value(number_like()),
        filter_value(number_like()),
        filter_value(choice(&["10", "20", "40", "60", "100", "7", "0"])),
    );
    let choices = (
        filter_value(choice(&[
            "sale",
            "refund",
            "authorization",
            "steal",
            "SALE",
        ])),
        filter_value(choice(&["accepted", "refused", "other"])),
        filter_value(choice(&["000", "051", "123", "abc"])),
        filter_value(choice(&["visa", "VISA", "amex", "bogus"])),
    );
    let amounts = (
        filter_value(input(&AMOUNT_ALPHABET, 16).boxed()),
        filter_value(input(&AMOUNT_ALPHABET, 16).boxed()),
        filter_value(input(&AMOUNT_ALPHABET, 16).boxed()),
        filter_value(near(&DIGITS, 8).boxed()),
        filter_value(near(&DIGITS, 6).boxed()),
    );
    let texts = (
        filter_value(any_text(20).boxed()),
        filter_value(any_text(20).boxed()),
        filter_value(any_text(20).boxed()),
        filter_value(any_text(20).boxed()),
        filter_value(choice(&["1", "on", "0", "yes"])),
        filter_value(choice(&["1", "true", "off", "maybe"])),
        filter_value(prop_oneof![near(&IDS_ALPHABET, 40).boxed(), number_like()].boxed()),
    );
    (dates, ids, choices, amounts, texts).prop_map(
        |(
            (from, to, period),
            (merchant, terminal, account, reference, page, per_page),
            (operation, status, code, brand),
            (amount, amount_min, amount_max, bin, last4),
            (holder, email, buyer, order, three_ds, attempts, ids),
        )| RawFilter {
            from,
            to,
            period,
            merchant,
            terminal,
            account,
            operation,
            status,
            code,
            amount,
            amount_min,
            amount_max,
            brand,
            bin,
            last4,
            holder,
            email,
            buyer,
            order,
            reference,
            three_ds,
            attempts,
            ids,
            page,
            per_page,
        },
    )
}

proptest! {
    #[test]
    fn fuzz_card_number_parsing_never_panics_and_keeps_only_valid_numbers(
        s in input(&CARD_ALPHABET, 40),
    ) {
        match Pan::parse(&s) {
            Ok(pan) => {
                let digits = pan.expose_digits();
                prop_assert!((12..=19).contains(&digits.len()));
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(luhn_valid(digits));
                prop_assert_eq!(pan.masked().len(), digits.len());
                prop_assert!(pan.masked().ends_with(pan.last4()));
                prop_assert_eq!(Pan::parse(digits), Ok(pan.clone()));
            }
            Err(e) => {
                prop_assert!(!e.message(Lang::Fr).is_empty());
                prop_assert!(!e.message(Lang::En).is_empty());
            }
        }
        let _ = Pan::parse_unchecked(&s);
    }

    #[test]
    fn fuzz_expiry_parsing_never_panics_and_round_trips(s in input(&EXPIRY_ALPHABET, 10)) {
        match Expiry::parse(&s) {
            Ok(e) => {
                prop_assert!((1..=12).contains(&e.month));
                prop_assert_eq!(Expiry::parse(&e.display()), Ok(e));
                prop_assert_eq!(Expiry::parse(&format!("{:02}/{}", e.month, e.year)), Ok(e));
            }
            Err(e) => prop_assert!(matches!(e, CardError::BadExpiry(_))),
        }
    }

    #[test]
    fn fuzz_security_code_check_never_panics_and_accepts_only_digits(
        s in input(&DIGITS, 8),
        brand in prop::sample::select(Brand::ALL.to_vec()),
    ) {
        if check_cvv(&s, brand).is_ok() {
            let code = s.trim();
            prop_assert_eq!(code.len(), brand.cvv_len());
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn fuzz_the_card_form_never_panics(
        holder in any_text(30),
        number in input(&CARD_ALPHABET, 30),
        expiry in input(&EXPIRY_ALPHABET, 10),
        cvv in input(&DIGITS, 6),
        today in any_date(),
    ) {
        let form = CardForm { holder, number, expiry, cvv, ..CardForm::default() };
        if let Ok(card) = form.parse(today) {
            prop_assert!(!card.expiry.is_expired(today));
            prop_assert!(!contains_pan_like(&card.holder));
        }
    }

    #[test]
    fn fuzz_amount_parsing_never_panics_and_round_trips(
        s in input(&AMOUNT_ALPHABET, 24),
        currency in any_currency(),
    ) {
        for lang in Lang::ALL {
            let _ = parse_positive_amount(&s, currency, lang);
            match parse_amount(&s, currency, lang) {
                Ok(a) => {
                    prop_assert!((0..=MAX_MINOR).contains(&a.minor()));
                    for shown_in in Lang::ALL {
                        let shown = format_number(a, currency, shown_in);
                        prop_assert_eq!(parse_amount(&shown, currency, shown_in), Ok(a));
                    }
                }
                Err(e) => {
                    prop_assert!(!e.message(Lang::Fr).is_empty());
                    prop_assert!(!e.message(Lang::En).is_empty());
                }
            }
        }
    }

    #[test]
    fn fuzz_every_amount_of_every_currency_formats_and_parses_back_in_both_languages(
        minor in prop_oneof![0..=MAX_MINOR, 0..100_000i64],
        currency in any_currency(),
    ) {
        let a = Amount::from_minor(minor).unwrap_or_default();
        for lang in Lang::ALL {
            let number = format_number(a, currency, lang);
            prop_assert_eq!(parse_amount(&number, currency, lang), Ok(a), "{}", number);
            let shown = format_amount(a, currency, lang);
            prop_assert!(shown.ends_with(currency.code()));
            // Exactly the currency's decimals are shown.
            let decimals = number.rsplit_once(lang.pick(",", ".")).map_or(0, |(_, f)| f.len());
            prop_assert_eq!(decimals, currency.exponent() as usize);
        }
        // The machine format (exports) is the same number.
        let machine = a.to_decimal_string(currency);
        prop_assert_eq!(
            parse_amount(&machine, currency, Lang::En),
            Ok(a)
        );
    }

    #[test]
    fn fuzz_sums_of_many_amounts_are_exact_or_a_clear_overflow(
        amounts in prop::collection::vec(
            prop_oneof![
                (-MAX_MINOR..=MAX_MINOR).prop_map(i128::from),
                Just(MAX_TOTAL),
                Just(-MAX_TOTAL),
                (MAX_TOTAL / 3..=MAX_TOTAL),
            ],
            0..200,
        ),
    ) {
        // The oracle: the exact sum in a wider type (the parts fit in 2^97 each,
        // 200 of them in 2^105: no i128 overflow).
        let exact: i128 = amounts.iter().sum();
        let mut prefix_over = false;
        let mut running: i128 = 0;
        for a in &amounts {
            running += a;
            prefix_over |= running.unsigned_abs() > MAX_TOTAL.unsigned_abs();
        }
        match checked_sum(amounts.iter().copied()) {
            Ok(total) => {
                prop_assert!(!prefix_over);
                prop_assert_eq!(total, exact);
            }
            Err(e) => {
                prop_assert!(prefix_over);
                prop_assert_eq!(e, Overflow);
                prop_assert!(!e.message(Lang::Fr).is_empty());
            }
        }
    }

    #[test]
    fn fuzz_rates_are_the_exact_ratio_rounded_half_up_to_a_tenth_of_a_percent(
        whole in prop_oneof![1..=u64::MAX, 1..10_000u64],
        part_seed in any::<u64>(),
    ) {
        let part = part_seed % (whole.saturating_add(1)).max(1);
        // Exact: round(1000 · part / whole), halves up, in integers.
        let (p, w) = (u128::from(part), u128::from(whole));
        let oracle = (2000 * p + w) / (2 * w);
        prop_assert_eq!(percent_tenths(part.into(), whole.into()), Some(oracle as i64));
        prop_assert_eq!(
            super::figures::per_mille(part, whole),
            Some(u32::try_from(oracle).unwrap_or(u32::MAX))
        );
    }

    #[test]
    fn fuzz_filter_dates_never_panic(
        from in prop_oneof![date_like(), any_text(20)],
        to in prop_oneof![date_like(), any_text(20)],
        today in any_date(),
        zone in any_zone(),
    ) {
        let raw = RawFilter { from, to, ..RawFilter::default() };
        match parse(&raw, today, &zone) {
            Ok((f, _)) => prop_assert!(f.from < f.to),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn fuzz_the_filter_query_never_panics_and_survives_its_own_links(
        raw in raw_filter(),
        today in any_date(),
        zone in any_zone(),
    ) {
        if let Ok((filter, page)) = parse(&raw, today, &zone) {
            prop_assert!(filter.from < filter.to);
            let _ = page.offset();
            // The pager links rebuild the query: the same search must come back.
            let query = raw.to_query(page.page, page.per_page);
            let again: RawFilter = serde_urlencoded::from_str(&query)
                .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
            prop_assert_eq!(parse(&again, today, &zone), Ok((filter, page)));
        }
    }

    #[test]
    fn fuzz_any_query_string_is_parsed_or_refused_without_panicking(
        query in prop_oneof![
            any_text(60),
            near(&["from=", "to=", "page=", "per_page=", "amount=", "&", "=", "%", "9", "-", "T"], 30),
        ],
        today in any_date(),
        zone in any_zone(),
    ) {
        if let Ok(raw) = serde_urlencoded::from_str::<RawFilter>(&query) {
            let _ = parse(&raw, today, &zone);
        }
    }

    #[test]
    fn fuzz_a_card_number_is_found_however_it_is_grouped(
        number in luhn_number(),
        cuts in prop::collection::vec(1usize..6, 0..8),
        separators in prop::collection::vec(
            prop::sample::select(vec![" ", "-", "\u{a0}", "  ", " -"]), 8),
        before in near(&["a", "Z", "é", " ", ":", ",", "n°"], 8),
        after in near(&["a", "Z", "é", " ", ":", ",", "/"], 8),
    ) {
        let mut grouped = String::new();
        let mut rest = number.as_str();
        for (cut, sep) in cuts.iter().zip(&separators) {
            if *cut >= rest.len() {
                break;
            }
            let (head, tail) = rest.split_at(*cut);
            grouped.push_str(head);
            grouped.push_str(sep);
            rest = tail;
        }
        grouped.push_str(rest);
        // The text around holds no ASCII digit: a digit glued to the number would make
        // another number.
        let text = format!("{before} {grouped} {after}");
        prop_assert!(contains_pan_like(&text), "{:?}", text);
    }

    #[test]
    fn fuzz_the_card_number_detector_never_panics(s in input(&CARD_ALPHABET, 60)) {
        let found = contains_pan_like(&s);
        if !s.bytes().any(|b| b.is_ascii_digit()) {
            prop_assert!(!found);
        }
    }

    #[test]
    fn fuzz_log_lines_hold_no_control_or_invisible_character(s in any_text(100)) {
        for safe in [log_safe(&s), log_safe_path(&s)] {
            prop_assert!(!safe.chars().any(|c| c.is_control() || is_invisible(c)), "{:?}", safe);
        }
        let safe = log_safe(&s);
        let plain = s.chars().all(|c| !c.is_control() && !is_invisible(c) && c != '\\');
        if plain && s.chars().count() <= 64 {
            prop_assert_eq!(safe, s);
        } else if s.chars().count() > 64 {
            prop_assert!(safe.ends_with('…'));
        }
    }

    #[test]
    fn fuzz_free_text_forms_never_panic(
        a in any_text(30),
        b in input(&CARD_ALPHABET, 30),
        c in any_text(30),
        today in any_date(),
    ) {
        if free_text_error("f", &a, false).is_none() && !a.is_empty() {
            prop_assert!(has_visible(&a));
            prop_assert!(!a.chars().any(char::is_control));
        }
        let form = RequestForm {
            order_id: a.clone(),
            amount: b.clone(),
            description: c.clone(),
            name: a.clone(),
            email: c.clone(),
            phone: b.clone(),
            birth_date: c.clone(),
            validity_days: b.clone(),
            currency: "MAD".into(),
            country: a.clone(),
            ..RequestForm::default()
        };
        if let Ok(input) = form.parse(today, Lang::Fr) {
            prop_assert!(!contains_pan_like(&input.order_id));
            prop_assert!(!contains_pan_like(&input.description));
        }
        if let Ok(m) = MerchantInput::parse(&a, &b, &c, &c, &b) {
            prop_assert!(!m.name.contains('\n'));
            prop_assert!(!contains_pan_like(&m.name));
        }
    }
}
