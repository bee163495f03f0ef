//! Shared result tables: transactions (the list and a detail's Associated tab) and
//! emails (Parameters › Emails and a payment request's page).

use maud::{Markup, html};

use crate::domain::list_row::{
    Followup, card_short, customer, followup, is_outgoing, signed_amount, status_line,
};
use crate::domain::merchant::name_of;
use crate::domain::outbox::{Mail, MailKind, MailState};
use crate::domain::time::{date_header, format_datetime, format_datetime_cell};
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::badges::mail_state;
use crate::fragments::breakable;

/// The payment method column: always a card for now.
pub fn card_type(view: &View) -> &'static str {
    view.t("Carte bancaire", "Credit card")
}

/// The transactions results table (the list, and the Associated tab of a detail).
///
/// Every cell but the first carries a `data-label` (its column name) so that, on a
/// phone, the stylesheet can turn each row into a stacked card with labelled lines.
/// The first cell stays a bare `<td class="num">` holding the detail link.
pub fn transactions_table(view: &View, rows: &[Transaction], merchants: &[Merchant]) -> Markup {
    transactions_table_with(view, rows, merchants, &[])
}

/// The transactions table with each row's flag ("Remboursée", "Capturée", …) from
/// `children`, the follow-up rows of the rows shown.
pub fn transactions_table_with(
    view: &View,
    rows: &[Transaction],
    merchants: &[Merchant],
    children: &[Transaction],
) -> Markup {
    let h_op = view.t("Opération", "Operation");
    let h_cust = view.t("Client / commande", "Customer / order");
    let h_card = view.t("Carte", "Card");
    let h_init = view.t("Initiateur", "Initiator");
    let h_amount = view.t("Montant", "Amount");
    let h_status = view.t("Statut", "Status");
    let h_date = date_header(view.lang, view.zone);
    // A merchant's own users see one initiator on every row: the column says nothing.
    let show_init = merchants.len() > 1;
    html! {
        div class="table-wrap tx-wrap" {
            table class=(if show_init { "grid tx-list" } else { "grid tx-list no-init" }) id="tx-table" {
                thead { tr {
                    th class="num" { abbr title=(view.t("Identifiant de transaction", "Transaction ID")) { (view.t("N°", "No.")) } } th { (h_op) } th { (h_card) }
                    th { (h_cust) } @if show_init { th { (h_init) } } th class="num" { (h_amount) } th { (h_date) }
                    th { (h_status) } th class="c-link" { span class="sr-only" { "Actions" } }
                } }
                tbody {
                    @if rows.is_empty() {
                        tr class="empty" { td colspan=(if show_init { "9" } else { "8" }) class="muted" { (view.t("Aucune transaction ne correspond à ces critères.", "No transaction matches these criteria.")) } }
                    }
                    @for tx in rows {
                        tr class=[is_outgoing(tx.operation).then_some("outgoing")] {
                            td class="num" { a href={"/transactions/" (tx.id)} { (tx.id) } }
                            td class="c-op" data-label=(h_op) {
                                (tx.operation.label(view.lang))
                                @if let Some(f) = followup(tx, children) {
                                    " " span class={"badge flag flag-" (flag_class(f))} { (f.label(view.lang)) }
                                }
                            }
                            td class="c-card" data-label=(h_card) {
                                @match card_short(tx.card.as_ref()) { Some(c) => (c), None => span class="muted" { "—" } }
                            }
                            td class="c-cust" data-label=(h_cust) { (customer_cell(tx)) }
                            @if show_init { td class="c-init" data-label=(h_init) { (name_of(merchants, tx.merchant_id)) } }
                            td class="num c-amount" data-label=(h_amount) { (signed_amount(tx.operation, tx.amount, tx.currency, view.lang)) }
                            td class="nowrap c-date" data-label=(h_date) { (format_datetime_cell(tx.at, view.lang, view.zone)) }
                            td class="c-status" data-label=(h_status) { (status_cell(view, tx)) }
                            td class="c-link" { (detail_link(view, tx.id)) }
                        }
                    }
                }
            }
        }
    }
}

