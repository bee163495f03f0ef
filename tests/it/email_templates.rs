//! Editable email templates (issue 14, LINK-3), through a real server and a real SMTP
//! server (aiosmtpd): the admin's version of a template is what the customer gets, in
//! the request's language, values escaped in the HTML part and literal in the text
//! part; a typo or broken syntax is refused naming it; the test email reaches the
//! admin; the merchant's sender name and footer sign its customers' emails.

use guichet::config::{SmtpConfig, SmtpSecurity};
use guichet::db::users;
use guichet::domain::Lang;
use guichet::domain::email_template::{TemplateId, TemplateKind, TemplateSource};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, shop};
use crate::support::smtp::Smtp;
use crate::support::{Client, TestApp, free_port, spawn_app, spawn_app_with};

const FR_LINK: &str = "/parameters/emails/templates/payment-link-fr";

async fn app_with_smtp(port: u16) -> TestApp {
    spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
        });
        c.mail_from = "guichet@guichet.test".into();
    })
    .await
}

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

/// The French payment link template with its greeting rewritten.
fn edited_fr_link() -> TemplateSource {
    let mut t = TemplateSource::default_of(TemplateId::new(TemplateKind::PaymentLink, Lang::Fr));
    t.text = t.text.replace(
        "Bonjour {{ customer_name }},",
        "Salam {{ customer_name }}, voici votre lien (modèle modifié).",
    );
    t.html = t.html.replace(
        "<p>Bonjour {{ customer_name }},</p>",
        "<p>Salam {{ customer_name }}, voici votre lien (modèle modifié).</p>",
    );
    t
}

async fn post_template(c: &Client, path: &str, t: &TemplateSource) -> reqwest::Response {
    c.post(
        path,
        &[
            ("subject", t.subject.as_str()),
            ("text", t.text.as_str()),
            ("html", t.html.as_str()),
        ],
    )
    .await
}

