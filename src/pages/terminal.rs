//! Processing › Virtual terminal (MOTO) and Payment requests (LINK-1, LINK-2).

use maud::{Markup, html};

use super::layout::{Tab, page};
use crate::domain::countries;
use crate::domain::merchant::name_of;
use crate::domain::money::{Currency, format_amount};
use crate::domain::outbox::{Mail, MailKind, MailState};
use crate::domain::payment::{DEFAULT_VALIDITY_DAYS, PaymentRequest, RequestForm, RequestStatus};
use crate::domain::time::format_datetime;
use crate::domain::transaction::Transaction;
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::form::{Input, csrf, error_for, textarea};
use crate::fragments::{flash, tabs};

/// The sub-tabs of Processing, as far as the user may go.
pub fn processing_subtabs(view: &View, current: &str) -> Markup {
    let p = view.user().map(|u| u.permissions()).unwrap_or_default();
    let mut items = Vec::new();
    if p.view {
        items.push((
            "/transactions".to_string(),
            view.t("Transactions", "Transactions").to_string(),
        ));
    }
    if p.virtual_terminal {
        items.push((
            "/terminal".to_string(),
            view.t("Terminal virtuel (MOTO)", "Virtual terminal (MOTO)")
                .to_string(),
        ));
    }
    if p.view || p.virtual_terminal {
        items.push((
            "/payment-requests".to_string(),
            view.t("Demandes de paiement", "Payment requests")
                .to_string(),
        ));
    }
    tabs("subtabs", &items, current)
}

pub fn status_badge(view: &View, s: RequestStatus) -> Markup {
    let class = match s {
        RequestStatus::Paid => "ok",
        RequestStatus::Waiting => "warn",
        RequestStatus::Blocked => "ko",
        RequestStatus::Expired | RequestStatus::Cancelled => "muted",
    };
    html! { span class={"badge " (class)} { (s.label(view.lang)) } }
}

/// A terminal a payment request can be made on: (merchant, terminal number, label).
pub struct TerminalChoice {
    pub merchant: Merchant,
    pub terminal: u32,
    pub label: String,
}

impl TerminalChoice {
    pub fn key(&self) -> String {
        format!("{}:{}", self.merchant.id, self.terminal)
    }
}

fn select(
    name: &str,
    label: &str,
    required: bool,
    options: &[(String, String)],
    value: &str,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) class=[required.then_some("req")] { (label) }
            select id=(id) name=(name) required[required] aria-invalid=[error.map(|_| "true")] {
                @for (v, l) in options {
                    option value=(v) selected[v == value] { (l) }
                }
            }
            @if let Some(e) = error { small class="error" { (e) } }
        }
    }
}

