//! The summary at the top of a transaction detail (issue 10): what it is, how much,
//! whether it went through, what was refunded, the card, the customer, the date, and
//! the operations the user may start from here.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::detail::{Refunded, TransactionDetail};
use crate::domain::list_row::{card_short, charged_back_amount, signed_amount, status_line};
use crate::domain::money::{Amount, Currency, format_amount, format_number};
use crate::domain::operation_rules::operation_allowed;
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::transaction::{AuthorizationState, Operation, Status, authorization_state};
use crate::fragments::View;

/// The id of the summary's heading (the section is labelled by it).
pub const SUMMARY_TITLE_ID: &str = "tx-title";

/// "Remboursée partiellement" and "625,25 / 1 250,50 MAD", or `None` when nothing went
/// back. Two parts so that the amounts never break across lines.
pub fn refunded_parts(
    r: Refunded,
    currency: Currency,
    lang: Lang,
) -> Option<(&'static str, String)> {
    match r {
        Refunded::No => None,
        Refunded::Partly { refunded, of } => Some((
            lang.pick("Remboursée partiellement", "Partially refunded"),
            format!(
                "{} / {} {}",
                format_number(refunded, currency, lang),
                format_number(of, currency, lang),
                currency.code()
            ),
        )),
        Refunded::Fully(a) => Some((
            lang.pick("Remboursée en totalité :", "Fully refunded:"),
            format_amount(a, currency, lang),
        )),
    }
}

/// "Impayé (chargeback) :" and "100,00 / 250,00 MAD" (what the issuer disputed of
/// the debit), or `None` when nothing was.
pub fn charged_back_parts(
    disputed: Amount,
    of: Amount,
    currency: Currency,
    lang: Lang,
) -> Option<(&'static str, String)> {
    (!disputed.is_zero()).then(|| {
        (
            lang.pick("Impayé (chargeback) :", "Charged back:"),
            format!(
                "{} / {} {}",
                format_number(disputed, currency, lang),
                format_number(of, currency, lang),
                currency.code()
            ),
        )
    })
}

/// What an accepted authorization is waiting for, in words.
fn authorization_line(view: &View, d: &TransactionDetail) -> Option<String> {
    let tx = &d.tx;
    if tx.operation != Operation::Authorization || tx.status() != Status::Accepted {
        return None;
    }
    Some(match authorization_state(tx, &d.children(), view.now) {
        AuthorizationState::Pending { expires_at } => format!(
            "{} {}",
            view.t("En attente de capture jusqu'au", "Awaiting capture until"),
            format_datetime(expires_at.unix_timestamp(), view.lang, view.zone)
        ),
        AuthorizationState::Captured => view
            .t("Autorisation capturée", "Authorization captured")
            .into(),
        AuthorizationState::Cancelled => view
            .t("Autorisation annulée", "Authorization cancelled")
            .into(),
        AuthorizationState::Expired => view
            .t(
                "Autorisation expirée (7 jours sans capture)",
                "Authorization expired (7 days without capture)",
            )
            .into(),
    })
}

/// The quick actions: refund, capture, cancel, when the user may operate and the
/// rules allow them now. Each opens its form on the Operations tab.
fn quick_actions(view: &View, d: &TransactionDetail) -> Vec<(Operation, &'static str)> {
    if !view.user().is_some_and(|u| u.may(Permission::Operate)) {
        return Vec::new();
    }
    let kids = d.children();
    [
        (Operation::Refund, view.t("Rembourser", "Refund")),
        (Operation::Capture, view.t("Capturer", "Capture")),
        (
            Operation::Cancel,
            view.t("Annuler l'autorisation", "Cancel the authorization"),
        ),
    ]
    .into_iter()
    .filter(|(op, _)| operation_allowed(*op, &d.tx, &kids, view.now).is_ok())
    .collect()
}

