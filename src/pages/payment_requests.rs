//! Processing › Payment requests (LINK-2): the list, one request with its link,
//! emails and attempts, and the cancellation step.

use maud::{Markup, PreEscaped, html};

use super::layout::processing_page;
use crate::domain::c2p::ApiPayment;
use crate::domain::callback::Callback;
use crate::domain::countries;
use crate::domain::list_row::card_short;
use crate::domain::merchant::name_of;
use crate::domain::money::format_amount;
use crate::domain::outbox::{Mail, MailState};
use crate::domain::payment::{PaymentRequest, RequestStatus};
use crate::domain::permission::Permission;
use crate::domain::request_form::birth_date_display;
use crate::domain::time::format_datetime;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::badges::{mail_state, result_badge, status_badge};
use crate::fragments::breakable;
use crate::fragments::copy::{copy_button, copy_script};
use crate::fragments::form::csrf;
use crate::fragments::kv::{kv, kv_markup};
use crate::fragments::tables::mail_kind;

/// The list of payment requests, newest first.
pub fn requests_page(
    view: &View,
    (list, from_api): (&[PaymentRequest], &[u64]),
    merchants: &[Merchant],
    older: Option<u64>,
) -> Markup {
    let now = view.now;
    let admin = view.user().is_some_and(|u| u.may(Permission::Admin));
    let can_create = view
        .user()
        .is_some_and(|u| u.may(Permission::VirtualTerminal));
    let h_created = view.t("Créée le", "Created");
    let h_merchant = view.t("Marchand", "Merchant");
    let h_order = view.t("Commande", "Order");
    let h_customer = view.t("Client", "Customer");
    let h_amount = view.t("Montant", "Amount");
    let h_op = view.t("Opération", "Operation");
    let h_state = view.t("Statut", "Status");
    let h_expires = view.t("Expire le", "Expires");
    let h_attempts = view.t("Tentatives", "Attempts");
    let body = html! {
        div class="page-head" {
            h1 { (view.t("Demandes de paiement", "Payment requests")) }
            @if can_create {
                a class="button primary" href="/terminal" { (view.t("Nouvelle demande", "New request")) }
            }
        }
        @if list.is_empty() {
            p class="empty" { (view.t("Aucune demande de paiement pour l'instant. Créez-en une dans le terminal virtuel.", "No payment request yet. Create one in the virtual terminal.")) }
        } @else {
            div class="table-wrap stack-wrap" { table class="grid stack requests" {
                thead { tr {
                    th { (view.t("N°", "No.")) } th { (h_created) }
                    @if admin { th { (h_merchant) } }
                    th { (h_order) } th { (h_customer) } th { "Email" }
                    th class="num" { (h_amount) } th { (h_op) }
                    th { (h_state) } th { (h_expires) } th class="num" { (h_attempts) }
                } }
                tbody { @for r in list {
                    @let status = r.status(now);
                    tr {
                        td class="lead" {
                            a href={"/payment-requests/" (r.id)} {
                                span class="stack-only" { (view.t("Demande n° ", "Request no. ")) } (r.id)
                            }
                            @if from_api.contains(&r.id) {
                                " " span class="badge info" title=(view.t("Créée par la boutique en ligne du marchand (API)", "Created by the merchant's web shop (API)")) { "API" }
                            }
                        }
                        td class="nowrap" data-label=(h_created) { (format_datetime(r.created_at, view.lang, view.zone)) }
                        @if admin { td data-label=(h_merchant) { (name_of(merchants, r.merchant_id)) } }
                        td class="clip" data-label=(h_order) title=(r.order_id) { (breakable(&r.order_id)) }
                        td class="clip" data-label=(h_customer) title=(r.holder.name) { (r.holder.name) }
                        td class="clip" data-label="Email" title=(r.holder.email) { (breakable(&r.holder.email)) }
                        td class="num" data-label=(h_amount) { (format_amount(r.amount, r.currency, view.lang)) }
                        td data-label=(h_op) { (r.operation.label(view.lang)) }
                        td data-label=(h_state) { (status_badge(view, status)) }
                        td class="nowrap" data-label=(h_expires) {
                            @if status == RequestStatus::Waiting { (format_datetime(r.expires_at, view.lang, view.zone)) } @else { span class="muted" { "—" } }
                        }
                        td class="num" data-label=(h_attempts) { (r.attempts.len()) }
                    }
                } }
            } }
            @if let Some(before) = older {
                nav class="pager" { a href={"/payment-requests?before=" (before)} { (view.t("Plus anciennes ›", "Older ›")) } }
            }
        }
    };
    processing_page(
        view,
        view.t("Demandes de paiement", "Payment requests"),
        "/payment-requests",
        body,
    )
}

