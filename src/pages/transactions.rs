//! Processing › Transactions: the filter panel and the results (PROC-1 … PROC-4).
//! The page is the layout around the very fragment htmx swaps.

use maud::{Markup, html};

use super::layout::{Tab, page};
use crate::db::query::SearchPage;
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::filter::{PAGE_SIZES, PageRequest, RawFilter};
use crate::domain::money::format_amount;
use crate::domain::transaction::{Operation, Status, Transaction};
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::form::error_for;
use crate::fragments::{flash, pager};
use crate::handlers::Ctx;

pub const RESULTS_ID: &str = "results";
const FILTERS_FORM: &str = "filters";

/// What the list shows.
pub struct ListView<'a> {
    pub raw: &'a RawFilter,
    pub errors: &'a [FieldError],
    pub result: Option<&'a SearchPage>,
    pub req: PageRequest,
    pub merchants: &'a [Merchant],
}

/// `29.03.2017 15:49:17`.
pub fn datetime(at: i64) -> String {
    super::audit::datetime(at)
}

pub fn merchant_name(merchants: &[Merchant], id: u64) -> String {
    merchants
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| format!("#{id}"), |m| m.name.clone())
}

pub fn card_type(ctx: &Ctx) -> &'static str {
    ctx.t("Carte bancaire", "Credit card")
}

pub fn list_page(ctx: &Ctx, v: &ListView) -> Markup {
    let body = html! {
        h1 { (ctx.t("Transactions / Liste des transactions", "Transactions / Transaction list")) }
        div class="with-filters" {
            (filters(ctx, v))
            (results(ctx, v))
        }
    };
    page(
        ctx,
        ctx.t("Transactions", "Transactions"),
        Tab::Processing,
        Some(super::terminal::processing_subtabs(ctx, "/transactions")),
        body,
    )
}

fn text_field(ctx: &Ctx, v: &ListView, name: &str, label: &str, value: &str) -> Markup {
    let error = error_for(v.errors, name, ctx.lang);
    html! {
        div class="field" {
            label for={"q-" (name)} { (label) }
            input id={"q-" (name)} name=(name) value=(value) aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error { small class="error" { (e) } }
        }
    }
}

fn select(
    ctx: &Ctx,
    v: &ListView,
    name: &str,
    label: &str,
    current: &str,
    options: &[(String, String)],
) -> Markup {
    let error = error_for(v.errors, name, ctx.lang);
    html! {
        div class="field" {
            label for={"q-" (name)} { (label) }
            select id={"q-" (name)} name=(name) aria-invalid=[error.map(|_| "true")] {
                option value="" { (ctx.t("Tous", "All")) }
                @for (value, text) in options {
                    option value=(value) selected[value == current] { (text) }
                }
            }
            @if let Some(e) = error { small class="error" { (e) } }
        }
    }
}

