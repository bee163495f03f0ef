//! Processing › Virtual terminal (MOTO): the form that makes a payment request (LINK-1).

use maud::{Markup, html};

use super::layout::processing_page;
use crate::domain::countries;
use crate::domain::money::Currency;
use crate::domain::payment::{DEFAULT_VALIDITY_DAYS, RequestForm};
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, Select, csrf, error_for, textarea};

/// A terminal a payment request can be made on: (merchant, terminal number, label).
pub struct TerminalChoice {
    pub merchant: Merchant,
    pub terminal: u32,
    pub label: String,
}

impl TerminalChoice {
    pub fn key(&self) -> String {
        format!("{}:{}", self.merchant.id, self.terminal)
    }
}

fn select(
    name: &str,
    label: &str,
    required: bool,
    options: &[(String, String)],
    value: &str,
    error: Option<&str>,
) -> Markup {
    Select::new(name, label, options, value)
        .required(required)
        .error(error)
        .render()
}

/// The virtual terminal's form (LINK-1), field for field as in the guide.
/// The merchant and terminal, the payment type and operation.
fn operation_fieldset(
    view: &View,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let terminals: Vec<(String, String)> = choices
        .iter()
        .map(|c| (c.key(), format!("{} — {}", c.merchant.name, c.label)))
        .collect();
    html! {
        fieldset {
            legend { (view.t("Opération", "Operation")) }
            div class="grid3" {
                @if terminals.len() > 1 || e("terminal").is_some() {
                    (select("terminal", view.t("Marchand / terminal", "Merchant / terminal"), true, &terminals, &form.terminal, e("terminal")))
                } @else if let Some((k, _)) = terminals.first() {
                    input type="hidden" name="terminal" value=(k);
                }
                (select("type", view.t("Type de transaction", "Transaction type"), false, &[("card".into(), view.t("Carte bancaire", "Credit card").into())], "card", None))
                (select("operation", view.t("Opération", "Operation"), true, &[
                    ("sale".into(), view.t("Vente", "Sale").into()),
                    ("authorization".into(), view.t("Autorisation", "Authorization").into()),
                ], &form.operation, e("operation")))
            }
        }
    }
}

/// The order: number, amount, currency, description.
fn order_fieldset(view: &View, form: &RequestForm, errors: &[FieldError]) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let choose = view.t("Veuillez choisir", "Please choose").to_string();
    let mut currencies = vec![(String::new(), choose)];
    currencies.extend(
        Currency::ALL
            .iter()
            .map(|c| (c.code().to_string(), c.code().to_string())),
    );
    html! {
        fieldset {
            legend { (view.t("Information de la transaction", "Transaction information")) }
            div class="grid3" {
                (Input::new("order_id", view.t("Numéro de commande", "Order number"), &form.order_id).required().error(e("order_id")).hint(view.t("Chiffres ou lettres, ex. « Réservation du groupe 23 »", "Digits or letters, e.g. \"Group booking 23\"")).render())
                (Input::new("amount", view.t("Montant", "Amount"), &form.amount).required().error(e("amount")).hint(view.t("ex. 1500 ou 1 500,50", "e.g. 1500 or 1,500.50")).render())
                (select("currency", view.t("Monnaie", "Currency"), true, &currencies, &form.currency, e("currency")))
            }
            (textarea("description", view.t("Description commande", "Order description"), &form.description, e("description"), None))
        }
    }
}

/// The customer email's language and the link's validity.
fn email_fieldset(view: &View, form: &RequestForm, errors: &[FieldError]) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let validity = if form.validity_days.is_empty() {
        DEFAULT_VALIDITY_DAYS.to_string()
    } else {
        form.validity_days.clone()
    };
    html! {
        fieldset {
            legend { "Email" }
            div class="grid3" {
                (select("lang", view.t("Langue de l'email client", "Customer email language"), false, &[
                    ("fr".into(), "Français".into()), ("en".into(), "English".into()),
                ], &form.lang, None))
                (Input::new("validity_days", view.t("Durée de validité du lien de paiement (jours)", "Payment link validity (days)"), &validity).kind("number").error(e("validity_days")).render())
            }
        }
    }
}

/// The cardholder.
fn holder_fieldset(view: &View, form: &RequestForm, errors: &[FieldError]) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let choose = view.t("Veuillez choisir", "Please choose").to_string();
    let mut country_opts = vec![(String::new(), choose)];
    country_opts.extend(
        countries::sorted(view.lang)
            .into_iter()
            .map(|(c, n)| (c.to_string(), n.to_string())),
    );
    html! {
        fieldset {
            legend { (view.t("Information du porteur", "Cardholder information")) }
            div class="grid3" {
                (Input::new("name", view.t("Prénom/Nom", "First/last name"), &form.name).required().error(e("name")).render())
                (Input::new("email", view.t("Adresse électronique", "Email address"), &form.email).kind("email").required().error(e("email")).render())
                (Input::new("phone", view.t("Téléphone", "Phone"), &form.phone).kind("tel").error(e("phone")).render())
                (Input::new("address", view.t("Adresse", "Address"), &form.address).error(e("address")).render())
                (Input::new("postcode", view.t("Code postal", "Postcode"), &form.postcode).error(e("postcode")).render())
                (Input::new("city", view.t("Ville", "City"), &form.city).error(e("city")).render())
                (Input::new("state", view.t("État", "State"), &form.state).error(e("state")).render())
                (select("country", view.t("Pays", "Country"), false, &country_opts, &form.country.to_ascii_uppercase(), e("country")))
                (Input::new("id_number", view.t("Numéro d'identification", "ID number"), &form.id_number).error(e("id_number")).render())
                (Input::new("birth_date", view.t("Date de naissance", "Birth date"), &form.birth_date).kind("date").error(e("birth_date")).render())
            }
        }
    }
}

pub fn terminal_page(
    view: &View,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
) -> Markup {
    let body = html! {
        h1 { (view.t("Affichage du terminal virtuel", "Virtual terminal")) }
        p class="muted small" { (view.t("Créez une demande de paiement : le client la reçoit par email, ou vous lui transmettez le lien. Les champs marqués * sont obligatoires.", "Create a payment request: the customer receives it by email, or you pass them the link. Fields marked * are required.")) }
        @if !errors.is_empty() {
            (flash("err", view.t("La demande n'a pas été créée : corrigez les champs signalés.", "The request was not created: fix the fields marked below.")))
        }
        @if choices.is_empty() {
            div class="flash info" {
                (view.t("Aucun marchand pour l'instant : créez-en un avec son terminal dans ", "No merchant yet: create one with its terminal in "))
                a href="/parameters/merchants/new" { (view.t("Paramètres › Marchands", "Parameters › Merchants")) }
                "."
            }
        }
        form class="form vt" method="post" action="/terminal" novalidate {
            (csrf(view))
            (operation_fieldset(view, form, errors, choices))
            (order_fieldset(view, form, errors))
            (email_fieldset(view, form, errors))
            (holder_fieldset(view, form, errors))
            div class="actions" {
                button class="primary" type="submit" name="action" value="send" { (view.t("Envoyer le lien de paiement", "Send the payment link")) }
                button type="submit" name="action" value="show" { (view.t("Afficher le lien de paiement", "Show the payment link")) }
            }
        }
    };
    processing_page(
        view,
        view.t("Terminal virtuel", "Virtual terminal"),
        "/terminal",
        body,
    )
}
