//! Parameters › Audit log (admins): the latest administrative actions.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::audit::AuditEntry;
use crate::domain::time::format_datetime;
use crate::fragments::View;

/// What an action key means, in French and English; None for a key this page does
/// not know yet (it is then shown as is).
fn action_words(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "audit.view" => ("Consultation du journal", "Viewed the log"),
        "auth.sign_in" => ("Connexion", "Sign-in"),
        "auth.sign_out" => ("Déconnexion", "Sign-out"),
        "auth.failure" => ("Connexion refusée", "Sign-in refused"),
        "auth.lockout" => ("Compte bloqué 30 min", "Account locked 30 min"),
        "auth.recovery_code" => (
            "Connexion par code de secours",
            "Sign-in with a recovery code",
        ),
        "auth.code_refused_account" | "auth.code_refused_locked" => ("Code refusé", "Code refused"),
        "auth.refused_disabled" => (
            "Connexion d'un compte désactivé",
            "Sign-in of a disabled account",
        ),
        "auth.refused_expired" => (
            "Connexion d'un compte expiré",
            "Sign-in of an expired account",
        ),
        "password.change" => ("Mot de passe changé", "Password changed"),
        "password.change_forced" => ("Mot de passe choisi (imposé)", "Password chosen (required)"),
        "second_factor.enrol" => ("Double authentification activée", "Two-factor turned on"),
        "second_factor.disable" => (
            "Double authentification désactivée",
            "Two-factor turned off",
        ),
        "user.create" => ("Utilisateur créé", "User created"),
        "user.update" => ("Utilisateur modifié", "User changed"),
        "user.unlock" => ("Utilisateur débloqué", "User unlocked"),
        "user.reset" => ("Mot de passe réinitialisé", "Password reset"),
        "user.reactivate" => ("Utilisateur réactivé", "User reactivated"),
        "user.second_factor_reset" => ("Double authentification réinitialisée", "Two-factor reset"),
        "user.enable" => ("Compte réactivé", "Account enabled"),
        "user.disable" => ("Compte désactivé", "Account disabled"),
        "merchant.create" => ("Marchand créé", "Merchant created"),
        "merchant.update" => ("Marchand modifié", "Merchant changed"),
        "merchant.rebill_policy" => ("Limites de refacturation", "Rebill limits"),
        "settings.security" => ("Réglages de sécurité", "Security settings"),
        "card_key.rotate" => ("Clé des cartes renouvelée", "Card key rotated"),
        "export" => ("Export", "Export"),
        _ => return None,
    })
}

/// The action in words, its key beside it for whoever greps the log.
fn action_cell(view: &View, key: &str) -> Markup {
    html! {
        @match action_words(key) {
            Some((fr, en)) => { (view.t(fr, en)) " " code class="small muted" { (key) } }
            None => code { (key) },
        }
    }
}

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
                    thead { tr { th { "Date" } th { (h_by) } th { (h_ip) } th { "Action" } th { (h_outcome) } th { (h_target) } th { (h_detail) } } }
                    tbody {
                        @for e in entries {
                            @let outcome = if e.outcome.is_empty() { "ok" } else { e.outcome.as_str() };
                            tr {
                                td class="nowrap lead" { (format_datetime(e.at)) }
                                td data-label=(h_by) { (e.actor) }
                                td data-label=(h_ip) { (e.ip) }
                                td data-label="Action" { (action_cell(view, &e.action)) }
                                td data-label=(h_outcome) { span class={"badge " (if outcome == "ok" { "ok" } else { "ko" })} { (outcome) } }
                                td data-label=(h_target) { (e.target) }
                                td data-label=(h_detail) class="small" { (e.detail) }
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
