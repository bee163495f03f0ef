//! Honest email (issue 10, point 4): without a mail server the virtual terminal
//! shows the link first and says emails wait; no page says "sent" while the email
//! waits; a queued link email is withdrawn when its request is paid, blocked or
//! expires, and the worker never sends it; copy buttons; the email preview.

use std::time::{Duration as StdDuration, Instant};

use guichet::config::{SmtpConfig, SmtpSecurity};
use guichet::domain::outbox::{Mail, MailState};
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, request, shop, token_in_link};
use crate::support::smtp::Smtp;
use crate::support::{TestApp, free_port, spawn_app, spawn_app_with};

/// The `value` of the first submit button of the virtual terminal's form.
fn first_submit_value(page: &str) -> String {
    let form = &page[page.find("action=\"/terminal\"").expect("the VT form")..];
    let button = &form[form.find("type=\"submit\"").expect("a submit button")..];
    let start = button.find("value=\"").unwrap() + "value=\"".len();
    button[start..].split('"').next().unwrap().to_string()
}

/// An app whose mail server is at `port` (nothing listens there until a test starts one).
async fn app_with_smtp(port: u16) -> TestApp {
    spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
        });
    })
    .await
}

fn mail(app: &TestApp, id: u64) -> Mail {
    app.db.mail(id).unwrap().unwrap()
}

