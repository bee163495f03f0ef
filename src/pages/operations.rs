//! The Operations tab of a transaction (OPS-1 … OPS-4) and the confirmation step.

use maud::{Markup, html};

use super::chargeback::chargeback_card;
use super::layout::processing_page;
use super::transaction::Notice;
use crate::domain::Lang;
use crate::domain::codes::ResultCode;
use crate::domain::detail::TransactionDetail;
use crate::domain::list_row::card_short;
use crate::domain::money::{Amount, Currency, format_amount, format_number, parse_positive_amount};
use crate::domain::operation_rules::{
    OPERATIONS, disputable, operation_allowed, refundable, unrefundable_after,
};
use crate::domain::permission::Permission;
use crate::domain::transaction::{Operation, Transaction};
use crate::fragments::View;
use crate::fragments::form::csrf;

/// What each operation does, in the guide's words.
fn explain(view: &View, op: Operation) -> &'static str {
    match op {
        Operation::Refund => view.t(
            "Le remboursement crédite le compte du client pour cette transaction, en totalité ou en partie. Un seul remboursement par transaction : ce qui n'est pas remboursé maintenant ne pourra plus l'être.",
            "A refund credits the customer's account for this transaction, in full or in part. One refund per transaction: what is not refunded now can never be refunded later.",
        ),
        Operation::Capture => view.t(
            "La capture règle la transaction : le compte du client est débité. Elle doit avoir lieu dans les 7 jours qui suivent l'autorisation.",
            "A capture settles the transaction: the customer's account is debited. It must take place within 7 days of the authorization.",
        ),
        Operation::Cancel => view.t(
            "L'annulation libère les fonds réservés par l'autorisation : le client ne sera pas débité.",
            "A cancellation releases the funds held by the authorization: the customer will not be charged.",
        ),
        _ => view.t(
            "Débite à nouveau la carte enregistrée du client (son token), sans qu'il ait à la saisir : c'est un nouveau paiement, pas une correction de celui-ci.",
            "Charges the customer's stored card (its token) again, without the customer having to enter it: a new payment, not a correction of this one.",
        ),
    }
}

/// The title of an operation's form and confirmation: the rebill says what it does,
/// and the name it has in the list and the filter.
pub fn op_title(view: &View, op: Operation) -> &'static str {
    match op {
        Operation::Rebill => view.t(
            "Débiter à nouveau la carte (refacturation)",
            "Charge the card again (rebill)",
        ),
        other => other.label(view.lang),
    }
}

/// The DOM id of an operation's form section (the summary's quick actions link to it).
fn section_id(op: Operation) -> String {
    format!("op-{}", op.key())
}

/// The money operations on this payment; the rebill is a new payment and sits apart.
const ON_THIS_PAYMENT: [Operation; 3] = [Operation::Refund, Operation::Capture, Operation::Cancel];

