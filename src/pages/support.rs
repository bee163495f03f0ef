//! Support (issue 14, SUP-1): the ticket list with its filters, the new-ticket form,
//! a ticket's thread with the answer and state forms, and the transaction detail's
//! Tickets tab.

use std::collections::BTreeSet;

use maud::{Markup, html};

use super::layout::{Tab, page};
use crate::domain::money::format_amount;
use crate::domain::permission::Permission;
use crate::domain::support::{
    Age, Category, MESSAGE_MAX, NewTicketForm, SUBJECT_MAX, Side, Ticket, TicketFilter,
    TicketMessage, TicketState,
};
use crate::domain::support_contacts::SupportContacts;
use crate::domain::time::{date_header, format_datetime, format_datetime_cell};
use crate::domain::transaction::Transaction;
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, Select, csrf, error_for};
use crate::fragments::support::{contact_line, contacts_block};

pub const PATH: &str = "/support";

fn title(view: &View) -> &'static str {
    view.t("Support", "Support")
}

fn is_admin(view: &View) -> bool {
    view.user().is_some_and(|u| u.is_admin())
}

fn may_view_transactions(view: &View) -> bool {
    view.user().is_some_and(|u| u.may(Permission::View))
}

/// `Ticket n° 12` / `Ticket no. 12`.
pub fn ticket_name(view: &View, id: u64) -> String {
    format!("{} {id}", view.t("Ticket n°", "Ticket no."))
}

fn merchant_name(merchants: &[Merchant], id: u64) -> String {
    merchants
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| id.to_string(), |m| m.name.clone())
}

/// The state of a ticket as a badge.
pub fn state_badge(view: &View, s: TicketState) -> Markup {
    html! { span class={"badge " (s.badge())} { (s.label(view.lang)) } }
}

/// A transaction number, linked to its detail for those who may open it.
fn transaction_ref(view: &View, tx: Option<u64>) -> Markup {
    html! {
        @match tx {
            Some(id) if may_view_transactions(view) => a href={"/transactions/" (id)} { (id) },
            Some(id) => (id),
            None => span class="muted" { "—" },
        }
    }
}

/// Everything the list page shows.
pub struct ListView<'a> {
    /// A page of tickets, newest first.
    pub tickets: &'a [Ticket],
    /// Which of them the reader has not read.
    pub unread: &'a BTreeSet<u64>,
    pub filter: &'a TicketFilter,
    /// The merchants in scope (names, and an admin's merchant filter).
    pub merchants: &'a [Merchant],
    /// Where the next page starts, when there is one.
    pub older: Option<u64>,
    /// Whether this is a later page (a link back to the first).
    pub paged: bool,
    /// What was just done (a ticket opened elsewhere), if anything.
    pub done: Option<&'a str>,
    /// The gateway's support contacts (Parameters › Support contacts).
    pub contacts: &'a SupportContacts,
}

fn options<T: Copy>(
    all: &[T],
    key: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
) -> Vec<(String, String)> {
    all.iter().map(|v| (key(*v), label(*v))).collect()
}

fn filters(view: &View, v: &ListView) -> Markup {
    let f = v.filter;
    let states = options(
        &TicketState::ALL,
        |s| s.key().into(),
        |s| s.label(view.lang).into(),
    );
    let categories = options(
        &Category::ALL,
        |c| c.key().into(),
        |c| c.label(view.lang).into(),
    );
    let merchants: Vec<(String, String)> = v
        .merchants
        .iter()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let ages: Vec<(String, String)> = Age::CHOICES
        .iter()
        .map(|d| {
            let n = u64::from(*d);
            let text = match view.lang {
                crate::domain::Lang::Fr => format!(
                    "Plus de {}",
                    view.lang.count(n, ("jour", "jours"), ("day", "days"))
                ),
                crate::domain::Lang::En => format!(
                    "Over {}",
                    view.lang.count(n, ("jour", "jours"), ("day", "days"))
                ),
            };
            (d.to_string(), text)
        })
        .collect();
    let state = f.state.map_or("", TicketState::key);
    let category = f.category.map_or("", Category::key);
    let merchant = f.merchant.map(|m| m.to_string()).unwrap_or_default();
    let age = f.age.key();
    html! {
        form class="filters card ticket-filters" method="get" action=(PATH) role="search" aria-label=(view.t("Filtrer les tickets", "Filter the tickets")) {
            div class="ticket-filter-fields" {
                (Select::new("state", view.t("État", "State"), &states, state).id_prefix("q").any(view.t("Tous", "All")).render())
                @if is_admin(view) {
                    (Select::new("merchant", view.t("Marchand", "Merchant"), &merchants, &merchant).id_prefix("q").any(view.t("Tous", "All")).render())
                }
                (Select::new("category", view.t("Catégorie", "Category"), &categories, category).id_prefix("q").any(view.t("Toutes", "All")).render())
                (Select::new("age", view.t("Ouvert depuis", "Opened"), &ages, &age).id_prefix("q").any(view.t("Peu importe", "Any time")).render())
            }
            div class="actions" {
                button type="submit" { (view.t("Filtrer", "Filter")) }
                @if *f != TicketFilter::default() { a href=(PATH) { (view.t("Tout afficher", "Show all")) } }
            }
        }
    }
}

