//! New users get their credentials by email (issue 14, point 4): a one-time sign-in
//! link, valid 24 hours, instead of a password in clear; the show-once password stays
//! when no email is given or no SMTP server is configured.

use guichet::config::{SmtpConfig, SmtpSecurity};
use reqwest::StatusCode;
use time::Duration;

use crate::support::smtp::Smtp;
use crate::support::{Client, TestApp, free_port, spawn_app, spawn_app_with};

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

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

/// Creates the admin user `username` with `email` through the users form.
async fn create_user(admin: &Client, username: &str, email: &str) -> reqwest::Response {
    admin
        .post(
            "/parameters/users/new",
            &[
                ("username", username),
                ("full_name", "Nadia Alaoui"),
                ("email", email),
                ("role", "admin"),
            ],
        )
        .await
}

/// The path of the welcome link in an email's text.
fn welcome_path(text: &str) -> String {
    let i = text.find("/welcome/").expect("a welcome link");
    text[i..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

async fn choose(c: &Client, path: &str, password: &str) -> reqwest::Response {
    c.post(path, &[("new", password), ("confirm", password)])
        .await
}

#[tokio::test]
async fn a_new_user_with_an_email_gets_a_sign_in_link_that_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    let r = create_user(&admin, "nadia", "nadia@example.ma").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = admin.page(&to).await;
    assert!(page.contains("un lien de connexion"), "{page}");
    assert!(!page.contains("Mot de passe à usage unique"), "{page}");

    let raw = &smtp.wait_for(1).await[0];
    let msg = parse(raw);
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("nadia@example.ma")
    );
    assert_eq!(msg.subject(), Some("Vos identifiants Guichet"));
    let text = msg.body_text(0).unwrap().to_string();
    let html = msg.body_html(0).unwrap().to_string();
    assert!(
        text.contains("Bonjour Nadia Alaoui,") && text.contains("nadia"),
        "{text}"
    );
    // No password line: only the username and the link.
    assert!(
        !text.lines().any(|l| l.starts_with("Mot de passe")),
        "{text}"
    );
    let path = welcome_path(&text);
    assert!(html.contains(&path), "{html}");
    // The data file keeps only the link's hash; the sent email keeps no usable link.
    let user = app.db.user_by_username("nadia").unwrap().unwrap();
    assert!(user.must_change_password);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let kept = &app.db.mails(None, 10).unwrap()[0];
        if kept.state != guichet::domain::outbox::MailState::Pending {
            assert!(!kept.text.contains(&path) && !kept.html.contains(&path));
            assert!(kept.text.contains("/welcome/…"), "{}", kept.text);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still pending");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let c = app.client();
    let (status, page) = c.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("choisissez votre mot de passe"), "{page}");
    // A weak password is refused and the link still works.
    let r = choose(&c, &path, "short").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = choose(&c, &path, "Nadia-welcome-2026").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    // Signed in: an admin goes on to enrol the second factor the appliance requires.
    let r = c.get("/parameters/profile").await;
    assert_eq!(r.headers()["location"], "/second-factor");
    assert_eq!(c.get("/second-factor").await.status(), StatusCode::OK);
    let user = app.db.user_by_username("nadia").unwrap().unwrap();
    assert!(!user.must_change_password);

    // Second time: already used, for a visit and for a post.
    let other = app.client();
    let (status, page) = other.page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Ce lien a déjà servi"), "{page}");
    let r = choose(&other, &path, "Another-pass-2026").await;
    assert_eq!(r.status(), StatusCode::GONE);
    // The new password works for signing in.
    let again = app.client();
    assert_eq!(
        again.login("nadia", "Nadia-welcome-2026").await.headers()["location"],
        "/"
    );
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("user.welcome_link") || audit.contains("Lien de connexion envoyé"));
}

#[tokio::test]
async fn a_welcome_link_expires_after_24_hours_and_is_in_the_managers_language() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    admin.post("/lang", &[("lang", "en")]).await;
    let r = create_user(&admin, "omar", "omar@example.ma").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let msg_raw = &smtp.wait_for(1).await[0];
    let msg = parse(msg_raw);
    assert_eq!(msg.subject(), Some("Your Guichet sign-in details"));
    let text = msg.body_text(0).unwrap().to_string();
    assert!(text.contains("Hello Nadia Alaoui,") && text.contains("expires in 24 hours"));
    let path = welcome_path(&text);

    app.clock.advance(Duration::hours(24));
    let c = app.client();
    let (status, page) = c.page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Ce lien a expiré"), "{page}");
    assert!(page.contains("administrateur"), "{page}");
    let r = choose(&c, &path, "Omar-welcome-2026").await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(
        app.db
            .user_by_username("omar")
            .unwrap()
            .unwrap()
            .must_change_password
    );
    // An unknown link is a 404 with the same advice.
    let (status, _) = c.page("/welcome/00ff").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_smtp_or_without_email_the_password_is_shown_once_as_before() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = create_user(&admin, "sami", "sami@example.ma").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Mot de passe à usage unique"), "{page}");
    assert_eq!(app.db.pending_mail_count().unwrap(), 0);

    let with = app_with_smtp(free_port()).await;
    let admin = with.admin().await;
    let r = create_user(&admin, "lina", "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Mot de passe à usage unique")
    );
    assert_eq!(with.db.pending_mail_count().unwrap(), 0);
    // A malformed address is refused with a message.
    let r = create_user(&admin, "bad", "not-an-email").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Adresse email invalide"));
}

#[tokio::test]
async fn a_manager_sends_a_new_sign_in_link_that_works_while_the_old_password_still_does() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    let r = create_user(&admin, "nadia", "nadia@example.ma").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = welcome_path(&parse(&smtp.wait_for(1).await[0]).body_text(0).unwrap());
    let c = app.client();
    assert_eq!(
        choose(&c, &first, "Nadia-welcome-2026").await.status(),
        StatusCode::SEE_OTHER
    );
    let user = app.db.user_by_username("nadia").unwrap().unwrap();
    let page_path = format!("/parameters/users/{}", user.id);
    let (_, page) = admin.page(&page_path).await;
    assert!(
        page.contains("Envoyer un nouveau lien de connexion"),
        "{page}"
    );
    let r = admin.post(&format!("{page_path}/send_link"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.page(r.headers()["location"].to_str().unwrap()).await;
    assert!(page.contains("Un nouveau lien de connexion"), "{page}");
    let resent = smtp.wait_for(2).await[1].clone();
    let resent_text = parse(&resent).body_text(0).unwrap().to_string();
    assert!(
        resent_text.contains("un nouveau lien pour choisir votre mot de passe")
            && !resent_text.contains("Un compte vient d'être créé"),
        "{resent_text}"
    );
    let second = welcome_path(&resent_text);
    assert_ne!(first, second);
    // The old password still works until the link is used; then the new one does.
    assert_eq!(
        app.client()
            .login("nadia", "Nadia-welcome-2026")
            .await
            .headers()["location"],
        "/"
    );
    let other = app.client();
    assert_eq!(
        choose(&other, &second, "Nadia-second-2026").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(other.page(&second).await.0, StatusCode::GONE);
    // Not on one's own account, nor without an email address.
    let me = app.db.user_by_username("admin").unwrap().unwrap();
    let r = admin
        .post(&format!("/parameters/users/{}/send_link", me.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .post(
            "/parameters/users/new",
            &[
                ("username", "omar"),
                ("full_name", "Omar"),
                ("email", ""),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the show-once password page");
    let omar = app.db.user_by_username("omar").unwrap().unwrap();
    let r = admin
        .post(&format!("/parameters/users/{}/send_link", omar.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