/// The Operations tab: the operations possible now, each with its form; the others in
/// one muted list saying why not; the rebill in its own box, apart.
pub fn operations_tab(view: &View, d: &TransactionDetail, notice: Option<&Notice>) -> Markup {
    let kids = d.children();
    let now = view.now;
    let state = |op| (op, operation_allowed(op, &d.tx, &kids, now));
    let here: Vec<_> = ON_THIS_PAYMENT.into_iter().map(state).collect();
    let rebill = state(Operation::Rebill);
    // Chargebacks are recorded by administrators only.
    let admin = view.user.is_some_and(|u| u.may(Permission::Admin));
    let dispute = disputable(&d.tx, &kids).ok().filter(|_| admin);
    let dispute_refused = notice
        .and_then(|n| n.at.as_ref())
        .is_some_and(|(op, _)| *op == Operation::Chargeback);
    // A refusal of an amount goes under its field when that form is shown.
    let in_place = notice
        .and_then(|n| {
            n.at.as_ref()
                .map(|(op, typed)| (*op, typed.as_str(), &n.text))
        })
        .filter(|(op, _, _)| {
            here.iter()
                .chain([&rebill])
                .any(|(o, a)| o == op && a.is_ok())
        });
    let mut off: Vec<(&str, String)> = here
        .iter()
        .chain([&rebill])
        .filter_map(|(op, a)| {
            a.as_ref()
                .err()
                .map(|why| (op_title(view, *op), why.message(view.lang, d.tx.currency)))
        })
        .collect();
    let all_off_alike = off.len() == OPERATIONS.len() && off.iter().all(|(_, m)| *m == off[0].1);
    if all_off_alike {
        off.truncate(1);
    }
    html! {
        @if let Some(n) = notice.filter(|_| in_place.is_none() && !(dispute.is_some() && dispute_refused)) { (n.banner()) }
        @if here.iter().any(|(_, a)| a.is_ok()) {
            div class="ops" {
                @for (op, allowed) in &here {
                    @if let Ok(max) = allowed {
                        (op_card(view, d, *op, *max, in_place.filter(|(o, _, _)| o == op)))
                    }
                }
            }
        }
        @if !off.is_empty() {
            div class="ops-off" {
                @if all_off_alike {
                    p class="muted" { (off[0].1) }
                } @else {
                    p class="muted" { strong { (view.t("Non disponible ici :", "Not available here:")) } }
                    ul class="muted" {
                        @for (title, why) in &off { li { strong { (title) } " — " (why) } }
                    }
                }
            }
        }
        @if let (op, Ok(max)) = rebill {
            (op_card(view, d, op, max, in_place.filter(|(o, _, _)| *o == op)))
        }
        @if let Some(max) = dispute { (chargeback_card(view, d, max, notice)) }
    }
}

/// The id of the line under the refund amount saying what will stay unrefundable.
pub const REFUND_REST_ID: &str = "refund-rest";

/// What can never be refunded if `typed` is refunded now (OPS-1: one refund), under the
/// refund amount; htmx asks for it again as the amount is typed. Nothing for an amount
/// that is not one, or that is above the most allowed (the form says why on Continue).
pub fn refund_rest(view: &View, d: &TransactionDetail, typed: Option<Amount>) -> Markup {
    let tx = &d.tx;
    let max = refundable(tx, &d.children()).unwrap_or(Amount::ZERO);
    let rest = typed
        .filter(|a| !a.is_zero() && *a <= max)
        .map(|a| unrefundable_after(max, a));
    html! {
        small class="hint rest" id=(REFUND_REST_ID) aria-live="polite" {
            @match rest {
                Some(r) if r.is_zero() => (view.t("Remboursement total.", "Full refund.")),
                Some(r) => {
                    (view.t("Ne pourra plus jamais être remboursé : ", "Can never be refunded afterwards: "))
                    strong class="nowrap" { (format_amount(r, tx.currency, view.lang)) }
                }
                None => {}
            }
        }
    }
}

/// What htmx swaps in as a refund amount is typed: the line above and, once the amount
/// is acceptable, an empty message in place of an earlier refusal (out of band).
pub fn refund_rest_live(view: &View, d: &TransactionDetail, typed: Option<Amount>) -> Markup {
    let max = refundable(&d.tx, &d.children()).unwrap_or(Amount::ZERO);
    let acceptable = typed.is_some_and(|a| !a.is_zero() && a <= max);
    html! {
        (refund_rest(view, d, typed))
        @if acceptable { small class="error" id="f-amount-refund-err" hx-swap-oob="true" {} }
    }
}