/// The summary block: heading, amount and status, then the facts and the actions.
pub fn summary(view: &View, d: &TransactionDetail) -> Markup {
    let tx = &d.tx;
    let accepted = tx.code.is_accepted();
    let meaning = tx.code.text(view.lang);
    let card = tx
        .card
        .as_ref()
        .filter(|c| !c.last4.is_empty())
        .and_then(|c| card_short(Some(c)));
    let customer: Vec<&str> = [tx.buyer.name.as_str(), tx.buyer.email.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let actions = quick_actions(view, d);
    html! {
        section class="tx-summary" aria-labelledby=(SUMMARY_TITLE_ID) {
            div class="sum-head" {
                h1 id=(SUMMARY_TITLE_ID) {
                    span class="sum-id" { (view.t("Transaction", "Transaction")) " " (tx.id) }
                    " · " span class="sum-op" { (tx.operation.label(view.lang)) }
                }
                p class="sum-money" {
                    strong class="sum-amount" { (signed_amount(tx.operation, tx.amount, tx.currency, view.lang)) }
                    " "
                    span class={"badge " (if accepted { "ok" } else { "ko" })} title=(meaning) { (status_line(tx.code, view.lang)) }
                }
                @if !accepted { p class="sum-reason" { (meaning) } }
                @if let Some((words, amounts)) = refunded_parts(d.refunded(), tx.currency, view.lang) {
                    p class="sum-refunded" { (words) " " span class="nowrap" { (amounts) } }
                }
                @if let Some((words, amounts)) = charged_back_parts(charged_back_amount(tx, &d.children()), tx.amount, tx.currency, view.lang) {
                    p class="sum-refunded sum-disputed" { (words) " " span class="nowrap" { (amounts) } }
                }
                @if let Some(line) = authorization_line(view, d) {
                    p class="sum-state" { (line) }
                }
            }
            dl class="sum-facts" {
                @if let Some(c) = card { div { dt { (view.t("Carte", "Card")) } dd { (c) } } }
                @if !customer.is_empty() { div { dt { (view.t("Client", "Customer")) } dd { (customer.join(" · ")) } } }
                div { dt { "Date" } dd { (format_datetime(tx.at, view.lang, view.zone)) } }
                @if !tx.sale.order_id.is_empty() { div { dt { (view.t("Commande", "Order")) } dd { (tx.sale.order_id) } } }
                @if let Some(r) = d.payment_request_id() {
                    div { dt { (view.t("Demande de paiement", "Payment request")) } dd {
                        a href={"/payment-requests/" (r)} { (view.t("Demande", "Request")) " " (r) }
                    } }
                }
                @if let Some(p) = d.parent() {
                    div { dt { (view.t("Suite de", "Follows")) } dd {
                        a href={"/transactions/" (p.id)} { (p.operation.label(view.lang)) " " (p.id) }
                    } }
                }
            }
            @if !actions.is_empty() {
                div class="sum-actions" {
                    @for (op, label) in &actions {
                        a class="button" href={"/transactions/" (tx.id) "?tab=operations#op-" (op.key())} { (label) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charged_back_line_reads_part_over_whole_in_both_languages() {
        let (part, of) = (
            Amount::from_minor(10_000).unwrap(),
            Amount::from_minor(25_000).unwrap(),
        );
        let line = |d, lang| {
            charged_back_parts(d, of, Currency::Mad, lang).map(|(w, a)| format!("{w} {a}"))
        };
        assert_eq!(
            line(part, Lang::Fr).unwrap(),
            "Impayé (chargeback) : 100,00 / 250,00 MAD"
        );
        assert_eq!(
            line(part, Lang::En).unwrap(),
            "Charged back: 100.00 / 250.00 MAD"
        );
        assert_eq!(line(Amount::ZERO, Lang::Fr), None);
    }

    #[test]
    fn the_refunded_line_reads_part_over_whole_in_both_languages() {
        let r = Refunded::Partly {
            refunded: Amount::from_minor(62_525).unwrap(),
            of: Amount::from_minor(125_050).unwrap(),
        };
        let line =
            |r, lang| refunded_parts(r, Currency::Mad, lang).map(|(w, a)| format!("{w} {a}"));
        assert_eq!(
            line(r, Lang::Fr).unwrap(),
            "Remboursée partiellement 625,25 / 1 250,50 MAD"
        );
        assert_eq!(
            line(r, Lang::En).unwrap(),
            "Partially refunded 625.25 / 1,250.50 MAD"
        );
        let all = Refunded::Fully(Amount::from_minor(125_050).unwrap());
        assert_eq!(
            line(all, Lang::Fr).unwrap(),
            "Remboursée en totalité : 1 250,50 MAD"
        );
        assert_eq!(line(Refunded::No, Lang::En), None);
    }
}
