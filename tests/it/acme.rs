//! Automatic certificates (issue 16) against Debian's `pebble` ACME test CA, its
//! `pebble-challtestsrv` answering DNS with 127.0.0.1: the app answers the
//! TLS-ALPN-01 challenge on its HTTPS listener, serves the certificate pebble issued,
//! and serves the kept certificate at the next start without asking again. Skipped
//! (with a notice) where pebble is not installed: `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::STRICT_TRANSPORT_SECURITY;

use crate::support::https::{Ca, client_builder, plain_client};
use crate::support::{TestApp, free_port, spawn_app_with};

const DOMAIN: &str = "guichet.test";

/// The path of an installed program.
fn installed(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// A helper process ended (by its own id) when the test ends, even on a failure.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(program: &Path, args: &[&str], log: &Path) -> Running {
    let out = std::fs::File::create(log).unwrap();
    Running(
        Command::new(program)
            .args(args)
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap(),
    )
}

/// An app asking `directory` for a certificate of DOMAIN, keeping it in `cache`.
async fn acme_app(directory: &str, directory_ca: &Path, cache: &Path) -> (TestApp, u16) {
    let app = spawn_app_with(|c| {
        let mut acme = guichet::acme::Settings::new(vec![DOMAIN.into()], &c.data);
        acme.directory = directory.into();
        acme.directory_ca = Some(directory_ca.to_path_buf());
        acme.cache = cache.to_path_buf();
        acme.retry_after = Duration::from_millis(300);
        acme.email = Some("admin@guichet.test".into());
        c.acme = Some(acme);
        c.base_url = format!("https://{DOMAIN}:{}", c.addr.port());
    })
    .await;
    let port = app.base.rsplit(':').next().unwrap().parse().unwrap();
    (app, port)
}

/// A client trusting `root` that reaches DOMAIN on 127.0.0.1:`port`.
fn client_of(root: &str, port: u16) -> reqwest::Client {
    client_builder(root)
        .resolve(DOMAIN, format!("127.0.0.1:{port}").parse().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_certificate_is_obtained_from_pebble_by_tls_alpn_and_kept_for_the_next_start() {
    let (Some(pebble), Some(challtestsrv)) =
        (installed("pebble"), installed("pebble-challtestsrv"))
    else {
        eprintln!("acme test skipped: pebble is not installed (apt-get install pebble)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("acme");
    // Pebble's own HTTPS, under a CA of the test's.
    let wfe = dir.path().join("wfe");
    std::fs::create_dir(&wfe).unwrap();
    let wfe_ca = Ca::new("Pebble front test CA");
    let (wfe_cert, wfe_key) = wfe_ca.write_server(&wfe);
    let wfe_ca_path = wfe.join("ca.pem");
    std::fs::write(&wfe_ca_path, &wfe_ca.pem).unwrap();
    let (dir_port, management, dns, dns_management) =
        (free_port(), free_port(), free_port(), free_port());
    let directory = format!("https://127.0.0.1:{dir_port}/dir");

    // The app starts first (its attempts fail until pebble answers): pebble must
    // know the port to validate the challenge on.
    let (app, port) = acme_app(&directory, &wfe_ca_path, &cache).await;
    let config = serde_json::json!({ "pebble": {
        "listenAddress": format!("127.0.0.1:{dir_port}"),
        "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": wfe_cert,
        "privateKey": wfe_key,
        "httpPort": free_port(),
        "tlsPort": port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    let config_path = dir.path().join("pebble.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let _dns = start(
        &challtestsrv,
        &[
            "-dns01",
            &format!("127.0.0.1:{dns}"),
            "-management",
            &format!("127.0.0.1:{dns_management}"),
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-defaultIPv4",
            "127.0.0.1",
            "-defaultIPv6",
            "",
        ],
        &dir.path().join("challtestsrv.log"),
    );
    let pebble_log = dir.path().join("pebble.log");
    let ca_server = start(
        &pebble,
        &[
            "-config",
            config_path.to_str().unwrap(),
            "-dnsserver",
            &format!("127.0.0.1:{dns}"),
        ],
        &pebble_log,
    );

    // The certificate pebble issued is served, under pebble's root.
    let logs = || {
        format!(
            "pebble: {}",
            std::fs::read_to_string(&pebble_log).unwrap_or_default()
        )
    };
    let front = plain_client(&wfe_ca.pem);
    let deadline = Instant::now() + Duration::from_secs(60);
    let root = loop {
        assert!(Instant::now() < deadline, "{}", logs());
        let got = front
            .get(format!("https://127.0.0.1:{management}/roots/0"))
            .send()
            .await;
        if let Ok(r) = got
            && r.status() == StatusCode::OK
        {
            break r.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let health = format!("https://{DOMAIN}:{port}/healthz");
    loop {
        assert!(
            Instant::now() < deadline,
            "no certificate served: {}",
            logs()
        );
        if let Ok(r) = client_of(&root, port).get(&health).send().await {
            assert_eq!(r.status(), StatusCode::OK);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = client_of(&root, port)
        .get(format!("https://{DOMAIN}:{port}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key(STRICT_TRANSPORT_SECURITY));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-guichet_csrf=") && cookie.contains("; Secure"));
    let kept: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for prefix in ["account-", "cert-", "key-"] {
        assert!(kept.iter().any(|f| f.starts_with(prefix)), "{kept:?}");
    }

    // Pebble gone, the next start serves the kept certificate.
    drop(ca_server);
    drop(app);
    let (_again, port) = acme_app(&directory, &wfe_ca_path, &cache).await;
    let r = client_of(&root, port)
        .get(format!("https://{DOMAIN}:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
