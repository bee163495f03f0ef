//! The customer's pages after an attempt: the printable receipt of an accepted
//! payment, the refusal with what was being paid and whom to contact, and the pages of
//! links that can no longer be paid (paid, expired, blocked, cancelled, unknown).

use maud::{Markup, html};

use super::pay::{PayView, attempts_text, frame};
use crate::domain::c2p::ShopReturn;
use crate::domain::customer_ref::customer_reference;
use crate::domain::list_row::card_short;
use crate::domain::money::format_amount;
use crate::domain::payment::{PaymentRequest, RequestStatus};
use crate::domain::time::format_datetime;
use crate::domain::transaction::{Operation, Transaction};
use crate::fragments::kv::kv;
use crate::fragments::support::contact_line;

/// A link that can no longer be paid (paid, expired, blocked, cancelled) or is unknown.
pub fn closed_page(
    c: &PayView,
    req: Option<&PaymentRequest>,
    status: Option<RequestStatus>,
    paid: Option<&Transaction>,
) -> Markup {
    let (title, text) = match status {
        Some(RequestStatus::Paid) => (
            c.t("Demande déjà payée", "Request already paid"),
            c.t("Cette demande de paiement a déjà été réglée. Aucun nouveau paiement n'est possible.", "This payment request has already been paid. No further payment is possible."),
        ),
        Some(RequestStatus::Expired) => (
            c.t("Lien expiré", "Link expired"),
            c.t("Ce lien de paiement a expiré. Demandez un nouveau lien au marchand.", "This payment link has expired. Ask the merchant for a new link."),
        ),
        Some(RequestStatus::Blocked) => (
            c.t("Paiement bloqué", "Payment blocked"),
            c.t("Trop de tentatives ont été refusées : ce paiement est bloqué (code 585). Rien n'a été débité.", "Too many attempts were refused: this payment is blocked (code 585). Nothing was charged."),
        ),
        Some(RequestStatus::Cancelled) => (
            c.t("Demande annulée", "Request cancelled"),
            c.t("Le marchand a annulé cette demande de paiement. Rien n'a été débité.", "The merchant cancelled this payment request. Nothing was charged."),
        ),
        _ => (
            c.t("Lien inconnu", "Unknown link"),
            c.t("Ce lien de paiement n'existe pas. Vérifiez qu'il est complet ou demandez-en un nouveau au marchand.", "This payment link does not exist. Check that it is complete or ask the merchant for a new one."),
        ),
    };
    let body = html! {
        section class="card pay-closed" {
            h1 { (title) }
            p { (text) }
            @match (req, paid) {
                (Some(req), Some(tx)) => { (receipt(c, req, tx)) }
                (Some(req), None) => {
                    (recap(c, req))
                    @if status != Some(RequestStatus::Cancelled) { (contact(c, req)) }
                }
                _ => {}
            }
        }
    };
    frame(c, title, body)
}

/// What was being paid: merchant, order, amount (refusal and closed pages).
fn recap(c: &PayView, req: &PaymentRequest) -> Markup {
    kv(&[
        (c.t("Marchand", "Merchant"), c.merchant.clone()),
        (c.t("Commande n°", "Order no."), req.order_id.clone()),
        (
            c.t("Montant", "Amount"),
            format_amount(req.amount, req.currency, c.lang),
        ),
    ])
}

/// Whom to ask: the merchant record holds no email, phone or website, so the page says
/// plainly to go back to the shop where the order was placed, with the order number.
fn contact(c: &PayView, req: &PaymentRequest) -> Markup {
    html! {
        div class="pay-contact" {
            h2 { (c.t("Contacter le marchand", "Contact the merchant")) }
            p {
                (c.t("Cette page ne donne pas les coordonnées du marchand : contactez ", "This page does not hold the merchant's contact details: contact "))
                strong { (c.merchant) }
                (c.t(" là où vous avez passé commande (site, boutique, email reçu), en citant la commande ", " where you placed your order (website, shop, email you received), quoting order "))
                strong { (req.order_id) }
                "."
            }
            @if !c.support.is_empty() {
                p class="small" {
                    (c.t("Un problème technique avec cette page de paiement ? Le support de la passerelle : ", "A technical problem with this payment page? The gateway's support: "))
                    (contact_line(c.lang, &c.support))
                }
            }
        }
    }
}

/// A check mark in a circle, drawn inline.
fn success_icon() -> Markup {
    html! {
        svg class="pay-icon" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" {
            circle cx="24" cy="24" r="22" fill="#e5f4ea" stroke="#1a6e37" stroke-width="2" {}
            path d="M14 25l7 7 13-15" fill="none" stroke="#1a6e37" stroke-width="4" stroke-linecap="round" stroke-linejoin="round" {}
        }
    }
}

