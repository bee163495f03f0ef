//! The log's format (`--log-format`): text for people, JSON (one object a line) for
//! a log collector. Either way the level comes from `GUICHET_LOG` (default `info`)
//! and nothing secret is written: card numbers, security codes, passwords, session
//! tokens and API secrets never reach a log call (the log scan test checks).

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event (the default).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`, the
    /// event's fields, and the request's span (`span.request_id`) inside a request.
    Json,
}

/// Installs the process's log subscriber (once, at start). A line that cannot be
/// written (the log's volume is full) is dropped silently: by default the
/// subscriber would report it on stderr, and a failed write to stderr panics —
/// outside any handler, that drops the connection of the request being logged.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GUICHET_LOG")
        .unwrap_or_else(|_| "info".into());
    match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .log_internal_errors(false)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .log_internal_errors(false)
            .init(),
    }
}
