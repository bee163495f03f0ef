//! HTTP Basic on every merchant API call (spec §1): `originator:password`, checked
//! against the merchant's API credentials with one read and one HMAC. A refusal is
//! the protocol's answer (HTTP 403, `{"code":"403","message":"Authentication
//! failed"}`); an address that failed too often is refused before any check; the
//! failures go into the audit log, at most one line per address per minute.

use std::net::{IpAddr, Ipv4Addr};

use poem::http::StatusCode;
use poem::web::headers::authorization::Basic;
use poem::web::headers::{Authorization, HeaderMapExt};
use poem::{Request, Response};

use crate::db::api_credentials::ApiCheck;
use crate::db::audit::AuditEntry;
use crate::domain::actor::Actor;
use crate::domain::api_credentials::{Failure, originator_for_audit};
use crate::handlers::AppState;

/// Who is calling: the merchant whose credential the call carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiCaller {
    pub merchant_id: u64,
    pub originator: String,
}

/// The message of a refused call.
pub const AUTHENTICATION_FAILED: &str = "Authentication failed";
/// The message of a call refused unchecked after too many failures.
pub const TOO_MANY_FAILURES: &str = "Too many failed attempts, retry later";

/// The protocol's JSON answer: `{"code":"…","message":"…"}` with `status`.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body)
}

fn refused(message: &str) -> Response {
    json_error(StatusCode::FORBIDDEN, "403", message)
}

