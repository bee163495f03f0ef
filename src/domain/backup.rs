//! Backups (issue 15, OPSX-4): the schedule's period (`--backup-every 24h`), the names
//! of the files a schedule makes and which of them to delete (`--backup-keep 7`), the
//! report written beside each backup, and what the Backups page shows. Pure: times
//! are passed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Lang;

/// The shortest and the longest period a schedule accepts.
pub const MIN_EVERY: u64 = 60;
pub const MAX_EVERY: u64 = 366 * 86_400;

/// `30m`, `6h`, `24h`, `7d` (also `90s`, and `1d12h`) → seconds, from one minute to a
/// year.
pub fn parse_every(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "{t:?} is not a period: write a number and a unit, like 30m, 6h, 24h or 7d (s, m, h, d)"
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    if !(MIN_EVERY..=MAX_EVERY).contains(&total) {
        return Err(format!(
            "{t:?}: the period must be between 1 minute (1m) and 366 days (366d)"
        ));
    }
    Ok(total)
}

/// A period as a person reads it: `24 h`, `7 j` / `7 d`, `30 min`, `1 j 12 h`.
pub fn every_text(secs: u64, lang: Lang) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let mut parts = Vec::new();
    // Whole days under 2 read better in hours (24 h).
    let (d, h) = if d == 1 && h == 0 && m == 0 && s == 0 {
        (0, 24)
    } else {
        (d, h)
    };
    if d > 0 {
        parts.push(format!("{d} {}", lang.pick("j", "d")));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// The file names a schedule (or "Back up now") makes:
/// `guichet-2026-11-30T07-00-00Z.redb`, `…Z.redb.age` when encrypted, and `…Z-2.redb`
/// for a second one in the same second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupName {
    /// Unix seconds (UTC) in the name.
    pub at: i64,
    /// 1 for the first backup of that second.
    pub n: u32,
    pub encrypted: bool,
}

const PREFIX: &str = "guichet-";

impl BackupName {
    pub fn file_name(&self) -> String {
        let stamp = ::time::OffsetDateTime::from_unix_timestamp(self.at)
            .ok()
            .and_then(|t| {
                t.format(::time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]-[minute]-[second]Z"
                ))
                .ok()
            })
            .unwrap_or_else(|| "0000-00-00T00-00-00Z".into());
        let n = if self.n > 1 {
            format!("-{}", self.n)
        } else {
            String::new()
        };
        let age = if self.encrypted { ".age" } else { "" };
        format!("{PREFIX}{stamp}{n}.redb{age}")
    }

    /// The name's parts, or `None` for any other file (never touched by retention).
    pub fn parse(name: &str) -> Option<BackupName> {
        let rest = name.strip_prefix(PREFIX)?;
        let (rest, encrypted) = match rest.strip_suffix(".redb.age") {
            Some(r) => (r, true),
            None => (rest.strip_suffix(".redb")?, false),
        };
        let stamp = rest.get(..20)?;
        let n = match &rest[20..] {
            "" => 1,
            more => {
                let n: u32 = more.strip_prefix('-')?.parse().ok()?;
                if n < 2 || more != format!("-{n}") {
                    return None;
                }
                n
            }
        };
        let at = ::time::PrimitiveDateTime::parse(
            stamp.strip_suffix('Z')?,
            ::time::macros::format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]"),
        )
        .ok()?
        .assume_utc()
        .unix_timestamp();
        Some(BackupName { at, n, encrypted })
    }

    fn order(&self) -> (i64, u32) {
        (self.at, self.n)
    }
}

/// Of the backup files among `names`, those to delete so that the `keep` newest
/// stay (files that are not backups are never listed). `keep` 0 keeps everything.
pub fn to_prune(names: &[String], keep: usize) -> Vec<String> {
    if keep == 0 {
        return Vec::new();
    }
    let mut ours: Vec<(BackupName, &String)> = names
        .iter()
        .filter_map(|n| BackupName::parse(n).map(|b| (b, n)))
        .collect();
    ours.sort_by(|a, b| b.0.order().cmp(&a.0.order()).then(b.1.cmp(a.1)));
    ours.into_iter()
        .skip(keep)
        .map(|(_, n)| n.clone())
        .collect()
}

/// When the next scheduled backup is due: a period after the newest backup, at
/// once without one; after a failure, not before `retry` has passed since it.
pub fn next_due(newest: Option<i64>, every: u64, failed_at: Option<i64>, retry: u64) -> i64 {
    let after_newest = newest.map_or(i64::MIN, |t| t.saturating_add(every as i64));
    let after_failure = failed_at.map_or(i64::MIN, |t| t.saturating_add(retry as i64));
    after_newest.max(after_failure)
}

