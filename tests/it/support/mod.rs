//! Test support: spawn the app on a free port with a fake clock, and a client that
//! keeps cookies and reads CSRF tokens from pages.

pub mod axe;
pub mod browser;
pub mod cards;
pub mod download;
pub mod html;
pub mod https;
pub mod journey;
pub mod sheets;
pub mod smtp;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use guichet::app::App;
use guichet::auth::bootstrap::{first_admin, new_user};
use guichet::clock::{Clock, FakeClock};
use guichet::config::Config;
use guichet::db::{Db, merchants, users};
use guichet::domain::totp;
use guichet::domain::user::{Merchant, Permissions, Role, Terminal};
use guichet::gateway::Gateway;
use reqwest::StatusCode;
use time::macros::datetime;

use html::{recovery_codes_in, secret_in, token_in};

pub const ADMIN_PASSWORD: &str = "Admin-password-2026";
pub const USER_PASSWORD: &str = "Merchant-pass-2026";
/// The one recovery code of users enrolled with [`TestApp::enrol`].
pub const RECOVERY_CODE: &str = "test1-recov";

pub struct TestApp {
    pub base: String,
    pub clock: FakeClock,
    pub db: Db,
    pub gateway: Arc<Gateway>,
    pub admin_otp: String,
    /// The CA (PEM) its clients trust when it serves HTTPS (see `support::https`).
    pub https_ca: Option<String>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`] with a changed configuration (SMTP, attempts, zone, …). The
/// public base URL is the server's own address; the appliance's zone is UTC.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(datetime!(2026-06-01 10:00 UTC));
    let (acceptor, addr) = App::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut config = Config::new(addr, dir.path().join("g.redb"), None).unwrap();
    // The tests' dates read in UTC unless a test chooses a zone (the appliance
    // default, Africa/Casablanca, is checked in `time_zone.rs`).
    config.time_zone = guichet::domain::zone::Zone::utc();
    tweak(&mut config);
    let app = App::build(config, Arc::new(clock.clone())).unwrap();
    let db = app.state.db.clone();
    let gateway = app.state.gateway.clone();
    let admin_otp = first_admin(&db, "admin", clock.now()).unwrap().unwrap();
    tokio::spawn(app.serve(acceptor, std::future::pending()));
    TestApp {
        base: format!("http://{addr}"),
        clock,
        db,
        gateway,
        admin_otp,
        https_ca: None,
        _dir: dir,
    }
}

impl TestApp {
    pub fn client(&self) -> Client {
        match &self.https_ca {
            Some(ca) => Client::trusting(&self.base, ca),
            None => Client::new(&self.base),
        }
    }

    /// A client whose requests say they are forwarded for `ip` (believed when the
    /// app trusts 127.0.0.1 as its proxy).
    pub fn client_from(&self, ip: &str) -> Client {
        self.client_with_headers(&[("x-forwarded-for", ip)])
    }

    /// A client sending these headers with every request.
    pub fn client_with_headers(&self, pairs: &[(&'static str, &str)]) -> Client {
        guichet::callbacks::client::use_ring_provider();
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                *name,
                reqwest::header::HeaderValue::from_str(value).unwrap(),
            );
        }
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            base: self.base.clone(),
            csrf: Arc::default(),
        }
    }

    /// A merchant written straight into the data file.
    pub fn merchant(&self, name: &str) -> Merchant {
        let wtx = self.db.begin_write().unwrap();
        let m = merchants::insert(
            &wtx,
            Merchant {
                name: name.into(),
                company: format!("{name} SARL"),
                terminals: vec![Terminal {
                    number: 21114,
                    label: "Web".into(),
                }],
                accounts: vec!["VPS_TEST_DH".into()],
                ..Merchant::default()
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        m
    }

    /// A user with `USER_PASSWORD` already chosen (no forced change).
    pub fn user(&self, username: &str, role: Role) -> guichet::domain::user::User {
        let mut u = new_user(username, USER_PASSWORD, role, self.clock.now()).unwrap();
        u.must_change_password = false;
        let wtx = self.db.begin_write().unwrap();
        let u = users::insert(&wtx, u).unwrap();
        wtx.commit().unwrap();
        u
    }

    pub fn merchant_user(
        &self,
        username: &str,
        merchant_id: u64,
        permissions: Permissions,
    ) -> guichet::domain::user::User {
        self.user(
            username,
            Role::Merchant {
                merchant_id,
                permissions,
            },
        )
    }

    /// An admin client signed in with its own password (the forced change done) and
    /// a second factor enrolled through the pages (the secret read from the page).
    pub async fn admin(&self) -> Client {
        let c = self.client();
        let r = c.login("admin", &self.admin_otp).await;
        assert_eq!(r.headers()["location"], "/password");
        let r = c
            .post(
                "/password",
                &[
                    ("current", &self.admin_otp),
                    ("new", ADMIN_PASSWORD),
                    ("confirm", ADMIN_PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
        self.enrol_through_pages(&c, ADMIN_PASSWORD).await;
        c
    }

    /// Enrols the signed-in client's second factor through the pages with the fake
    /// clock; returns the secret read from the page and the recovery codes shown.
    pub async fn enrol_through_pages(&self, c: &Client, password: &str) -> (Vec<u8>, Vec<String>) {
        let r = c.post("/second-factor/start", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, body) = c.page("/second-factor").await;
        assert_eq!(status, StatusCode::OK);
        // The QR code is an SVG image drawn by the server.
        assert!(
            body.contains(r#"src="data:image/svg+xml;base64,"#),
            "{body}"
        );
        let secret = secret_in(&body);
        let code = totp::code_at(&secret, self.clock.now().unix_timestamp());
        let r = c
            .post(
                "/second-factor/confirm",
                &[("code", &code), ("password", password)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        (secret, recovery_codes_in(&body))
    }

    /// Gives `user_id` a confirmed second factor straight in the data file; returns
    /// its secret.
    pub fn enrol(&self, user_id: u64) -> Vec<u8> {
        let secret: Vec<u8> = (0..20u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(user_id as u8))
            .collect();
        let wtx = self.db.begin_write().unwrap();
        let mut u = users::get(&wtx, user_id).unwrap().unwrap();
        u.second_factor = Some(totp::SecondFactor {
            secret: secret.clone(),
            confirmed_at: Some(self.clock.now().unix_timestamp()),
            recovery: vec![totp::recovery_hash(RECOVERY_CODE)],
            last_step: 0,
        });
        users::update(&wtx, &u).unwrap();
        wtx.commit().unwrap();
        secret
    }

    /// The code of `username`'s app now; when this step's code was already used, the
    /// fake clock moves to the next step first (a code is accepted once).
    pub fn code_for(&self, username: &str) -> String {
        let u = self.db.user_by_username(username).unwrap().unwrap();
        let f = u.second_factor.expect("the user has a second factor");
        let now = self.clock.now().unix_timestamp();
        if totp::step_of(now) <= f.last_step {
            let wait = (f.last_step + 1) * totp::STEP - now;
            self.clock.advance(time::Duration::seconds(wait));
        }
        totp::code_at(&f.secret, self.clock.now().unix_timestamp())
    }

    /// Signs `c` in as `username` with its password and its second-factor code.
    pub async fn sign_in_with_code(&self, c: &Client, username: &str, password: &str) {
        let r = c.login(username, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/login/code"), "{to}");
        let code = self.code_for(username);
        let r = c.post("/login/code", &[("code", &code)]).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
    }

    /// A fresh client signed in as the admin (after [`TestApp::admin`]).
    pub async fn admin_again(&self) -> Client {
        let c = self.client();
        self.sign_in_with_code(&c, "admin", ADMIN_PASSWORD).await;
        c
    }

    /// A client signed in as `username` with `USER_PASSWORD`.
    pub async fn signed_in(&self, username: &str) -> Client {
        let c = self.client();
        let r = c.login(username, USER_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        c
    }
}

/// A browser-like client: a cookie jar, no redirect following, and the CSRF token of
/// its cookie kept once read. The token is a function of the CSRF cookie, so any
/// answer that sets a cookie (sign-in, sign-out, second factor, …) forgets it and the
/// next POST reads it again. Clones share the jar and the token.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    csrf: Arc<Mutex<Option<String>>>,
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:port`) with an empty jar.
    pub fn new(base: &str) -> Client {
        guichet::callbacks::client::use_ring_provider();
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            csrf: Arc::default(),
        }
    }

    /// A client of the HTTPS server at `base` that trusts the CA `ca_pem` only.
    pub fn trusting(base: &str, ca_pem: &str) -> Client {
        Client {
            http: https::client_builder(ca_pem)
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            csrf: Arc::default(),
        }
    }

    /// Forgets the cached CSRF token when `r` sets a cookie.
    fn saw(&self, r: &reqwest::Response) {
        if r.headers().contains_key(reqwest::header::SET_COOKIE) {
            *self.csrf.lock().unwrap() = None;
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        self.saw(&r);
        r
    }

    /// GET and read the body.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token of this client's cookie: the cached one, or read from a page
    /// (`/login`, or where it redirects) and cached.
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            return token;
        }
        let token = self.csrf_from_page().await;
        *self.csrf.lock().unwrap() = Some(token.clone());
        token
    }

    async fn csrf_from_page(&self) -> String {
        let mut path = "/login".to_string();
        for _ in 0..4 {
            let r = self.get(&path).await;
            if r.status() == StatusCode::SEE_OTHER {
                path = r.headers()["location"].to_str().unwrap().to_string();
                continue;
            }
            return token_in(&r.text().await.unwrap());
        }
        panic!("no page with a csrf token");
    }

    /// POST a form with this client's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &token));
        self.post_raw(path, &all).await
    }

    /// POST exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.saw(&r);
        r
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

/// Asks the OS for a free local TCP port (released again before the caller binds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free local port")
        .port()
}