/// One operation's form: its amount (prefilled with the most allowed, or what was typed
/// when it was refused, with the reason under it), then Continue to the confirmation.
fn op_card(
    view: &View,
    d: &TransactionDetail,
    op: Operation,
    max: Amount,
    error: Option<(Operation, &str, &Markup)>,
) -> Markup {
    let currency = d.tx.currency;
    let input_id = format!("f-amount-{}", op.key());
    let error_id = format!("{input_id}-err");
    let hint_id = format!("{input_id}-hint");
    let value = error.map_or_else(
        || format_number(max, currency, view.lang),
        |(_, typed, _)| typed.to_string(),
    );
    let mut described = hint_id.clone();
    if op == Operation::Refund {
        described = format!("{described} {REFUND_REST_ID}");
    }
    if error.is_some() {
        described = format!("{described} {error_id}");
    }
    // What the refund form proposes or was given, for the line on what stays unrefundable.
    let typed = error.map_or(Some(max), |(_, t, _)| {
        parse_positive_amount(t, currency, view.lang).ok()
    });
    let live =
        (op == Operation::Refund).then(|| format!("/transactions/{}/operations/refund", d.tx.id));
    let class = if op == Operation::Rebill {
        "card op rebill"
    } else {
        "card op"
    };
    html! {
        section class=(class) id=(section_id(op)) aria-labelledby={(section_id(op)) "-title"} {
            h2 id={(section_id(op)) "-title"} { (op_title(view, op)) }
            p class="small muted" { (explain(view, op)) }
            form class="form" method="get" action={"/transactions/" (d.tx.id) "/operations/" (op.key())} {
                @if op != Operation::Cancel {
                    div class="field" {
                        label for=(input_id) class="req" { (view.t("Montant", "Amount")) " (" (currency.code()) ")" }
                        input id=(input_id) name="amount" value=(value) inputmode="decimal" autocomplete="off" required
                            aria-invalid=[error.map(|_| "true")] aria-describedby=(described)
                            hx-get=[live.as_deref()] hx-trigger=[live.as_ref().map(|_| "input changed delay:250ms")]
                            hx-target=[live.as_ref().map(|_| format!("#{REFUND_REST_ID}"))] hx-swap=[live.as_ref().map(|_| "outerHTML")];
                        // The reason first, right under what was typed (in sight on a phone).
                        @if let Some((_, _, text)) = error { small class="error" id=(error_id) { (text) } }
                        small class="hint" id=(hint_id) {
                            @if op == Operation::Rebill {
                                (view.t("Au plus", "At most")) " " (format_amount(max, currency, view.lang)) " " (view.t("(le montant d'origine).", "(the original amount)."))
                            } @else {
                                (view.t("Au plus", "At most")) " " (format_amount(max, currency, view.lang))
                            }
                        }
                        @if op == Operation::Refund { (refund_rest(view, d, typed)) }
                    }
                } @else {
                    p { (view.t("Montant libéré :", "Amount released:")) " " strong { (format_amount(max, currency, view.lang)) } }
                }
                div class="actions" { button type="submit" { (view.t("Continuer…", "Continue…")) } }
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
            format!(
                "Débiter à nouveau {money} sur la carte enregistrée {card} : un nouveau paiement."
            )
        }
        (Lang::En, _) => {
            format!("Charge {money} again to the stored card {card}: a new payment.")
        }
    }
}

/// The heading of the confirmation step.
fn confirm_heading(view: &View, op: Operation) -> &'static str {
    match op {
        Operation::Refund => view.t("Confirmer le remboursement", "Confirm the refund"),
        Operation::Capture => view.t("Confirmer la capture", "Confirm the capture"),
        Operation::Cancel => view.t(
            "Confirmer l'annulation de l'autorisation",
            "Confirm the cancellation of the authorization",
        ),
        _ => view.t(
            "Confirmer : débiter à nouveau la carte (refacturation)",
            "Confirm: charge the card again (rebill)",
        ),
    }
}

/// The confirmation's button: the operation as a verb and its amount, which never
/// wraps across two lines.
fn confirm_button(view: &View, op: Operation, money: &str) -> Markup {
    let money = html! { span class="nowrap" { (money) } };
    match (view.lang, op) {
        (_, Operation::Cancel) => {
            html! { (view.t("Annuler l'autorisation", "Cancel the authorization")) }
        }
        (_, Operation::Refund) => html! { (view.t("Rembourser ", "Refund ")) (money) },
        (_, Operation::Capture) => html! { (view.t("Capturer ", "Capture ")) (money) },
        (Lang::Fr, _) => html! { "Débiter à nouveau " (money) },
        (Lang::En, _) => html! { "Charge " (money) " again" },
    }
}

