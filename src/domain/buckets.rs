//! Local days, weeks and months as periods of a chart (HOME-1, STAT-1): the calendar
//! of a time zone cut into buckets, and the instants that bound them, which is what
//! the quarter-hour rollups are asked for.

use time::{Date, Duration, Month, Weekday};

use super::Lang;
use super::zone::Zone;

/// How long a bucket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    /// Monday to Sunday (ISO 8601 weeks, as in Morocco and France).
    Week,
    Month,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Granularity::Day, Granularity::Week, Granularity::Month];

    /// Stable key for URLs (`by=week`).
    pub fn key(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Granularity> {
        Granularity::ALL
            .into_iter()
            .find(|g| g.key().eq_ignore_ascii_case(s.trim()))
    }

    /// "Jour" / "Day" and so on, for the switch.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Granularity::Day => lang.pick("Jour", "Day"),
            Granularity::Week => lang.pick("Semaine", "Week"),
            Granularity::Month => lang.pick("Mois", "Month"),
        }
    }

    /// The first day of the bucket holding `d`.
    pub fn start_of(self, d: Date) -> Date {
        match self {
            Granularity::Day => d,
            Granularity::Week => {
                d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
            }
            Granularity::Month => d.replace_day(1).unwrap_or(d),
        }
    }

    /// The first day of the bucket after the one starting on `start`; `None` past the
    /// last date `time` can hold.
    pub fn next(self, start: Date) -> Option<Date> {
        match self {
            Granularity::Day => start.next_day(),
            Granularity::Week => start.checked_add(Duration::days(7)),
            Granularity::Month => {
                let (y, m) = match start.month() {
                    Month::December => (start.year().checked_add(1)?, Month::January),
                    m => (start.year(), m.next()),
                };
                Date::from_calendar_date(y, m, 1).ok()
            }
        }
    }

    /// The first day of the bucket before the one starting on `start`.
    pub fn previous(self, start: Date) -> Option<Date> {
        match self {
            Granularity::Day => start.previous_day(),
            Granularity::Week => start.checked_sub(Duration::days(7)),
            Granularity::Month => {
                let (y, m) = match start.month() {
                    Month::January => (start.year().checked_sub(1)?, Month::December),
                    m => (start.year(), m.previous()),
                };
                Date::from_calendar_date(y, m, 1).ok()
            }
        }
    }

    /// The granularity a period of `days` days is shown by when none is asked for:
    /// days up to three months, weeks up to two years, months beyond.
    pub fn for_span(days: i64) -> Granularity {
        if days <= 92 {
            Granularity::Day
        } else if days <= 731 {
            Granularity::Week
        } else {
            Granularity::Month
        }
    }

    /// The most buckets of this granularity a chart or table shows (a year and a bit
    /// by day, ten years by week or month): a longer period is refused or bucketed
    /// coarser.
    pub const MAX_BUCKETS: usize = 400;
}

/// One bucket: local days `[first, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub first: Date,
    /// The day after the last day (exclusive).
    pub end: Date,
}

impl Bucket {
    /// The last day of the bucket (inclusive), as the list's `to` filter takes it.
    pub fn last(self) -> Date {
        self.end.previous_day().unwrap_or(self.first)
    }

    /// A short label for an axis: "3 nov." / "Nov 3" (a day, or a week by its
    /// Monday), "nov. 2026" / "Nov 2026".
    pub fn label(self, g: Granularity, lang: Lang) -> String {
        let d = self.first;
        let month = month_abbr(d.month(), lang);
        match (g, lang) {
            (Granularity::Day, Lang::Fr) => format!("{} {month}", d.day()),
            (Granularity::Day, Lang::En) => format!("{month} {}", d.day()),
            // A week by its Monday: short enough for an axis of 12 weeks.
            (Granularity::Week, Lang::Fr) => format!("{} {month}", d.day()),
            (Granularity::Week, Lang::En) => format!("{month} {}", d.day()),
            (Granularity::Month, _) => format!("{month} {}", d.year()),
        }
    }

