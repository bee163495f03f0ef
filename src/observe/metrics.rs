//! The Prometheus metrics of one application (issue 16): counters moved as things
//! happen (requests, payments, operations, sign-in failures), gauges set from the
//! appliance's figures at each scrape. One registry per application, never the
//! process-wide one: two applications in one process (the tests) count apart.

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::domain::codes::ResultCode;
use crate::domain::system::{Counted, Figures};
use crate::domain::transaction::Operation;

/// Latency buckets (seconds): pages in milliseconds, exports in seconds.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The metrics of one application.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    payments: IntCounterVec,
    operations: IntCounterVec,
    sign_in_failures: IntCounterVec,
    lockouts: IntCounter,
    outbox_depth: IntGauge,
    outbox_overdue: IntGauge,
    callbacks_depth: IntGauge,
    callbacks_overdue: IntGauge,
    data_file_bytes: IntGauge,
    backup_age: IntGauge,
    writes: IntGaugeVec,
}

// The names, help texts and labels below are constants: a unit test builds them, so
// registering them cannot fail at run time.
#[allow(clippy::expect_used)]
fn registered<C: Collector + Clone + 'static>(
    registry: &Registry,
    made: prometheus::Result<C>,
) -> C {
    let c = made.expect("a metric with a constant, valid name");
    registry
        .register(Box::new(c.clone()))
        .expect("a metric registered once");
    c
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            registered(&r, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let gauge = |name: &str, help: &str| registered(&r, IntGauge::new(name, help));
        let requests = counter(
            "guichet_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            &["method", "route", "status"],
        );
        let latency = registered(
            &r,
            HistogramVec::new(
                HistogramOpts::new(
                    "guichet_http_request_duration_seconds",
                    "Time to answer an HTTP request (until its headers), by method and route template.",
                )
                .buckets(BUCKETS.to_vec()),
                &["method", "route"],
            ),
        );
        let payments = counter(
            "guichet_payments_total",
            "Payment attempts written (payment page and merchant API), by outcome and result code.",
            &["outcome", "code"],
        );
        let operations = counter(
            "guichet_operations_total",
            "Operations written (refund, capture, cancel, rebill, chargeback), by operation, outcome and result code.",
            &["operation", "outcome", "code"],
        );
        let sign_in_failures = counter(
            "guichet_sign_in_failures_total",
            "Refused sign-in steps (a wrong password or second-factor code, a locked name), by step.",
            &["step"],
        );
        let lockouts = registered(
            &r,
            IntCounter::new(
                "guichet_sign_in_lockouts_total",
                "Usernames locked by too many failures.",
            ),
        );
        let writes = registered(
            &r,
            IntGaugeVec::new(
                Opts::new(
                    "guichet_writer_writes",
                    "Writes in the writer now: running (inside their transaction) or waiting (for the durable commit).",
                ),
                &["state"],
            ),
        );
        let info = registered(
            &r,
            IntGaugeVec::new(
                Opts::new("guichet_build_info", "The running version (always 1)."),
                &["version"],
            ),
        );
        info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        for step in ["password", "code"] {
            sign_in_failures.with_label_values(&[step]);
        }
        Metrics {
            outbox_depth: gauge("guichet_outbox_depth", "Emails waiting in the outbox."),
            outbox_overdue: gauge(
                "guichet_outbox_oldest_overdue_seconds",
                "How long the email due first has waited past its due time (0: none due).",
            ),
            callbacks_depth: gauge(
                "guichet_callbacks_depth",
                "Callbacks to the shops waiting to be delivered.",
            ),
            callbacks_overdue: gauge(
                "guichet_callbacks_oldest_overdue_seconds",
                "How long the callback due first has waited past its due time (0: none due).",
            ),
            data_file_bytes: gauge("guichet_data_file_bytes", "Size of the data file."),
            backup_age: gauge(
                "guichet_backup_last_age_seconds",
                "Age of the newest backup that passed (or has no) check; -1: no backup yet or no backup directory.",
            ),
            registry: r,
            requests,
            latency,
            payments,
            operations,
            sign_in_failures,
            lockouts,
            writes,
        }
    }

    /// One answered request: `route` is the route template (`/transactions/:id`),
    /// never the path.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// A payment attempt written with `code`.
    pub fn payment(&self, code: ResultCode) {
        self.payments
            .with_label_values(&[outcome(code), &code.to_string()])
            .inc();
    }

    /// An operation written with `code`.
    pub fn operation(&self, op: Operation, code: ResultCode) {
        self.operations
            .with_label_values(&[op.key(), outcome(code), &code.to_string()])
            .inc();
    }

    /// A refused sign-in step: `password` or `code`.
    pub fn sign_in_failure(&self, step: &'static str) {
        self.sign_in_failures.with_label_values(&[step]).inc();
    }

    /// A username locked by this failure.
    pub fn lockout(&self) {
        self.lockouts.inc();
    }

    /// The text format of every metric, the gauges set from `f`.
    pub fn render(&self, f: &Figures) -> String {
        self.outbox_depth.set(clamp(f.outbox.depth));
        self.outbox_overdue.set(f.outbox.overdue(f.now));
        self.callbacks_depth.set(clamp(f.callbacks.depth));
        self.callbacks_overdue.set(f.callbacks.overdue(f.now));
        self.data_file_bytes.set(clamp(f.data_file_bytes));
        self.backup_age.set(f.last_backup_age().unwrap_or(-1));
        self.writes
            .with_label_values(&["running"])
            .set(clamp(f.writes_running));
        self.writes
            .with_label_values(&["waiting"])
            .set(clamp(f.writes_waiting));
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The counters summed, for Parameters › System.
    pub fn counted(&self) -> Counted {
        Counted {
            requests: sum(&self.requests, |_| true),
            server_errors: sum(&self.requests, |l| {
                label(l, "status").is_some_and(|s| s.starts_with('5'))
            }),
            payments_accepted: sum(&self.payments, |l| label(l, "outcome") == Some("accepted")),
            payments_refused: sum(&self.payments, |l| label(l, "outcome") == Some("refused")),
            operations: sum(&self.operations, |_| true),
            sign_in_failures: sum(&self.sign_in_failures, |_| true),
            lockouts: self.lockouts.get(),
        }
    }
}

fn outcome(code: ResultCode) -> &'static str {
    if code.is_accepted() {
        "accepted"
    } else {
        "refused"
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn label<'a>(labels: &'a [prometheus::proto::LabelPair], name: &str) -> Option<&'a str> {
    labels.iter().find(|l| l.name() == name).map(|l| l.value())
}

