//! The searched period in words ("Du 1 novembre 2026 au 29 novembre 2026",
//! "Aujourd'hui, 29 novembre 2026") and the period shortcuts of the transaction list
//! (today, yesterday, 7 and 30 days, this month, last month), computed from a `today`
//! the caller gives (the app's clock, in the reader's zone), never read here. Days are
//! the reader's zone's days.

use time::{Date, Duration, PrimitiveDateTime};

use super::lang::Lang;
use super::time::format_long_date;
use super::zone::Zone;

/// A ready-made period: its first and last day (both included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    Today,
    Yesterday,
    Last7Days,
    Last30Days,
    ThisMonth,
    LastMonth,
}

impl Shortcut {
    pub const ALL: [Shortcut; 6] = [
        Shortcut::Today,
        Shortcut::Yesterday,
        Shortcut::Last7Days,
        Shortcut::Last30Days,
        Shortcut::ThisMonth,
        Shortcut::LastMonth,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Shortcut::Today => ("Aujourd'hui", "Today"),
            Shortcut::Yesterday => ("Hier", "Yesterday"),
            Shortcut::Last7Days => ("7 derniers jours", "Last 7 days"),
            Shortcut::Last30Days => ("30 derniers jours", "Last 30 days"),
            Shortcut::ThisMonth => ("Ce mois-ci", "This month"),
            Shortcut::LastMonth => ("Mois dernier", "Last month"),
        };
        lang.pick(fr, en)
    }

    /// The first and the last day of the period, `today` included where it applies.
    pub fn days(self, today: Date) -> (Date, Date) {
        let back = |n: i64| today.checked_sub(Duration::days(n)).unwrap_or(Date::MIN);
        let first_of = |d: Date| d.replace_day(1).unwrap_or(d);
        match self {
            Shortcut::Today => (today, today),
            Shortcut::Yesterday => (back(1), back(1)),
            Shortcut::Last7Days => (back(6), today),
            Shortcut::Last30Days => (back(29), today),
            Shortcut::ThisMonth => (first_of(today), today),
            Shortcut::LastMonth => {
                let last = first_of(today).previous_day().unwrap_or(today);
                (first_of(last), last)
            }
        }
    }

    /// The shortcut whose period is exactly the search `[from, to)` (unix seconds), to
    /// be marked current; `None` when no shortcut spans it. Several shortcuts can span
    /// the same days (on the 1st "Aujourd'hui" is also "Ce mois-ci"; on the 7th "7
    /// derniers jours" is "Ce mois-ci"; on the 30th of a 31-day month "30 derniers
    /// jours" is "Ce mois-ci"): only one is marked, the first of [`Self::PRECEDENCE`],
    /// a named day before a calendar month before a rolling window, because the named
    /// period says most about what was asked.
    pub fn matching(from: i64, to: i64, today: Date, zone: &Zone) -> Option<Shortcut> {
        Self::PRECEDENCE.into_iter().find(|s| {
            let (first, last) = s.days(today);
            (zone.day_start(first), zone.day_end(last)) == (Some(from), Some(to))
        })
    }

    /// The order in which [`Self::matching`] breaks a tie between equal periods.
    pub const PRECEDENCE: [Shortcut; 6] = [
        Shortcut::Today,
        Shortcut::Yesterday,
        Shortcut::ThisMonth,
        Shortcut::LastMonth,
        Shortcut::Last7Days,
        Shortcut::Last30Days,
    ];

    /// The two query values (`from`, `to`), as the period fields show dates in `lang`.
    pub fn query_values(self, today: Date, lang: Lang) -> (String, String) {
        let (a, b) = self.days(today);
        (typed_date(a, lang), typed_date(b, lang))
    }
}

/// A date as the period fields show it: `29/11/2026` in French, `2026-11-29` in English.
pub fn typed_date(d: Date, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()),
        Lang::En => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }
}

/// "29 novembre 2026" / "29 November 2026".
fn day_words(d: Date, lang: Lang) -> String {
    let long = format_long_date(d, lang);
    long.split_once(' ')
        .map_or(long.clone(), |(_, rest)| rest.to_string())
}

/// The local time of `t` in `zone` (the epoch for an impossible instant).
fn at(t: i64, zone: &Zone) -> PrimitiveDateTime {
    zone.local(t)
        .unwrap_or(time::macros::datetime!(1970-01-01 00:00))
}

/// Whether `t` is the first instant of a day in `zone` (its midnight, or the instant
/// its clocks jumped over midnight).
fn starts_a_day(t: i64, zone: &Zone) -> bool {
    zone.date_of(t).and_then(|d| zone.day_start(d)) == Some(t)
}

