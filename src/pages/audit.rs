//! Parameters › Audit log (admins): the latest administrative actions.

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::profile::subtabs;
use crate::db::audit::AuditEntry;
use crate::handlers::Ctx;

/// `29.03.2017 15:49:17`, as in the guide.
pub fn datetime(at: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    format!(
        "{:02}.{:02}.{} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn list(ctx: &Ctx, entries: &[AuditEntry]) -> Markup {
    let body = html! {
        h1 { (ctx.t("Journal d'audit", "Audit log")) }
        p class="muted small" { (ctx.t("Les 500 dernières actions d'administration, les plus récentes d'abord (heure UTC).", "The latest 500 administrative actions, newest first (UTC time).")) }
        div class="table-wrap" {
            table class="grid" {
                thead { tr { th { "Date" } th { (ctx.t("Par", "By")) } th { (ctx.t("Adresse IP", "IP address")) } th { "Action" } th { (ctx.t("Objet", "Target")) } } }
                tbody {
                    @for e in entries {
                        tr { td class="nowrap" { (datetime(e.at)) } td { (e.actor) } td { (e.ip) } td { code { (e.action) } } td { (e.target) } }
                    }
                }
            }
        }
    };
    page(
        ctx,
        ctx.t("Journal d'audit", "Audit log"),
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/audit")),
        body,
    )
}
