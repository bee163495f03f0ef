//! Paramètres › Marchands › *merchant* › Restrictions (FRAUD-1, FRAUD-2, FRAUD-3):
//! the velocity limits per key, the buyer location lists and the 3-D Secure
//! setting; admins edit, a merchant's user managers read them.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::filter::MAX_IDS;
use crate::domain::fraud::{Backtest, KeyKind, MerchantRules, RulesValues, Unit, field};
use crate::domain::location::{ListMode, LocationRules, LocationValues, Source, fields};
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, Select, csrf, error_for};

/// The page's path for merchant `id`.
pub fn path(id: u64) -> String {
    format!("/parameters/merchants/{id}/restrictions")
}

fn title(view: &View) -> &'static str {
    view.t("Restrictions anti-fraude", "Fraud restrictions")
}

fn intro(view: &View) -> Markup {
    html! {
        p class="muted" { (view.t(
            "Au-delà d'une limite, le paiement est refusé (code 585) avant l'envoi à l'acquéreur ; un pays refusé donne le code 586. Le Journal de la transaction nomme la règle, le client voit un refus sans explication. Vide : pas de limite.",
            "Over a limit the payment is refused (code 585) before it reaches the acquirer; a refused country gives code 586. The transaction's Journal names the rule, the customer sees a plain refusal. Empty: no limit.")) }
    }
}

/// The defaults a new merchant gets, in one line.
fn defaults(view: &View) -> Markup {
    let d = MerchantRules::default();
    html! {
        p class="hint" {
            (view.t("Valeurs par défaut d'un nouveau marchand : ", "Defaults for a new merchant: "))
            @for (i, k) in KeyKind::ALL.iter().enumerate() {
                @if i > 0 { (view.t(" ; ", "; ")) }
                (k.label(view.lang)) " " (d.limit(*k).text(view.lang))
            }
            (view.t(" ; ", "; ")) (view.t("pays de la carte et de l'adresse IP : aucune restriction", "card and IP address country: no restriction"))
            (view.t(" ; ", "; ")) (view.t("cartes internationales : 3-D Secure exigé.", "international cards: 3-D Secure required."))
        }
    }
}

/// The list of the transactions a backtest would have refused: the most recent
/// [`MAX_IDS`] (the list's limit) of merchant `merchant`, every date.
fn backtest_list_href(merchant: u64, refused: &[u64]) -> String {
    let mut ids: Vec<u64> = refused.iter().rev().take(MAX_IDS).copied().collect();
    ids.sort_unstable();
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!(
        "/transactions?merchant={merchant}&period=all&ids={}",
        ids.join(",")
    )
}

/// What the rules would have refused over the last 30 days, with a link to those
/// transactions in the list.
fn backtest(view: &View, merchant: u64, b: &Backtest) -> Markup {
    let n = b.refused.len();
    let shown = n.min(MAX_IDS);
    html! {
        section class="card" aria-labelledby="backtest-title" {
            h2 id="backtest-title" { (view.t("Simulation sur les 30 derniers jours", "Backtest over the last 30 days")) }
            p { (match view.lang {
                crate::domain::Lang::Fr => format!("Avec ces règles, {n} des {} paiements des 30 derniers jours auraient été refusés.", b.payments),
                crate::domain::Lang::En => format!("With these rules, {n} of the {} payments of the last 30 days would have been refused.", b.payments),
            }) }
            @if n > 0 {
                p {
                    a href=(backtest_list_href(merchant, &b.refused)) id="backtest-list" { (match (view.lang, shown) {
                        (crate::domain::Lang::Fr, 1) => "Voir cette transaction dans la liste".to_string(),
                        (crate::domain::Lang::Fr, _) => format!("Voir ces {shown} transactions dans la liste"),
                        (crate::domain::Lang::En, 1) => "See this transaction in the list".to_string(),
                        (crate::domain::Lang::En, _) => format!("See these {shown} transactions in the list"),
                    }) }
                }
                @if n > MAX_IDS {
                    p class="hint" { (match view.lang {
                        crate::domain::Lang::Fr => format!("La liste montre les {MAX_IDS} plus récentes des {n}."),
                        crate::domain::Lang::En => format!("The list shows the {MAX_IDS} most recent of the {n}."),
                    }) }
                }
            }
        }
    }
}

