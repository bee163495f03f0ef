//! Above the transaction results: the period in words with its shortcuts, the active
//! filters as removable chips, and the totals line with the caption that says what it
//! counts. Links only (no htmx): each one loads the list with its filter panel.

use maud::{Markup, html};

use super::transactions::{ListView, TOTALS_ID, attempts, show_3ds};
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::filter::{Filter, RawFilter};
use crate::domain::list_row::net_sign;
use crate::domain::merchant::name_of;
use crate::domain::period::{Shortcut, period_words};
use crate::domain::search::{Totals, format_total};
use crate::domain::transaction::{Operation, Status};
use crate::fragments::View;

/// The period searched, in words, and the shortcuts that set another one (keeping the
/// other filters, back to the first page).
pub(super) fn period_line(view: &View, v: &ListView) -> Markup {
    html! {
        div class="period-line" {
            @if let Some(f) = v.filter {
                p class="period-words" id="period-words" {
                    span class="muted" { (view.t("Période : ", "Period: ")) }
                    strong { (period_words(f.from, f.to, v.today, view.zone, view.lang)) }
                }
            }
            nav class="shortcuts" aria-label=(view.t("Raccourcis de période", "Period shortcuts")) {
                // The one shortcut equal to the period searched (the default is today).
                @let marked = v.filter.and_then(|f| Shortcut::matching(f.from, f.to, v.today, view.zone));
                @for s in Shortcut::ALL {
                    @let (from, to) = s.query_values(v.today, view.lang);
                    @let current = marked == Some(s);
                    a class="chip-link" href=(with_period(v, from, to)) aria-current=[current.then_some("true")] { (s.label(view.lang)) }
                    " "
                }
            }
        }
    }
}

/// The same search over another period, first page.
fn with_period(v: &ListView, from: String, to: String) -> String {
    let raw = RawFilter {
        from,
        to,
        period: String::new(),
        ..v.raw.clone()
    };
    format!("/transactions?{}", raw.to_query(1, v.req.per_page))
}

/// One active filter: its label and the value as read.
fn active_filters(view: &View, v: &ListView) -> Vec<(&'static [&'static str], String)> {
    let r = v.raw;
    let mut out: Vec<(&'static [&'static str], String)> = Vec::new();
    let word = |key: &str, value: &str| -> String {
        match key {
            "operation" => Operation::parse(value)
                .map_or(value.to_string(), |o| o.label(view.lang).to_string()),
            "status" => {
                Status::parse(value).map_or(value.to_string(), |s| s.label(view.lang).to_string())
            }
            "brand" => Brand::parse(value).map_or(value.to_string(), |b| b.name().to_string()),
            "code" => ResultCode::parse(value).map_or(value.to_string(), |c| {
                format!("{c} – {}", c.text(view.lang))
            }),
            "merchant" => value
                .parse::<u64>()
                .map_or(value.to_string(), |m| name_of(v.merchants, m)),
            _ => value.to_string(),
        }
    };
    if let Some(f) = v.filter.filter(|_| {
        [&r.from, &r.to, &r.period]
            .iter()
            .any(|x| !x.trim().is_empty())
    }) {
        out.push((
            &["from", "to", "period"],
            format!(
                "{} {}",
                view.t("Période :", "Period:"),
                period_words(f.from, f.to, v.today, view.zone, view.lang)
            ),
        ));
    }
    let fields: [(&'static [&'static str], &str, &str, &str); 20] = [
        (&["merchant"], &r.merchant, "Marchand", "Merchant"),
        (&["terminal"], &r.terminal, "Terminal", "Terminal"),
        (
            &["account"],
            &r.account,
            "Compte marchand",
            "Merchant account",
        ),
        (&["operation"], &r.operation, "Opération", "Operation"),
        (&["status"], &r.status, "Statut", "Status"),
        (&["code"], &r.code, "Code", "Code"),
        (&["amount"], &r.amount, "Montant", "Amount"),
        (
            &["amount_min"],
            &r.amount_min,
            "Montant min.",
            "Min. amount",
        ),
        (
            &["amount_max"],
            &r.amount_max,
            "Montant max.",
            "Max. amount",
        ),
        (&["brand"], &r.brand, "Carte", "Card"),
        (&["bin"], &r.bin, "6 premiers chiffres", "First 6 digits"),
        (&["last4"], &r.last4, "4 derniers chiffres", "Last 4 digits"),
        (&["holder"], &r.holder, "Porteur", "Holder"),
        (&["email"], &r.email, "E-mail", "Email"),
        (&["buyer"], &r.buyer, "Acheteur", "Buyer"),
        (&["order"], &r.order, "Commande", "Order"),
        (&["ref"], &r.reference, "Référence", "Reference"),
        (&["three_ds"], &r.three_ds, "", ""),
        (&["attempts"], &r.attempts, "", ""),
        (&["ids"], &r.ids, "", ""),
    ];
    for (keys, value, fr, en) in fields {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let text = if keys == ["three_ds"] {
            if !show_3ds(r) {
                continue;
            }
            view.t(
                "Vérifications 3-D Secure affichées",
                "3-D Secure checks shown",
            )
            .to_string()
        } else if keys == ["attempts"] {
            if !attempts(r) {
                continue;
            }
            view.t(
                "Tentatives de paiement (hors abandons 098)",
                "Payment attempts (excluding 098 abandons)",
            )
            .to_string()
        } else if keys == ["ids"] {
            // The parsed selection's size (duplicates counted once); the raw count
            // when the value is invalid (its error says why).
            let n = v.filter.and_then(|f| f.ids.as_ref()).map_or_else(
                || value.split(',').filter(|p| !p.trim().is_empty()).count(),
                Vec::len,
            ) as u64;
            format!(
                "{}{}",
                view.t("Sélection : ", "Selection: "),
                view.lang.count(
                    n,
                    ("transaction", "transactions"),
                    ("transaction", "transactions")
                )
            )
        } else {
            format!(
                "{}{}{}",
                view.t(fr, en),
                view.t(" : ", ": "),
                word(keys[0], value)
            )
        };
        out.push((keys, text));
    }
    out
}

