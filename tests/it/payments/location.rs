//! Buyer location rules (FRAUD-2, FRAUD-5): the card's country and the buyer's IP
//! address country against the merchant's allow- or deny-lists, checked before the
//! acquirer with code 586; the Restrictions page's country fields.

use guichet::acquirer::CHALLENGE_CODE;
use guichet::db::Scope;
use guichet::domain::codes::ResultCode;
use guichet::domain::fraud::MerchantRules;
use guichet::domain::journal::{Rule, Step};
use guichet::domain::location::{CountryRule, ListMode, LocationRules, Source};
use guichet::domain::transaction::Operation;
use reqwest::StatusCode;

use super::velocity::{form_fields, journal_text, set};
use crate::fixtures::payments::{last_attempt, new_request, pay, request, shop};
use crate::support::{TestApp, spawn_app, spawn_app_with};

fn list(mode: ListMode, countries: &[&str]) -> CountryRule {
    CountryRule {
        mode,
        countries: countries.iter().map(|c| c.to_string()).collect(),
    }
}

fn set_location(app: &TestApp, m: u64, location: LocationRules) {
    let actor = guichet::domain::actor::Actor::new(0, "admin", "127.0.0.1");
    let rules = app.db.fraud_rules(m).unwrap();
    app.db
        .set_restrictions(m, &rules, &location, &actor)
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_card_from_a_country_off_the_allow_list_is_refused_with_586_before_the_acquirer() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    set_location(
        &app,
        m,
        LocationRules {
            card: list(ListMode::Allow, &["MA"]),
            ..LocationRules::default()
        },
    );
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    // A French Mastercard (3-D Secure challenge): refused before the challenge.
    let result = pay(&customer, &token, "5555555555554444", "").await;
    assert_eq!(app.gateway.acquirer.payments_sent(), 0, "no bank call");
    let (three_ds, sale) = last_attempt(&app, id);
    assert_eq!(sale.code, ResultCode::COUNTRY_REFUSED);
    assert_eq!(three_ds.code, ResultCode::COUNTRY_REFUSED);
    let journal = app.db.journal(sale.id).unwrap();
    assert!(journal.iter().any(|j| matches!(
        j.step,
        Step::RefusedByRule(Rule::Location(f)) if f.source == Source::Card && f.country == Some(*b"FR")
    )));
    assert!(
        journal_text(&app, sale.id).iter().any(|t| t
            == "Refused by a rule: card issued in France (FR), a country not on the allow-list"),
        "{:?}",
        journal_text(&app, sale.id)
    );
    let (_, page) = c
        .page(&format!("/transactions/{}?tab=journal", sale.id))
        .await;
    assert!(page.contains("carte émise en France (FR), pays absent de la liste autorisée"));
    let (_, detail) = c.page(&format!("/transactions/{}", sale.id)).await;
    assert!(detail.contains("586"), "the code is shown");
    // The customer sees a plain refusal that does not name the rule.
    let (_, shown) = customer.page(&result).await;
    assert!(shown.contains("Le paiement a été refusé."), "{shown}");
    assert!(!shown.contains("France") && !shown.contains("pays"));
    // A Moroccan card pays on a new link.
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ACCEPTED);
    assert_eq!(app.gateway.acquirer.payments_sent(), 1);
    assert!(app.db.check().unwrap().is_ok());
}

#[tokio::test]
async fn the_buyers_ip_country_is_held_to_its_own_list_apart_from_the_cards() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let (m, c) = shop(&app).await;
    set_location(
        &app,
        m,
        LocationRules {
            ip: list(ListMode::Deny, &["US"]),
            ..LocationRules::default()
        },
    );
    // 8.8.8.8 is registered in the United States; 196.200.130.10 in Morocco.
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client_from("8.8.8.8"), &token, "4111111111111111", "").await;
    let sale = last_attempt(&app, id).1;
    assert_eq!(sale.code, ResultCode::COUNTRY_REFUSED);
    assert_eq!(sale.initiator.ip, "8.8.8.8");
    assert!(
        journal_text(&app, sale.id)
            .iter()
            .any(|t| t
                .ends_with("IP address located in United States (US), a country on the deny-list")),
        "{:?}",
        journal_text(&app, sale.id)
    );
    let (id, token) = new_request(&c, m, &[]).await;
    pay(
        &app.client_from("196.200.130.10"),
        &token,
        "4111111111111111",
        "",
    )
    .await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ACCEPTED);
    // No known country (a private address): a deny-list lets it through...
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    assert_eq!(last_attempt(&app, id).1.code, ResultCode::ACCEPTED);
    // ... an allow-list does not; the card's own country is not the IP's.
    set_location(
        &app,
        m,
        LocationRules {
            ip: list(ListMode::Allow, &["MA"]),
            card: list(ListMode::Allow, &["US"]),
        },
    );
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let sale = last_attempt(&app, id).1;
    assert_eq!(sale.code, ResultCode::COUNTRY_REFUSED);
    assert!(
        journal_text(&app, sale.id)
            .iter()
            .any(|t| t.ends_with("card issued in Morocco (MA), a country not on the allow-list")),
        "the card is checked first: {:?}",
        journal_text(&app, sale.id)
    );
    set_location(
        &app,
        m,
        LocationRules {
            ip: list(ListMode::Allow, &["MA"]),
            ..LocationRules::default()
        },
    );
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let sale = last_attempt(&app, id).1;
    assert_eq!(sale.code, ResultCode::COUNTRY_REFUSED);
    assert!(
        journal_text(&app, sale.id)
            .iter()
            .any(|t| t
                .ends_with("IP address with no known country, a country not on the allow-list")),
        "{:?}",
        journal_text(&app, sale.id)
    );
    assert_eq!(app.gateway.acquirer.payments_sent(), 2);
}

