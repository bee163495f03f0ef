//! Sign-in (AUTH-1) and the forced password change (AUTH-2).

use maud::{Markup, html};

use super::layout::{bare, lang_switch};
use super::support_contacts::help_line;
use crate::domain::support_contacts::SupportContacts;
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf};

pub fn login(
    view: &View,
    username: &str,
    next: &str,
    error: Option<&str>,
    notice: Option<&str>,
    support: &SupportContacts,
) -> Markup {
    let body = html! {
        form class="form card" method="post" action="/login" {
            h1 { (view.t("Connexion", "Please sign in")) }
            @if let Some(n) = notice { (flash("info", n)) }
            @if let Some(e) = error { (flash("err", e)) }
            (csrf(view))
            input type="hidden" name="next" value=(next);
            (Input::new("username", view.t("Nom d'utilisateur", "Username"), username).required().autocomplete("username").render())
            (Input::new("password", view.t("Mot de passe", "Password"), "").kind("password").required().autocomplete("current-password").render())
            div class="actions" {
                button class="primary" type="submit" { (view.t("Se connecter", "Sign in")) " »" }
            }
            p class="hint" { (help_line(view, support)) }
        }
        nav class="langs" { (lang_switch(view)) }
    };
    bare(view, view.t("Connexion", "Sign in"), body)
}

/// The password form: forced after a one-time password, or voluntary from the profile.
pub fn password_form(view: &View, action: &str, errors: &PasswordErrors) -> Markup {
    html! {
        form class="form" method="post" action=(action) {
            (csrf(view))
            @if let Some(e) = &errors.general { (flash("err", e)) }
            (Input::new("current", view.t("Mot de passe actuel", "Current password"), "").kind("password").required().autocomplete("current-password").error(errors.current.as_deref()).render())
            (Input::new("new", view.t("Nouveau mot de passe", "New password"), "").kind("password").required().autocomplete("new-password")
                .hint(view.t("Au moins 12 caractères, avec des lettres et des chiffres ; ni votre nom d'utilisateur, ni l'un de vos 4 derniers mots de passe.", "At least 12 characters, with letters and digits; not your username, nor one of your last 4 passwords."))
                .error(errors.new.as_deref()).render())
            (Input::new("confirm", view.t("Confirmation", "Confirm the new password"), "").kind("password").required().autocomplete("new-password").render())
            div class="actions" { button class="primary" type="submit" { (view.t("Changer le mot de passe", "Change the password")) } }
        }
    }
}

/// Messages of the password form.
#[derive(Default)]
pub struct PasswordErrors {
    pub general: Option<String>,
    pub current: Option<String>,
    pub new: Option<String>,
}

pub fn forced_change(view: &View, errors: &PasswordErrors) -> Markup {
    let body = html! {
        section class="card" {
            h1 { (view.t("Choisissez votre mot de passe", "Choose your password")) }
            p { (view.t("Première connexion, mot de passe réinitialisé ou trop ancien : choisissez un nouveau mot de passe avant de continuer.", "First sign-in, reset or too old password: choose a new password before going on.")) }
            (password_form(view, "/password", errors))
            form class="inline" method="post" action="/logout" {
                (csrf(view))
                button class="link" { (view.t("Se déconnecter", "Sign out")) }
            }
        }
        nav class="langs" { (lang_switch(view)) }
    };
    bare(view, view.t("Nouveau mot de passe", "New password"), body)
}