/// The same query without the fields `keys`, first page.
fn without(v: &ListView, keys: &[&str]) -> String {
    let mut raw = v.raw.clone();
    for k in keys {
        match *k {
            "from" => raw.from.clear(),
            "to" => raw.to.clear(),
            "period" => raw.period.clear(),
            "merchant" => raw.merchant.clear(),
            "terminal" => raw.terminal.clear(),
            "account" => raw.account.clear(),
            "operation" => raw.operation.clear(),
            "status" => raw.status.clear(),
            "code" => raw.code.clear(),
            "amount" => raw.amount.clear(),
            "amount_min" => raw.amount_min.clear(),
            "amount_max" => raw.amount_max.clear(),
            "brand" => raw.brand.clear(),
            "bin" => raw.bin.clear(),
            "last4" => raw.last4.clear(),
            "holder" => raw.holder.clear(),
            "email" => raw.email.clear(),
            "buyer" => raw.buyer.clear(),
            "order" => raw.order.clear(),
            "ref" => raw.reference.clear(),
            "three_ds" => raw.three_ds.clear(),
            "attempts" => raw.attempts.clear(),
            "ids" => raw.ids.clear(),
            _ => {}
        }
    }
    let q = raw.to_query(1, v.req.per_page);
    if q.is_empty() {
        "/transactions".into()
    } else {
        format!("/transactions?{q}")
    }
}

/// The active filters as chips: each one a link to the same search without it.
pub(super) fn chips(view: &View, v: &ListView) -> Markup {
    let active = active_filters(view, v);
    if active.is_empty() {
        return html! {};
    }
    html! {
        div class="chips" id="chips" {
            span class="muted small" { (view.t("Filtres actifs :", "Active filters:")) }
            ul {
                @for (keys, text) in &active {
                    li { a class="chip" href=(without(v, keys)) title=(view.t("Retirer ce filtre", "Remove this filter")) {
                        (text) " " span aria-hidden="true" { "×" }
                        span class="sr-only" { " " (view.t("(retirer)", "(remove)")) }
                    } }
                }
            }
            a class="chip-clear" href="/transactions" { (view.t("Tout effacer", "Clear all")) }
        }
    }
}

