//! Parameters › Backups (admins): the schedule, what runs, the backups kept and a
//! "Back up now" button (or how to configure a backup directory).

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::backup::{
    CheckState, Listed, ScheduleView, Status, every_text, seconds_text, size_text,
};
use crate::domain::time::{date_header, format_datetime, format_datetime_cell};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::csrf;
use crate::fragments::kv::kv;

pub const PATH: &str = "/parameters/backups";

/// What the page shows.
pub struct BackupsView<'a> {
    pub schedule: Option<&'a ScheduleView>,
    pub status: &'a Status,
    pub list: &'a [Listed],
    /// The data file's key file, named in the advice on unencrypted backups.
    pub key_file: &'a str,
}

/// A note above the page after a click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Started,
    Busy,
}

pub fn backups_page(view: &View, v: &BackupsView, notice: Option<Notice>) -> Markup {
    let title = view.t("Sauvegardes", "Backups");
    let body = html! {
        h1 { (title) }
        @match notice {
            Some(Notice::Started) => (flash("ok", view.t("Sauvegarde lancée : elle se fait en arrière-plan pendant que les paiements continuent ; son résultat s'affiche ci-dessous.", "Backup started: it runs in the background while payments go on; its result shows below."))),
            Some(Notice::Busy) => (flash("info", view.t("Une sauvegarde est déjà en cours : une seule à la fois.", "A backup is already running: one at a time."))),
            None => {}
        }
        p class="muted" { (view.t(
            "Une sauvegarde est une copie cohérente du fichier de données, faite sans arrêter le serveur, puis vérifiée par les contrôles de guichet check.",
            "A backup is a consistent copy of the data file, made without stopping the server, then verified with the checks of guichet check.")) }
        @match v.schedule {
            Some(s) => (schedule_card(view, s, v.status)),
            None => (flash("info", view.t(
                "Aucun dossier de sauvegarde n'est configuré, donc pas de sauvegarde programmée ni de bouton. Démarrez le serveur avec --backup-dir DOSSIER (GUICHET_BACKUP_DIR), et au besoin --backup-every 24h et --backup-keep 7. Sans redémarrer : guichet backup --data FICHIER --to SAUVEGARDE sur le serveur.",
                "No backup directory is configured, so there are no scheduled backups and no button. Start the server with --backup-dir DIR (GUICHET_BACKUP_DIR), and if needed --backup-every 24h and --backup-keep 7. Without a restart: guichet backup --data FILE --to BACKUP on the server."))),
        }
        (live(view, v))
        @if v.schedule.is_some_and(|s| s.encryption == crate::domain::backup::EncryptionKind::None) || v.list.iter().any(|l| !l.encrypted) {
            p class="hint" {
                (view.t("Une sauvegarde non chiffrée ne contient pas le fichier de clés ", "An unencrypted backup does not hold the key file "))
                code { (v.key_file) }
                (view.t(
                    " : sans lui, ses jetons de carte sont inutilisables. Gardez-le à part, sur un autre support, ou chiffrez les sauvegardes (--backup-encrypt-to, --backup-passphrase-file) : il y est alors inclus.",
                    ": without it, its card tokens are unusable. Keep it apart, on another volume, or encrypt the backups (--backup-encrypt-to, --backup-passphrase-file): it is then inside."))
            }
        }
    };
    parameters_page(view, title, PATH, body)
}

