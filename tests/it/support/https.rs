//! HTTPS for the tests: a certificate authority made with rcgen, server
//! certificates it signs for 127.0.0.1 and localhost, and clients that trust it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guichet::config::Config;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{TestApp, spawn_app_with};

/// A test certificate authority.
pub struct Ca {
    /// Its certificate, PEM: what clients trust.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM).
    pub fn server(&self) -> (String, String) {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// Writes a server certificate and its key as `cert.pem` and `key.pem` in `dir`.
    pub fn write_server(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = self.server();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        // The key first: a watcher that looks between the two writes sees a pair
        // that does not match, refuses it and tries again at the next change.
        std::fs::write(&key_path, key).unwrap();
        std::fs::write(&cert_path, cert).unwrap();
        (cert_path, key_path)
    }
}

/// A reqwest builder whose TLS trusts `ca_pem` only (HTTP/1.1, ring).
pub fn client_builder(ca_pem: &str) -> reqwest::ClientBuilder {
    guichet::callbacks::client::use_ring_provider();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::Client::builder().tls_backend_preconfigured(tls)
}

/// A plain client (no cookies, no redirects followed) trusting `ca_pem`.
pub fn plain_client(ca_pem: &str) -> reqwest::Client {
    client_builder(ca_pem)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An app serving HTTPS with a certificate of `ca` written in `dir` (watched every
/// 100 ms), its base URL `https://127.0.0.1:PORT`, and `tweak` applied last.
pub async fn spawn_https_app(ca: &Ca, dir: &Path, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (cert, key) = ca.write_server(dir);
    let mut app = spawn_app_with(|c| {
        let mut tls = guichet::tls::Settings::new(cert, key);
        tls.watch_every = std::time::Duration::from_millis(100);
        c.tls = Some(tls);
        c.base_url = format!("https://{}", c.addr);
        tweak(c);
    })
    .await;
    app.base = app.base.replace("http://", "https://");
    app.https_ca = Some(ca.pem.clone());
    app
}