/// The tickets as a table: unread ones in bold with a "new" mark; the merchant
/// column when `merchants` are given (admins), the transaction column when
/// `with_transaction` (not on a transaction's own tab).
pub fn tickets_table(
    view: &View,
    tickets: &[Ticket],
    unread: &BTreeSet<u64>,
    merchants: Option<&[Merchant]>,
    with_transaction: bool,
) -> Markup {
    let h = |fr, en| view.t(fr, en);
    let when = date_header(view.lang, view.zone);
    html! {
        div class="table-wrap stack-wrap" { table class="grid stack tickets" {
            thead { tr {
                th { (h("N°", "No.")) }
                th { (h("Objet", "Subject")) }
                @if merchants.is_some() { th { (h("Marchand", "Merchant")) } }
                th { (h("Catégorie", "Category")) }
                th { (h("État", "State")) }
                @if with_transaction { th { (h("Transaction", "Transaction")) } }
                th { (h("Dernier message", "Last message")) " · " (when) }
            } }
            tbody { @for t in tickets {
                @let new = unread.contains(&t.id);
                tr class=[new.then_some("unread")] {
                    td class="num" data-label=(h("N°", "No.")) { (t.id) }
                    td class="lead" {
                        a href={(PATH) "/" (t.id)} { (t.subject) }
                        @if new { " " span class="badge info" { (h("Nouveau", "New")) } }
                    }
                    @if let Some(ms) = merchants { td data-label=(h("Marchand", "Merchant")) { (merchant_name(ms, t.merchant_id)) } }
                    td data-label=(h("Catégorie", "Category")) { (t.category.label(view.lang)) }
                    td data-label=(h("État", "State")) { (state_badge(view, t.state)) }
                    @if with_transaction { td data-label=(h("Transaction", "Transaction")) { (transaction_ref(view, t.transaction_id)) } }
                    td data-label=(h("Dernier message", "Last message")) {
                        span class="nowrap" { (format_datetime_cell(t.updated_at, view.lang, view.zone)) }
                        " · " (t.last_author) " (" (t.last_side.label(view.lang)) ")"
                    }
                }
            } }
        } }
    }
}

/// The list with the filters `query`, from ticket `before` on.
fn list_href(query: &str, before: Option<u64>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !query.is_empty() {
        parts.push(query.to_string());
    }
    if let Some(b) = before {
        parts.push(format!("before={b}"));
    }
    if parts.is_empty() {
        PATH.to_string()
    } else {
        format!("{PATH}?{}", parts.join("&"))
    }
}

/// The new-ticket form, about transaction `tx` when given.
pub fn new_href(tx: Option<u64>) -> String {
    match tx {
        Some(tx) => format!("{PATH}/new?tx={tx}"),
        None => format!("{PATH}/new"),
    }
}

