//! Raw flags and environment turned into a validated configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How to talk to the SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpSecurity {
    /// No encryption (a local relay or a test server).
    Plain,
    /// Upgrade with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where emails leave from. Without it, they wait in the outbox.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// `--ready-stuck-minutes` when not told.
pub const DEFAULT_READY_STUCK_MINUTES: u32 = 15;

/// The shortest metrics token accepted.
pub const MIN_METRICS_TOKEN: usize = 16;

/// Reads the metrics token: the first line of `path`, trimmed, at least
/// [`MIN_METRICS_TOKEN`] characters without spaces.
pub fn read_metrics_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--metrics-token-file {}: {e}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.chars().count() < MIN_METRICS_TOKEN || token.contains(char::is_whitespace) {
        return Err(format!(
            "--metrics-token-file {}: the first line must be a token of at least {MIN_METRICS_TOKEN} characters without spaces (e.g. openssl rand -hex 32)",
            path.display()
        ));
    }
    Ok(token)
}

/// What the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub data: PathBuf,
    /// The key file (`--key-file`); `None`: a systemd credential, else beside the data
    /// file (see `keys::resolve`).
    pub key_file: Option<PathBuf>,
    /// Public base URL used in links sent to customers, never the request's Host.
    pub base_url: String,
    pub smtp: Option<SmtpConfig>,
    /// The sender address of emails to customers.
    pub mail_from: String,
    /// Refused attempts on one payment request before it is blocked (585).
    pub max_attempts: u32,
    /// Rate limits and hashing slots of the sign-in door.
    pub sign_in: crate::auth::throttle::Limits,
    /// An export whose client reads nothing for this long is dropped.
    pub export_stall: std::time::Duration,
    /// Exports at once: per user, and in all.
    pub exports_per_user: usize,
    pub exports_total: usize,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The appliance's time zone (`--time-zone`): dates on customers' pages, in
    /// emails, and for every user who has not chosen their own.
    pub time_zone: crate::domain::zone::Zone,
    /// Hosts callbacks may reach even on a loopback, private or link-local address
    /// (`--callback-allow-host`), as `domain::callback::normalize_host` writes them.
    pub callback_allow_hosts: Vec<String>,
    /// Scheduled and on-demand backups (`--backup-dir`, `--backup-every`, …).
    pub backup: crate::backup::Settings,
    /// Serve the control socket beside the data file (`guichet backup` reaches the
    /// running server through it).
    pub control_socket: bool,
    /// How long housekeeping keeps finished emails, callbacks and operation keys
    /// (`--retain-emails-days`, `--retain-callbacks-days`).
    pub retention: crate::db::housekeeping::Retention,
    /// The bearer token `/metrics` asks for (`--metrics-token-file`); `None`: the
    /// metrics are off (`/metrics` is a 404).
    pub metrics_token: Option<String>,
    /// `/readyz` says not ready when the outbox or the callbacks have an item
    /// overdue by more than this many minutes (`--ready-stuck-minutes`).
    pub ready_stuck_minutes: u32,
}

impl Config {
    /// Validates the raw values: the base URL must be http(s) without a trailing slash.
    /// SMTP is off and the other settings have their defaults (the time zone is
    /// `Africa/Casablanca`).
    pub fn new(
        addr: SocketAddr,
        data: PathBuf,
        base_url: Option<String>,
    ) -> Result<Config, String> {
        let base_url = base_url.unwrap_or_else(|| format!("http://{addr}"));
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(format!(
                "--base-url must start with http:// or https:// (got {base_url:?})"
            ));
        }
        Ok(Config {
            addr,
            data,
            key_file: None,
            base_url,
            smtp: None,
            mail_from: "guichet@localhost".into(),
            max_attempts: crate::domain::payment::DEFAULT_MAX_ATTEMPTS,
            sign_in: crate::auth::throttle::Limits::default(),
            export_stall: std::time::Duration::from_secs(60),
            exports_per_user: 1,
            exports_total: 4,
            trusted_proxies: Vec::new(),
            time_zone: crate::domain::zone::Zone::default(),
            callback_allow_hosts: Vec::new(),
            backup: crate::backup::Settings::default(),
            control_socket: true,
            retention: crate::db::housekeeping::Retention::default(),
            metrics_token: None,
            ready_stuck_minutes: DEFAULT_READY_STUCK_MINUTES,
        })
    }

    /// The client of a request from `peer` carrying these X-Forwarded-For values:
    /// the peer itself unless it is a trusted proxy; else the right-most forwarded
    /// address that is not a trusted proxy (the left part can be forged by anyone).
    pub fn client_ip<'a>(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: impl Iterator<Item = &'a str>,
    ) -> std::net::IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|h| h.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if self.trusted_proxies.contains(&ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => return client,
            }
        }
        client
    }

    /// Cookies get `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &[&str]) -> Config {
        let mut c = Config::new("127.0.0.1:8080".parse().unwrap(), "g.redb".into(), None).unwrap();
        c.trusted_proxies = proxies.iter().map(|p| p.parse().unwrap()).collect();
        c
    }

    #[test]
    fn a_metrics_token_is_the_first_line_of_its_file_and_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  0123456789abcdef0123  \nignored\n").unwrap();
        assert_eq!(read_metrics_token(&file).unwrap(), "0123456789abcdef0123");
        std::fs::write(&file, "short\n").unwrap();
        assert!(
            read_metrics_token(&file)
                .unwrap_err()
                .contains("at least 16")
        );
        assert!(read_metrics_token(&dir.path().join("none")).is_err());
    }

    #[test]
    fn the_appliance_zone_is_casablanca_unless_told() {
        assert_eq!(config(&[]).time_zone.name(), "Africa/Casablanca");
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let none = config(&[]);
        assert_eq!(
            none.client_ip(ip("10.0.0.5"), ["198.51.100.7"].into_iter()),
            ip("10.0.0.5")
        );
        let c = config(&["10.0.0.5", "10.0.0.6"]);
        // The right-most untrusted hop is the client; what it claims before is not.
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), ["1.2.3.4, 198.51.100.7"].into_iter()),
            ip("198.51.100.7")
        );
        assert_eq!(
            c.client_ip(
                ip("10.0.0.5"),
                ["1.2.3.4", "198.51.100.7, 10.0.0.6"].into_iter()
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), std::iter::empty()),
            ip("10.0.0.5")
        );
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), ["garbage"].into_iter()),
            ip("10.0.0.5")
        );
        // A request straight from a client is the client, whatever it forwards.
        assert_eq!(
            c.client_ip(ip("203.0.113.9"), ["198.51.100.7"].into_iter()),
            ip("203.0.113.9")
        );
    }
}
