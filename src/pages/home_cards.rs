//! The cards of Home: revenue and acceptance (charts with their tables), the
//! period's operations and their breakdown by type, the authorizations to capture.

use maud::{Markup, html};

use super::home::{HomeView, capitalised, compared_with, period_name};
use crate::domain::Lang;
use crate::domain::buckets::{Bucket, Granularity};
use crate::domain::figures::{self, OpLine, PerCurrency, Rate};
use crate::domain::money::Currency;
use crate::domain::open_authorization::time_left;
use crate::domain::search::format_total;
use crate::domain::time::format_datetime_cell;
use crate::domain::transaction::Operation;
use crate::fragments::View;
use crate::fragments::chart::{
    Chart, ChartSeries, GAP, ValueKind, bar_chart, hbar_chart, line_chart,
};

fn change_text(p: i128, lang: Lang) -> String {
    let sign = if p > 0 {
        "+"
    } else if p < 0 {
        "\u{2212}"
    } else {
        ""
    };
    let abs = p.unsigned_abs();
    match lang {
        Lang::Fr => format!("{sign}{},{}\u{a0}%", abs / 10, abs % 10),
        Lang::En => format!("{sign}{}.{}%", abs / 10, abs % 10),
    }
}

/// Money per currency as links to the list of the bucket (net amount).
fn money_links(view: &View, v: &HomeView, b: Bucket, m: &PerCurrency, key: &str) -> Markup {
    let href = v.bucket_link(b, &[]);
    html! {
        @if m.is_empty() {
            a class="figure" href=(href) data-figure=(key) data-minor="0" { (format_total(0, Currency::Mad, view.lang)) }
        }
        @for (cur, minor) in &m.0 {
            a class="figure" href=(href) data-figure=(key) data-currency=(cur.code()) data-minor=(minor) { (format_total(*minor, *cur, view.lang)) }
        }
    }
}

pub(super) fn revenue_card(view: &View, v: &HomeView, revenue: &[PerCurrency]) -> Markup {
    let current = v.current();
    let Some(cur_b) = v.buckets.get(current).copied() else {
        return html! {};
    };
    let prev_b = current
        .checked_sub(1)
        .and_then(|i| v.buckets.get(i))
        .copied();
    let empty = PerCurrency::default();
    let cur = revenue.get(current).unwrap_or(&empty);
    let prev = current
        .checked_sub(1)
        .and_then(|i| revenue.get(i))
        .unwrap_or(&empty);
    let currency = figures::main_currency(v.cells);
    let chart = Chart {
        id: "home-revenue".into(),
        title: format!(
            "{} ({}, {})",
            view.t("Chiffre d'affaires net", "Net revenue"),
            currency.code(),
            match v.by {
                Granularity::Day => view.t("par jour", "per day"),
                Granularity::Week => view.t("par semaine", "per week"),
                Granularity::Month => view.t("par mois", "per month"),
            }
        ),
        description: revenue_description(view, v, revenue, currency),
        x_labels: v.buckets.iter().map(|b| b.label(v.by, view.lang)).collect(),
        links: v
            .buckets
            .iter()
            .map(|b| Some(v.bucket_link(*b, &[])))
            .collect(),
        series: vec![ChartSeries {
            name: view.t("Net", "Net").into(),
            values: revenue
                .iter()
                .map(|p| i64::try_from(p.get(currency)).unwrap_or(i64::MAX))
                .collect(),
            style: "current",
        }],
        kind: ValueKind::Money(currency),
        lang: view.lang,
    };
    html! {
        section class="card home-revenue" aria-labelledby="home-revenue-h" {
            h2 id="home-revenue-h" { (view.t("Chiffre d'affaires net", "Net revenue")) }
            div class="kpis" {
                div class="kpi" {
                    div class="kpi-label" { (capitalised(period_name(view, v.by, true))) " " span class="muted" { (view.t("(en cours)", "(so far)")) } }
                    div class="kpi-value" { (money_links(view, v, cur_b, cur, "revenue-current")) }
                    @for (c, minor) in &cur.0 {
                        @if let Some(p) = figures::change_per_mille(*minor, prev.get(*c)) {
                            div class={"kpi-change " (if p < 0 { "down" } else { "up" })} {
                                (change_text(p, view.lang)) " "
                                (compared_with(view, v.by))
                                @if cur.0.len() > 1 { " (" (c.code()) ")" }
                            }
                        }
                    }
                }
                @if let Some(pb) = prev_b {
                    div class="kpi previous" {
                        div class="kpi-label" { (capitalised(period_name(view, v.by, false))) }
                        div class="kpi-value" { (money_links(view, v, pb, prev, "revenue-previous")) }
                    }
                }
            }
            p class="small muted rule" {
                (view.t("Net : ventes, captures et refacturations acceptées, moins les remboursements et impayés (chargebacks) acceptés. Les autorisations ne comptent qu'une fois capturées.",
                    "Net: accepted sales, captures and rebills, less accepted refunds and chargebacks. Authorizations count only once captured."))
            }
            (bar_chart(&chart))
            (figure_table(view, v, revenue, currency))
        }
    }
}