/// Support: the tickets the reader sees, filtered, newest first.
pub fn list_page(view: &View, v: &ListView) -> Markup {
    let admin = is_admin(view);
    let query = v.filter.query();
    let body = html! {
        div class="page-head" {
            h1 { (title(view)) }
            @if !admin { div class="actions" { a class="button primary" href={(PATH) "/new"} { (view.t("Nouveau ticket", "New ticket")) } } }
        }
        @if let Some(d) = v.done { (flash("ok", d)) }
        p class="intro" { (if admin {
            view.t("Les tickets de tous les marchands : répondez-leur et faites évoluer leur état.", "Every merchant's tickets: answer them and move them along.")
        } else {
            view.t("Vos échanges avec le support de la plateforme. Pour une question sur un paiement, ouvrez le ticket depuis l'onglet « Tickets » de la transaction.", "Your exchanges with the platform's support. For a question about a payment, open the ticket from the transaction's \"Tickets\" tab.")
        }) }
        @if admin {
            p class="small muted" {
                @if v.contacts.is_empty() {
                    (view.t("Aucun contact du support n'est affiché aux marchands : ", "No support contact is shown to merchants: "))
                    a href="/parameters/support" { (view.t("renseignez-les", "set them")) }
                    "."
                } @else {
                    (view.t("Les marchands voient ces contacts : ", "Merchants see these contacts: "))
                    (contact_line(view.lang, v.contacts))
                    " · " a href="/parameters/support" { (view.t("modifier", "change")) }
                }
            }
        } @else {
            (contacts_block(view.lang, v.contacts, view.t("Contacter le support", "Contact support")))
        }
        (filters(view, v))
        @if v.tickets.is_empty() {
            p class="empty" { (view.t("Aucun ticket ne correspond.", "No ticket matches.")) }
        } @else {
            (tickets_table(view, v.tickets, v.unread, admin.then_some(v.merchants), true))
        }
        @if v.older.is_some() || v.paged {
            nav class="pager" aria-label=(view.t("Pages", "Pages")) {
                @if v.paged {
                    a href=(list_href(&query, None)) { "« " (view.t("Plus récents", "Newest")) }
                }
                @if let Some(before) = v.older {
                    a href=(list_href(&query, Some(before))) { (view.t("Plus anciens", "Older")) " ›" }
                }
            }
        }
    };
    page(view, title(view), Tab::Support, None, body)
}

/// What the new-ticket page shows.
pub struct NewView<'a> {
    pub form: &'a NewTicketForm,
    pub errors: &'a [FieldError],
    /// The transaction the ticket is about, when it comes from its Tickets tab.
    pub transaction: Option<&'a Transaction>,
}

fn message_field(view: &View, label: &str, value: &str, error: Option<&str>) -> Markup {
    let hint = match view.lang {
        crate::domain::Lang::Fr => {
            format!("{MESSAGE_MAX} caractères au plus. Pas de numéro de carte.")
        }
        crate::domain::Lang::En => format!("At most {MESSAGE_MAX} characters. No card number."),
    };
    html! {
        div class="field" {
            label for="f-message" class="req" { (label) }
            textarea id="f-message" name="message" rows="8" maxlength=(MESSAGE_MAX) required
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=(if error.is_some() { "f-message-err f-message-hint" } else { "f-message-hint" }) { (value) }
            small class="hint" id="f-message-hint" { (hint) }
            @if let Some(e) = error { small class="error" id="f-message-err" { (e) } }
        }
    }
}

