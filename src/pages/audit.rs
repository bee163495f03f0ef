//! Parameters › Audit log (admins): the latest administrative actions.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::audit::AuditEntry;
use crate::domain::time::{date_header, format_datetime_cell};
use crate::fragments::View;

pub fn list(view: &View, entries: &[AuditEntry]) -> Markup {
    let h_by = view.t("Par", "By");
    let h_ip = view.t("Adresse IP", "IP address");
    let h_outcome = view.t("Résultat", "Outcome");
    let h_target = view.t("Objet", "Target");
    let h_detail = view.t("Détail", "Detail");
    let body = html! {
        h1 { (view.t("Journal d'audit", "Audit log")) }
        p class="intro small" { (view.t("Les 500 dernières entrées (connexions, comptes, droits, exports, consultations de ce journal), les plus récentes d'abord (heure UTC). Chaque entrée est chaînée à la précédente : « guichet check » signale toute modification.", "The latest 500 entries (sign-ins, accounts, permissions, exports, views of this log), newest first (UTC time). Each entry is chained to the one before it: \"guichet check\" reports any change.")) }
        @if entries.is_empty() {
            p class="empty" { (view.t("Aucune entrée pour l'instant.", "No entry yet.")) }
        } @else {
            div class="table-wrap stack-wrap" {
                table class="grid stack audit" {
                    thead { tr { th { (date_header(view.lang, view.zone)) } th { (h_by) } th { (h_ip) } th { "Action" } th { (h_outcome) } th { (h_target) } th { (h_detail) } } }
                    tbody {
                        @for e in entries {
                            tr {
                                td class="nowrap lead" { (format_datetime_cell(e.at, view.lang, view.zone)) }
                                td data-label=(h_by) { (e.actor_text(view.lang)) }
                                td data-label=(h_ip) { (e.ip) }
                                td data-label="Action" { span data-code=(e.action) { (e.action_text(view.lang)) } }
                                td data-label=(h_outcome) { span class={"badge " (if e.succeeded() { "ok" } else { "ko" })} { (e.outcome_text(view.lang)) } }
                                td data-label=(h_target) { (e.target_text(view.lang)) }
                                td data-label=(h_detail) class="small" { (e.detail_text(view.lang)) }
                            }
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