/// The buyer location fields: for the card's and the IP address's country, how the
/// list is used and the list.
fn location_fields(view: &View, lv: &LocationValues, errors: &[FieldError]) -> Markup {
    let err = |f| error_for(errors, f, view.lang);
    let modes: Vec<(String, String)> = ListMode::ALL
        .iter()
        .map(|m| (m.key().to_string(), m.label(view.lang).to_string()))
        .collect();
    html! {
        fieldset {
            legend { (view.t("Localisation de l'acheteur", "Buyer location")) }
            p class="hint" { (view.t(
                "Le pays de la carte vient de son BIN (6 premiers chiffres) ; celui de l'adresse IP, de la base des registres Internet (RIR) livrée avec Guichet. Un pays inconnu (adresse privée, BIN sans pays) est refusé par une liste autorisée et accepté par une liste refusée. Une refacturation n'est contrôlée que sur le pays de la carte.",
                "The card's country comes from its BIN (first 6 digits); the IP address's, from the Internet registries' (RIR) data shipped with Guichet. An unknown country (private address, BIN without a country) is refused by an allow-list and accepted by a deny-list. A rebill is checked on the card's country only.")) }
            @for (i, source) in Source::ALL.iter().enumerate() {
                @let (mode_f, list_f) = fields(*source);
                div class="grid2" {
                    (Select::new(mode_f, source.label(view.lang), &modes, &lv.modes[i]).required(true).error(err(mode_f)).render())
                    (Input::new(list_f, view.t("Pays (codes ISO)", "Countries (ISO codes)"), &lv.countries[i]).placeholder("MA, FR, BE").autocomplete("off").error(err(list_f)).hint(view.t("Codes à 2 lettres séparés par des virgules, ex. MA, FR, BE.", "2-letter codes separated by commas, e.g. MA, FR, BE.")).render())
                }
            }
        }
    }
}

/// The location rules in words, for the read-only page and the overview.
fn location_text(view: &View, l: &LocationRules) -> Markup {
    html! {
        @for (i, s) in Source::ALL.iter().enumerate() {
            @if i > 0 { (view.t(" ; ", "; ")) }
            (s.label(view.lang)) (view.t(" : ", ": ")) (l.rule(*s).text(view.lang))
        }
    }
}

/// The admin's form (errors beside their fields, the values as typed).
pub fn edit(
    view: &View,
    m: &Merchant,
    ((v, lv), errors): (&(RulesValues, LocationValues), &[FieldError]),
    done: Option<&str>,
    tested: Option<&Backtest>,
) -> Markup {
    let err = |f| error_for(errors, f, view.lang);
    let units: Vec<(String, String)> = Unit::ALL
        .iter()
        .map(|u| (u.key().to_string(), u.label(view.lang).to_string()))
        .collect();
    let body = html! {
        h1 { (title(view)) " — " (m.name) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés : rien n'a été enregistré.", "Please correct the fields shown: nothing was saved."))) }
        (intro(view))
        (defaults(view))
        form class="form card" method="post" action=(path(m.id)) {
            (csrf(view))
            @for (kind, l) in KeyKind::ALL.iter().zip(&v.limits) {
                fieldset {
                    legend { (kind.label(view.lang)) }
                    div class="grid2" {
                        (Input::new(field(*kind, "accepted"), view.t("Paiements acceptés au plus", "Max. accepted payments"), &l.max_accepted).inputmode("numeric").error(err(field(*kind, "accepted"))).render())
                        (Input::new(field(*kind, "refused"), view.t("Paiements refusés au plus", "Max. refused payments"), &l.max_refused).inputmode("numeric").error(err(field(*kind, "refused"))).render())
                        (Input::new(field(*kind, "window"), view.t("Sur une période de", "Over a window of"), &l.window).inputmode("numeric").required().error(err(field(*kind, "window"))).hint(view.t("De 1 minute à 90 jours.", "From 1 minute to 90 days.")).render())
                        (Select::new(field(*kind, "unit"), view.t("Unité", "Unit"), &units, &l.unit).required(true).error(err(field(*kind, "unit"))).render())
                    }
                }
            }
            (location_fields(view, lv, errors))
            fieldset {
                legend { (view.t("Cartes internationales", "International cards")) }
                label class="check" {
                    input type="checkbox" name="international_3ds" value="1" checked[v.international_requires_3ds] aria-describedby="f-international_3ds-hint";
                    (view.t("N'accepter les cartes internationales qu'avec 3-D Secure", "Accept international cards only with 3-D Secure"))
                }
                small class="hint" id="f-international_3ds-hint" { (view.t(
                    "Attention : décoché, une carte internationale non enrôlée 3-D Secure est envoyée à l'acquéreur sans authentification du porteur ; en cas de fraude, l'impayé est à la charge du marchand.",
                    "Warning: unticked, an international card not enrolled in 3-D Secure goes to the acquirer without the cardholder being authenticated; if it is fraud, the chargeback is the merchant's loss.")) }
            }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
                button type="submit" name="action" value="backtest" { (view.t("Simuler sans enregistrer", "Test without saving")) }
                a href={"/parameters/merchants/" (m.id)} { (view.t("Retour au marchand", "Back to the merchant")) }
            }
        }
        @if let Some(b) = tested { (backtest(view, m.id, b)) }
    };
    parameters_page(view, title(view), "/parameters/merchants", body)
}

