//! Parameters › Users: list, create (one-time password shown once), edit, and the
//! account actions (unlock, reset, reactivate, disable, enable).

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::merchant::name_of;
use crate::domain::user::{FieldError, Merchant, Permissions, Role, User, UserAction};
use crate::fragments::View;
use crate::fragments::copy::{copy_button, copy_script};
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf, error_for};

pub use crate::domain::user::AccountState;

fn state_badge(view: &View, state: AccountState) -> Markup {
    let (class, text) = match state {
        AccountState::Active => ("ok", view.t("Actif", "Active")),
        AccountState::MustChange => (
            "warn",
            view.t("Mot de passe à changer", "Must change password"),
        ),
        AccountState::Locked => ("ko", view.t("Bloqué 30 min", "Locked 30 min")),
        AccountState::Expired => ("muted", view.t("Expiré", "Expired")),
        AccountState::Disabled => ("muted", view.t("Désactivé", "Disabled")),
    };
    html! { span class={"badge " (class)} { (text) } }
}

/// The button of an account action: its label and class.
fn action_label(view: &View, action: UserAction) -> (&'static str, &'static str) {
    match action {
        UserAction::Unlock => (view.t("Débloquer", "Unlock"), ""),
        UserAction::Reactivate => (
            view.t(
                "Réactiver (nouveau mot de passe)",
                "Reactivate (new password)",
            ),
            "",
        ),
        UserAction::Reset => (
            view.t("Réinitialiser le mot de passe", "Reset the password"),
            "",
        ),
        UserAction::SecondFactorReset => (
            view.t(
                "Réinitialiser la double authentification",
                "Reset two-factor authentication",
            ),
            "",
        ),
        UserAction::Enable => (view.t("Réactiver le compte", "Enable the account"), ""),
        UserAction::Disable => (view.t("Désactiver", "Disable"), "danger"),
    }
}

fn role_label(view: &View, user: &User, merchants: &[Merchant]) -> String {
    match user.role {
        Role::Admin => view.t("Administrateur", "Administrator").to_string(),
        Role::Merchant { merchant_id, .. } => name_of(merchants, merchant_id),
    }
}

/// A user's permissions as short tags; an admin holds them all.
fn perms_tags(view: &View, user: &User) -> Markup {
    if user.is_admin() {
        return html! { ul class="tags" { li { (view.t("Tous les droits", "All permissions")) } } };
    }
    html! {
        ul class="tags" {
            @for e in user.permissions().entries().iter().filter(|e| e.3) {
                li { (view.t(e.1, e.2)) }
            }
        }
    }
}

