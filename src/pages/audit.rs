//! Parameters › Audit log (admins): the latest administrative actions.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::audit::AuditEntry;
use crate::domain::time::format_datetime;
use crate::fragments::View;

pub fn list(view: &View, entries: &[AuditEntry]) -> Markup {
    let body = html! {
        h1 { (view.t("Journal d'audit", "Audit log")) }
        p class="muted small" { (view.t("Les 500 dernières entrées (connexions, comptes, droits, exports, consultations de ce journal), les plus récentes d'abord (heure UTC). Chaque entrée est chaînée à la précédente : « guichet check » signale toute modification.", "The latest 500 entries (sign-ins, accounts, permissions, exports, views of this log), newest first (UTC time). Each entry is chained to the one before it: \"guichet check\" reports any change.")) }
        div class="table-wrap" {
            table class="grid" {
                thead { tr { th { "Date" } th { (view.t("Par", "By")) } th { (view.t("Adresse IP", "IP address")) } th { "Action" } th { (view.t("Résultat", "Outcome")) } th { (view.t("Objet", "Target")) } th { (view.t("Détail", "Detail")) } } }
                tbody {
                    @for e in entries {
                        @let outcome = if e.outcome.is_empty() { "ok" } else { e.outcome.as_str() };
                        tr {
                            td class="nowrap" { (format_datetime(e.at)) } td { (e.actor) } td { (e.ip) } td { code { (e.action) } }
                            td { span class={"badge " (if outcome == "ok" { "ok" } else { "ko" })} { (outcome) } }
                            td { (e.target) } td class="small" { (e.detail) }
                        }
                    }
                }
            }
        }
    };
    parameters_page(
        view,
        view.t("Journal d'audit", "Audit log"),
        "/parameters/audit",
        body,
    )
}
