//! Parameters › Merchants › merchant › API (issue 13): the merchant's API
//! credentials (originator, created, last used, state), "create" (the password
//! shown once on the next page), "revoke" after a confirmation, and how to call.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::api_credentials::{ApiCredential, CredentialRow};
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::copy::{copy_button, copy_script};
use crate::fragments::flash;
use crate::fragments::form::csrf;

/// The page of merchant `merchant_id`'s credentials.
pub fn path(merchant_id: u64) -> String {
    format!("/parameters/merchants/{merchant_id}/api")
}

fn title(view: &View) -> &'static str {
    view.t("Identifiants API", "API credentials")
}

/// The sub-tab lit: Merchants for an admin (the page is under it), API for a
/// merchant's user manager (who has no Merchants tab).
fn current(view: &View) -> &'static str {
    if view.user().is_some_and(|u| u.may(Permission::Admin)) {
        "/parameters/merchants"
    } else {
        "/parameters/api"
    }
}

/// For an admin (Paramètres › API marchand): every merchant with its active
/// credentials and a link to manage them.
pub fn overview(view: &View, merchants: &[(Merchant, usize)]) -> Markup {
    let body = html! {
        h1 { (view.t("API marchand", "Merchant API")) }
        p class="muted" { (view.t(
            "Les boutiques en ligne appellent l'API Connect2Pay de Guichet avec un identifiant (originator) et un mot de passe propres à chaque marchand.",
            "Web shops call Guichet's Connect2Pay API with an originator and a password of their merchant's own.")) }
        @if merchants.is_empty() {
            p class="empty" { (view.t("Aucun marchand pour l'instant.", "No merchant yet.")) }
        } @else {
            ul class="plain" {
                @for (m, active) in merchants {
                    li {
                        a href=(path(m.id)) { (m.name) } " — "
                        (match (view.lang, *active) {
                            (_, 0) => view.t("aucun identifiant actif", "no active credential").to_string(),
                            (crate::domain::Lang::Fr, 1) => "1 identifiant actif".to_string(),
                            (crate::domain::Lang::Fr, n) => format!("{n} identifiants actifs"),
                            (crate::domain::Lang::En, 1) => "1 active credential".to_string(),
                            (crate::domain::Lang::En, n) => format!("{n} active credentials"),
                        })
                    }
                }
            }
        }
    };
    parameters_page(
        view,
        view.t("API marchand", "Merchant API"),
        "/parameters/api",
        body,
    )
}

fn back(view: &View, m: &Merchant) -> Markup {
    html! {
        @if view.user().is_some_and(|u| u.may(Permission::Admin)) {
            p class="small" { a href={"/parameters/merchants/" (m.id)} { "‹ " (m.name) } }
        }
    }
}

fn state_badge(view: &View, c: &ApiCredential) -> Markup {
    match &c.revoked {
        None => html! { span class="badge ok" { (view.t("Actif", "Active")) } },
        Some(r) => html! {
            span class="badge muted" { (view.t("Révoqué", "Revoked")) }
            " " span class="small muted" { (format_datetime(r.at, view.lang, view.zone)) ", " (r.by) }
        },
    }
}

/// The API's address and a call to try, with `originator` if known.
fn how_to_call(view: &View, base_url: &str, originator: &str) -> Markup {
    let base = base_url.trim_end_matches('/');
    let example = format!(
        "curl -u {originator}:{} '{base}/account?apiVersion=002.70'",
        view.t("MOT_DE_PASSE", "PASSWORD")
    );
    html! {
        section class="card" {
            h2 { (view.t("Appeler l'API", "Calling the API")) }
            dl class="kv" {
                dt { (view.t("Adresse de l'API", "API base URL")) }
                dd { code { (base) } }
                dt { (view.t("Authentification", "Authentication")) }
                dd { (view.t(
                    "HTTP Basic à chaque appel : l'identifiant (originator) comme utilisateur, le mot de passe API comme mot de passe.",
                    "HTTP Basic on every call: the originator ID as the user, the API password as the password.")) }
            }
            p { (view.t("Par exemple :", "For example:")) }
            pre { code { (example) } }
            p class="small muted" { (view.t(
                "Des identifiants erronés, absents ou révoqués reçoivent la réponse d'erreur du protocole : HTTP 403, code « 403 », en JSON. Après 10 échecs en une minute, une adresse est refusée quelques secondes sans vérification.",
                "Wrong, missing or revoked credentials get the protocol's error answer: HTTP 403, code \"403\", in JSON. After 10 failures in a minute, an address is refused for a few seconds without any check.")) }
        }
    }
}