/// What the request page shows.
pub struct RequestView {
    pub request: PaymentRequest,
    pub merchant: Option<Merchant>,
    pub mails: Vec<Mail>,
    pub attempts: Vec<Transaction>,
    /// The link, only in the answer that made it (its secret is not kept).
    pub link: Option<String>,
    /// Whether a mail server is configured (else queued emails only wait).
    pub smtp: bool,
    /// What the merchant API keeps of a request a shop prepared (none: made in the
    /// virtual terminal).
    pub api: Option<ApiPayment>,
    /// The notifications of the shop about it, oldest first.
    pub callbacks: Vec<Callback>,
}

/// The link as an inline SVG QR code, drawn by the `qrcode` crate from modules only
/// (no text of ours goes into its markup).
fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::new(link.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_string())
}

/// Why an email was not sent, in the page's language: the withdrawal reasons the
/// gateway records are known; a mail server's own error is shown as it came.
fn attempt_error<'a>(view: &View, error: &'a str) -> &'a str {
    match error {
        "not sent: a newer link replaced this one" => view.t(
            "non envoyé : un nouveau lien a remplacé celui-ci",
            "not sent: a newer link replaced this one",
        ),
        "not sent: the request was cancelled" => view.t(
            "non envoyé : la demande a été annulée",
            "not sent: the request was cancelled",
        ),
        "not sent: the request was paid" => view.t(
            "non envoyé : la demande a été payée",
            "not sent: the request was paid",
        ),
        "not sent: the request was blocked" => view.t(
            "non envoyé : la demande a été bloquée",
            "not sent: the request was blocked",
        ),
        "not sent: the request can no longer be paid" => view.t(
            "non envoyé : la demande ne peut plus être payée",
            "not sent: the request can no longer be paid",
        ),
        other => other,
    }
}

/// The emails of the request, each with its state said once (the outbox's badge,
/// the same words as Parameters › Emails) and its last attempt. The subject is
/// plain text: the request page is where it would lead.
fn request_mails(view: &View, mails: &[Mail], smtp: bool) -> Markup {
    let (h_kind, h_to, h_subject, h_state, h_last) = (
        view.t("Type", "Kind"),
        view.t("Destinataire", "To"),
        view.t("Objet", "Subject"),
        view.t("État", "State"),
        view.t("Dernier essai", "Last attempt"),
    );
    let waiting = mails.iter().any(|m| m.state == MailState::Pending);
    html! {
        div class="table-wrap stack-wrap" { table class="grid stack request-mails" {
            thead { tr { th { (h_kind) } th { "Date" } th { (h_to) } th { (h_subject) } th { (h_state) } th { (h_last) } } }
            tbody { @for m in mails {
                tr {
                    td class="lead" { (mail_kind(view, m.kind)) }
                    td class="nowrap" data-label="Date" { (format_datetime(m.created_at, view.lang, view.zone)) }
                    td data-label=(h_to) { (breakable(&m.to)) }
                    td data-label=(h_subject) { (m.subject) }
                    td data-label=(h_state) { (mail_state(view, m)) }
                    td data-label=(h_last) {
                        @if let Some(a) = m.attempts.last() {
                            (format_datetime(a.at, view.lang, view.zone)) " · "
                            @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => span class="error" { (attempt_error(view, e)) } }
                        } @else {
                            span class="muted" { (view.t("pas encore essayé", "not tried yet")) }
                        }
                    }
                }
            } }
        } }
        @if waiting {
            p class="small muted" { @if smtp {
                (view.t("Un email en file d'attente part au prochain passage de l'envoi ; s'il a échoué, un nouvel essai est prévu.", "A queued email leaves on the next sending round; if it failed, a retry is scheduled."))
            } @else {
                (view.t("Aucun serveur d'email n'est configuré : un email en file d'attente ne part pas tant qu'il n'y en a pas.", "No mail server is configured: a queued email does not leave until there is one."))
            } }
        }
    }
}