/// The buyer (name, else email) and the order id under it; a dash when neither. One
/// line each cut with an ellipsis on a laptop (the whole in the tooltip), wrapping at
/// sensible points only in a phone's card.
pub fn customer_cell(tx: &Transaction) -> Markup {
    let who = customer(tx);
    let order = tx.sale.order_id.trim();
    let title = [who.unwrap_or(""), order]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ");
    html! {
        @if who.is_none() && order.is_empty() {
            span class="muted" { "—" }
        } @else {
            span class="cust" title=(title) {
                @if let Some(w) = who { span class="cust-name" { (breakable(w)) } }
                @if !order.is_empty() { span class="cust-order" { (breakable(order)) } }
            }
        }
    }
}

/// "Refusée · 051" as a badge whose tooltip is the code's meaning, and for a refusal
/// the meaning in a few words on its own line under it (the whole text in its tooltip).
fn status_cell(view: &View, tx: &Transaction) -> Markup {
    let accepted = tx.code.is_accepted();
    let meaning = tx.code.text(view.lang);
    html! {
        span class={"badge " (if accepted { "ok" } else { "ko" })} title=(meaning) { (status_line(tx.code, view.lang)) }
        @if !accepted { " " span class="tx-reason" title=(meaning) { (tx.code.short_text(view.lang)) } }
    }
}

/// The magnifier link to a transaction: named with its number, a word on phones.
fn detail_link(view: &View, id: u64) -> Markup {
    let name = format!(
        "{} {id}",
        view.t("Détails de la transaction", "Details of transaction")
    );
    html! {
        a class="tx-open" href={"/transactions/" (id)} title=(name) aria-label=(name) {
            svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" {
                circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="1.8" {}
                line x1="10" y1="10" x2="14.5" y2="14.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" {}
            }
            span class="tx-open-word" aria-hidden="true" { (view.t("Détails", "Details")) }
        }
    }
}

/// What an email is about, in words.
pub fn mail_kind(view: &View, k: MailKind) -> &'static str {
    match k {
        MailKind::PaymentLink => view.t("Lien de paiement", "Payment link"),
        MailKind::Receipt => view.t("Reçu", "Receipt"),
        MailKind::Welcome => view.t("Lien de bienvenue", "Welcome link"),
        MailKind::Ticket => view.t("Ticket de support", "Support ticket"),
        MailKind::TemplateTest => view.t("Test de modèle", "Template test"),
    }
}

/// The page an email is about: its payment request, its support ticket.
pub fn mail_link(m: &Mail) -> Option<String> {
    match (m.kind, m.request_id) {
        (_, 0) | (MailKind::Welcome | MailKind::TemplateTest, _) => None,
        (MailKind::Ticket, id) => Some(format!("/support/{id}")),
        (MailKind::PaymentLink | MailKind::Receipt, id) => Some(format!("/payment-requests/{id}")),
    }
}

/// Emails with their state and last attempt.
pub fn mails_table(view: &View, mails: &[Mail]) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr { th { (view.t("N°", "No.")) } th { (view.t("Créé le", "Created")) } th { (view.t("Type", "Kind")) } th { (view.t("Destinataire", "To")) } th { (view.t("Objet", "Subject")) } th { (view.t("État", "State")) } th { (view.t("Essais", "Attempts")) } th { (view.t("Dernier essai", "Last attempt")) } } }
            tbody { @for m in mails {
                tr {
                    td { (m.id) }
                    td class="nowrap" { (format_datetime(m.created_at, view.lang, view.zone)) }
                    td { (mail_kind(view, m.kind)) }
                    td { (m.to) }
                    td { @if let Some(href) = mail_link(m) { a href=(href) { (m.subject) } } @else { (m.subject) } }
                    td { (mail_state(view, m)) }
                    td class="num" { (m.attempts.len()) }
                    td { @if let Some(a) = m.attempts.last() {
                        (format_datetime(a.at, view.lang, view.zone)) " · "
                        @match &a.error { None => (view.t("accepté par le serveur", "accepted by the server")), Some(e) => span class="error" { (e) } }
                    } @else if m.state == MailState::Pending {
                        (view.t("pas encore essayé", "not tried yet"))
                    } }
                }
            } }
        } }
    }
}

/// The look of a list flag: a dispute stands out, a cancellation is muted.
fn flag_class(f: Followup) -> &'static str {
    match f {
        Followup::ChargedBack => "dispute",
        Followup::Cancelled => "cancel",
        _ => "done",
    }
}
