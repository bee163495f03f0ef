//! Statistics (STAT-1): the query string parsed into a period of local days cut into
//! buckets, with its filters and a clear message for each malformed value. The
//! tables themselves are built in [`super::stats_tables`].

use serde::Deserialize;
use time::macros::format_description;
use time::{Date, Duration};

use super::buckets::{Bucket, Granularity, bounds, cover};
use super::card::Brand;
use super::form::FieldError;
use super::merchant::Terminal;
use super::transaction::Operation;
use super::zone::Zone;

/// The query string as received: every value optional text.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RawStats {
    pub from: String,
    pub to: String,
    pub merchant: String,
    pub terminal: String,
    pub brand: String,
    pub operation: String,
    pub by: String,
    /// Which table a CSV download is of (the export only).
    pub table: String,
}

impl RawStats {
    /// The query string of the filters (no table), for links; empty fields left out.
    pub fn to_query(&self) -> String {
        self.query_with(None)
    }

    /// The link of the CSV download of the table `table` (its key) under these filters.
    pub fn export_href(&self, table: &str) -> String {
        format!("/statistics/export?{}", self.query_with(Some(table)))
    }

    fn query_with(&self, table: Option<&str>) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("table", table.unwrap_or_default()),
            ("from", &self.from),
            ("to", &self.to),
            ("merchant", &self.merchant),
            ("terminal", &self.terminal),
            ("brand", &self.brand),
            ("operation", &self.operation),
            ("by", &self.by),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The days a period lasts by default: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;

/// A validated statistics query (the merchant is chosen apart, see the handler).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsQuery {
    /// First and last local day of the period (inclusive).
    pub first: Date,
    pub last: Date,
    pub terminal: Option<u32>,
    pub brand: Option<Brand>,
    /// Only rows of this operation (never 3-D Secure checks, which are not counted).
    pub operation: Option<Operation>,
    pub by: Granularity,
    /// The granularity asked for (or the period's default) when it would have made
    /// more than [`Granularity::MAX_BUCKETS`] buckets and `by` is coarser.
    pub coarsened_from: Option<Granularity>,
    pub buckets: Vec<Bucket>,
    /// `buckets.len() + 1` local midnights, unix seconds, on quarter hours.
    pub bounds: Vec<i64>,
}

impl StatsQuery {
    /// The whole period: its first and last instants.
    pub fn period_bounds(&self) -> Vec<i64> {
        match (self.bounds.first(), self.bounds.last()) {
            (Some(a), Some(b)) => vec![*a, *b],
            _ => Vec::new(),
        }
    }
}

fn err(field: &'static str, fr: String, en: String) -> FieldError {
    FieldError::new(field, fr, en)
}

fn opt(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn shown(v: &str) -> String {
    super::text::log_safe_max(v, 40)
}

/// A local day as typed: `JJ/MM/AAAA` or `AAAA-MM-JJ`, from 1970 on.
fn parse_day(field: &'static str, v: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let formats = [
        format_description!("[year]-[month]-[day]"),
        format_description!("[day]/[month]/[year]"),
    ];
    let Some(d) = formats.iter().find_map(|f| Date::parse(v, f).ok()) else {
        errors.push(err(
            field,
            format!(
                "« {} » : date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ.",
                shown(v)
            ),
            format!(
                "\"{}\": date expected as DD/MM/YYYY or YYYY-MM-DD.",
                shown(v)
            ),
        ));
        return None;
    };
    if d.year() < 1970 {
        errors.push(err(
            field,
            format!("« {} » : les statistiques commencent en 1970.", shown(v)),
            format!("\"{}\": statistics start in 1970.", shown(v)),
        ));
        return None;
    }
    Some(d)
}

