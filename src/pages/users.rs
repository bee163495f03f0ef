//! Parameters › Users: list, create (one-time password shown once), edit, and the
//! account actions (unlock, reset, reactivate, disable, enable).

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::profile::subtabs;
use crate::domain::user::{FieldError, Merchant, Permissions, Role, User, UserAction};
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf, error_for};
use crate::handlers::Ctx;

pub use crate::domain::user::AccountState;

fn state_badge(ctx: &Ctx, state: AccountState) -> Markup {
    let (class, text) = match state {
        AccountState::Active => ("ok", ctx.t("Actif", "Active")),
        AccountState::MustChange => (
            "warn",
            ctx.t("Mot de passe à changer", "Must change password"),
        ),
        AccountState::Locked => ("ko", ctx.t("Bloqué 30 min", "Locked 30 min")),
        AccountState::Expired => ("muted", ctx.t("Expiré", "Expired")),
        AccountState::Disabled => ("muted", ctx.t("Désactivé", "Disabled")),
    };
    html! { span class={"badge " (class)} { (text) } }
}

/// The button of an account action: its label and class.
fn action_label(ctx: &Ctx, action: UserAction) -> (&'static str, &'static str) {
    match action {
        UserAction::Unlock => (ctx.t("Débloquer", "Unlock"), ""),
        UserAction::Reactivate => (
            ctx.t(
                "Réactiver (nouveau mot de passe)",
                "Reactivate (new password)",
            ),
            "",
        ),
        UserAction::Reset => (
            ctx.t("Réinitialiser le mot de passe", "Reset the password"),
            "",
        ),
        UserAction::SecondFactorReset => (
            ctx.t(
                "Réinitialiser la double authentification",
                "Reset two-factor authentication",
            ),
            "",
        ),
        UserAction::Enable => (ctx.t("Réactiver le compte", "Enable the account"), ""),
        UserAction::Disable => (ctx.t("Désactiver", "Disable"), "danger"),
    }
}

fn role_label(ctx: &Ctx, user: &User, merchants: &[Merchant]) -> String {
    match user.role {
        Role::Admin => ctx.t("Administrateur", "Administrator").to_string(),
        Role::Merchant { merchant_id, .. } => merchants
            .iter()
            .find(|m| m.id == merchant_id)
            .map_or_else(|| format!("#{merchant_id}"), |m| m.name.clone()),
    }
}

fn perms_label(ctx: &Ctx, p: Permissions) -> String {
    p.entries()
        .iter()
        .filter(|e| e.3)
        .map(|e| ctx.t(e.1, e.2))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn list(
    ctx: &Ctx,
    users: &[(User, AccountState)],
    merchants: &[Merchant],
    done: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { (ctx.t("Utilisateurs", "Users")) }
        @if let Some(d) = done { (flash("ok", d)) }
        p { a class="button" href="/parameters/users/new" { (ctx.t("Nouvel utilisateur", "New user")) } }
        div class="table-wrap" {
            table class="grid" {
                thead { tr {
                    th { (ctx.t("Nom d'utilisateur", "Username")) } th { (ctx.t("Nom", "Name")) }
                    th { (ctx.t("Marchand / rôle", "Merchant / role")) } th { (ctx.t("Droits", "Permissions")) }
                    th { (ctx.t("État", "State")) }
                } }
                tbody {
                    @for (u, state) in users {
                        tr {
                            td { a href={"/parameters/users/" (u.id)} { (u.username) } }
                            td { (u.full_name) }
                            td { (role_label(ctx, u, merchants)) }
                            td class="small" { (perms_label(ctx, u.permissions())) }
                            td { (state_badge(ctx, *state)) }
                        }
                    }
                }
            }
        }
    };
    page(
        ctx,
        ctx.t("Utilisateurs", "Users"),
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/users")),
        body,
    )
}

/// Values of the user form.
#[derive(Default, Clone)]
pub struct UserFormValues {
    pub username: String,
    pub full_name: String,
    pub email: String,
    /// `admin` or `merchant:ID`.
    pub role: String,
    pub permissions: Permissions,
}

fn fields(
    ctx: &Ctx,
    v: &UserFormValues,
    merchants: &[Merchant],
    errors: &[FieldError],
    new: bool,
) -> Markup {
    let err = |f| error_for(errors, f, ctx.lang);
    let is_admin = ctx.user().is_some_and(User::is_admin);
    html! {
        (csrf(ctx))
        div class="grid3" {
            @if new {
                (Input::new("username", ctx.t("Nom d'utilisateur", "Username"), &v.username).required().error(err("username")).render())
            }
            (Input::new("full_name", ctx.t("Nom complet", "Full name"), &v.full_name).error(err("full_name")).render())
            (Input::new("email", ctx.t("Adresse électronique", "Email"), &v.email).kind("email").error(err("email")).render())
        }
        div class="field" {
            label for="f-role" class="req" { (ctx.t("Marchand / rôle", "Merchant / role")) }
            select id="f-role" name="role" aria-invalid=[err("role").map(|_| "true")] {
                @if is_admin {
                    option value="admin" selected[v.role == "admin"] { (ctx.t("Administrateur de l'appliance", "Appliance administrator")) }
                }
                @for m in merchants {
                    @let value = format!("merchant:{}", m.id);
                    option value=(value) selected[v.role == value] { (m.name) }
                }
            }
            @if let Some(e) = err("role") { small class="error" { (e) } }
        }
        fieldset {
            legend { (ctx.t("Droits (utilisateurs marchands)", "Permissions (merchant users)")) }
            @for (key, fr, en, on) in v.permissions.entries() {
                label { input type="checkbox" name="perm" value=(key) checked[on]; " " (ctx.t(fr, en)) }
                br;
            }
            @if let Some(e) = err("permissions") { small class="error" { (e) } }
        }
    }
}