/// One payment request with its link, emails and attempts.
/// The Transaction card of a request.
fn request_rows(view: &View, v: &RequestView) -> Vec<(&'static str, String)> {
    let r = &v.request;
    vec![
        (
            view.t("Marchand", "Merchant"),
            v.merchant
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_default(),
        ),
        ("Terminal", r.terminal.to_string()),
        (
            view.t("Origine", "Origin"),
            match &v.api {
                Some(a) => match view.lang {
                    crate::domain::Lang::Fr => format!(
                        "API marchand (identifiant {}, version {})",
                        a.originator, a.api_version
                    ),
                    crate::domain::Lang::En => format!(
                        "Merchant API (originator {}, version {})",
                        a.originator, a.api_version
                    ),
                },
                None => view.t("Terminal virtuel", "Virtual terminal").into(),
            },
        ),
        (
            view.t("Données du marchand", "Merchant's custom data"),
            v.api
                .as_ref()
                .map(|a| a.custom_data.clone())
                .unwrap_or_default(),
        ),
        (
            view.t("Adresse de retour du client", "Customer return URL"),
            v.api
                .as_ref()
                .map(|a| a.redirect_url.clone())
                .unwrap_or_default(),
        ),
        (
            view.t("Adresse de notification", "Notification (callback) URL"),
            v.api
                .as_ref()
                .map(|a| a.callback_url.clone())
                .unwrap_or_default(),
        ),
        (
            view.t("Opération", "Operation"),
            r.operation.label(view.lang).into(),
        ),
        (
            view.t("Numéro de commande", "Order number"),
            r.order_id.clone(),
        ),
        (
            view.t("Montant", "Amount"),
            format_amount(r.amount, r.currency, view.lang),
        ),
        (view.t("Description", "Description"), r.description.clone()),
        (view.t("Langue", "Language"), r.lang.native_name().into()),
        (
            view.t("Créée le", "Created"),
            format!(
                "{} · {}",
                format_datetime(r.created_at, view.lang, view.zone),
                r.created_by
            ),
        ),
        (
            view.t("Valable jusqu'au", "Valid until"),
            format_datetime(r.expires_at, view.lang, view.zone),
        ),
        (
            view.t("Tentatives refusées", "Refused attempts"),
            r.refused_attempts.to_string(),
        ),
    ]
}

/// The Cardholder card of a request.
fn holder_rows(view: &View, r: &PaymentRequest) -> Vec<(&'static str, String)> {
    let h = &r.holder;
    vec![
        (
            view.t("Prénom et nom", "First and last name"),
            h.name.clone(),
        ),
        (view.t("Adresse électronique", "Email"), h.email.clone()),
        (view.t("Téléphone", "Phone"), h.phone.clone()),
        (view.t("Adresse", "Address"), h.address.clone()),
        (
            view.t("Code postal / Ville", "Postcode / City"),
            format!("{} {}", h.postcode, h.city).trim().to_string(),
        ),
        (view.t("Région", "Region"), h.state.clone()),
        (
            view.t("Pays", "Country"),
            countries::name(&h.country, view.lang)
                .unwrap_or_default()
                .to_string(),
        ),
        (
            view.t("Numéro d'identification", "ID number"),
            h.id_number.clone(),
        ),
        (
            view.t("Date de naissance", "Birth date"),
            birth_date_display(&h.birth_date),
        ),
    ]
}

/// The payment attempts: their detail only for users who may view transactions.
fn attempts(view: &View, v: &RequestView) -> Markup {
    let r = &v.request;
    html! {
        h2 { (view.t("Tentatives de paiement", "Payment attempts")) }
        @if !view.user().is_some_and(|u| u.may(Permission::View)) {
            p class="muted" {
                (view.lang.count(r.attempts.len() as u64, ("tentative", "tentatives"), ("attempt", "attempts"))) ". "
                (view.t("Leur détail (carte, code) est réservé aux utilisateurs qui consultent les transactions.", "Their detail (card, code) is for users who may view transactions."))
            }
        } @else if v.attempts.is_empty() {
            p class="muted" { (view.t("Aucune tentative pour l'instant.", "No attempt yet.")) }
        } @else {
            @let (h_op, h_card, h_result) = (view.t("Opération", "Operation"), view.t("Carte", "Card"), view.t("Résultat", "Result"));
            div class="table-wrap stack-wrap" { table class="grid stack attempts" {
                thead { tr { th { (view.t("N°", "No.")) } th { "Date" } th { (h_op) } th { (h_card) } th { (h_result) } } }
                tbody { @for t in &v.attempts {
                    tr {
                        td class="lead" { a href={"/transactions/" (t.id)} { span class="stack-only" { (view.t("Transaction n° ", "Transaction no. ")) } (t.id) } }
                        td class="nowrap" data-label="Date" { (format_datetime(t.at, view.lang, view.zone)) }
                        td data-label=(h_op) { (t.operation.label(view.lang)) }
                        td data-label=(h_card) { (card_short(t.card.as_ref()).unwrap_or_default()) }
                        td data-label=(h_result) { (result_badge(view, t.code)) " " (t.code.text(view.lang)) }
                    }
                } }
            } }
        }
    }
}

