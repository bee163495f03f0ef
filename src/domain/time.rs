//! How dates and times are written for people, the same in pages, emails and
//! exports. Pure: the time and the reader's zone are passed in. Times are stored in
//! UTC and written in the reader's zone (the user's, else the appliance's), and every
//! date says which: its offset at that instant, or the zone's name over a column.

use ::time::{Date, Month, Weekday};

use crate::domain::Lang;
use crate::domain::zone::Zone;

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

/// `29 nov. 2026, 14:12` / `29 Nov 2026, 14:12`, local time in `zone` without saying
/// it: for table cells whose column header names the zone (see [`date_header`]);
/// empty for an impossible timestamp.
pub fn format_datetime_cell(at: i64, lang: Lang, zone: &Zone) -> String {
    let Some(t) = zone.local(at) else {
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

/// `29 nov. 2026, 15:12 (UTC+1)` / `29 Nov 2026, 15:12 (UTC+1)`: how a date and time
/// is written for people everywhere (pages, receipts, emails), local time in `zone`
/// with the offset in force at that instant (`UTC` when it is zero); empty for an
/// impossible timestamp.
pub fn format_datetime(at: i64, lang: Lang, zone: &Zone) -> String {
    let cell = format_datetime_cell(at, lang, zone);
    if cell.is_empty() {
        return cell;
    }
    format!("{cell} ({})", zone.offset_text(at))
}

/// `Date (Africa/Casablanca)`, `Date (UTC)`: a column header over
/// [`format_datetime_cell`] values, naming the zone (whose offset may change within
/// the column).
pub fn date_header(lang: Lang, zone: &Zone) -> String {
    format!("{} ({})", lang.pick("Date", "Date"), zone.label())
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
        let utc = Zone::utc();
        let at = datetime!(2026-11-29 14:12:59 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(at, Lang::Fr, &utc),
            "29 nov. 2026, 14:12 (UTC)"
        );
        assert_eq!(
            format_datetime(at, Lang::En, &utc),
            "29 Nov 2026, 14:12 (UTC)"
        );
        assert_eq!(
            format_datetime_cell(at, Lang::En, &utc),
            "29 Nov 2026, 14:12"
        );
        let june = datetime!(2026-06-01 09:05 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(june, Lang::Fr, &utc),
            "1 juin 2026, 09:05 (UTC)"
        );
        assert_eq!(date_header(Lang::Fr, &utc), "Date (UTC)");
        assert_eq!(format_datetime(i64::MAX, Lang::Fr, &utc), "");
        assert_eq!(
            format_long_date(date!(2026 - 11 - 27), Lang::Fr),
            "Vendredi 27 novembre 2026"
        );
        assert_eq!(
            format_long_date(date!(2026 - 11 - 27), Lang::En),
            "Friday 27 November 2026"
        );
    }

    #[test]
    fn dates_are_local_to_the_zone_with_the_offset_of_their_instant() {
        let casa = Zone::parse("Africa/Casablanca").unwrap();
        let at = datetime!(2026-06-29 14:12 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(at, Lang::Fr, &casa),
            "29 juin 2026, 15:12 (UTC+1)"
        );
        // During Ramadan, and all year from 20 September 2026, Casablanca is on UTC.
        let ramadan = datetime!(2026-03-01 14:12 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(ramadan, Lang::En, &casa),
            "1 Mar 2026, 14:12 (UTC)"
        );
        let november = datetime!(2026-11-29 14:12 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(november, Lang::Fr, &casa),
            "29 nov. 2026, 14:12 (UTC)"
        );
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let late = datetime!(2026-06-01 20:00 UTC).unix_timestamp();
        assert_eq!(
            format_datetime(late, Lang::Fr, &kolkata),
            "2 juin 2026, 01:30 (UTC+5:30)"
        );
        assert_eq!(
            format_datetime_cell(late, Lang::En, &kolkata),
            "2 Jun 2026, 01:30"
        );
        let kathmandu = Zone::parse("Asia/Kathmandu").unwrap();
        assert_eq!(
            format_datetime(late, Lang::En, &kathmandu),
            "2 Jun 2026, 01:45 (UTC+5:45)"
        );
        assert_eq!(date_header(Lang::En, &casa), "Date (Africa/Casablanca)");
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(date_header(Lang::Fr, &ny), "Date (America/New York)");
    }
}
