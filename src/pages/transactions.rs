//! Processing › Transactions: the filter panel and the results (PROC-1 … PROC-4).
//! The page is the layout around the very fragment htmx swaps.

use maud::{Markup, html};
use time::Date;

use super::layout::processing_page;
use super::list_summary::{chips, period_line, totals_line};
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::filter::{Filter, PAGE_SIZES, PageRequest, RawFilter};
use crate::domain::permission::Permission;
use crate::domain::search::SearchPage;
use crate::domain::transaction::{Operation, Status};
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::form::{Select, error_for};
use crate::fragments::tables::transactions_table_with;
use crate::fragments::{flash, pager};

pub const RESULTS_ID: &str = "results";
const FILTERS_FORM: &str = "filters";

/// What the list shows.
pub struct ListView<'a> {
    pub raw: &'a RawFilter,
    pub errors: &'a [FieldError],
    pub result: Option<&'a SearchPage>,
    pub req: PageRequest,
    pub merchants: &'a [Merchant],
    /// The parsed search, when the values were valid.
    pub filter: Option<&'a Filter>,
    /// Today by the app's clock: the default period and the shortcuts.
    pub today: Date,
}

/// The id of the totals line (tests and the live region read it).
pub const TOTALS_ID: &str = "totals";

pub fn list_page(view: &View, v: &ListView) -> Markup {
    let body = html! {
        div class="page-head list-head" {
            h1 { (view.t("Transactions / Liste des transactions", "Transactions / Transaction list")) }
            // Phones only (the stylesheet hides it elsewhere): the panel is below the results.
            a class="button filters-jump" href={"#" (FILTERS_FORM)} {
                svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" {
                    path d="M1.5 2.5h13l-5 6v5l-3-1.5v-3.5z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" {}
                }
                (view.t("Filtres", "Filters"))
            }
        }
        // A stable live region around the results: htmx replaces #results (outerHTML)
        // inside it, so screen readers hear the new count after a filter or page change.
        div class="with-filters" aria-live="polite" {
            (filters(view, v))
            (results(view, v))
        }
        // Marks the invalid fields of the panel after an htmx answer (the page as
        // served marks them itself).
        script src="/static/list.js" defer {}
    };
    processing_page(
        view,
        view.t("Transactions", "Transactions"),
        "/transactions",
        body,
    )
}

fn text_field(view: &View, v: &ListView, name: &str, label: &str, value: &str) -> Markup {
    text_field_with(view, v, name, label, value, None)
}

/// A filter text field, with an optional placeholder.
fn text_field_with(
    view: &View,
    v: &ListView,
    name: &str,
    label: &str,
    value: &str,
    placeholder: Option<&str>,
) -> Markup {
    let error = error_for(v.errors, name, view.lang);
    html! {
        div class="field" {
            label for={"q-" (name)} { (label) }
            input id={"q-" (name)} name=(name) value=(value) placeholder=[placeholder] aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("q-{name}-err"))];
            @if let Some(e) = error { small class="error" id={"q-" (name) "-err"} { (e) } }
        }
    }
}

/// A filter drop-down: "All" first, its error from the filter's errors.
fn select(
    view: &View,
    v: &ListView,
    name: &str,
    label: &str,
    current: &str,
    options: &[(String, String)],
) -> Markup {
    Select::new(name, label, options, current)
        .id_prefix("q")
        .any(view.t("Tous", "All"))
        .error(error_for(v.errors, name, view.lang))
        .render()
}

/// The period: start and end.
fn period_fieldset(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    html! {
        fieldset {
            legend { (view.t("Période", "Period")) }
            @if !r.period.trim().is_empty() { input type="hidden" name="period" value=(r.period.trim()); }
            (text_field_with(view, v, "from", view.t("Début", "Start"), &r.from, Some(view.t("JJ/MM/AAAA", "DD/MM/YYYY"))))
            (text_field_with(view, v, "to", view.t("Fin", "End"), &r.to, Some(view.t("JJ/MM/AAAA", "DD/MM/YYYY"))))
            small class="hint" { (period_hint(view)) }
        }
    }
}