/// The virtual terminal's form (LINK-1), field for field as in the guide.
pub fn terminal_page(
    view: &View,
    form: &RequestForm,
    errors: &[FieldError],
    choices: &[TerminalChoice],
) -> Markup {
    let e = |f: &str| error_for(errors, f, view.lang);
    let choose = view.t("Veuillez choisir", "Please choose").to_string();
    let terminals: Vec<(String, String)> = choices
        .iter()
        .map(|c| (c.key(), format!("{} — {}", c.merchant.name, c.label)))
        .collect();
    let mut currencies = vec![(String::new(), choose.clone())];
    currencies.extend(
        Currency::ALL
            .iter()
            .map(|c| (c.code().to_string(), c.code().to_string())),
    );
    let mut country_opts = vec![(String::new(), choose.clone())];
    country_opts.extend(
        countries::sorted(view.lang)
            .into_iter()
            .map(|(c, n)| (c.to_string(), n.to_string())),
    );
    let validity = if form.validity_days.is_empty() {
        DEFAULT_VALIDITY_DAYS.to_string()
    } else {
        form.validity_days.clone()
    };
    let body = html! {
        h1 { (view.t("Affichage du terminal virtuel", "Virtual terminal")) }
        p class="muted small" { (view.t("Créez une demande de paiement : le client la reçoit par email, ou vous lui transmettez le lien. Les champs marqués * sont obligatoires.", "Create a payment request: the customer receives it by email, or you pass them the link. Fields marked * are required.")) }
        @if !errors.is_empty() {
            (flash("err", view.t("La demande n'a pas été créée : corrigez les champs signalés.", "The request was not created: fix the fields marked below.")))
        }
        @if choices.is_empty() {
            div class="flash info" {
                (view.t("Aucun marchand pour l'instant : créez-en un avec son terminal dans ", "No merchant yet: create one with its terminal in "))
                a href="/parameters/merchants/new" { (view.t("Paramètres › Marchands", "Parameters › Merchants")) }
                "."
            }
        }
        form class="form vt" method="post" action="/terminal" novalidate {
            (csrf(view))
            fieldset {
                legend { (view.t("Opération", "Operation")) }
                div class="grid3" {
                    @if terminals.len() > 1 || e("terminal").is_some() {
                        (select("terminal", view.t("Marchand / terminal", "Merchant / terminal"), true, &terminals, &form.terminal, e("terminal")))
                    } @else if let Some((k, _)) = terminals.first() {
                        input type="hidden" name="terminal" value=(k);
                    }
                    (select("type", view.t("Type de transaction", "Transaction type"), false, &[("card".into(), view.t("Carte bancaire", "Credit card").into())], "card", None))
                    (select("operation", view.t("Opération", "Operation"), true, &[
                        ("sale".into(), view.t("Vente", "Sale").into()),
                        ("authorization".into(), view.t("Autorisation", "Authorization").into()),
                    ], &form.operation, e("operation")))
                }
            }
            fieldset {
                legend { (view.t("Information de la transaction", "Transaction information")) }
                div class="grid3" {
                    (Input::new("order_id", view.t("Numéro de commande", "Order number"), &form.order_id).required().error(e("order_id")).hint(view.t("Chiffres ou lettres, ex. « Réservation du groupe 23 »", "Digits or letters, e.g. \"Group booking 23\"")).render())
                    (Input::new("amount", view.t("Montant", "Amount"), &form.amount).required().error(e("amount")).hint(view.t("ex. 1500 ou 1 500,50", "e.g. 1500 or 1,500.50")).render())
                    (select("currency", view.t("Monnaie", "Currency"), true, &currencies, &form.currency, e("currency")))
                }
                (textarea("description", view.t("Description commande", "Order description"), &form.description, e("description"), None))
            }
            fieldset {
                legend { "Email" }
                div class="grid3" {
                    (select("lang", view.t("Langue de l'email client", "Customer email language"), false, &[
                        ("fr".into(), "Français".into()), ("en".into(), "English".into()),
                    ], &form.lang, None))
                    (Input::new("validity_days", view.t("Durée de validité du lien de paiement (jours)", "Payment link validity (days)"), &validity).kind("number").error(e("validity_days")).render())
                }
            }
            fieldset {
                legend { (view.t("Information du porteur", "Cardholder information")) }
                div class="grid3" {
                    (Input::new("name", view.t("Prénom/Nom", "First/last name"), &form.name).required().error(e("name")).render())
                    (Input::new("email", view.t("Adresse électronique", "Email address"), &form.email).kind("email").required().error(e("email")).render())
                    (Input::new("phone", view.t("Téléphone", "Phone"), &form.phone).kind("tel").error(e("phone")).render())
                    (Input::new("address", view.t("Adresse", "Address"), &form.address).error(e("address")).render())
                    (Input::new("postcode", view.t("Code postal", "Postcode"), &form.postcode).error(e("postcode")).render())
                    (Input::new("city", view.t("Ville", "City"), &form.city).error(e("city")).render())
                    (Input::new("state", view.t("État", "State"), &form.state).error(e("state")).render())
                    (select("country", view.t("Pays", "Country"), false, &country_opts, &form.country.to_ascii_uppercase(), e("country")))
                    (Input::new("id_number", view.t("Numéro d'identification", "ID number"), &form.id_number).error(e("id_number")).render())
                    (Input::new("birth_date", view.t("Date de naissance", "Birth date"), &form.birth_date).kind("date").error(e("birth_date")).render())
                }
            }
            div class="actions" {
                button class="primary" type="submit" name="action" value="send" { (view.t("Envoyer le lien de paiement", "Send the payment link")) }
                button type="submit" name="action" value="show" { (view.t("Afficher le lien de paiement", "Show the payment link")) }
            }
        }
    };
    page(
        view,
        view.t("Terminal virtuel", "Virtual terminal"),
        Tab::Processing,
        Some(processing_subtabs(view, "/terminal")),
        body,
    )
}

