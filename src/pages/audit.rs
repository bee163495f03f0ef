//! Parameters › Audit log (admins): the latest administrative actions.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::audit::AuditEntry;
use crate::domain::time::{date_header, format_datetime_cell};
use crate::fragments::View;

pub fn list(view: &View, entries: &[AuditEntry]) -> Markup {
    let body = html! {
        h1 { (view.t("Journal d'audit", "Audit log")) }
        p class="muted small" { (view.t("Les 500 dernières entrées (connexions, comptes, droits, exports, consultations de ce journal), les plus récentes d'abord. Chaque entrée est chaînée à la précédente : « guichet check » signale toute modification.", "The latest 500 entries (sign-ins, accounts, permissions, exports, views of this log), newest first. Each entry is chained to the one before it: \"guichet check\" reports any change.")) }
        div class="table-wrap" {
            table class="grid" {
                thead { tr { th { (date_header(view.lang)) } th { (view.t("Par", "By")) } th { (view.t("Adresse IP", "IP address")) } th { "Action" } th { (view.t("Résultat", "Outcome")) } th { (view.t("Objet", "Target")) } th { (view.t("Détail", "Detail")) } } }
                tbody {
                    @if entries.is_empty() {
                        tr class="empty" { td colspan="7" class="muted" { (view.t("Aucune entrée pour l'instant.", "No entry yet.")) } }
                    }
                    @for e in entries {
                        tr {
                            td class="nowrap" { (format_datetime_cell(e.at, view.lang)) } td { (e.actor_text(view.lang)) } td { (e.ip) }
                            td { span data-code=(e.action) { (e.action_text(view.lang)) } }
                            td { span class={"badge " (if e.succeeded() { "ok" } else { "ko" })} { (e.outcome_text(view.lang)) } }
                            td { (e.target_text(view.lang)) } td class="small" { (e.detail_text(view.lang)) }
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