/// The totals of every matching row (all pages) and what they count, said in a caption.
pub(super) fn totals_line(view: &View, v: &ListView, t: &Totals, f: &Filter) -> Markup {
    let mut toggled = v.raw.clone();
    toggled.three_ds = if f.show_3ds {
        String::new()
    } else {
        "1".into()
    };
    let toggle_href = format!("/transactions?{}", toggled.to_query(1, v.req.per_page));
    let explicit_3ds = f.operation == Some(Operation::ThreeDSecure);
    // Authorizations, cancellations and 3-D Secure checks net to zero: their amount
    // (what was held, released or checked) says more.
    let moves_no_money = f.operation.is_some_and(|o| net_sign(o) == 0);
    html! {
        section class="totals" id=(TOTALS_ID) aria-label=(view.t("Totaux des résultats", "Totals of the results")) {
            p class="totals-line" {
                span class="t-count" { strong data-count=(t.count) { (t.count_text(view.lang)) } " " (t.noun(view.lang)) }
                @if moves_no_money {
                    span class="t-gross" {
                        (view.t("Montant : ", "Amount: "))
                        @if t.gross.is_empty() { strong { "—" } }
                        @for (i, (cur, minor)) in t.gross.iter().enumerate() {
                            @if i > 0 { ", " }
                            strong class="nowrap" data-currency=(cur.code()) data-gross=(minor) { (format_total(*minor, *cur, view.lang)) }
                        }
                    }
                } @else {
                    span class="t-net" {
                        (view.t("Montant net : ", "Net amount: "))
                        @if t.net.is_empty() { strong { "—" } }
                        @for (i, (cur, minor)) in t.net.iter().enumerate() {
                            @if i > 0 { ", " }
                            strong class="nowrap" data-currency=(cur.code()) data-minor=(minor) { (format_total(*minor, *cur, view.lang)) }
                        }
                    }
                }
                span class="t-rate" {
                    (view.t("Taux d'acceptation : ", "Acceptance rate: "))
                    strong data-accepted=(t.accepted) data-attempts=(t.attempts) data-attempts-accepted=(t.attempts_accepted)
                        title=(view.lang.count(t.attempts, ("tentative de paiement", "tentatives de paiement"), ("payment attempt", "payment attempts"))) {
                        (t.acceptance_rate(view.lang).unwrap_or_else(|| "—".into()))
                    }
                }
            }
            p class="small muted totals-caption" {
                span class="t-3ds" {
                    @if f.attempts {
                        (view.t("Tentatives de paiement uniquement : vérifications 3-D Secure, opérations sur transaction et abandons (098) non comptés.", "Payment attempts only: 3-D Secure checks, operations on transactions and abandons (098) not counted."))
                    } @else if f.show_3ds {
                        (view.t("Vérifications 3-D Secure : affichées et comptées.", "3-D Secure checks: shown and counted."))
                        @if !explicit_3ds { " " a href=(toggle_href) { (view.t("Les masquer", "Hide them")) } }
                    } @else {
                        (view.t("Vérifications 3-D Secure : masquées et non comptées.", "3-D Secure checks: hidden and not counted."))
                        " " a href=(toggle_href) { (view.t("Les afficher", "Show them")) }
                    }
                }
            }
            details class="small muted totals-how" {
                summary { (view.t("Comment ces totaux sont comptés", "How these totals are counted")) }
                p {
                    (view.t("Sur toutes les pages. Nombre : toutes les lignes qui correspondent aux filtres. Montant net, par devise : ventes, captures et refacturations acceptées, moins les remboursements et impayés (chargebacks) acceptés (autorisations, annulations, vérifications et refus ne déplacent pas d'argent). Filtré sur les autorisations, les annulations ou les vérifications 3-D Secure, dont le montant net est toujours nul, le total donne à la place le montant, par devise, des lignes acceptées. Taux d'acceptation : tentatives de paiement acceptées sur tentatives de paiement (ventes, autorisations et refacturations, hors abandons 098) parmi ces lignes, comme sur l'accueil et dans les statistiques.",
                        "Across all pages. Count: every row matching the filters. Net amount, per currency: accepted sales, captures and rebills, less accepted refunds and chargebacks (authorizations, cancellations, checks and refusals move no money). Filtered on authorizations, cancellations or 3-D Secure checks, whose net amount is always zero, the line gives instead the amount, per currency, of the accepted rows. Acceptance rate: accepted payment attempts over payment attempts (sales, authorizations and rebills, excluding 098 abandons) among these rows, as on Home and in Statistics."))
                }
            }
        }
    }
}