/// The sum of the counters of `vec` whose labels `keep` accepts.
fn sum(vec: &IntCounterVec, keep: impl Fn(&[prometheus::proto::LabelPair]) -> bool) -> u64 {
    vec.collect()
        .iter()
        .flat_map(|family| family.get_metric())
        .filter(|m| keep(m.get_label()))
        .map(|m| m.get_counter().get_value() as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::system::Queue;

    #[test]
    fn every_series_is_named_and_rendered_in_the_text_format() {
        let m = Metrics::new();
        m.request("GET", "/transactions/:id", 200, 0.012);
        m.request("GET", "/transactions/:id", 500, 0.3);
        m.payment(ResultCode::ACCEPTED);
        m.payment(ResultCode::INSUFFICIENT_FUNDS);
        m.operation(Operation::Refund, ResultCode::ACCEPTED);
        m.sign_in_failure("password");
        m.lockout();
        let text = m.render(&Figures {
            now: 1_000,
            data_file_bytes: 4096,
            outbox: Queue {
                depth: 3,
                first_due_at: Some(940),
            },
            last_backup_at: Some(400),
            ..Figures::default()
        });
        for line in [
            r#"guichet_http_requests_total{method="GET",route="/transactions/:id",status="200"} 1"#,
            r#"guichet_http_request_duration_seconds_bucket{method="GET",route="/transactions/:id",le="0.025"} 1"#,
            r#"guichet_payments_total{code="000",outcome="accepted"} 1"#,
            r#"guichet_payments_total{code="051",outcome="refused"} 1"#,
            r#"guichet_operations_total{code="000",operation="refund",outcome="accepted"} 1"#,
            r#"guichet_sign_in_failures_total{step="password"} 1"#,
            r#"guichet_sign_in_failures_total{step="code"} 0"#,
            "guichet_sign_in_lockouts_total 1",
            "guichet_outbox_depth 3",
            "guichet_outbox_oldest_overdue_seconds 60",
            "guichet_callbacks_depth 0",
            "guichet_data_file_bytes 4096",
            "guichet_backup_last_age_seconds 600",
            r#"guichet_writer_writes{state="running"} 0"#,
            "# TYPE guichet_http_request_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
        let t = m.counted();
        assert_eq!(
            (
                t.requests,
                t.server_errors,
                t.payments_accepted,
                t.payments_refused
            ),
            (2, 1, 1, 1)
        );
        assert_eq!((t.operations, t.sign_in_failures, t.lockouts), (1, 1, 1));
    }

    #[test]
    fn without_a_backup_its_age_is_minus_one() {
        let text = Metrics::new().render(&Figures::default());
        assert!(
            text.contains("guichet_backup_last_age_seconds -1"),
            "{text}"
        );
    }
}
