//! How dates and times are written for people, the same in pages, emails and
//! exports. Pure: the time is passed in.

use ::time::{Date, Month, OffsetDateTime, Weekday};

use crate::domain::Lang;

/// `29.03.2017 15:49:17` (UTC), as in the guide; empty for an impossible timestamp.
pub fn format_datetime(at: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    format!(
        "{:02}.{:02}.{} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
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
    fn dates_read_as_in_the_guide() {
        let at = datetime!(2017-03-29 15:49:17 UTC).unix_timestamp();
        assert_eq!(format_datetime(at), "29.03.2017 15:49:17");
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