/// How dates are typed, and in which zone they are read (the user's).
fn period_hint(view: &View) -> String {
    let zone = view.zone.label();
    match view.lang {
        crate::domain::Lang::Fr => format!(
            "Par défaut : aujourd'hui. Dates et heures de votre fuseau ({zone}) : JJ/MM/AAAA ou AAAA-MM-JJ, avec l'heure si besoin (JJ/MM/AAAA HH:MM)."
        ),
        crate::domain::Lang::En => format!(
            "Default: today. Dates and times in your time zone ({zone}): DD/MM/YYYY or YYYY-MM-DD, with a time if needed (DD/MM/YYYY HH:MM)."
        ),
    }
}

/// The card: brand, BIN, last four digits, holder.
fn card_fieldset(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    let brands: Vec<(String, String)> = Brand::ALL
        .iter()
        .filter(|b| **b != Brand::Unknown)
        .map(|b| (b.key().into(), b.name().into()))
        .collect();
    html! {
        fieldset {
            legend { (view.t("Carte bancaire", "Credit card")) }
            (select(view, v, "brand", view.t("Type de carte", "Card type"), &r.brand, &brands))
            div class="grid2" {
                (text_field(view, v, "bin", view.t("6 premiers chiffres", "First 6 digits"), &r.bin))
                (text_field(view, v, "last4", view.t("4 derniers chiffres", "Last 4 digits"), &r.last4))
            }
            (text_field(view, v, "holder", view.t("Nom du porteur", "Holder name"), &r.holder))
        }
    }
}

/// The transaction: amounts, operation, status, result code, reference.
fn transaction_fieldset(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    let ops: Vec<(String, String)> = Operation::ALL
        .iter()
        .map(|o| (o.key().into(), o.label(view.lang).into()))
        .collect();
    let statuses: Vec<(String, String)> = Status::ALL
        .iter()
        .map(|s| (s.key().into(), s.label(view.lang).into()))
        .collect();
    let codes: Vec<(String, String)> = ResultCode::ALL
        .iter()
        .map(|c| (c.to_string(), format!("{c} – {}", c.text(view.lang))))
        .collect();
    html! {
        fieldset {
            legend { (view.t("Transaction", "Transaction")) }
            (text_field(view, v, "amount", view.t("Montant exact", "Exact amount"), &r.amount))
            div class="grid2" {
                (text_field(view, v, "amount_min", view.t("Montant min.", "Min. amount"), &r.amount_min))
                (text_field(view, v, "amount_max", view.t("Montant max.", "Max. amount"), &r.amount_max))
            }
            (select(view, v, "operation", view.t("Opération", "Operation"), &r.operation, &ops))
            div class="field check" {
                label for="q-three_ds" {
                    input type="checkbox" id="q-three_ds" name="three_ds" value="1" checked[show_3ds(r)];
                    " " (view.t("Afficher les vérifications 3-D Secure", "Show 3-D Secure checks"))
                }
                small class="hint" id="q-three_ds-hint" { (view.t("Masquées par défaut : elles précèdent une vente et ne déplacent pas d'argent.", "Hidden by default: they come before a sale and move no money.")) }
            }
            div class="field check" {
                label for="q-attempts" {
                    input type="checkbox" id="q-attempts" name="attempts" value="1" checked[attempts(r)] aria-describedby="q-attempts-hint";
                    " " (view.t("Tentatives de paiement uniquement", "Payment attempts only"))
                }
                small class="hint" id="q-attempts-hint" { (view.t("Ventes, autorisations et refacturations, hors abandons (098) : la base du taux d'acceptation.", "Sales, authorizations and rebills, excluding abandons (098): the basis of the acceptance rate.")) }
            }
            (select(view, v, "status", view.t("Statut", "Status"), &r.status, &statuses))
            (select(view, v, "code", view.t("Code de retour", "Result code"), &r.code, &codes))
            (text_field(view, v, "ref", view.t("Transaction de référence", "Reference transaction ID"), &r.reference))
            (ids_field(view, v))
        }
    }
}

