//! How dates and times are written for people, the same in pages, emails and
//! exports. Pure: the time is passed in.

use ::time::{Date, Month, OffsetDateTime, Weekday};

use crate::domain::Lang;

/// The time zone every date is written in. Times are stored and shown in UTC (no
/// zone is configurable), and every date says so.
pub const ZONE: &str = "UTC";

/// The month's short name: `nov.` / `Nov`.
fn short_month(m: Month, lang: Lang) -> &'static str {
    let (fr, en) = match m {
        Month::January => ("janv.", "Jan"),
        Month::February => ("févr.", "Feb"),
        Month::March => ("mars", "Mar"),
        Month::April => ("avr.", "Apr"),
        Month::May => ("mai", "May"),
        Month::June => ("juin", "Jun"),
        Month::July => ("juil.", "Jul"),
        Month::August => ("août", "Aug"),
        Month::September => ("sept.", "Sep"),
        Month::October => ("oct.", "Oct"),
        Month::November => ("nov.", "Nov"),
        Month::December => ("déc.", "Dec"),
    };
    lang.pick(fr, en)
}

/// `29 nov. 2026, 14:12` / `29 Nov 2026, 14:12`, without the zone: for table cells
/// whose column header names it (see [`ZONE`]); empty for an impossible timestamp.
pub fn format_datetime_cell(at: i64, lang: Lang) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    format!(
        "{} {} {}, {:02}:{:02}",
        t.day(),
        short_month(t.month(), lang),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// `29 nov. 2026, 14:12 (UTC)` / `29 Nov 2026, 14:12 (UTC)`: how a date and time is
/// written for people everywhere (pages, receipts, emails); empty for an impossible
/// timestamp.
pub fn format_datetime(at: i64, lang: Lang) -> String {
    let cell = format_datetime_cell(at, lang);
    if cell.is_empty() {
        return cell;
    }
    format!("{cell} ({ZONE})")
}

/// `Date (UTC)`: a column header over [`format_datetime_cell`] values.
pub fn date_header(lang: Lang) -> String {
    format!("{} ({ZONE})", lang.pick("Date", "Date"))
}

/// `Vendredi 27 novembre 2026` / `Friday 27 November 2026`.
pub fn format_long_date(d: Date, lang: Lang) -> String {
    let wd = match d.weekday() {
        Weekday::Monday => ("Lundi", "Monday"),
        Weekday::Tuesday => ("Mardi", "Tuesday"),
        Weekday::Wednesday => ("Mercredi", "Wednesday"),
        Weekday::Thursday => ("Jeudi", "Thursday"),
        Weekday::Friday => ("Vendredi", "Friday"),
        Weekday::Saturday => ("Samedi", "Saturday"),
        Weekday::Sunday => ("Dimanche", "Sunday"),
    };
    let m = match d.month() {
        Month::January => ("janvier", "January"),
        Month::February => ("février", "February"),
        Month::March => ("mars", "March"),
        Month::April => ("avril", "April"),
        Month::May => ("mai", "May"),
        Month::June => ("juin", "June"),
        Month::July => ("juillet", "July"),
        Month::August => ("août", "August"),
        Month::September => ("septembre", "September"),
        Month::October => ("octobre", "October"),
        Month::November => ("novembre", "November"),
        Month::December => ("décembre", "December"),
    };
    format!(
        "{} {} {} {}",
        lang.pick(wd.0, wd.1),
        d.day(),
        lang.pick(m.0, m.1),
        d.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::{date, datetime};

    #[test]
    fn dates_read_in_the_readers_language_with_their_time_zone() {
        let at = datetime!(2026-11-29 14:12:59 UTC).unix_timestamp();
        assert_eq!(format_datetime(at, Lang::Fr), "29 nov. 2026, 14:12 (UTC)");
        assert_eq!(format_datetime(at, Lang::En), "29 Nov 2026, 14:12 (UTC)");
        assert_eq!(format_datetime_cell(at, Lang::En), "29 Nov 2026, 14:12");
        let june = datetime!(2026-06-01 09:05 UTC).unix_timestamp();
        assert_eq!(format_datetime(june, Lang::Fr), "1 juin 2026, 09:05 (UTC)");
        assert_eq!(date_header(Lang::Fr), "Date (UTC)");
        assert_eq!(format_datetime(i64::MAX, Lang::Fr), "");
        assert_eq!(
            format_long_date(date!(2026 - 11 - 27), Lang::Fr),
            "Vendredi 27 novembre 2026"
        );
        assert_eq!(
            format_long_date(date!(2026 - 11 - 27), Lang::En),
            "Friday 27 November 2026"
        );
    }
}