pub fn new_form(
    ctx: &Ctx,
    v: &UserFormValues,
    merchants: &[Merchant],
    errors: &[FieldError],
) -> Markup {
    let title = ctx.t("Nouvel utilisateur", "New user");
    let body = html! {
        h1 { (title) }
        @if merchants.is_empty() && !ctx.user().is_some_and(User::is_admin) {
            (flash("err", ctx.t("Aucun marchand.", "No merchant.")))
        }
        @if !errors.is_empty() { (flash("err", ctx.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        form class="form card" method="post" action="/parameters/users/new" {
            (fields(ctx, v, merchants, errors, true))
            p class="small muted" { (ctx.t("Un mot de passe à usage unique sera affiché une seule fois ; l'utilisateur devra le changer à sa première connexion.", "A one-time password will be shown once; the user must change it at first sign-in.")) }
            div class="actions" {
                button class="primary" type="submit" { (ctx.t("Créer l'utilisateur", "Create the user")) }
                a href="/parameters/users" { (ctx.t("Retour à la liste", "Back to the list")) }
            }
        }
    };
    page(
        ctx,
        title,
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/users")),
        body,
    )
}

/// Shows a one-time password once, after creation, reset or reactivation.
pub fn one_time_password(ctx: &Ctx, user: &User, otp: &str) -> Markup {
    let title = ctx.t("Mot de passe à usage unique", "One-time password");
    let body = html! {
        h1 { (title) }
        section class="card" {
            p { (ctx.t("Transmettez ce mot de passe à", "Give this password to")) " " strong { (user.username) } " "
                (ctx.t("par un canal sûr. Il ne sera plus jamais affiché ; il devra être changé à la première connexion.", "through a safe channel. It will never be shown again; it must be changed at first sign-in.")) }
            code class="secret" id="otp" { (otp) }
            p { a href={"/parameters/users/" (user.id)} { (ctx.t("Voir l'utilisateur", "View the user")) } " · " a href="/parameters/users" { (ctx.t("Retour à la liste", "Back to the list")) } }
        }
    };
    page(
        ctx,
        title,
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/users")),
        body,
    )
}

pub struct DetailView<'a> {
    pub user: &'a User,
    pub state: AccountState,
    pub values: UserFormValues,
    pub merchants: &'a [Merchant],
    pub errors: &'a [FieldError],
    pub done: Option<&'a str>,
}

pub fn detail(ctx: &Ctx, d: &DetailView) -> Markup {
    let u = d.user;
    let action = |what: &str| format!("/parameters/users/{}/{what}", u.id);
    let own = ctx.user().is_some_and(|me| me.id == u.id);
    let manageable = ctx.user().is_some_and(|me| me.may_manage(u));
    let body = html! {
        h1 { (u.username) " " (state_badge(ctx, d.state)) }
        @if !manageable {
            (flash("info", ctx.t("Ce compte a des droits que vous n'avez pas : seul un administrateur ou un gestionnaire qui les a peut le modifier.", "This account holds permissions you do not have: only an admin or a manager who holds them can change it.")))
        }
        @if let Some(m) = d.done { (flash("ok", m)) }
        @if !d.errors.is_empty() { (flash("err", ctx.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        div class="cards" {
            form class="form card" method="post" action={"/parameters/users/" (u.id)} {
                h2 { (ctx.t("Profil et droits", "Profile and permissions")) }
                (fields(ctx, &d.values, d.merchants, d.errors, false))
                @if manageable {
                    div class="actions" { button class="primary" type="submit" { (ctx.t("Enregistrer", "Save")) } }
                }
            }
            @if manageable { section class="card" {
                h2 { (ctx.t("Actions sur le compte", "Account actions")) }
                @if own {
                    p class="small muted" { (ctx.t("Votre mot de passe et votre double authentification se gèrent dans « Mon profil ».", "Your own password and second factor are managed in \"My profile\".")) }
                }
                div class="actions" {
                    @if let Some(me) = ctx.user() {
                        @for a in UserAction::ALL.into_iter().filter(|a| a.offered(me, u, d.state)) {
                            @let (label, class) = action_label(ctx, a);
                            (action_button(ctx, &action(a.key()), label, class))
                        }
                        @if !own && u.disabled && u.disabled_by_admin && !me.is_admin() {
                            p class="small muted" { (ctx.t("Désactivé par l'administrateur de la plateforme : lui seul peut le réactiver.", "Disabled by the platform administrator: only they can enable it again.")) }
                        }
                    }
                }
                p class="small muted" { (ctx.t("Désactiver ou réinitialiser met fin aux sessions ouvertes de l'utilisateur.", "Disabling or resetting ends the user's open sessions.")) }
            } }
        }
        p { a href="/parameters/users" { (ctx.t("Retour à la liste", "Back to the list")) } }
    };
    page(
        ctx,
        &u.username,
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/users")),
        body,
    )
}

fn action_button(ctx: &Ctx, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form class="inline" method="post" action=(action) {
            (csrf(ctx))
            button class=(class) type="submit" { (label) }
        }
    }
}