/// How a backup is encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncryptionKind {
    /// Not encrypted: the file is a data file and the key file is not in it.
    #[default]
    None,
    /// For age recipients (X25519 public keys); the key file is inside.
    Recipients,
    /// With a passphrase (age's scrypt); the key file is inside.
    Passphrase,
}

impl EncryptionKind {
    pub fn words(&self, lang: Lang) -> &'static str {
        match self {
            EncryptionKind::None => lang.pick(
                "non chiffrées (le fichier de clés n'y est pas)",
                "not encrypted (the key file is not in them)",
            ),
            EncryptionKind::Recipients => lang.pick(
                "chiffrées pour une clé publique age (avec le fichier de clés)",
                "encrypted for an age public key (with the key file)",
            ),
            EncryptionKind::Passphrase => lang.pick(
                "chiffrées par une phrase secrète (avec le fichier de clés)",
                "encrypted with a passphrase (with the key file)",
            ),
        }
    }
}

/// The report written beside each backup (`<file>.json`) and inside an encrypted one
/// (`report.json`): no secret in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// The backup's file name.
    pub file: String,
    /// When it started (unix seconds).
    pub at: i64,
    pub duration_ms: u64,
    /// Of which the copy from the read transaction, and the checks on it.
    #[serde(default)]
    pub copy_ms: u64,
    #[serde(default)]
    pub check_ms: u64,
    /// Bytes of the backup file (0 in the copy inside an encrypted backup).
    pub size: u64,
    /// Bytes of the copied data file.
    pub data_size: u64,
    pub encryption: EncryptionKind,
    /// The key file is inside (encrypted backups only).
    pub key_file_included: bool,
    /// Rows per table, as the backup's read transaction saw them.
    pub rows: BTreeMap<String, u64>,
    /// The checks of `guichet check` on the copy: what they found (empty: passed),
    /// but for `in_flight`.
    pub problems: Vec<String>,
    /// Payments and operations that were with the acquirer at the backup's instant:
    /// the restored appliance settles them at its first start, as after a stop.
    pub in_flight: Vec<String>,
    /// The audit chain's head in the copy.
    pub audit_head: String,
    /// The copy's rows per table, counted again after it was written, equal `rows`.
    pub rows_match: bool,
}

impl BackupReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.rows_match
    }

    /// Transactions in the backup.
    pub fn transactions(&self) -> u64 {
        self.rows.get("transactions").copied().unwrap_or(0)
    }
}

/// The state of a backup's checks, on the Backups page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckState {
    Passed,
    Failed(String),
    /// No report beside the file.
    Unknown,
}

/// One backup in the backup directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub at: i64,
    pub size: u64,
    pub encrypted: bool,
    pub check: CheckState,
    pub transactions: Option<u64>,
    pub duration_ms: Option<u64>,
}

/// What the Backups page shows of the schedule (`--backup-dir`, `--backup-every`,
/// `--backup-keep`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleView {
    pub dir: String,
    pub every: u64,
    pub keep: usize,
    pub encryption: EncryptionKind,
    pub next_due: Option<i64>,
}

/// What is running and how the last backup went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Since when a backup runs (unix seconds), and who asked.
    pub running: Option<(i64, String)>,
    /// The last one that ended: when, its file and whether it failed (why).
    pub last: Option<LastRun>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastRun {
    pub at: i64,
    pub by: String,
    pub file: String,
    pub error: Option<String>,
}

/// `12,3 Mo` / `12.3 MB` (decimal megabytes; `0,4 Mo` under one).
pub fn size_text(bytes: u64, lang: Lang) -> String {
    let mb = format!("{:.1}", bytes as f64 / 1e6);
    match lang {
        Lang::Fr => format!("{} Mo", mb.replace('.', ",")),
        Lang::En => format!("{mb} MB"),
    }
}