/// The message on the Operations tab once an operation has run: what was done, for
/// how much, and the transaction it wrote (a link); a refusal says why.
pub fn done_message(view: &View, row: &Transaction) -> Markup {
    let money = format_amount(row.amount, row.currency, view.lang);
    outcome_message(view.lang, row.operation, &money, row.id, row.code)
}

fn outcome_message(lang: Lang, op: Operation, money: &str, id: u64, code: ResultCode) -> Markup {
    let what = match (lang, op) {
        (Lang::Fr, Operation::Cancel) => format!("Annulation de l'autorisation ({money})"),
        (Lang::En, Operation::Cancel) => format!("Cancellation of the authorization ({money})"),
        (Lang::Fr, op) => format!("{} de {money}", op.label(lang)),
        (Lang::En, op) => format!("{} of {money}", op.label(lang)),
    };
    // In French every operation's name is feminine but the refund's and the chargeback's.
    let masculine = matches!(op, Operation::Refund | Operation::Chargeback);
    let link = html! { a href={"/transactions/" (id)} { "transaction " (id) } };
    if op == Operation::Chargeback {
        // Nobody accepts a chargeback: it is written down.
        let done = lang.pick(" enregistré : ", " recorded: ");
        return html! { (what) (done) (link) "." };
    }
    if code.is_accepted() {
        let done = match (lang, masculine) {
            (Lang::Fr, true) => " accepté : ",
            (Lang::Fr, false) => " acceptée : ",
            (Lang::En, _) => " accepted: ",
        };
        html! { (what) (done) (link) "." }
    } else {
        let refused = match (lang, masculine) {
            (Lang::Fr, true) => " refusé : ",
            (Lang::Fr, false) => " refusée : ",
            (Lang::En, _) => " refused: ",
        };
        html! { (what) (refused) (code) " – " (code.text(lang)) " (" (link) ")." }
    }
}

