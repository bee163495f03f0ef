//! HTTPS served by the binary itself: the certificate chain and key of PEM files
//! (`--tls-cert`, `--tls-key`), reloaded on SIGHUP and when the files change, and the
//! plain-HTTP listener that sends every request to the same path over HTTPS.
//!
//! rustls runs through tokio-rustls with the ring provider, as the rest of the binary
//! (poem's own `rustls` feature would bring aws-lc-rs). A reload swaps the key the
//! resolver hands to new handshakes: open connections keep theirs and are not cut.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Where the certificate and its key are, and how often to look for a new one.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The certificate chain, PEM: the server's certificate first.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often both files are looked at for a change (SIGHUP reloads at once);
    /// zero: only on SIGHUP.
    pub watch_every: Duration,
}

impl Settings {
    /// The files, looked at every 5 seconds.
    pub fn new(cert: PathBuf, key: PathBuf) -> Settings {
        Settings {
            cert,
            key,
            watch_every: Duration::from_secs(5),
        }
    }
}

/// Why a certificate could not be loaded (the one in use, if any, stays).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: no PEM certificate (BEGIN CERTIFICATE) in it", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it: {reason}", path.display())]
    NoKey { path: PathBuf, reason: String },
    #[error("the key {} does not go with the certificate {}: {reason}", key.display(), cert.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("TLS: {0}")]
    Rustls(String),
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and checks the certificate chain and its key.
pub fn load(settings: &Settings) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(&settings.cert)?;
    let key_pem = read(&settings.key)?;
    let no_certificate = || TlsError::NoCertificate {
        path: settings.cert.clone(),
    };
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| no_certificate())?;
    if chain.is_empty() {
        return Err(no_certificate());
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::NoKey {
        path: settings.key.clone(),
        reason: e.to_string(),
    })?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(chain, key, &provider).map_err(|e| TlsError::Mismatch {
        cert: settings.cert.clone(),
        key: settings.key.clone(),
        reason: e.to_string(),
    })
}

/// What the files looked like when last read: their modification times and sizes.
type Stamp = [(Option<SystemTime>, u64); 2];

fn stamp(settings: &Settings) -> Stamp {
    let one = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| (m.modified().ok(), m.len()))
            .unwrap_or((None, 0))
    };
    [one(&settings.cert), one(&settings.key)]
}

/// The certificate handed to every new handshake, reloadable.
#[derive(Debug)]
pub struct Certificates {
    settings: Settings,
    current: RwLock<Arc<CertifiedKey>>,
    seen: Mutex<Stamp>,
}

impl Certificates {
    /// Loads the files; an unreadable or mismatched pair is an error.
    pub fn load(settings: Settings) -> Result<Certificates, TlsError> {
        let seen = stamp(&settings);
        let key = load(&settings)?;
        Ok(Certificates {
            settings,
            current: RwLock::new(Arc::new(key)),
            seen: Mutex::new(seen),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reads the files again: new handshakes get the new certificate; on an error
    /// the one in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let now = stamp(&self.settings);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = now;
        }
        let key = load(&self.settings)?;
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(key);
        }
        Ok(())
    }

    /// Whether a file changed since it was last read.
    fn changed(&self) -> bool {
        let now = stamp(&self.settings);
        self.seen.lock().map(|seen| *seen != now).unwrap_or(false)
    }

    /// Reloads and says so in the log (`why`: what asked for it).
    fn reload_logged(&self, why: &str) {
        match self.reload() {
            Ok(()) => tracing::info!(
                cert = %self.settings.cert.display(),
                "TLS certificate reloaded ({why})"
            ),
            Err(e) => {
                tracing::error!("TLS certificate not reloaded ({why}), the previous one stays: {e}")
            }
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| k.clone())
    }
}

/// The server side of TLS: TLS 1.2 and 1.3 with the ring provider, HTTP/2 and
/// HTTP/1.1 offered (and `acme-tls/1` for ACME challenges when `acme`), the
/// certificate from `resolver` at each handshake.
pub fn server_config(
    resolver: Arc<dyn ResolvesServerCert>,
    acme: bool,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme {
        config
            .alpn_protocols
            .push(crate::acme::ACME_TLS_ALPN.to_vec());
    }
    Ok(Arc::new(config))
}

/// Watches the files of `certificates`: reloads on SIGHUP and when they change.
pub struct Watcher {
    certificates: Arc<Certificates>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Watcher {
    /// Listens for SIGHUP from now on (so that a SIGHUP sent once the server
    /// answers never ends the process).
    pub fn new(certificates: Arc<Certificates>) -> Watcher {
        #[cfg(unix)]
        let hangup = {
            use tokio::signal::unix::{SignalKind, signal};
            signal(SignalKind::hangup())
                .map_err(|e| tracing::warn!("SIGHUP will not reload the certificate: {e}"))
                .ok()
        };
        Watcher {
            certificates,
            #[cfg(unix)]
            hangup,
        }
    }

    /// Runs until `stop` resolves.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let every = self.certificates.settings.watch_every;
        let watching = !every.is_zero();
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick(), if watching => {
                    if self.certificates.changed() {
                        self.certificates.reload_logged("the files changed");
                    }
                }
                () = self.hangup() => self.certificates.reload_logged("SIGHUP"),
                () = &mut stop => break,
            }
        }
    }

    async fn hangup(&mut self) {
        #[cfg(unix)]
        if let Some(h) = self.hangup.as_mut() {
            if h.recv().await.is_some() {
                return;
            }
            self.hangup = None;
        }
        std::future::pending().await
    }
}

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An acceptor speaking TLS over the connections of `inner`. The handshake runs
/// with the connection's first reads and writes, never in the accept loop.
pub struct TlsAcceptor<A> {
    inner: A,
    tls: tokio_rustls::TlsAcceptor,
}