    /// The label of the bucket for a sentence: "le 3 nov. 2026", "la semaine du
    /// 2 nov. 2026", "novembre 2026".
    pub fn long_label(self, g: Granularity, lang: Lang) -> String {
        let d = self.first;
        let month = month_abbr(d.month(), lang);
        match (g, lang) {
            (Granularity::Day, Lang::Fr) => format!("{} {month} {}", d.day(), d.year()),
            (Granularity::Day, Lang::En) => format!("{month} {}, {}", d.day(), d.year()),
            (Granularity::Week, Lang::Fr) => {
                format!("semaine du {} {month} {}", d.day(), d.year())
            }
            (Granularity::Week, Lang::En) => {
                format!("week of {month} {}, {}", d.day(), d.year())
            }
            (Granularity::Month, Lang::Fr) => format!("{} {}", month_name_fr(d.month()), d.year()),
            (Granularity::Month, Lang::En) => format!("{} {}", d.month(), d.year()),
        }
    }
}

fn month_abbr(m: Month, lang: Lang) -> &'static str {
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let i = usize::from(u8::from(m)) - 1;
    match lang {
        Lang::Fr => FR[i],
        Lang::En => EN[i],
    }
}

fn month_name_fr(m: Month) -> &'static str {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    FR[usize::from(u8::from(m)) - 1]
}

/// The buckets of `g` covering the days `first..=last`, the first and last cut to
/// the period (a week bucket of a period starting on a Wednesday starts that
/// Wednesday), so that the buckets add up to exactly the period. Empty when
/// `last < first`.
pub fn cover(g: Granularity, first: Date, last: Date) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut start = first;
    while start <= last {
        let Some(next) = g.next(g.start_of(start)) else {
            // The last bucket `time` can hold ends the period.
            if let Some(end) = last.next_day() {
                out.push(Bucket { first: start, end });
            }
            break;
        };
        let end = match last.next_day() {
            Some(after) if after < next => after,
            _ => next,
        };
        out.push(Bucket { first: start, end });
        start = next;
    }
    out
}

/// The `n` whole buckets of `g` ending with the one holding `today`, oldest first.
pub fn last_n(g: Granularity, today: Date, n: usize) -> Vec<Bucket> {
    let mut starts = Vec::with_capacity(n);
    let mut start = g.start_of(today);
    for _ in 0..n {
        starts.push(start);
        match g.previous(start) {
            Some(p) => start = p,
            None => break,
        }
    }
    starts.reverse();
    starts
        .into_iter()
        .filter_map(|first| g.next(first).map(|end| Bucket { first, end }))
        .collect()
}

/// The instants bounding `buckets` in `zone`: `buckets.len() + 1` values when the
/// buckets follow one another (as [`cover`] and [`last_n`] make them), each the start
/// of a local day. `None` when a day is out of the zone database's range.
pub fn bounds(zone: &Zone, buckets: &[Bucket]) -> Option<Vec<i64>> {
    let mut out = Vec::with_capacity(buckets.len() + 1);
    for b in buckets {
        out.push(zone.day_start(b.first)?);
    }
    out.push(zone.day_start(buckets.last()?.end)?);
    Some(out)
}