/// How many buckets of `g` the days `first..=last` make (without building them).
pub fn bucket_count(g: Granularity, first: Date, last: Date) -> usize {
    if last < first {
        return 0;
    }
    let n = match g {
        Granularity::Day => (last - first).whole_days() + 1,
        Granularity::Week => (g.start_of(last) - g.start_of(first)).whole_days() / 7 + 1,
        Granularity::Month => {
            let m = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
            m(last) - m(first) + 1
        }
    };
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn coarser(g: Granularity) -> Option<Granularity> {
    match g {
        Granularity::Day => Some(Granularity::Week),
        Granularity::Week => Some(Granularity::Month),
        Granularity::Month => None,
    }
}

/// The period asked for: first and last day (the last 30 days by default).
fn period(raw: &RawStats, today: Date, zone: &Zone, errors: &mut Vec<FieldError>) -> (Date, Date) {
    let from = opt(&raw.from).and_then(|v| parse_day("from", v, errors));
    let to = opt(&raw.to).and_then(|v| parse_day("to", v, errors));
    let back = |d: Date| d.checked_sub(Duration::days(DEFAULT_DAYS - 1)).unwrap_or(d);
    let (first, last) = match (from, to) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, today),
        (None, Some(b)) => (back(b), b),
        (None, None) => (back(today), today),
    };
    if errors.is_empty() && zone.day_end(last).is_none() {
        errors.push(err(
            "to",
            "Date trop lointaine.".into(),
            "Date too far in the future.".into(),
        ));
    }
    if first > last && errors.is_empty() {
        errors.push(err(
            "from",
            "La date de début doit précéder la date de fin (ou lui être égale).".into(),
            "The start date must come before the end date (or be the same day).".into(),
        ));
    }
    (first, last)
}

/// The terminal, card type, operation and granularity asked for.
type Choices = (
    Option<u32>,
    Option<Brand>,
    Option<Operation>,
    Option<Granularity>,
);

fn choices(raw: &RawStats, errors: &mut Vec<FieldError>) -> Choices {
    let terminal = opt(&raw.terminal).and_then(|v| {
        let t = v.parse::<u32>().ok();
        if t.is_none() {
            errors.push(err(
                "terminal",
                format!(
                    "« {} » : numéro de terminal attendu (un nombre entier).",
                    shown(v)
                ),
                format!(
                    "\"{}\": a terminal number is expected (a whole number).",
                    shown(v)
                ),
            ));
        }
        t
    });
    let unknown = |field: &'static str, v: &str| {
        err(
            field,
            format!("« {} » : valeur inconnue.", shown(v)),
            format!("\"{}\": unknown value.", shown(v)),
        )
    };
    let brand = opt(&raw.brand).and_then(|v| {
        let b = Brand::parse(v);
        if b.is_none() {
            errors.push(unknown("brand", v));
        }
        b
    });
    let operation = opt(&raw.operation).and_then(|v| match Operation::parse(v) {
        Some(Operation::ThreeDSecure) => {
            errors.push(err(
                "operation",
                "Les vérifications 3-D Secure ne sont pas comptées dans les statistiques.".into(),
                "3-D Secure checks are not counted in the statistics.".into(),
            ));
            None
        }
        Some(o) => Some(o),
        None => {
            errors.push(unknown("operation", v));
            None
        }
    });
    let by = opt(&raw.by).and_then(|v| {
        let g = Granularity::parse(v);
        if g.is_none() {
            errors.push(unknown("by", v));
        }
        g
    });
    (terminal, brand, operation, by)
}

/// A period of more than [`Granularity::MAX_BUCKETS`] months ending on `last`: the
/// limit in months and years, and the earliest first day that fits.
fn too_long(last: Date) -> FieldError {
    let months = Granularity::MAX_BUCKETS;
    let years = months / 12;
    let back = i32::try_from(months - 1).unwrap_or(i32::MAX);
    let index = last.year() * 12 + i32::from(u8::from(last.month())) - 1 - back;
    let earliest = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1))
        .ok()
        .and_then(|m| Date::from_calendar_date(index.div_euclid(12), m, 1).ok());
    let (fr_from, en_from) = earliest.map_or_else(Default::default, |d| {
        let fr = format_description!("[day]/[month]/[year]");
        (
            d.format(fr)
                .map(|s| format!(" : commencez au plus tôt le {s}"))
                .unwrap_or_default(),
            format!(": start on {d} at the earliest"),
        )
    });
    err(
        "from",
        format!("Période trop longue : au plus {months} mois ({years} ans){fr_from}."),
        format!("Period too long: {months} months ({years} years) at most{en_from}."),
    )
}