/// The client's address, through the trusted proxies (as the back office sees it);
/// `0.0.0.0` when the connection has none (one shared bucket).
pub fn client_ip(req: &Request, state: &AppState) -> IpAddr {
    req.remote_addr()
        .as_socket_addr()
        .map(|a| state.config.client_ip(a.ip(), req.headers()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Checks the call's HTTP Basic credentials. `Ok`: an active credential with its
/// password; `Err`: the answer to send as it is (403 JSON, or 500 JSON when the
/// data file cannot be read).
pub async fn authenticate(req: &Request, state: &AppState) -> Result<ApiCaller, Response> {
    let ip = client_ip(req, state);
    let basic = req.headers().typed_get::<Authorization<Basic>>();
    let (originator, password) = basic
        .as_ref()
        .map(|a| (a.username().to_string(), a.password().to_string()))
        .unwrap_or_default();
    if state.api_door.is_blocked(ip) {
        let merchant_id = None;
        failure(state, ip, &originator, merchant_id, Failure::TooMany).await;
        return Err(refused(TOO_MANY_FAILURES));
    }
    let checked = if basic.is_none() {
        Ok(Err((Failure::Missing, None)))
    } else {
        let db = state.db.clone();
        let (o, p) = (originator.clone(), password);
        tokio::task::spawn_blocking(move || {
            db.api_verify(&o, &p).map(|check| match check {
                ApiCheck::Valid(c) => Ok(c),
                ApiCheck::Unknown => Err((Failure::Unknown, None)),
                ApiCheck::Revoked { merchant_id } => Err((Failure::Revoked, Some(merchant_id))),
                ApiCheck::WrongPassword { merchant_id } => {
                    Err((Failure::WrongPassword, Some(merchant_id)))
                }
            })
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    };
    match checked {
        Ok(Ok(c)) => {
            let now = state.clock.now().unix_timestamp();
            if state.api_door.record_use(c.id, now) {
                let db = state.db.clone();
                let written =
                    tokio::task::spawn_blocking(move || db.api_credential_used(c.id, now)).await;
                if !matches!(written, Ok(Ok(()))) {
                    tracing::warn!(
                        credential = c.id,
                        "could not write an API credential's last use"
                    );
                }
            }
            Ok(ApiCaller {
                merchant_id: c.merchant_id,
                originator: c.originator,
            })
        }
        Ok(Err((why, merchant_id))) => {
            state.api_door.failed(ip);
            failure(state, ip, &originator, merchant_id, why).await;
            Err(refused(AUTHENTICATION_FAILED))
        }
        Err(cause) => {
            tracing::error!(
                "API credential check: {}",
                crate::domain::text::log_safe_max(&cause, 300)
            );
            Err(json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500",
                "Internal error",
            ))
        }
    }
}

/// Writes the audit line of a refused call, unless this address already got one
/// this minute. The password is never written; the originator only if it is digits.
async fn failure(
    state: &AppState,
    ip: IpAddr,
    originator: &str,
    merchant_id: Option<u64>,
    why: Failure,
) {
    let now = state.clock.now().unix_timestamp();
    let Some(skipped) = state.api_door.audit_failure(ip, now) else {
        return;
    };
    let shown = originator_for_audit(originator);
    let actor = Actor::new(now, "api", ip.to_string());
    let mut detail = format!("failure={}", why.key());
    if skipped > 0 {
        detail.push_str(&format!(" unwritten={skipped}"));
    }
    let mut entry = AuditEntry::by(
        &actor,
        "api.auth_failed",
        format!("api credential {shown}"),
        merchant_id,
    )
    .with_detail(detail);
    entry.outcome = if why == Failure::TooMany {
        "locked".into()
    } else {
        "refused".into()
    };
    let db = state.db.clone();
    let written = tokio::task::spawn_blocking(move || db.record(&entry)).await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::warn!("could not write the audit line of a refused API call");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::db::Scope;
    use crate::domain::user::Merchant;

    struct Setup {
        _dir: tempfile::TempDir,
        state: AppState,
        merchant: u64,
        clock: FakeClock,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.redb");
        let db = crate::db::Db::open(&path).unwrap();
        let wtx = db.begin_write().unwrap();
        let m = crate::db::merchants::insert(
            &wtx,
            Merchant {
                name: "Atlas".into(),
                ..Merchant::default()
            },
        )
        .unwrap();
        wtx.commit().unwrap();
        let clock = FakeClock::new(time::macros::datetime!(2026-06-01 10:00 UTC));
        let config =
            crate::config::Config::new("127.0.0.1:8080".parse().unwrap(), path, None).unwrap();
        let app = crate::app::App::with_db(db, config, Arc::new(clock.clone())).unwrap();
        Setup {
            _dir: dir,
            state: app.state,
            merchant: m.id,
            clock,
        }
    }

    fn call(user: &str, password: &str) -> Request {
        let mut req = Request::builder().uri_str("/account").finish();
        req.headers_mut()
            .typed_insert(Authorization::basic(user, password));
        req
    }

    async fn refusal(r: Result<ApiCaller, Response>) -> (StatusCode, String, String) {
        let resp = r.expect_err("refused");
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = resp.into_body().into_string().await.unwrap();
        (status, ct, body)
    }

    fn failures(s: &Setup) -> Vec<crate::db::audit::AuditEntry> {
        s.state
            .db
            .audit(Scope::Admin, 100)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "api.auth_failed")
            .collect()
    }

    #[tokio::test]
    async fn a_call_with_an_active_credential_is_its_merchant_and_notes_its_last_use() {
        let s = setup();
        let actor = Actor::new(0, "admin", "local");
        let issued = s
            .state
            .db
            .api_credential_create(s.merchant, &actor)
            .unwrap()
            .unwrap();
        let o = issued.credential.originator.clone();
        let caller = authenticate(&call(&o, &issued.password), &s.state)
            .await
            .unwrap();
        assert_eq!(
            caller,
            ApiCaller {
                merchant_id: s.merchant,
                originator: o.clone()
            }
        );
        let rows = s.state.db.api_credentials(s.merchant).unwrap();
        let first_use = s.clock.now().unix_timestamp();
        assert_eq!(rows[0].last_used_at, Some(first_use));
        // Within the minute: no write; after it, the new time.
        s.clock.advance(time::Duration::seconds(30));
        authenticate(&call(&o, &issued.password), &s.state)
            .await
            .unwrap();
        let rows = s.state.db.api_credentials(s.merchant).unwrap();
        assert_eq!(rows[0].last_used_at, Some(first_use));
        s.clock.advance(time::Duration::seconds(31));
        authenticate(&call(&o, &issued.password), &s.state)
            .await
            .unwrap();
        let rows = s.state.db.api_credentials(s.merchant).unwrap();
        assert_eq!(rows[0].last_used_at, Some(first_use + 61));
    }

    #[tokio::test]
    async fn wrong_missing_or_revoked_credentials_get_the_protocol_s_403_in_json() {
        let s = setup();
        let actor = Actor::new(0, "admin", "local");
        let issued = s
            .state
            .db
            .api_credential_create(s.merchant, &actor)
            .unwrap()
            .unwrap();
        let o = issued.credential.originator.clone();
        let expected = r#"{"code":"403","message":"Authentication failed"}"#;
        for req in [
            call(&o, "not-the-password"),
            call("000000", &issued.password),
            Request::builder().uri_str("/account").finish(),
            Request::builder()
                .uri_str("/account")
                .header("Authorization", "Basic !!!not-base64")
                .finish(),
        ] {
            let (status, ct, body) = refusal(authenticate(&req, &s.state).await).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(ct, "application/json");
            assert_eq!(body, expected);
        }
        s.state
            .db
            .api_credential_revoke(s.merchant, issued.credential.id, &actor)
            .unwrap();
        let (status, _, body) =
            refusal(authenticate(&call(&o, &issued.password), &s.state).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, expected);
        // Five failures within a minute from one address: one audit line, which
        // names the originator tried and never the password.
        let lines = failures(&s);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].target, format!("api credential {o}"));
        assert_eq!(lines[0].outcome, "refused");
        assert_eq!(lines[0].detail, "failure=wrong_password");
        assert_eq!(lines[0].merchant_id, Some(s.merchant));
        // A minute later the next failure is written, with the count left out.
        s.clock.advance(time::Duration::seconds(60));
        let r = authenticate(&call(&o, &issued.password), &s.state).await;
        refusal(r).await;
        let lines = failures(&s);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].detail, "failure=revoked unwritten=4");
        let everything = format!("{:?}", s.state.db.audit(Scope::Admin, 100).unwrap());
        assert!(!everything.contains(&issued.password));
    }

    #[tokio::test]
    async fn after_ten_failures_an_address_is_refused_even_with_the_right_password() {
        let s = setup();
        let actor = Actor::new(0, "admin", "local");
        let issued = s
            .state
            .db
            .api_credential_create(s.merchant, &actor)
            .unwrap()
            .unwrap();
        let o = issued.credential.originator.clone();
        for _ in 0..10 {
            let (_, _, body) = refusal(authenticate(&call(&o, "guess"), &s.state).await).await;
            assert!(body.contains(AUTHENTICATION_FAILED), "{body}");
        }
        let (status, ct, body) =
            refusal(authenticate(&call(&o, &issued.password), &s.state).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(ct, "application/json");
        assert_eq!(
            body,
            r#"{"code":"403","message":"Too many failed attempts, retry later"}"#
        );
        // Another address is not held back.
        let (parts, body) = call(&o, &issued.password).into_parts();
        let http = poem::http::Request::builder()
            .uri(parts.uri.clone())
            .body(())
            .unwrap();
        let (mut head, ()) = http.into_parts();
        head.headers = parts.headers;
        let parts = poem::RequestParts::from((
            head,
            poem::web::LocalAddr::default(),
            poem::web::RemoteAddr(poem::Addr::SocketAddr("198.51.100.4:5000".parse().unwrap())),
            poem::http::uri::Scheme::HTTP,
        ));
        let other = Request::from_parts(parts, body);
        assert!(authenticate(&other, &s.state).await.is_ok());
    }
}