/// Waits until the message `id` is no longer pending (the worker runs each second).
async fn wait_not_pending(app: &TestApp, id: u64) -> Mail {
    let deadline = Instant::now() + StdDuration::from_secs(10);
    loop {
        let m = mail(app, id);
        if m.state != MailState::Pending {
            return m;
        }
        assert!(Instant::now() < deadline, "still pending: {m:?}");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn without_smtp_the_terminal_shows_the_link_first_and_says_emails_wait() {
    let app = spawn_app().await;
    let (_, c) = shop(&app).await;
    let (status, page) = c.page("/terminal").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_submit_value(&page), "show", "{page}");
    assert!(
        page.contains("les emails attendent dans la file d'envoi"),
        "{page}"
    );
    assert!(page.contains("Mettre l'email en file d'attente"));
    assert!(!page.contains("Envoyer le lien"), "{page}");

    let with = app_with_smtp(free_port()).await;
    let (_, c) = shop(&with).await;
    let (_, page) = c.page("/terminal").await;
    assert_eq!(first_submit_value(&page), "send", "{page}");
    assert!(!page.contains("attendent dans la file d'envoi"), "{page}");
}

#[tokio::test]
async fn no_page_says_sent_while_the_email_waits_and_the_link_has_a_copy_button() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", &format!("{m}:21114")),
                ("operation", "sale"),
                ("order_id", "CMD-9"),
                ("amount", "10"),
                ("currency", "MAD"),
                ("lang", "fr"),
                ("name", "Salma Idrissi"),
                ("email", "salma@example.ma"),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, page) = c.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    let lower = page.to_lowercase();
    assert!(
        !lower.contains("envoyé") && !lower.contains("part par email"),
        "{page}"
    );
    assert!(page.contains("est dans la file d'envoi"), "{page}");
    let r = c
        .post("/lang", &[("lang", "en"), ("next", "/terminal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, en) = c.page(&location).await;
    assert!(
        en.contains("is in the outbox") && en.contains("Queued"),
        "{en}"
    );
    assert!(
        !en.to_lowercase().contains(" sent ") && !en.contains("being emailed"),
        "{en}"
    );
    let r = c
        .post("/lang", &[("lang", "fr"), ("next", "/terminal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page(&location).await;
    assert!(page.contains("En file d'attente"), "{page}");
    assert!(
        page.contains("ne part pas tant qu'il n'y en a pas"),
        "{page}"
    );
    assert_eq!(app.db.pending_mail_count().unwrap(), 1);

    // A shown link: selectable text, a copy button next to it and its QR code.
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", &format!("{m}:21114")),
                ("operation", "sale"),
                ("order_id", "CMD-10"),
                ("amount", "10"),
                ("currency", "MAD"),
                ("name", "Salma Idrissi"),
                ("email", "salma@example.ma"),
                ("action", "show"),
            ],
        )
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = c.page(&location).await;
    let link = page.find("id=\"f-link\"").expect("the link field");
    let copy = page.find("data-copy=\"f-link\"").expect("a copy button");
    assert!(copy > link && copy - link < 400, "next to the link");
    assert!(page.contains("Copier le lien") && page.contains("/static/copy.js"));
    assert!(page.contains("<svg"), "QR code of the link");
    // That it will not be shown again is said once, in the banner.
    assert_eq!(page.matches("ne sera plus affiché").count(), 1, "{page}");
    assert!(page.contains("Lien à transmettre au client"), "{page}");
    let js = c.get("/static/copy.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.text().await.unwrap().contains("navigator.clipboard"));
}

#[tokio::test]
async fn the_preview_shows_the_email_escaped_and_creates_nothing() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let r = c
        .post(
            "/terminal",
            &[
                ("terminal", &format!("{m}:21114")),
                ("operation", "sale"),
                ("order_id", "CMD-<b>42</b>"),
                ("amount", "99"),
                ("currency", "MAD"),
                ("lang", "fr"),
                ("description", "Séjour <script>alert(1)</script> & dîner"),
                ("name", "Salma Idrissi"),
                ("email", "salma@example.ma"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Aperçu de l'email au client"), "{page}");
    assert!(
        page.contains("Demande de paiement – commande CMD-&lt;b&gt;42&lt;/b&gt; – Atlas Voyages"),
        "{page}"
    );
    assert!(
        page.contains("Séjour &lt;script&gt;alert(1)&lt;/script&gt; &amp; dîner"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "escaped");
    assert!(page.contains("Bonjour Salma Idrissi,"));
    assert!(
        app.db
            .payment_requests(guichet::db::Scope::Admin, None, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.db.pending_mail_count().unwrap(), 0);
}

#[tokio::test]
async fn english_emails_use_english_colons_and_the_request_page_says_an_email_state_once() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let terminal = format!("{m}:21114");
    let preview = |lang: &'static str| {
        vec![
            ("terminal", terminal.clone()),
            ("operation", "sale".into()),
            ("order_id", "CMD-77".into()),
            ("amount", "99".into()),
            ("currency", "MAD".into()),
            ("lang", lang.into()),
            ("name", "Salma Idrissi".into()),
            ("email", "salma@example.ma".into()),
            ("action", "preview".into()),
        ]
    };
    for (lang, said, not_said) in [
        ("en", "Pay the order: http", "Pay the order :"),
        ("fr", "Payer la commande : http", "Payer la commande: "),
    ] {
        let fields = preview(lang);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.post("/terminal", &fields).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains(said) && !page.contains(not_said), "{page}");
    }
    // An English email, read in the English back office: no French spacing, the
    // state said once, the subject not a link back to the same page.
    let (id, _) = new_request(&c, m, &[("action", "send"), ("lang", "en")]).await;
    let r = c
        .post("/lang", &[("lang", "en"), ("next", "/terminal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    let emails = &page[page.find(">Emails<").expect("the emails section")..];
    assert!(!emails.contains(" : "), "{emails}");
    assert_eq!(emails.matches("Queued").count(), 1, "{emails}");
    assert!(!emails.contains("waiting to be sent"), "{emails}");
    assert!(
        !emails.contains(&format!(r#"href="/payment-requests/{id}""#)),
        "{emails}"
    );
    assert!(emails.contains("Payment request – order"), "{emails}");
    let r = c
        .post("/lang", &[("lang", "fr"), ("next", "/terminal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    let emails = &page[page.find(">Emails<").expect("the emails section")..];
    assert_eq!(emails.matches("En file d'attente").count(), 1, "{emails}");
    assert!(!emails.contains("en attente d'envoi"), "{emails}");
}

#[tokio::test]
async fn a_queued_link_email_is_withdrawn_when_the_request_is_paid_and_never_sent() {
    let port = free_port();
    let app = app_with_smtp(port).await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send")]).await;
    let link_mail = request(&app, id).emails[0];
    // The server is down: the first try fails, the email waits for a retry.
    let m1 = mail(&app, link_mail);
    assert_eq!(m1.state, MailState::Pending);
    let token = token_in_link(&m1.text);
    pay(&app.client(), &token, "4111111111111111", "").await;
    let withdrawn = mail(&app, link_mail);
    assert_eq!(withdrawn.state, MailState::Failed, "{withdrawn:?}");
    assert!(
        withdrawn.attempts.last().unwrap().error.as_deref()
            == Some("not sent: the request was paid"),
        "{withdrawn:?}"
    );
    assert!(!withdrawn.text.contains(&token) && !withdrawn.html.contains(&token));
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(
        page.contains(r#"<span class="badge ko">Échec</span>"#)
            && page.contains("non envoyé : la demande a été payée"),
        "{page}"
    );

    // The server comes back: the receipt leaves, the link email never does.
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    app.clock.advance(Duration::minutes(5));
    let receipt = *request(&app, id).emails.last().unwrap();
    assert_eq!(wait_not_pending(&app, receipt).await.state, MailState::Sent);
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    let got = smtp.messages();
    assert_eq!(got.len(), 1, "only the receipt");
    assert!(!String::from_utf8_lossy(&got[0]).contains("/payment/"));
    assert_eq!(mail(&app, link_mail).state, MailState::Failed);
}

#[tokio::test]
async fn a_queued_link_email_is_withdrawn_when_the_request_expires_and_never_sent() {
    let port = free_port();
    let app = app_with_smtp(port).await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send"), ("validity_days", "1")]).await;
    let link_mail = request(&app, id).emails[0];
    let token = token_in_link(&mail(&app, link_mail).text);
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    let m1 = wait_not_pending(&app, link_mail).await;
    assert_eq!(m1.state, MailState::Failed, "{m1:?}");
    assert_eq!(
        m1.attempts.last().unwrap().error.as_deref(),
        Some("not sent: the request can no longer be paid")
    );
    assert!(!m1.text.contains(&token) && !m1.html.contains(&token));
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert!(smtp.messages().is_empty(), "the worker never sent it");
}

#[tokio::test]
async fn expiry_withdraws_waiting_link_emails_even_without_smtp_and_a_block_does_too() {
    let app = spawn_app_with(|c| c.max_attempts = 1).await;
    let (m, c) = shop(&app).await;
    let (expiring, _) = new_request(&c, m, &[("action", "send"), ("validity_days", "1")]).await;
    let (blocked, _) = new_request(&c, m, &[("action", "send")]).await;
    let blocked_mail = request(&app, blocked).emails[0];
    let token = token_in_link(&mail(&app, blocked_mail).text);
    pay(&app.client(), &token, "4000000000000002", "").await;
    assert!(request(&app, blocked).blocked);
    let b = mail(&app, blocked_mail);
    assert_eq!(b.state, MailState::Failed);
    assert_eq!(
        b.attempts.last().unwrap().error.as_deref(),
        Some("not sent: the request was blocked")
    );

    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    let swept = app.gateway.sweep_once(false).unwrap();
    assert_eq!(swept.withdrawn, 1);
    let e = mail(&app, request(&app, expiring).emails[0]);
    assert_eq!(e.state, MailState::Failed);
    assert!(!e.text.contains("/payment/") || e.text.contains("/payment/…"));
    assert_eq!(app.db.pending_mail_count().unwrap(), 0);
}

#[tokio::test]
async fn in_a_browser_the_link_comes_first_and_its_copy_button_appears() {
    use crate::support::browser;

    let app = spawn_app().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user(
        "atlas.manager",
        m.id,
        guichet::domain::user::Permissions::ALL,
    );
    let Some(b) = browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in("atlas.manager").await;
    p.goto("/terminal").await;
    p.wait_for("form.vt").await;
    let first = p
        .js("return document.querySelector('form.vt button[type=submit]').value;")
        .await;
    assert_eq!(first.as_str(), Some("show"));
    p.fill("#f-order_id", "VOY-78").await;
    p.fill("#f-amount", "250,00").await;
    p.fill("#f-name", "Salma Idrissi").await;
    p.fill("#f-email", "salma@example.ma").await;
    b.screenshot("target/screenshots/vt-without-smtp.png").await;
    p.click("button.primary").await;
    p.wait_for("#f-link").await;
    let hidden = p
        .js("return document.querySelector('button.copy[data-copy=\"f-link\"]').hidden;")
        .await;
    assert_eq!(hidden.as_bool(), Some(false), "copy.js reveals the button");
    b.screenshot("target/screenshots/link-with-copy-and-qr.png")
        .await;
    b.close().await;
}

#[tokio::test]
async fn the_one_time_password_has_a_copy_button() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post(
            "/parameters/users/new",
            &[
                ("username", "copy.check"),
                ("full_name", "Copy Check"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let otp = page.find("id=\"otp\"").expect("the one-time password");
    let copy = page.find("data-copy=\"otp\"").expect("a copy button");
    assert!(copy > otp && copy - otp < 300, "next to the password");
    assert!(page.contains("Copier le mot de passe") && page.contains("/static/copy.js"));
}
