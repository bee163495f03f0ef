//! Test support: a headless Chromium session driven through chromedriver with fantoccini.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use hyper_util::client::legacy::connect::HttpConnector;

use super::free_port;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running chromedriver plus one headless Chromium session.
///
/// Call [`Browser::close`] at the end of a test to end the session cleanly; if the test panics
/// first, `Drop` still kills chromedriver and the browser processes it started.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Kills chromedriver and everything it started (it runs in its own process group).
fn kill_driver(driver: &mut Child) {
    if let Ok(Some(_)) = driver.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", driver.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

/// Starts chromedriver on a free port and a headless Chromium session. Returns None only when
/// /usr/bin/chromedriver is missing AND the env var CI is not "true" (then it prints a notice);
/// in CI a missing browser panics so the run fails.
pub async fn start() -> Option<Browser> {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        if in_ci() {
            panic!(
                "CI=true but {} missing: install the `chromium` and `chromium-driver` packages",
                missing.join(" and ")
            );
        }
        eprintln!(
            "NOTICE: skipping browser test, {} missing \
             (apt-get install -y chromium chromium-driver)",
            missing.join(" and ")
        );
        return None;
    }

    let profile = tempfile::Builder::new()
        .prefix("guichet-chromium-")
        .tempdir()
        .expect("cannot create a Chromium profile directory");

    let port = free_port();
    let mut driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Own process group, so Drop can kill chromedriver together with Chromium.
        .process_group(0)
        .spawn()
        .expect("cannot start chromedriver");

    // Wait until chromedriver accepts connections.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + DRIVER_START_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("chromedriver exited early with {status}");
        }
        if Instant::now() >= deadline {
            kill_driver(&mut driver);
            panic!("chromedriver did not listen on port {port} within {DRIVER_START_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    let caps = caps
        .as_object()
        .cloned()
        .expect("capabilities are an object");

    let client = fantoccini::ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await;
    let client = match client {
        Ok(client) => client,
        Err(e) => {
            kill_driver(&mut driver);
            panic!("cannot start a headless Chromium session: {e}");
        }
    };

    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

impl Browser {
    /// Writes a PNG screenshot of the current viewport to `path`.
    pub async fn screenshot(&self, path: &str) {
        let png = self.client.screenshot().await.expect("screenshot failed");
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).expect("cannot create the screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }

    /// Resizes the window so the page's viewport is `w`×`h` CSS pixels.
    pub async fn viewport(&self, w: u32, h: u32) {
        self.client.set_window_size(w, h).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let (iw, ih) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
        // Headless windows have no frame; if one shows up, grow the window by it.
        if iw != u64::from(w) || ih != u64::from(h) {
            let dw = u64::from(w) * 2 - iw;
            let dh = u64::from(h) * 2 - ih;
            self.client
                .set_window_size(dw as u32, dh as u32)
                .await
                .unwrap();
        }
    }

    /// The short forms of the steps the flows repeat, for the app at `base`.
    pub fn page(&self, base: &str) -> Page<'_> {
        Page {
            c: &self.client,
            base: base.to_string(),
        }
    }

    /// Ends the WebDriver session (closing Chromium), then stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Drop kills chromedriver and removes the profile directory.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_driver(&mut self.driver);
    }
}

/// The WebDriver steps the browser flows repeat (find, type, click, wait), each one
/// line, panicking with what was looked for. `c` is the session for anything else.
pub struct Page<'a> {
    pub c: &'a fantoccini::Client,
    base: String,
}

impl Page<'_> {
    /// Signs `username` in through the sign-in page with `USER_PASSWORD` and waits for
    /// the back office.
    pub async fn sign_in(&self, username: &str) {
        self.submit_password(username).await;
        self.wait_for("header.top nav.tabs").await;
    }

    /// Signs `username` in, answering the code step with the code `secret` gives at
    /// `now`, and waits for the back office (Home, where users who may view land).
    pub async fn sign_in_with_code(&self, username: &str, secret: &[u8], now: i64) {
        self.submit_password(username).await;
        self.wait_for("#f-code").await;
        let code = guichet::domain::totp::code_at(secret, now);
        self.fill("#f-code", &code).await;
        self.click("button.primary").await;
        self.wait_for("header.top nav.tabs").await;
    }

    async fn submit_password(&self, username: &str) {
        self.goto("/login").await;
        self.fill("#f-username", username).await;
        self.fill("#f-password", super::USER_PASSWORD).await;
        self.click("button.primary").await;
    }

    /// Opens `path` of the app (or a full URL).
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.c.goto(&url).await.unwrap();
    }

    /// The element `css` (there now).
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// Types `text` into the field `css` (after what it holds).
    pub async fn type_in(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    /// Empties the field `css`, then types `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn click_xpath(&self, xpath: &str) {
        self.c
            .find(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("no {xpath}: {e}"))
            .click()
            .await
            .unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until `css` is on the page.
    pub async fn wait_for(&self, css: &str) {
        self.c
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never came: {e}"));
    }

    pub async fn wait_for_xpath(&self, xpath: &str) {
        self.c
            .wait()
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("{xpath} never came: {e}"));
    }

    /// Waits until the browser is at `path` of the app.
    pub async fn wait_for_path(&self, path: &str) {
        let url = format!("{}{path}", self.base).parse().unwrap();
        self.c
            .wait()
            .for_url(&url)
            .await
            .unwrap_or_else(|e| panic!("never at {path}: {e}"));
    }

    /// Waits (5 s at most) until `script` returns true; panics naming `what` if not.
    pub async fn wait_until(&self, script: &str, what: &str) {
        let start = Instant::now();
        while self.js(script).await != serde_json::Value::Bool(true) {
            if start.elapsed() > Duration::from_secs(5) {
                panic!("{what} never happened ({script})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The path of the current URL.
    pub async fn path(&self) -> String {
        self.c.current_url().await.unwrap().path().to_string()
    }

    /// Runs `script` in the page; returns its result.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.c.execute(script, vec![]).await.unwrap()
    }
}
