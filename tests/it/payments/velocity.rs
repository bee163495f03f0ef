//! Fraud restrictions (FRAUD-1, FRAUD-3, FRAUD-5): velocity limits across payment
//! links, checked before the acquirer and race-free; the merchant's 3-D Secure
//! setting; the Restrictions page and who may use it.

use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::fraud::{KeyKind, MerchantRules, Unit, VelocityLimit, Window};
use guichet::domain::journal::{Rule, Step};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{
    last_attempt, new_request, no_velocity_limits, pay, request, set_rules, shop,
};
use crate::support::html::{field_in, ids_in};
use crate::support::{TestApp, spawn_app};

/// The Journal of a sale, in English.
pub(crate) fn journal_text(app: &TestApp, sale: u64) -> Vec<String> {
    app.db
        .journal(sale)
        .unwrap()
        .iter()
        .map(|j| j.step.text(guichet::domain::Lang::En))
        .collect()
}

#[tokio::test]
async fn a_card_refused_three_times_on_three_links_is_refused_on_a_fourth_without_the_acquirer() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    // The defaults: 3 refused payments per card in 24 h.
    for _ in 0..3 {
        let (id, token) = new_request(&c, m, &[]).await;
        pay(&app.client(), &token, "4000000000000002", "").await;
        assert_eq!(last_attempt(&app, id).1.code, ResultCode::ISSUER_REFUSED);
    }
    assert_eq!(app.gateway.acquirer.payments_sent(), 3);
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let result = pay(&customer, &token, "4000000000000002", "").await;
    assert_eq!(app.gateway.acquirer.payments_sent(), 3, "no bank call");
    let (three_ds, sale) = last_attempt(&app, id);
    assert_eq!(sale.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(three_ds.code, ResultCode::TOO_MANY_ATTEMPTS);
    let journal = app.db.journal(sale.id).unwrap();
    assert!(journal.iter().any(|j| matches!(
        j.step,
        Step::RefusedByRule(Rule::Velocity(f)) if f.kind == KeyKind::Card && f.refused && f.count == 3 && f.limit == 3
    )));
    assert!(
        journal_text(&app, sale.id)
            .iter()
            .any(|t| t == "Refused by a rule: 3 refused payments for this card in 24 h, limit 3"),
        "{:?}",
        journal_text(&app, sale.id)
    );
    let (_, page) = c
        .page(&format!("/transactions/{}?tab=journal", sale.id))
        .await;
    assert!(
        page.contains("3 paiements refusés pour cette carte en 24 h, limite 3"),
        "the merchant's Journal names the rule"
    );
    // The customer sees a plain refusal: no rule, no limit.
    let (_, shown) = customer.page(&result).await;
    assert!(!shown.contains("limite") && !shown.contains("cette carte en"));
    // Another card passes; the same card passes again once the window is over.
    let (_, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    assert_eq!(app.gateway.acquirer.payments_sent(), 4);
    app.clock.advance(Duration::hours(24));
    let c = app.signed_in("atlas.manager").await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4000000000000002", "").await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ISSUER_REFUSED);
    assert_eq!(app.gateway.acquirer.payments_sent(), 5);
    assert!(app.db.check().unwrap().is_ok());
}

#[tokio::test]
async fn twenty_parallel_payments_of_one_card_with_one_accepted_per_day_make_exactly_one() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let mut rules = no_velocity_limits();
    rules.card = VelocityLimit {
        max_accepted: Some(1),
        max_refused: None,
        window: Window::new(1, Unit::Days),
    };
    set_rules(&app, m, &rules);
    let customer = app.client();
    let mut forms = Vec::new();
    for i in 0..20 {
        let order = format!("CMD-{i}");
        let (id, token) = new_request(&c, m, &[("order_id", &order)]).await;
        let (_, page) = customer.page(&format!("/payment/{token}")).await;
        forms.push((
            id,
            token,
            field_in(&page, "csrf"),
            field_in(&page, "attempt"),
        ));
    }
    let mut tasks = Vec::new();
    for (_, token, csrf, attempt) in forms.clone() {
        let http = customer.http.clone();
        let url = format!("{}/payment/{token}", app.base);
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("attempt", attempt.as_str()),
                    ("holder", "Salma Idrissi"),
                    ("number", "4111111111111111"),
                    ("expiry", "12/30"),
                    ("cvv", "123"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let paid = forms
        .iter()
        .filter(|(id, ..)| request(&app, *id).paid_tx.is_some())
        .count();
    assert_eq!(paid, 1);
    assert_eq!(app.gateway.acquirer.payments_sent(), 1);
    for (id, ..) in &forms {
        let sale = last_attempt(&app, *id).1;
        if request(&app, *id).paid_tx.is_none() {
            assert_eq!(sale.code, ResultCode::TOO_MANY_ATTEMPTS);
            assert!(
                journal_text(&app, sale.id).iter().any(|t| t
                    == "Refused by a rule: 1 accepted payment for this card in 1 day, limit 1")
            );
        }
    }
    assert!(
        app.db.check().unwrap().is_ok(),
        "velocity events agree with the rows"
    );
}

#[tokio::test]
async fn an_international_card_without_3ds_goes_to_the_acquirer_once_the_merchant_allows_it() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4012888888881881", "").await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::INTERNAL_REFUSAL);
    assert_eq!(app.gateway.acquirer.payments_sent(), 0);
    set_rules(
        &app,
        m,
        &MerchantRules {
            international_requires_3ds: false,
            ..MerchantRules::default()
        },
    );
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4012888888881881", "").await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ACCEPTED);
    assert_eq!(app.gateway.acquirer.payments_sent(), 1);
}

#[tokio::test]
async fn a_rebill_over_the_cards_accepted_limit_is_refused_with_585_and_its_rule() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let mut rules = no_velocity_limits();
    rules.card.max_accepted = Some(1);
    set_rules(&app, m, &rules);
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let sale = request(&app, id).paid_tx.unwrap();
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/rebill"),
            &[("amount", "10,00")],
        )
        .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    let rebill = app
        .db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .find(|t| t.operation == guichet::domain::transaction::Operation::Rebill)
        .expect("the rebill row");
    assert_eq!(rebill.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(app.gateway.acquirer.payments_sent(), 1, "only the sale");
    assert!(
        journal_text(&app, rebill.id)
            .iter()
            .any(|t| t.contains("1 accepted payment for this card in 24 h, limit 1"))
    );
}