fn revenue_description(
    view: &View,
    v: &HomeView,
    revenue: &[PerCurrency],
    currency: Currency,
) -> String {
    let total: i128 = revenue.iter().map(|p| p.get(currency)).sum();
    let best = v
        .buckets
        .iter()
        .zip(revenue)
        .max_by_key(|(_, p)| p.get(currency));
    let mut s = match view.lang {
        Lang::Fr => format!(
            "{} périodes, {} au total.",
            v.buckets.len(),
            format_total(total, currency, view.lang)
        ),
        Lang::En => format!(
            "{} periods, {} in all.",
            v.buckets.len(),
            format_total(total, currency, view.lang)
        ),
    };
    if let Some((b, p)) = best.filter(|(_, p)| p.get(currency) > 0) {
        s.push_str(&match view.lang {
            Lang::Fr => format!(
                " Le plus haut : {} ({}).",
                b.long_label(v.by, view.lang),
                format_total(p.get(currency), currency, view.lang)
            ),
            Lang::En => format!(
                " Highest: {} ({}).",
                b.long_label(v.by, view.lang),
                format_total(p.get(currency), currency, view.lang)
            ),
        });
    }
    s
}

/// The chart's figures as a table (accessible and printable), newest first.
fn figure_table(view: &View, v: &HomeView, revenue: &[PerCurrency], currency: Currency) -> Markup {
    let others: Vec<Currency> = Currency::ALL
        .into_iter()
        .filter(|c| *c != currency && revenue.iter().any(|p| p.get(*c) != 0))
        .collect();
    html! {
        div class="table-wrap chart-table" {
                table class="grid" {
                    caption class="small muted" { (view.t("Les chiffres du graphique", "The chart's figures")) }
                    thead { tr {
                        th scope="col" { (view.t("Période", "Period")) }
                        th scope="col" class="num" { (currency.code()) }
                        @for c in &others { th scope="col" class="num" { (c.code()) } }
                    } }
                    tbody {
                        @for (b, p) in v.buckets.iter().zip(revenue).rev() {
                            tr {
                                @let href = v.bucket_link(*b, &[]);
                                th scope="row" { (b.long_label(v.by, view.lang)) }
                                @for c in std::iter::once(&currency).chain(&others) {
                                    td class="num" {
                                        a href=(href) data-figure="revenue-period" data-currency=(c.code()) data-minor=(p.get(*c)) { (format_total(p.get(*c), *c, view.lang)) }
                                    }
                                }
                            }
                        }
                    }
                }
        }
    }
}

