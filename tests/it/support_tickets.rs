//! Support tickets (issue 14, SUP-1): a merchant's user opens a ticket about a
//! transaction, every admin is told by email (a real SMTP server) in their own
//! language, the admin answers and the merchant reads the answer, with the Support
//! tab's unread count; another merchant's users get 404 on all of it. A closed ticket
//! takes no message and bad input is refused beside its field.

use guichet::config::{SmtpConfig, SmtpSecurity};
use guichet::domain::Lang;
use guichet::domain::actor::Actor;
use guichet::domain::support::{Category, NewTicket};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::rows::{sale, write};
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

/// Gives `username` an email address and a language, straight in the data file.
fn set_email(app: &TestApp, username: &str, email: &str, lang: Lang) {
    let id = app.db.user_by_username(username).unwrap().unwrap().id;
    let wtx = app.db.begin_write().unwrap();
    let mut u = guichet::db::users::get(&wtx, id).unwrap().unwrap();
    u.email = email.into();
    u.lang = lang;
    guichet::db::users::update(&wtx, &u).unwrap();
    wtx.commit().unwrap();
}

/// The ticket id in the `Location` of a successful new-ticket form.
fn created(r: &reqwest::Response) -> u64 {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap();
    assert!(to.ends_with("?done=opened"), "{to}");
    to.trim_start_matches("/support/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The count the Support tab shows, if any.
fn tab_count(page: &str) -> Option<String> {
    let i = page.find(r#"class="tab-count""#)?;
    let rest = &page[i..];
    let start = rest.find('>')? + 1;
    let end = rest.find('<')?;
    Some(rest[start..end].to_string())
}

async fn open_ticket(c: &Client, fields: &[(&str, &str)]) -> reqwest::Response {
    c.post("/support/new", fields).await
}

#[tokio::test]
async fn a_ticket_about_a_transaction_goes_to_the_admin_by_email_and_the_answer_back_to_the_merchant()
 {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(port, &dir.path().join("maildir")).await;
    let app = app_with_smtp(port).await;
    let admin = app.admin().await;
    // The admin reads English; the merchant's manager French.
    set_email(&app, "admin", "admin@guichet.test", Lang::En);
    let m = app.merchant("Atlas Voyages");
    let other = app.merchant("Riad Fès");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    set_email(&app, "atlas.manager", "manager@atlas.test", Lang::Fr);
    app.merchant_user("riad.manager", other.id, Permissions::ALL);
    let tx = write(
        &app,
        vec![sale(
            m.id,
            guichet::clock::Clock::now(&app.clock),
            125_050,
            "Salma Idrissi",
        )],
    )[0]
    .id;
    let manager = app.signed_in("atlas.manager").await;
    let stranger = app.signed_in("riad.manager").await;

    // The transaction's Tickets tab: none yet, and the way to open one.
    let (status, tab) = manager
        .page(&format!("/transactions/{tx}?tab=tickets"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("Tickets (0)"), "{tab}");
    let new = format!("/support/new?tx={tx}");
    assert!(tab.contains(&new), "{tab}");
    let (status, form) = manager.page(&new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("À propos de la transaction"), "{form}");

    let r = open_ticket(
        &manager,
        &[
            ("subject", "Remboursement non reçu"),
            ("category", "refund"),
            (
                "message",
                "Bonjour,\nle client attend toujours son remboursement.",
            ),
            ("tx", &tx.to_string()),
        ],
    )
    .await;
    let id = created(&r);
    let thread = format!("/support/{id}");

    // The admin's email, in English, through the real SMTP server.
    let raw = &smtp.wait_for(1).await[0];
    let msg = parse(raw);
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("admin@guichet.test")
    );
    assert_eq!(
        msg.subject(),
        Some(format!("[Ticket no. {id}] Remboursement non reçu").as_str())
    );
    let text = msg.body_text(0).unwrap().to_string();
    assert!(
        text.contains("atlas.manager (Atlas Voyages) wrote"),
        "{text}"
    );
    assert!(text.contains("le client attend toujours"), "{text}");
    assert!(text.contains("Ticket state: Open"), "{text}");
    assert!(text.contains(&format!("{}{thread}", app.base)), "{text}");

    // The admin sees it unread in the list, the Support tab counts it.
    let (_, list) = admin.page("/support").await;
    assert!(list.contains("Remboursement non reçu"), "{list}");
    assert!(list.contains(r#"class="unread""#), "{list}");
    assert_eq!(tab_count(&list).as_deref(), Some("1"));
    let (status, page) = admin.page(&thread).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("le client attend toujours"), "{page}");
    assert_eq!(tab_count(&page), None, "read once opened");

    // The admin answers and hands the ticket back to the merchant.
    let r = admin
        .post(
            &thread,
            &[
                ("message", "We are checking with the bank."),
                ("state", "waiting"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let raw = &smtp.wait_for(2).await[1];
    let msg = parse(raw);
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("manager@atlas.test")
    );
    assert_eq!(
        msg.subject(),
        Some(format!("[Ticket n° {id}] Remboursement non reçu").as_str())
    );
    let text = msg.body_text(0).unwrap().to_string();
    assert!(text.contains("admin (Support) a écrit"), "{text}");
    assert!(
        text.contains("État du ticket : En attente du marchand"),
        "{text}"
    );

    // The merchant: one unread ticket, then the answer after its own message.
    let (_, home) = manager.page("/support").await;
    assert_eq!(tab_count(&home).as_deref(), Some("1"));
    assert!(home.contains("En attente du marchand"), "{home}");
    let (status, page) = manager.page(&thread).await;
    assert_eq!(status, StatusCode::OK);
    let question = page.find("le client attend toujours").unwrap();
    let answer = page.find("We are checking with the bank.").unwrap();
    assert!(question < answer, "the newest message last");
    assert!(page.contains("admin"), "{page}");
    assert_eq!(tab_count(&page), None);
    let (_, after) = manager.page("/support").await;
    assert_eq!(tab_count(&after), None, "nothing unread any more");
    let (_, tab) = manager
        .page(&format!("/transactions/{tx}/tab/tickets"))
        .await;
    assert!(tab.contains("Tickets (1)") && tab.contains("Remboursement non reçu"));

    // Another merchant's user: 404 on the ticket, its transaction's tab, posting.
    assert_eq!(stranger.get(&thread).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        stranger
            .get(&format!("/transactions/{tx}/tab/tickets"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger
            .post(&thread, &[("message", "let me in")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(stranger.get(&new).await.status(), StatusCode::NOT_FOUND);
    let r = open_ticket(
        &stranger,
        &[
            ("subject", "Hello"),
            ("category", "other"),
            ("message", "Hi"),
            ("tx", &tx.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, theirs) = stranger.page("/support").await;
    assert!(!theirs.contains("Remboursement non reçu"));

    // The merchant writes again: the ticket opens again and the admin is told.
    let r = manager
        .post(&thread, &[("message", "Merci, j'attends.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let msg_raw = &smtp.wait_for(3).await[2];
    let text = parse(msg_raw).body_text(0).unwrap().to_string();
    assert!(text.contains("Ticket state: Open"), "{text}");
    let (_, list) = admin.page("/support?state=open").await;
    assert!(list.contains("Remboursement non reçu"), "{list}");

    // The audit log and the outbox say it in the admin's words.
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("Support ticket opened"), "{audit}");
    assert!(
        audit.contains("state: Open → Waiting for merchant"),
        "{audit}"
    );
    let (_, outbox) = admin.page("/parameters/emails").await;
    assert!(outbox.contains("Support ticket"), "{outbox}");
    assert!(outbox.contains(&format!(r#"href="{thread}""#)), "{outbox}");
}

#[tokio::test]
async fn a_closed_ticket_takes_no_message_and_bad_input_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::default());
    let manager = app.signed_in("atlas.manager").await;

    // Bad input: 422, each message beside its field, what was typed kept.
    let long = "x".repeat(121);
    let r = open_ticket(
        &manager,
        &[
            ("subject", &long),
            ("category", ""),
            ("message", "Carte 4111 1111 1111 1111"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("L'objet doit contenir de 1 à 120 caractères."),
        "{page}"
    );
    assert!(page.contains("Choisissez une catégorie."), "{page}");
    assert!(
        page.contains("Ne saisissez pas de numéro de carte ici."),
        "{page}"
    );
    assert!(page.contains(&long), "the subject is kept");
    // A transaction number that is not one: no such transaction.
    let r = open_ticket(
        &manager,
        &[
            ("subject", "S"),
            ("category", "other"),
            ("message", "M"),
            ("tx", "abc"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = open_ticket(
        &manager,
        &[
            ("subject", "Accès"),
            ("category", "account"),
            ("message", "Je ne vois pas les transactions."),
        ],
    )
    .await;
    let id = created(&r);
    let thread = format!("/support/{id}");

    // An empty answer is refused in place.
    let r = admin.post(&thread, &[("message", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Le message doit contenir de 1 à 5000 caractères."));
    // No CSRF token, no message.
    let r = manager
        .post_raw(&thread, &[("message", "sans jeton")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Only admins change the state.
    let r = manager
        .post(&format!("{thread}/state"), &[("state", "closed")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = admin
        .post(&format!("{thread}/state"), &[("state", "closed")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = manager.page(&thread).await;
    assert!(page.contains("Fermé"), "{page}");
    assert!(
        !page.contains(r#"name="message""#),
        "no answer form: {page}"
    );
    for c in [&manager, &admin] {
        let r = c.post(&thread, &[("message", "Encore une question")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let page = r.text().await.unwrap();
        assert!(page.contains("Ce ticket est fermé"), "{page}");
        assert!(page.contains("Encore une question"), "the message is kept");
    }
    // The same state twice is refused; the admin may open it again.
    let r = admin
        .post(&format!("{thread}/state"), &[("state", "closed")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post(&format!("{thread}/state"), &[("state", "open")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = manager.post(&thread, &[("message", "Merci")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = manager.page(&thread).await;
    assert_eq!(page.matches(r#"class="msg "#).count(), 4, "{page}");
    // The state changes are in the audit log.
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("Ouvert → Fermé"), "{audit}");
}

/// Opens a ticket for `username` straight in the data file, `days_ago` days before
/// the app's clock (nobody has an email: no notification is written).
fn seed_ticket(app: &TestApp, username: &str, subject: &str, category: Category, days_ago: i64) {
    let user = app.db.user_by_username(username).unwrap().unwrap();
    let at = guichet::clock::Clock::now(&app.clock).unix_timestamp() - days_ago * 86_400;
    let new = NewTicket {
        subject: subject.into(),
        category,
        message: "Question".into(),
        transaction_id: None,
    };
    app.db
        .open_ticket(
            new,
            &user,
            &Actor::new(at, username, "10.0.0.1"),
            &|_, _, _| panic!("nobody has an email"),
        )
        .unwrap();
}

#[tokio::test]
async fn the_admin_list_filters_by_state_merchant_category_and_age() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let atlas = app.merchant("Atlas Voyages");
    let riad = app.merchant("Riad Fès");
    app.merchant_user("atlas.manager", atlas.id, Permissions::default());
    app.merchant_user("riad.manager", riad.id, Permissions::default());
    seed_ticket(&app, "atlas.manager", "Sujet ancien", Category::Payment, 8);
    seed_ticket(
        &app,
        "riad.manager",
        "Sujet récent",
        Category::Integration,
        0,
    );

    let rows = |page: &str| -> Vec<&str> {
        ["Sujet ancien", "Sujet récent"]
            .into_iter()
            .filter(|s| page.contains(s))
            .collect()
    };
    let (_, all) = admin.page("/support").await;
    assert_eq!(rows(&all), ["Sujet ancien", "Sujet récent"]);
    // Newest first.
    assert!(all.find("Sujet récent").unwrap() < all.find("Sujet ancien").unwrap());
    let by_riad = format!("merchant={}", riad.id);
    let cases: [(&str, &[&str]); 6] = [
        ("age=7", &["Sujet ancien"]),
        ("age=30", &[]),
        (&by_riad, &["Sujet récent"]),
        ("category=payment", &["Sujet ancien"]),
        ("state=waiting", &[]),
        ("state=open", &["Sujet ancien", "Sujet récent"]),
    ];
    for (query, expected) in cases {
        let (status, page) = admin.page(&format!("/support?{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rows(&page), expected, "{query}");
    }
    // A merchant's user sees its own only, whatever merchant it asks for.
    let a = app.signed_in("atlas.manager").await;
    let (_, own) = a.page(&format!("/support?{by_riad}")).await;
    assert_eq!(rows(&own), ["Sujet ancien"]);
}

/// The manager's and the admin's Support pages in Chromium, on a laptop and on a
/// phone: screenshots (`target/screenshots/journey-support-*`), no serious axe-core
/// finding, no sideways scroll, and the top tabs (with the unread count) in sight.
#[tokio::test]
async fn the_support_pages_read_well_on_a_laptop_and_on_a_phone() {
    use crate::support::journey::{WIDTHS, assert_none, browser_at};
    use guichet::domain::support::{Reply, TicketState};
    use guichet::domain::user::Role;

    let app = spawn_app().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let boss = app.user("boss", Role::Admin);
    let secret = app.enrol(boss.id);
    let now = guichet::clock::Clock::now(&app.clock);
    let tx = write(&app, vec![sale(m.id, now, 125_050, "Salma Idrissi")])[0].id;
    seed_ticket(
        &app,
        "atlas.manager",
        "Accès aux exports",
        Category::Account,
        3,
    );
    let manager = app.db.user_by_username("atlas.manager").unwrap().unwrap();
    let new = NewTicket {
        subject: "Remboursement non reçu par le client".into(),
        category: Category::Refund,
        message: "Bonjour,\nle client attend toujours son remboursement de la commande CMD-1001."
            .into(),
        transaction_id: Some(tx),
    };
    let actor = |user: &str| Actor::new(now.unix_timestamp(), user, "10.0.0.1");
    let t = app
        .db
        .open_ticket(new, &manager, &actor("atlas.manager"), &|_, _, _| {
            panic!("nobody has an email")
        })
        .unwrap();
    let reply = Reply {
        body: "Nous vérifions avec la banque et revenons vers vous.".into(),
        state: Some(TicketState::WaitingMerchant),
    };
    app.db
        .post_ticket_message(
            guichet::db::Scope::Admin,
            t.id,
            &boss,
            reply,
            &actor("boss"),
            &|_, _, _| panic!("nobody has an email"),
        )
        .unwrap()
        .unwrap();
    let tabs_in_sight = "return [...document.querySelectorAll('nav.tabs')].every(n => \
        n.scrollWidth <= n.clientWidth && [...n.querySelectorAll('a')].every(a => { \
        const r = a.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; }));";
    for (w, h) in WIDTHS {
        let Some(b) = browser_at(w, h).await else {
            return;
        };
        // A new answer at each width: one unread ticket for the manager.
        let reply = Reply {
            body: format!("Point à {w} px."),
            state: None,
        };
        app.db
            .post_ticket_message(
                guichet::db::Scope::Admin,
                t.id,
                &boss,
                reply,
                &actor("boss"),
                &|_, _, _| panic!("nobody has an email"),
            )
            .unwrap()
            .unwrap();
        let mut s = crate::support::journey::Steps::new(&b, &app.base, w);
        s.p.sign_in("atlas.manager").await;
        s.p.goto("/support").await;
        s.p.wait_for("table.tickets").await;
        s.check(tabs_in_sight, "a top tab is out of sight").await;
        s.check(
            "return document.querySelector('nav.tabs .tab-count')?.textContent === '1';",
            "the Support tab does not count the unread ticket",
        )
        .await;
        s.step("support-list").await;
        s.p.goto(&format!("/support/{}", t.id)).await;
        s.p.wait_for("ol.thread").await;
        s.step("support-thread").await;
        s.p.goto(&format!("/transactions/{tx}?tab=tickets")).await;
        s.p.wait_for("table.tickets").await;
        s.step("support-tx-tab").await;
        s.p.goto(&format!("/support/new?tx={tx}")).await;
        s.p.fill("#f-subject", "Carte refusée").await;
        s.p.find("#f-category")
            .await
            .select_by_value("payment")
            .await
            .unwrap();
        s.p.fill("#f-message", "Carte 4111 1111 1111 1111").await;
        s.p.click("form.card button.primary").await;
        s.p.wait_for("small.error").await;
        s.step("support-new-refused").await;

        // The admin: the list with its merchant column, the thread with both forms.
        s.p.c.delete_all_cookies().await.unwrap();
        app.clock.advance(time::Duration::seconds(30));
        let at = guichet::clock::Clock::now(&app.clock).unix_timestamp();
        s.p.sign_in_with_code("boss", &secret, at).await;
        s.p.goto("/support").await;
        s.p.wait_for("table.tickets").await;
        s.check(tabs_in_sight, "a top tab is out of sight").await;
        s.step("support-admin-list").await;
        s.p.goto(&format!("/support/{}", t.id)).await;
        s.p.wait_for("form.state-change").await;
        s.step("support-admin-thread").await;
        let found = s.problems();
        b.close().await;
        assert_none(found);
    }
}
