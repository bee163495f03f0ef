//! The Operations tab of a transaction (OPS-1 … OPS-4) and the confirmation step.

use maud::{Markup, html};

use super::layout::processing_page;
use super::transaction::Notice;
use crate::domain::Lang;
use crate::domain::detail::TransactionDetail;
use crate::domain::money::{Amount, format_amount};
use crate::domain::operation_rules::{OPERATIONS, operation_allowed};
use crate::domain::transaction::Operation;
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::csrf;

/// What each operation does, in the guide's words.
fn explain(view: &View, op: Operation) -> &'static str {
    match op {
        Operation::Refund => view.t(
            "L'opération de remboursement produira un crédit sur le compte du client en relation avec la transaction courante. Total ou partiel, une seule fois.",
            "A refund credits the customer's account for this transaction. Total or partial, once.",
        ),
        Operation::Capture => view.t(
            "L'opération de capture réglera la transaction et générera le débit sur le compte du client (dans les 7 jours de l'autorisation).",
            "A capture settles the transaction and debits the customer's account (within 7 days of the authorization).",
        ),
        Operation::Cancel => view.t(
            "L'opération d'annulation abandonnera la réservation des fonds mise en place par l'opération d'autorisation.",
            "A cancellation releases the funds held by the authorization.",
        ),
        _ => view.t(
            "La refacturation débite de nouveau la carte enregistrée du client (son token), sans sa présence.",
            "A rebill charges the customer's stored card (its token) again, without them.",
        ),
    }
}

pub fn operations_tab(view: &View, d: &TransactionDetail, notice: Option<&Notice>) -> Markup {
    let kids = d.children();
    let now = view.now;
    html! {
        @if let Some(n) = notice { (flash(n.kind, &n.text)) }
        div class="ops" {
            @for op in OPERATIONS {
                @let allowed = operation_allowed(op, &d.tx, &kids, now);
                section class={"card op" (if allowed.is_err() { " off" } else { "" })} {
                    h2 { (op.label(view.lang)) }
                    @match allowed {
                        Ok(max) => {
                            p class="small muted" { (explain(view, op)) }
                            form class="form" method="get" action={"/transactions/" (d.tx.id) "/operations/" (op.key())} {
                                @if op != Operation::Cancel {
                                    div class="field" {
                                        label for={"f-amount-" (op.key())} class="req" { (view.t("Montant", "Amount")) " (" (d.tx.currency.code()) ")" }
                                        input id={"f-amount-" (op.key())} name="amount" value=(max.to_decimal_string()) inputmode="decimal" required;
                                        @if matches!(op, Operation::Refund | Operation::Capture) {
                                            small class="hint" { (view.t("Au plus", "At most")) " " (format_amount(max, d.tx.currency, view.lang)) }
                                        }
                                    }
                                } @else {
                                    p { (view.t("Montant libéré :", "Amount released:")) " " strong { (format_amount(max, d.tx.currency, view.lang)) } }
                                }
                                div class="actions" { button type="submit" { (view.t("Continuer…", "Continue…")) } }
                            }
                        }
                        Err(why) => {
                            p class="muted" { (view.t("Impossible : ", "Not possible: ")) (why.message(view.lang, d.tx.currency)) }
                        }
                    }
                }
            }
        }
    }
}

/// What the operation will do, in one sentence.
fn confirm_text(lang: Lang, op: Operation, money: &str, card: &str) -> String {
    match (lang, op) {
        (Lang::Fr, Operation::Refund) => {
            format!("Rembourser {money} au client sur la carte {card}.")
        }
        (Lang::En, Operation::Refund) => {
            format!("Refund {money} to the customer on card {card}.")
        }
        (Lang::Fr, Operation::Capture) => {
            format!("Capturer {money} : la carte {card} sera débitée.")
        }
        (Lang::En, Operation::Capture) => {
            format!("Capture {money}: card {card} will be debited.")
        }
        (Lang::Fr, Operation::Cancel) => format!(
            "Annuler l'autorisation : les {money} réservés sur la carte {card} seront libérés. Elle ne pourra plus être capturée."
        ),
        (Lang::En, Operation::Cancel) => format!(
            "Cancel the authorization: the {money} held on card {card} will be released. It can no longer be captured."
        ),
        (Lang::Fr, _) => {
            format!("Débiter de nouveau {money} sur la carte enregistrée {card}.")
        }
        (Lang::En, _) => format!("Charge {money} again on the stored card {card}."),
    }
}

/// The confirmation step: what will happen, then Confirm or go back.
/// `key` is the one-time key of the confirmation form (the handler makes it), so a
/// double submit runs the operation once.
pub fn confirm_page(
    view: &View,
    d: &TransactionDetail,
    op: Operation,
    amount: Amount,
    key: &str,
) -> Markup {
    let tx = &d.tx;
    let card = tx.card.as_ref().map(|c| c.masked()).unwrap_or_default();
    let money = format_amount(amount, tx.currency, view.lang);
    let what = confirm_text(view.lang, op, &money, &card);
    let title = format!(
        "{} · {} {}",
        op.label(view.lang),
        view.t("transaction", "transaction"),
        tx.id
    );
    let back = format!("/transactions/{}?tab=operations", tx.id);
    let body = html! {
        p class="small" { a href=(back) { "‹ " (view.t("Transaction", "Transaction")) " " (tx.id) } }
        h1 { (view.t("Confirmer : ", "Confirm: ")) (op.label(view.lang)) }
        section class="card confirm" {
            p class="lead" { strong { (what) } }
            dl class="kv" {
                dt { (view.t("Transaction d'origine", "Original transaction")) }
                dd { (tx.id) " · " (tx.operation.label(view.lang)) " · " (format_amount(tx.amount, tx.currency, view.lang)) }
                dt { (view.t("Commande", "Order")) } dd { (tx.sale.order_id) }
                dt { (view.t("Client", "Customer")) } dd { (tx.buyer.name) " " (tx.buyer.email) }
            }
            p class="small muted" { (view.t("Une nouvelle transaction sera écrite et liée à celle-ci ; l'action sera inscrite dans l'historique avec votre nom et votre adresse IP.", "A new transaction will be written and linked to this one; the action goes into the history with your name and IP address.")) }
            form method="post" action={"/transactions/" (tx.id) "/operations/" (op.key())} {
                (csrf(view))
                input type="hidden" name="amount" value=(amount.to_decimal_string());
                input type="hidden" name="key" value=(key);
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Confirmer", "Confirm")) " : " (op.label(view.lang)) " " (money) }
                    a class="button" href=(back) { (view.t("Annuler", "Go back")) }
                }
            }
        }
    };
    processing_page(view, &title, "/transactions", body)
}