#[tokio::test]
async fn the_edited_template_is_sent_in_the_requests_language_escaped_in_html_and_literal_in_text()
{
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    let (m, manager) = shop(&app).await;
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/settings/emails"),
            &[
                ("sender_name", "Boutique Atlas"),
                ("footer", "Atlas Voyages SARL\r\n12, boulevard <Zerktouni>"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_template(&admin, FR_LINK, &edited_fr_link()).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(r.headers()["location"], format!("{FR_LINK}?done=saved"));
    let (_, page) = admin.page(&format!("{FR_LINK}?done=saved")).await;
    assert!(
        page.contains("Modèle enregistré.") && page.contains("Personnalisé"),
        "{page}"
    );

    let script = "<script>alert(1)</script>";
    new_request(
        &manager,
        m,
        &[
            ("name", script),
            ("action", "send"),
            ("order_id", "CMD-FR-1"),
        ],
    )
    .await;
    let msg = parse(&smtp.wait_for(1).await[0]).into_owned();
    let text = msg.body_text(0).unwrap().to_string();
    let html = msg.body_html(0).unwrap().to_string();
    assert!(
        text.starts_with("Salam <script>alert(1)</script>, voici votre lien (modèle modifié)."),
        "{text}"
    );
    assert!(
        html.contains(
            "Salam &lt;script&gt;alert(1)&lt;/script&gt;, voici votre lien (modèle modifié)."
        ),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(
        msg.subject(),
        Some("Demande de paiement – commande CMD-FR-1 – Boutique Atlas")
    );
    // The merchant's sender name before the appliance's address; its footer below.
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Boutique Atlas"));
    assert_eq!(from.address(), Some("guichet@guichet.test"));
    assert!(
        text.ends_with("— Boutique Atlas\n\nAtlas Voyages SARL\n12, boulevard <Zerktouni>\n"),
        "{text:?}"
    );
    assert!(
        html.contains("Atlas Voyages SARL<br>12, boulevard &lt;Zerktouni&gt;"),
        "{html}"
    );

    // An English request: the English template, untouched.
    new_request(
        &manager,
        m,
        &[
            ("name", "Karim Benali"),
            ("action", "send"),
            ("lang", "en"),
            ("order_id", "CMD-EN-1"),
        ],
    )
    .await;
    let msg = parse(&smtp.wait_for(2).await[1]).into_owned();
    let text = msg.body_text(0).unwrap().to_string();
    assert!(text.starts_with("Hello Karim Benali,"), "{text}");
    assert!(!text.contains("modifié"), "{text}");
    assert!(msg.body_html(0).unwrap().contains("Pay the order"));
    assert_eq!(
        msg.subject(),
        Some("Payment request – order CMD-EN-1 – Boutique Atlas")
    );

    // Back to the built-in template: the next French email says "Bonjour" again.
    let r = admin
        .post(&format!("{FR_LINK}/reset"), &[("confirmed", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    new_request(
        &manager,
        m,
        &[
            ("name", "Salma Idrissi"),
            ("action", "send"),
            ("order_id", "CMD-FR-2"),
        ],
    )
    .await;
    let msg = parse(&smtp.wait_for(3).await[2]).into_owned();
    assert!(
        msg.body_text(0)
            .unwrap()
            .starts_with("Bonjour Salma Idrissi,"),
        "{:?}",
        msg.body_text(0)
    );
    let (_, audit) = admin.page("/parameters/audit").await;
    for line in [
        "Modèle d'email modifié",
        "Modèle d'email remis par défaut",
        "Expéditeur et pied de page des emails du marchand modifiés",
    ] {
        assert!(audit.contains(line), "{line}");
    }
}

#[tokio::test]
async fn a_placeholder_typo_or_broken_syntax_is_refused_naming_it_and_the_values_are_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut t = edited_fr_link();
    t.text = t.text.replace("{{ pay_link }}", "{{ pay_lnk }}");
    let r = post_template(&admin, FR_LINK, &t).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Variable inconnue : {{pay_lnk}}"), "{page}");
    assert!(page.contains(r#"id="f-text-err""#), "beside its field");
    assert!(
        page.contains("Payer la commande : {{ pay_lnk }}"),
        "the values are kept"
    );

    t = edited_fr_link();
    t.html = "<p>Bonjour\n{{ customer_name </p>".into();
    let r = post_template(&admin, FR_LINK, &t).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Erreur de syntaxe ligne 2 : "), "{page}");
    assert!(page.contains(r#"id="f-html-err""#));
    // Nothing was saved.
    let templates = app.db.email_templates().unwrap();
    assert!(
        templates
            .custom(TemplateId::new(TemplateKind::PaymentLink, Lang::Fr))
            .is_none()
    );
    // In English, the same refusal in English.
    admin.post("/lang", &[("lang", "en"), ("next", "/")]).await;
    t = edited_fr_link();
    t.subject = "{{ shop }}".into();
    let r = post_template(&admin, FR_LINK, &t).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Unknown placeholder: {{shop}}")
    );
}

#[tokio::test]
async fn the_preview_shows_the_example_email_in_a_sandboxed_frame() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = post_template(&admin, &format!("{FR_LINK}/preview"), &edited_fr_link()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"<iframe class="mail-frame" sandbox="""#),
        "{page}"
    );
    assert!(
        page.contains("Salam Salma Idrissi, voici votre lien (modèle modifié)."),
        "{page}"
    );
    // Nothing saved by a preview.
    assert!(
        app.db
            .email_templates()
            .unwrap()
            .custom(TemplateId::new(TemplateKind::PaymentLink, Lang::Fr))
            .is_none()
    );
    // Every template has its editor page.
    for id in TemplateId::all() {
        let (status, page) = admin
            .page(&format!("/parameters/emails/templates/{}", id.slug()))
            .await;
        assert_eq!(status, StatusCode::OK, "{id:?}");
        assert!(page.contains("{{ "), "{id:?}: the placeholders are listed");
    }
    let (status, _) = admin.page("/parameters/emails/templates/receipt-de").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn send_me_a_test_reaches_the_admins_address_or_says_it_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    let test = format!("{FR_LINK}/test");
    let r = post_template(&admin, &test, &edited_fr_link()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Votre profil n'a pas d'adresse email")
    );
    let id = app.db.user_by_username("admin").unwrap().unwrap().id;
    let wtx = app.db.begin_write().unwrap();
    let mut u = users::get(&wtx, id).unwrap().unwrap();
    u.email = "admin@guichet.test".into();
    users::update(&wtx, &u).unwrap();
    wtx.commit().unwrap();
    let r = post_template(&admin, &test, &edited_fr_link()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Email de test envoyé à admin@guichet.test")
    );
    let msg = parse(&smtp.wait_for(1).await[0]).into_owned();
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("admin@guichet.test")
    );
    assert_eq!(
        msg.subject(),
        Some("[Test] Demande de paiement – commande CMD-1042 – Boutique Atlas")
    );
    assert!(
        msg.body_text(0)
            .unwrap()
            .starts_with("Salam Salma Idrissi, voici votre lien (modèle modifié).")
    );
    // A test does not save the template.
    assert!(
        app.db
            .email_templates()
            .unwrap()
            .custom(TemplateId::new(TemplateKind::PaymentLink, Lang::Fr))
            .is_none()
    );
}

#[tokio::test]
async fn only_admins_see_or_change_the_templates_and_the_email_branding() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    app.merchant_user("atlas.viewer", m, Permissions::ALL);
    for path in [
        "/parameters/emails/templates",
        FR_LINK,
        &format!("{FR_LINK}/reset"),
    ] {
        let (status, _) = manager.page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let t = edited_fr_link();
    for path in [
        FR_LINK.to_string(),
        format!("{FR_LINK}/preview"),
        format!("{FR_LINK}/test"),
        format!("{FR_LINK}/reset"),
        format!("/parameters/merchants/{m}/settings/emails"),
    ] {
        let r = post_template(&manager, &path, &t).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(app.db.email_templates().unwrap(), Default::default());
    // Without the CSRF token, even the admin is refused.
    let admin = app.admin().await;
    let r = admin
        .http
        .post(format!("{}{FR_LINK}", admin.base))
        .form(&[("subject", "x"), ("text", "y"), ("html", "z")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn in_chromium_the_admin_edits_the_payment_link_template_and_the_customer_gets_the_edited_text()
 {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    app.merchant("Atlas Voyages");
    let boss = app.user("boss", guichet::domain::user::Role::Admin);
    let secret = app.enrol(boss.id);
    let Some(b) = crate::support::browser::start().await else {
        return;
    };
    let p = b.page(&app.base);
    p.sign_in_with_code(
        "boss",
        &secret,
        guichet::clock::Clock::now(&app.clock).unix_timestamp(),
    )
    .await;

    // Parameters › Emails › Templates › Payment link — French.
    p.goto("/parameters/emails").await;
    p.click(r#"nav.tabs-inline a[href="/parameters/emails/templates"]"#)
        .await;
    p.click(r#"a[href="/parameters/emails/templates/payment-link-fr"]"#)
        .await;
    p.wait_for("#f-text").await;
    p.type_in(
        "#f-text",
        "\nPS : -10 % sur votre prochain séjour (modifié dans le navigateur).\n",
    )
    .await;
    p.type_in(
        "#f-html",
        "\n<p>PS : -10 % sur votre prochain séjour (modifié dans le navigateur).</p>\n",
    )
    .await;
    // The preview first: the example email in its sandboxed frame.
    p.click(r#"button[formaction*="/preview"]"#).await;
    p.wait_for("iframe.mail-frame").await;
    assert!(
        p.text("pre.mail-body")
            .await
            .contains("PS : -10 % sur votre prochain séjour")
    );
    b.screenshot("target/screenshots/email-template-preview.png")
        .await;
    p.click("div.template-editor button.primary").await;
    p.wait_for(".flash.ok").await;
    assert_eq!(p.text(".flash.ok").await, "Modèle enregistré.");

    // The virtual terminal emails a link to a French-speaking customer.
    p.goto("/terminal").await;
    p.wait_for("form.vt").await;
    p.fill("#f-order_id", "VOY-88").await;
    p.fill("#f-amount", "250,00").await;
    p.fill("#f-name", "Salma Idrissi").await;
    p.fill("#f-email", "salma@example.ma").await;
    p.click(r#"button[value="send"]"#).await;
    p.wait_until(
        "return location.pathname.startsWith('/payment-requests/');",
        "the request page",
    )
    .await;

    let msg = parse(&smtp.wait_for(1).await[0]).into_owned();
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("salma@example.ma")
    );
    let text = msg.body_text(0).unwrap().to_string();
    assert!(text.starts_with("Bonjour Salma Idrissi,"), "{text}");
    assert!(
        text.contains("PS : -10 % sur votre prochain séjour (modifié dans le navigateur)."),
        "{text}"
    );
    assert!(
        msg.body_html(0)
            .unwrap()
            .contains("<p>PS : -10 % sur votre prochain séjour (modifié dans le navigateur).</p>")
    );
    b.close().await;
}