/// `2,1 s` / `2.1 s`.
pub fn seconds_text(ms: u64, lang: Lang) -> String {
    let s = format!("{:.1} s", ms as f64 / 1000.0);
    match lang {
        Lang::Fr => s.replace('.', ","),
        Lang::En => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_a_number_and_a_unit_between_a_minute_and_a_year() {
        assert_eq!(parse_every("30m"), Ok(1_800));
        assert_eq!(parse_every("6h"), Ok(21_600));
        assert_eq!(parse_every(" 24h "), Ok(86_400));
        assert_eq!(parse_every("7d"), Ok(604_800));
        assert_eq!(parse_every("1d12h"), Ok(129_600));
        assert_eq!(parse_every("90s"), Ok(90));
        for bad in [
            "", "24", "h", "24x", "-1h", "1.5h", "0m", "30s", "400d", "6 h",
        ] {
            assert!(parse_every(bad).is_err(), "{bad} was accepted");
        }
        assert!(parse_every("99999999999999999999d").is_err());
        assert!(
            parse_every("24x")
                .unwrap_err()
                .contains("30m, 6h, 24h or 7d")
        );
    }

    #[test]
    fn a_period_reads_in_the_readers_language() {
        assert_eq!(every_text(86_400, Lang::Fr), "24 h");
        assert_eq!(every_text(604_800, Lang::Fr), "7 j");
        assert_eq!(every_text(604_800, Lang::En), "7 d");
        assert_eq!(every_text(1_800, Lang::En), "30 min");
        assert_eq!(every_text(129_600, Lang::En), "1 d 12 h");
    }

    #[test]
    fn sizes_and_durations_read_with_the_readers_decimal_mark() {
        assert_eq!(size_text(12_345_678, Lang::Fr), "12,3 Mo");
        assert_eq!(size_text(12_345_678, Lang::En), "12.3 MB");
        assert_eq!(seconds_text(2_149, Lang::Fr), "2,1 s");
        assert_eq!(seconds_text(2_149, Lang::En), "2.1 s");
    }

    #[test]
    fn backup_names_carry_their_utc_time_and_read_back() {
        let at = ::time::macros::datetime!(2026-11-30 07:00 UTC).unix_timestamp();
        let plain = BackupName {
            at,
            n: 1,
            encrypted: false,
        };
        assert_eq!(plain.file_name(), "guichet-2026-11-30T07-00-00Z.redb");
        let second = BackupName {
            at,
            n: 2,
            encrypted: true,
        };
        assert_eq!(
            second.file_name(),
            "guichet-2026-11-30T07-00-00Z-2.redb.age"
        );
        for b in [plain, second] {
            assert_eq!(BackupName::parse(&b.file_name()), Some(b));
        }
        for other in [
            "guichet.redb",
            "guichet-2026-11-30T07-00-00Z.redb.json",
            "guichet-2026-11-30T07-00-00Z-1.redb",
            "guichet-2026-11-30T07-00-00Z-02.redb",
            "guichet-2026-13-30T07-00-00Z.redb",
            "notes.txt",
            "guichet-2026-11-30T07-00-00Z.redb.partial",
        ] {
            assert_eq!(BackupName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn retention_keeps_the_newest_and_never_touches_other_files() {
        let name = |day: u32, n: u32, encrypted: bool| {
            BackupName {
                at: ::time::macros::datetime!(2026-11-01 07:00 UTC).unix_timestamp()
                    + i64::from(day) * 86_400,
                n,
                encrypted,
            }
            .file_name()
        };
        let mut names: Vec<String> = (0..10).map(|d| name(d, 1, d % 2 == 0)).collect();
        names.push(name(9, 2, false));
        names.push("guichet.redb".into());
        names.push("my-own-copy.redb".into());
        names.push(format!("{}.json", name(0, 1, true)));
        let pruned = to_prune(&names, 3);
        assert_eq!(pruned.len(), 8);
        for kept in [name(9, 2, false), name(9, 1, true), name(8, 1, false)] {
            assert!(!pruned.contains(&kept), "{kept} was pruned");
        }
        assert!(pruned.contains(&name(0, 1, true)));
        assert!(!pruned.iter().any(|p| !p.starts_with("guichet-2026")));
        assert!(!pruned.iter().any(|p| p.ends_with(".json")));
        assert!(to_prune(&names, 0).is_empty());
        assert!(to_prune(&names, 50).is_empty());
    }

    #[test]
    fn the_next_backup_is_due_a_period_after_the_newest_and_not_right_after_a_failure() {
        let day = 86_400;
        assert_eq!(next_due(None, day, None, 3_600), i64::MIN);
        assert_eq!(next_due(Some(1_000), day, None, 3_600), 1_000 + day as i64);
        // A failure an hour after the last backup that was due: retried an hour later.
        assert_eq!(
            next_due(Some(0), day, Some(day as i64 + 10), 3_600),
            day as i64 + 3_610
        );
        assert_eq!(next_due(None, day, Some(50), 3_600), 3_650);
    }
}