/// Monday of the ISO week, for tests and labels.
pub fn is_monday(d: Date) -> bool {
    d.weekday() == Weekday::Monday
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn a_week_starts_on_monday_and_a_month_on_the_first() {
        let sunday = date!(2026 - 11 - 29);
        assert_eq!(Granularity::Week.start_of(sunday), date!(2026 - 11 - 23));
        assert!(is_monday(Granularity::Week.start_of(sunday)));
        assert_eq!(Granularity::Month.start_of(sunday), date!(2026 - 11 - 01));
        assert_eq!(
            Granularity::Month.next(date!(2026 - 12 - 01)),
            Some(date!(2027 - 01 - 01))
        );
        assert_eq!(
            Granularity::Month.previous(date!(2026 - 01 - 01)),
            Some(date!(2025 - 12 - 01))
        );
    }

    #[test]
    fn the_last_twelve_months_end_with_the_current_one() {
        let b = last_n(Granularity::Month, date!(2026 - 11 - 29), 12);
        assert_eq!(b.len(), 12);
        assert_eq!(b[0].first, date!(2025 - 12 - 01));
        assert_eq!(b[11].first, date!(2026 - 11 - 01));
        assert_eq!(b[11].end, date!(2026 - 12 - 01));
        assert_eq!(b[11].last(), date!(2026 - 11 - 30));
    }

    #[test]
    fn a_period_is_cut_into_buckets_that_add_up_to_it_exactly() {
        let b = cover(
            Granularity::Week,
            date!(2026 - 11 - 04),
            date!(2026 - 11 - 20),
        );
        assert_eq!(
            b,
            [
                Bucket {
                    first: date!(2026 - 11 - 04),
                    end: date!(2026 - 11 - 09)
                },
                Bucket {
                    first: date!(2026 - 11 - 09),
                    end: date!(2026 - 11 - 16)
                },
                Bucket {
                    first: date!(2026 - 11 - 16),
                    end: date!(2026 - 11 - 21)
                },
            ]
        );
        assert!(
            cover(
                Granularity::Day,
                date!(2026 - 11 - 04),
                date!(2026 - 11 - 03)
            )
            .is_empty()
        );
    }

    #[test]
    fn labels_follow_the_language() {
        let b = Bucket {
            first: date!(2026 - 11 - 02),
            end: date!(2026 - 11 - 09),
        };
        assert_eq!(b.label(Granularity::Day, Lang::Fr), "2 nov.");
        assert_eq!(b.label(Granularity::Day, Lang::En), "Nov 2");
        assert_eq!(b.label(Granularity::Week, Lang::Fr), "2 nov.");
        assert_eq!(b.label(Granularity::Month, Lang::En), "Nov 2026");
        assert_eq!(b.long_label(Granularity::Month, Lang::Fr), "novembre 2026");
        assert_eq!(
            b.long_label(Granularity::Week, Lang::En),
            "week of Nov 2, 2026"
        );
    }

    #[test]
    fn bounds_are_local_midnights_and_a_casablanca_day_can_last_23_hours() {
        let zone = Zone::parse("Africa/Casablanca").unwrap();
        // Morocco moved its clocks back for Ramadan on 2026-02-15 (UTC+1 → UTC+0)
        // and forward again on 2026-03-22.
        let b = cover(
            Granularity::Day,
            date!(2026 - 03 - 21),
            date!(2026 - 03 - 23),
        );
        let at = bounds(&zone, &b).unwrap();
        assert_eq!(at.len(), 4);
        let lengths: Vec<i64> = at.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(lengths.contains(&(23 * 3600)), "{lengths:?}");
        assert!(at.iter().all(|t| t % 900 == 0));
    }

    proptest! {
        #[test]
        fn buckets_follow_one_another_without_gap_or_overlap(
            start in 0i32..20_000, len in 0i64..800, g in 0usize..3,
        ) {
            let g = Granularity::ALL[g];
            let first = date!(1990 - 01 - 01) + Duration::days(i64::from(start));
            let last = first + Duration::days(len);
            let b = cover(g, first, last);
            prop_assert_eq!(b[0].first, first);
            prop_assert_eq!(b.last().unwrap().last(), last);
            for w in b.windows(2) {
                prop_assert_eq!(w[0].end, w[1].first);
                prop_assert_eq!(g.start_of(w[1].first), w[1].first);
            }
            for x in &b {
                prop_assert!(x.first < x.end);
            }
            for zone in ["UTC", "Africa/Casablanca", "Asia/Kolkata", "Asia/Kathmandu"] {
                let at = bounds(&Zone::parse(zone).unwrap(), &b).unwrap();
                prop_assert!(at.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(at.iter().all(|t| t % 900 == 0), "{} {:?}", zone, at);
            }
        }
    }
}
