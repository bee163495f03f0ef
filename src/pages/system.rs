//! Parameters › System (admins): what `/readyz` and `/metrics` say, for a person —
//! whether the appliance is ready and why, its queues, data file, last backup and
//! writer, and what was counted since the start.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::Lang;
use crate::domain::backup::size_text;
use crate::domain::money::format_count;
use crate::domain::system::{Check, Counted, Figures, Probe, Queue, age_text, is_ready};
use crate::fragments::View;
use crate::fragments::kv::kv;

pub const PATH: &str = "/parameters/system";

/// What the page shows.
pub struct SystemView<'a> {
    pub figures: &'a Figures,
    pub checks: &'a [Check],
    pub probe: &'a Probe,
    pub counted: &'a Counted,
    /// `/metrics` is served (a token is configured).
    pub metrics_on: bool,
    /// An SMTP server is configured.
    pub smtp: bool,
    /// `--ready-stuck-minutes`.
    pub stuck_minutes: u32,
    pub version: &'a str,
}

pub fn system_page(view: &View, v: &SystemView) -> Markup {
    let title = view.t("Système", "System");
    let ready = is_ready(v.checks);
    let body = html! {
        h1 { (title) }
        p class="muted" { (view.t(
            "L'état du serveur tel que le voient la supervision (/readyz) et Prometheus (/metrics).",
            "The server's state as monitoring (/readyz) and Prometheus (/metrics) see it.")) }
        section class="card" {
            h2 {
                (view.t("Disponibilité", "Readiness")) " "
                @if ready {
                    span class="badge ok" { (view.t("Prêt", "Ready")) }
                } @else {
                    span class="badge ko" { (view.t("Pas prêt", "Not ready")) }
                }
            }
            div class="table-wrap" { table class="grid" {
                thead { tr {
                    th { (view.t("Condition", "Condition")) }
                    th { (view.t("État", "State")) }
                    th { (view.t("Constat", "Seen")) }
                } }
                tbody { @for c in v.checks {
                    tr {
                        td { (c.label(view.lang)) }
                        td { @if c.ok {
                            span class="badge ok" { (view.t("Bon", "Good")) }
                        } @else {
                            span class="badge ko" { (view.t("Problème", "Problem")) }
                        } }
                        td { (seen(view.lang, c, v)) }
                    }
                } }
            } }
        }
        section class="card" {
            h2 { (view.t("Chiffres clés", "Key figures")) }
            (kv(&[
                (view.t("Version", "Version"), v.version.to_string()),
                (view.t("Fichier de données", "Data file"), size_text(v.figures.data_file_bytes, view.lang)),
                (view.t("Dernière sauvegarde", "Last backup"), last_backup(view.lang, v.figures)),
                (view.t("Emails en attente", "Emails waiting"), queue_text(view.lang, &v.figures.outbox, v.figures.now)),
                (view.t("Callbacks en attente", "Callbacks waiting"), queue_text(view.lang, &v.figures.callbacks, v.figures.now)),
                (view.t("Écritures en cours", "Writes running"), format_count(v.figures.writes_running, view.lang)),
                (view.t("Écritures en attente du disque", "Writes waiting for the disk"), format_count(v.figures.writes_waiting, view.lang)),
            ]))
        }
        section class="card" {
            h2 { (view.t("Depuis le démarrage", "Since the start")) }
            (kv(&[
                (view.t("Requêtes HTTP", "HTTP requests"), format!(
                    "{} ({} {})",
                    format_count(v.counted.requests, view.lang),
                    format_count(v.counted.server_errors, view.lang),
                    view.t("erreurs serveur", "server errors"))),
                (view.t("Paiements acceptés", "Payments accepted"), format_count(v.counted.payments_accepted, view.lang)),
                (view.t("Paiements refusés", "Payments declined"), format_count(v.counted.payments_refused, view.lang)),
                (view.t("Opérations", "Operations"), format_count(v.counted.operations, view.lang)),
                (view.t("Échecs de connexion", "Sign-in failures"), format_count(v.counted.sign_in_failures, view.lang)),
                (view.t("Noms verrouillés", "Names locked"), format_count(v.counted.lockouts, view.lang)),
            ]))
        }
        p class="hint" {
            @if v.metrics_on {
                (view.t(
                    "Les métriques Prometheus sont servies sur /metrics avec le jeton du fichier --metrics-token-file (en-tête Authorization: Bearer).",
                    "Prometheus metrics are served at /metrics with the token of the --metrics-token-file file (Authorization: Bearer header)."))
            } @else {
                (view.t(
                    "Les métriques Prometheus sont désactivées : démarrez le serveur avec --metrics-token-file FICHIER pour les servir sur /metrics.",
                    "Prometheus metrics are off: start the server with --metrics-token-file FILE to serve them at /metrics."))
            }
            " "
            (view.t("/readyz répond 503 quand une file a un élément en retard de plus de ", "/readyz answers 503 when a queue has an item overdue by more than "))
            (v.stuck_minutes) " min (--ready-stuck-minutes)."
        }
    };
    parameters_page(view, title, PATH, body)
}