/// The list of payment requests, newest first.
pub fn requests_page(
    view: &View,
    list: &[PaymentRequest],
    merchants: &[Merchant],
    older: Option<u64>,
) -> Markup {
    let now = view.now;
    let admin = view.user().is_some_and(|u| u.is_admin());
    let body = html! {
        h1 { (view.t("Demandes de paiement", "Payment requests")) }
        @if list.is_empty() {
            p class="muted" { (view.t("Aucune demande de paiement pour l'instant. Créez-en une dans le terminal virtuel.", "No payment request yet. Create one in the virtual terminal.")) }
        } @else {
            div class="table-wrap" { table class="grid" {
                thead { tr {
                    th { "N°" } th { (view.t("Créée le", "Created")) }
                    @if admin { th { (view.t("Marchand", "Merchant")) } }
                    th { (view.t("Commande", "Order")) } th { (view.t("Client", "Customer")) } th { "Email" }
                    th class="num" { (view.t("Montant", "Amount")) } th { (view.t("Opération", "Operation")) }
                    th { (view.t("État", "State")) } th { (view.t("Expire le", "Expires")) } th { (view.t("Tentatives", "Attempts")) }
                } }
                tbody { @for r in list {
                    tr {
                        td { a href={"/payment-requests/" (r.id)} { (r.id) } }
                        td class="nowrap" { (format_datetime(r.created_at)) }
                        @if admin { td { (name_of(merchants, r.merchant_id)) } }
                        td { (r.order_id) }
                        td { (r.holder.name) }
                        td { (r.holder.email) }
                        td class="num" { (format_amount(r.amount, r.currency, view.lang)) }
                        td { (r.operation.label(view.lang)) }
                        td { (status_badge(view, r.status(now))) }
                        td class="nowrap" { (format_datetime(r.expires_at)) }
                        td class="num" { (r.attempts.len()) }
                    }
                } }
            } }
            @if let Some(before) = older {
                nav class="pager" { a href={"/payment-requests?before=" (before)} { (view.t("Plus anciennes ›", "Older ›")) } }
            }
        }
    };
    page(
        view,
        view.t("Demandes de paiement", "Payment requests"),
        Tab::Processing,
        Some(processing_subtabs(view, "/payment-requests")),
        body,
    )
}

pub fn mail_state(view: &View, m: &Mail) -> Markup {
    let (class, text) = match m.state {
        MailState::Sent => ("ok", view.t("Envoyé", "Sent")),
        MailState::Pending if m.attempts.is_empty() => {
            ("warn", view.t("En file d'attente", "Queued"))
        }
        MailState::Pending => ("warn", view.t("Nouvel essai prévu", "Retry scheduled")),
        MailState::Failed => ("ko", view.t("Échec", "Failed")),
    };
    html! { span class={"badge " (class)} { (text) } }
}

pub fn mail_kind(view: &View, k: MailKind) -> &'static str {
    match k {
        MailKind::PaymentLink => view.t("Lien de paiement", "Payment link"),
        MailKind::Receipt => view.t("Reçu", "Receipt"),
    }
}

/// What the request page shows.
pub struct RequestView {
    pub request: PaymentRequest,
    pub merchant: Option<Merchant>,
    pub mails: Vec<Mail>,
    pub attempts: Vec<Transaction>,
    /// The link, only in the answer that made it (its secret is not kept).
    pub link: Option<String>,
}

