//! Parameters › Profile: own language and password; and the Parameters sub-tabs.

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::login::{PasswordErrors, password_form};
use super::second_factor::{FactorState, profile_section};
use crate::fragments::{flash, tabs};
use crate::handlers::Ctx;

/// The sub-tabs of Parameters that the signed-in user may use.
pub fn subtabs(ctx: &Ctx, current: &str) -> Markup {
    let mut items = vec![(
        "/parameters/profile".to_string(),
        ctx.t("Mon profil", "My profile").to_string(),
    )];
    if let Some(u) = ctx.user() {
        if u.is_admin() {
            items.push((
                "/parameters/merchants".into(),
                ctx.t("Marchands", "Merchants").into(),
            ));
        }
        if u.permissions().manage_users {
            items.push((
                "/parameters/users".into(),
                ctx.t("Utilisateurs", "Users").into(),
            ));
        }
        if u.is_admin() {
            items.push((
                "/parameters/emails".into(),
                ctx.t("Emails", "Emails").into(),
            ));
            items.push((
                "/parameters/audit".into(),
                ctx.t("Journal d'audit", "Audit log").into(),
            ));
            items.push((
                "/parameters/security".into(),
                ctx.t("Sécurité", "Security").into(),
            ));
        }
    }
    tabs("subtabs", &items, current)
}

pub fn profile(
    ctx: &Ctx,
    done: Option<&str>,
    errors: &PasswordErrors,
    factor: &FactorState,
    factor_error: Option<&str>,
) -> Markup {
    let Some(user) = ctx.user() else {
        return html! {};
    };
    let role = if user.is_admin() {
        ctx.t("Administrateur", "Administrator")
    } else {
        ctx.t("Utilisateur marchand", "Merchant user")
    };
    let body = html! {
        h1 { (ctx.t("Mon profil", "My profile")) }
        @if let Some(d) = done { (flash("ok", d)) }
        div class="cards" {
            section class="card" {
                h2 { (ctx.t("Compte", "Account")) }
                dl class="kv" {
                    dt { (ctx.t("Nom d'utilisateur", "Username")) } dd { (user.username) }
                    dt { (ctx.t("Rôle", "Role")) } dd { (role) }
                    dt { (ctx.t("Langue", "Language")) } dd { (user.lang.native_name()) }
                }
                p class="small muted" { (ctx.t("Changez de langue avec le sélecteur en haut à droite : elle est mémorisée sur votre compte.", "Switch the language with the selector at the top right: it is remembered on your account.")) }
            }
            section class="card" {
                h2 { (ctx.t("Changer mon mot de passe", "Change my password")) }
                (password_form(ctx, "/parameters/profile/password", errors))
            }
            (profile_section(ctx, factor, factor_error))
        }
    };
    page(
        ctx,
        ctx.t("Mon profil", "My profile"),
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/profile")),
        body,
    )
}