/// What was seen for one condition, in the page's language.
fn seen(lang: Lang, c: &Check, v: &SystemView) -> String {
    let f = v.figures;
    match (c.name, v.probe) {
        ("data_file", Probe::Written { .. }) => lang
            .pick(
                "Une écriture d'essai a été enregistrée.",
                "A test write was recorded.",
            )
            .to_string(),
        ("data_file", Probe::Failed(_)) => lang
            .pick(
                "L'écriture d'essai a échoué (disque plein ?) : libérez de la place, puis redémarrez le service.",
                "The test write did not go through (disk full?): free space, then restart the service.",
            )
            .to_string(),
        ("data_file", Probe::Stuck { .. }) => lang
            .pick(
                "L'écriture d'essai n'est pas revenue.",
                "The test write has not come back.",
            )
            .to_string(),
        ("writer", Probe::Stuck { secs }) => format!(
            "{} {}.",
            lang.pick(
                "L'écriture d'essai attend depuis",
                "The test write has waited for"
            ),
            age_text(i64::try_from(*secs).unwrap_or(i64::MAX), lang)
        ),
        ("writer", Probe::Written { ms }) => {
            format!("{} {ms} ms.", lang.pick("Écriture d'essai en", "Test write in"))
        }
        ("writer", Probe::Failed(_)) => lang
            .pick("Les écritures répondent.", "Writes answer.")
            .to_string(),
        ("outbox", _) if !v.smtp => format!(
            "{} {}",
            queue_text(lang, &f.outbox, f.now),
            lang.pick(
                "— aucun serveur SMTP : les emails attendent, sans gêner le reste.",
                "— no SMTP server: emails wait, without holding up the rest."
            )
        ),
        ("outbox", _) => queue_text(lang, &f.outbox, f.now),
        _ => queue_text(lang, &f.callbacks, f.now),
    }
}

/// `3 en attente, le premier dû en retard de 12 min` / `none waiting`.
fn queue_text(lang: Lang, q: &Queue, now: i64) -> String {
    if q.depth == 0 {
        return lang.pick("Aucun en attente", "Nothing waiting").to_string();
    }
    let late = q.overdue(now);
    let mut out = format!(
        "{} {}",
        format_count(q.depth, lang),
        lang.pick("en attente", "waiting")
    );
    if late > 0 {
        out.push_str(&format!(
            "{} {}",
            lang.pick(", le premier en retard de", ", the first overdue by"),
            age_text(late, lang)
        ));
    }
    out
}

fn last_backup(lang: Lang, f: &Figures) -> String {
    match f.last_backup_age() {
        Some(age) => match lang {
            Lang::Fr => format!("il y a {}", age_text(age, lang)),
            Lang::En => format!("{} ago", age_text(age, lang)),
        },
        None if f.backups_configured => lang
            .pick("Aucune sauvegarde pour l'instant", "No backup yet")
            .to_string(),
        None => lang
            .pick(
                "Aucun dossier de sauvegarde configuré (--backup-dir)",
                "No backup directory configured (--backup-dir)",
            )
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_and_backups_read_in_each_language() {
        let q = Queue {
            depth: 3,
            first_due_at: Some(880),
        };
        assert_eq!(
            queue_text(Lang::Fr, &q, 1_000),
            "3 en attente, le premier en retard de 2 min"
        );
        assert_eq!(
            queue_text(Lang::En, &q, 1_000),
            "3 waiting, the first overdue by 2 min"
        );
        assert_eq!(
            queue_text(Lang::En, &Queue::default(), 1_000),
            "Nothing waiting"
        );
        let f = Figures {
            now: 4_000,
            last_backup_at: Some(400),
            ..Figures::default()
        };
        assert_eq!(last_backup(Lang::Fr, &f), "il y a 1 h 00");
        assert_eq!(last_backup(Lang::En, &f), "1 h 00 ago");
    }
}
