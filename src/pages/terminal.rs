//! Processing › Virtual terminal (MOTO): the form that makes a payment request (LINK-1).

use maud::{Markup, html};

use super::layout::processing_page;
use crate::domain::countries;
use crate::domain::money::Currency;
use crate::domain::outbox::Mail;
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
    /// The currencies the merchant accepts (its settings), never empty.
    pub currencies: Vec<Currency>,
}

impl TerminalChoice {
    pub fn key(&self) -> String {
        format!("{}:{}", self.merchant.id, self.terminal)
    }
}

/// The currencies any of `choices` accepts, in the usual order: the only ones offered.
pub fn offered_currencies(choices: &[TerminalChoice]) -> Vec<Currency> {
    Currency::ALL
        .into_iter()
        .filter(|c| choices.iter().any(|t| t.currencies.contains(c)))
        .collect()
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
                (select("operation", view.t("Opération", "Operation"), true, &[
                    ("sale".into(), view.t("Vente", "Sale").into()),
                    ("authorization".into(), view.t("Autorisation", "Authorization").into()),
                ], &form.operation, e("operation")))
            }
        }
    }
}

/// The order: number, amount, currency, description.
fn order_fieldset(
    view: &View,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let choose = view.t("Veuillez choisir", "Please choose").to_string();
    let mut currencies = vec![(String::new(), choose)];
    currencies.extend(
        offered_currencies(choices)
            .iter()
            .map(|c| (c.code().to_string(), c.code().to_string())),
    );
    html! {
        fieldset {
            legend { (view.t("Information de la transaction", "Transaction information")) }
            div class="grid3" {
                (Input::new("order_id", view.t("Numéro de commande", "Order number"), &form.order_id).required().error(e("order_id")).hint(view.t("Votre référence, ex. CMD-1001 ou « Réservation groupe 23 »", "Your reference, e.g. ORDER-1001 or \"Group booking 23\"")).render())
                (Input::new("amount", view.t("Montant", "Amount"), &form.amount).required().inputmode("decimal").error(e("amount")).hint(view.t("ex. 1500 ou 1 500,50", "e.g. 1500 or 1,500.50")).render())
                (select("currency", view.t("Devise", "Currency"), true, &currencies, &form.currency, e("currency")))
            }
            (textarea("description", view.t("Description de la commande", "Order description"), &form.description, e("description"), None))
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
                (Input::new("validity_days", view.t("Validité du lien (jours)", "Link validity (days)"), &validity).kind("number").error(e("validity_days")).render())
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
                (Input::new("name", view.t("Prénom et nom", "First and last name"), &form.name).required().error(e("name")).render())
                (Input::new("email", view.t("Adresse électronique", "Email address"), &form.email).kind("email").required().error(e("email")).render())
                (Input::new("phone", view.t("Téléphone", "Phone"), &form.phone).kind("tel").error(e("phone")).render())
                (Input::new("address", view.t("Adresse", "Address"), &form.address).error(e("address")).render())
                (Input::new("postcode", view.t("Code postal", "Postcode"), &form.postcode).error(e("postcode")).render())
                (Input::new("city", view.t("Ville", "City"), &form.city).error(e("city")).render())
                (Input::new("state", view.t("Région", "Region"), &form.state).error(e("state")).render())
                (select("country", view.t("Pays", "Country"), false, &country_opts, &form.country.to_ascii_uppercase(), e("country")))
                (Input::new("id_number", view.t("Numéro d'identification", "ID number"), &form.id_number).error(e("id_number")).render())
                (Input::new("birth_date", view.t("Date de naissance", "Birth date"), &form.birth_date).placeholder(view.t("JJ/MM/AAAA", "DD/MM/YYYY")).error(e("birth_date")).render())
            }
        }
    }
}

/// What the virtual terminal shows besides the form.
#[derive(Clone, Copy)]
pub struct TerminalExtras<'a> {
    /// Whether a mail server is configured: without one, emails wait in the outbox
    /// and showing the link is the main action.
    pub smtp: bool,
    /// The link email the form would queue, rendered by the mail module (a preview).
    pub preview: Option<&'a Mail>,
}

