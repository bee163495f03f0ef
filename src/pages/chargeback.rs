//! Recording a chargeback (an issuer's dispute): its form on the Operations tab,
//! shown to administrators only, and its confirmation step.

use maud::{Markup, html};

use super::layout::processing_page;
use super::transaction::Notice;
use crate::domain::chargeback::ChargebackReason;
use crate::domain::detail::TransactionDetail;
use crate::domain::list_row::card_short;
use crate::domain::money::{Amount, format_amount, format_number};
use crate::domain::transaction::Operation;
use crate::fragments::View;
use crate::fragments::form::csrf;

/// The DOM id of the chargeback form's section.
pub const SECTION_ID: &str = "op-chargeback";

fn action(d: &TransactionDetail) -> String {
    format!("/transactions/{}/chargeback", d.tx.id)
}

/// The chargeback form: the amount (at most `max`, what is left), the reason and the
/// dispute date; a refusal (`notice`) goes under the amount with what was typed.
pub fn chargeback_card(
    view: &View,
    d: &TransactionDetail,
    max: Amount,
    notice: Option<&Notice>,
) -> Markup {
    let refused = notice.filter(|n| {
        n.at.as_ref()
            .is_some_and(|(op, _)| *op == Operation::Chargeback)
    });
    let typed = refused.and_then(|n| n.at.as_ref()).map(|(_, t)| t.clone());
    let (reason, date) = refused
        .and_then(|n| n.dispute.clone())
        .unwrap_or_else(|| (String::new(), view.now.date().to_string()));
    let currency = d.tx.currency;
    let amount = typed.unwrap_or_else(|| format_number(max, currency, view.lang));
    let described = if refused.is_some() {
        "f-cb-amount-hint f-cb-err"
    } else {
        "f-cb-amount-hint"
    };
    html! {
        section class="card op" id=(SECTION_ID) aria-labelledby="op-chargeback-title" {
            h2 id="op-chargeback-title" { (view.t("Enregistrer un impayé (chargeback)", "Record a chargeback")) }
            p class="small muted" { (view.t(
                "La banque du porteur conteste ce paiement et reprend tout ou partie du montant au marchand. Réservé aux administrateurs ; le marchand le voit dans la liste et l'historique.",
                "The cardholder's bank disputes this payment and takes all or part of the amount back from the merchant. Administrators only; the merchant sees it in the list and the history.",
            )) }
            form class="form" method="get" action=(action(d)) {
                div class="field" {
                    label for="f-cb-amount" class="req" { (view.t("Montant contesté", "Disputed amount")) " (" (currency.code()) ")" }
                    input id="f-cb-amount" name="amount" value=(amount) inputmode="decimal" autocomplete="off" required
                        aria-invalid=[refused.map(|_| "true")] aria-describedby=(described);
                    @if let Some(n) = refused { small class="error" id="f-cb-err" { (n.text) } }
                    small class="hint" id="f-cb-amount-hint" {
                        (view.t("Au plus", "At most")) " " (format_amount(max, currency, view.lang))
                        " " (view.t("(le montant moins les remboursements et impayés déjà enregistrés).", "(the amount less refunds and chargebacks already recorded)."))
                    }
                }
                div class="field" {
                    label for="f-cb-reason" class="req" { (view.t("Motif", "Reason")) }
                    select id="f-cb-reason" name="reason" required {
                        option value="" selected[reason.is_empty()] { (view.t("— Choisir —", "— Choose —")) }
                        @for r in ChargebackReason::ALL {
                            option value=(r.key()) selected[reason == r.key()] {
                                (r.label(view.lang))
                                @if let Some(codes) = r.scheme_codes() { " (" (codes) ")" }
                            }
                        }
                    }
                }
                div class="field" {
                    label for="f-cb-date" class="req" { (view.t("Date de l'impayé", "Date of the chargeback")) }
                    input id="f-cb-date" name="date" type="date" value=(date) required
                        min=(d.tx.created_at().date().to_string()) max=(view.now.date().to_string())
                        aria-describedby="f-cb-date-hint";
                    small class="hint" id="f-cb-date-hint" { (view.t("Le jour où la banque l'a notifié (AAAA-MM-JJ).", "The day the bank notified it (YYYY-MM-DD).")) }
                }
                div class="actions" { button type="submit" { (view.t("Continuer…", "Continue…")) } }
            }
        }
    }
}

/// What the confirmation will record, checked: the amount, the reason and the date.
pub struct Checked<'a> {
    pub amount: Amount,
    pub reason: ChargebackReason,
    pub on: time::Date,
    /// The one-time key of the confirmation form.
    pub key: &'a str,
}

/// The confirmation step: what will be recorded, then Record or go back.
pub fn chargeback_confirm_page(view: &View, d: &TransactionDetail, c: &Checked) -> Markup {
    let tx = &d.tx;
    let card = card_short(tx.card.as_ref()).unwrap_or_default();
    let money = format_amount(c.amount, tx.currency, view.lang);
    let back = format!("/transactions/{}?tab=operations", tx.id);
    let title = format!(
        "{} · transaction {}",
        view.t("Enregistrer un impayé", "Record a chargeback"),
        tx.id
    );
    let body = html! {
        p class="small" { a href=(back) { "‹ " (view.t("Transaction", "Transaction")) " " (tx.id) } }
        h1 { (view.t("Confirmer l'impayé (chargeback)", "Confirm the chargeback")) }
        section class="card confirm" {
            p class="lead" { strong {
                (view.t("La banque du porteur reprend ", "The cardholder's bank takes back "))
                span class="nowrap" { (money) }
                (view.t(" au marchand sur le paiement par carte ", " from the merchant on the payment by card "))
                (card) "."
            } }
            dl class="kv" {
                dt { (view.t("Transaction d'origine", "Original transaction")) }
                dd { (tx.id) " · " (tx.operation.label(view.lang)) " · " (format_amount(tx.amount, tx.currency, view.lang)) }
                dt { (view.t("Motif", "Reason")) }
                dd { (c.reason.label(view.lang)) }
                dt { (view.t("Date de l'impayé", "Date of the chargeback")) }
                dd { (c.on.to_string()) }
            }
            p class="small muted" { (view.t("Une nouvelle transaction sera écrite et liée à celle-ci ; l'action sera inscrite dans l'historique et le journal d'audit avec votre nom et votre adresse IP.", "A new transaction will be written and linked to this one; the action goes into the history and the audit log with your name and IP address.")) }
            form method="post" action=(action(d)) {
                (csrf(view))
                // As people write it in this language: the next step reads it back so.
                input type="hidden" name="amount" value=(format_number(c.amount, d.tx.currency, view.lang));
                input type="hidden" name="reason" value=(c.reason.key());
                input type="hidden" name="date" value=(c.on.to_string());
                input type="hidden" name="key" value=(c.key);
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Enregistrer l'impayé de ", "Record the chargeback of ")) span class="nowrap" { (money) } }
                    a class="button" href=(back) { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    processing_page(view, &title, "/transactions", body)
}
