//! The appliance's key figures and readiness (issue 16, OPSX-1): what `/metrics`,
//! `/readyz` and Parameters › System show. Pure: the figures are read elsewhere
//! (cheap reads: counts and first rows of the queues' due indexes, the data file's
//! size, the newest backup) and the time is passed in.

use super::Lang;

/// A queue of work the appliance sends in the background (the email outbox, the
/// callbacks to the shops): how many items wait and when the first is due.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    pub depth: u64,
    /// The due time (unix seconds) of the item due first; `None` when empty.
    pub first_due_at: Option<i64>,
}

impl Queue {
    /// How long the item due first has waited past its due time (0 when none is
    /// due). A working sender takes a due item within seconds; retries move an item's
    /// due time forward, so this grows only when the sender itself is stuck.
    pub fn overdue(&self, now: i64) -> i64 {
        self.first_due_at.map_or(0, |at| (now - at).max(0))
    }
}

/// What the appliance reads about itself at a scrape or a page view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// When the figures were read (unix seconds, the application clock).
    pub now: i64,
    pub data_file_bytes: u64,
    pub outbox: Queue,
    pub callbacks: Queue,
    /// A backup directory is configured (`--backup-dir`).
    pub backups_configured: bool,
    /// When the newest backup that did not fail its check was made.
    pub last_backup_at: Option<i64>,
    /// Writes inside their write transaction now.
    pub writes_running: u64,
    /// Writes committed and waiting for the durable commit that covers them.
    pub writes_waiting: u64,
}

impl Figures {
    /// Seconds since the newest backup; `None` without one.
    pub fn last_backup_age(&self) -> Option<i64> {
        self.last_backup_at.map(|at| (self.now - at).max(0))
    }
}

/// What the metrics counted since the start (Parameters › System).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    pub requests: u64,
    /// Answers with a 5xx status.
    pub server_errors: u64,
    pub payments_accepted: u64,
    pub payments_refused: u64,
    pub operations: u64,
    pub sign_in_failures: u64,
    pub lockouts: u64,
}

/// What the write probe of `/readyz` found: a tiny write transaction committed
/// durably through the writer, as every write is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Committed, in this many milliseconds.
    Written { ms: u64 },
    /// The write failed: the cause (a full disk, a latched I/O error…).
    Failed(String),
    /// The write has not come back after this many seconds: the writer is stuck.
    Stuck { secs: u64 },
}

/// The limits of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyLimits {
    /// A queue whose first due item is overdue by more than this is stuck (seconds).
    pub stuck_after: i64,
    /// Emails can leave (an SMTP server is configured). Without one the outbox
    /// fills by design: it is then not a readiness condition.
    pub smtp: bool,
}

/// One readiness condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `data_file`, `writer`, `outbox` or `callbacks` (the JSON key).
    pub name: &'static str,
    pub ok: bool,
    /// What was seen, in English (the JSON of `/readyz`).
    pub detail: String,
}

impl Check {
    /// The condition's name on Parameters › System.
    pub fn label(&self, lang: Lang) -> &'static str {
        let (fr, en) = match self.name {
            "data_file" => ("Fichier de données inscriptible", "Data file writable"),
            "writer" => ("Écritures qui avancent", "Writes moving"),
            "outbox" => ("Envoi des emails", "Email sending"),
            _ => ("Envoi des callbacks", "Callback sending"),
        };
        lang.pick(fr, en)
    }
}

