//! The merchant API part of `guichet bench` (issue 13), over HTTP on 127.0.0.1 with
//! durable writes, on a fresh data file: prepare latency, prepare + pay (the
//! payment page, as a browser posts it) + status end to end with 8 concurrent
//! clients, and the callback queue draining to a local receiver.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::CliError;
use super::bench::{ms, percentile};

/// Prepares asked one after the other for the latency figures.
const PREPARES: usize = 300;
/// Whole payments per client, 8 clients.
const FLOWS_PER_CLIENT: usize = 60;

struct Api {
    base: String,
    originator: String,
    password: String,
    http: reqwest::Client,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    tracing::error!("API bench: {e}");
    CliError::Bench("an API call of the bench failed")
}

impl Api {
    async fn prepare(&self) -> Result<(String, String), CliError> {
        let r = self
            .http
            .post(format!("{}/payment/prepare", self.base))
            .basic_auth(&self.originator, Some(&self.password))
            .body(r#"{"apiVersion":"002.73","currency":"MAD","amount":12500,"order":{"id":"B-1"},"shopper":{"email":"bench@example.ma"}}"#)
            .send()
            .await
            .map_err(fail)?;
        let v: Value = serde_json::from_slice(&r.bytes().await.map_err(fail)?).map_err(fail)?;
        match (v["merchantToken"].as_str(), v["customerToken"].as_str()) {
            (Some(m), Some(c)) => Ok((m.to_string(), c.to_string())),
            _ => Err(fail(v)),
        }
    }

    /// The customer's side: the page, then the card form, as a browser sends them.
    async fn pay(&self, customer_token: &str) -> Result<(), CliError> {
        let page_url = format!("{}/payment/{customer_token}", self.base);
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(fail)?;
        let r = browser.get(&page_url).send().await.map_err(fail)?;
        // The page's cookies (its CSRF cookie) go back with the form.
        let cookies: Vec<String> = r
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect();
        let page = r.text().await.map_err(fail)?;
        let field = |name: &str| {
            let marker = format!(r#"name="{name}" value=""#);
            page.find(&marker)
                .map(|i| &page[i + marker.len()..])
                .and_then(|rest| rest.split('"').next())
                .map(str::to_string)
                .ok_or_else(|| fail(format!("no {name} on the payment page")))
        };
        let form = [
            ("csrf", field("csrf")?),
            ("attempt", field("attempt")?),
            ("lang", "fr".into()),
            ("holder", "Bench Client".into()),
            ("number", "4111111111111111".into()),
            ("expiry", "12/39".into()),
            ("cvv", "123".into()),
        ];
        let r = browser
            .post(&page_url)
            .header(reqwest::header::COOKIE, cookies.join("; "))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(serde_urlencoded::to_string(form).map_err(fail)?)
            .send()
            .await
            .map_err(fail)?;
        if r.status() != reqwest::StatusCode::SEE_OTHER {
            return Err(fail(format!("payment answered {}", r.status())));
        }
        Ok(())
    }

    async fn status(&self, merchant_token: &str) -> Result<Value, CliError> {
        let r = self
            .http
            .get(format!("{}/payment/{merchant_token}/status", self.base))
            .basic_auth(&self.originator, Some(&self.password))
            .send()
            .await
            .map_err(fail)?;
        serde_json::from_slice(&r.bytes().await.map_err(fail)?).map_err(fail)
    }
}

/// Prints the API figures.
pub async fn run() -> Result<(), CliError> {
    crate::callbacks::client::use_ring_provider();
    let dir = tempfile::tempdir()?;
    let db = crate::db::Db::open(&dir.path().join("api.redb"))?;
    let m = super::bench::add_merchant(
        &db,
        "Bench",
        vec![crate::domain::merchant::Terminal {
            number: 1,
            label: "Web".into(),
        }],
    )?;
    let actor = super::bench::bench_actor();
    // One test card pays every payment.
    super::bench::limits_off(&db, m.id)?;
    let issued = db
        .api_credential_create(m.id, &actor)?
        .ok_or(CliError::Bench("no merchant for the credential"))?;
    let config = crate::config::Config::new(
        "127.0.0.1:0".parse().map_err(|_| CliError::Bench("addr"))?,
        std::path::PathBuf::new(),
        None,
    )
    .map_err(CliError::Usage)?;
    let app = crate::app::App::with_db(db, config, std::sync::Arc::new(crate::clock::SystemClock))?;
    let (acceptor, addr) =
        crate::app::App::bind("127.0.0.1:0".parse().map_err(|_| CliError::Bench("addr"))?).await?;
    tokio::spawn(app.serve(acceptor, std::future::pending()));
    let api = std::sync::Arc::new(Api {
        base: format!("http://{addr}"),
        originator: issued.credential.originator,
        password: issued.password,
        http: reqwest::Client::new(),
    });
    println!(
        "\n{:<44} {:>9} {:>9} {:>12}",
        "merchant API over HTTP (durable writes)", "p50 ms", "p95 ms", "per second"
    );
    let mut lat: Vec<Duration> = Vec::with_capacity(PREPARES);
    let t = Instant::now();
    for _ in 0..PREPARES {
        let s = Instant::now();
        api.prepare().await?;
        lat.push(s.elapsed());
    }
    let total = t.elapsed();
    lat.sort();
    println!(
        "{:<44} {:>9.2} {:>9.2} {:>12.0}",
        "prepare, one client",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.95)),
        PREPARES as f64 / total.as_secs_f64()
    );
    let t = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(FLOWS_PER_CLIENT);
                for _ in 0..FLOWS_PER_CLIENT {
                    let s = Instant::now();
                    let (mt, ct) = api.prepare().await?;
                    api.pay(&ct).await?;
                    let status = api.status(&mt).await?;
                    if status["status"] != "Authorized" {
                        return Err(fail(status));
                    }
                    lat.push(s.elapsed());
                }
                Ok::<_, CliError>(lat)
            })
        })
        .collect();
    let mut lat = Vec::new();
    for c in clients {
        lat.extend(c.await.map_err(fail)??);
    }
    let total = t.elapsed();
    lat.sort();
    println!(
        "{:<44} {:>9.2} {:>9.2} {:>12.0}",
        "prepare + pay + status, 8 clients",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.95)),
        lat.len() as f64 / total.as_secs_f64()
    );
    // Prints its own line.
    crate::callbacks::bench(5_000).await.map_err(fail)?;
    Ok(())
}
