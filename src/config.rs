//! Raw flags and environment turned into a validated configuration.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use poem::http::HeaderMap;

pub use crate::domain::blacklist::IpRange;

/// The header in which the trusted proxies write the client's address. Only that
/// one is read: a client can write the other, and a proxy passes it on untouched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx, Caddy, HAProxy `option forwardfor`).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client;proto=https, for=proxy1` (RFC 7239).
    Forwarded,
}

impl ProxyHeader {
    /// The addresses the proxies wrote, from the left (the farthest) to the right
    /// (the peer of the nearest proxy); `None` for a hop that is not an address.
    pub fn hops(self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let name = match self {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        };
        let elements = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("?"))
            .flat_map(|v| v.split(','));
        match self {
            ProxyHeader::XForwardedFor => elements.map(|h| h.trim().parse().ok()).collect(),
            ProxyHeader::Forwarded => elements.map(forwarded_for).collect(),
        }
    }
}

/// The address of the `for=` parameter of one `Forwarded` element: `192.0.2.60`,
/// `"192.0.2.60:4711"`, `"[2001:db8::17]:4711"`; `None` for `unknown`, an
/// obfuscated name (`_hidden`) or an element without `for`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    if let Some(bracketed) = value.strip_prefix('[') {
        return bracketed.split(']').next()?.parse().ok();
    }
    value.parse().ok().or_else(|| {
        let (ip, _port) = value.split_once(':')?;
        ip.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    })
}

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
    /// HTTPS on `addr` with these certificate files (`--tls-cert`, `--tls-key`).
    pub tls: Option<crate::tls::Settings>,
    /// HTTPS on `addr` with certificates obtained by ACME (`--acme-domain`).
    pub acme: Option<crate::acme::Settings>,
    /// A plain-HTTP listener redirecting to the HTTPS base URL (`--http-redirect-addr`).
    pub http_redirect_addr: Option<SocketAddr>,
    /// Reverse proxies (addresses or CIDR ranges) whose forwarding header is
    /// believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<IpRange>,
    /// The header those proxies write the client's address in (`--proxy-header`).
    pub proxy_header: ProxyHeader,
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
            tls: None,
            acme: None,
            http_redirect_addr: None,
            trusted_proxies: Vec::new(),
            proxy_header: ProxyHeader::default(),
            time_zone: crate::domain::zone::Zone::default(),
            callback_allow_hosts: Vec::new(),
            backup: crate::backup::Settings::default(),
            control_socket: true,
            retention: crate::db::housekeeping::Retention::default(),
            metrics_token: None,
            ready_stuck_minutes: DEFAULT_READY_STUCK_MINUTES,
        })
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|r| r.contains(ip))
    }

    /// The client of a request from `peer` with these headers: the peer itself
    /// unless it is a trusted proxy; else, in the header the proxies write, the
    /// right-most address that is not a trusted proxy (the left part can be forged by
    /// anyone). A hop that is not an address (`unknown`, garbage) stops the walk at
    /// the nearest trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted_proxy(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in self.proxy_header.hops(headers).into_iter().rev() {
            match hop {
                Some(ip) if self.is_trusted_proxy(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }

    /// Whether the appliance serves HTTPS itself (certificate files or ACME).
    pub fn serves_https(&self) -> bool {
        self.tls.is_some() || self.acme.is_some()
    }

    /// Cookies get `Secure` and the `__Host-` prefix, and answers HSTS, when the
    /// appliance serves HTTPS itself or its public URL is HTTPS (a TLS proxy).
    pub fn secure_cookies(&self) -> bool {
        self.serves_https() || self.base_url.starts_with("https://")
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, v.parse().unwrap());
        }
        h
    }

    fn xff(values: &[&str]) -> HeaderMap {
        headers("x-forwarded-for", values)
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
        let none = config(&[]);
        assert_eq!(
            none.client_ip(ip("10.0.0.5"), &xff(&["198.51.100.7"])),
            ip("10.0.0.5")
        );
        let c = config(&["10.0.0.5", "10.0.0.6"]);
        // The right-most untrusted hop is the client; what it claims before is not.
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), &xff(&["1.2.3.4, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), &xff(&["1.2.3.4", "198.51.100.7, 10.0.0.6"])),
            ip("198.51.100.7")
        );
        assert_eq!(c.client_ip(ip("10.0.0.5"), &xff(&[])), ip("10.0.0.5"));
        assert_eq!(
            c.client_ip(ip("10.0.0.5"), &xff(&["garbage"])),
            ip("10.0.0.5")
        );
        // A request straight from a client is the client, whatever it forwards.
        assert_eq!(
            c.client_ip(ip("203.0.113.9"), &xff(&["198.51.100.7"])),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_proxies_may_be_ranges_of_either_family() {
        let c = config(&["10.0.0.0/8", "::1", "2001:db8::/32"]);
        assert!(c.is_trusted_proxy(ip("10.200.3.4")));
        assert!(c.is_trusted_proxy(ip("::1")));
        assert!(c.is_trusted_proxy(ip("2001:db8:5::9")));
        // An IPv4 peer seen through a dual-stack socket.
        assert!(c.is_trusted_proxy(ip("::ffff:10.1.2.3")));
        assert!(!c.is_trusted_proxy(ip("11.0.0.1")));
        assert!(!c.is_trusted_proxy(ip("127.0.0.1")));
        // Two proxies of the range in a row: the client is before both.
        assert_eq!(
            c.client_ip(ip("10.0.0.2"), &xff(&["198.51.100.7, 10.9.9.9"])),
            ip("198.51.100.7")
        );
        assert!("10.0.0.1/8".parse::<IpRange>().is_err(), "host bits set");
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
    }

    #[test]
    fn the_forwarded_header_is_read_only_when_chosen() {
        let mut c = config(&["10.0.0.0/8"]);
        let mut h = headers(
            "forwarded",
            &[r#"for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https"#],
        );
        h.append("x-forwarded-for", "203.0.113.1".parse().unwrap());
        // By default only X-Forwarded-For is read.
        assert_eq!(c.client_ip(ip("10.0.0.1"), &h), ip("203.0.113.1"));
        c.proxy_header = ProxyHeader::Forwarded;
        assert_eq!(c.client_ip(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let cases = [
            (
                r#"For="192.0.2.60:8080";proto=http;by=10.0.0.1"#,
                "192.0.2.60",
            ),
            ("for=198.51.100.17, for=10.1.1.1", "198.51.100.17"),
            ("for=unknown", "10.0.0.1"),
            ("for=_hidden, for=10.2.2.2", "10.2.2.2"),
            ("proto=https", "10.0.0.1"),
        ];
        for (value, client) in cases {
            let h = headers("forwarded", &[value]);
            assert_eq!(c.client_ip(ip("10.0.0.1"), &h), ip(client), "{value}");
        }
        // An untrusted peer's Forwarded is ignored.
        let h = headers("forwarded", &["for=192.0.2.60"]);
        assert_eq!(c.client_ip(ip("192.0.2.1"), &h), ip("192.0.2.1"));
    }
}