/// The selection of transactions (`ids`), shown only when a link brought one (such as
/// a fraud backtest's): kept by the form so paging and other filters keep it.
fn ids_field(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    if r.ids.trim().is_empty() {
        return html! {};
    }
    let error = error_for(v.errors, "ids", view.lang);
    let described = if error.is_some() {
        "q-ids-hint q-ids-err"
    } else {
        "q-ids-hint"
    };
    html! {
        div class="field" {
            label for="q-ids" { (view.t("Sélection (numéros de transaction)", "Selection (transaction numbers)")) }
            input id="q-ids" name="ids" value=(r.ids.trim()) aria-invalid=[error.map(|_| "true")] aria-describedby=(described);
            small class="hint" id="q-ids-hint" { (view.t("Numéros séparés par des virgules, 500 au plus. Videz le champ pour retirer la sélection.", "Numbers separated by commas, 500 at most. Empty the field to remove the selection.")) }
            @if let Some(e) = error { small class="error" id="q-ids-err" { (e) } }
        }
    }
}

/// Whether the raw toggle asks for the 3-D Secure rows (the parsed filter decides).
pub(super) fn show_3ds(r: &RawFilter) -> bool {
    matches!(r.three_ds.trim(), "1" | "on" | "true")
}

/// Whether the raw toggle asks for payment attempts only.
pub(super) fn attempts(r: &RawFilter) -> bool {
    matches!(r.attempts.trim(), "1" | "on" | "true")
}

/// The merchant (admins), terminal and merchant account.
fn entities_fieldset(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    let merchants: Vec<(String, String)> = v
        .merchants
        .iter()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let is_admin = view.user().is_some_and(|u| u.may(Permission::Admin));
    html! {
        fieldset {
            legend { (view.t("Entités associées", "Associated entities")) }
            @if is_admin { (select(view, v, "merchant", view.t("Marchand", "Merchant"), &r.merchant, &merchants)) }
            (text_field(view, v, "terminal", view.t("Terminal", "Terminal"), &r.terminal))
            (text_field(view, v, "account", view.t("Compte marchand", "Merchant account"), &r.account))
        }
    }
}

/// The buyer and the order.
fn buyer_fieldset(view: &View, v: &ListView) -> Markup {
    let r = v.raw;
    html! {
        fieldset {
            legend { (view.t("Acheteur et vente", "Buyer and sale")) }
            (text_field(view, v, "email", view.t("Email acheteur", "Buyer email"), &r.email))
            (text_field(view, v, "buyer", view.t("Nom de l'acheteur", "Buyer name"), &r.buyer))
            (text_field(view, v, "order", view.t("Numéro de commande", "Order ID"), &r.order))
        }
    }
}

fn filters(view: &View, v: &ListView) -> Markup {
    html! {
        aside class="filters" {
            form id=(FILTERS_FORM) class="form" method="get" action="/transactions"
                hx-get="/transactions" hx-target={"#" (RESULTS_ID)} hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="change delay:200ms, submit" {
                h2 { (view.t("Filtres", "Filters")) }
                (period_fieldset(view, v))
                (card_fieldset(view, v))
                (transaction_fieldset(view, v))
                (entities_fieldset(view, v))
                (buyer_fieldset(view, v))
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Rechercher", "Search")) }
                    a href="/transactions" { (view.t("Réinitialiser", "Reset")) }
                }
            }
        }
    }
}

