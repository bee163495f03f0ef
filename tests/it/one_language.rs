//! One language at a time: in English, no screen shows a word of the French
//! interface, and in French no word of the English one. The walk signs in as the
//! admin (second factor included), a merchant manager and a viewer, opens every
//! back-office page of the route table, the error states of its forms, the 404 page,
//! the customer's payment, 3-D Secure, receipt and refusal pages, and the sign-in
//! pages; it reads only what a person sees or hears (text, placeholders, titles,
//! aria-labels, button values) and looks for whole words of the other language.
//! Code and email template content marked `translate="no"` are not interface words.

use guichet::clock::Clock;
use guichet::db::Scope;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::payments::new_request;
use crate::support::html::field_in;
use crate::support::{ADMIN_PASSWORD, Client, TestApp, USER_PASSWORD, spawn_app};

/// Words of the French interface that have no place in the English one.
const FRENCH: &[&str] = &[
    "Rechercher",
    "Montant",
    "Annuler",
    "Retour",
    "Enregistrer",
    "Précédent",
    "Suivant",
    "élément",
    "éléments",
    "Statut",
    "Acceptée",
    "Refusée",
    "Début",
    "Fin",
    "Aucun",
    "Aucune",
    "Traitement",
    "Paramètres",
    "Déconnecter",
    "Marchand",
    "Utilisateur",
    "Carte",
    "Payer",
    "JJ/MM/AAAA",
    "Remboursement",
    "Vente",
    "Détails",
    "Détail",
    "Mot de passe",
    "Demande",
    "Tentatives",
    "Résultat",
    "Oui",
    "Non",
    "Étape",
    "Connexion",
    "succès",
    "refusé",
    "Aperçu",
    "Enregistré",
    "Merci",
    "Bonjour",
];

/// Words of the English interface that have no place in the French one.
const ENGLISH: &[&str] = &[
    "Search",
    "Amount",
    "Cancel",
    "Back",
    "Save",
    "Previous",
    "Next",
    "items",
    "Status",
    "Accepted",
    "Declined",
    "Processing",
    "Settings",
    "Sign out",
    "Export",
    "Merchant",
    "User",
    "Card",
    "Pay",
    "DD/MM/YYYY",
    "Refund",
    "Sale",
    "Details",
    "Detail",
    "Password",
    "Request",
    "Attempts",
    "Outcome",
    "Yes",
    "None",
    "Waiting",
    "Created",
    "Step",
    "success",
    "refused",
    "Preview",
    "Hello",
    "Thank you",
    "not found",
    "failed",
    "invalid",
];

/// What a person sees or hears of a page: text outside tags (scripts and styles
/// left out), and the placeholder, title, aria-label and alt attributes and the
/// value of buttons. Entities are decoded.
pub(crate) fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        rest = &rest[open..];
        let Some(close) = tag_end(rest) else { break };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        // Code and the content of an email template (`translate="no"`) are not the
        // interface's words: `{{ amount }}` is a placeholder, not English.
        let untranslated = !tag.starts_with('/')
            && attribute(tag, "translate").as_deref() == Some("no")
            && matches!(name.as_str(), "code" | "textarea" | "pre" | "span");
        if name == "script" || name == "style" || untranslated {
            let end = format!("</{name}");
            match rest.to_ascii_lowercase().find(&end) {
                Some(i) => rest = &rest[i..],
                None => break,
            }
            continue;
        }
        // A <button>'s value is sent, not shown; an input button shows its value.
        let button = name == "input"
            && matches!(
                attribute(tag, "type").as_deref(),
                Some("submit" | "button" | "reset")
            );
        for a in ["placeholder", "title", "aria-label", "alt"] {
            if let Some(v) = attribute(tag, a) {
                out.push_str(&format!(" {v} "));
            }
        }
        if button && let Some(v) = attribute(tag, "value") {
            out.push_str(&format!(" {v} "));
        }
    }
    out.push_str(rest);
    decode(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the tag starting at `s[0] == '<'` ends, quotes respected.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a tag's inside (`input type="submit" value="x"`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = tag[..at].chars().last();
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let after = tag[from..].trim_start();
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let q = after.chars().next()?;
        if q == '"' || q == '\'' {
            let body = &after[1..];
            return body.find(q).map(|end| decode(&body[..end]));
        }
        return Some(after.split_whitespace().next().unwrap_or("").to_string());
    }
    None
}

fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// The words of `list` found in `text` as whole words (any case), each with a
/// little of the text around it.
pub(crate) fn foreign_words(text: &str, list: &[&str]) -> Vec<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '/';
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for w in list {
        let needle = w.to_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&needle) {
            let at = from + i;
            let end = at + needle.len();
            from = end;
            let before = lower[..at].chars().last();
            let after = lower[end..].chars().next();
            if before.is_some_and(is_word) || after.is_some_and(is_word) {
                continue;
            }
            let start = lower[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let stop = lower[end..]
                .char_indices()
                .nth(40)
                .map_or(lower.len(), |(i, _)| end + i);
            let around: String = lower[start..stop]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            found.push(format!("{w:?} in “{around}”"));
            break;
        }
    }
    found
}

/// The pages read in one language and what they leaked.
struct Walk {
    lang: &'static str,
    foreign: &'static [&'static str],
    pages: usize,
    leaks: Vec<String>,
}

impl Walk {
    fn new(lang: &'static str) -> Walk {
        Walk {
            lang,
            foreign: if lang == "en" { FRENCH } else { ENGLISH },
            pages: 0,
            leaks: Vec::new(),
        }
    }

    fn read(&mut self, what: &str, body: &str) {
        self.pages += 1;
        if let Ok(dir) = std::env::var("WALK_DUMP") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(format!("{dir}/{}.txt", self.lang))
                .unwrap();
            writeln!(f, "=== {what}\n{}\n", visible_text(body)).unwrap();
        }
        let html_lang = format!(r#"<html lang="{}""#, self.lang);
        if !body.contains(&html_lang) {
            self.leaks.push(format!("{what}: no {html_lang}>"));
        }
        for w in foreign_words(&visible_text(body), self.foreign) {
            self.leaks.push(format!("{what}: {w}"));
        }
    }

    async fn get(&mut self, c: &Client, path: &str) -> String {
        let (status, body) = c.page(path).await;
        assert!(
            status == StatusCode::OK || status.is_client_error() && status != StatusCode::FORBIDDEN,
            "GET {path}: {status}"
        );
        self.read(&format!("GET {path}"), &body);
        body
    }

    /// Reads the answer to a form: the page it shows, or the one it leads to.
    async fn answer(&mut self, c: &Client, what: &str, r: reqwest::Response) {
        let status = r.status();
        assert!(!status.is_server_error(), "{what}: {status}");
        if status.is_redirection() {
            let to = r.headers()["location"].to_str().unwrap().to_string();
            self.get(c, &to).await;
        } else {
            let body = r.text().await.unwrap();
            self.read(&format!("{what} ({status})"), &body);
        }
    }

    /// Posts a form that is refused in place and reads the page that says why.
    async fn refused(&mut self, c: &Client, path: &str, fields: &[(&str, &str)]) {
        let r = c.post(path, fields).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_client_error(), "POST {path}: {status} {body}");
        self.read(&format!("POST {path} ({status})"), &body);
    }
}

