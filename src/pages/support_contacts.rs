//! Parameters › Support contacts (admins): the email address, phone and hours shown on
//! the Support tab, the sign-in page and the customer's payment-refused page.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::form::FieldError;
use crate::domain::support_contacts::{ContactsForm, SupportContacts};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf, error_for};
use crate::fragments::support::contact_line;

pub fn contacts_form(
    view: &View,
    v: &ContactsForm,
    errors: &[FieldError],
    done: Option<&str>,
) -> Markup {
    let title = view.t("Contacts du support", "Support contacts");
    let err = |f| error_for(errors, f, view.lang);
    let shown = v.parse().ok().filter(|c| !c.is_empty());
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        p class="muted" { (view.t(
            "Affichés dans l'onglet Support, sous le formulaire de connexion et sur la page d'un paiement refusé. Laissez vide ce que vous ne voulez pas montrer.",
            "Shown on the Support tab, below the sign-in form and on the page of a declined payment. Leave empty what you do not want to show.")) }
        form class="form card" method="post" action="/parameters/support" {
            (csrf(view))
            div class="grid2" {
                (Input::new("email", view.t("Email du support", "Support email"), &v.email).kind("email").autocomplete("off").error(err("email")).placeholder("support@exemple.ma").render())
                (Input::new("phone", view.t("Téléphone", "Phone"), &v.phone).kind("tel").inputmode("tel").error(err("phone")).placeholder("0522 48 00 47").render())
                (Input::new("hours_fr", view.t("Horaires (en français)", "Hours (in French)"), &v.hours_fr).error(err("hours_fr")).placeholder("du lundi au vendredi de 9 h à 17 h").render())
                (Input::new("hours_en", view.t("Horaires (en anglais)", "Hours (in English)"), &v.hours_en).error(err("hours_en")).placeholder("Monday to Friday, 9am to 5pm").hint(view.t("Vide : les horaires en français.", "Empty: the French hours.")).render())
            }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
            }
        }
        @if let Some(c) = shown {
            section class="card" {
                h2 { (view.t("Aperçu", "Preview")) }
                p class="small" { (view.t("Sous le formulaire de connexion :", "Below the sign-in form:")) }
                p class="hint" { (help_line(view, &c)) }
            }
        }
    };
    parameters_page(view, title, "/parameters/support", body)
}

/// The sign-in page's help line: whom to contact for a forgotten password.
pub fn help_line(view: &View, c: &SupportContacts) -> Markup {
    html! {
        @if c.is_empty() {
            (view.t("Mot de passe oublié ou pas encore de compte ? Contactez le support de votre passerelle.", "Forgot your password or no account yet? Please get in touch with your gateway's support."))
        } @else {
            (view.t("Mot de passe oublié ou pas encore de compte ? Contactez le support : ", "Forgot your password or no account yet? Please get in touch with support: "))
            (contact_line(view.lang, c))
        }
    }
}
