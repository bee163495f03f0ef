//! Behind a reverse proxy (issue 16): the forwarding header is believed only from a
//! trusted peer (an address or a CIDR range), and then History, the audit log and
//! the payment's IP address show the client; from any other peer they show the peer.

use guichet::config::ProxyHeader;
use guichet::db::Scope;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay};
use crate::support::{Client, TestApp, USER_PASSWORD, spawn_app, spawn_app_with};

/// What the app recorded of one manager's day behind `headers`: the manager signs
/// in, sends a payment link, a customer (behind the same headers) pays it, the
/// manager refunds part of it. Returns the IP of the payment, of the refund's
/// History line, and the History tab and audit pages as shown.
struct Seen {
    payment_ip: String,
    history_ip: String,
    history_page: String,
    audit_page: String,
}

async fn a_day_behind(app: &TestApp, headers: &[(&'static str, &str)]) -> Seen {
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let manager: Client = app.client_with_headers(headers);
    let r = manager.login("atlas.manager", USER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (id, token) = new_request(&manager, m.id, &[]).await;
    pay(
        &app.client_with_headers(headers),
        &token,
        "4111111111111111",
        "",
    )
    .await;
    let request = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    let sale = *request.attempts.last().unwrap();
    let r = manager
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "100.00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let history = app.db.history(sale).unwrap();
    let (_, history_page) = manager
        .page(&format!("/transactions/{sale}?tab=history"))
        .await;
    let admin = app.admin().await;
    let (_, audit_page) = admin.page("/parameters/audit").await;
    Seen {
        payment_ip: app
            .db
            .transaction(Scope::Admin, sale)
            .unwrap()
            .unwrap()
            .initiator
            .ip,
        history_ip: history[0].ip.clone(),
        history_page,
        audit_page,
    }
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored_and_the_peer_is_shown() {
    let app = spawn_app().await;
    let seen = a_day_behind(&app, &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(seen.payment_ip, "127.0.0.1");
    assert_eq!(seen.history_ip, "127.0.0.1");
    for page in [&seen.history_page, &seen.audit_page] {
        assert!(page.contains("127.0.0.1"), "{page}");
        assert!(!page.contains("198.51.100.7"), "{page}");
    }
}

#[tokio::test]
async fn x_forwarded_for_from_a_trusted_range_names_the_client_in_history_and_audit() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]
    })
    .await;
    // The client forged the left part; the proxy appended the address it saw.
    let seen = a_day_behind(&app, &[("x-forwarded-for", "6.6.6.6, 198.51.100.7")]).await;
    assert_eq!(seen.payment_ip, "198.51.100.7");
    assert_eq!(seen.history_ip, "198.51.100.7");
    for page in [&seen.history_page, &seen.audit_page] {
        assert!(page.contains("198.51.100.7"), "{page}");
        assert!(!page.contains("6.6.6.6"), "{page}");
    }
    // The admin signed in straight, without the header: the peer itself.
    assert!(seen.audit_page.contains("127.0.0.1"));
}

#[tokio::test]
async fn the_forwarded_header_is_read_when_the_proxy_writes_it_and_x_forwarded_for_is_not() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.proxy_header = ProxyHeader::Forwarded;
    })
    .await;
    let seen = a_day_behind(
        &app,
        &[
            ("forwarded", r#"for="[2001:db8:cafe::17]:4711";proto=https"#),
            ("x-forwarded-for", "6.6.6.6"),
        ],
    )
    .await;
    assert_eq!(seen.payment_ip, "2001:db8:cafe::17");
    assert_eq!(seen.history_ip, "2001:db8:cafe::17");
    assert!(seen.history_page.contains("2001:db8:cafe::17"));
    assert!(!seen.audit_page.contains("6.6.6.6"));
}