/// The swappable results: page size, table, pager, export links.
pub fn results(view: &View, v: &ListView) -> Markup {
    let per_page = v.req.per_page;
    let href = |p: u64| format!("/transactions?{}", v.raw.to_query(p, per_page));
    html! {
        div id=(RESULTS_ID) class="results" {
            @if !v.errors.is_empty() {
                (flash("err", view.t("Certains filtres sont invalides : corrigez-les dans le panneau.", "Some filters are invalid: correct them in the panel.")))
                ul class="small field-errors" { @for e in v.errors { li data-field=(e.field) { a href={"#q-" (e.field)} { (e.message(view.lang)) } } } }
            }
            (period_line(view, v))
            (chips(view, v))
            @if let (Some(result), Some(filter)) = (v.result, v.filter) {
                (totals_line(view, v, &result.totals, filter))
            }
            @if let Some(result) = v.result {
                @let last_page = result.total.div_ceil(u64::from(per_page)).max(1);
                @let first = if result.rows.is_empty() { 0 } else { v.req.offset() + 1 };
                @let last = if result.rows.is_empty() { 0 } else { v.req.offset() + result.rows.len() as u64 };
                div class="results-head" {
                    label { (view.t("Afficher", "Show")) " "
                        select name="per_page" form=(FILTERS_FORM)
                            hx-get="/transactions" hx-include={"#" (FILTERS_FORM)} hx-trigger="change"
                            hx-target={"#" (RESULTS_ID)} hx-swap="outerHTML" hx-push-url="true" {
                            @for n in PAGE_SIZES { option value=(n) selected[n == per_page] { (n) } }
                        }
                        " " (view.t("éléments", "items"))
                    }
                    span class="pager-info" id="pager-info" { (pager::info(view.lang, first, last, result.total)) }
                    (export_links(view, v))
                }
                (pager::pager(view.lang, false, v.req.page, last_page, &format!("#{RESULTS_ID}"), &href))
                (transactions_table_with(view, &result.rows, v.merchants, &result.children))
                @if v.req.page > last_page && result.total > 0 {
                    p class="muted" { (view.t("Cette page est au-delà de la dernière.", "This page is beyond the last one.")) " " a href=(href(last_page)) { (view.t("Aller à la dernière page", "Go to the last page")) } }
                }
                (pager::pager(view.lang, true, v.req.page, last_page, &format!("#{RESULTS_ID}"), &href))
            }
        }
    }
}

/// The export formats the menu offers: `format=` value, label, hint.
fn export_formats(view: &View) -> [(&'static str, &'static str, Option<&'static str>); 7] {
    [
        ("csv", "CSV", Some(view.t("Séparateur « , », point décimal (1250.50), dates ISO 8601", "\",\" separator, decimal point (1250.50), ISO 8601 dates"))),
        ("csv-excel-fr", view.t("CSV (Excel FR)", "CSV (French Excel)"), Some(view.t("Pour Excel réglé en français : séparateur « ; », virgule décimale (1250,50), dates JJ/MM/AAAA", "For Excel set to French: \";\" separator, decimal comma (1250,50), dates DD/MM/YYYY"))),
        ("xlsx", "Excel (XLSX)", None),
        ("json", "JSON", None),
        ("xml", "XML", None),
        ("html", "HTML", None),
        ("txt", view.t("Texte", "Text"), None),
    ]
}

fn export_links(view: &View, v: &ListView) -> Markup {
    if !view.user().is_some_and(|u| u.may(Permission::Export)) {
        return html! {};
    }
    let q = v.raw.to_query(v.req.page, v.req.per_page);
    html! {
        details class="export" {
            summary { (view.t("Exporter", "Export")) }
            div class="small" {
                @for (scope, label) in [("page", view.t("Page en cours :", "Current page:")), ("all", view.t("Toutes les pages :", "All pages:"))] {
                    div { strong { (label) " " }
                        @for (f, name, hint) in export_formats(view) {
                            a href={"/transactions/export?format=" (f) "&scope=" (scope) "&" (q)} title=[hint] download { (name) } " "
                        }
                    }
                }
            }
        }
    }
}