/// "29 novembre 2026", with " à 14:30" / " at 14:30" when the instant does not start
/// the day.
fn instant_words(t: i64, zone: &Zone, lang: Lang) -> String {
    let local = at(t, zone);
    let day = day_words(local.date(), lang);
    if starts_a_day(t, zone) {
        day
    } else {
        format!(
            "{day} {} {:02}:{:02}",
            lang.pick("à", "at"),
            local.hour(),
            local.minute()
        )
    }
}

/// The period `[from, to)` (unix seconds) in words, in `zone`'s days and times.
/// Whole days read as days ("Du 1 novembre 2026 au 29 novembre 2026", a single day as
/// "Aujourd'hui, …", "Hier, …" or "Le …"); a minute end reads as its last minute
/// included; a start at the epoch (an all-time search) reads as "Toutes les dates
/// jusqu'au …".
pub fn period_words(from: i64, to: i64, today: Date, zone: &Zone, lang: Lang) -> String {
    let whole_end = starts_a_day(to, zone);
    // The last instant included: the day before a midnight end, else the last minute.
    let last = if whole_end {
        to.saturating_sub(1)
    } else {
        to.saturating_sub(60)
    };
    let last_words = if whole_end {
        day_words(at(last, zone).date(), lang)
    } else {
        instant_words(last, zone, lang)
    };
    if from <= 0 {
        return match lang {
            Lang::Fr => format!("Toutes les dates jusqu'au {last_words}"),
            Lang::En => format!("All dates up to {last_words}"),
        };
    }
    let whole_start = starts_a_day(from, zone);
    let first_day = at(from, zone).date();
    if whole_start && whole_end && first_day == at(last, zone).date() {
        let d = first_day;
        let words = day_words(d, lang);
        let yesterday = today.previous_day();
        return if d == today {
            format!("{}, {words}", lang.pick("Aujourd'hui", "Today"))
        } else if Some(d) == yesterday {
            format!("{}, {words}", lang.pick("Hier", "Yesterday"))
        } else {
            match lang {
                Lang::Fr => format!("Le {words}"),
                Lang::En => words,
            }
        };
    }
    let first_words = instant_words(from, zone, lang);
    match lang {
        Lang::Fr => format!("Du {first_words} au {last_words}"),
        Lang::En => format!("From {first_words} to {last_words}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::macros::{date, datetime};

    const TODAY: Date = date!(2026 - 11 - 29);

    fn utc() -> Zone {
        Zone::utc()
    }

    fn unix(t: OffsetDateTime) -> i64 {
        t.unix_timestamp()
    }

    #[test]
    fn a_period_of_whole_days_reads_as_its_first_and_last_day() {
        let (a, b) = (
            unix(datetime!(2026-11-01 00:00 UTC)),
            unix(datetime!(2026-11-30 00:00 UTC)),
        );
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::Fr),
            "Du 1 novembre 2026 au 29 novembre 2026"
        );
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::En),
            "From 1 November 2026 to 29 November 2026"
        );
    }

    #[test]
    fn one_day_reads_as_today_yesterday_or_the_day() {
        let day = |d: Date| {
            let a = unix(d.midnight().assume_utc());
            (a, a + 86_400)
        };
        let (a, b) = day(TODAY);
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::Fr),
            "Aujourd'hui, 29 novembre 2026"
        );
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::En),
            "Today, 29 November 2026"
        );
        let (a, b) = day(date!(2026 - 11 - 28));
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::Fr),
            "Hier, 28 novembre 2026"
        );
        let (a, b) = day(date!(2026 - 10 - 03));
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::Fr),
            "Le 3 octobre 2026"
        );
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::En),
            "3 October 2026"
        );
    }

    #[test]
    fn minutes_are_stated_and_the_last_minute_is_the_one_included() {
        let a = unix(datetime!(2026-11-01 14:30 UTC));
        let b = unix(datetime!(2026-11-02 15:50 UTC));
        assert_eq!(
            period_words(a, b, TODAY, &utc(), Lang::Fr),
            "Du 1 novembre 2026 à 14:30 au 2 novembre 2026 à 15:49"
        );
        assert_eq!(
            period_words(
                0,
                unix(datetime!(2026-11-30 00:00 UTC)),
                TODAY,
                &utc(),
                Lang::En
            ),
            "All dates up to 29 November 2026"
        );
    }

    #[test]
    fn shortcuts_are_whole_days_ending_today_or_last_month() {
        let s = |x: Shortcut| x.days(TODAY);
        assert_eq!(s(Shortcut::Today), (TODAY, TODAY));
        assert_eq!(
            s(Shortcut::Yesterday),
            (date!(2026 - 11 - 28), date!(2026 - 11 - 28))
        );
        assert_eq!(s(Shortcut::Last7Days), (date!(2026 - 11 - 23), TODAY));
        assert_eq!(s(Shortcut::Last30Days), (date!(2026 - 10 - 31), TODAY));
        assert_eq!(s(Shortcut::ThisMonth), (date!(2026 - 11 - 01), TODAY));
        assert_eq!(
            s(Shortcut::LastMonth),
            (date!(2026 - 10 - 01), date!(2026 - 10 - 31))
        );
        assert_eq!(
            Shortcut::LastMonth.days(date!(2026 - 01 - 15)),
            (date!(2025 - 12 - 01), date!(2025 - 12 - 31))
        );
        assert_eq!(
            Shortcut::Last7Days.query_values(TODAY, Lang::Fr),
            ("23/11/2026".to_string(), "29/11/2026".to_string())
        );
    }

    /// `[from, to)` in unix seconds for the whole days `first` to `last`.
    fn span(first: Date, last: Date) -> (i64, i64) {
        (
            unix(first.midnight().assume_utc()),
            unix(last.midnight().assume_utc()) + 86_400,
        )
    }

    #[test]
    fn the_shortcut_equal_to_the_period_is_the_only_one_marked() {
        for s in Shortcut::ALL {
            let (a, b) = s.days(TODAY);
            let (from, to) = span(a, b);
            assert_eq!(
                Shortcut::matching(from, to, TODAY, &utc()),
                Some(s),
                "{s:?}"
            );
        }
        // Not whole days, or days no shortcut spans: none.
        let (from, to) = span(TODAY, TODAY);
        assert_eq!(Shortcut::matching(from + 60, to, TODAY, &utc()), None);
        let (from, to) = span(date!(2026 - 01 - 01), TODAY);
        assert_eq!(Shortcut::matching(from, to, TODAY, &utc()), None);
    }

    #[test]
    fn equal_periods_mark_a_named_day_then_a_calendar_month_then_a_rolling_window() {
        // The 30th of November: the last 30 days are this month.
        let nov30 = date!(2026 - 11 - 30);
        let (from, to) = span(date!(2026 - 11 - 01), nov30);
        assert_eq!(
            Shortcut::Last30Days.days(nov30),
            Shortcut::ThisMonth.days(nov30)
        );
        assert_eq!(
            Shortcut::matching(from, to, nov30, &utc()),
            Some(Shortcut::ThisMonth)
        );
        // The 7th: the last 7 days are this month.
        let d7 = date!(2026 - 11 - 07);
        let (from, to) = span(date!(2026 - 11 - 01), d7);
        assert_eq!(
            Shortcut::matching(from, to, d7, &utc()),
            Some(Shortcut::ThisMonth)
        );
        // The 1st: today is this month.
        let d1 = date!(2026 - 06 - 01);
        let (from, to) = span(d1, d1);
        assert_eq!(
            Shortcut::matching(from, to, d1, &utc()),
            Some(Shortcut::Today)
        );
    }

    #[test]
    fn periods_read_in_the_readers_zone() {
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let d = date!(2026 - 06 - 02);
        let (a, b) = (kolkata.day_start(d).unwrap(), kolkata.day_end(d).unwrap());
        assert_eq!(a, unix(datetime!(2026-06-01 18:30 UTC)));
        assert_eq!(
            period_words(a, b, d, &kolkata, Lang::En),
            "Today, 2 June 2026"
        );
        // The same instants in UTC are not whole days.
        assert_eq!(
            period_words(a, b, d, &utc(), Lang::En),
            "From 1 June 2026 at 18:30 to 2 June 2026 at 18:29"
        );
        assert_eq!(Shortcut::matching(a, b, d, &kolkata), Some(Shortcut::Today));
        assert_eq!(Shortcut::matching(a, b, d, &utc()), None);
        // Casablanca's 25-hour day (back to UTC for Ramadan) is one day.
        let casa = Zone::parse("Africa/Casablanca").unwrap();
        let d = date!(2026 - 02 - 15);
        let (a, b) = (casa.day_start(d).unwrap(), casa.day_end(d).unwrap());
        assert_eq!(b - a, 25 * 3600);
        assert_eq!(
            period_words(a, b, d, &casa, Lang::Fr),
            "Aujourd'hui, 15 février 2026"
        );
        let kathmandu = Zone::parse("Asia/Kathmandu").unwrap();
        let a = unix(datetime!(2026-06-01 04:15 UTC));
        let b = unix(datetime!(2026-06-01 05:16 UTC));
        assert_eq!(
            period_words(a, b, date!(2026 - 06 - 01), &kathmandu, Lang::Fr),
            "Du 1 juin 2026 à 10:00 au 1 juin 2026 à 11:00"
        );
    }
}