fn schedule_card(view: &View, s: &ScheduleView, status: &Status) -> Markup {
    let every = format!(
        "{} {}",
        view.t("toutes les", "every"),
        every_text(s.every, view.lang)
    );
    let keep = if s.keep == 0 {
        view.t("toutes", "all of them").to_string()
    } else {
        view.lang.count(
            s.keep as u64,
            ("dernière", "dernières"),
            ("newest", "newest"),
        )
    };
    let next = match s.next_due {
        Some(at) => format_datetime(at, view.lang, view.zone),
        None => view
            .t("dès que possible", "as soon as possible")
            .to_string(),
    };
    html! {
        section class="card" {
            h2 { (view.t("Programmation", "Schedule")) }
            (kv(&[
                (view.t("Dossier", "Directory"), s.dir.clone()),
                (view.t("Fréquence", "Frequency"), every),
                (view.t("Conservées", "Kept"), keep),
                (view.t("Chiffrement", "Encryption"), s.encryption.words(view.lang).to_string()),
                (view.t("Prochaine sauvegarde", "Next backup"), next),
            ]))
            @if status.running.is_none() {
                form method="post" action=(PATH) {
                    (csrf(view))
                    div class="actions" {
                        button class="primary" type="submit" { (view.t("Sauvegarder maintenant", "Back up now")) }
                    }
                }
            }
        }
    }
}

/// The running backup, the last result and the list: refreshed every 2 s while a
/// backup runs (htmx; without JavaScript, the link reloads).
fn live(view: &View, v: &BackupsView) -> Markup {
    let running = v.status.running.as_ref();
    html! {
        div id="backup-live"
            hx-get=[running.map(|_| PATH)] hx-trigger=[running.map(|_| "every 2s")]
            hx-select=[running.map(|_| "#backup-live")] hx-swap=[running.map(|_| "outerHTML")] {
            @if let Some((since, by)) = running {
                p class="flash info" role="status" {
                    (view.t("Sauvegarde en cours depuis ", "Backup running since "))
                    (format_datetime(*since, view.lang, view.zone))
                    " (" (by) "). "
                    a href=(PATH) { (view.t("Actualiser", "Refresh")) }
                }
            }
            @if let Some(last) = &v.status.last {
                @match &last.error {
                    None => p class="flash ok" role="status" {
                        (view.t("Dernière sauvegarde réussie : ", "Last backup succeeded: "))
                        code { (last.file) } " · " (format_datetime(last.at, view.lang, view.zone))
                    },
                    Some(e) => p class="flash err" role="alert" {
                        (view.t("Dernière sauvegarde en échec : ", "Last backup failed: "))
                        code { (last.file) } " · " (format_datetime(last.at, view.lang, view.zone)) " · " (e)
                    },
                }
            }
            @if v.schedule.is_some() {
                h2 { (view.t("Sauvegardes conservées", "Backups kept")) }
                @if v.list.is_empty() {
                    p class="empty" { (view.t("Aucune sauvegarde pour l'instant.", "No backup yet.")) }
                } @else {
                    (list_table(view, v.list))
                }
            }
        }
    }
}

fn list_table(view: &View, list: &[Listed]) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr {
                th { (date_header(view.lang, view.zone)) }
                th { (view.t("Fichier", "File")) }
                th class="num" { (view.t("Taille", "Size")) }
                th class="num" { (view.t("Transactions", "Transactions")) }
                th { (view.t("Chiffrée", "Encrypted")) }
                th { (view.t("Vérification", "Check")) }
                th class="num" { (view.t("Durée", "Duration")) }
            } }
            tbody { @for l in list {
                tr {
                    td class="nowrap" { (format_datetime_cell(l.at, view.lang, view.zone)) }
                    td { code { (l.name) } }
                    td class="num nowrap" { (size_text(l.size, view.lang)) }
                    td class="num" { @if let Some(n) = l.transactions { (crate::domain::money::format_count(n, view.lang)) } }
                    td { @if l.encrypted { (view.t("Oui", "Yes")) } @else { (view.t("Non", "No")) } }
                    td { @match &l.check {
                        CheckState::Passed => span class="badge ok" { (view.t("Vérifiée", "Verified")) },
                        CheckState::Failed(why) => span class="badge ko" title=(why) { (view.t("Problème", "Problem")) },
                        CheckState::Unknown => span class="badge muted" { (view.t("Sans rapport", "No report")) },
                    } }
                    td class="num nowrap" { @if let Some(ms) = l.duration_ms { (seconds_text(ms, view.lang)) } }
                }
            } }
        } }
    }
}
