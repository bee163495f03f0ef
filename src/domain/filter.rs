//! The transaction search (PROC-2, PROC-3): query-string values parsed into a filter,
//! with a clear message for each malformed value.

use serde::Deserialize;
use time::macros::format_description;
use time::{Date, Duration, PrimitiveDateTime};

use super::card::Brand;
use super::codes::ResultCode;
use rust_decimal::Decimal;

use super::Lang;
use super::money::{Currency, DecimalError, MAX_MINOR, parse_decimal};
use super::text::fold;
use super::transaction::{Operation, Status};
use super::user::FieldError;
use super::zone::Zone;

/// The page sizes offered (PROC-3).
pub const PAGE_SIZES: [u32; 5] = [10, 20, 40, 60, 100];

/// The query string as received: every value optional text.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RawFilter {
    pub from: String,
    pub to: String,
    /// "all": no start date (every transaction up to the end), as the global search asks.
    pub period: String,
    pub merchant: String,
    pub terminal: String,
    pub account: String,
    pub operation: String,
    pub status: String,
    pub code: String,
    pub amount: String,
    pub amount_min: String,
    pub amount_max: String,
    pub brand: String,
    pub bin: String,
    pub last4: String,
    pub holder: String,
    pub email: String,
    pub buyer: String,
    pub order: String,
    #[serde(rename = "ref")]
    pub reference: String,
    /// "1" shows the 3-D Secure verification rows (hidden otherwise).
    pub three_ds: String,
    /// "1" keeps only the payment attempts (see [`Filter::attempts`]).
    pub attempts: String,
    /// A selection of transactions: ids separated by commas (see [`Filter::ids`]).
    pub ids: String,
    pub page: String,
    pub per_page: String,
}

