//! Automatic certificates by ACME (RFC 8555, Let's Encrypt by default): `--acme-domain`.
//!
//! The TLS-ALPN-01 challenge is answered by the HTTPS listener itself (a handshake
//! asking for `acme-tls/1` gets the challenge certificate), so only the HTTPS port
//! must be reachable from the CA. The account, the certificate and its key are kept in
//! `acme/` beside the data file: a restart serves the kept certificate at once. A
//! certificate is renewed 30 days before it ends; a failed attempt is tried again
//! later, the certificate in use staying.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// The ALPN protocol of the TLS-ALPN-01 challenge (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";
/// A certificate is renewed this long before it ends.
const RENEW_BEFORE: i64 = 30 * 24 * 3600;
/// How often the certificate's end is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(12 * 3600);

/// What to ask for, from where, and where to keep it.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The names of the certificate (the first is its subject).
    pub domains: Vec<String>,
    /// The account's contact (expiry notices from the CA).
    pub email: Option<String>,
    /// The CA's directory URL.
    pub directory: String,
    /// A root certificate (PEM) to trust for the directory's HTTPS instead of the
    /// system's: a test CA such as pebble's.
    pub directory_ca: Option<PathBuf>,
    /// Where the account, the certificate and its key are kept.
    pub cache: PathBuf,
    /// The wait after a failed attempt.
    pub retry_after: Duration,
}

impl Settings {
    /// `domains` from Let's Encrypt, kept in `acme/` beside `data`.
    pub fn new(domains: Vec<String>, data: &Path) -> Settings {
        let dir = data.parent().unwrap_or(Path::new("."));
        Settings {
            domains,
            email: None,
            directory: LETS_ENCRYPT.into(),
            directory_ca: None,
            cache: dir.join("acme"),
            retry_after: Duration::from_secs(600),
        }
    }

    /// A short tag of the directory (and the names), naming the kept files.
    fn tag(&self, with_domains: bool) -> String {
        let mut h = Sha256::new();
        h.update(self.directory.as_bytes());
        if with_domains {
            for d in &self.domains {
                h.update(b"\n");
                h.update(d.as_bytes());
            }
        }
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn cert_path(&self) -> PathBuf {
        self.cache.join(format!("cert-{}.pem", self.tag(true)))
    }

    fn key_path(&self) -> PathBuf {
        self.cache.join(format!("key-{}.pem", self.tag(true)))
    }

    fn account_path(&self) -> PathBuf {
        self.cache.join(format!("account-{}.json", self.tag(false)))
    }
}

/// Why a certificate could not be obtained (said in the log; tried again later).
#[derive(Debug, thiserror::Error)]
#[error("ACME: {0}")]
pub struct AcmeError(String);

impl From<instant_acme::Error> for AcmeError {
    fn from(e: instant_acme::Error) -> AcmeError {
        AcmeError(e.to_string())
    }
}

impl From<std::io::Error> for AcmeError {
    fn from(e: std::io::Error) -> AcmeError {
        AcmeError(e.to_string())
    }
}

fn err(message: impl std::fmt::Display) -> AcmeError {
    AcmeError(message.to_string())
}

/// The certificates handed to handshakes: the obtained one, and the challenge
/// certificates of an order under way (by name, for `acme-tls/1` only).
#[derive(Debug, Default)]
pub struct AcmeCertificates {
    current: RwLock<Option<(Arc<CertifiedKey>, i64)>>,
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl AcmeCertificates {
    /// When the certificate in use ends (Unix seconds), if there is one.
    pub fn not_after(&self) -> Option<i64> {
        self.current.read().ok()?.as_ref().map(|(_, end)| *end)
    }

    fn set(&self, key: CertifiedKey, not_after: i64) {
        if let Ok(mut current) = self.current.write() {
            *current = Some((Arc::new(key), not_after));
        }
    }
}

impl ResolvesServerCert for AcmeCertificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let challenge = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if challenge {
            let name = hello.server_name()?;
            return self.challenges.read().ok()?.get(name).cloned();
        }
        self.current.read().ok()?.as_ref().map(|(k, _)| k.clone())
    }
}