impl<A> TlsAcceptor<A> {
    pub fn new(inner: A, config: Arc<ServerConfig>) -> TlsAcceptor<A> {
        TlsAcceptor {
            inner,
            tls: tokio_rustls::TlsAcceptor::from(config),
        }
    }
}

impl<A: Acceptor> Acceptor for TlsAcceptor<A> {
    type Io = TlsIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, _) = self.inner.accept().await?;
        let deadline = Box::pin(tokio::time::sleep(HANDSHAKE_TIMEOUT));
        let io = TlsIo::Handshaking(Box::new(self.tls.accept(io)), deadline);
        Ok((io, local, remote, Scheme::HTTPS))
    }
}

/// A connection during, then after, its TLS handshake.
pub enum TlsIo<Io> {
    Handshaking(Box<tokio_rustls::Accept<Io>>, Pin<Box<tokio::time::Sleep>>),
    Ready(Box<tokio_rustls::server::TlsStream<Io>>),
    Failed,
}

impl<Io: AsyncRead + AsyncWrite + Unpin> TlsIo<Io> {
    /// Drives the handshake; `Ready(Ok)` once the stream is ready.
    fn handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let TlsIo::Handshaking(accept, deadline) = self else {
            return Poll::Ready(match self {
                TlsIo::Failed => Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the TLS handshake failed",
                )),
                _ => Ok(()),
            });
        };
        match Pin::new(accept.as_mut()).poll(cx) {
            Poll::Ready(Ok(stream)) => {
                *self = TlsIo::Ready(Box::new(stream));
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                *self = TlsIo::Failed;
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                if deadline.as_mut().poll(cx).is_ready() {
                    *self = TlsIo::Failed;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the TLS handshake took too long",
                    )));
                }
                Poll::Pending
            }
        }
    }

    fn stream(&mut self) -> io::Result<&mut tokio_rustls::server::TlsStream<Io>> {
        match self {
            TlsIo::Ready(s) => Ok(s),
            _ => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsIo<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.handshake(cx))?;
        Pin::new(this.stream()?).poll_read(cx, buf)
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsIo<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.handshake(cx))?;
        Pin::new(this.stream()?).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.handshake(cx))?;
        Pin::new(this.stream()?).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            TlsIo::Ready(s) => s.is_write_vectored(),
            _ => false,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.handshake(cx))?;
        Pin::new(this.stream()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TlsIo::Ready(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            // Nothing was said over TLS: closing is all there is to do.
            TlsIo::Handshaking(..) | TlsIo::Failed => Poll::Ready(Ok(())),
        }
    }
}

/// The plain-HTTP answer to every request: a permanent redirect (308, the method
/// and body kept) to the same path and query on the HTTPS `base_url`, never to the
/// request's Host.
pub fn redirect_to_https(base_url: &str, uri: &poem::http::Uri) -> poem::Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let location = format!("{}{}", base_url.trim_end_matches('/'), path);
    poem::Response::builder()
        .status(poem::http::StatusCode::PERMANENT_REDIRECT)
        .header(poem::http::header::LOCATION, location)
        .header(poem::http::header::CACHE_CONTROL, "no-store")
        .finish()
}

/// Serves the redirect listener on `acceptor` until `stop` resolves.
pub async fn serve_redirect<A: Acceptor + 'static>(
    acceptor: A,
    base_url: String,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let ep = poem::endpoint::make_sync(move |req: poem::Request| {
        redirect_to_https(&base_url, req.uri())
    });
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(ep, stop, Some(Duration::from_secs(5)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_keeps_the_path_and_query_on_the_base_url() {
        let uri: poem::http::Uri = "/payment/abc?lang=en".parse().unwrap();
        let r = redirect_to_https("https://pay.example.ma", &uri);
        assert_eq!(r.status(), poem::http::StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            r.headers()["location"],
            "https://pay.example.ma/payment/abc?lang=en"
        );
        let r = redirect_to_https("https://pay.example.ma/", &"/".parse().unwrap());
        assert_eq!(r.headers()["location"], "https://pay.example.ma/");
    }

    #[test]
    fn files_that_are_not_pem_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let e = load(&Settings::new(cert.clone(), key.clone())).unwrap_err();
        assert!(e.to_string().contains("cert.pem"), "{e}");
        let e = load(&Settings::new(dir.path().join("missing.pem"), key)).unwrap_err();
        assert!(e.to_string().contains("missing.pem"), "{e}");
    }
}
