//! Home (HOME-1 … HOME-4): revenue per day, week or month with the current and the
//! previous period, the operations and the acceptance rate of the current period, the
//! breakdown by operation type and the authorizations to capture. Every figure links
//! to the transaction list filtered to exactly the rows it counts.

use maud::{Markup, html};
use time::Date;

use super::home_cards::{
    acceptance_card, breakdown_card, open_card, operations_card, revenue_card,
};
use super::layout::{Tab, page};
use crate::domain::buckets::{Bucket, Granularity};
use crate::domain::figures::{self, Cell};
use crate::domain::form::FieldError;
use crate::domain::merchant::Merchant;
use crate::domain::open_authorization::OpenAuthorization;
use crate::fragments::View;

/// The id of the part of the page the day / week / month switch replaces.
pub const BODY_ID: &str = "home-body";

/// How many authorizations to capture Home lists (the rest are one link away).
pub const OPEN_SHOWN: usize = 5;

/// What the dashboard shows.
pub struct HomeView<'a> {
    pub by: Granularity,
    /// The chart's buckets, oldest first; the last is the current period.
    pub buckets: &'a [Bucket],
    pub cells: &'a [Cell],
    /// The merchant the figures are for; `None`: all merchants (admins).
    pub merchant: Option<&'a Merchant>,
    /// The selector's merchants (admins only; empty for merchant users).
    pub merchants: &'a [Merchant],
    pub errors: &'a [FieldError],
    /// The first open authorizations, soonest expiry first.
    pub open: &'a [OpenAuthorization],
    /// How many are open in all.
    pub open_total: u64,
    pub now: i64,
}

impl HomeView<'_> {
    pub(super) fn current(&self) -> usize {
        self.buckets.len().saturating_sub(1)
    }

    /// The `merchant` parameter links carry: only an admin's choice (a merchant
    /// user's list is theirs anyway).
    pub(super) fn merchant_param(&self) -> Option<u64> {
        if self.merchants.is_empty() {
            None
        } else {
            self.merchant.map(|m| m.id)
        }
    }

    /// The transaction list of the days `first..=last` with `extra` filters.
    pub(super) fn list_link(&self, first: Date, last: Date, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, String)> =
            vec![("from", first.to_string()), ("to", last.to_string())];
        if let Some(m) = self.merchant_param() {
            pairs.push(("merchant", m.to_string()));
        }
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
        format!(
            "/transactions?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    pub(super) fn bucket_link(&self, b: Bucket, extra: &[(&str, &str)]) -> String {
        self.list_link(b.first, b.last(), extra)
    }

    pub(super) fn home_link(&self, by: Granularity) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("by", by.key().to_string())];
        if let Some(m) = self.merchant_param() {
            pairs.push(("merchant", m.to_string()));
        }
        format!(
            "/home?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// The whole page.
pub fn home_page(view: &View, v: &HomeView) -> Markup {
    page(
        view,
        view.t("Accueil", "Home"),
        Tab::Home,
        None,
        home_body(view, v),
    )
}

/// The part the switch replaces in place.
pub fn home_body(view: &View, v: &HomeView) -> Markup {
    let current = v.current();
    let revenue = figures::revenue(v.cells, v.buckets.len());
    let rates = figures::acceptance(v.cells, v.buckets.len());
    let ops = figures::operations(v.cells, current..current + 1);
    html! {
        div id=(BODY_ID) class="home" {
            div class="page-head" {
                h1 {
                    (view.t("Accueil", "Home"))
                    span class="muted h1-sub" {
                        " · "
                        @match v.merchant {
                            Some(m) => (m.name),
                            None => (view.t("tous les marchands", "all merchants")),
                        }
                    }
                }
                (switch(view, v))
            }
            @if !v.merchants.is_empty() { (selector(view, v)) }
            @for e in v.errors {
                div class="flash err" role="alert" { (e.message(view.lang)) }
            }
            @if let Some(b) = v.buckets.last() {
                p class="small muted" {
                    (view.t("Période en cours : ", "Current period: ")) strong { (period_name(view, v.by, true)) }
                    " (" (b.long_label(v.by, view.lang)) ") · "
                    (view.t("dates en ", "dates in ")) (view.zone.label())
                }
            }
            div class="cards home-cards" {
                (revenue_card(view, v, &revenue))
                (acceptance_card(view, v, &rates))
            }
            div class="cards home-cards" {
                (operations_card(view, v, &ops))
                (breakdown_card(view, v, &ops))
            }
            (open_card(view, v))
        }
    }
}

/// "Aujourd'hui" / "Hier", "Cette semaine" / "La semaine dernière", …
pub(super) fn period_name(view: &View, by: Granularity, current: bool) -> &'static str {
    match (by, current) {
        (Granularity::Day, true) => view.t("aujourd'hui", "today"),
        (Granularity::Day, false) => view.t("hier", "yesterday"),
        (Granularity::Week, true) => view.t("cette semaine", "this week"),
        (Granularity::Week, false) => view.t("la semaine dernière", "last week"),
        (Granularity::Month, true) => view.t("ce mois-ci", "this month"),
        (Granularity::Month, false) => view.t("le mois dernier", "last month"),
    }
}

/// "par rapport à hier", "… à la semaine dernière", "… au mois dernier".
pub(super) fn compared_with(view: &View, by: Granularity) -> &'static str {
    match by {
        Granularity::Day => view.t(
            "par rapport à hier (journée entière)",
            "compared with all of yesterday",
        ),
        Granularity::Week => view.t(
            "par rapport à toute la semaine dernière",
            "compared with all of last week",
        ),
        Granularity::Month => view.t(
            "par rapport à tout le mois dernier",
            "compared with all of last month",
        ),
    }
}

pub(super) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn switch(view: &View, v: &HomeView) -> Markup {
    html! {
        nav class="segmented" aria-label=(view.t("Afficher par", "Show by")) {
            @for g in Granularity::ALL {
                @let href = v.home_link(g);
                a href=(href) hx-get=(href) hx-target={"#" (BODY_ID)} hx-swap="outerHTML" hx-push-url="true"
                    aria-current=[(g == v.by).then_some("page")] { (g.label(view.lang)) }
            }
        }
    }
}

fn selector(view: &View, v: &HomeView) -> Markup {
    let chosen = v.merchant.map(|m| m.id);
    html! {
        form class="inline home-merchant" method="get" action="/home" {
            input type="hidden" name="by" value=(v.by.key());
            label for="home-merchant" { (view.t("Marchand", "Merchant")) }
            " "
            select id="home-merchant" name="merchant" {
                option value="" selected[chosen.is_none()] { (view.t("Tous les marchands", "All merchants")) }
                @for m in v.merchants {
                    option value=(m.id) selected[chosen == Some(m.id)] { (m.name) " (" (m.id) ")" }
                }
            }
            " "
            button { (view.t("Afficher", "Show")) }
        }
    }
}
