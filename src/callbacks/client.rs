//! The outbound HTTP client of callbacks: HTTP/1.1, rustls with the ring provider and
//! the platform's certificate store, no proxy, no redirect, a 10 s limit, and no way
//! to reach the appliance's own network: an IP literal is checked before connecting,
//! a name is resolved by [`GuardedResolver`], which drops forbidden addresses, so the
//! address checked is the address connected to (a name that resolves differently
//! the second time cannot slip through). Hosts an admin allowed skip both checks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::callback::{
    self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, forbidden_address, host_allowed,
};

/// How long a delivery may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of the shop's answer read (enough for any acknowledgement).
const MAX_ANSWER: usize = 64 * 1024;

/// What one delivery gave: the HTTP status if the shop answered, why it is not
/// acknowledged (`None`: acknowledged), and how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub millis: u32,
}

/// Resolves names for the client and keeps only the addresses a callback may reach.
struct GuardedResolver {
    allowed: Arc<Vec<String>>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if host_allowed(&host, &allowed) {
                return Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs);
            }
            let mut refused = None;
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match forbidden_address(a.ip()) {
                    Some(why) => {
                        refused.get_or_insert((a.ip(), why));
                        false
                    }
                    None => true,
                })
                .collect();
            match (usable.is_empty(), refused) {
                (true, Some((ip, why))) => Err(Refused(format!(
                    "refused: {host} resolves to {ip}, a {why} (an admin may allow the host with --callback-allow-host)"
                ))
                .into()),
                _ => Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// A connection the address check refused (found in the error chain by its text).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Makes ring (the provider mail-send already uses) the process's rustls crypto
/// provider, unless one is set. reqwest is built without a provider of its own (no
/// aws-lc-rs), so every reqwest client of the process, not only the callbacks',
/// needs this before it is built. Idempotent.
pub fn use_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The callback client (cheap to clone).
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    allowed: Arc<Vec<String>>,
    timeout: Duration,
}

impl Sender {
    /// A client allowed to reach `allowed` hosts even on private addresses, with
    /// `timeout` per delivery.
    pub fn new(allowed: Vec<String>, timeout: Duration) -> Result<Sender, String> {
        use rustls_platform_verifier::BuilderVerifierExt;
        use_ring_provider();
        let allowed = Arc::new(allowed);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_platform_verifier())
            .map_err(|e| format!("callbacks: TLS: {e}"))?
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .dns_resolver(GuardedResolver {
                allowed: allowed.clone(),
            })
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(8)
            .user_agent(concat!("Guichet-Callback/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("callbacks: HTTP client: {e}"))?;
        Ok(Sender {
            http,
            allowed,
            timeout,
        })
    }

    /// Why a callback to `url` may not even be tried: not an http(s) URL, or an IP
    /// literal the address check refuses (names are checked when resolved).
    pub fn refusal(&self, url: &str) -> Option<String> {
        if let Err((_, en)) = callback::check_url(url) {
            return Some(format!("refused: {en}"));
        }
        let parsed = url::Url::parse(url).ok()?;
        let ip = match parsed.host()? {
            url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
            url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
            url::Host::Domain(_) => return None,
        };
        let host = parsed.host_str().unwrap_or_default();
        if host_allowed(host, &self.allowed) {
            return None;
        }
        forbidden_address(ip).map(|why| {
            format!(
                "refused: {ip} is a {why} (an admin may allow the host with --callback-allow-host)"
            )
        })
    }

    /// POSTs `body` to `url`, signed with `secret` at `timestamp`, and judges the
    /// answer (see `domain::callback::acknowledged`).
    pub async fn deliver(
        &self,
        id: u64,
        url: &str,
        body: &str,
        secret: &str,
        timestamp: i64,
    ) -> Outcome {
        let started = Instant::now();
        let millis = || u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        if let Some(why) = self.refusal(url) {
            return Outcome {
                http_status: None,
                error: Some(why),
                millis: millis(),
            };
        }
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                callback::sign(secret, timestamp, body.as_bytes()),
            )
            .header(ID_HEADER, id.to_string())
            .body(body.to_string())
            .send()
            .await;
        let mut answer = match sent {
            Ok(a) => a,
            Err(e) => {
                return Outcome {
                    http_status: None,
                    error: Some(describe(&e, self.timeout)),
                    millis: millis(),
                };
            }
        };
        let status = answer.status().as_u16();
        let mut bytes = Vec::new();
        loop {
            match answer.chunk().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() >= MAX_ANSWER {
                        bytes.truncate(MAX_ANSWER);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        http_status: Some(status),
                        error: Some(format!(
                            "HTTP {status}, then {}",
                            describe(&e, self.timeout)
                        )),
                        millis: millis(),
                    };
                }
            }
        }
        Outcome {
            http_status: Some(status),
            error: callback::acknowledged(status, &bytes).err(),
            millis: millis(),
        }
    }
}

/// A failed request in a few words: the refusal of the address check as it is,
/// else what went wrong with its innermost cause.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return r.0.clone();
        }
        let text = s.to_string();
        if text.starts_with("refused: ") {
            return text;
        }
        causes.push(text);
        source = s.source();
    }
    let what = if e.is_timeout() {
        format!("no answer within {} s", timeout.as_secs_f32())
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let cause = causes.last().cloned().unwrap_or_default();
    crate::domain::text::log_safe_max(&format!("{what}: {cause}"), 300)
}