#[tokio::test]
async fn a_rebill_of_a_card_from_a_refused_country_gets_586_and_its_rule() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let sale = request(&app, id).paid_tx.unwrap();
    set_location(
        &app,
        m,
        LocationRules {
            card: list(ListMode::Deny, &["MA"]),
            // The rebill's IP address is the back-office user's: never checked.
            ip: list(ListMode::Allow, &["FR"]),
        },
    );
    let r = c
        .post(
            &format!("/transactions/{sale}/operations/rebill"),
            &[("amount", "10,00")],
        )
        .await;
    assert!(r.status().is_redirection() || r.status().is_success());
    let rebill = app
        .db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .find(|t| t.operation == Operation::Rebill)
        .expect("the rebill row");
    assert_eq!(rebill.code, ResultCode::COUNTRY_REFUSED);
    assert_eq!(app.gateway.acquirer.payments_sent(), 1, "only the sale");
    assert!(
        journal_text(&app, rebill.id)
            .iter()
            .any(|t| t.contains("card issued in Morocco (MA), a country on the deny-list")),
        "{:?}",
        journal_text(&app, rebill.id)
    );
}

/// The whole restrictions form with these country fields.
fn location_form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = form_fields(&MerchantRules::default());
    for (k, v) in fields {
        out.push((k.to_string(), v.to_string()));
    }
    out
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn an_admin_sets_country_lists_and_bad_codes_are_refused_beside_their_field() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{m}/restrictions");
    let (_, page) = admin.page(&path).await;
    assert!(page.contains("Localisation de l'acheteur"), "{page}");
    assert!(page.contains(r#"name="card_country_mode""#));
    // An unknown code, an empty list for a deny-list: 422, nothing saved.
    let bad = location_form(&[
        ("card_country_mode", "allow"),
        ("card_country_list", "MA, XX, Maroc"),
        ("ip_country_mode", "deny"),
        ("ip_country_list", " "),
    ]);
    let r = admin.post(&path, &borrowed(&bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("« XX », « Maroc » : pas un code pays ISO à 2 lettres"),
        "{page}"
    );
    assert!(page.contains("Donnez au moins un pays"), "{page}");
    assert!(
        page.contains(r#"value="MA, XX, Maroc""#),
        "typed value kept"
    );
    assert_eq!(app.db.location_rules(m).unwrap(), LocationRules::default());
    // An unknown mode.
    let odd = location_form(&[("card_country_mode", "sometimes")]);
    let r = admin.post(&path, &borrowed(&odd)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Good values are saved, upper-cased and sorted, with an audit line in words.
    let mut good = location_form(&[
        ("card_country_mode", "allow"),
        ("card_country_list", "ma fr"),
        ("ip_country_mode", "deny"),
        ("ip_country_list", "ru"),
    ]);
    set(&mut good, "card_refused", "4");
    let r = admin.post(&path, &borrowed(&good)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.db.location_rules(m).unwrap();
    assert_eq!(saved.card, list(ListMode::Allow, &["FR", "MA"]));
    assert_eq!(saved.ip, list(ListMode::Deny, &["RU"]));
    assert_eq!(app.db.fraud_rules(m).unwrap().card.max_refused, Some(4));
    let line = app
        .db
        .audit(Scope::Admin, 10)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "merchant.fraud_rules")
        .expect("an audit line");
    assert!(
        line.detail
            .contains("card_country=allow:FR,MA ip_country=deny:RU"),
        "{}",
        line.detail
    );
    let (_, audit) = admin.page("/parameters/audit").await;
    assert!(
        audit.contains("Pays de la carte : seulement France (FR), Maroc (MA)"),
        "{audit}"
    );
    let (_, page) = admin.page(&path).await;
    assert!(page.contains(r#"value="FR, MA""#), "{page}");
    // The merchant's manager reads them; cannot post them.
    let (_, mine) = c.page("/parameters/restrictions").await;
    assert!(
        mine.contains("Pays de l'adresse IP : tous sauf Russie, Fédération de (RU)"),
        "{mine}"
    );
    let r = c.post(&path, &borrowed(&good)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_backtest_counts_what_a_country_list_would_have_refused() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let mut sales = Vec::new();
    for card in ["4111111111111111", "5555555555554444"] {
        let (id, token) = new_request(&c, m, &[]).await;
        pay(&app.client(), &token, card, CHALLENGE_CODE).await;
        sales.push(last_attempt(&app, id).1.id);
    }
    let admin = app.admin().await;
    let path = format!("/parameters/merchants/{m}/restrictions");
    let mut fields = location_form(&[("card_country_mode", "allow"), ("card_country_list", "MA")]);
    fields.push(("action".into(), "backtest".into()));
    let r = admin.post(&path, &borrowed(&fields)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(
            "Avec ces règles, 1 des 2 paiements des 30 derniers jours auraient été refusés."
        ),
        "{page}"
    );
    // The list link names the refused payment only.
    assert!(page.contains(&format!(
        r#"href="/transactions?merchant={m}&amp;period=all&amp;ids={}""#,
        sales[1]
    )));
    assert_eq!(app.db.location_rules(m).unwrap(), LocationRules::default());
}
