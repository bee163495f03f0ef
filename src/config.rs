//! Raw flags and environment turned into a validated configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub data: PathBuf,
    /// Public base URL used in links sent to customers, never the request's Host.
    pub base_url: String,
}

impl Config {
    /// Validates the raw values: the base URL must be http(s) without a trailing slash.
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
            base_url,
        })
    }

    /// Cookies get `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