/// One payment request with its link, emails and attempts.
pub fn request_page(view: &View, v: &RequestView, notice: Option<Markup>) -> Markup {
    let r = &v.request;
    let status = r.status(view.now);
    let can_act = view
        .user()
        .is_some_and(|u| u.permissions().virtual_terminal);
    let h = &r.holder;
    let rows: Vec<(&str, String)> = vec![
        (
            view.t("Marchand", "Merchant"),
            v.merchant
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_default(),
        ),
        ("Terminal", r.terminal.to_string()),
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
            format!("{} · {}", format_datetime(r.created_at), r.created_by),
        ),
        (
            view.t("Valable jusqu'au", "Valid until"),
            format_datetime(r.expires_at),
        ),
        (
            view.t("Tentatives refusées", "Refused attempts"),
            r.refused_attempts.to_string(),
        ),
    ];
    let holder: Vec<(&str, String)> = vec![
        (view.t("Prénom/Nom", "First/last name"), h.name.clone()),
        (view.t("Adresse électronique", "Email"), h.email.clone()),
        (view.t("Téléphone", "Phone"), h.phone.clone()),
        (view.t("Adresse", "Address"), h.address.clone()),
        (
            view.t("Code postal / Ville", "Postcode / City"),
            format!("{} {}", h.postcode, h.city).trim().to_string(),
        ),
        (view.t("État", "State"), h.state.clone()),
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
            h.birth_date.clone(),
        ),
    ];
    let kv = |rows: &[(&str, String)]| html! { dl class="kv" { @for (k, val) in rows { dt { (k) } dd { (val) } } } };
    let body = html! {
        p class="small" { a href="/payment-requests" { "‹ " (view.t("Demandes de paiement", "Payment requests")) } }
        h1 { (view.t("Demande de paiement", "Payment request")) " " (r.id) " " (status_badge(view, status)) }
        @if let Some(n) = notice { (n) }
        section class="card link-box" {
            h2 { (view.t("Lien de paiement", "Payment link")) }
            @if let Some(link) = &v.link {
                div class="field" {
                    label for="f-link" { (view.t("À copier et transmettre au client maintenant : il ne sera plus affiché", "Copy it and pass it to the customer now: it will not be shown again")) }
                    input id="f-link" type="text" readonly value=(link) class="mono";
                }
            } @else {
                p class="muted" { (view.t(
                    "Le lien n'est affiché qu'une fois, à sa création : il ne peut pas être affiché à nouveau. Un nouveau lien remplace l'ancien, qui ne permet alors plus de payer.",
                    "The link is shown only once, when it is made: it cannot be shown again. A new link replaces the old one, which then can no longer be used to pay.")) }
            }
            @if can_act && status == RequestStatus::Waiting {
                div class="actions" {
                    form class="inline" method="post" action={"/payment-requests/" (r.id) "/resend"} {
                        (csrf(view))
                        button type="submit" { (view.t("Envoyer un nouveau lien par email", "Email a new link")) }
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
            section class="card" { h2 { (view.t("Porteur", "Cardholder")) } (kv(&holder)) }
        }
        h2 { (view.t("Tentatives de paiement", "Payment attempts")) }
        @if !view.user().is_some_and(|u| u.permissions().view) {
            p class="muted" {
                (r.attempts.len()) " "
                (view.t("tentative(s). Leur détail (carte, code) est réservé aux utilisateurs qui consultent les transactions.", "attempt(s). Their detail (card, code) is for users who may view transactions."))
            }
        } @else if v.attempts.is_empty() {
            p class="muted" { (view.t("Aucune tentative pour l'instant.", "No attempt yet.")) }
        } @else {
            div class="table-wrap" { table class="grid" {
                thead { tr { th { "N°" } th { "Date" } th { (view.t("Opération", "Operation")) } th { (view.t("Carte", "Card")) } th { "Code" } } }
                tbody { @for t in &v.attempts {
                    tr {
                        td { a href={"/transactions/" (t.id)} { (t.id) } }
                        td class="nowrap" { (format_datetime(t.at)) }
                        td { (t.operation.label(view.lang)) }
                        td { (t.card.as_ref().map(|c| c.masked()).unwrap_or_default()) }
                        td { span class={"badge " (if t.code.is_accepted() { "ok" } else { "ko" })} title=(t.code.text(view.lang)) { (t.code) } " " (t.code.text(view.lang)) }
                    }
                } }
            } }
        }
        h2 { (view.t("Emails", "Emails")) }
        @if v.mails.is_empty() {
            p class="muted" { (view.t("Aucun email envoyé (lien affiché seulement).", "No email sent (link shown only).")) }
        } @else {
            (mails_table(view, &v.mails))
        }
    };
    page(
        view,
        view.t("Demande de paiement", "Payment request"),
        Tab::Processing,
        Some(processing_subtabs(view, "/payment-requests")),
        body,
    )
}

/// Emails with their state and last attempt.
pub fn mails_table(view: &View, mails: &[Mail]) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr { th { "N°" } th { (view.t("Créé le", "Created")) } th { (view.t("Type", "Kind")) } th { (view.t("Destinataire", "To")) } th { (view.t("Objet", "Subject")) } th { (view.t("État", "State")) } th { (view.t("Essais", "Attempts")) } th { (view.t("Dernier essai", "Last attempt")) } } }
            tbody { @for m in mails {
                tr {
                    td { (m.id) }
                    td class="nowrap" { (format_datetime(m.created_at)) }
                    td { (mail_kind(view, m.kind)) }
                    td { (m.to) }
                    td { @if m.request_id == 0 { (m.subject) } @else { a href={"/payment-requests/" (m.request_id)} { (m.subject) } } }
                    td { (mail_state(view, m)) }
                    td class="num" { (m.attempts.len()) }
                    td { @if let Some(a) = m.attempts.last() {
                        (format_datetime(a.at)) " · "
                        @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => span class="error" { (e) } }
                    } @else if m.state == MailState::Pending {
                        (view.t("pas encore essayé", "not tried yet"))
                    } }
                }
            } }
        } }
    }
}