impl RawFilter {
    /// The query string for these values with another page (and page size), for links.
    pub fn to_query(&self, page: u64, per_page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let fields = [
            ("from", &self.from),
            ("to", &self.to),
            ("period", &self.period),
            ("merchant", &self.merchant),
            ("terminal", &self.terminal),
            ("account", &self.account),
            ("operation", &self.operation),
            ("status", &self.status),
            ("code", &self.code),
            ("amount", &self.amount),
            ("amount_min", &self.amount_min),
            ("amount_max", &self.amount_max),
            ("brand", &self.brand),
            ("bin", &self.bin),
            ("last4", &self.last4),
            ("holder", &self.holder),
            ("email", &self.email),
            ("buyer", &self.buyer),
            ("order", &self.order),
            ("ref", &self.reference),
            ("three_ds", &self.three_ds),
            ("attempts", &self.attempts),
            ("ids", &self.ids),
        ];
        for (k, v) in fields {
            if !v.trim().is_empty() {
                pairs.push((k, v.trim().to_string()));
            }
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        if per_page != PAGE_SIZES[0] {
            pairs.push(("per_page", per_page.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// A validated search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Unix seconds, inclusive.
    pub from: i64,
    /// Unix seconds, exclusive.
    pub to: i64,
    pub merchant: Option<u64>,
    pub terminal: Option<u32>,
    pub account: Option<String>,
    pub operation: Option<Operation>,
    pub status: Option<Status>,
    pub code: Option<ResultCode>,
    /// In major units, compared with each row in its currency's minor units (see
    /// [`Filter::minor_bounds`]).
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub brand: Option<Brand>,
    pub bin: Option<String>,
    pub last4: Option<String>,
    /// Folded (lowercase, no accents) prefixes.
    pub holder: Option<String>,
    pub email: Option<String>,
    pub buyer: Option<String>,
    pub order: Option<String>,
    pub reference: Option<u64>,
    /// Whether 3-D Secure verification rows are shown (and counted): hidden unless the
    /// toggle is on or the operation filter asks for them.
    pub show_3ds: bool,
    /// Only the payment attempts: sales, authorizations and rebills whose code is not
    /// 098 (abandoned). The denominator of the acceptance rate: 3-D Secure checks,
    /// follow-up operations and abandoned payment pages are not attempts.
    pub attempts: bool,
    /// Only these transactions (ids sorted, no duplicates): a selection linked from
    /// another screen, such as the payments a fraud backtest would have refused.
    pub ids: Option<Vec<u64>>,
}

impl Filter {
    /// Every transaction dated in `[from, to)`, no other condition (3-D Secure
    /// checks hidden, as in the list).
    pub fn period(from: i64, to: i64) -> Filter {
        Filter {
            from,
            to,
            merchant: None,
            terminal: None,
            account: None,
            operation: None,
            status: None,
            code: None,
            amount_min: None,
            amount_max: None,
            brand: None,
            bin: None,
            last4: None,
            holder: None,
            email: None,
            buyer: None,
            order: None,
            reference: None,
            show_3ds: false,
            attempts: false,
            ids: None,
        }
    }
}

/// The most transaction ids a selection (`ids=`) may hold.
pub const MAX_IDS: usize = 500;

/// The operations a payment attempt may be (see [`Filter::attempts`]).
pub const ATTEMPT_OPERATIONS: [Operation; 3] =
    [Operation::Sale, Operation::Authorization, Operation::Rebill];

/// Whether a row is a payment attempt (see [`Filter::attempts`]).
pub fn is_attempt(op: Operation, code: ResultCode) -> bool {
    ATTEMPT_OPERATIONS.contains(&op) && code != ResultCode::ABANDONED
}

/// Which page of the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u32,
}

impl PageRequest {
    pub fn offset(self) -> u64 {
        self.page
            .saturating_sub(1)
            .saturating_mul(u64::from(self.per_page))
    }
}

fn err(field: &'static str, fr: String, en: String) -> FieldError {
    FieldError::new(field, fr, en)
}

/// Why a `from` / `to` value is not an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InstantError {
    Format,
    /// A real date whose end (the next day or minute) is past what dates can hold.
    OutOfRange,
}

/// Parses a whole day (`YYYY-MM-DD` or `DD/MM/YYYY`) or one minute
/// (`YYYY-MM-DDTHH:MM` or `DD/MM/YYYY HH:MM`), local to `zone`. Returns (start, end
/// exclusive) in unix seconds: a day is the zone's day (23 or 25 hours long on the
/// days its clocks change), a minute the minute the wall clock showed (see
/// [`Zone::instant`] for the times a change skips or repeats).
fn parse_instant(s: &str, zone: &Zone) -> Result<(i64, i64), InstantError> {
    let s = s.trim();
    let days = [
        format_description!("[year]-[month]-[day]"),
        format_description!("[day]/[month]/[year]"),
    ];
    let minutes = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        format_description!("[day]/[month]/[year] [hour]:[minute]"),
    ];
    if let Some(d) = days.iter().find_map(|f| Date::parse(s, f).ok()) {
        // `None` past the last day time can represent (9999-12-30 in every zone).
        let start = zone.day_start(d).ok_or(InstantError::OutOfRange)?;
        let end = zone.day_end(d).ok_or(InstantError::OutOfRange)?;
        return Ok((start, end));
    }
    let t = minutes
        .iter()
        .find_map(|f| PrimitiveDateTime::parse(s, f).ok())
        .ok_or(InstantError::Format)?;
    let next = t
        .checked_add(Duration::minutes(1))
        .ok_or(InstantError::OutOfRange)?;
    let start = zone.instant(t).ok_or(InstantError::OutOfRange)?;
    let end = zone.instant(next).ok_or(InstantError::OutOfRange)?;
    // A minute that spans a jump forward still ends after it starts.
    Ok((start, end.max(start.saturating_add(60))))
}

fn opt(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// A selection of transaction ids (`12,34,56`; spaces also separate them), sorted
/// and without duplicates; `None` when empty. At most [`MAX_IDS`].
fn parse_ids(v: &str) -> Result<Option<Vec<u64>>, FieldError> {
    let mut ids = Vec::new();
    for piece in v.split(|c: char| c == ',' || c.is_whitespace()) {
        if piece.is_empty() {
            continue;
        }
        match piece.parse::<u64>() {
            Ok(id) if id >= 1 => ids.push(id),
            _ => {
                let shown: String = piece.chars().take(40).collect();
                return Err(err(
                    "ids",
                    format!(
                        "« {shown} » : numéro de transaction attendu (nombres entiers séparés par des virgules)."
                    ),
                    format!(
                        "\"{shown}\": a transaction number is expected (whole numbers separated by commas)."
                    ),
                ));
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_IDS {
        let n = ids.len();
        return Err(err(
            "ids",
            format!("{n} transactions sélectionnées : {MAX_IDS} au plus."),
            format!("{n} transactions selected: {MAX_IDS} at most."),
        ));
    }
    Ok((!ids.is_empty()).then_some(ids))
}

/// The most decimals an amount filter may have: those of the currency with the most.
const FILTER_DECIMALS: u32 = 4;

/// An amount typed in the list filter, in major units of whatever currency a row is
/// in: every currency's decimals are allowed, and since the filter's links are the
/// same in both languages a lone separator before three digits stays ambiguous
/// (`12,345`: write `12,3450` or `12345`). Errors in (French, English).
fn filter_amount(v: &str) -> Result<Decimal, (String, String)> {
    let both = |e: super::money::AmountError| (e.message(Lang::Fr), e.message(Lang::En));
    match parse_decimal(v, FILTER_DECIMALS, None) {
        Ok(d) if d > Decimal::from(MAX_MINOR) => Err((
            format!("« {v} » : le montant dépasse 9 999 999 999."),
            format!("\"{v}\": the amount exceeds 9,999,999,999."),
        )),
        Ok(d) => Ok(d),
        Err(DecimalError::TooManyDecimals) => Err((
            format!("« {v} » : quatre décimales au plus."),
            format!("\"{v}\": at most four decimals."),
        )),
        Err(e) => Err(both(e.with(v, Currency::Mad))),
    }
}

impl Filter {
    /// The amount bounds in minor units of `currency`: the minimum rounded up, the
    /// maximum down (a bound between two minor units keeps the rows inside it);
    /// `i64::MIN` / `i64::MAX` without one.
    pub fn minor_bounds(&self, currency: Currency) -> (i64, i64) {
        let scale = Decimal::from(currency.minor_per_unit());
        let minor = |d: Decimal, round: fn(&Decimal) -> Decimal| {
            d.checked_mul(scale)
                .and_then(|m| rust_decimal::prelude::ToPrimitive::to_i64(&round(&m)))
                .unwrap_or(i64::MAX)
        };
        (
            self.amount_min
                .map_or(i64::MIN, |d| minor(d, Decimal::ceil)),
            self.amount_max
                .map_or(i64::MAX, |d| minor(d, Decimal::floor)),
        )
    }
}

/// Parses the query, dates local to `zone`; `today` (in `zone`) is the default
/// period. All errors are collected.
pub fn parse(
    raw: &RawFilter,
    today: Date,
    zone: &Zone,
) -> Result<(Filter, PageRequest), Vec<FieldError>> {
    let mut errors = Vec::new();
    // A clock past what the zone database covers (the last days of year 9999) still
    // gets a day: a UTC one.
    let (mut from, mut to) = match (zone.day_start(today), zone.day_end(today)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            let a = today.midnight().assume_utc().unix_timestamp();
            (a, a.saturating_add(86_400))
        }
    };
    match opt(&raw.period) {
        None => {}
        // Every transaction ever recorded (ids and times start after the epoch).
        Some(v) if v.eq_ignore_ascii_case("all") => from = 0,
        Some(v) => errors.push(err(
            "period",
            format!("« {v} » : valeur inconnue (« all » pour toutes les dates)."),
            format!("\"{v}\": unknown value (\"all\" for every date)."),
        )),
    }
    for (field, value, is_start) in [("from", &raw.from, true), ("to", &raw.to, false)] {
        let Some(v) = opt(value) else { continue };
        match parse_instant(v, zone) {
            Ok((start, _)) if is_start => from = start,
            Ok((_, end)) => to = end,
            Err(InstantError::Format) => errors.push(err(
                field,
                format!("« {v} » : date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ, heure facultative (JJ/MM/AAAA HH:MM)."),
                format!("\"{v}\": date expected as DD/MM/YYYY or YYYY-MM-DD, time optional (DD/MM/YYYY HH:MM)."),
            )),
            Err(InstantError::OutOfRange) => errors.push(err(
                field,
                format!("« {v} » : date trop lointaine."),
                format!("\"{v}\": date too far in the future."),
            )),
        }
    }
    if from >= to && errors.is_empty() {
        errors.push(err(
            "from",
            "La date de début doit être antérieure à la date de fin.".into(),
            "The start date must be before the end date.".into(),
        ));
    }
    let number = |field: &'static str, v: &str, errors: &mut Vec<FieldError>| -> Option<u64> {
        let v = opt(v)?;
        v.parse::<u64>().ok().or_else(|| {
            errors.push(err(
                field,
                format!("« {v} » : un nombre entier est attendu."),
                format!("\"{v}\": a whole number is expected."),
            ));
            None
        })
    };
    let merchant = number("merchant", &raw.merchant, &mut errors);
    let terminal =
        number("terminal", &raw.terminal, &mut errors).and_then(|t| match u32::try_from(t) {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(err(
                    "terminal",
                    format!("« {t} » : numéro de terminal trop grand."),
                    format!("\"{t}\": terminal number too large."),
                ));
                None
            }
        });
    let reference = number("ref", &raw.reference, &mut errors);
    let choice = |field: &'static str, v: &str, ok: bool, errors: &mut Vec<FieldError>| {
        if !ok {
            errors.push(err(
                field,
                format!("« {v} » : valeur inconnue."),
                format!("\"{v}\": unknown value."),
            ));
        }
    };
    let operation = opt(&raw.operation).and_then(|v| {
        let o = Operation::parse(v);
        choice("operation", v, o.is_some(), &mut errors);
        o
    });
    let status = opt(&raw.status).and_then(|v| {
        let o = Status::parse(v);
        choice("status", v, o.is_some(), &mut errors);
        o
    });
    let code = opt(&raw.code).and_then(|v| {
        let o = ResultCode::parse(v);
        choice("code", v, o.is_some(), &mut errors);
        o
    });
    let brand = opt(&raw.brand).and_then(|v| {
        let o = Brand::parse(v);
        choice("brand", v, o.is_some(), &mut errors);
        o
    });
    let amount = |field: &'static str, v: &str, errors: &mut Vec<FieldError>| {
        let v = opt(v)?;
        filter_amount(v)
            .map_err(|(fr, en)| errors.push(FieldError::new(field, fr, en)))
            .ok()
    };
    let exact = amount("amount", &raw.amount, &mut errors);
    let mut amount_min = amount("amount_min", &raw.amount_min, &mut errors);
    let mut amount_max = amount("amount_max", &raw.amount_max, &mut errors);
    if let Some(exact) = exact {
        // An exact amount with a range means both: the range narrows to it.
        // (an exact amount outside the range then matches nothing).
        let range_ok =
            amount_min.is_none_or(|m| m <= exact) && amount_max.is_none_or(|m| m >= exact);
        (amount_min, amount_max) = if range_ok {
            (Some(exact), Some(exact))
        } else {
            // An empty range: nothing matches.
            (Some(Decimal::from(MAX_MINOR)), Some(Decimal::ZERO))
        };
    }
    if let (None, Some(a), Some(b)) = (exact, amount_min, amount_max)
        && a > b
    {
        errors.push(err(
            "amount_min",
            "Le montant minimum dépasse le maximum.".into(),
            "The minimum amount is above the maximum.".into(),
        ));
    }
    let digits = |field: &'static str, v: &str, len: usize, errors: &mut Vec<FieldError>| {
        let v = opt(v)?;
        if v.len() == len && v.chars().all(|c| c.is_ascii_digit()) {
            Some(v.to_string())
        } else {
            errors.push(err(
                field,
                format!("« {v} » : {len} chiffres attendus."),
                format!("\"{v}\": {len} digits expected."),
            ));
            None
        }
    };
    let mut toggle = |field: &'static str, v: &str| match opt(v) {
        None => false,
        Some("1" | "on" | "true") => true,
        Some("0" | "off" | "false") => false,
        Some(v) => {
            choice(field, v, false, &mut errors);
            false
        }
    };
    let show_3ds = toggle("three_ds", &raw.three_ds) || operation == Some(Operation::ThreeDSecure);
    let attempts = toggle("attempts", &raw.attempts);
    let ids = parse_ids(&raw.ids).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    // A selection names its rows: without dates, it is not cut to today.
    if ids.is_some()
        && [&raw.from, &raw.to, &raw.period]
            .iter()
            .all(|v| opt(v).is_none())
    {
        from = 0;
    }
    let bin = digits("bin", &raw.bin, 6, &mut errors);
    let last4 = digits("last4", &raw.last4, 4, &mut errors);
    let text = |v: &str| opt(v).map(fold).filter(|f| !f.is_empty());
    let page = match opt(&raw.page) {
        None => 1,
        Some(v) => match v.parse::<u64>() {
            Ok(p) if p >= 1 => p,
            _ => {
                errors.push(err(
                    "page",
                    format!("« {v} » : numéro de page invalide."),
                    format!("\"{v}\": invalid page number."),
                ));
                1
            }
        },
    };
    let per_page = match opt(&raw.per_page) {
        None => PAGE_SIZES[0],
        Some(v) => match v.parse::<u32>() {
            Ok(n) if PAGE_SIZES.contains(&n) => n,
            _ => {
                errors.push(err(
                    "per_page",
                    format!("« {v} » : choisissez 10, 20, 40, 60 ou 100 éléments par page."),
                    format!("\"{v}\": choose 10, 20, 40, 60 or 100 items per page."),
                ));
                PAGE_SIZES[0]
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let filter = Filter {
        from,
        to,
        merchant,
        terminal,
        account: opt(&raw.account).map(String::from),
        operation,
        status,
        code,
        amount_min,
        amount_max,
        brand,
        bin,
        last4,
        holder: text(&raw.holder),
        email: text(&raw.email),
        buyer: text(&raw.buyer),
        order: text(&raw.order),
        reference,
        show_3ds,
        attempts,
        ids,
    };
    Ok((filter, PageRequest { page, per_page }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 03 - 29);

    fn parse_instant_utc(s: &str) -> Result<(i64, i64), InstantError> {
        parse_instant(s, &Zone::utc())
    }

    fn raw(pairs: &[(&str, &str)]) -> RawFilter {
        serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
    }

    #[test]
    fn a_french_date_means_the_same_day_or_minute_as_its_iso_form() {
        assert_eq!(
            parse_instant_utc("29/05/2026"),
            parse_instant_utc("2026-05-29")
        );
        assert_eq!(
            parse_instant_utc("29/05/2026 14:30"),
            parse_instant_utc("2026-05-29T14:30")
        );
        assert!(parse_instant_utc("2026-05-29").is_ok());
        assert_eq!(parse_instant_utc("31/02/2026"), Err(InstantError::Format));
        assert_eq!(parse_instant_utc("29/05/26"), Err(InstantError::Format));
    }

    #[test]
    fn the_default_period_is_today() {
        let (f, p) = parse(&RawFilter::default(), TODAY, &Zone::utc()).unwrap();
        assert_eq!(f.to - f.from, 86_400);
        assert_eq!(
            p,
            PageRequest {
                page: 1,
                per_page: 10
            }
        );
    }

    #[test]
    fn dates_and_minutes_are_understood() {
        let (f, _) = parse(
            &raw(&[("from", "2026-03-01"), ("to", "2026-03-01T15:49")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert_eq!(f.to - f.from, 15 * 3600 + 50 * 60);
    }

    #[test]
    fn a_start_after_the_end_is_refused_with_a_clear_message() {
        let e = parse(
            &raw(&[("from", "2026-03-02"), ("to", "2026-03-01")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "from");
        assert!(e[0].en.contains("before the end"));
        let e = parse(&raw(&[("from", "31/03/2026 25:00")]), TODAY, &Zone::utc()).unwrap_err();
        assert!(e[0].fr.contains("31/03/2026 25:00"));
    }

    #[test]
    fn malformed_values_each_get_a_message() {
        let e = parse(
            &raw(&[
                ("merchant", "x"),
                ("operation", "steal"),
                ("code", "123"),
                ("amount", "1e3"),
                ("bin", "41"),
                ("last4", "abcd"),
                ("per_page", "7"),
                ("page", "0"),
            ]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "merchant",
                "operation",
                "code",
                "amount",
                "bin",
                "last4",
                "page",
                "per_page"
            ]
        );
    }

    #[test]
    fn text_filters_are_folded_and_an_exact_amount_sets_both_bounds() {
        let (f, _) = parse(
            &raw(&[
                ("holder", "  MOHAMED "),
                ("buyer", "Fès"),
                ("amount", "20,47"),
            ]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert_eq!(f.holder.as_deref(), Some("mohamed"));
        assert_eq!(f.buyer.as_deref(), Some("fes"));
        assert_eq!(f.amount_min, Some(Decimal::new(2047, 2)));
        assert_eq!(f.amount_max, Some(Decimal::new(2047, 2)));
    }

    #[test]
    fn the_last_representable_day_is_refused_with_a_message_not_a_panic() {
        for (field, value) in [
            ("to", "9999-12-31"),
            ("from", "9999-12-31"),
            ("to", "9999-12-31T23:59"),
            ("from", "9999-12-31T23:59"),
        ] {
            let e = parse(&raw(&[(field, value)]), TODAY, &Zone::utc()).unwrap_err();
            assert_eq!(e[0].field, field);
            assert!(e[0].en.contains("too far"), "{value}: {}", e[0].en);
            assert!(e[0].fr.contains(value));
        }
        // The zone database ends late on 30 December 9999 (UTC).
        let (f, _) = parse(
            &raw(&[("from", "9999-12-29"), ("to", "9999-12-30T21:58")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert!(f.to > f.from);
    }

    #[test]
    fn a_clock_at_the_last_representable_day_does_not_panic() {
        let last = Date::MAX;
        let (f, _) = parse(&RawFilter::default(), last, &Zone::utc()).unwrap();
        assert_eq!(f.to - f.from, 86_400);
    }

    #[test]
    fn huge_page_numbers_saturate_instead_of_overflowing() {
        let (_, p) = parse(
            &raw(&[("page", &u64::MAX.to_string())]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert_eq!(p.offset(), u64::MAX);
        let zero = PageRequest {
            page: 0,
            per_page: 10,
        };
        assert_eq!(zero.offset(), 0);
    }

    #[test]
    fn the_all_time_period_starts_at_the_epoch_and_ends_with_today() {
        let (f, _) = parse(&raw(&[("period", "all")]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(f.from, 0);
        assert_eq!(
            f.to,
            parse(&RawFilter::default(), TODAY, &Zone::utc())
                .unwrap()
                .0
                .to
        );
        let (f, _) = parse(
            &raw(&[("period", "all"), ("from", "2026-03-01")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert!(f.from > 0, "an explicit start wins");
        assert_eq!(
            parse(&raw(&[("period", "x")]), TODAY, &Zone::utc()).unwrap_err()[0].field,
            "period"
        );
    }

    #[test]
    fn three_d_secure_rows_are_hidden_unless_the_toggle_or_the_operation_asks() {
        assert!(
            !parse(&RawFilter::default(), TODAY, &Zone::utc())
                .unwrap()
                .0
                .show_3ds
        );
        assert!(
            parse(&raw(&[("three_ds", "1")]), TODAY, &Zone::utc())
                .unwrap()
                .0
                .show_3ds
        );
        assert!(
            !parse(&raw(&[("three_ds", "0")]), TODAY, &Zone::utc())
                .unwrap()
                .0
                .show_3ds
        );
        assert!(
            parse(&raw(&[("operation", "3ds")]), TODAY, &Zone::utc())
                .unwrap()
                .0
                .show_3ds
        );
        let e = parse(&raw(&[("three_ds", "maybe")]), TODAY, &Zone::utc()).unwrap_err();
        assert_eq!(e[0].field, "three_ds");
        assert_eq!(raw(&[("three_ds", "1")]).to_query(1, 10), "three_ds=1");
    }

    #[test]
    fn the_attempts_toggle_reads_like_the_3ds_one_and_stays_in_links() {
        let on = |v: &str| parse(&raw(&[("attempts", v)]), TODAY, &Zone::utc());
        for v in ["1", "on", "true"] {
            assert!(on(v).unwrap().0.attempts, "{v}");
        }
        for v in ["", "0", "off", "false"] {
            assert!(!on(v).unwrap().0.attempts, "{v}");
        }
        let e = on("yes").unwrap_err();
        assert_eq!(e[0].field, "attempts");
        assert!(e[0].fr.contains("yes"));
        assert_eq!(
            raw(&[("attempts", "1"), ("status", "accepted")]).to_query(1, 10),
            "status=accepted&attempts=1"
        );
    }

    #[test]
    fn a_payment_attempt_is_a_sale_authorization_or_rebill_not_abandoned() {
        let ok = ResultCode::ACCEPTED;
        let refused = ResultCode::INSUFFICIENT_FUNDS;
        for op in Operation::ALL {
            let want = matches!(
                op,
                Operation::Sale | Operation::Authorization | Operation::Rebill
            );
            assert_eq!(is_attempt(op, ok), want, "{op:?}");
            assert_eq!(is_attempt(op, refused), want, "{op:?}");
            assert!(!is_attempt(op, ResultCode::ABANDONED), "{op:?}");
        }
    }

    #[test]
    fn dates_and_minutes_are_local_to_the_zone() {
        use time::macros::datetime;
        let unix = |t: time::OffsetDateTime| t.unix_timestamp();
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let (f, _) = parse(
            &raw(&[("from", "01/06/2026"), ("to", "01/06/2026")]),
            TODAY,
            &kolkata,
        )
        .unwrap();
        assert_eq!(f.from, unix(datetime!(2026-05-31 18:30 UTC)));
        assert_eq!(f.to, unix(datetime!(2026-06-01 18:30 UTC)));
        let casa = Zone::parse("Africa/Casablanca").unwrap();
        let (f, _) = parse(
            &raw(&[("from", "01/06/2026 10:00"), ("to", "2026-06-01T10:14")]),
            TODAY,
            &casa,
        )
        .unwrap();
        assert_eq!(f.from, unix(datetime!(2026-06-01 09:00 UTC)));
        assert_eq!(f.to, unix(datetime!(2026-06-01 09:15 UTC)));
        // The day Casablanca leaves UTC+1 for Ramadan lasts 25 hours.
        let (f, _) = parse(
            &raw(&[("from", "15/02/2026"), ("to", "15/02/2026")]),
            TODAY,
            &casa,
        )
        .unwrap();
        assert_eq!(f.to - f.from, 25 * 3600);
        // The default period is the zone's today.
        let (f, _) = parse(&RawFilter::default(), date!(2026 - 06 - 02), &kolkata).unwrap();
        assert_eq!(f.from, unix(datetime!(2026-06-01 18:30 UTC)));
        assert_eq!(f.to - f.from, 86_400);
        let kathmandu = Zone::parse("Asia/Kathmandu").unwrap();
        let (f, _) = parse(
            &raw(&[("from", "2026-06-01"), ("to", "2026-06-01")]),
            TODAY,
            &kathmandu,
        )
        .unwrap();
        assert_eq!(f.from, unix(datetime!(2026-05-31 18:15 UTC)));
    }

    #[test]
    fn links_keep_the_filter_and_change_only_the_page() {
        let r = raw(&[("holder", "omar b"), ("from", "2026-03-01")]);
        assert_eq!(
            r.to_query(3, 20),
            "from=2026-03-01&holder=omar+b&page=3&per_page=20"
        );
    }

    #[test]
    fn the_ids_filter_reads_a_comma_separated_list_sorted_without_duplicates() {
        let (f, _) = parse(
            &raw(&[("ids", " 56,12, 34,,12 "), ("period", "all")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert_eq!(f.ids, Some(vec![12, 34, 56]));
        let (f, _) = parse(&raw(&[("ids", "  ")]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(f.ids, None);
        assert_eq!(
            raw(&[("ids", "12,34"), ("period", "all")]).to_query(2, 10),
            "period=all&ids=12%2C34&page=2"
        );
    }

    #[test]
    fn a_selection_without_dates_covers_every_date_and_explicit_dates_still_apply() {
        let (f, _) = parse(&raw(&[("ids", "7")]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(f.from, 0);
        let (f, _) = parse(
            &raw(&[("ids", "7"), ("from", "2026-03-01")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert!(f.from > 0);
    }

    #[test]
    fn more_than_500_ids_are_refused_with_a_clear_message() {
        let list = |n: u64| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let (f, _) = parse(&raw(&[("ids", &list(500))]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(f.ids.map(|v| v.len()), Some(500));
        let e = parse(&raw(&[("ids", &list(501))]), TODAY, &Zone::utc()).unwrap_err();
        assert_eq!(e[0].field, "ids");
        assert!(
            e[0].fr
                .contains("501 transactions sélectionnées : 500 au plus"),
            "{}",
            e[0].fr
        );
        assert!(
            e[0].en.contains("501 transactions selected: 500 at most"),
            "{}",
            e[0].en
        );
    }

    #[test]
    fn an_id_that_is_not_a_transaction_number_is_named_in_the_error() {
        for bad in ["12,abc,34", "12;34", "-5", "0", "18446744073709551616"] {
            let e = parse(&raw(&[("ids", bad)]), TODAY, &Zone::utc()).unwrap_err();
            assert_eq!(e[0].field, "ids", "{bad}");
            assert!(
                e[0].en.contains("a transaction number is expected"),
                "{bad}"
            );
        }
        let e = parse(&raw(&[("ids", "12,abc,34")]), TODAY, &Zone::utc()).unwrap_err();
        assert!(e[0].fr.contains("« abc »"), "{}", e[0].fr);
        assert!(e[0].en.contains("\"abc\""), "{}", e[0].en);
    }
}
