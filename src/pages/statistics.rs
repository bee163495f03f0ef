//! Statistics (STAT-1): the filters (a GET form: every view has its URL), the rules
//! the figures follow, and one section per table with its charts and download.

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::statistics_tables::{brand_chart, period_charts, section};
use crate::domain::Lang;
use crate::domain::buckets::{Bucket, Granularity};
use crate::domain::card::Brand;
use crate::domain::figures::COUNTED_OPS;
use crate::domain::form::FieldError;
use crate::domain::merchant::{Merchant, Terminal};
use crate::domain::stats::{RawStats, StatsQuery};
use crate::domain::stats_tables::{PeriodSeries, Table, TableKey};
use crate::fragments::View;
use crate::fragments::form::{Select, error_for};

/// What the screen shows.
pub struct StatsView<'a> {
    pub raw: &'a RawStats,
    pub errors: &'a [FieldError],
    /// The merchants an admin may choose from (empty for a merchant user).
    pub merchants: &'a [Merchant],
    /// The chosen merchant's terminals (a drop-down); `None` for all merchants (a
    /// text field).
    pub terminals: Option<&'a [Terminal]>,
    pub query: Option<&'a StatsQuery>,
    pub tables: &'a [Table],
    pub series: Option<&'a PeriodSeries>,
}

/// The fields the form shows (an error on another one is shown above it).
const FIELDS: [&str; 7] = [
    "from",
    "to",
    "merchant",
    "terminal",
    "brand",
    "operation",
    "by",
];

pub fn statistics_page(view: &View, v: &StatsView) -> Markup {
    let others: Vec<&FieldError> = v
        .errors
        .iter()
        .filter(|e| !FIELDS.contains(&e.field))
        .collect();
    let body = html! {
        div class="page-head" {
            h1 { (view.t("Statistiques", "Statistics")) }
        }
        @for e in others { (crate::fragments::flash("err", e.message(view.lang))) }
        (filters(view, v))
        @if let Some(q) = v.query.filter(|_| v.errors.is_empty()) {
            (summary(view, q))
            @for t in v.tables {
                @let charts = match (t.key, v.series) {
                    (TableKey::Periods, Some(s)) => period_charts(view, s),
                    (TableKey::Brands, _) => brand_chart(view, t),
                    _ => html! {},
                };
                (section(view, t, &v.raw.export_href(t.key.key()), charts))
            }
        }
    };
    page(
        view,
        view.t("Statistiques", "Statistics"),
        Tab::Statistics,
        None,
        body,
    )
}

fn text_field(
    view: &View,
    v: &StatsView,
    name: &str,
    label: &str,
    value: &str,
    placeholder: Option<&str>,
) -> Markup {
    let error = error_for(v.errors, name, view.lang);
    html! {
        div class="field" {
            label for={"s-" (name)} { (label) }
            input id={"s-" (name)} name=(name) value=(value) placeholder=[placeholder]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("s-{name}-err"))];
            @if let Some(e) = error { small class="error" id={"s-" (name) "-err"} { (e) } }
        }
    }
}

fn select(
    view: &View,
    v: &StatsView,
    name: &str,
    label: &str,
    any: &str,
    current: &str,
    options: &[(String, String)],
) -> Markup {
    Select::new(name, label, options, current)
        .id_prefix("s")
        .any(any)
        .error(error_for(v.errors, name, view.lang))
        .render()
}