#[tokio::test]
async fn an_admin_saves_a_merchants_restrictions_with_an_audit_line() {
    let app = spawn_app().await;
    let (m, _) = shop(&app).await;
    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{m}/restrictions");
    let (status, page) = admin.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Valeurs par défaut d'un nouveau marchand"),
        "{page}"
    );
    assert!(
        page.contains(r#"name="card_refused" type="text" value="3""#),
        "{page}"
    );
    let (_, merchant_page) = admin.page(&format!("/parameters/merchants/{m}")).await;
    assert!(merchant_page.contains(&path), "linked from the merchant");
    let mut fields = form_fields(&MerchantRules::default());
    set(&mut fields, "card_refused", "5");
    set(&mut fields, "holder_accepted", "2");
    set(&mut fields, "holder_window", "30");
    set(&mut fields, "holder_unit", "minutes");
    fields.retain(|(k, _)| k != "international_3ds");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = admin.post(&path, &borrowed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = admin.page(&to).await;
    assert!(page.contains("Restrictions enregistrées."), "{page}");
    let saved = app.db.fraud_rules(m).unwrap();
    assert_eq!(saved.card.max_refused, Some(5));
    assert_eq!(saved.holder.max_accepted, Some(2));
    assert_eq!(saved.holder.window, Window::new(30, Unit::Minutes));
    assert!(!saved.international_requires_3ds);
    let log = app.db.audit(Scope::Admin, 10).unwrap();
    let line = log
        .iter()
        .find(|e| e.action == "merchant.fraud_rules")
        .expect("an audit line");
    assert!(line.detail.contains("card=10/5/24hours"), "{}", line.detail);
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(audit.contains("Restrictions anti-fraude modifiées"));
    assert!(
        audit.contains("carte : 10 acceptés, 5 refusés en 24 h"),
        "{audit}"
    );
}

#[tokio::test]
async fn bad_limits_are_refused_beside_their_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let (m, _) = shop(&app).await;
    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{m}/restrictions");
    let mut fields = form_fields(&MerchantRules::default());
    set(&mut fields, "card_refused", "-1");
    set(&mut fields, "card_accepted", "10001");
    set(&mut fields, "email_window", "");
    set(&mut fields, "ip_accepted", "beaucoup");
    set(&mut fields, "holder_window", "91");
    set(&mut fields, "holder_unit", "days");
    fields.retain(|(k, _)| k != "international_3ds");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = admin.post(&path, &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for (field, words) in [
        ("card_refused", "« -1 » : la limite est au moins 1"),
        ("card_accepted", "« 10001 » : au plus 10000"),
        ("email_window", "Indiquez la durée de la période"),
        ("ip_accepted", "« beaucoup » n'est pas un nombre entier"),
        (
            "holder_window",
            "« 91 » : une période de 1 minute à 90 jours",
        ),
    ] {
        let err = format!(r#"id="f-{field}-err">"#);
        let at = page.find(&err).unwrap_or_else(|| panic!("{field}: {page}"));
        assert!(
            page[at..].starts_with(&format!("{err}{words}")) || page[at..at + 200].contains(words),
            "{field}"
        );
    }
    assert!(
        page.contains(r#"value="beaucoup""#),
        "the values typed are kept"
    );
    assert!(
        !page.contains(r#"value="1" checked"#),
        "the unticked box stays unticked"
    );
    assert_eq!(app.db.fraud_rules(m).unwrap(), MerchantRules::default());
    assert!(
        !app.db
            .audit(Scope::Admin, 10)
            .unwrap()
            .iter()
            .any(|e| e.action == "merchant.fraud_rules")
    );
    // Without the form's CSRF token: refused, nothing saved.
    let r = admin.post_raw(&path, &[("card_refused", "1")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.fraud_rules(m).unwrap(), MerchantRules::default());
}

#[tokio::test]
async fn merchant_users_read_their_own_restrictions_and_never_edit_any() {
    let app = spawn_app().await;
    let (m, manager) = shop(&app).await;
    let other = app.merchant("Riad Fès");
    let path = format!("/parameters/merchants/{m}/restrictions");
    for p in [
        path.clone(),
        format!("/parameters/merchants/{}/restrictions", other.id),
    ] {
        let (status, _) = manager.page(&p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        let r = manager.post(&p, &[("card_refused", "1")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p}");
    }
    assert_eq!(app.db.fraud_rules(m).unwrap(), MerchantRules::default());
    let mut rules = MerchantRules::default();
    rules.email.max_refused = Some(7);
    set_rules(&app, other.id, &rules);
    let (status, page) = manager.page("/parameters/restrictions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Atlas Voyages") && !page.contains("Riad"),
        "{page}"
    );
    assert!(!page.contains(r#"method="post" action="/parameters/merchants"#));
    assert!(!page.contains(">7<"), "not the other merchant's rules");
    // A user without "manage users" does not see them at all.
    app.merchant_user(
        "atlas.viewer",
        m,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let viewer = app.signed_in("atlas.viewer").await;
    assert_eq!(
        viewer.page("/parameters/restrictions").await.0,
        StatusCode::NOT_FOUND
    );
    // The admin gets every merchant, each linked to its page.
    let (status, page) = app.admin().await.page("/parameters/restrictions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&path), "{page}");
}

/// The form's fields showing `rules`.
pub(crate) fn form_fields(rules: &MerchantRules) -> Vec<(String, String)> {
    let v = guichet::domain::fraud::RulesValues::of(rules);
    let mut out = Vec::new();
    for (k, l) in KeyKind::ALL.iter().zip(&v.limits) {
        out.push((format!("{}_accepted", k.key()), l.max_accepted.clone()));
        out.push((format!("{}_refused", k.key()), l.max_refused.clone()));
        out.push((format!("{}_window", k.key()), l.window.clone()));
        out.push((format!("{}_unit", k.key()), l.unit.clone()));
    }
    if rules.international_requires_3ds {
        out.push(("international_3ds".into(), "1".into()));
    }
    out
}

/// The `href` of the link whose id is `id`, unescaped.
fn link_in(page: &str, id: &str) -> String {
    let at = page.find(&format!(r#"id="{id}""#)).expect("the link");
    let tag = &page[page[..at].rfind("<a ").unwrap()..];
    let start = tag.find(r#"href=""#).unwrap() + 6;
    tag[start..start + tag[start..].find('"').unwrap()].replace("&amp;", "&")
}

pub(crate) fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in fields.iter_mut() {
        if k == name {
            *v = value.to_string();
        }
    }
}

#[tokio::test]
async fn a_backtest_shows_which_recent_payments_the_rules_typed_would_have_refused() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let mut sales = Vec::new();
    for _ in 0..2 {
        let (id, token) = new_request(&c, m, &[]).await;
        pay(&app.client(), &token, "4000000000000002", "").await;
        sales.push(last_attempt(&app, id).1.id);
    }
    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{m}/restrictions");
    let (_, page) = admin.page(&path).await;
    assert!(
        page.contains(
            "Avec ces règles, 0 des 2 paiements des 30 derniers jours auraient été refusés."
        ),
        "{page}"
    );
    let mut fields = form_fields(&MerchantRules::default());
    set(&mut fields, "card_refused", "1");
    fields.push(("action".into(), "backtest".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = admin.post(&path, &borrowed).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(
            "Avec ces règles, 1 des 2 paiements des 30 derniers jours auraient été refusés."
        ),
        "{page}"
    );
    // A link to the refused payment in the list, every date.
    let list = format!(
        r#"href="/transactions?merchant={m}&amp;period=all&amp;ids={}""#,
        sales[1]
    );
    assert!(page.contains(&list), "{page}");
    assert!(page.contains("Voir cette transaction dans la liste"));
    let href = link_in(&page, "backtest-list");
    let (status, list) = admin.page(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_in(&list), [sales[1]], "exactly the refused payment");
    assert!(list.contains("Sélection : 1 transaction"));
    assert!(
        page.contains(r#"name="card_refused" type="text" value="1""#),
        "typed values kept"
    );
    assert_eq!(
        app.db.fraud_rules(m).unwrap(),
        MerchantRules::default(),
        "nothing saved"
    );
}