/// Support › New ticket: subject, category, message (and the transaction it is
/// about). Admins answer tickets; they do not open them.
pub fn new_page(view: &View, v: &NewView) -> Markup {
    let err = |f: &str| error_for(v.errors, f, view.lang);
    let categories: Vec<(String, String)> = Category::ALL
        .iter()
        .map(|c| (c.key().to_string(), c.label(view.lang).to_string()))
        .collect();
    let heading = view.t("Nouveau ticket", "New ticket");
    let body = html! {
        p class="back" { a href=(PATH) { "‹ " (title(view)) } }
        h1 { (heading) }
        @if is_admin(view) {
            (flash("info", view.t(
                "Les tickets sont ouverts par les utilisateurs des marchands ; le support leur répond depuis la liste.",
                "Tickets are opened by the merchants' users; support answers them from the list.")))
            p { a class="button" href=(PATH) { (view.t("Voir les tickets", "See the tickets")) } }
        } @else {
            @if !v.errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés : le ticket n'est pas encore ouvert.", "Please correct the fields shown: the ticket is not open yet."))) }
            form class="form card" method="post" action={(PATH) "/new"} {
                (csrf(view))
                @if let Some(tx) = v.transaction {
                    p class="about-tx" {
                        (view.t("À propos de la transaction", "About transaction")) " "
                        (transaction_ref(view, Some(tx.id)))
                        " · " (tx.operation.label(view.lang))
                        " · " (format_amount(tx.amount, tx.currency, view.lang))
                        " · " (format_datetime(tx.at, view.lang, view.zone))
                    }
                    input type="hidden" name="tx" value=(tx.id);
                }
                @if let Some(e) = err("tx") { p class="flash err" { (e) } }
                (Input::new("subject", view.t("Objet", "Subject"), &v.form.subject).required().error(err("subject"))
                    .hint(&subject_hint(view)).render())
                (Select::new("category", view.t("Catégorie", "Category"), &categories, &v.form.category).required(true).any(view.t("Choisir…", "Choose…")).error(err("category")).render())
                (message_field(view, view.t("Message", "Message"), &v.form.message, err("message")))
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Ouvrir le ticket", "Open the ticket")) }
                    a href=(PATH) { (view.t("Annuler", "Cancel")) }
                }
            }
        }
    };
    page(view, heading, Tab::Support, None, body)
}

fn subject_hint(view: &View) -> String {
    match view.lang {
        crate::domain::Lang::Fr => format!("{SUBJECT_MAX} caractères au plus."),
        crate::domain::Lang::En => format!("At most {SUBJECT_MAX} characters."),
    }
}

/// The answer as typed (kept when it is refused).
#[derive(Clone, Debug, Default)]
pub struct AnswerTyped {
    pub message: String,
    /// The state key the support side chose.
    pub state: String,
}

/// What a ticket's page shows.
pub struct ThreadView<'a> {
    pub ticket: &'a Ticket,
    /// Its entries, oldest first (the newest last).
    pub thread: &'a [TicketMessage],
    /// The ticket's merchant (its name for admins).
    pub merchant: Option<&'a Merchant>,
    pub typed: &'a AnswerTyped,
    pub errors: &'a [FieldError],
    /// A message above the thread: (`ok`/`err`/`info`, text).
    pub notice: Option<(&'static str, String)>,
}

fn entry(view: &View, m: &TicketMessage, merchant: Option<&Merchant>) -> Markup {
    let side = match m.side {
        Side::Support => "support",
        Side::Merchant => "merchant",
    };
    let who = match (m.side, merchant) {
        (Side::Merchant, Some(mm)) if is_admin(view) => format!("{} ({})", m.author, mm.name),
        _ => m.author.clone(),
    };
    html! {
        li class={"msg " (side)} {
            p class="msg-head" {
                strong { (who) } " "
                span class={"badge " (if m.side == Side::Support { "info" } else { "muted" })} { (m.side.label(view.lang)) }
                " · " time class="muted" { (format_datetime(m.at, view.lang, view.zone)) }
            }
            @if !m.body.is_empty() { div class="msg-body" { (m.body) } }
            @if let Some(s) = m.state {
                p class="msg-state small" { (view.t("État :", "State:")) " " (state_badge(view, s)) }
            }
        }
    }
}

fn state_options(view: &View) -> Vec<(String, String)> {
    TicketState::ALL
        .iter()
        .map(|s| (s.key().to_string(), s.label(view.lang).to_string()))
        .collect()
}

fn answer_form(view: &View, v: &ThreadView) -> Markup {
    let t = v.ticket;
    let admin = is_admin(view);
    let states = state_options(view);
    let chosen = if v.typed.state.is_empty() {
        // The support side usually hands the ticket back to the merchant.
        if t.state == TicketState::Open {
            TicketState::WaitingMerchant.key()
        } else {
            t.state.key()
        }
    } else {
        v.typed.state.as_str()
    };
    html! {
        form class="form card answer" method="post" action={(PATH) "/" (t.id)} {
            h2 { (view.t("Répondre", "Answer")) }
            (csrf(view))
            (message_field(view, view.t("Message", "Message"), &v.typed.message, error_for(v.errors, "message", view.lang)))
            @if admin {
                (Select::new("state", view.t("État après la réponse", "State after the answer"), &states, chosen).required(true).render())
            } @else if t.state != TicketState::Open {
                p class="hint small" { (view.t("Votre message rouvre le ticket.", "Your message opens the ticket again.")) }
            }
            div class="actions" { button class="primary" type="submit" { (view.t("Envoyer le message", "Send the message")) } }
        }
    }
}