/// A certificate chain and key of PEM text, with the end of the first certificate.
fn pair(chain_pem: &[u8], key_pem: &[u8]) -> Result<(CertifiedKey, i64), AcmeError> {
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(format!("certificate: {e}")))?;
    let end = chain
        .first()
        .and_then(|c| not_after(c))
        .ok_or_else(|| err("no readable certificate"))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| err(format!("key: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(err)?;
    Ok((certified, end))
}

/// Obtains and renews the certificate of `settings` into `certificates`.
pub struct Acme {
    settings: Settings,
    certificates: Arc<AcmeCertificates>,
}

impl Acme {
    pub fn new(settings: Settings, certificates: Arc<AcmeCertificates>) -> Acme {
        Acme {
            settings,
            certificates,
        }
    }

    /// Serves the kept certificate, if there is one for these names (at start).
    pub fn load_kept(&self) -> bool {
        let (Ok(chain), Ok(key)) = (
            std::fs::read(self.settings.cert_path()),
            std::fs::read(self.settings.key_path()),
        ) else {
            return false;
        };
        match pair(&chain, &key) {
            Ok((key, end)) => {
                self.certificates.set(key, end);
                true
            }
            Err(e) => {
                tracing::warn!("the kept ACME certificate is not used: {e}");
                false
            }
        }
    }

    /// Obtains a certificate when there is none or it ends within 30 days, then
    /// looks again every 12 hours, until `stop` resolves.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let wait = match self.renew_if_due().await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::error!("{e}; tried again in {:?}", self.settings.retry_after);
                    self.settings.retry_after
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => break,
            }
        }
    }

    /// Renews when due; the wait until the next look.
    async fn renew_if_due(&self) -> Result<Duration, AcmeError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some(end) = self.certificates.not_after() {
            let due = end - RENEW_BEFORE;
            if now < due {
                let until = Duration::from_secs(u64::try_from(due - now).unwrap_or(0));
                return Ok(until.min(CHECK_EVERY));
            }
        }
        self.obtain().await?;
        Ok(CHECK_EVERY)
    }

    /// The account on the directory: the kept one, or a new one (then kept).
    async fn account(&self) -> Result<Account, AcmeError> {
        let s = &self.settings;
        let builder = || match &s.directory_ca {
            Some(ca) => Account::builder_with_root(ca),
            None => Account::builder(),
        };
        let path = s.account_path();
        if let Ok(json) = std::fs::read(&path) {
            let credentials: AccountCredentials = serde_json::from_slice(&json).map_err(err)?;
            return Ok(builder()?.from_credentials(credentials).await?);
        }
        let contact = s.email.as_ref().map(|e| format!("mailto:{e}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let new = NewAccount {
            contact: &contacts,
            terms_of_service_agreed: true,
            only_return_existing: false,
        };
        let (account, credentials) = builder()?.create(&new, s.directory.clone(), None).await?;
        write_private(&path, &serde_json::to_vec(&credentials).map_err(err)?)?;
        tracing::info!(directory = %s.directory, "ACME account created");
        Ok(account)
    }

    /// One order: the challenges answered on the HTTPS listener, the certificate
    /// kept and served.
    async fn obtain(&self) -> Result<(), AcmeError> {
        let s = &self.settings;
        tracing::info!(domains = ?s.domains, directory = %s.directory, "asking for a certificate");
        let account = self.account().await?;
        let identifiers: Vec<Identifier> = s
            .domains
            .iter()
            .map(|d| Identifier::Dns(d.clone()))
            .collect();
        let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
        let answered = self.answer_challenges(&mut order).await;
        let result = match answered {
            Ok(()) => self.finish(&mut order).await,
            Err(e) => Err(e),
        };
        if let Ok(mut challenges) = self.certificates.challenges.write() {
            challenges.clear();
        }
        result
    }

    async fn answer_challenges(&self, order: &mut instant_acme::Order) -> Result<(), AcmeError> {
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            match authorization.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => return Err(err(format!("an authorization is {other:?}"))),
            }
            let mut challenge = authorization
                .challenge(ChallengeType::TlsAlpn01)
                .ok_or_else(|| err("the CA offers no tls-alpn-01 challenge"))?;
            let name = challenge.identifier().to_string();
            let digest = challenge.key_authorization().digest();
            let certificate = challenge_certificate(&name, digest.as_ref())?;
            if let Ok(mut challenges) = self.certificates.challenges.write() {
                challenges.insert(name, Arc::new(certificate));
            }
            challenge.set_ready().await?;
        }
        Ok(())
    }

    async fn finish(&self, order: &mut instant_acme::Order) -> Result<(), AcmeError> {
        let retries = RetryPolicy::new().timeout(Duration::from_secs(120));
        let status = order.poll_ready(&retries).await?;
        if status != OrderStatus::Ready {
            return Err(err(format!("the order is {status:?}")));
        }
        let key_pem = order.finalize().await?;
        let chain_pem = order.poll_certificate(&retries).await?;
        let (key, end) = pair(chain_pem.as_bytes(), key_pem.as_bytes())?;
        write_private(&self.settings.key_path(), key_pem.as_bytes())?;
        write_private(&self.settings.cert_path(), chain_pem.as_bytes())?;
        self.certificates.set(key, end);
        tracing::info!(domains = ?self.settings.domains, not_after = end, "ACME certificate obtained");
        Ok(())
    }
}

