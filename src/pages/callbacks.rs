//! Parameters › Merchants › merchant › Callbacks: the signing secret (a new one shown
//! once) and the last deliveries with each attempt; and the deliveries table a
//! payment request's page shows.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::callback::{
    Callback, CallbackState, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, error_words,
};
use crate::domain::time::format_datetime;
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::copy::{copy_button, copy_script};
use crate::fragments::flash;
use crate::fragments::form::csrf;

/// What the page says of the signing secret.
pub struct SecretView<'a> {
    /// When the current secret was made (unix seconds); `None`: none yet.
    pub created_at: Option<i64>,
    /// A secret just made, shown this once.
    pub new_secret: Option<&'a str>,
    /// Why the request was refused, if it was.
    pub refusal: Option<&'a str>,
}

/// The callbacks page of a merchant. `current` is the parameters tab to highlight.
pub fn page(
    view: &View,
    m: &Merchant,
    secret: &SecretView,
    items: &[Callback],
    current: &str,
) -> Markup {
    let title = view.t("Notifications à la boutique", "Callbacks to the shop");
    let body = html! {
        h1 { (title) " — " (m.name) }
        @if let Some(r) = secret.refusal { (flash("err", r)) }
        p class="muted" { (view.t(
            "Quand un paiement se termine, Guichet envoie son état en POST (JSON) à l'URL ctrlCallbackURL donnée par la boutique, et recommence après 10 s, 30 s, 2 min, 10 min, 30 min, 1 h puis toutes les heures tant que la boutique ne l'acquitte pas (réponse JSON « OK », ou réponse 2xx qui n'est pas du JSON), pendant 3 jours au plus.",
            "When a payment ends, Guichet POSTs its status (JSON) to the ctrlCallbackURL the shop gave, and tries again after 10 s, 30 s, 2 min, 10 min, 30 min, 1 h and then every hour until the shop answers {\"status\":\"OK\"} (or a 2xx that is not JSON), for 3 days at most.")) }
        section class="card" {
            h2 { (view.t("Secret de signature", "Signing secret")) }
            p { (view.t("Chaque notification porte les en-têtes", "Each callback carries the headers")) " "
                code { (TIMESTAMP_HEADER) } ", " code { (SIGNATURE_HEADER) } " " (view.t("et", "and")) " " code { (ID_HEADER) } ". "
                (view.t(
                    "La signature est v1= suivi du HMAC-SHA256 en hexadécimal, avec ce secret, de « horodatage.corps ». Les boutiques existantes peuvent l'ignorer (voir le README).",
                    "The signature is v1= followed by the hex HMAC-SHA256, keyed with this secret, of \"timestamp.body\". Existing shops may ignore it (see the README).")) }
            @if let Some(s) = secret.new_secret {
                (flash("ok", view.t("Nouveau secret créé. Copiez-le maintenant : il ne sera plus affiché.", "New secret made. Copy it now: it will not be shown again.")))
                p { code id="callback-secret" class="secret" { (s) } " " (copy_button(view, "callback-secret", "Copier le secret", "Copy the secret")) }
                (copy_script())
            } @else {
                @match secret.created_at {
                    Some(at) => p { (view.t("Secret actuel créé le", "Current secret made on")) " " (format_datetime(at, view.lang, view.zone)) "." }
                    None => p { (view.t("Pas encore de secret : il sera créé à la première notification, ou maintenant.", "No secret yet: one is made with the first callback, or now.")) }
                }
            }
            form method="post" action={"/parameters/merchants/" (m.id) "/callbacks"} {
                (csrf(view))
                input type="hidden" name="action" value="rotate";
                button type="submit" { (view.t("Créer un nouveau secret", "Make a new secret")) }
                " " span class="muted small" { (view.t("L'ancien cesse aussitôt de signer.", "The old one stops signing at once.")) }
            }
        }
        section {
            h2 { (view.t("Dernières notifications", "Last callbacks")) }
            (deliveries(view, items))
        }
    };
    parameters_page(view, title, current, body)
}

fn state_label(view: &View, c: &Callback) -> Markup {
    let class = match c.state {
        CallbackState::Delivered => "badge ok",
        CallbackState::Pending => "badge warn",
        CallbackState::GivenUp => "badge ko",
    };
    html! { span class=(class) { (c.state.label(view.lang)) } }
}

/// The callbacks given (a payment request's, or a merchant's last ones): URL, state,
/// next try, and each attempt with its time, HTTP status or error, and duration.
pub fn deliveries(view: &View, items: &[Callback]) -> Markup {
    html! {
        @if items.is_empty() {
            p class="empty" { (view.t("Aucune notification.", "No callback.")) }
        } @else {
            @let (h_created, h_request, h_state, h_attempts, h_next) = (
                view.t("Créée le", "Created"),
                view.t("Demande", "Request"),
                view.t("État", "State"),
                view.t("Essais", "Attempts"),
                view.t("Prochain essai", "Next try"),
            );
            div class="table-wrap stack-wrap" { table class="grid stack callbacks" {
                thead { tr {
                    th { (view.t("N°", "No.")) }
                    th { (h_created) }
                    th { (h_request) }
                    th { "URL" }
                    th { (h_state) }
                    th { (h_attempts) }
                    th { (h_next) }
                } }
                tbody { @for c in items {
                    tr {
                        td class="lead" { span class="stack-only" { (view.t("Notification n° ", "Callback no. ")) } (c.id) }
                        td class="nowrap" data-label=(h_created) { (format_datetime(c.created_at, view.lang, view.zone)) }
                        td data-label=(h_request) { a href={"/payment-requests/" (c.request_id)} { (c.request_id) } }
                        td class="break" data-label="URL" { code { (c.url) } }
                        td data-label=(h_state) { (state_label(view, c)) }
                        td data-label=(h_attempts) {
                            @if c.attempts.is_empty() {
                                (view.t("pas encore essayée", "not tried yet"))
                            } @else {
                                ol class="attempts" { @for a in &c.attempts {
                                    li {
                                        (format_datetime(a.at, view.lang, view.zone)) " · "
                                        @if let Some(s) = a.http_status { "HTTP " (s) " · " }
                                        @match &a.error {
                                            None => (view.t("acquittée", "acknowledged")),
                                            Some(e) => span class="error" { (error_words(e, view.lang)) },
                                        }
                                        " · " (a.millis) " ms"
                                    }
                                } }
                            }
                        }
                        td class="nowrap" data-label=(h_next) { @if c.state == CallbackState::Pending {
                            (format_datetime(c.next_at, view.lang, view.zone))
                        } @else { "—" } }
                    }
                } }
            } }
        }
    }
}
