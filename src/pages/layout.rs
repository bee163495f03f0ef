//! The one layout of the back office: top tabs (HOME-5), user box, language switch.

use maud::{DOCTYPE, Markup, html};

use crate::fragments::form::csrf;
use crate::fragments::tabs;
use crate::handlers::Ctx;

/// The top-level tabs. Only tabs whose screens exist are listed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Processing,
    Parameters,
}

fn head(ctx: &Ctx, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"400","swap":true,"error":false},{"code":"422","swap":true,"error":false},{"code":"[45]..","swap":false,"error":true}]}"#;
            title { (title) " · Guichet" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/htmx.min.js" defer {}
            meta name="csrf-token" content=(ctx.csrf);
        }
    }
}

/// The language switch: a tiny POST form (it changes a stored preference).
pub fn lang_switch(ctx: &Ctx) -> Markup {
    html! {
        form class="inline" method="post" action="/lang" {
            (csrf(ctx))
            input type="hidden" name="next" value=(ctx.path);
            @for l in crate::domain::Lang::ALL {
                @if l == ctx.lang {
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
pub fn page(ctx: &Ctx, title: &str, tab: Tab, subtabs: Option<Markup>, body: Markup) -> Markup {
    let mut top = Vec::new();
    let p = ctx.user().map(|u| u.permissions()).unwrap_or_default();
    let processing = if p.view { "/transactions" } else { "/terminal" };
    if p.view || p.virtual_terminal {
        top.push((processing.to_string(), "Processing".to_string()));
    }
    top.push((
        "/parameters".to_string(),
        ctx.t("Paramètres", "Parameters").to_string(),
    ));
    let current = match tab {
        Tab::Processing => processing,
        Tab::Parameters => "/parameters",
    };
    let hx_headers = format!(r#"{{"X-CSRF-Token":"{}"}}"#, ctx.csrf);
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            (head(ctx, title))
            body hx-headers=(hx_headers) {
                header class="top" {
                    a class="brand" href="/" { "Guichet" }
                    (tabs("tabs", &top, current))
                    div class="user" {
                        @if let Some(u) = ctx.user() {
                            span { (u.username) }
                            " "
                            form class="inline" method="post" action="/logout" {
                                (csrf(ctx))
                                button class="link" { (ctx.t("Se déconnecter", "Sign out")) }
                            }
                            " · "
                        }
                        (lang_switch(ctx))
                    }
                }
                @if let Some(s) = subtabs { (s) }
                main class="page" id="main" { (body) }
            }
        }
    }
}

/// A page without the back-office chrome (sign-in, forced password change, errors
/// for visitors).
pub fn bare(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            (head(ctx, title))
            body class="bare" {
                main class="login" { (body) }
            }
        }
    }
}
