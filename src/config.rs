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
}

impl Config {
    /// Validates the raw values: the base URL must be http(s) without a trailing slash.
    /// SMTP is off and the other settings have their defaults.
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
        })
    }

    /// Cookies get `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