/// The receipt of an accepted payment: the customer's reference, never the
/// gateway-wide transaction number; a print button (hidden when printed).
fn receipt(c: &PayView, req: &PaymentRequest, tx: &Transaction) -> Markup {
    let card = card_short(tx.card.as_ref()).unwrap_or_default();
    let reference = customer_reference(req);
    let rows = [
        (c.t("Marchand", "Merchant"), c.merchant.clone()),
        (c.t("Commande n°", "Order no."), req.order_id.clone()),
        (c.t("Référence", "Reference"), reference.clone()),
        (
            c.t("Montant", "Amount"),
            format_amount(tx.amount, tx.currency, c.lang),
        ),
        (
            c.t("Date", "Date"),
            format_datetime(tx.at, c.lang, c.view.zone),
        ),
        (c.t("Carte", "Card"), card),
    ];
    html! {
        div class="pay-receipt" {
            h2 { (c.t("Reçu", "Receipt")) }
            (kv(&rows))
            @if !req.description.is_empty() { p class="small muted" { (req.description) } }
            p class="small muted" {
                (c.t("Pour toute question, citez la référence ", "For any question, quote the reference "))
                strong { (reference) } (c.t(" au marchand.", " to the merchant."))
            }
            div class="actions no-print" {
                button class="secondary" type="button" onclick="window.print()" { (c.t("Imprimer le reçu", "Print the receipt")) }
            }
        }
    }
}

/// The outcome of one attempt.
pub fn result_page(
    c: &PayView,
    req: &PaymentRequest,
    tx: &Transaction,
    (status, attempts_left): (RequestStatus, u32),
    back: Option<&ShopReturn>,
) -> Markup {
    let accepted = tx.code.is_accepted();
    let title = if accepted {
        if tx.operation == Operation::Authorization {
            c.t("Paiement autorisé", "Payment authorized")
        } else {
            c.t("Paiement accepté", "Payment accepted")
        }
    } else {
        c.t("Paiement refusé", "Payment declined")
    };
    let retry = format!("/payment/{}?lang={}", req.token, c.lang.code());
    let body = html! {
        section class={"card pay-result " (if accepted { "ok" } else { "ko" })} {
            @if accepted { (success_icon()) }
            h1 { (title) }
            // The heading already says "accepted": the code's sentence would repeat it.
            @if !accepted {
                p class="lead" { (tx.code.customer_text(c.lang)) }
            } @else if tx.operation == Operation::Authorization {
                p class="lead" { (c.t("Le montant est réservé sur votre carte et sera débité à la validation de la commande.", "The amount is held on your card and will be charged when the order is confirmed.")) }
            }
            @if accepted {
                p class="pay-amount" { (format_amount(tx.amount, tx.currency, c.lang)) }
                (receipt(c, req, tx))
            } @else {
                p class="small muted" { (c.t("Code", "Code")) " " (tx.code) " · " (c.t("rien n'a été débité", "nothing was charged")) }
                (recap(c, req))
                @match status {
                    RequestStatus::Waiting => {
                        p { (attempts_text(c.lang, attempts_left)) }
                        p { a class="button primary" href=(retry) { (c.t("Réessayer", "Try again")) } }
                        (contact(c, req))
                    }
                    RequestStatus::Blocked => {
                        p { (c.t("Ce paiement est maintenant bloqué après trop de tentatives.", "This payment is now blocked after too many attempts.")) }
                        (contact(c, req))
                    }
                    RequestStatus::Paid => {
                        p { a href=(retry) { (c.t("Cette demande a été payée depuis.", "This request has been paid since.")) } }
                    }
                    _ => {
                        p { (c.t("Ce lien ne permet plus de payer.", "This link can no longer be used to pay.")) }
                        (contact(c, req))
                    }
                }
            }
            @if let Some(r) = back { (shop_return(c, r)) }
        }
    };
    frame(c, title, body)
}

/// The way back to the shop of an API payment that has ended: a form posting the
/// encrypted status, sent by itself after a few seconds (`return.js`), or by hand.
fn shop_return(c: &PayView, r: &ShopReturn) -> Markup {
    html! {
        form class="shop-return no-print" method="post" action=(r.url) data-autosubmit="3" {
            input type="hidden" name="data" value=(r.data);
            input type="hidden" name="customer" value=(r.customer);
            p class="small muted" data-autosubmit-note { (c.t("Vous allez être renvoyé sur le site du marchand.", "You will be taken back to the merchant's site.")) }
            button class="primary" type="submit" { (c.t("Retourner sur le site du marchand", "Back to the merchant's site")) }
        }
        script src="/static/return.js" defer {}
    }
}