pub fn list(
    view: &View,
    users: &[(User, AccountState)],
    merchants: &[Merchant],
    done: Option<&str>,
) -> Markup {
    let h_user = view.t("Nom d'utilisateur", "Username");
    let h_name = view.t("Nom", "Name");
    let h_role = view.t("Marchand / rôle", "Merchant / role");
    let h_perms = view.t("Droits", "Permissions");
    let h_state = view.t("État", "State");
    let body = html! {
        div class="page-head" {
            h1 { (view.t("Utilisateurs", "Users")) }
            a class="button primary" href="/parameters/users/new" { (view.t("Nouvel utilisateur", "New user")) }
        }
        @if let Some(d) = done { (flash("ok", d)) }
        div class="table-wrap stack-wrap" {
            table class="grid stack users" {
                thead { tr {
                    th { (h_user) } th { (h_name) } th { (h_role) } th { (h_perms) } th { (h_state) }
                } }
                tbody {
                    // Administrators first, then merchant users, each in the given order.
                    @for (u, state) in users.iter().filter(|(u, _)| u.is_admin()).chain(users.iter().filter(|(u, _)| !u.is_admin())) {
                        tr {
                            td class="lead" { a href={"/parameters/users/" (u.id)} { (u.username) } }
                            td data-label=(h_name) { (u.full_name) }
                            td data-label=(h_role) { (role_label(view, u, merchants)) }
                            td data-label=(h_perms) { (perms_tags(view, u)) }
                            td data-label=(h_state) { (state_badge(view, *state)) }
                        }
                    }
                }
            }
        }
    };
    parameters_page(
        view,
        view.t("Utilisateurs", "Users"),
        "/parameters/users",
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
    view: &View,
    v: &UserFormValues,
    merchants: &[Merchant],
    errors: &[FieldError],
    new: bool,
) -> Markup {
    let err = |f| error_for(errors, f, view.lang);
    let is_admin = view.user().is_some_and(User::is_admin);
    html! {
        (csrf(view))
        div class="grid3" {
            @if new {
                (Input::new("username", view.t("Nom d'utilisateur", "Username"), &v.username).required()
                    .hint(view.t("3 à 40 caractères : lettres, chiffres, point, tiret, souligné ou @.", "3 to 40 characters: letters, digits, dot, dash, underscore or @."))
                    .error(err("username")).render())
            }
            (Input::new("full_name", view.t("Nom complet", "Full name"), &v.full_name).error(err("full_name")).render())
            (Input::new("email", view.t("Adresse électronique", "Email"), &v.email).kind("email").error(err("email")).render())
        }
        div class="field" {
            label for="f-role" class="req" { (view.t("Marchand / rôle", "Merchant / role")) }
            select id="f-role" name="role" aria-invalid=[err("role").map(|_| "true")] {
                @if is_admin {
                    option value="admin" selected[v.role == "admin"] { (view.t("Administrateur de la plateforme", "Platform administrator")) }
                }
                @for m in merchants {
                    @let value = format!("merchant:{}", m.id);
                    option value=(value) selected[v.role == value] { (m.name) }
                }
            }
            @if let Some(e) = err("role") { small class="error" { (e) } }
        }
        fieldset {
            legend { (view.t("Droits (utilisateurs marchands)", "Permissions (merchant users)")) }
            @for (key, fr, en, on) in v.permissions.entries() {
                label class="check" { input type="checkbox" name="perm" value=(key) checked[on]; (view.t(fr, en)) }
            }
            @if let Some(e) = err("permissions") { small class="error" { (e) } }
        }
    }
}

pub fn new_form(
    view: &View,
    v: &UserFormValues,
    merchants: &[Merchant],
    errors: &[FieldError],
) -> Markup {
    let title = view.t("Nouvel utilisateur", "New user");
    let body = html! {
        h1 { (title) }
        @if merchants.is_empty() && !view.user().is_some_and(User::is_admin) {
            (flash("err", view.t("Aucun marchand.", "No merchant.")))
        }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        form class="form card" method="post" action="/parameters/users/new" {
            (fields(view, v, merchants, errors, true))
            p class="small muted" { (view.t("Un mot de passe à usage unique sera affiché une seule fois ; l'utilisateur devra le changer à sa première connexion.", "A one-time password will be shown once; the user must change it at first sign-in.")) }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Créer l'utilisateur", "Create the user")) }
                a href="/parameters/users" { (view.t("Retour à la liste", "Back to the list")) }
            }
        }
    };
    parameters_page(view, title, "/parameters/users", body)
}

/// Shows a one-time password once, after creation, reset or reactivation.
pub fn one_time_password(view: &View, user: &User, otp: &str) -> Markup {
    let title = view.t("Mot de passe à usage unique", "One-time password");
    let body = html! {
        h1 { (title) }
        section class="card" {
            p { (view.t("Transmettez ce mot de passe à", "Give this password to")) " " strong { (user.username) } " "
                (view.t("par un canal sûr. Il ne sera plus jamais affiché ; il devra être changé à la première connexion.", "through a safe channel. It will never be shown again; it must be changed at first sign-in.")) }
            div class="copy-row" {
                code class="secret" id="otp" { (otp) }
                (copy_button(view, "otp", "Copier le mot de passe", "Copy the password"))
            }
            (copy_script())
            p { a href={"/parameters/users/" (user.id)} { (view.t("Voir l'utilisateur", "View the user")) } " · " a href="/parameters/users" { (view.t("Retour à la liste", "Back to the list")) } }
        }
    };
    parameters_page(view, title, "/parameters/users", body)
}

