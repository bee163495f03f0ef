//! Processing › Authorizations to capture: the accepted authorizations still holding
//! their amount, soonest expiry first, each leading to its Operations tab.

use maud::{Markup, html};

use super::layout::processing_page;
use crate::domain::Lang;
use crate::domain::list_row::card_short;
use crate::domain::merchant::name_of;
use crate::domain::money::{format_amount, format_count};
use crate::domain::open_authorization::{OpenAuthorization, time_left};
use crate::domain::time::{date_header, format_datetime, format_datetime_cell};
use crate::domain::user::Merchant;
use crate::fragments::View;
use crate::fragments::form::Select;
use crate::fragments::tables::customer_cell;

/// At most this many rows on the page (the count says how many there are).
pub const MAX_ROWS: usize = 500;

/// What the screen shows.
pub struct AuthorizationsView<'a> {
    /// How many authorizations hold (all of them, not only the rows shown).
    pub total: u64,
    /// The first [`MAX_ROWS`] of them, soonest expiry first.
    pub rows: &'a [OpenAuthorization],
    /// The merchants in scope (names, and the admin's choice).
    pub merchants: &'a [Merchant],
    /// The merchant asked for (`?merchant=`), if any.
    pub merchant: Option<u64>,
    /// Whether the reader sees every merchant (the merchant column and choice).
    pub admin: bool,
}

/// "12 autorisations à capturer" / "12 authorizations to capture".
fn heading(total: u64, lang: Lang) -> String {
    let count = format_count(total, lang);
    match lang {
        Lang::Fr if total <= 1 => format!("{count} autorisation à capturer"),
        Lang::Fr => format!("{count} autorisations à capturer"),
        Lang::En if total == 1 => format!("{count} authorization to capture"),
        Lang::En => format!("{count} authorizations to capture"),
    }
}

pub fn authorizations_page(view: &View, v: &AuthorizationsView) -> Markup {
    let now = view.now.unix_timestamp();
    let h_date = date_header(view.lang, view.zone);
    let h_amount = view.t("Montant", "Amount");
    let h_card = view.t("Carte", "Card");
    let h_cust = view.t("Client / commande", "Customer / order");
    let h_merchant = view.t("Marchand", "Merchant");
    let h_left = view.t("Temps restant", "Time left");
    let body = html! {
        div class="page-head" {
            h1 id="open-count" data-count=(v.total) { (heading(v.total, view.lang)) }
        }
        p class="intro muted" {
            (view.t("Autorisations acceptées des 7 derniers jours, ni capturées ni annulées : la plus proche de son expiration en premier. Passé 7 jours, une autorisation expire et ne peut plus être capturée.",
                "Accepted authorizations of the last 7 days, neither captured nor cancelled: the closest to expiry first. After 7 days an authorization expires and can no longer be captured."))
        }
        @if v.admin { (merchant_choice(view, v)) }
        @if v.rows.is_empty() {
            p class="empty" id="no-open" {
                (view.t("Aucune autorisation à capturer : toutes celles des 7 derniers jours ont été capturées, annulées ou refusées.",
                    "No authorization to capture: every one of the last 7 days was captured, cancelled or declined."))
            }
        } @else {
            @if (v.rows.len() as u64) < v.total {
                p class="flash info" id="capped" {
                    (match view.lang {
                        Lang::Fr => format!("{} premières sur {} : capturez ou annulez-les pour voir les suivantes.", v.rows.len(), format_count(v.total, view.lang)),
                        Lang::En => format!("First {} of {}: capture or cancel them to see the next ones.", v.rows.len(), format_count(v.total, view.lang)),
                    })
                }
            }
            div class="table-wrap stack-wrap" { table class="grid stack open-auths" id="open-auths" {
                thead { tr {
                    th class="num" { (view.t("N°", "No.")) } th { (h_date) } th class="num" { (h_amount) } th { (h_card) }
                    th { (h_cust) } @if v.admin { th { (h_merchant) } } th { (h_left) }
                } }
                tbody { @for o in v.rows {
                    @let urgent = o.is_urgent(now);
                    @let tx = &o.tx;
                    tr class=[urgent.then_some("urgent")] data-id=(tx.id) {
                        td class="lead num" { a href={"/transactions/" (tx.id) "?tab=operations"} {
                            span class="stack-only" { (view.t("Autorisation n° ", "Authorization no. ")) } (tx.id)
                        } }
                        td class="nowrap" data-label=(h_date) { (format_datetime_cell(tx.at, view.lang, view.zone)) }
                        td class="num" data-label=(h_amount) { (format_amount(tx.amount, tx.currency, view.lang)) }
                        td data-label=(h_card) { @match card_short(tx.card.as_ref()) { Some(c) => (c), None => span class="muted" { "—" } } }
                        td data-label=(h_cust) { (customer_cell(tx)) }
                        @if v.admin { td data-label=(h_merchant) { (name_of(v.merchants, tx.merchant_id)) } }
                        td class="nowrap" data-label=(h_left) title=(format!("{} {}", view.t("Expire le", "Expires"), format_datetime(o.expires_at, view.lang, view.zone))) {
                            @let words = time_left(o.left(now), view.lang);
                            @if urgent { span class="badge ko" data-left=(o.left(now)) { (words) } } @else { span data-left=(o.left(now)) { (words) } }
                        }
                    }
                } }
            } }
        }
    };
    processing_page(
        view,
        view.t("Autorisations à capturer", "Authorizations to capture"),
        "/authorizations",
        body,
    )
}

/// The admin's choice of merchant (blank: all), a plain GET form.
fn merchant_choice(view: &View, v: &AuthorizationsView) -> Markup {
    let options: Vec<(String, String)> = v
        .merchants
        .iter()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let current = v.merchant.map(|m| m.to_string()).unwrap_or_default();
    html! {
        form class="form inline-filter" method="get" action="/authorizations" {
            (Select::new("merchant", view.t("Marchand", "Merchant"), &options, &current)
                .id_prefix("q")
                .any(view.t("Tous", "All"))
                .render())
            div class="actions" { button type="submit" { (view.t("Afficher", "Show")) } }
        }
    }
}
