//! Statistics: one section per table (its title, charts, download link and rows).
//! Each cell carries its value as the CSV writes it (`data-value`), so the page and
//! its download can be compared; tables become stacked cards on phones.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::stats_tables::{PeriodSeries, Table, TableKey, Value};
use crate::fragments::View;
use crate::fragments::chart::{
    Chart, ChartSeries, GAP, ValueKind, bar_chart, format_value, hbar_chart, line_chart,
};

/// The id of a table's section (`#stat-refusals`).
pub fn section_id(key: TableKey) -> String {
    format!("stat-{}", key.key())
}

/// The rows of `t` as a table.
pub fn grid(view: &View, t: &Table) -> Markup {
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| {
            t.rows
                .first()
                .and_then(|r| r.cells.get(i))
                .is_some_and(|v| v.is_numeric())
        })
        .collect();
    html! {
        div class="table-wrap stack-wrap" {
            table class="grid stack stats" id={"table-" (t.key.key())} {
                caption class="sr-only" { (t.key.title(view.lang)) }
                thead { tr {
                    @for (i, c) in t.columns.iter().enumerate() {
                        th scope="col" class=[numeric[i].then_some("num")] { (c) }
                    }
                } }
                tbody {
                    @for row in &t.rows {
                        tr {
                            @for (i, v) in row.cells.iter().enumerate() {
                                @if i == 0 {
                                    td class="lead" data-value=(v.csv()) {
                                        @if let Some(h) = &row.href {
                                            a href=(h) { (v.text(view.lang)) }
                                        } @else {
                                            (v.text(view.lang))
                                        }
                                    }
                                } @else {
                                    td class=[v.is_numeric().then_some("num")] data-label=(t.columns[i]) data-value=(v.csv()) { (v.text(view.lang)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a table without rows says.
fn empty_text(view: &View, key: TableKey) -> &'static str {
    match key {
        TableKey::Refusals => view.t("Aucun refus sur la période.", "No refusal in the period."),
        _ => view.t(
            "Aucune opération sur la période.",
            "No operation in the period.",
        ),
    }
}

/// A split refused for its size: why, and what to do.
fn too_many_text(view: &View, rows: u64, limit: u64) -> String {
    let (r, l) = (
        crate::domain::figures::count_text(rows, view.lang),
        crate::domain::figures::count_text(limit, view.lang),
    );
    match view.lang {
        crate::domain::Lang::Fr => format!(
            "Trop d'opérations ({r}) pour répartir par pays avec ce filtre (au plus {l}) : raccourcissez la période."
        ),
        crate::domain::Lang::En => format!(
            "Too many rows ({r}) to split by country with this filter ({l} at most): shorten the period."
        ),
    }
}

/// One table's section: title, note, charts, download link, rows.
pub fn section(view: &View, t: &Table, export_query: &str, charts: Markup) -> Markup {
    let id = section_id(t.key);
    let href = format!("/statistics/export?table={}&{export_query}", t.key.key());
    html! {
        section class="stat-section" id=(id) aria-labelledby={(id) "-title"} {
            div class="section-head" {
                h2 id={(id) "-title"} { (t.key.title(view.lang)) }
                @if t.too_many.is_none() {
                    a class="button small" href=(href) download {
                        (view.t("Télécharger (CSV)", "Download (CSV)"))
                        span class="sr-only" { (view.t(" : ", ": ")) (t.key.title(view.lang)) }
                    }
                }
            }
            @if t.key == TableKey::BuyerCountries {
                p class="hint muted" { (view.t(
                    "Le pays de l'acheteur est celui saisi lors du paiement : aucune localisation par adresse IP n'est faite.",
                    "The buyer country is the one entered at payment: there is no location lookup by IP address.",
                )) }
            }
            @if let Some((rows, limit)) = t.too_many {
                (crate::fragments::flash("warn", &too_many_text(view, rows, limit)))
            } @else if t.rows.is_empty() {
                p class="empty" { (empty_text(view, t.key)) }
            } @else {
                (charts)
                (grid(view, t))
            }
        }
    }
}

/// A sentence for a chart's text alternative: the total and the highest bucket.
fn describe(
    view: &View,
    labels: &[String],
    values: &[i64],
    kind: ValueKind,
    total: bool,
) -> String {
    let best = values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != GAP)
        .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)));
    let sum: i64 = values.iter().fold(0i64, |a, v| a.saturating_add(*v));
    let fmt = |v: i64| format_value(v, kind, view.lang);
    let top = best.and_then(|(i, v)| labels.get(i).map(|l| (l, fmt(*v))));
    match (view.lang, top) {
        (_, None) => view.t("Aucune donnée.", "No data.").to_string(),
        (Lang::Fr, Some((l, v))) if total => format!(
            "Total : {} sur {} périodes ; la plus haute : {l} ({v}).",
            fmt(sum),
            values.len()
        ),
        (Lang::En, Some((l, v))) if total => format!(
            "Total: {} over {} periods; the highest: {l} ({v}).",
            fmt(sum),
            values.len()
        ),
        (Lang::Fr, Some((l, v))) => {
            format!("{} périodes ; la plus haute : {l} ({v}).", values.len())
        }
        (Lang::En, Some((l, v))) => format!("{} periods; the highest: {l} ({v}).", values.len()),
    }
}

fn chart(
    view: &View,
    id: &str,
    title: String,
    s: &PeriodSeries,
    (name, values, style): (&str, &[i64], &'static str),
    kind: ValueKind,
) -> Chart {
    Chart {
        id: id.into(),
        description: describe(view, &s.labels, values, kind, kind != ValueKind::PerMille),
        title,
        x_labels: s.labels.clone(),
        links: s.links.clone(),
        series: vec![ChartSeries {
            name: name.into(),
            values: values.to_vec(),
            style,
        }],
        kind,
        lang: view.lang,
    }
}

/// The charts of the periods: bars of net revenue (main currency) and of counted
/// operations, a line of the acceptance rate.
pub fn period_charts(view: &View, s: &PeriodSeries) -> Markup {
    let cur = s.currency.code();
    let revenue_name = format!("{} ({cur})", view.t("CA net", "Net revenue"));
    let revenue = chart(
        view,
        "chart-revenue",
        format!(
            "{} ({cur}) {}",
            view.t("CA net", "Net revenue"),
            view.t("par période", "by period")
        ),
        s,
        (&revenue_name, &s.revenue, "current"),
        ValueKind::Money(s.currency),
    );
    let counts = chart(
        view,
        "chart-count",
        view.t("Opérations par période", "Operations by period")
            .into(),
        s,
        (view.t("Opérations", "Operations"), &s.counts, "current"),
        ValueKind::Count,
    );
    // A period without attempts has no rate: a gap in the line, not a 0.
    let acceptance: Vec<i64> = s
        .acceptance
        .iter()
        .map(|p| p.map_or(GAP, i64::from))
        .collect();
    let rate = chart(
        view,
        "chart-acceptance",
        view.t(
            "Taux d'acceptation par période",
            "Acceptance rate by period",
        )
        .into(),
        s,
        (
            view.t("Taux d'acceptation", "Acceptance rate"),
            &acceptance,
            "accepted",
        ),
        ValueKind::PerMille,
    );
    html! {
        div class="stat-charts" {
            (bar_chart(&revenue))
            (bar_chart(&counts))
            (line_chart(&rate))
        }
    }
}

/// Horizontal bars of the operations per card type.
pub fn brand_chart(view: &View, t: &Table) -> Markup {
    let labels: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            r.cells
                .first()
                .map_or_else(String::new, |v| v.text(view.lang))
        })
        .collect();
    let values: Vec<i64> = t
        .rows
        .iter()
        .map(|r| match r.cells.get(1) {
            Some(Value::Count(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
            _ => 0,
        })
        .collect();
    let c = Chart {
        id: "chart-brands".into(),
        title: view
            .t("Opérations par type de carte", "Operations by card type")
            .into(),
        description: describe(view, &labels, &values, ValueKind::Count, true),
        x_labels: labels,
        links: t.rows.iter().map(|r| r.href.clone()).collect(),
        series: vec![ChartSeries {
            name: view.t("Opérations", "Operations").into(),
            values,
            style: "current",
        }],
        kind: ValueKind::Count,
        lang: view.lang,
    };
    html! { div class="stat-charts hbar" { (hbar_chart(&c)) } }
}
