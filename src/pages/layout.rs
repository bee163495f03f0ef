//! The one layout of the back office: top tabs (HOME-5), user box, language switch.

use maud::{DOCTYPE, Markup, html};

use crate::domain::navigation::area_home;
use crate::domain::support::unread_badge;
use crate::fragments::View;
use crate::fragments::form::csrf;
use crate::fragments::subtabs::{parameters_subtabs, processing_subtabs};

pub use crate::domain::navigation::Area as Tab;

fn head(view: &View, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"400","swap":true,"error":false},{"code":"422","swap":true,"error":false},{"code":"[45]..","swap":false,"error":true}]}"#;
            title { (title) " · Guichet" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/htmx.min.js" defer {}
            script src="/static/a11y.js" defer {}
            script src="/static/stack.js" defer {}
            meta name="csrf-token" content=(view.csrf);
        }
    }
}

/// The id of the one `main` of every page, the target of the skip link.
pub const MAIN_ID: &str = "main";

/// The skip link (WCAG 2.4.1): the first focusable element, shown only on focus.
fn skip_link(view: &View) -> Markup {
    html! { a class="skip-link" href={"#" (MAIN_ID)} { (view.t("Aller au contenu", "Skip to content")) } }
}

/// The language switch: a tiny POST form (it changes a stored preference).
pub fn lang_switch(view: &View) -> Markup {
    html! {
        form class="inline" method="post" action="/lang" {
            (csrf(view))
            input type="hidden" name="next" value=(view.path);
            @for l in crate::domain::Lang::ALL {
                @if l == view.lang {
                    span class="small" aria-current="true" lang=(l.code()) { (l.native_name()) }
                } @else {
                    button class="link" name="lang" value=(l.code()) lang=(l.code()) { (l.native_name()) }
                }
                " "
            }
        }
    }
}

/// A back-office page: header with tabs, optional sub-tabs, then `body`.
pub fn page(view: &View, title: &str, tab: Tab, subtabs: Option<Markup>, body: Markup) -> Markup {
    chrome(view, title, Some(tab), subtabs, body)
}

/// A back-office page that belongs to no tab (an error page): no tab is marked current.
pub fn plain_page(view: &View, title: &str, body: Markup) -> Markup {
    chrome(view, title, None, None, body)
}

fn chrome(
    view: &View,
    title: &str,
    tab: Option<Tab>,
    subtabs: Option<Markup>,
    body: Markup,
) -> Markup {
    // The top tabs: each area the user may open, leading to its first screen; the
    // Support tab with the count of unread tickets.
    let top: Vec<TopTab> = view
        .user()
        .map(|u| {
            Tab::ALL
                .into_iter()
                .filter_map(|area| {
                    let (fr, en) = area.label();
                    let count = if area == Tab::Support {
                        view.support_unread
                    } else {
                        0
                    };
                    area_home(u, area).map(|home| TopTab {
                        href: home,
                        label: view.t(fr, en),
                        count,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let current = view
        .user()
        .zip(tab)
        .and_then(|(u, tab)| area_home(u, tab))
        .unwrap_or_default();
    let hx_headers = serde_json::json!({ "X-CSRF-Token": view.csrf }).to_string();
    html! {
        (DOCTYPE)
        html lang=(view.lang.code()) {
            (head(view, title))
            body hx-headers=(hx_headers) {
                (skip_link(view))
                header class="top" {
                    a class="brand" href="/" { "Guichet" }
                    (top_tabs(view, &top, current))
                    @if view.user().is_some_and(|u| u.may(crate::domain::permission::Permission::View)) {
                        (top_search(view))
                    }
                    div class="user" {
                        @if let Some(u) = view.user() {
                            span class="who" title=(u.username) { (u.username) }
                            form class="inline" method="post" action="/logout" {
                                (csrf(view))
                                button class="link" { (view.t("Se déconnecter", "Sign out")) }
                            }
                            span class="sep" aria-hidden="true" { "·" }
                        }
                        (lang_switch(view))
                    }
                }
                @if let Some(s) = subtabs { (s) }
                main class="page" id=(MAIN_ID) tabindex="-1" { (body) }
            }
        }
    }
}

/// A top tab: where it leads, its words, and a count to show beside them (0: none).
struct TopTab {
    href: &'static str,
    label: &'static str,
    count: u64,
}

/// The top tab bar; a tab with a count shows it as a small pill (its words for
/// screen readers: "2 unread tickets").
fn top_tabs(view: &View, tabs: &[TopTab], current: &str) -> Markup {
    html! {
        nav class="tabs" aria-label=(view.t("Menu principal", "Main menu")) {
            @for t in tabs {
                a href=(t.href) aria-current=[(t.href == current).then_some("page")] {
                    (t.label)
                    @if t.count > 0 {
                        " "
                        span class="tab-count" aria-hidden="true" { (unread_badge(t.count)) }
                        span class="sr-only" { (view.lang.count(t.count, ("ticket non lu", "tickets non lus"), ("unread ticket", "unread tickets"))) }
                    }
                }
            }
        }
    }
}

/// The search box of the top bar (transaction id, order, email, last four digits).
/// The placeholder is short enough for the box at 1366 px and on a phone; the whole
/// hint is its label (for screen readers) and its tooltip.
fn top_search(view: &View) -> Markup {
    let label = view.t(
        "Rechercher (n°, commande, e-mail, 4 derniers chiffres)",
        "Search (no., order, email, last 4 digits)",
    );
    html! {
        form class="top-search" method="get" action="/search" role="search" {
            label class="sr-only" for="top-q" { (label) }
            input id="top-q" type="search" name="q" placeholder=(top_search_placeholder(view)) title=(label) autocomplete="off";
            button type="submit" { (view.t("Rechercher", "Search")) }
        }
    }
}

/// The top bar's search placeholder: the kinds of value it finds, in few words.
pub fn top_search_placeholder(view: &View) -> &'static str {
    view.t(
        "N°, commande, e-mail, 4 chiffres",
        "No., order, email, last 4",
    )
}

/// A Processing screen: the Processing tab with its sub-tabs, `current` selected.
pub fn processing_page(view: &View, title: &str, current: &str, body: Markup) -> Markup {
    page(
        view,
        title,
        Tab::Processing,
        Some(processing_subtabs(view, current)),
        body,
    )
}

/// A Parameters screen: the Parameters tab with its sub-tabs, `current` selected.
pub fn parameters_page(view: &View, title: &str, current: &str, body: Markup) -> Markup {
    page(
        view,
        title,
        Tab::Parameters,
        Some(parameters_subtabs(view, current)),
        body,
    )
}

/// The product's name above the card of a bare page (sign-in, password, errors):
/// a small counter-window drawing and "Guichet".
fn brand_mark() -> Markup {
    html! {
        p class="brand-mark" {
            svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" {
                rect x="2" y="3" width="20" height="18" rx="3" fill="#16202c" {}
                rect x="5" y="7" width="14" height="7" rx="1.5" fill="#5fc3d8" {}
                rect x="5" y="16" width="14" height="2" rx="1" fill="#d5dce5" {}
            }
            "Guichet"
        }
    }
}

/// A page without the back-office chrome (sign-in, forced password change, errors
/// for visitors).
pub fn bare(view: &View, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(view.lang.code()) {
            (head(view, title))
            body class="bare" {
                (skip_link(view))
                main class="login" id=(MAIN_ID) tabindex="-1" {
                    (brand_mark())
                    (body)
                }
            }
        }
    }
}