/// The rules as a table, for a merchant's user managers (read-only).
pub fn read_only(
    view: &View,
    m: &Merchant,
    rules: &MerchantRules,
    location: &LocationRules,
) -> Markup {
    let body = html! {
        h1 { (title(view)) " — " (m.name) }
        (intro(view))
        p class="muted" { (view.t(
            "Ces règles sont fixées par l'administrateur de la plateforme : demandez-lui de les modifier.",
            "These rules are set by the platform's administrator: ask them for a change.")) }
        div class="table-wrap stack-cols" {
            table class="grid" {
                thead { tr {
                    th { (view.t("Clé", "Key")) }
                    th class="num" { (view.t("Acceptés au plus", "Max. accepted")) }
                    th class="num" { (view.t("Refusés au plus", "Max. refused")) }
                    th { (view.t("Période", "Window")) }
                } }
                tbody {
                    @for k in KeyKind::ALL {
                        @let l = rules.limit(k);
                        tr {
                            td { (k.label(view.lang)) }
                            td class="num" { (l.max_accepted.map_or("—".to_string(), |n| n.to_string())) }
                            td class="num" { (l.max_refused.map_or("—".to_string(), |n| n.to_string())) }
                            td { (l.window.text(view.lang)) }
                        }
                    }
                }
            }
        }
        p { (view.t("Localisation de l'acheteur — ", "Buyer location — ")) (location_text(view, location)) "." }
        p {
            (view.t("Cartes internationales : ", "International cards: "))
            @if rules.international_requires_3ds {
                (view.t("acceptées seulement avec 3-D Secure.", "accepted only with 3-D Secure."))
            } @else {
                (view.t("acceptées même sans 3-D Secure.", "accepted even without 3-D Secure."))
            }
        }
        (defaults(view))
    };
    parameters_page(view, title(view), "/parameters/restrictions", body)
}

/// For an admin: every merchant with its rules in one line and a link to edit them.
pub fn overview(view: &View, merchants: &[(Merchant, MerchantRules, LocationRules)]) -> Markup {
    let body = html! {
        h1 { (title(view)) }
        (intro(view))
        @if merchants.is_empty() {
            p class="empty" { (view.t("Aucun marchand pour l'instant.", "No merchant yet.")) }
        } @else {
            ul class="plain" {
                @for (m, r, l) in merchants {
                    li {
                        a href=(path(m.id)) { (m.name) }
                        " — " (view.t("carte : ", "card: ")) (r.card.text(view.lang))
                        @if l.is_on() { " — " (location_text(view, l)) }
                        @if !r.international_requires_3ds {
                            " — " strong { (view.t("cartes internationales sans 3-D Secure acceptées", "international cards without 3-D Secure accepted")) }
                        }
                    }
                }
            }
        }
        (defaults(view))
    };
    parameters_page(view, title(view), "/parameters/restrictions", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backtest_list_link_names_every_refused_payment_of_all_dates() {
        assert_eq!(
            backtest_list_href(7, &[30, 12, 45]),
            "/transactions?merchant=7&period=all&ids=12,30,45"
        );
    }

    #[test]
    fn past_500_refusals_the_backtest_list_link_keeps_the_most_recent() {
        // Oldest first, as a backtest gives them.
        let refused: Vec<u64> = (1..=620).collect();
        let href = backtest_list_href(3, &refused);
        let ids: Vec<u64> = href
            .split("ids=")
            .nth(1)
            .unwrap()
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(ids.len(), MAX_IDS);
        assert_eq!((ids[0], ids[MAX_IDS - 1]), (121, 620));
    }
}
