//! Error pages: not found, forbidden, CSRF refusal, internal error with its id.

use maud::{Markup, html};

use super::layout;
use crate::fragments::View;

/// Which error page (the handler sends the matching HTTP status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Forbidden,
    BadRequest,
    Internal,
    /// The data file's volume is full, or a write failed earlier (503).
    StorageUnavailable,
}

pub fn page(view: &View, kind: ErrorKind, error_id: &str) -> Markup {
    let (title, text) = match kind {
        ErrorKind::NotFound => (
            view.t("Page introuvable", "Page not found"),
            view.t("Cette page n'existe pas ou ne vous est pas accessible.", "This page does not exist or is not available to you."),
        ),
        ErrorKind::Forbidden => (
            view.t("Accès refusé", "Access denied"),
            view.t("Votre compte ne permet pas cette action.", "Your account does not allow this action."),
        ),
        ErrorKind::BadRequest => (
            view.t("Requête invalide", "Invalid request"),
            view.t("La requête n'a pas pu être comprise.", "The request could not be understood."),
        ),
        ErrorKind::Internal => (
            view.t("Erreur interne", "Internal error"),
            view.t("Une erreur est survenue. Rien n'a été perdu ; réessayez ou contactez le support avec cette référence :", "Something went wrong. Nothing was lost; try again or contact support with this reference:"),
        ),
        ErrorKind::StorageUnavailable => (
            view.t("Espace disque insuffisant", "Disk full"),
            view.t("Le disque du serveur est plein : l'opération n'a pas été enregistrée. Réessayez plus tard : le service reprend de lui-même dès que l'administrateur a libéré de la place. Référence :", "The server's disk is full: the operation was not recorded. Try again later: the service resumes by itself as soon as the administrator has freed space. Reference:"),
        ),
    };
    let body = html! {
        h1 { (title) }
        p { (text) @if !error_id.is_empty() { " " code class="request-id" { (error_id) } } }
        @if error_id.is_empty() { (reference(view)) }
        p { a href="/" { (view.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(view, title, body)
}

/// The request's id, for support (the same as the `X-Request-Id` header and the log).
fn reference(view: &View) -> Markup {
    html! {
        @if !view.request_id.is_empty() {
            p class="muted" { (view.t("Référence : ", "Reference: ")) code class="request-id" { (view.request_id) } }
        }
    }
}

/// A state-changing request whose CSRF token is missing or wrong.
pub fn csrf_page(view: &View) -> Markup {
    let title = view.t("Formulaire expiré", "Form expired");
    let body = html! {
        h1 { (title) }
        p { (view.t("Ce formulaire a expiré ou ne vient pas de Guichet. Rechargez la page et recommencez.", "This form has expired or did not come from Guichet. Reload the page and try again.")) }
        (reference(view))
        p { a href="/" { (view.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(view, title, body)
}

/// A request body over the size limit.
pub fn too_large_page(view: &View) -> Markup {
    let title = view.t("Envoi trop volumineux", "Request too large");
    let body = html! {
        h1 { (title) }
        p { (view.t("Ce qui a été envoyé dépasse la taille permise (64 Kio). Rien n'a été enregistré.", "What was sent is larger than allowed (64 KiB). Nothing was saved.")) }
        (reference(view))
        p { a href="/" { (view.t("Retour à l'accueil", "Back to the home page")) } }
    };
    wrap(view, title, body)
}

/// Too many attempts in a short time, or the server is busy checking passwords.
pub fn too_many_page(view: &View) -> Markup {
    let title = view.t("Trop de tentatives", "Too many attempts");
    let body = html! {
        h1 { (title) }
        p { (view.t("Trop de tentatives de connexion en peu de temps. Patientez une minute puis réessayez.", "Too many sign-in attempts in a short time. Wait a minute, then try again.")) }
        (reference(view))
        p { a href="/login" { (view.t("Retour à la connexion", "Back to sign-in")) } }
    };
    wrap(view, title, body)
}

fn wrap(view: &View, title: &str, body: Markup) -> Markup {
    if view.user().is_some() {
        layout::plain_page(view, title, body)
    } else {
        layout::bare(view, title, html! { section class="card" { (body) } })
    }
}