/// The confirmation step before cancelling a request.
pub fn cancel_confirm(view: &View, r: &PaymentRequest) -> Markup {
    let body = html! {
        h1 { (view.t("Annuler la demande de paiement", "Cancel the payment request")) " " (r.id) }
        section class="card" {
            p { (view.t("Le lien envoyé au client ne permettra plus de payer :", "The link sent to the customer will no longer allow payment:")) }
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
    page(
        view,
        view.t("Annuler la demande", "Cancel the request"),
        Tab::Processing,
        Some(processing_subtabs(view, "/payment-requests")),
        body,
    )
}

/// Parameters › Emails (admins): the outbox with every attempt.
pub fn outbox_page(
    view: &View,
    mails: &[Mail],
    pending: u64,
    smtp: Option<String>,
    older: Option<u64>,
) -> Markup {
    let body = html! {
        h1 { (view.t("Emails (file d'envoi)", "Emails (outbox)")) }
        @match &smtp {
            Some(server) => p class="muted" { (view.t("Serveur SMTP :", "SMTP server:")) " " code { (server) } " · " (pending) " " (view.t("en attente", "waiting")) }
            None => (flash("info", &format!("{} {pending} {}", view.t("Aucun serveur SMTP configuré (GUICHET_SMTP_HOST) : les emails restent ici, en attente, et partiront dès qu'un serveur sera configuré.", "No SMTP server configured (GUICHET_SMTP_HOST): emails stay here, waiting, and leave once a server is configured."), view.t("en attente.", "waiting."))))
        }
        @if mails.is_empty() {
            p class="muted" { (view.t("Aucun email pour l'instant.", "No email yet.")) }
        } @else {
            (mails_table(view, mails))
            @if mails.iter().any(|m| !m.attempts.is_empty()) { details class="small" {
                summary { (view.t("Détail des essais", "Attempt details")) }
                @for m in mails { @if !m.attempts.is_empty() {
                    p { strong { "N° " (m.id) } @if m.request_id != 0 { " · " a href={"/payment-requests/" (m.request_id)} { (view.t("demande", "request")) " " (m.request_id) } } }
                    ul { @for a in &m.attempts {
                        li { (format_datetime(a.at)) " · " @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => (e) } }
                    } }
                } }
            } }
            @if let Some(before) = older {
                nav class="pager" { a href={"/parameters/emails?before=" (before)} { (view.t("Plus anciens ›", "Older ›")) } }
            }
        }
    };
    page(
        view,
        view.t("Emails", "Emails"),
        Tab::Parameters,
        Some(super::profile::subtabs(view, "/parameters/emails")),
        body,
    )
}
