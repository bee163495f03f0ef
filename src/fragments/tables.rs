//! Shared result tables: transactions (the list and a detail's Associated tab) and
//! emails (Parameters › Emails and a payment request's page).

use maud::{Markup, html};

use crate::domain::merchant::name_of;
use crate::domain::money::format_amount;
use crate::domain::outbox::{Mail, MailKind, MailState};
use crate::domain::time::format_datetime;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::badges::{mail_state, result_badge};

/// The payment method column: always a card for now.
pub fn card_type(view: &View) -> &'static str {
    view.t("Carte bancaire", "Credit card")
}

/// The transactions results table (the list, and the Associated tab of a detail).
pub fn transactions_table(view: &View, rows: &[Transaction], merchants: &[Merchant]) -> Markup {
    html! {
        div class="table-wrap" {
            table class="grid" id="tx-table" {
                thead { tr {
                    th { (view.t("Identifiant de transaction", "Transaction ID")) } th { "Type" } th { (view.t("Opération", "Operation")) }
                    th { (view.t("Initiateur", "Initiator")) } th class="num" { (view.t("Montant", "Amount")) } th { "Date" }
                    th { (view.t("Résultat", "Result")) } th { "Actions" }
                } }
                tbody {
                    @if rows.is_empty() {
                        tr { td colspan="8" class="muted" { (view.t("Aucune transaction ne correspond à ces critères.", "No transaction matches these criteria.")) } }
                    }
                    @for tx in rows {
                        tr {
                            td class="num" { a href={"/transactions/" (tx.id)} { (tx.id) } }
                            td { (card_type(view)) }
                            td { (tx.operation.label(view.lang)) }
                            td { (name_of(merchants, tx.merchant_id)) }
                            td class="num" { (format_amount(tx.amount, tx.currency, view.lang)) }
                            td class="nowrap" { (format_datetime(tx.at)) }
                            td { (result_badge(view, tx.code)) }
                            td { a href={"/transactions/" (tx.id)} title=(view.t("Détails", "Details")) aria-label=(view.t("Détails", "Details")) {
                                svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" {
                                    circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="1.8" {}
                                    line x1="10" y1="10" x2="14.5" y2="14.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" {}
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// What an email is about, in words.
pub fn mail_kind(view: &View, k: MailKind) -> &'static str {
    match k {
        MailKind::PaymentLink => view.t("Lien de paiement", "Payment link"),
        MailKind::Receipt => view.t("Reçu", "Receipt"),
    }
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