/// The list, the create button and how to call.
pub fn list(
    view: &View,
    m: &Merchant,
    rows: &[CredentialRow],
    base_url: &str,
    done: Option<&str>,
) -> Markup {
    let h = |fr, en| view.t(fr, en);
    let example = rows
        .iter()
        .find(|r| r.credential.is_active())
        .map_or("000000", |r| r.credential.originator.as_str());
    let body = html! {
        (back(view, m))
        div class="page-head" {
            h1 { (title(view)) " — " (m.name) }
            form method="post" action=(path(m.id)) {
                (csrf(view))
                button class="primary" type="submit" { (h("Créer un identifiant API", "Create an API credential")) }
            }
        }
        @if let Some(d) = done { (flash("ok", d)) }
        p class="muted" { (h(
            "Chaque identifiant donne à un site marchand l'accès à l'API de ce marchand. Pour en changer sans interruption : créez-en un nouveau, installez-le sur le site, puis révoquez l'ancien.",
            "Each credential gives a web shop access to this merchant's API. To change it without interruption: create a new one, install it on the shop, then revoke the old one.")) }
        @if rows.is_empty() {
            p class="empty" { (h("Aucun identifiant API pour l'instant.", "No API credential yet.")) }
        } @else {
            div class="table-wrap stack-wrap" { table class="grid stack" {
                thead { tr {
                    th { (h("Identifiant (originator)", "Originator ID")) }
                    th { (h("Créé", "Created")) }
                    th { (h("Dernier appel", "Last call")) }
                    th { (h("État", "State")) }
                    th { span class="sr-only" { "Actions" } }
                } }
                tbody { @for r in rows {
                    @let c = &r.credential;
                    tr {
                        td class="lead" { code { (c.originator) } }
                        td data-label=(h("Créé", "Created")) class="nowrap" {
                            (format_datetime(c.created_at, view.lang, view.zone)) ", " (c.created_by)
                        }
                        td data-label=(h("Dernier appel", "Last call")) class="nowrap" {
                            @match r.last_used_at {
                                Some(at) => (format_datetime(at, view.lang, view.zone)),
                                None => span class="muted" { (h("jamais", "never")) },
                            }
                        }
                        td data-label=(h("État", "State")) { (state_badge(view, c)) }
                        td class="end" { @if c.is_active() {
                            a href={(path(m.id)) "/" (c.id) "/revoke"} { (h("Révoquer", "Revoke")) }
                        } }
                    }
                } }
            } }
        }
        (how_to_call(view, base_url, example))
        section class="card" {
            h2 { (view.t("Notifications de la boutique (callbacks)", "Shop notifications (callbacks)")) }
            p { (view.t(
                "Quand un paiement se termine, Guichet appelle l'adresse ctrlCallbackURL de la boutique, avec une signature HMAC-SHA256 vérifiable grâce au secret de signature.",
                "When a payment ends, Guichet calls the shop's ctrlCallbackURL, signed with HMAC-SHA256 under the signing secret.")) }
            p { a href={"/parameters/merchants/" (m.id) "/callbacks"} { (view.t("Secret de signature et derniers envois ›", "Signing secret and latest deliveries ›")) } }
        }
    };
    parameters_page(view, title(view), current(view), body)
}

/// The new credential with its password, shown this once.
pub fn created(
    view: &View,
    m: &Merchant,
    c: &ApiCredential,
    password: &str,
    base_url: &str,
) -> Markup {
    let h = |fr, en| view.t(fr, en);
    let body = html! {
        (back(view, m))
        h1 { (h("Nouvel identifiant API", "New API credential")) " — " (m.name) }
        section class="card" {
            p { (h(
                "Copiez le mot de passe maintenant et transmettez-le par un canal sûr : il ne sera plus jamais affiché (seule son empreinte est gardée).",
                "Copy the password now and pass it on through a safe channel: it will never be shown again (only its fingerprint is kept).")) }
            dl class="kv" {
                dt { (h("Identifiant (originator)", "Originator ID")) }
                dd { div class="copy-row" {
                    code class="secret" id="api-originator" { (c.originator) }
                    (copy_button(view, "api-originator", "Copier l'identifiant", "Copy the ID"))
                } }
                dt { (h("Mot de passe", "Password")) }
                dd { div class="copy-row" {
                    code class="secret" id="api-password" { (password) }
                    (copy_button(view, "api-password", "Copier le mot de passe", "Copy the password"))
                } }
            }
            (copy_script())
            p { a href=(path(m.id)) { (h("Retour aux identifiants API", "Back to the API credentials")) } }
        }
        (how_to_call(view, base_url, &c.originator))
    };
    parameters_page(view, title(view), current(view), body)
}

/// "Revoke this credential?": calls with it will be refused.
pub fn confirm_revoke(view: &View, m: &Merchant, c: &ApiCredential) -> Markup {
    let h = |fr, en| view.t(fr, en);
    let body = html! {
        p class="small" { a href=(path(m.id)) { "‹ " (title(view)) } }
        h1 { (h("Révoquer l'identifiant API", "Revoke the API credential")) }
        section class="card confirm" {
            p class="lead" { strong { code { (c.originator) } } " — " (m.name) }
            dl class="kv" {
                dt { (h("Créé", "Created")) }
                dd { (format_datetime(c.created_at, view.lang, view.zone)) ", " (c.created_by) }
            }
            p class="small muted" { (h(
                "Tout appel de l'API avec cet identifiant sera refusé aussitôt (HTTP 403). La révocation est définitive et inscrite au journal d'audit.",
                "Every API call with this credential will be refused at once (HTTP 403). Revoking is final and goes into the audit log.")) }
            form method="post" action={(path(m.id)) "/" (c.id) "/revoke"} {
                (csrf(view))
                input type="hidden" name="confirmed" value="1";
                div class="actions" {
                    button class="primary danger" type="submit" { (h("Révoquer", "Revoke")) }
                    a class="button" href=(path(m.id)) { (h("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    parameters_page(view, title(view), current(view), body)
}
