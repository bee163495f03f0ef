//! Statistics: one section per table (its title, charts, download link and rows).
//! Each cell carries its value as the CSV writes it (`data-value`), so the page and
//! its download can be compared; tables become stacked cards on phones.

use maud::{Markup, html};

use crate::domain::stats_tables::{PeriodSeries, Table, TableKey};
use crate::fragments::View;

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

/// The charts of the periods (bars of revenue and count, a line of acceptance);
/// empty until the chart fragments are merged.
pub fn period_charts(_view: &View, _s: &PeriodSeries) -> Markup {
    html! {}
}

/// The bar chart of a brand split; empty until the chart fragments are merged.
pub fn brand_chart(_view: &View, _t: &Table) -> Markup {
    html! {}
}
