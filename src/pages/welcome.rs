//! The welcome link's pages (issue 14): choose the first password, or why the link
//! no longer works.

use maud::{Markup, html};

use super::layout::{bare, lang_switch};
use super::login::PasswordErrors;
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf};

/// The choose-your-password form of a valid link, for `username`.
pub fn choose_password(
    view: &View,
    token: &str,
    username: &str,
    errors: &PasswordErrors,
) -> Markup {
    let body = html! {
        section class="card" {
            h1 { (view.t("Bienvenue : choisissez votre mot de passe", "Welcome: choose your password")) }
            p { (view.t("Votre nom d'utilisateur :", "Your username:")) " " strong { (username) } }
            form class="form" method="post" action={"/welcome/" (token)} {
                (csrf(view))
                @if let Some(e) = &errors.general { (flash("err", e)) }
                (Input::new("new", view.t("Nouveau mot de passe", "New password"), "").kind("password").required().autocomplete("new-password")
                    .hint(view.t("Au moins 12 caractères, avec des lettres et des chiffres ; pas votre nom d'utilisateur.", "At least 12 characters, with letters and digits; not your username."))
                    .error(errors.new.as_deref()).render())
                (Input::new("confirm", view.t("Confirmation", "Confirm the new password"), "").kind("password").required().autocomplete("new-password").render())
                div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer et se connecter", "Save and sign in")) } }
            }
        }
        nav class="langs" { (lang_switch(view)) }
    };
    bare(view, view.t("Bienvenue", "Welcome"), body)
}

/// A link that no longer works: already used (`used`) or expired.
pub fn unusable(view: &View, used: bool) -> Markup {
    let (title, text) = if used {
        (
            view.t("Ce lien a déjà servi", "This link was already used"),
            view.t(
                "Ce lien de connexion ne sert qu'une fois. Si vous avez déjà choisi votre mot de passe, connectez-vous ; sinon, demandez un nouveau lien à votre administrateur ou au gestionnaire des utilisateurs.",
                "This sign-in link works only once. If you already chose your password, sign in; otherwise ask your administrator or user manager for a new link.",
            ),
        )
    } else {
        (
            view.t("Ce lien a expiré", "This link has expired"),
            view.t(
                "Un lien de connexion est valable 24 heures. Demandez un nouveau lien à votre administrateur ou au gestionnaire des utilisateurs.",
                "A sign-in link is valid for 24 hours. Ask your administrator or user manager for a new link.",
            ),
        )
    };
    let body = html! {
        section class="card" {
            h1 { (title) }
            p { (text) }
            p { a class="button" href="/login" { (view.t("Aller à la connexion", "Go to sign-in")) } }
        }
        nav class="langs" { (lang_switch(view)) }
    };
    bare(view, title, body)
}