fn filters(ctx: &Ctx, v: &ListView) -> Markup {
    let r = v.raw;
    let brands: Vec<(String, String)> = Brand::ALL
        .iter()
        .filter(|b| **b != Brand::Unknown)
        .map(|b| (b.key().into(), b.name().into()))
        .collect();
    let ops: Vec<(String, String)> = Operation::ALL
        .iter()
        .map(|o| (o.key().into(), o.label(ctx.lang).into()))
        .collect();
    let statuses: Vec<(String, String)> = Status::ALL
        .iter()
        .map(|s| (s.key().into(), s.label(ctx.lang).into()))
        .collect();
    let codes: Vec<(String, String)> = ResultCode::ALL
        .iter()
        .map(|c| (c.to_string(), format!("{c} – {}", c.text(ctx.lang))))
        .collect();
    let merchants: Vec<(String, String)> = v
        .merchants
        .iter()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let is_admin = ctx.user().is_some_and(|u| u.is_admin());
    let error = |f| error_for(v.errors, f, ctx.lang);
    html! {
        aside class="filters" {
            form id=(FILTERS_FORM) class="form" method="get" action="/transactions"
                hx-get="/transactions" hx-target={"#" (RESULTS_ID)} hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="change delay:200ms, submit" {
                h2 { (ctx.t("Filtres", "Filters")) }
                fieldset {
                    legend { (ctx.t("Période", "Period")) }
                    div class="field" {
                        label for="q-from" { (ctx.t("Début", "Start")) }
                        input id="q-from" name="from" value=(r.from) placeholder="AAAA-MM-JJ" aria-invalid=[error("from").map(|_| "true")];
                        @if let Some(e) = error("from") { small class="error" { (e) } }
                    }
                    div class="field" {
                        label for="q-to" { (ctx.t("Fin", "End")) }
                        input id="q-to" name="to" value=(r.to) placeholder="AAAA-MM-JJ" aria-invalid=[error("to").map(|_| "true")];
                        @if let Some(e) = error("to") { small class="error" { (e) } }
                    }
                    small class="hint" { (ctx.t("Par défaut : aujourd'hui (UTC). Format AAAA-MM-JJ ou AAAA-MM-JJTHH:MM.", "Default: today (UTC). Format YYYY-MM-DD or YYYY-MM-DDTHH:MM.")) }
                }
                fieldset {
                    legend { (ctx.t("Carte bancaire", "Credit card")) }
                    (select(ctx, v, "brand", ctx.t("Type de carte", "Card type"), &r.brand, &brands))
                    div class="grid2" {
                        (text_field(ctx, v, "bin", ctx.t("6 premiers chiffres", "First 6 digits"), &r.bin))
                        (text_field(ctx, v, "last4", ctx.t("4 derniers chiffres", "Last 4 digits"), &r.last4))
                    }
                    (text_field(ctx, v, "holder", ctx.t("Nom du porteur", "Holder name"), &r.holder))
                }
                fieldset {
                    legend { (ctx.t("Transaction", "Transaction")) }
                    (text_field(ctx, v, "amount", ctx.t("Montant exact", "Exact amount"), &r.amount))
                    div class="grid2" {
                        (text_field(ctx, v, "amount_min", ctx.t("Montant min.", "Min. amount"), &r.amount_min))
                        (text_field(ctx, v, "amount_max", ctx.t("Montant max.", "Max. amount"), &r.amount_max))
                    }
                    (select(ctx, v, "operation", ctx.t("Opération", "Operation"), &r.operation, &ops))
                    (select(ctx, v, "status", ctx.t("Statut", "Status"), &r.status, &statuses))
                    (select(ctx, v, "code", ctx.t("Code de retour", "Result code"), &r.code, &codes))
                    (text_field(ctx, v, "ref", ctx.t("Transaction de référence", "Reference transaction ID"), &r.reference))
                }
                fieldset {
                    legend { (ctx.t("Entités associées", "Associated entities")) }
                    @if is_admin { (select(ctx, v, "merchant", ctx.t("Marchand", "Merchant"), &r.merchant, &merchants)) }
                    (text_field(ctx, v, "terminal", ctx.t("Terminal", "Terminal"), &r.terminal))
                    (text_field(ctx, v, "account", ctx.t("Compte marchand", "Merchant account"), &r.account))
                }
                fieldset {
                    legend { (ctx.t("Acheteur et vente", "Buyer and sale")) }
                    (text_field(ctx, v, "email", ctx.t("Email acheteur", "Buyer email"), &r.email))
                    (text_field(ctx, v, "buyer", ctx.t("Nom de l'acheteur", "Buyer name"), &r.buyer))
                    (text_field(ctx, v, "order", ctx.t("Numéro de commande", "Order ID"), &r.order))
                }
                div class="actions" {
                    button class="primary" type="submit" { (ctx.t("Rechercher", "Search")) }
                    a href="/transactions" { (ctx.t("Réinitialiser", "Reset")) }
                }
            }
        }
    }
}

