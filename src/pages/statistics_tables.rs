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

/// One table's section: title, note, charts, download link (`href`), rows.
pub fn section(view: &View, t: &Table, href: &str, charts: Markup) -> Markup {
    let id = section_id(t.key);
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
            @if t.key == TableKey::IpCountries {
                p class="hint muted" { (view.t(
                    "Le pays où l'adresse IP de l'acheteur est enregistrée (registres Internet régionaux, base intégrée) : un VPN ou un mobile à l'étranger montre le pays de son fournisseur. Adresses privées ou inconnues : « Pays inconnu ».",
                    "The country the buyer's IP address is registered in (regional Internet registries, built-in data): a VPN or a phone roaming abroad shows its provider's country. Private or unknown addresses: \"Unknown country\".",
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

/// What a chart shows, for the sentence of its text alternative.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// Net revenue per period.
    Revenue,
    /// Counted operations per period.
    Count,
    /// The acceptance rate per period (periods without attempts are gaps).
    Acceptance,
    /// Counted operations per card type.
    Brands,
}

/// `n` and its noun, singular or plural as `lang` wants ("1 période", "0 période",
/// "0 periods").
fn counted(lang: Lang, n: u64, fr: (&str, &str), en: (&str, &str)) -> String {
    let n_text = crate::domain::figures::count_text(n, lang);
    let noun = match lang {
        Lang::Fr if n <= 1 => fr.0,
        Lang::Fr => fr.1,
        Lang::En if n == 1 => en.0,
        Lang::En => en.1,
    };
    format!("{n_text} {noun}")
}

/// A sentence for a chart's text alternative: the total and the highest bar, or the
/// highest rate, with the right nouns.
pub fn describe(
    lang: Lang,
    about: About,
    labels: &[String],
    values: &[i64],
    kind: ValueKind,
) -> String {
    let shown: Vec<(usize, i64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| *v != GAP)
        .collect();
    let best = shown
        .iter()
        .max_by_key(|(i, v)| (*v, std::cmp::Reverse(*i)))
        .and_then(|(i, v)| labels.get(*i).map(|l| (l, *v)));
    let Some((l, best)) = best else {
        return lang.pick("Aucune donnée.", "No data.").into();
    };
    let sum = shown.iter().fold(0i64, |a, (_, v)| a.saturating_add(*v));
    let fmt = |v: i64| format_value(v, kind, lang);
    let n = u64::try_from(shown.len()).unwrap_or(u64::MAX);
    let ops = |v: i64| {
        let v = u64::try_from(v).unwrap_or(0);
        counted(
            lang,
            v,
            ("opération", "opérations"),
            ("operation", "operations"),
        )
    };
    let periods = counted(lang, n, ("période", "périodes"), ("period", "periods"));
    let (s, b) = (fmt(sum), fmt(best));
    match (lang, about) {
        (Lang::Fr, About::Revenue) => {
            format!("CA net total : {s} sur {periods} ; le plus élevé : {l} ({b}).")
        }
        (Lang::En, About::Revenue) => {
            format!("Total net revenue: {s} over {periods}; the highest: {l} ({b}).")
        }
        (Lang::Fr, About::Count) => format!(
            "Total : {} sur {periods} ; la plus chargée : {l} ({b}).",
            ops(sum)
        ),
        (Lang::En, About::Count) => {
            format!(
                "Total: {} over {periods}; the busiest: {l} ({b}).",
                ops(sum)
            )
        }
        (Lang::Fr, About::Acceptance) => {
            let p = counted(
                lang,
                n,
                (
                    "période avec des tentatives",
                    "périodes avec des tentatives",
                ),
                ("", ""),
            );
            format!("Taux d'acceptation sur {p} ; le plus haut : {l} ({b}).")
        }
        (Lang::En, About::Acceptance) => {
            let p = counted(lang, n, ("", ""), ("period", "periods"));
            format!("Acceptance rate over {p} with attempts; the highest: {l} ({b}).")
        }
        (Lang::Fr, About::Brands) => {
            let t = counted(lang, n, ("type de carte", "types de carte"), ("", ""));
            format!(
                "Total : {} sur {t} ; le plus fréquent : {l} ({b}).",
                ops(sum)
            )
        }
        (Lang::En, About::Brands) => {
            let t = counted(lang, n, ("", ""), ("card type", "card types"));
            format!(
                "Total: {} over {t}; the most frequent: {l} ({b}).",
                ops(sum)
            )
        }
    }
}

fn chart(
    view: &View,
    id: &str,
    title: String,
    s: &PeriodSeries,
    (name, values, style): (&str, &[i64], &'static str),
    (kind, about): (ValueKind, About),
) -> Chart {
    Chart {
        id: id.into(),
        description: describe(view.lang, about, &s.labels, values, kind),
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
        (ValueKind::Money(s.currency), About::Revenue),
    );
    let counts = chart(
        view,
        "chart-count",
        view.t("Opérations par période", "Operations by period")
            .into(),
        s,
        (view.t("Opérations", "Operations"), &s.counts, "current"),
        (ValueKind::Count, About::Count),
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
        (ValueKind::PerMille, About::Acceptance),
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
        description: describe(view.lang, About::Brands, &labels, &values, ValueKind::Count),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_chart_is_described_with_its_own_noun_and_number() {
        let brands = labels(&["VISA", "MASTERCARD"]);
        let (fr, en) = (Lang::Fr, Lang::En);
        let d = |lang, about, l: &[String], v: &[i64], k| describe(lang, about, l, v, k);
        assert_eq!(
            d(fr, About::Brands, &brands, &[314, 142], ValueKind::Count),
            "Total : 456 opérations sur 2 types de carte ; le plus fréquent : VISA (314)."
        );
        assert_eq!(
            d(en, About::Brands, &brands, &[314, 142], ValueKind::Count),
            "Total: 456 operations over 2 card types; the most frequent: VISA (314)."
        );
        let one = labels(&["VISA"]);
        assert_eq!(
            d(fr, About::Brands, &one, &[1], ValueKind::Count),
            "Total : 1 opération sur 1 type de carte ; le plus fréquent : VISA (1)."
        );
        assert_eq!(
            d(en, About::Brands, &one, &[1], ValueKind::Count),
            "Total: 1 operation over 1 card type; the most frequent: VISA (1)."
        );
        let days = labels(&["2 nov.", "3 nov."]);
        assert_eq!(
            d(fr, About::Count, &days, &[3, 5], ValueKind::Count),
            "Total : 8 opérations sur 2 périodes ; la plus chargée : 3 nov. (5)."
        );
        assert_eq!(
            d(
                en,
                About::Count,
                &labels(&["Nov 2"]),
                &[0],
                ValueKind::Count
            ),
            "Total: 0 operations over 1 period; the busiest: Nov 2 (0)."
        );
        assert_eq!(
            d(
                fr,
                About::Acceptance,
                &days,
                &[GAP, 923],
                ValueKind::PerMille
            ),
            "Taux d'acceptation sur 1 période avec des tentatives ; le plus haut : 3 nov. (92,3 %)."
        );
        assert_eq!(
            d(
                en,
                About::Acceptance,
                &days,
                &[900, 923],
                ValueKind::PerMille
            ),
            "Acceptance rate over 2 periods with attempts; the highest: 3 nov. (92.3%)."
        );
        assert!(
            d(
                fr,
                About::Revenue,
                &days,
                &[100, 250],
                ValueKind::Money(crate::domain::money::Currency::Mad)
            )
            .starts_with("CA net total : 3,50")
        );
        assert_eq!(
            d(
                fr,
                About::Acceptance,
                &days,
                &[GAP, GAP],
                ValueKind::PerMille
            ),
            "Aucune donnée."
        );
    }
}