fn state_form(view: &View, t: &Ticket) -> Markup {
    let states: Vec<(String, String)> = state_options(view)
        .into_iter()
        .filter(|(k, _)| k != t.state.key())
        .collect();
    html! {
        form class="form card state-change" method="post" action={(PATH) "/" (t.id) "/state"} {
            h2 { (view.t("Changer l'état", "Change the state")) }
            (csrf(view))
            (Select::new("state", view.t("Nouvel état", "New state"), &states, "").id_prefix("s").required(true).render())
            p class="hint small" { (view.t("Sans message : rien n'est envoyé au marchand.", "Without a message: nothing is sent to the merchant.")) }
            div class="actions" { button type="submit" { (view.t("Changer l'état", "Change the state")) } }
        }
    }
}

/// A ticket: its facts, its thread (newest last) and the forms to go on.
pub fn thread_page(view: &View, v: &ThreadView) -> Markup {
    let t = v.ticket;
    let admin = is_admin(view);
    let name = ticket_name(view, t.id);
    let body = html! {
        p class="back" { a href=(PATH) { "‹ " (title(view)) } }
        div class="page-head" {
            h1 { (name) " · " (t.subject) " " (state_badge(view, t.state)) }
        }
        @if let Some((kind, text)) = &v.notice { (flash(kind, text)) }
        @if !v.errors.is_empty() { (flash("err", view.t("Corrigez le message : il n'est pas encore envoyé.", "Please correct the message: it is not sent yet."))) }
        section class="card ticket-facts" {
            dl class="kv" {
                @if admin {
                    dt { (view.t("Marchand", "Merchant")) }
                    dd { (v.merchant.map_or_else(|| t.merchant_id.to_string(), |m| m.name.clone())) }
                }
                dt { (view.t("Catégorie", "Category")) } dd { (t.category.label(view.lang)) }
                dt { (view.t("Transaction", "Transaction")) } dd { (transaction_ref(view, t.transaction_id)) }
                dt { (view.t("Ouvert par", "Opened by")) } dd { (t.opened_by_name) " · " (format_datetime(t.created_at, view.lang, view.zone)) }
                dt { (view.t("Dernière activité", "Last activity")) } dd { (format_datetime(t.updated_at, view.lang, view.zone)) }
            }
        }
        h2 { (view.t("Échanges", "Thread")) }
        ol class="thread" { @for m in v.thread { (entry(view, m, v.merchant)) } }
        @if t.state == TicketState::Closed {
            (flash("info", view.t(
                "Ce ticket est fermé : il ne prend plus de message.",
                "This ticket is closed: it takes no more messages.")))
            @if !admin { p { a class="button" href=(new_href(t.transaction_id)) { (view.t("Ouvrir un nouveau ticket", "Open a new ticket")) } } }
            @if !v.typed.message.is_empty() {
                section class="card unsent" {
                    h2 { (view.t("Votre message, non envoyé", "Your message, not sent")) }
                    div class="msg-body" { (v.typed.message) }
                }
            }
        } @else {
            (answer_form(view, v))
        }
        @if admin { (state_form(view, t)) }
    };
    page(view, &name, Tab::Support, None, body)
}

/// The transaction detail's Tickets tab: the tickets about it, and (for the
/// merchant's users) the way to open one.
pub fn transaction_tab(view: &View, tx: u64, tickets: &[Ticket]) -> Markup {
    let admin = is_admin(view);
    html! {
        @if !admin {
            div class="actions tab-actions" {
                a class="button primary" href=(new_href(Some(tx))) { (view.t("Ouvrir un ticket sur cette transaction", "Open a ticket about this transaction")) }
            }
        }
        @if tickets.is_empty() {
            p class="empty" { (view.t("Aucun ticket sur cette transaction.", "No ticket about this transaction.")) }
        } @else {
            (tickets_table(view, tickets, &BTreeSet::new(), None, false))
        }
    }
}