/// The acceptance chart's figures as a table, newest first: the rate, and the
/// accepted and attempts counts, each linked to the attempts of its period.
fn rate_table(view: &View, v: &HomeView, rates: &[Rate]) -> Markup {
    html! {
        div class="table-wrap chart-table" {
            table class="grid" {
                caption class="small muted" { (view.t("Les chiffres du graphique", "The chart's figures")) }
                thead { tr {
                    th scope="col" { (view.t("Période", "Period")) }
                    th scope="col" class="num" { (view.t("Taux", "Rate")) }
                    th scope="col" class="num" { (view.t("Acceptées / tentatives", "Accepted / attempts")) }
                } }
                tbody {
                    @for (b, r) in v.buckets.iter().zip(rates).rev() {
                        @let href = v.bucket_link(*b, &[("attempts", "1")]);
                        tr {
                            th scope="row" { (b.long_label(v.by, view.lang)) }
                            td class="num" {
                                a href=(href) data-figure="acceptance-period" data-accepted=(r.accepted) data-count=(r.count) { (r.text(view.lang)) }
                            }
                            td class="num" { (figures::count_text(r.accepted, view.lang)) " / " (figures::count_text(r.count, view.lang)) }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn acceptance_card(view: &View, v: &HomeView, rates: &[Rate]) -> Markup {
    let current = v.current();
    let Some(b) = v.buckets.get(current).copied() else {
        return html! {};
    };
    let r = rates.get(current).copied().unwrap_or_default();
    let href = v.bucket_link(b, &[("attempts", "1")]);
    let chart = Chart {
        id: "home-acceptance".into(),
        title: view
            .t(
                "Taux d'acceptation par période",
                "Acceptance rate per period",
            )
            .into(),
        description: match view.lang {
            Lang::Fr => format!(
                "{} sur la période en cours, {} tentatives.",
                r.text(view.lang),
                r.count
            ),
            Lang::En => format!(
                "{} in the current period, {} attempts.",
                r.text(view.lang),
                r.count
            ),
        },
        x_labels: v.buckets.iter().map(|b| b.label(v.by, view.lang)).collect(),
        links: v
            .buckets
            .iter()
            .map(|b| Some(v.bucket_link(*b, &[("attempts", "1")])))
            .collect(),
        series: vec![ChartSeries {
            name: view.t("Acceptées", "Accepted").into(),
            values: rates
                .iter()
                .map(|r| r.per_mille().map_or(GAP, i64::from))
                .collect(),
            style: "accepted",
        }],
        kind: ValueKind::PerMille,
        lang: view.lang,
    };
    html! {
        section class="card home-acceptance" aria-labelledby="home-acceptance-h" {
            h2 id="home-acceptance-h" { (view.t("Taux d'acceptation", "Acceptance rate")) }
            div class="kpis" {
                div class="kpi" {
                    div class="kpi-label" { (capitalised(period_name(view, v.by, true))) " " span class="muted" { (view.t("(en cours)", "(so far)")) } }
                    div class="kpi-value" {
                        a class="figure" href=(href) data-figure="acceptance" data-accepted=(r.accepted) data-count=(r.count) { (r.text(view.lang)) }
                    }
                    div class="small" {
                        (figures::count_text(r.accepted, view.lang)) " "
                        (view.lang.plural(r.accepted, ("acceptée sur", "acceptées sur"), ("accepted out of", "accepted out of"))) " "
                        a href=(href) data-figure="attempts" data-count=(r.count) { (view.lang.count(r.count, ("tentative", "tentatives"), ("attempt", "attempts"))) }
                    }
                }
            }
            p class="small muted rule" {
                (view.t("Acceptées ÷ tentatives de paiement (ventes, autorisations, refacturations) ; les vérifications 3-D Secure et les abandons (098) ne sont pas des tentatives.",
                    "Accepted ÷ payment attempts (sales, authorizations, rebills); 3-D Secure checks and abandons (098) are not attempts."))
            }
            (line_chart(&chart))
            (rate_table(view, v, rates))
        }
    }
}

pub(super) fn operations_card(view: &View, v: &HomeView, ops: &[OpLine]) -> Markup {
    let Some(b) = v.buckets.last().copied() else {
        return html! {};
    };
    html! {
        section class="card home-ops" aria-labelledby="home-ops-h" {
            h2 id="home-ops-h" {
                (view.t("Opérations", "Operations")) " · " (period_name(view, v.by, true))
            }
            div class="table-wrap stack-cols" {
                table class="grid" {
                    thead { tr {
                        th scope="col" { (view.t("Opération", "Operation")) }
                        th scope="col" class="num" { (view.t("Acceptées", "Accepted")) }
                        th scope="col" class="num" { (view.t("Montant accepté", "Accepted amount")) }
                        th scope="col" class="num" { (view.t("Refusées", "Refused")) }
                    } }
                    tbody {
                        @for l in ops {
                            @let key = l.op.key();
                            tr {
                                th scope="row" { (l.op.label(view.lang)) }
                                td class="num" {
                                    a href=(v.bucket_link(b, &[("operation", key), ("status", "accepted")]))
                                        data-figure={"op-" (key) "-accepted"} data-count=(l.accepted) { (figures::count_text(l.accepted, view.lang)) }
                                }
                                td class="num" {
                                    @if l.amount.is_empty() { "—" }
                                    @for (i, (cur, minor)) in l.amount.0.iter().enumerate() {
                                        @if i > 0 { br; }
                                        @let shown = if crate::domain::list_row::is_outgoing(l.op) { -*minor } else { *minor };
                                        a class="nowrap" href=(v.bucket_link(b, &[("operation", key), ("status", "accepted")]))
                                            data-figure={"op-" (key) "-amount"} data-currency=(cur.code()) data-minor=(shown) { (format_total(shown, *cur, view.lang)) }
                                    }
                                }
                                td class="num" {
                                    // A payment's abandons (098) are not refusals: the
                                    // attempts filter leaves them out of the list too.
                                    @let refused = if figures::is_attempt(l.op, 0) {
                                        v.bucket_link(b, &[("operation", key), ("status", "refused"), ("attempts", "1")])
                                    } else {
                                        v.bucket_link(b, &[("operation", key), ("status", "refused")])
                                    };
                                    a href=(refused) data-figure={"op-" (key) "-refused"} data-count=(l.refused) { (figures::count_text(l.refused, view.lang)) }
                                }
                            }
                        }
                    }
                }
            }
            @let abandoned: u64 = ops.iter().map(|l| l.abandoned).sum();
            p class="small" {
                (view.t("Paiements abandonnés par le client (098, ni acceptés ni refusés) : ", "Payments the customer abandoned (098, neither accepted nor refused): "))
                a href=(v.bucket_link(b, &[("code", "098")])) data-figure="abandoned" data-count=(abandoned) { (figures::count_text(abandoned, view.lang)) }
            }
            p class="small muted rule" {
                (view.t("Remboursements et impayés en négatif : l'argent rendu. Montant des autorisations et annulations : ce qu'elles bloquent ou libèrent.",
                    "Refunds and chargebacks negative: money given back. Authorization and cancellation amounts: what they hold or release."))
            }
        }
    }
}

/// The breakdown by operation type (HOME-3): the five operations of the guide.
pub(super) fn breakdown_card(view: &View, v: &HomeView, ops: &[OpLine]) -> Markup {
    let shown = [
        Operation::Sale,
        Operation::Authorization,
        Operation::Capture,
        Operation::Cancel,
        Operation::Refund,
    ];
    let lines: Vec<&OpLine> = shown
        .iter()
        .filter_map(|op| ops.iter().find(|l| l.op == *op))
        .collect();
    let total: u64 = lines.iter().map(|l| l.accepted + l.refused).sum();
    let chart = Chart {
        id: "home-breakdown".into(),
        title: view
            .t(
                "Répartition par type d'opération",
                "Breakdown by operation type",
            )
            .into(),
        description: lines
            .iter()
            .map(|l| {
                format!(
                    "{} : {}",
                    l.op.label(view.lang),
                    figures::count_text(l.accepted + l.refused, view.lang)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        x_labels: lines.iter().map(|l| l.op.label(view.lang).into()).collect(),
        links: v
            .buckets
            .last()
            .map(|b| {
                lines
                    .iter()
                    .map(|l| Some(v.bucket_link(*b, &[("operation", l.op.key())])))
                    .collect()
            })
            .unwrap_or_default(),
        series: vec![ChartSeries {
            name: view.t("Opérations", "Operations").into(),
            values: lines
                .iter()
                .map(|l| i64::try_from(l.accepted + l.refused).unwrap_or(i64::MAX))
                .collect(),
            style: "current",
        }],
        kind: ValueKind::Count,
        lang: view.lang,
    };
    html! {
        section class="card home-breakdown" aria-labelledby="home-breakdown-h" {
            h2 id="home-breakdown-h" {
                (view.t("Répartition par type", "Breakdown by type")) " · " (period_name(view, v.by, true))
            }
            (hbar_chart(&chart))
            @if let Some(b) = v.buckets.last() {
                ul class="shares small" {
                    @for l in &lines {
                        @let n = l.accepted + l.refused;
                        li {
                            a href=(v.bucket_link(*b, &[("operation", l.op.key())])) data-figure={"type-" (l.op.key())} data-count=(n) {
                                (l.op.label(view.lang)) (view.t(" : ", ": ")) (figures::count_text(n, view.lang))
                            }
                            " (" (figures::per_mille(n, total).map_or_else(|| "—".into(), |p| figures::per_mille_text(p, view.lang))) ")"
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn open_card(view: &View, v: &HomeView) -> Markup {
    let all_href = match v.merchant_param() {
        Some(m) => format!("/authorizations?merchant={m}"),
        None => "/authorizations".into(),
    };
    let n = v.open_total;
    // An admin looking at every merchant needs to know whose each one is.
    let all_merchants = !v.merchants.is_empty() && v.merchant.is_none();
    html! {
        section class="card home-open" aria-labelledby="home-open-h" {
            h2 id="home-open-h" {
                (view.t("Autorisations à capturer", "Authorizations to capture")) " "
                a class="badge info" href=(all_href) data-figure="open-authorizations" data-count=(n) { (figures::count_text(n, view.lang)) }
            }
            @if n == 0 {
                p class="empty" { (view.t("Aucune autorisation en attente de capture.", "No authorization waiting to be captured.")) }
            } @else {
                p class="small muted" {
                    (view.t("Une autorisation non capturée dans les 7 jours expire et libère le montant. Les plus proches de l'échéance d'abord.",
                        "An authorization not captured within 7 days expires and releases the amount. Soonest first."))
                }
                div class="table-wrap stack-cols" {
                    table class="grid" {
                        thead { tr {
                            th scope="col" { (view.t("Date", "Date")) }
                            @if all_merchants { th scope="col" { (view.t("Marchand", "Merchant")) } }
                            th scope="col" class="num" { (view.t("Montant", "Amount")) }
                            th scope="col" { (view.t("Temps restant", "Time left")) }
                            th scope="col" { (view.t("Transaction", "Transaction")) }
                        } }
                        tbody {
                            @for o in v.open {
                                tr class=[o.is_urgent(v.now).then_some("urgent")] {
                                    td { (format_datetime_cell(o.tx.at, view.lang, view.zone)) }
                                    @if all_merchants {
                                        td { (v.merchants.iter().find(|m| m.id == o.tx.merchant_id).map_or(String::new(), |m| m.name.clone())) }
                                    }
                                    td class="num" { (format_total(i128::from(o.tx.amount.minor()), o.tx.currency, view.lang)) }
                                    td { (time_left(o.left(v.now), view.lang)) }
                                    td { a href={"/transactions/" (o.tx.id) "?tab=operations"} { "#" (o.tx.id) " · " (view.t("capturer ou annuler", "capture or cancel")) } }
                                }
                            }
                        }
                    }
                }
                @if n > v.open.len() as u64 {
                    p { a href=(all_href) { (view.t("Voir les ", "See all ")) (figures::count_text(n, view.lang)) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_rounded_half_away_from_zero_and_needs_a_positive_base() {
        assert_eq!(figures::change_per_mille(110, 100), Some(100));
        assert_eq!(figures::change_per_mille(90, 100), Some(-100));
        assert_eq!(figures::change_per_mille(1, 3), Some(-667));
        assert_eq!(figures::change_per_mille(5, 0), None);
        assert_eq!(change_text(-667, Lang::Fr), "\u{2212}66,7\u{a0}%");
        assert_eq!(change_text(100, Lang::En), "+10.0%");
    }
}
