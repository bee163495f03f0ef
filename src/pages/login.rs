//! Sign-in (AUTH-1) and the forced password change (AUTH-2).

use maud::{Markup, html};

use super::layout::{bare, lang_switch};
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf};
use crate::handlers::Ctx;

pub fn login(
    ctx: &Ctx,
    username: &str,
    next: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let body = html! {
        form class="form card" method="post" action="/login" {
            h1 { (ctx.t("Connexion", "Please sign in")) }
            @if let Some(n) = notice { (flash("info", n)) }
            @if let Some(e) = error { (flash("err", e)) }
            (csrf(ctx))
            input type="hidden" name="next" value=(next);
            (Input::new("username", ctx.t("Nom d'utilisateur", "Username"), username).required().autocomplete("username").render())
            (Input::new("password", ctx.t("Mot de passe", "Password"), "").kind("password").required().autocomplete("current-password").render())
            div class="actions" {
                button class="primary" type="submit" { (ctx.t("Se connecter", "Sign in")) " »" }
            }
            p class="hint" {
                (ctx.t("Mot de passe oublié ou pas encore de compte ? Contactez le support de votre passerelle.", "Forgot your password or no account yet? Please get in touch with your gateway's support."))
            }
        }
        nav class="langs" { (lang_switch(ctx)) }
    };
    bare(ctx, ctx.t("Connexion", "Sign in"), body)
}

/// The password form: forced after a one-time password, or voluntary from the profile.
pub fn password_form(ctx: &Ctx, action: &str, errors: &PasswordErrors) -> Markup {
    html! {
        form class="form" method="post" action=(action) {
            (csrf(ctx))
            @if let Some(e) = &errors.general { (flash("err", e)) }
            (Input::new("current", ctx.t("Mot de passe actuel", "Current password"), "").kind("password").required().autocomplete("current-password").error(errors.current.as_deref()).render())
            (Input::new("new", ctx.t("Nouveau mot de passe", "New password"), "").kind("password").required().autocomplete("new-password")
                .hint(ctx.t("Au moins 12 caractères, avec des lettres et des chiffres ; ni votre nom d'utilisateur, ni l'un de vos 4 derniers mots de passe.", "At least 12 characters, with letters and digits; not your username, nor one of your last 4 passwords."))
                .error(errors.new.as_deref()).render())
            (Input::new("confirm", ctx.t("Confirmation", "Confirm the new password"), "").kind("password").required().autocomplete("new-password").render())
            div class="actions" { button class="primary" type="submit" { (ctx.t("Changer le mot de passe", "Change the password")) } }
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

pub fn forced_change(ctx: &Ctx, errors: &PasswordErrors) -> Markup {
    let body = html! {
        section class="card" {
            h1 { (ctx.t("Choisissez votre mot de passe", "Choose your password")) }
            p { (ctx.t("Première connexion, mot de passe réinitialisé ou trop ancien : choisissez un nouveau mot de passe avant de continuer.", "First sign-in, reset or too old password: choose a new password before going on.")) }
            (password_form(ctx, "/password", errors))
            form class="inline" method="post" action="/logout" {
                (csrf(ctx))
                button class="link" { (ctx.t("Se déconnecter", "Sign out")) }
            }
        }
    };
    bare(ctx, ctx.t("Nouveau mot de passe", "New password"), body)
}