/// Switches the client's language (its cookie, and its account when signed in).
async fn speak(c: &Client, lang: &str) {
    let r = c.post("/lang", &[("lang", lang), ("next", "/")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// The customer pays `token` with `number` in `lang`; returns the page it lands on
/// (the 3-D Secure page when the card asks for a code).
async fn submit(walk: &mut Walk, customer: &Client, token: &str, number: &str) -> String {
    let page = walk
        .get(customer, &format!("/payment/{token}?lang={}", walk.lang))
        .await;
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &field_in(&page, "csrf")),
                ("attempt", &field_in(&page, "attempt")),
                ("lang", walk.lang),
                ("holder", "Salma Idrissi"),
                ("number", number),
                ("expiry", "12/30"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"].to_str().unwrap().to_string()
}

/// The customer's pages: a card error, 3-D Secure, the receipt, a refusal, a paid
/// link, an unknown link and the test cards. Returns the request and its paid sale.
async fn customer_pages(walk: &mut Walk, app: &TestApp, manager: &Client, m: u64) -> (u64, u64) {
    let lang = walk.lang;
    let customer = app.client();
    let (request, token) = new_request(manager, m, &[("lang", lang)]).await;
    // A card error re-renders the form.
    let page = walk
        .get(&customer, &format!("/payment/{token}?lang={lang}"))
        .await;
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", &field_in(&page, "csrf")),
                ("attempt", &field_in(&page, "attempt")),
                ("lang", lang),
                ("holder", ""),
                ("number", "1234"),
                ("expiry", "13/20"),
                ("cvv", "1"),
            ],
        )
        .await;
    let body = r.text().await.unwrap();
    walk.read("POST /payment (card errors)", &body);
    // A refusal.
    let to = submit(walk, &customer, &token, "4000000000000002").await;
    walk.get(&customer, &to).await;
    // 3-D Secure, then the receipt.
    let to = submit(walk, &customer, &token, "5105105105105100").await;
    assert!(to.contains("/3ds/"), "{to}");
    let page = walk.get(&customer, &to).await;
    let r = customer
        .post_raw(
            to.split('?').next().unwrap(),
            &[
                ("csrf", &field_in(&page, "csrf")),
                ("code", "123456"),
                ("lang", lang),
            ],
        )
        .await;
    let receipt = r.headers()["location"].to_str().unwrap().to_string();
    walk.get(&customer, &receipt).await;
    // The link once paid, an unknown link, the test cards.
    walk.get(&customer, &format!("/payment/{token}?lang={lang}"))
        .await;
    walk.get(
        &customer,
        &format!("/payment/{}?lang={lang}", "0".repeat(32)),
    )
    .await;
    walk.get(&customer, &format!("/test-cards?lang={lang}"))
        .await;
    let sale = app
        .db
        .payment_request(Scope::Admin, request)
        .unwrap()
        .unwrap()
        .paid_tx
        .expect("the request is paid");
    (request, sale)
}

/// Signs in, second factor and forced change included, reading each page.
async fn sign_in_pages(walk: &mut Walk, app: &TestApp) {
    let c = app.client();
    speak(&c, walk.lang).await;
    walk.get(&c, "/login").await;
    let r = c.login("admin", "wrong-password").await;
    let body = r.text().await.unwrap();
    walk.read("POST /login (wrong password)", &body);
    let r = c.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    walk.get(&c, "/login/code").await;
    walk.refused(&c, "/login/code", &[("code", "000000")]).await;
    // A new user's forced password change and second-factor enrolment pages.
    let u = app.merchant_user("atlas.new", 1, Permissions::default());
    let wtx = app.db.begin_write().unwrap();
    let mut fresh = guichet::db::users::get(&wtx, u.id).unwrap().unwrap();
    fresh.must_change_password = true;
    guichet::db::users::update(&wtx, &fresh).unwrap();
    wtx.commit().unwrap();
    let c = app.client();
    speak(&c, walk.lang).await;
    c.login("atlas.new", USER_PASSWORD).await;
    walk.get(&c, "/password").await;
    walk.refused(
        &c,
        "/password",
        &[
            ("current", USER_PASSWORD),
            ("new", "short"),
            ("confirm", "other"),
        ],
    )
    .await;
    app.merchant_user("atlas.spare", 1, Permissions::default());
    let viewer = app.signed_in("atlas.spare").await;
    speak(&viewer, walk.lang).await;
    let r = viewer.post("/second-factor/start", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    walk.get(&viewer, "/second-factor").await;
    // The recovery codes shown once the second factor is on.
    let page = viewer.page("/second-factor").await.1;
    let secret = crate::support::html::secret_in(&page);
    let code = guichet::domain::totp::code_at(&secret, app.clock.now().unix_timestamp());
    let r = viewer
        .post(
            "/second-factor/confirm",
            &[("code", &code), ("password", USER_PASSWORD)],
        )
        .await;
    walk.answer(&viewer, "recovery codes", r).await;
    // A form without its CSRF token, then signing out.
    let r = viewer
        .post_raw("/parameters/profile/password", &[("current", "x")])
        .await;
    walk.answer(&viewer, "no CSRF token", r).await;
    let r = viewer.post("/logout", &[]).await;
    walk.answer(&viewer, "signed out", r).await;
}

/// A payment blocked after too many refusals, and a cancelled request, as the
/// customer and the merchant see them.
async fn stopped_payments(walk: &mut Walk, app: &TestApp, manager: &Client, m: u64) {
    let lang = walk.lang;
    let customer = app.client();
    let (blocked, token) = new_request(manager, m, &[("lang", lang)]).await;
    for _ in 0..3 {
        let to = submit(walk, &customer, &token, "4000000000000002").await;
        walk.get(&customer, &to).await;
    }
    walk.get(&customer, &format!("/payment/{token}?lang={lang}"))
        .await;
    walk.get(manager, &format!("/payment-requests/{blocked}"))
        .await;
    let (cancelled, token) = new_request(manager, m, &[("lang", lang)]).await;
    let r = manager
        .post(&format!("/payment-requests/{cancelled}/cancel"), &[])
        .await;
    walk.answer(manager, "request cancelled", r).await;
    walk.get(&customer, &format!("/payment/{token}?lang={lang}"))
        .await;
    walk.get(manager, "/payment-requests").await;
    walk.get(manager, "/parameters/restrictions").await;
}

/// Every back-office page of the route table as `c` (who may open them all).
async fn back_office(walk: &mut Walk, c: &Client, samples: &[(&str, u64)]) {
    let id = |path: &str| {
        samples
            .iter()
            .find(|(p, _)| path.starts_with(p))
            .map_or(0, |(_, id)| *id)
    };
    for spec in guichet::app::back_office_routes() {
        if !spec.methods.contains(&reqwest::Method::GET)
            || ["/", "/parameters", "/transactions/export", "/search"].contains(&spec.path)
        {
            continue;
        }
        // An email template in the walk's language: its text is the reader's.
        let template = format!("payment-link-{}", walk.lang);
        let filled = spec
            .path
            .replace(":id", &id(spec.path).to_string())
            .replace(":op", "refund?amount=5")
            .replace(":template", &template);
        if spec.path.contains(":tab") {
            for tab in [
                "general",
                "associated",
                "journal",
                "operations",
                "notes",
                "blacklist",
                "tickets",
                "history",
            ] {
                walk.get(c, &filled.replace(":tab", tab)).await;
            }
            continue;
        }
        walk.get(c, &filled).await;
    }
    // The top-bar search answers with a redirect to the list it built: that list, its
    // chips, period and totals caption with 3-D Secure checks shown.
    walk.get(c, "/transactions?period=all&email=a%40b.ma&three_ds=1")
        .await;
    walk.get(c, "/transactions?from=01/05/2026&to=30/06/2026&last4=1111")
        .await;
    // Statistics: its messages, the note of a long period, a split by terminal and
    // card type together, an unknown table to download.
    walk.get(
        c,
        "/statistics?from=32/13/2026&by=year&terminal=-1&brand=xyz&operation=3ds",
    )
    .await;
    walk.get(c, "/statistics?from=2026-06-02&to=2026-06-01")
        .await;
    walk.get(c, "/statistics?from=2023-06-01&to=2026-06-01&by=day")
        .await;
    walk.get(c, "/statistics?terminal=21114&brand=visa&by=week")
        .await;
    walk.get(c, "/statistics/export?table=nope").await;
}

/// The blacklist page's and tab's states: refusals beside their fields, the
/// confirmations, an entry added from a transaction.
async fn blacklist_pages(walk: &mut Walk, admin: &Client, manager: &Client, sale: u64) {
    walk.refused(
        admin,
        "/parameters/blacklist/new",
        &[("kind", "ip"), ("value", "10.0.0.0/33"), ("reason", "")],
    )
    .await;
    let add = [
        ("kind", "email"),
        ("value", "a@b.ma"),
        ("reason", "x"),
        ("scope", "global"),
    ];
    let r = admin.post("/parameters/blacklist/new", &add).await;
    walk.answer(admin, "blacklist confirmation", r).await;
    let tab = format!("/transactions/{sale}/blacklist");
    walk.refused(manager, &tab, &[("kind", "email"), ("reason", "")])
        .await;
    let r = manager
        .post(&tab, &[("kind", "email"), ("reason", "x")])
        .await;
    walk.answer(manager, "blacklist tab confirmation", r).await;
    let r = manager
        .post(
            &tab,
            &[("kind", "email"), ("reason", "x"), ("confirmed", "1")],
        )
        .await;
    walk.answer(manager, "blacklist tab added", r).await;
    walk.get(admin, "/parameters/blacklist?q=zzz&kind=card")
        .await;
}

/// Support tickets: a refused new ticket, one opened about the sale, the admin's
/// answer, refusals in place, a closed ticket. Returns an open ticket's id.
async fn support_pages(walk: &mut Walk, admin: &Client, manager: &Client, sale: u64) -> u64 {
    walk.get(manager, &format!("/support/new?tx={sale}")).await;
    walk.refused(
        manager,
        "/support/new",
        &[("subject", ""), ("category", ""), ("message", "")],
    )
    .await;
    let tx = sale.to_string();
    let fields = [
        ("subject", "Question"),
        ("category", "refund"),
        ("message", "Question ?"),
        ("tx", tx.as_str()),
    ];
    let r = manager.post("/support/new", &fields).await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let id: u64 = to["/support/".len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    walk.get(manager, &to).await;
    let thread = format!("/support/{id}");
    let r = admin
        .post(&thread, &[("message", "OK ?"), ("state", "waiting")])
        .await;
    walk.answer(admin, "ticket answered", r).await;
    walk.get(manager, "/support").await;
    walk.get(manager, &thread).await;
    walk.refused(admin, &thread, &[("message", "")]).await;
    walk.refused(admin, &format!("{thread}/state"), &[("state", "")])
        .await;
    walk.get(admin, "/support?state=waiting&category=refund&age=2")
        .await;
    // A second ticket, closed: the closed page and the refusal of a message.
    let r = manager.post("/support/new", &fields).await;
    let closed = r.headers()["location"].to_str().unwrap()["/support/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = admin
        .post(&format!("/support/{closed}/state"), &[("state", "closed")])
        .await;
    walk.answer(admin, "ticket closed", r).await;
    walk.refused(manager, &format!("/support/{closed}"), &[("message", "?")])
        .await;
    walk.get(admin, "/parameters/emails").await;
    id
}

async fn walk(lang: &'static str) -> Walk {
    let mut walk = Walk::new(lang);
    let app = spawn_app().await;
    let admin = app.admin().await;
    speak(&admin, lang).await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let viewer = app.merchant_user(
        "atlas.viewer",
        m.id,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let manager = app.signed_in("atlas.manager").await;
    speak(&manager, lang).await;
    let (request, sale) = customer_pages(&mut walk, &app, &manager, m.id).await;

    // Some history: a refund, a note, an export, a user changed.
    let r = manager
        .post(
            &format!("/transactions/{sale}/operations/refund"),
            &[("amount", "10")],
        )
        .await;
    walk.answer(&manager, "refund", r).await;
    let r = manager
        .post(&format!("/transactions/{sale}/notes"), &[("text", "ok")])
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    manager
        .get("/transactions/export?format=csv&scope=all&status=accepted&operation=sale&holder=Salma+Idrissi")
        .await;

    sign_in_pages(&mut walk, &app).await;
    stopped_payments(&mut walk, &app, &manager, m.id).await;

    let entry = match app
        .db
        .blacklist_add(
            guichet::db::blacklist::NewEntry {
                kind: guichet::domain::blacklist::Kind::Ip,
                key: "10.0.0.0/8".into(),
                shown: "10.0.0.0/8".into(),
                merchant_id: Some(m.id),
                reason: "robots".into(),
            },
            &guichet::domain::actor::Actor::new(0, "admin", "local"),
        )
        .unwrap()
    {
        guichet::db::blacklist::Added::Added(e) | guichet::db::blacklist::Added::Already(e) => e.id,
    };
    blacklist_pages(&mut walk, &admin, &manager, sale).await;
    let ticket = support_pages(&mut walk, &admin, &manager, sale).await;
    let samples = [
        ("/support/", ticket),
        ("/parameters/blacklist", entry),
        ("/transactions/", sale),
        ("/payment-requests/", request),
        ("/parameters/merchants", m.id),
        ("/parameters/users", viewer.id),
    ];
    for c in [&admin, &manager] {
        back_office(&mut walk, c, &samples).await;
    }
    let viewer_c = app.signed_in("atlas.viewer").await;
    speak(&viewer_c, lang).await;
    for path in [
        "/transactions",
        &format!("/transactions/{sale}"),
        "/payment-requests",
        "/parameters/profile",
    ] {
        walk.get(&viewer_c, path).await;
    }

    // Lists in their other states: a bad period, nothing found, a page of many.
    for q in [
        "?from=32/13/2026",
        "?from=2020-01-01&to=2020-01-02",
        "?from=2026-01-01&to=2026-12-31&size=10&page=2",
        "?from=2026-01-01&to=2026-12-31&status=refused",
    ] {
        walk.get(&admin, &format!("/transactions{q}")).await;
    }
    walk.get(&admin, "/no-such-page").await;
    for bad in [
        "/transactions/abc",
        "/transactions/4/tab/nope",
        "/payment-requests/abc",
        "/parameters/users/abc",
        "/parameters/merchants/99999999999999999999999",
        "/transactions?size=7&page=-1",
    ] {
        walk.get(&admin, bad).await;
    }
    walk.get(&manager, "/transactions/999999").await;

    refusals(&mut walk, &admin, &manager, m.id, viewer.id).await;
    successes(&mut walk, &admin, &manager, m.id, viewer.id).await;
    walk.refused(
        &manager,
        &format!("/transactions/{sale}/operations/refund"),
        &[("amount", "99999")],
    )
    .await;
    // A chargeback: its form on the admin's Operations tab, its confirmation, a
    // refusal in place, then recorded (its row, Journal and History, the audit log).
    let cb = format!("/transactions/{sale}/chargeback");
    let today = app.clock.now().date().to_string();
    walk.get(&admin, &format!("/transactions/{sale}?tab=operations"))
        .await;
    walk.get(&admin, &format!("{cb}?amount=5&reason=fraud&date={today}"))
        .await;
    walk.refused(
        &admin,
        &cb,
        &[("amount", "99999"), ("reason", ""), ("date", "")],
    )
    .await;
    walk.refused(
        &admin,
        &cb,
        &[("amount", "5"), ("reason", ""), ("date", &today)],
    )
    .await;
    let r = admin
        .post(
            &cb,
            &[
                ("amount", "5"),
                ("reason", "not-received"),
                ("date", &today),
            ],
        )
        .await;
    walk.answer(&admin, "chargeback", r).await;
    let disputed = app
        .db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .find(|t| t.operation == guichet::domain::transaction::Operation::Chargeback)
        .expect("the chargeback was recorded");
    for tab in ["journal", "history"] {
        walk.get(&admin, &format!("/transactions/{}/tab/{tab}", disputed.id))
            .await;
    }
    walk.get(&admin, "/parameters/audit").await;
    walk.get(&admin, "/transactions?operation=chargeback").await;
    walk
}

/// Forms sent with wrong values: each page that says why.
async fn refusals(walk: &mut Walk, admin: &Client, manager: &Client, m: u64, viewer: u64) {
    let m_path = format!("/parameters/merchants/{m}");
    let u_path = format!("/parameters/users/{viewer}");
    walk.refused(admin, "/parameters/merchants/new", &[("name", "")])
        .await;
    walk.refused(admin, &m_path, &[("name", "")]).await;
    walk.refused(admin, &format!("{m_path}/rebill"), &[("max_amount", "abc")])
        .await;
    walk.refused(
        admin,
        &format!("{m_path}/restrictions"),
        &[("card_refused", "-1"), ("email_window", "")],
    )
    .await;
    walk.refused(
        admin,
        "/parameters/users/new",
        &[("username", "x"), ("email", "jean@")],
    )
    .await;
    walk.refused(manager, &u_path, &[("email", "jean@")]).await;
    walk.refused(
        admin,
        "/parameters/security",
        &[("password_max_age_days", "abc")],
    )
    .await;
    walk.refused(
        manager,
        "/parameters/profile/password",
        &[("current", "x"), ("new", "y"), ("confirm", "z")],
    )
    .await;
    walk.refused(manager, "/terminal", &[("amount", "abc")])
        .await;
    // An email template with an unknown placeholder and one with broken syntax; a
    // merchant's email footer with a control character.
    let template = format!("/parameters/emails/templates/payment-link-{}", walk.lang);
    walk.refused(
        admin,
        &template,
        &[
            ("subject", "{{ custmer_name }}"),
            ("text", "{{ amount }}"),
            ("html", ""),
        ],
    )
    .await;
    walk.refused(
        admin,
        &format!("{m_path}/settings/emails"),
        &[("sender_name", "a\u{7}b"), ("footer", "")],
    )
    .await;
    // A body the form reader cannot read at all.
    let token = manager.csrf().await;
    for path in ["/terminal", "/parameters/profile/password"] {
        let r = manager
            .http
            .post(format!("{}{path}", manager.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "csrf={token}&amount=%ZZ&validity_days=9999999999999999999999"
            ))
            .send()
            .await
            .unwrap();
        walk.answer(manager, &format!("unreadable form to {path}"), r)
            .await;
    }
}

/// Forms that succeed: the page each one leads to, with its notice.
async fn successes(walk: &mut Walk, admin: &Client, manager: &Client, m: u64, viewer: u64) {
    let r = admin
        .post(
            "/parameters/merchants/new",
            &[
                ("name", "Riad Zitoun"),
                ("company", ""),
                ("terminals", "21120 Web"),
                ("accounts", "VPS_RIAD"),
                ("descriptor", "RIAD ZITOUN"),
            ],
        )
        .await;
    walk.answer(admin, "new merchant", r).await;
    let role = format!("merchant:{m}");
    let r = admin
        .post(
            "/parameters/users/new",
            &[
                ("username", "atlas.clerk"),
                ("full_name", "Nadia Clerk"),
                ("email", "nadia@example.ma"),
                ("role", &role),
                ("view", "on"),
            ],
        )
        .await;
    walk.answer(admin, "new user", r).await;
    let r = admin
        .post(&format!("/parameters/users/{viewer}/unlock"), &[])
        .await;
    walk.answer(admin, "unlock", r).await;
    let r = admin
        .post(
            "/parameters/security",
            &[
                ("password_max_age_days", "90"),
                ("merchant", &m.to_string()),
            ],
        )
        .await;
    walk.answer(admin, "security", r).await;
    let terminal = format!("{m}:21114");
    let mut fields = vec![
        ("terminal", terminal.as_str()),
        ("operation", "sale"),
        ("order_id", "CMD-2026-002"),
        ("amount", "99"),
        ("currency", "MAD"),
        ("lang", walk.lang),
        ("validity_days", "2"),
        ("name", "Salma Idrissi"),
        ("email", "salma@example.ma"),
        ("country", "MA"),
        ("action", "preview"),
    ];
    let r = manager.post("/terminal", &fields).await;
    walk.answer(manager, "email preview", r).await;
    fields.pop();
    fields.push(("action", "show"));
    let r = manager.post("/terminal", &fields).await;
    walk.answer(manager, "link shown", r).await;
    // An email template previewed, sent as a test, saved, then reset; a merchant's
    // email sender and footer saved.
    let template = format!("/parameters/emails/templates/payment-link-{}", walk.lang);
    let parts = [
        ("subject", "{{ order_id }}"),
        ("text", "{{ amount }} {{ pay_link }}"),
        ("html", "<p>{{ customer_name }}</p>"),
    ];
    for (what, path) in [
        ("template preview", format!("{template}/preview")),
        ("template test", format!("{template}/test")),
        ("template saved", template.clone()),
    ] {
        let r = admin.post(&path, &parts).await;
        walk.answer(admin, what, r).await;
    }
    walk.get(admin, &format!("{template}/reset")).await;
    let r = admin
        .post(&format!("{template}/reset"), &[("confirmed", "1")])
        .await;
    walk.answer(admin, "template reset", r).await;
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/settings/emails"),
            &[("sender_name", "Atlas"), ("footer", "Casablanca")],
        )
        .await;
    walk.answer(admin, "email branding", r).await;
}

fn report(walk: &Walk) {
    assert!(walk.pages > 60, "only {} pages read", walk.pages);
    assert!(
        walk.leaks.is_empty(),
        "{} leak(s) in {}:\n{}",
        walk.leaks.len(),
        walk.lang,
        walk.leaks.join("\n")
    );
}

#[tokio::test]
async fn in_english_no_screen_shows_a_french_word() {
    report(&walk("en").await);
}

#[tokio::test]
async fn in_french_no_screen_shows_an_english_word() {
    report(&walk("fr").await);
}

#[test]
fn the_reader_sees_words_in_text_and_labels_but_not_in_markup_or_data_attributes() {
    let html = r#"<html lang="en"><head><style>.Montant{}</style><script>let Annuler = 1;</script></head>
        <body><a href="/Retour" class="Statut" hx-get="/Rechercher">Home</a>
        <input name="Montant" value="Suivant" placeholder="JJ/MM/AAAA">
        <button title="Annuler" aria-label="x" value="Précédent">Ok</button><input type="submit" value="Enregistrer">
        <p>3 éléments. Paiement refusé (Refusée)</p></body></html>"#;
    let text = visible_text(html);
    let found = foreign_words(&text, FRENCH);
    let words: Vec<&str> = found.iter().map(|f| f.split(' ').next().unwrap()).collect();
    assert_eq!(
        words,
        [
            "\"Annuler\"",
            "\"Enregistrer\"",
            "\"éléments\"",
            "\"Refusée\"",
            "\"JJ/MM/AAAA\"",
            "\"refusé\""
        ],
        "{text}"
    );
    // Whole words only: "Statuts" or "Aucunement" are not "Statut" or "Aucun".
    assert!(foreign_words("Statuts Aucunement Finance", FRENCH).is_empty());
    assert_eq!(foreign_words("Sign out now", ENGLISH).len(), 1);
}

/// An audit line as an older version wrote it, free text included.
fn old_line(action: &str, target: &str, detail: &str) -> guichet::db::audit::AuditEntry {
    guichet::db::audit::AuditEntry {
        at: 1_780_300_000,
        actor: "admin".into(),
        ip: "127.0.0.1".into(),
        action: action.into(),
        target: target.into(),
        merchant_id: None,
        outcome: "ok".into(),
        detail: detail.into(),
    }
}

#[tokio::test]
async fn lines_written_before_the_codes_still_read_sensibly_in_both_languages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app.merchant("Atlas Voyages");
    app.merchant_user("atlas.manager", m.id, Permissions::ALL);
    let manager = app.signed_in("atlas.manager").await;
    let (_, sale) = customer_pages(&mut Walk::new("fr"), &app, &manager, m.id).await;
    let wtx = app.db.begin_write().unwrap();
    for line in [
        old_line(
            "settings.security",
            "password max age 90 days; second factor required for merchants [1]",
            "",
        ),
        old_line(
            "merchant.rebill_policy",
            "merchant Atlas Voyages: rebill ceiling 50.00, 2 per card per day",
            "",
        ),
        old_line(
            "user.create",
            "user admin (admin)",
            "(written by schema 1, sealed at migration)",
        ),
    ] {
        guichet::db::audit::append(&wtx, app.db.audit_key(), &line).unwrap();
    }
    let old_refund = guichet::db::tx_log::HistoryEntry {
        at: 1_780_300_000,
        user: "atlas.manager".into(),
        ip: "127.0.0.1".into(),
        action: "refund".into(),
        detail: "625.25 MAD → 11 (000)".into(),
    };
    guichet::db::tx_log::add_history(&wtx, sale, &old_refund).unwrap();
    wtx.commit().unwrap();

    let (_, fr) = admin.page("/parameters/audit").await;
    let fr = visible_text(&fr);
    for words in [
        "Réglages de sécurité modifiés succès password max age 90 days",
        "Limites de refacturation modifiées succès marchand Atlas Voyages: rebill ceiling",
        "Création d'un utilisateur succès utilisateur admin (admin) (written by schema 1",
    ] {
        assert!(fr.contains(words), "{words} in {fr}");
    }
    let (_, history) = manager
        .page(&format!("/transactions/{sale}/tab/history"))
        .await;
    let history = visible_text(&history);
    assert!(
        history.contains("Remboursement 625,25 MAD → transaction 11 (000 – "),
        "{history}"
    );
    speak(&admin, "en").await;
    speak(&manager, "en").await;
    let (_, en) = admin.page("/parameters/audit").await;
    assert!(
        visible_text(&en).contains("Security settings changed success password max age"),
        "{en}"
    );
    let (_, history) = manager
        .page(&format!("/transactions/{sale}/tab/history"))
        .await;
    assert!(
        visible_text(&history).contains("Refund 625.25 MAD → transaction 11 (000 – "),
        "{history}"
    );
    assert_eq!(app.db.verify_audit_chain().unwrap().first_break, None);
}