pub struct DetailView<'a> {
    pub user: &'a User,
    pub state: AccountState,
    pub values: UserFormValues,
    pub merchants: &'a [Merchant],
    pub errors: &'a [FieldError],
    pub done: Option<&'a str>,
    /// An SMTP server is configured: sign-in links can be emailed.
    pub email_links: bool,
}

pub fn detail(view: &View, d: &DetailView) -> Markup {
    let u = d.user;
    let action = |what: &str| format!("/parameters/users/{}/{what}", u.id);
    let own = view.user().is_some_and(|me| me.id == u.id);
    let manageable = view.user().is_some_and(|me| me.may_manage(u));
    let body = html! {
        h1 { (u.username) " " (state_badge(view, d.state)) }
        @if !manageable {
            (flash("info", view.t("Ce compte a des droits que vous n'avez pas : seul un administrateur ou un gestionnaire qui les a peut le modifier.", "This account holds permissions you do not have: only an admin or a manager who holds them can change it.")))
        }
        @if let Some(m) = d.done { (flash("ok", m)) }
        @if !d.errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        div class="detail-cols" {
            form class="form card" method="post" action={"/parameters/users/" (u.id)} {
                h2 { (view.t("Profil et droits", "Profile and permissions")) }
                (fields(view, &d.values, d.merchants, d.errors, false))
                @if manageable {
                    div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer", "Save")) } }
                }
            }
            @if manageable { section class="card" {
                h2 { (view.t("Actions sur le compte", "Account actions")) }
                @if own {
                    p class="small muted" { (view.t("Votre mot de passe et votre double authentification se gèrent dans « Mon profil ».", "Your own password and second factor are managed in \"My profile\".")) }
                }
                div class="actions" {
                    @if let Some(me) = view.user() {
                        @for a in UserAction::ALL.into_iter().filter(|a| a.offered(me, u, d.state)) {
                            @let (label, class) = action_label(view, a);
                            (action_button(view, &action(a.key()), label, class))
                        }
                        @if d.email_links && !own && !u.email.is_empty() && !u.disabled {
                            (action_button(view, &action("send_link"), view.t("Envoyer un nouveau lien de connexion", "Send a new sign-in link"), ""))
                        }
                        @if !own && u.disabled && u.disabled_by_admin && !me.is_admin() {
                            p class="small muted" { (view.t("Désactivé par l'administrateur de la plateforme : lui seul peut le réactiver.", "Disabled by the platform administrator: only they can enable it again.")) }
                        }
                    }
                }
                p class="small muted" { (view.t("Désactiver ou réinitialiser met fin aux sessions ouvertes de l'utilisateur.", "Disabling or resetting ends the user's open sessions.")) }
                @if d.email_links && !own && !u.email.is_empty() && !u.disabled {
                    p class="small muted" { (view.t("Le lien de connexion est envoyé à ", "The sign-in link goes to ")) (u.email) (view.t(" : valable 24 heures, une seule fois, il mène au choix d'un nouveau mot de passe ; l'actuel reste valable jusque-là.", ": valid 24 hours, once, it leads to choosing a new password; the current one keeps working until then.")) }
                }
            } }
        }
        p { a href="/parameters/users" { (view.t("Retour à la liste", "Back to the list")) } }
    };
    parameters_page(view, &u.username, "/parameters/users", body)
}

fn action_button(view: &View, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form class="inline" method="post" action=(action) {
            (csrf(view))
            button class=(class) type="submit" { (label) }
        }
    }
}
