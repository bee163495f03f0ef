//! What the list says around and in its rows (issue 10): the customer and order of each
//! row, the refunded / captured flags, the period in words and its shortcuts, active
//! filters as removable chips, the invalid field itself marked, and the top bar's
//! search box (id, last four, email, order; in the user's scope only).

use guichet::domain::Lang;
use guichet::domain::list_row::{Followup, followup};
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::dataset::{Dataset, period_pairs, seed};
use crate::support::html::listing;
use crate::support::spawn_app;
use crate::transactions::oracle::brute_force;

/// The `<tr>` of transaction `id` in a list page.
fn row(body: &str, id: u64) -> &str {
    let marker = format!(r#"<td class="num"><a href="/transactions/{id}">"#);
    let at = body.find(&marker).unwrap_or_else(|| panic!("no row {id}"));
    let start = body[..at].rfind("<tr").unwrap();
    &body[start..at + body[at..].find("</tr>").unwrap()]
}

/// Every row of the search `extra` over the dataset, 100 a page: (ids, bodies).
async fn all_pages(
    c: &crate::support::Client,
    extra: &[(&'static str, &str)],
) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for page in 1.. {
        let p = page.to_string();
        let mut pairs = period_pairs(extra);
        pairs.push(("per_page", "100".into()));
        pairs.push(("page", p));
        let l = listing(c, &pairs).await;
        assert_eq!(l.status, StatusCode::OK);
        if l.ids.is_empty() {
            break;
        }
        for id in &l.ids {
            out.push((*id, row(&l.body, *id).to_string()));
        }
    }
    out
}

fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn each_row_shows_its_customer_and_order_and_sales_are_flagged_from_their_children() {
    let app = spawn_app().await;
    let d: Dataset = seed(&app);
    let admin = app.admin().await;
    let rows = all_pages(&admin, &[]).await;
    assert_eq!(rows.len(), brute_force(&d.rows, &[], None).len());
    let by_id = |id: u64| d.rows.iter().find(|t| t.id == id).unwrap();
    let mut flags = std::collections::BTreeMap::new();
    for (id, tr) in &rows {
        let t: &Transaction = by_id(*id);
        let who = if t.buyer.name.is_empty() {
            &t.buyer.email
        } else {
            &t.buyer.name
        };
        let cell = &tr[tr.find(r#"class="c-cust""#).unwrap()..];
        let cell = &cell[..cell.find("</td>").unwrap()];
        if !who.is_empty() {
            assert!(cell.contains(&escaped(who)), "row {id}: {who} in {cell}");
        }
        if !t.sale.order_id.is_empty() {
            assert!(
                cell.contains(&escaped(&t.sale.order_id)),
                "row {id}: order in {cell}"
            );
        }
        // The flag, from the row's children as the brute force finds them.
        let children: Vec<Transaction> = d.children(t.id).cloned().collect();
        let want = followup(t, &children);
        for f in [
            Followup::Refunded,
            Followup::PartlyRefunded,
            Followup::Captured,
            Followup::PartlyCaptured,
            Followup::Cancelled,
        ] {
            let shown = tr.contains(&format!(">{}</span>", f.label(Lang::Fr)));
            assert_eq!(
                shown,
                want == Some(f),
                "row {id} ({:?}): {f:?} in {tr}",
                t.operation
            );
        }
        if let Some(f) = want {
            *flags.entry(format!("{f:?}")).or_insert(0) += 1;
        }
    }
    // The dataset really has refunded sales and captured authorizations.
    assert!(
        flags.contains_key("Refunded") || flags.contains_key("PartlyRefunded"),
        "{flags:?}"
    );
    assert!(
        flags.contains_key("Captured") || flags.contains_key("PartlyCaptured"),
        "{flags:?}"
    );
    // Checked against the rule by hand for one refunded sale.
    let sale = d
        .rows
        .iter()
        .find(|t| {
            t.operation == Operation::Sale
                && t.code.is_accepted()
                && d.children(t.id)
                    .any(|c| c.operation == Operation::Refund && c.code.is_accepted())
        })
        .unwrap();
    let refunded: i64 = d
        .children(sale.id)
        .filter(|c| c.operation == Operation::Refund && c.code.is_accepted())
        .map(|c| c.amount.minor())
        .sum();
    let word = if refunded >= sale.amount.minor() {
        "Remboursée<"
    } else {
        "Remboursée partiellement<"
    };
    let tr = &rows.iter().find(|(id, _)| *id == sale.id).unwrap().1;
    assert!(refunded > 0 && tr.contains(word), "{tr}");
}

#[tokio::test]
async fn the_period_is_stated_in_words_and_the_shortcuts_set_it_keeping_the_other_filters() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    // The app's clock says 1 June 2026: the default period is today.
    let (_, page) = admin.page("/transactions").await;
    assert!(
        page.contains("<strong>Aujourd'hui, 1 juin 2026</strong>"),
        "default period"
    );
    let l = listing(&admin, &period_pairs(&[])).await;
    assert!(
        l.body
            .contains("<strong>Du 21 mai 2026 au 1 juin 2026</strong>")
    );
    // "7 derniers jours" keeps the status filter and goes back to page 1.
    let l = listing(
        &admin,
        &period_pairs(&[("status", "refused"), ("page", "2")]),
    )
    .await;
    let shortcut = |label: &str| {
        let end = l
            .body
            .find(&format!(">{label}</a>"))
            .unwrap_or_else(|| panic!("{label}"));
        let start = l.body[..end].rfind("href=\"").unwrap() + 6;
        l.body[start..start + l.body[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let week = shortcut("7 derniers jours");
    assert!(
        week.contains("from=26%2F05%2F2026") && week.contains("to=01%2F06%2F2026"),
        "{week}"
    );
    assert!(
        week.contains("status=refused") && !week.contains("page=2"),
        "{week}"
    );
    let (status, body) = admin.page(&week).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<strong>Du 26 mai 2026 au 1 juin 2026</strong>"));
    assert!(body.contains(r#"aria-current="true">7 derniers jours</a>"#));
    let last_month = shortcut("Mois dernier");
    assert!(last_month.contains("from=01%2F05%2F2026") && last_month.contains("to=31%2F05%2F2026"));
    let (_, body) = admin.page(&shortcut("Hier")).await;
    assert!(body.contains("<strong>Hier, 31 mai 2026</strong>"));
    // In English.
    admin.post("/lang", &[("lang", "en")]).await;
    let l = listing(&admin, &period_pairs(&[])).await;
    assert!(
        l.body
            .contains("<strong>From 21 May 2026 to 1 June 2026</strong>")
    );
    assert!(l.body.contains(">Last 30 days</a>") && l.body.contains(">This month</a>"));
}

/// The labels of the period shortcuts marked current.
fn marked_shortcuts(body: &str) -> Vec<String> {
    let nav = &body[body.find(r#"<nav class="shortcuts""#).expect("shortcuts")..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    nav.split("<a ")
        .skip(1)
        .filter(|a| a.contains(r#"aria-current="true""#))
        .map(|a| a[a.find('>').unwrap() + 1..a.find("</a>").unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn exactly_the_shortcut_equal_to_the_period_is_marked_today_by_default() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    // 1 June 2026: today is also this month; the named day wins.
    let (_, page) = admin.page("/transactions").await;
    assert_eq!(marked_shortcuts(&page), ["Aujourd'hui"]);
    let (_, page) = admin
        .page("/transactions?from=01%2F06%2F2026&to=01%2F06%2F2026")
        .await;
    assert_eq!(marked_shortcuts(&page), ["Aujourd'hui"]);
    // The same days typed the English way.
    let (_, page) = admin
        .page("/transactions?from=2026-05-01&to=2026-05-31")
        .await;
    assert_eq!(marked_shortcuts(&page), ["Mois dernier"]);
    let (_, page) = admin
        .page("/transactions?from=2026-05-03&to=2026-06-01")
        .await;
    assert_eq!(marked_shortcuts(&page), ["30 derniers jours"]);
    // A period no shortcut spans, or not whole days: none.
    let l = listing(&admin, &period_pairs(&[])).await;
    assert!(marked_shortcuts(&l.body).is_empty());
    let (_, page) = admin
        .page("/transactions?from=01%2F06%2F2026+08%3A00&to=01%2F06%2F2026")
        .await;
    assert!(marked_shortcuts(&page).is_empty());
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions").await;
    assert_eq!(marked_shortcuts(&page), ["Today"]);
}

#[tokio::test]
async fn a_refusal_s_reason_is_in_a_few_words_under_its_badge_and_whole_in_its_tooltip() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let l = listing(&admin, &period_pairs(&[("status", "refused")])).await;
    assert!(!l.ids.is_empty());
    for id in &l.ids {
        let t = d.rows.iter().find(|t| t.id == *id).unwrap();
        let tr = row(&l.body, *id);
        let reason = format!(
            r#"<span class="tx-reason" title="{}">{}</span>"#,
            escaped(t.code.text(Lang::Fr)),
            escaped(t.code.short_text(Lang::Fr))
        );
        assert!(tr.contains(&reason), "{tr}");
    }
    // Accepted rows have no reason.
    let l = listing(&admin, &period_pairs(&[("status", "accepted")])).await;
    assert!(!l.body.contains("tx-reason"));
}

#[tokio::test]
async fn on_a_phone_a_filters_button_near_the_top_jumps_to_the_panel() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    let (_, page) = admin.page("/transactions").await;
    let jump = page
        .find(r##"<a class="button filters-jump" href="#filters">"##)
        .expect("the jump");
    // Before the results, and it lands on the panel's form.
    assert!(jump < page.find(r#"id="results""#).unwrap());
    assert!(page.contains(r#"<form id="filters""#));
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions").await;
    let jump = &page[page.find("filters-jump").unwrap()..];
    assert!(jump[..jump.find("</a>").unwrap()].ends_with("Filters"));
}

#[tokio::test]
async fn active_filters_are_chips_each_removing_only_itself() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    let pairs = period_pairs(&[
        ("status", "refused"),
        ("holder", "mohamed"),
        ("three_ds", "1"),
    ]);
    let l = listing(&admin, &pairs).await;
    let chips = &l.body[l.body.find(r#"id="chips""#).expect("chips")..];
    let chips = &chips[..chips.find("</div>").unwrap()];
    let href_of = |text: &str| {
        let at = chips
            .find(text)
            .unwrap_or_else(|| panic!("no chip {text}: {chips}"));
        let start = chips[..at].rfind("href=\"").unwrap() + 6;
        chips[start..start + chips[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let no_status = href_of("Statut : Refusée");
    assert!(
        !no_status.contains("status=") && no_status.contains("holder=mohamed"),
        "{no_status}"
    );
    assert!(no_status.contains("three_ds=1") && no_status.contains("from=2026-05-21"));
    let no_holder = href_of("Porteur : mohamed");
    assert!(!no_holder.contains("holder=") && no_holder.contains("status=refused"));
    let no_period = href_of("Période : Du 21 mai 2026 au 1 juin 2026");
    assert!(
        !no_period.contains("from=") && !no_period.contains("to="),
        "{no_period}"
    );
    assert!(!href_of("Vérifications 3-D Secure affichées").contains("three_ds"));
    assert!(chips.contains(r#"href="/transactions">Tout effacer</a>"#));
    // Removing a chip gives the same search without it.
    let without = listing(
        &admin,
        &period_pairs(&[("holder", "mohamed"), ("three_ds", "1")]),
    )
    .await;
    let (_, body) = admin.page(&no_status).await;
    assert_eq!(crate::support::html::info_in(&body), without.info);
    // No filter, no chips.
    let (_, plain) = admin.page("/transactions").await;
    assert!(!plain.contains(r#"id="chips""#));
}

#[tokio::test]
async fn the_invalid_field_itself_is_marked_with_its_message_beside_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = listing(&admin, &period_pairs(&[("amount", "1e3"), ("last4", "12")])).await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    for (name, message) in [
        ("amount", "« 1e3 »"),
        ("last4", "« 12 » : 4 chiffres attendus."),
    ] {
        let at = l.body.find(&format!(r#"id="q-{name}""#)).unwrap();
        let input = &l.body[at..at + l.body[at..].find('>').unwrap()];
        assert!(input.contains(r#"aria-invalid="true""#), "{input}");
        assert!(
            input.contains(&format!(r#"aria-describedby="q-{name}-err""#)),
            "{input}"
        );
        let rest = &l.body[at..];
        let msg_at = rest
            .find(&format!(r#"<small class="error" id="q-{name}-err">"#))
            .unwrap();
        // Beside the field: before the next field starts.
        assert!(
            msg_at < rest.find(r#"class="field""#).unwrap_or(usize::MAX),
            "{name}"
        );
        assert!(
            rest[msg_at..]
                .split("</small>")
                .next()
                .unwrap()
                .contains(message)
        );
    }
    // The valid fields are not marked, and the summary stays at the top of the results.
    let holder = l.body.find(r#"id="q-holder""#).unwrap();
    assert!(!l.body[holder..holder + 120].contains("aria-invalid"));
    assert!(l.body.contains(r#"<li data-field="amount">"#));
    // The stylesheet draws the red border of a field marked invalid.
    let (_, css) = admin.page("/static/app.css").await;
    assert!(css.contains(r#"[aria-invalid="true"] { border-color: var(--err)"#));
}

#[tokio::test]
async fn the_top_bar_search_opens_a_visible_id_or_searches_all_dates_by_last4_email_or_order() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let location = |r: &reqwest::Response| {
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()["location"].to_str().unwrap().to_string()
    };
    // The box is in the top bar of every page for users who may see transactions.
    let (_, home) = admin.page("/transactions").await;
    assert!(
        home.contains(r#"<form class="top-search" method="get" action="/search" role="search">"#)
    );
    assert!(home.contains("Rechercher (n°, commande, e-mail, 4 derniers chiffres)"));
    // A placeholder short enough for the box; the whole hint is its label and tooltip.
    assert!(home.contains(
        r#"placeholder="N°, commande, e-mail, 4 chiffres" title="Rechercher (n°, commande, e-mail, 4 derniers chiffres)""#
    ));
    // An id: its detail.
    let sale = d.sale_with_3ds_and_refund();
    let r = admin.get(&format!("/search?q={}", sale.id)).await;
    assert_eq!(location(&r), format!("/transactions/{}", sale.id));
    // Last four digits (not an id of the data): every date, by the card.
    let t = d
        .rows
        .iter()
        .find(|t| {
            t.card
                .as_ref()
                .is_some_and(|c| c.last4.parse::<u64>().unwrap() > d.rows.len() as u64 + 10)
        })
        .unwrap();
    let last4 = t.card.as_ref().unwrap().last4.clone();
    let to = location(&admin.get(&format!("/search?q={last4}")).await);
    assert_eq!(to, format!("/transactions?period=all&last4={last4}"));
    let (status, body) = admin.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Toutes les dates jusqu'au 1 juin 2026"));
    assert!(
        body.contains(&format!("4 derniers chiffres : {last4}")),
        "what was searched is shown"
    );
    let want: Vec<u64> = d
        .rows
        .iter()
        .rev()
        .filter(|r| r.operation != Operation::ThreeDSecure)
        .filter(|r| r.card.as_ref().is_some_and(|c| c.last4 == last4))
        .map(|r| r.id)
        .collect();
    assert_eq!(
        crate::support::html::ids_in(&body),
        want[..want.len().min(10)]
    );
    // An email, an order id.
    let to = location(&admin.get("/search?q=zoe%40").await);
    assert_eq!(to, "/transactions?period=all&email=zoe%40");
    let order = &d
        .rows
        .iter()
        .find(|t| !t.sale.order_id.is_empty())
        .unwrap()
        .sale
        .order_id;
    let to = location(
        &admin
            .get(&format!(
                "/search?q={}",
                crate::support::html::urlencode(order)
            ))
            .await,
    );
    assert!(to.starts_with("/transactions?period=all&order="), "{to}");
    let (_, body) = admin.page(&to).await;
    assert!(body.contains(&format!("Commande : {}", escaped(order))));
    // A whole card number is never echoed: searched by its last four only.
    let to = location(&admin.get("/search?q=4111+1111+1111+1111").await);
    assert_eq!(to, "/transactions?period=all&last4=1111");
    // Nothing typed: the list.
    assert_eq!(location(&admin.get("/search?q=").await), "/transactions");
}

#[tokio::test]
async fn the_top_bar_search_never_opens_another_merchants_transaction() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user(
        "uber.view",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.view").await;
    // Another merchant's row (its id is not four digits, so not read as a card's last four).
    let theirs = d.rows.iter().find(|t| t.merchant_id != uber).unwrap();
    assert_ne!(theirs.id.to_string().len(), 4);
    let r = c.get(&format!("/search?q={}", theirs.id)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(!to.starts_with("/transactions/"), "{to}");
    let (status, body) = c.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        crate::support::html::ids_in(&body).is_empty(),
        "another merchant's row: {to}"
    );
    assert_eq!(
        c.get(&format!("/transactions/{}", theirs.id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Their own id opens.
    let own = d.rows.iter().find(|t| t.merchant_id == uber).unwrap();
    let r = c.get(&format!("/search?q={}", own.id)).await;
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/transactions/{}", own.id)
    );
    // A user who may not see transactions has no box, and the route answers 404.
    app.merchant_user(
        "uber.moto",
        uber,
        Permissions {
            virtual_terminal: true,
            ..Permissions::default()
        },
    );
    let moto = app.signed_in("uber.moto").await;
    let (_, page) = moto.page("/terminal").await;
    assert!(!page.contains(r#"class="top-search""#));
    assert_eq!(
        moto.get("/search?q=1").await.status(),
        StatusCode::NOT_FOUND
    );
}