/// The swappable results: page size, table, pager, export links.
pub fn results(ctx: &Ctx, v: &ListView) -> Markup {
    let per_page = v.req.per_page;
    let href = |p: u64| format!("/transactions?{}", v.raw.to_query(p, per_page));
    html! {
        div id=(RESULTS_ID) class="results" {
            @if !v.errors.is_empty() {
                (flash("err", ctx.t("Certains filtres sont invalides : corrigez-les dans le panneau.", "Some filters are invalid: correct them in the panel.")))
                ul class="small" { @for e in v.errors { li { (e.message(ctx.lang)) } } }
            }
            @if let Some(result) = v.result {
                @let last_page = result.total.div_ceil(u64::from(per_page)).max(1);
                @let first = if result.rows.is_empty() { 0 } else { v.req.offset() + 1 };
                @let last = if result.rows.is_empty() { 0 } else { v.req.offset() + result.rows.len() as u64 };
                div class="results-head" {
                    label { (ctx.t("Afficher", "Show")) " "
                        select name="per_page" form=(FILTERS_FORM) {
                            @for n in PAGE_SIZES { option value=(n) selected[n == per_page] { (n) } }
                        }
                        " " (ctx.t("éléments", "items"))
                    }
                    span class="pager-info" id="pager-info" { (pager::info(ctx.lang, first, last, result.total)) }
                    (export_links(ctx, v))
                }
                (pager::pager(ctx.lang, v.req.page, last_page, &format!("#{RESULTS_ID}"), &href))
                (table(ctx, &result.rows, v.merchants))
                @if v.req.page > last_page && result.total > 0 {
                    p class="muted" { (ctx.t("Cette page est au-delà de la dernière.", "This page is beyond the last one.")) " " a href=(href(last_page)) { (ctx.t("Aller à la dernière page", "Go to the last page")) } }
                }
                (pager::pager(ctx.lang, v.req.page, last_page, &format!("#{RESULTS_ID}"), &href))
            }
        }
    }
}

fn export_links(ctx: &Ctx, v: &ListView) -> Markup {
    if !ctx.user().is_some_and(|u| u.permissions().export) {
        return html! {};
    }
    let q = v.raw.to_query(v.req.page, v.req.per_page);
    html! {
        details class="export" {
            summary { (ctx.t("Exporter", "Export")) }
            div class="small" {
                @for (scope, label) in [("page", ctx.t("Page en cours", "Current page")), ("all", ctx.t("Toutes les pages", "All pages"))] {
                    div { strong { (label) " : " }
                        @for f in ["csv", "xlsx", "json", "xml", "html", "txt"] {
                            a href={"/transactions/export?format=" (f) "&scope=" (scope) "&" (q)} download { (f.to_uppercase()) } " "
                        }
                    }
                }
            }
        }
    }
}

pub fn table(ctx: &Ctx, rows: &[Transaction], merchants: &[Merchant]) -> Markup {
    html! {
        div class="table-wrap" {
            table class="grid" id="tx-table" {
                thead { tr {
                    th { (ctx.t("Identifiant de transaction", "Transaction ID")) } th { "Type" } th { (ctx.t("Opération", "Operation")) }
                    th { (ctx.t("Initiateur", "Initiator")) } th class="num" { (ctx.t("Montant", "Amount")) } th { "Date" }
                    th { (ctx.t("Résultat", "Result")) } th { "Actions" }
                } }
                tbody {
                    @if rows.is_empty() {
                        tr { td colspan="8" class="muted" { (ctx.t("Aucune transaction ne correspond à ces critères.", "No transaction matches these criteria.")) } }
                    }
                    @for tx in rows {
                        tr {
                            td class="num" { a href={"/transactions/" (tx.id)} { (tx.id) } }
                            td { (card_type(ctx)) }
                            td { (tx.operation.label(ctx.lang)) }
                            td { (merchant_name(merchants, tx.merchant_id)) }
                            td class="num" { (format_amount(tx.amount, tx.currency, ctx.lang)) }
                            td class="nowrap" { (datetime(tx.at)) }
                            td { span class={"badge " (if tx.code.is_accepted() { "ok" } else { "ko" })} title=(tx.code.text(ctx.lang)) { (tx.code) } }
                            td { a href={"/transactions/" (tx.id)} title=(ctx.t("Détails", "Details")) aria-label=(ctx.t("Détails", "Details")) {
                                svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" {
                                    circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="1.8" {}
                                    line x1="10" y1="10" x2="14.5" y2="14.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" {}
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}