/// The readiness conditions: the data file takes a write, the writer is not stuck,
/// the outbox (when emails can leave) and the callbacks are not stuck for more than
/// `limits.stuck_after`.
pub fn readiness(f: &Figures, probe: &Probe, limits: ReadyLimits) -> Vec<Check> {
    let (data_ok, data_detail, writer_ok, writer_detail) = match probe {
        Probe::Written { ms } => (
            true,
            "a write transaction committed".to_string(),
            true,
            format!("the probe write took {ms} ms"),
        ),
        Probe::Failed(e) => (
            false,
            format!("a write transaction failed: {e}"),
            true,
            "the writer answered".to_string(),
        ),
        Probe::Stuck { secs } => (
            false,
            "the probe write has not come back".to_string(),
            false,
            format!("the probe write has waited {secs} s"),
        ),
    };
    let queue = |name: &'static str, q: &Queue, applies: bool| {
        let late = q.overdue(f.now);
        let ok = !applies || late <= limits.stuck_after;
        let mut detail = format!("{} waiting, the first overdue by {late} s", q.depth);
        if !applies {
            detail.push_str(" (no SMTP server: messages wait in the outbox)");
        } else if !ok {
            detail.push_str(&format!(" (stuck: over {} s)", limits.stuck_after));
        }
        Check { name, ok, detail }
    };
    vec![
        Check {
            name: "data_file",
            ok: data_ok,
            detail: data_detail,
        },
        Check {
            name: "writer",
            ok: writer_ok,
            detail: writer_detail,
        },
        queue("outbox", &f.outbox, limits.smtp),
        queue("callbacks", &f.callbacks, true),
    ]
}

/// Whether every condition holds.
pub fn is_ready(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.ok)
}

/// A duration for people: `45 s`, `12 min`, `3 h 05`, `2 j 4 h` / `2 d 4 h`.
pub fn age_text(secs: i64, lang: Lang) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s < 86_400 {
        format!("{} h {:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!(
            "{} {} {} h",
            s / 86_400,
            lang.pick("j", "d"),
            (s % 86_400) / 3600
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        Figures {
            now: 10_000,
            outbox: Queue {
                depth: 2,
                first_due_at: Some(9_990),
            },
            callbacks: Queue::default(),
            ..Figures::default()
        }
    }

    const LIMITS: ReadyLimits = ReadyLimits {
        stuck_after: 900,
        smtp: true,
    };

    #[test]
    fn an_appliance_that_writes_and_sends_is_ready() {
        let checks = readiness(&figures(), &Probe::Written { ms: 3 }, LIMITS);
        assert!(is_ready(&checks), "{checks:?}");
        let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
        assert_eq!(names, ["data_file", "writer", "outbox", "callbacks"]);
    }

    #[test]
    fn a_queue_overdue_past_the_limit_is_stuck_but_not_an_outbox_without_smtp() {
        let mut f = figures();
        f.outbox.first_due_at = Some(f.now - 901);
        let checks = readiness(&f, &Probe::Written { ms: 3 }, LIMITS);
        assert!(!is_ready(&checks));
        let outbox = checks.iter().find(|c| c.name == "outbox").unwrap();
        assert!(!outbox.ok && outbox.detail.contains("901 s"), "{outbox:?}");
        let no_smtp = ReadyLimits {
            smtp: false,
            ..LIMITS
        };
        assert!(is_ready(&readiness(&f, &Probe::Written { ms: 3 }, no_smtp)));
        // Exactly at the limit is still fine; an item due later is not overdue.
        f.outbox.first_due_at = Some(f.now - 900);
        assert!(is_ready(&readiness(&f, &Probe::Written { ms: 3 }, LIMITS)));
        assert_eq!(
            Queue {
                depth: 1,
                first_due_at: Some(f.now + 60)
            }
            .overdue(f.now),
            0
        );
    }

    #[test]
    fn a_failed_or_stuck_write_makes_the_appliance_not_ready() {
        let failed = readiness(&figures(), &Probe::Failed("disk full".into()), LIMITS);
        assert!(!failed[0].ok && failed[1].ok);
        assert!(failed[0].detail.contains("disk full"));
        let stuck = readiness(&figures(), &Probe::Stuck { secs: 5 }, LIMITS);
        assert!(!stuck[0].ok && !stuck[1].ok);
    }

    #[test]
    fn ages_read_in_seconds_minutes_hours_and_days() {
        assert_eq!(age_text(45, Lang::Fr), "45 s");
        assert_eq!(age_text(720, Lang::En), "12 min");
        assert_eq!(age_text(3 * 3600 + 300, Lang::Fr), "3 h 05");
        assert_eq!(age_text(2 * 86_400 + 4 * 3600, Lang::Fr), "2 j 4 h");
        assert_eq!(age_text(2 * 86_400 + 4 * 3600, Lang::En), "2 d 4 h");
        assert_eq!(age_text(-5, Lang::En), "0 s");
    }
}