/// The refund's warning (OPS-1 allows one refund per transaction): what stays
/// unrefundable for ever after this one.
fn only_one_refund(view: &View, rest: Amount, currency: Currency) -> Markup {
    if rest.is_zero() {
        return html! { (view.t(
            "Un seul remboursement est possible par transaction : celui-ci rembourse la totalité.",
            "Only one refund is allowed per transaction: this one refunds the whole amount.",
        )) };
    }
    let rest = format_amount(rest, currency, view.lang);
    html! {
        (view.t("Un seul remboursement est possible par transaction : après celui-ci, les ", "Only one refund is allowed per transaction: after this one, the remaining "))
        span class="nowrap" { (rest) }
        (view.t(" restants ne pourront plus jamais être remboursés.", " can never be refunded."))
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
    // The card as the summary and the list show it: brand and last four digits.
    let card = card_short(tx.card.as_ref()).unwrap_or_default();
    let customer: Vec<&str> = [tx.buyer.name.as_str(), tx.buyer.email.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let money = format_amount(amount, tx.currency, view.lang);
    let what = confirm_text(view.lang, op, &money, &card);
    let title = format!(
        "{} · {} {}",
        op_title(view, op),
        view.t("transaction", "transaction"),
        tx.id
    );
    let back = format!("/transactions/{}?tab=operations", tx.id);
    let body = html! {
        p class="small" { a href=(back) { "‹ " (view.t("Transaction", "Transaction")) " " (tx.id) } }
        h1 { (confirm_heading(view, op)) }
        section class="card confirm" {
            p class="lead" { strong { (what) } }
            @if op == Operation::Refund {
                div class="callout warn" id="refund-once" { (only_one_refund(view, unrefundable_after(refundable(tx, &d.children()).unwrap_or(amount), amount), tx.currency)) }
            }
            dl class="kv" {
                dt { (view.t("Transaction d'origine", "Original transaction")) }
                dd { (tx.id) " · " (tx.operation.label(view.lang)) " · " (format_amount(tx.amount, tx.currency, view.lang)) }
                @if !tx.sale.order_id.is_empty() { dt { (view.t("Commande", "Order")) } dd { (tx.sale.order_id) } }
                @if !customer.is_empty() { dt { (view.t("Client", "Customer")) } dd { (customer.join(" · ")) } }
            }
            p class="small muted" { (view.t("Une nouvelle transaction sera écrite et liée à celle-ci ; l'action sera inscrite dans l'historique avec votre nom et votre adresse IP.", "A new transaction will be written and linked to this one; the action goes into the history with your name and IP address.")) }
            form method="post" action={"/transactions/" (tx.id) "/operations/" (op.key())} {
                (csrf(view))
                // As people write it in this language: the next step reads it back so.
                input type="hidden" name="amount" value=(format_number(amount, tx.currency, view.lang));
                input type="hidden" name="key" value=(key);
                div class="actions" {
                    button class="primary" type="submit" { (confirm_button(view, op, &money)) }
                    // Not « Annuler »: that is the name of an operation.
                    a class="button" href=(back) { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    processing_page(view, &title, "/transactions", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_says_what_it_did_for_how_much_and_links_its_transaction() {
        let said = |lang, op, code| outcome_message(lang, op, "100,00 MAD", 3001, code).0;
        let ok = ResultCode::ACCEPTED;
        assert_eq!(
            said(Lang::Fr, Operation::Refund, ok),
            r#"Remboursement de 100,00 MAD accepté : <a href="/transactions/3001">transaction 3001</a>."#
        );
        assert_eq!(
            said(Lang::En, Operation::Refund, ok),
            r#"Refund of 100,00 MAD accepted: <a href="/transactions/3001">transaction 3001</a>."#
        );
        assert_eq!(
            said(Lang::Fr, Operation::Capture, ok),
            r#"Capture de 100,00 MAD acceptée : <a href="/transactions/3001">transaction 3001</a>."#
        );
        assert_eq!(
            said(Lang::Fr, Operation::Cancel, ok),
            r#"Annulation de l'autorisation (100,00 MAD) acceptée : <a href="/transactions/3001">transaction 3001</a>."#
        );
        assert_eq!(
            said(Lang::En, Operation::Rebill, ok),
            r#"Rebill of 100,00 MAD accepted: <a href="/transactions/3001">transaction 3001</a>."#
        );
        let funds = ResultCode::INSUFFICIENT_FUNDS;
        let fr = said(Lang::Fr, Operation::Refund, funds);
        assert!(
            fr.starts_with(&format!(
                "Remboursement de 100,00 MAD refusé : 051 – {}",
                funds.text(Lang::Fr)
            )),
            "{fr}"
        );
        assert!(fr.ends_with(r#" (<a href="/transactions/3001">transaction 3001</a>)."#));
        let en = said(Lang::En, Operation::Rebill, funds);
        assert!(
            en.starts_with(&format!(
                "Rebill of 100,00 MAD refused: 051 – {}",
                funds.text(Lang::En)
            )),
            "{en}"
        );
        assert!(
            said(Lang::Fr, Operation::Rebill, funds)
                .contains("Refacturation de 100,00 MAD refusée : 051")
        );
        assert_eq!(
            said(Lang::Fr, Operation::Chargeback, ok),
            r#"Impayé (chargeback) de 100,00 MAD enregistré : <a href="/transactions/3001">transaction 3001</a>."#
        );
        assert_eq!(
            said(Lang::En, Operation::Chargeback, ok),
            r#"Chargeback of 100,00 MAD recorded: <a href="/transactions/3001">transaction 3001</a>."#
        );
    }
}