/// The error of a terminal the chosen merchant does not have (`None` when it has it,
/// or when no terminal was asked for), naming the ones it has.
pub fn unknown_terminal(asked: Option<u32>, terminals: &[Terminal]) -> Option<FieldError> {
    let t = asked?;
    if terminals.iter().any(|x| x.number == t) {
        return None;
    }
    let list: Vec<String> = terminals.iter().map(|x| x.number.to_string()).collect();
    let (fr, en) = if list.is_empty() {
        ("aucun terminal".to_string(), "no terminal".to_string())
    } else {
        (
            format!("terminaux : {}", list.join(", ")),
            format!("terminals: {}", list.join(", ")),
        )
    };
    Some(err(
        "terminal",
        format!("« {t} » : ce marchand n'a pas de terminal {t} ({fr})."),
        format!("\"{t}\": this merchant has no terminal {t} ({en})."),
    ))
}

/// The buckets of `first..=last` by `wanted`, or coarser when it makes too many, and
/// the instants that bound them in `zone`.
fn buckets(
    first: Date,
    last: Date,
    wanted: Granularity,
    zone: &Zone,
) -> Result<(Granularity, Vec<Bucket>, Vec<i64>), FieldError> {
    let mut by = wanted;
    while bucket_count(by, first, last) > Granularity::MAX_BUCKETS {
        by = coarser(by).ok_or_else(|| too_long(last))?;
    }
    let buckets = cover(by, first, last);
    match bounds(zone, &buckets) {
        Some(b) if b.first().is_some_and(|s| *s >= 0) => Ok((by, buckets, b)),
        Some(_) => Err(err(
            "from",
            "Les statistiques commencent en 1970.".into(),
            "Statistics start in 1970.".into(),
        )),
        None => Err(err(
            "to",
            "Date trop lointaine.".into(),
            "Date too far in the future.".into(),
        )),
    }
}