/// The self-signed certificate of a TLS-ALPN-01 challenge for `name` (RFC 8737).
fn challenge_certificate(name: &str, digest: &[u8]) -> Result<CertifiedKey, AcmeError> {
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).map_err(err)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let cert = params.self_signed(&key).map_err(err)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    // Not `CertifiedKey::from_der`: its check parses the certificate with webpki,
    // which refuses the critical acmeIdentifier extension the challenge needs.
    let signing = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(err)?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signing))
}

/// Writes a file only its owner can read, replacing it whole.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AcmeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// One DER element of `tag`: its content and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = if len < 0x80 {
        (usize::from(len), rest)
    } else {
        let n = usize::from(len & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Skips one DER element, whatever its tag.
fn skip(input: &[u8]) -> Option<&[u8]> {
    element(input, *input.first()?).map(|(_, rest)| rest)
}

/// The end of validity (`notAfter`, Unix seconds) of a DER certificate.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (certificate, _) = element(der, 0x30)?;
    let (mut tbs, _) = element(certificate, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = skip(tbs)?; // version
    }
    let tbs = skip(skip(skip(tbs)?)?)?; // serial, signature algorithm, issuer
    let (validity, _) = element(tbs, 0x30)?;
    let after = skip(validity)?; // notBefore
    let (text, year) = match after.first()? {
        0x17 => {
            let (t, _) = element(after, 0x17)?;
            let yy: i32 = std::str::from_utf8(t.get(..2)?).ok()?.parse().ok()?;
            (t.get(2..)?, if yy < 50 { 2000 + yy } else { 1900 + yy })
        }
        0x18 => {
            let (t, _) = element(after, 0x18)?;
            let yyyy: i32 = std::str::from_utf8(t.get(..4)?).ok()?.parse().ok()?;
            (t.get(4..)?, yyyy)
        }
        _ => return None,
    };
    let digits = std::str::from_utf8(text.get(..10)?).ok()?;
    let field = |i: usize| digits.get(i..i + 2)?.parse::<u8>().ok();
    let month = time::Month::try_from(field(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, field(2)?).ok()?;
    let at = date
        .with_hms(field(4)?, field(6)?, field(8)?)
        .ok()?
        .assume_utc();
    Some(at.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_certificate_is_read_from_its_der() {
        for (year, end) in [
            (2031, 1_940_630_400),
            (2049, 2_508_710_400),
            (2051, 2_571_782_400),
        ] {
            let mut params = rcgen::CertificateParams::new(vec!["pay.example.ma".into()]).unwrap();
            params.not_after = time::Date::from_calendar_date(year, time::Month::July, 1)
                .unwrap()
                .midnight()
                .assume_utc();
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            assert_eq!(not_after(cert.der()), Some(end), "{year}");
        }
        assert_eq!(not_after(b"\x30\x03\x02\x01"), None);
    }

    #[test]
    fn a_challenge_certificate_carries_the_critical_acme_identifier_of_its_digest() {
        let digest = [7u8; 32];
        let c = challenge_certificate("pay.example.ma", &digest).unwrap();
        let der = c.cert[0].as_ref();
        // id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31), critical, OCTET STRING of the
        // OCTET STRING of the digest.
        let mut expected = vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f];
        expected.extend([0x01, 0x01, 0xff, 0x04, 0x22, 0x04, 0x20]);
        expected.extend(digest);
        assert!(der.windows(expected.len()).any(|w| w == expected));
        let certs = AcmeCertificates::default();
        assert!(
            certs.not_after().is_none(),
            "nothing to serve before an order"
        );
    }

    #[test]
    fn kept_files_are_named_by_directory_and_names() {
        let mut s = Settings::new(
            vec!["a.example".into()],
            Path::new("/var/lib/guichet/g.redb"),
        );
        assert_eq!(s.cache, Path::new("/var/lib/guichet/acme"));
        let first = s.cert_path();
        s.domains.push("b.example".into());
        assert_ne!(first, s.cert_path());
        assert_eq!(s.account_path(), {
            s.domains.clear();
            s.account_path()
        });
    }
}