/// The filters: period, merchant (admins), terminal, card type, operation, buckets.
fn filters(view: &View, v: &StatsView) -> Markup {
    let r = v.raw;
    let date = view.t("JJ/MM/AAAA", "DD/MM/YYYY");
    let merchants: Vec<(String, String)> = v
        .merchants
        .iter()
        .map(|m| (m.id.to_string(), format!("{} ({})", m.name, m.id)))
        .collect();
    let brands: Vec<(String, String)> = Brand::ALL
        .iter()
        .filter(|b| **b != Brand::Unknown)
        .map(|b| (b.key().into(), b.name().into()))
        .collect();
    let ops: Vec<(String, String)> = COUNTED_OPS
        .iter()
        .map(|o| (o.key().into(), o.label(view.lang).into()))
        .collect();
    let by: Vec<(String, String)> = Granularity::ALL
        .iter()
        .map(|g| (g.key().into(), g.label(view.lang).into()))
        .collect();
    html! {
        form class="stats-filters card" method="get" action="/statistics" {
            div class="stats-fields" {
                (text_field(view, v, "from", view.t("Du", "From"), &r.from, Some(date)))
                (text_field(view, v, "to", view.t("Au", "To"), &r.to, Some(date)))
                @if !v.merchants.is_empty() {
                    (select(view, v, "merchant", view.t("Marchand", "Merchant"), view.t("Tous les marchands", "All merchants"), r.merchant.trim(), &merchants))
                }
                @if let Some(ts) = v.terminals {
                    (select(view, v, "terminal", view.t("Terminal", "Terminal"), view.t("Tous les terminaux", "All terminals"), r.terminal.trim(), &terminal_options(ts)))
                } @else {
                    (text_field(view, v, "terminal", view.t("Terminal", "Terminal"), &r.terminal, None))
                }
                (select(view, v, "brand", view.t("Type de carte", "Card type"), view.t("Tous", "All"), r.brand.trim(), &brands))
                (select(view, v, "operation", view.t("Opération", "Operation"), view.t("Toutes", "All"), r.operation.trim(), &ops))
                (select(view, v, "by", view.t("Regrouper par", "Group by"), view.t("Automatique", "Automatic"), r.by.trim(), &by))
            }
            small class="hint" { (hint(view)) }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Afficher", "Show")) }
                " "
                a class="button" href="/statistics" { (view.t("Réinitialiser", "Reset")) }
            }
        }
    }
}

/// A merchant's terminals for the drop-down: "21114 · Web", or the number alone.
fn terminal_options(ts: &[Terminal]) -> Vec<(String, String)> {
    ts.iter()
        .map(|t| {
            let n = t.number.to_string();
            let label = match t.label.trim() {
                "" => n.clone(),
                l => format!("{n} · {l}"),
            };
            (n, label)
        })
        .collect()
}

fn hint(view: &View) -> String {
    let zone = view.zone.label();
    match view.lang {
        Lang::Fr => format!(
            "Par défaut : les 30 derniers jours. Jours de votre fuseau ({zone}), JJ/MM/AAAA ou AAAA-MM-JJ."
        ),
        Lang::En => format!(
            "Default: the last 30 days. Days in your time zone ({zone}), DD/MM/YYYY or YYYY-MM-DD."
        ),
    }
}

fn day(view: &View, d: time::Date) -> String {
    let b = Bucket {
        first: d,
        end: d.next_day().unwrap_or(d),
    };
    b.long_label(Granularity::Day, view.lang)
}

/// The period in words, the buckets, a note when they were made coarser, and the
/// rules of the figures.
fn summary(view: &View, q: &StatsQuery) -> Markup {
    let (first, last) = (day(view, q.first), day(view, q.last));
    let by = q.by.label(view.lang).to_lowercase();
    let period = match view.lang {
        Lang::Fr => format!("Du {first} au {last}, par {by}."),
        Lang::En => format!("From {first} to {last}, by {by}."),
    };
    html! {
        p class="period-words" id="stats-period" { strong { (period) } }
        @if let Some(asked) = q.coarsened_from {
            @let asked = asked.label(view.lang).to_lowercase();
            @let note = match view.lang {
                Lang::Fr => format!("Période longue : regroupée par {by} plutôt que par {asked} ({} périodes au plus).", Granularity::MAX_BUCKETS),
                Lang::En => format!("Long period: grouped by {by} rather than by {asked} ({} periods at most).", Granularity::MAX_BUCKETS),
            };
            (crate::fragments::flash("info", &note))
        }
        p class="hint muted" id="stats-rules" { (view.t(
            "Opérations : toutes sauf les vérifications 3-D Secure. Tentatives de paiement : ventes, autorisations et refacturations, hors paiements abandonnés (098) : le taux d'acceptation ne compte pas les abandons. Refus par code de retour : les parts incluent les abandons (098), qui ne sont pas des refus de la banque. CA net : ventes, captures et refacturations acceptées, moins les remboursements et impayés acceptés.",
            "Operations: all but 3-D Secure checks. Payment attempts: sales, authorizations and rebills, abandoned payments (098) left out: the acceptance rate does not count abandons. Refusals by result code: the shares include abandons (098), which are not refusals by the bank. Net revenue: accepted sales, captures and rebills, less accepted refunds and chargebacks.",
        )) }
    }
}