/// Parses the query, days local to `zone`; `today` (in `zone`) ends the default
/// period. All errors are collected.
pub fn parse(raw: &RawStats, today: Date, zone: &Zone) -> Result<StatsQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let (first, last) = period(raw, today, zone, &mut errors);
    let (terminal, brand, operation, asked) = choices(raw, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let wanted = asked.unwrap_or_else(|| Granularity::for_span((last - first).whole_days() + 1));
    let (by, buckets, bounds) = buckets(first, last, wanted, zone).map_err(|e| vec![e])?;
    Ok(StatsQuery {
        first,
        last,
        terminal,
        brand,
        operation,
        by,
        coarsened_from: (by != wanted).then_some(wanted),
        buckets,
        bounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 30);

    fn raw(pairs: &[(&str, &str)]) -> RawStats {
        serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
    }

    fn fields(e: Vec<FieldError>) -> Vec<&'static str> {
        e.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_default_period_is_the_last_30_days_by_day() {
        let q = parse(&RawStats::default(), TODAY, &Zone::utc()).unwrap();
        assert_eq!((q.first, q.last), (date!(2026 - 11 - 01), TODAY));
        assert_eq!(q.by, Granularity::Day);
        assert_eq!(q.buckets.len(), 30);
        assert_eq!(q.bounds.len(), 31);
        assert_eq!(q.coarsened_from, None);
    }

    #[test]
    fn three_years_by_day_are_bucketed_by_week_with_a_note() {
        let q = parse(
            &raw(&[("from", "01/01/2024"), ("to", "2026-11-30"), ("by", "day")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap();
        assert_eq!(q.by, Granularity::Week);
        assert_eq!(q.coarsened_from, Some(Granularity::Day));
        assert!(q.buckets.len() <= Granularity::MAX_BUCKETS);
        let q = parse(&raw(&[("from", "2000-01-01")]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(q.by, Granularity::Month);
        assert_eq!(q.coarsened_from, None);
        // More than 400 months: nothing coarser, so a message.
        let e = parse(&raw(&[("from", "1970-01-01")]), TODAY, &Zone::utc()).unwrap_err();
        assert_eq!(
            e[0].en,
            "Period too long: 400 months (33 years) at most: start on 1993-08-01 at the earliest."
        );
        assert_eq!(
            e[0].fr,
            "Période trop longue : au plus 400 mois (33 ans) : commencez au plus tôt le 01/08/1993."
        );
        let q = parse(&raw(&[("from", "1993-08-01")]), TODAY, &Zone::utc()).unwrap();
        assert_eq!(q.buckets.len(), 400);
        assert!(parse(&raw(&[("from", "1993-07-31")]), TODAY, &Zone::utc()).is_err());
    }

    #[test]
    fn every_bad_value_is_named_and_none_panics() {
        let e = parse(
            &raw(&[
                ("from", "32/13/2026"),
                ("terminal", "-1"),
                ("brand", "xyz"),
                ("operation", "3ds"),
                ("by", "year"),
            ]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap_err();
        assert_eq!(fields(e), ["from", "terminal", "brand", "operation", "by"]);
        for (k, v) in [
            ("from", "1969-12-31"),
            ("to", "9999-12-31"),
            ("from", "0001-01-01"),
            ("to", "99999-01-01"),
        ] {
            assert!(
                parse(&raw(&[(k, v)]), TODAY, &Zone::utc()).is_err(),
                "{k}={v}"
            );
        }
        let e = parse(
            &raw(&[("from", "2026-11-02"), ("to", "2026-11-01")]),
            TODAY,
            &Zone::utc(),
        )
        .unwrap_err();
        assert_eq!(fields(e), ["from"]);
        // 1970-01-01 starts before the epoch east of Greenwich.
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let e = parse(
            &raw(&[("from", "1970-01-01"), ("to", "1970-01-31")]),
            TODAY,
            &kolkata,
        )
        .unwrap_err();
        assert_eq!(e[0].en, "Statistics start in 1970.");
        assert!(
            parse(
                &raw(&[("from", "1970-01-01"), ("to", "1970-01-31")]),
                TODAY,
                &Zone::utc()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_terminal_the_merchant_lacks_is_named_with_the_ones_it_has() {
        let ts = [
            Terminal {
                number: 21114,
                label: "Web".into(),
            },
            Terminal {
                number: 21115,
                label: String::new(),
            },
        ];
        assert_eq!(unknown_terminal(None, &ts), None);
        assert_eq!(unknown_terminal(Some(21115), &ts), None);
        let e = unknown_terminal(Some(99999), &ts).unwrap();
        assert_eq!(e.field, "terminal");
        assert_eq!(
            e.fr,
            "« 99999 » : ce marchand n'a pas de terminal 99999 (terminaux : 21114, 21115)."
        );
        assert_eq!(
            e.en,
            "\"99999\": this merchant has no terminal 99999 (terminals: 21114, 21115)."
        );
        assert!(
            unknown_terminal(Some(1), &[])
                .unwrap()
                .en
                .ends_with("(no terminal).")
        );
    }

    #[test]
    fn export_links_name_the_table_first_and_never_end_with_an_ampersand() {
        let r = RawStats::default();
        assert_eq!(r.export_href("periods"), "/statistics/export?table=periods");
        let r = raw(&[("from", "01/05/2026"), ("brand", "visa")]);
        assert_eq!(
            r.export_href("brands"),
            "/statistics/export?table=brands&from=01%2F05%2F2026&brand=visa"
        );
        assert_eq!(r.to_query(), "from=01%2F05%2F2026&brand=visa");
    }

    #[test]
    fn bucket_counts_match_the_buckets_made() {
        for g in Granularity::ALL {
            for (a, b) in [
                (date!(2026 - 01 - 01), date!(2026 - 01 - 01)),
                (date!(2024 - 02 - 28), date!(2026 - 11 - 30)),
                (date!(2026 - 11 - 04), date!(2026 - 11 - 20)),
            ] {
                assert_eq!(bucket_count(g, a, b), cover(g, a, b).len(), "{g:?} {a} {b}");
            }
        }
    }
}
