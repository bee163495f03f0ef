//! Error pages: not found, forbidden, CSRF refusal, internal error with its id.

use maud::{Markup, html};
use poem::http::StatusCode;

use super::layout;
use crate::handlers::Ctx;

pub fn page(ctx: &Ctx, status: StatusCode, error_id: &str) -> Markup {
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (
            ctx.t("Page introuvable", "Page not found"),
            ctx.t("Cette page n'existe pas ou ne vous est pas accessible.", "This page does not exist or is not available to you."),
        ),
        StatusCode::FORBIDDEN => (
            ctx.t("Accès refusé", "Access denied"),
            ctx.t("Votre compte ne permet pas cette action.", "Your account does not allow this action."),
        ),
        StatusCode::BAD_REQUEST => (
            ctx.t("Requête invalide", "Invalid request"),
            ctx.t("La requête n'a pas pu être comprise.", "The request could not be understood."),
        ),
        _ => (
            ctx.t("Erreur interne", "Internal error"),
            ctx.t("Une erreur est survenue. Rien n'a été perdu ; réessayez ou contactez le support avec cette référence :", "Something went wrong. Nothing was lost; try again or contact support with this reference:"),
        ),
    };
    let body = html! {
        h1 { (title) }
        p { (text) @if !error_id.is_empty() { " " code { (error_id) } } }
        p { a href="/" { (ctx.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(ctx, title, body)
}

/// A state-changing request whose CSRF token is missing or wrong.
pub fn csrf_page(ctx: &Ctx) -> Markup {
    let title = ctx.t("Formulaire expiré", "Form expired");
    let body = html! {
        h1 { (title) }
        p { (ctx.t("Ce formulaire a expiré ou ne vient pas de Guichet. Rechargez la page et recommencez.", "This form has expired or did not come from Guichet. Reload the page and try again.")) }
        p { a href="/" { (ctx.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(ctx, title, body)
}

/// A request body over the size limit.
pub fn too_large_page(ctx: &Ctx) -> Markup {
    let title = ctx.t("Envoi trop volumineux", "Request too large");
    let body = html! {
        h1 { (title) }
        p { (ctx.t("Ce qui a été envoyé dépasse la taille permise (64 Kio). Rien n'a été enregistré.", "What was sent is larger than allowed (64 KiB). Nothing was saved.")) }
        p { a href="/" { (ctx.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(ctx, title, body)
}

/// Too many attempts in a short time, or the server is busy checking passwords.
pub fn too_many_page(ctx: &Ctx) -> Markup {
    let title = ctx.t("Trop de tentatives", "Too many attempts");
    let body = html! {
        h1 { (title) }
        p { (ctx.t("Trop de tentatives de connexion en peu de temps. Patientez une minute puis réessayez.", "Too many sign-in attempts in a short time. Wait a minute, then try again.")) }
        p { a href="/login" { (ctx.t("Retour à la connexion", "Back to sign-in")) } }
    };
    wrap(ctx, title, body)
}

fn wrap(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    if ctx.user().is_some() {
        layout::page(ctx, title, layout::Tab::Parameters, None, body)
    } else {
        layout::bare(ctx, title, html! { section class="card" { (body) } })
    }
}
