//! Parameters › Profile: own language, password and second factor.

use maud::{Markup, html};

use super::layout::{lang_switch, parameters_page};
use super::login::{PasswordErrors, password_form};
use super::second_factor::{FactorState, profile_section};
use crate::fragments::View;
use crate::fragments::flash;

pub fn profile(
    view: &View,
    done: Option<&str>,
    errors: &PasswordErrors,
    factor: &FactorState,
    factor_error: Option<&str>,
) -> Markup {
    let Some(user) = view.user() else {
        return html! {};
    };
    let role = if user.is_admin() {
        view.t("Administrateur", "Administrator")
    } else {
        view.t("Utilisateur marchand", "Merchant user")
    };
    let body = html! {
        h1 { (view.t("Mon profil", "My profile")) }
        @if let Some(d) = done { (flash("ok", d)) }
        div class="cards" {
            section class="card" {
                h2 { (view.t("Compte", "Account")) }
                dl class="kv" {
                    dt { (view.t("Nom d'utilisateur", "Username")) } dd { (user.username) }
                    dt { (view.t("Rôle", "Role")) } dd { (role) }
                    dt { (view.t("Langue", "Language")) } dd class="lang-choice" { (lang_switch(view)) }
                }
                p class="small muted" { (view.t("La langue choisie est mémorisée sur votre compte.", "The language you choose is remembered on your account.")) }
            }
            section class="card" {
                h2 { (view.t("Changer mon mot de passe", "Change my password")) }
                (password_form(view, "/parameters/profile/password", errors))
            }
            (profile_section(view, factor, factor_error))
        }
    };
    parameters_page(
        view,
        view.t("Mon profil", "My profile"),
        "/parameters/profile",
        body,
    )
}