pub fn request_page(view: &View, v: &RequestView, notice: Option<Markup>) -> Markup {
    let r = &v.request;
    let status = r.status(view.now);
    let can_act = view
        .user()
        .is_some_and(|u| u.may(Permission::VirtualTerminal));
    // Empty rows say nothing: only what the request holds is listed.
    let filled = |mut rows: Vec<(&'static str, String)>| {
        rows.retain(|(_, v)| !v.trim().is_empty());
        rows
    };
    let rows = filled(request_rows(view, v));
    let holder: Vec<(&str, Markup)> = filled(holder_rows(view, r))
        .into_iter()
        .map(|(k, v)| match v == r.holder.email {
            true => (k, breakable(&v)),
            false => (k, html! { (v) }),
        })
        .collect();
    let body = html! {
        p class="back" { a href="/payment-requests" { "‹ " (view.t("Demandes de paiement", "Payment requests")) } }
        h1 { (view.t("Demande de paiement", "Payment request")) " " (r.id) " " (status_badge(view, status)) }
        @if let Some(n) = notice { (n) }
        section class="card link-box" {
            h2 { (view.t("Lien de paiement", "Payment link")) }
            @if let Some(link) = v.link.as_ref().filter(|_| status == RequestStatus::Waiting) {
                div class="field" {
                    label for="f-link" { (view.t("Lien à transmettre au client", "Link to pass to the customer")) }
                    div class="copy-row" {
                        input id="f-link" type="text" readonly value=(link) class="mono";
                        (copy_button(view, "f-link", "Copier le lien", "Copy the link"))
                    }
                }
                @if let Some(qr) = qr_svg(link) {
                    figure class="qr" {
                        (PreEscaped(qr))
                        figcaption class="small muted" { (view.t("Le même lien en QR code, à scanner avec un téléphone.", "The same link as a QR code, to scan with a phone.")) }
                    }
                }
                (copy_script())
            } @else {
                p class="muted" { (view.t(
                    "Le lien n'est affiché qu'une fois, à sa création : il ne peut pas être affiché à nouveau. Un nouveau lien remplace l'ancien, qui ne permet alors plus de payer.",
                    "The link is shown only once, when it is made: it cannot be shown again. A new link replaces the old one, which then can no longer be used to pay.")) }
            }
            @if can_act && status == RequestStatus::Waiting {
                div class="actions" {
                    form class="inline" method="post" action={"/payment-requests/" (r.id) "/resend"} {
                        (csrf(view))
                        button type="submit" { @if v.smtp { (view.t("Envoyer un nouveau lien par email", "Email a new link")) } @else { (view.t("Mettre en file d'attente un email avec un nouveau lien", "Queue an email with a new link")) } }
                    }
                    form class="inline" method="post" action={"/payment-requests/" (r.id) "/new-link"} {
                        (csrf(view))
                        button type="submit" { (view.t("Nouveau lien", "New link")) }
                    }
                    a class="button" href={"/payment-requests/" (r.id) "/cancel"} { (view.t("Annuler la demande", "Cancel the request")) }
                }
            }
        }
        div class="kv-groups" {
            section class="card" { h2 { (view.t("Transaction", "Transaction")) } (kv(&rows)) }
            section class="card" { h2 { (view.t("Porteur", "Cardholder")) } (kv_markup(&holder)) }
        }
        (attempts(view, v))
        h2 { (view.t("Emails", "Emails")) }
        @if v.mails.is_empty() {
            p class="muted" { (view.t("Aucun email pour cette demande (lien affiché seulement).", "No email for this request (link shown only).")) }
        } @else {
            (request_mails(view, &v.mails, v.smtp))
        }
        @if v.api.as_ref().is_some_and(|a| !a.callback_url.is_empty()) {
            h2 { (view.t("Notifications de la boutique", "Shop notifications")) }
            p class="small muted" { (view.t(
                "Envoyées à l'adresse de notification quand le paiement se termine, signées, renvoyées jusqu'à ce que la boutique réponde OK.",
                "Sent to the notification URL when the payment ends, signed, sent again until the shop answers OK.")) }
            (super::callbacks::deliveries(view, &v.callbacks))
        }
    };
    processing_page(
        view,
        view.t("Demande de paiement", "Payment request"),
        "/payment-requests",
        body,
    )
}

/// The confirmation step before cancelling a request.
pub fn cancel_confirm(view: &View, r: &PaymentRequest) -> Markup {
    let body = html! {
        h1 { (view.t("Annuler la demande de paiement", "Cancel the payment request")) " " (r.id) }
        section class="card" {
            p { (view.t("Le lien transmis au client ne permettra plus de payer, et un email qui attend encore ne partira pas :", "The link given to the customer will no longer allow payment, and an email still waiting will not leave:")) }
            p { strong { (r.order_id) " · " (format_amount(r.amount, r.currency, view.lang)) " · " (r.holder.name) " <" (r.holder.email) ">" } }
            form method="post" action={"/payment-requests/" (r.id) "/cancel"} {
                (csrf(view))
                div class="actions" {
                    button class="danger" type="submit" { (view.t("Confirmer l'annulation", "Confirm the cancellation")) }
                    a class="button" href={"/payment-requests/" (r.id)} { (view.t("Ne rien faire", "Do nothing")) }
                }
            }
        }
    };
    processing_page(
        view,
        view.t("Annuler la demande", "Cancel the request"),
        "/payment-requests",
        body,
    )
}