/// The preview of the link email: its subject and text, exactly as queued.
fn preview_panel(view: &View, mail: &Mail, smtp: bool) -> Markup {
    html! {
        section class="card mail-preview" id="mail-preview" aria-live="polite" {
            h2 { (view.t("Aperçu de l'email au client", "Preview of the customer email")) }
            p class="muted small" {
                (view.t("Rien n'est créé ni envoyé tant que vous ne validez pas. Le lien réel remplace « … ».", "Nothing is created or sent until you confirm. The real link replaces \"…\"."))
                @if !smtp {
                    " " (view.t("Sans serveur d'email configuré, ce message attendrait dans la file d'envoi.", "With no mail server configured, this message would wait in the outbox."))
                }
            }
            p { strong { (view.t("À : ", "To: ")) } (mail.to) }
            p { strong { (view.t("Objet : ", "Subject: ")) } span class="mail-subject" { (mail.subject) } }
            pre class="mail-body" { (mail.text) }
        }
    }
}

/// The submit buttons: sending first with a mail server, showing the link first
/// without one (the email would only wait).
fn actions(view: &View, smtp: bool) -> Markup {
    let show_label = view.t("Afficher le lien de paiement", "Show the payment link");
    let preview = html! {
        button type="submit" name="action" value="preview" formnovalidate { (view.t("Prévisualiser l'email", "Preview the email")) }
    };
    html! {
        div class="actions" {
            @if smtp {
                button class="primary" type="submit" name="action" value="send" { (view.t("Envoyer le lien par email", "Email the payment link")) }
                button type="submit" name="action" value="show" { (show_label) }
            } @else {
                button class="primary" type="submit" name="action" value="show" { (show_label) }
                button type="submit" name="action" value="send" { (view.t("Mettre l'email en file d'attente", "Queue the email")) }
            }
            (preview)
        }
    }
}

pub fn terminal_page(
    view: &View,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
    extras: TerminalExtras,
) -> Markup {
    let smtp = extras.smtp;
    let body = html! {
        h1 { (view.t("Nouvelle demande de paiement", "New payment request")) }
        @if smtp {
            p class="muted small" { (view.t("Créez une demande de paiement : le client la reçoit par email, ou vous lui transmettez le lien. Les champs marqués * sont obligatoires.", "Create a payment request: the customer receives it by email, or you pass them the link. Fields marked * are required.")) }
        } @else {
            p class="muted small" { (view.t("Créez une demande de paiement et transmettez le lien au client. Les champs marqués * sont obligatoires.", "Create a payment request and pass the link to the customer. Fields marked * are required.")) }
            div class="flash warn no-smtp" {
                (view.t("Aucun serveur d'email n'est configuré : les emails attendent dans la file d'envoi jusqu'à ce qu'un serveur soit configuré, et ne partent pas d'ici là. Affichez le lien et transmettez-le vous-même.", "No mail server is configured: emails wait in the outbox until one is configured, and do not leave until then. Show the link and pass it on yourself."))
            }
        }
        @if let Some(mail) = extras.preview {
            (preview_panel(view, mail, smtp))
        }
        @if !errors.is_empty() {
            (flash("err", view.t("La demande n'a pas été créée : corrigez les champs signalés.", "The request was not created: fix the fields marked below.")))
        }
        @if choices.is_empty() {
            div class="flash info" {
                (view.t("Aucun marchand pour l'instant : créez-en un avec son terminal dans ", "No merchant yet: create one with its terminal in "))
                a href="/parameters/merchants/new" { (view.t("Paramètres › Marchands", "Settings › Merchants")) }
                "."
            }
        }
        form class="form vt" method="post" action="/terminal" novalidate {
            (csrf(view))
            (operation_fieldset(view, form, errors, choices))
            (order_fieldset(view, form, errors, choices))
            (email_fieldset(view, form, errors))
            (holder_fieldset(view, form, errors))
            (actions(view, smtp))
        }
    };
    processing_page(
        view,
        view.t("Terminal virtuel", "Virtual terminal"),
        "/terminal",
        body,
    )
}
