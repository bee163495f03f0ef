//! Parameters › Profile: own language, time zone, password and second factor.

use maud::{Markup, html};

use super::layout::{lang_switch, parameters_page};
use super::login::{PasswordErrors, password_form};
use super::second_factor::{FactorState, profile_section};
use crate::domain::Lang;
use crate::domain::time::format_datetime;
use crate::domain::zone::{REGIONS, Zone, label};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf};

/// One of the user's live sessions, as the profile lists it.
pub struct SessionRow {
    pub created_at: i64,
    pub last_seen: i64,
    pub ip: String,
    /// The session of this very request.
    pub current: bool,
}

/// The email address and sessions part of the profile (issue 14, point 6).
#[derive(Default)]
pub struct Own {
    pub sessions: Vec<SessionRow>,
    /// The address shown in the field: the stored one, or the refused one typed.
    pub email: String,
    pub email_error: Option<String>,
}

/// The profile page. `factor_error` goes with the second factor, `zone_error` with
/// the time zone.
pub fn profile(
    view: &View,
    done: Option<&str>,
    errors: &PasswordErrors,
    factor: &FactorState,
    (factor_error, zone_error): (Option<&str>, Option<&str>),
    appliance_zone: &Zone,
    own: &Own,
) -> Markup {
    let Some(user) = view.user() else {
        return html! {};
    };
    let role = if user.is_admin() {
        view.t("Administrateur", "Administrator")
    } else {
        view.t("Utilisateur marchand", "Merchant user")
    };
    let body = html! {
        h1 { (view.t("Mon profil", "My profile")) }
        @if let Some(d) = done { (flash("ok", d)) }
        div class="cards" {
            section class="card" {
                h2 { (view.t("Compte", "Account")) }
                dl class="kv" {
                    dt { (view.t("Nom d'utilisateur", "Username")) } dd { (user.username) }
                    dt { (view.t("Rôle", "Role")) } dd { (role) }
                    dt { (view.t("Langue", "Language")) } dd class="lang-choice" { (lang_switch(view)) }
                }
                p class="small muted" { (view.t("La langue choisie est mémorisée sur votre compte.", "The language you choose is remembered on your account.")) }
            }
            (email_section(view, own))
            (time_zone_section(view, appliance_zone, zone_error))
            section class="card" {
                h2 { (view.t("Changer mon mot de passe", "Change my password")) }
                (password_form(view, "/parameters/profile/password", errors))
            }
            (profile_section(view, factor, factor_error))
            (sessions_section(view, &own.sessions))
        }
    };
    parameters_page(
        view,
        view.t("Mon profil", "My profile"),
        "/parameters/profile",
        body,
    )
}

/// The user's own email address, where the gateway writes to them.
fn email_section(view: &View, own: &Own) -> Markup {
    html! {
        section class="card" id="email" {
            h2 { (view.t("Adresse email", "Email address")) }
            form class="form" method="post" action="/parameters/profile/email" {
                (csrf(view))
                (Input::new("email", view.t("Mon adresse email", "My email address"), &own.email).kind("email").autocomplete("email")
                    .hint(view.t("Pour les notifications et les liens de connexion. Laissez vide pour n'en recevoir aucun.", "For notifications and sign-in links. Leave empty to receive none."))
                    .error(own.email_error.as_deref()).render())
                div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer l'adresse", "Save the address")) } }
            }
        }
    }
}

/// The user's live sessions, this one first, with "sign out everywhere else".
fn sessions_section(view: &View, sessions: &[SessionRow]) -> Markup {
    let others = sessions.iter().filter(|s| !s.current).count();
    html! {
        section class="card" id="sessions" {
            h2 { (view.t("Mes sessions actives", "My active sessions")) }
            div class="table-wrap" { table class="grid" {
                thead { tr {
                    th scope="col" { (view.t("Ouverte le", "Started")) }
                    th scope="col" { (view.t("Dernière activité", "Last seen")) }
                    th scope="col" { (view.t("Adresse IP", "IP address")) }
                    th scope="col" { }
                } }
                tbody {
                    @for s in sessions {
                        tr {
                            td { (format_datetime(s.created_at, view.lang, view.zone)) }
                            td { (format_datetime(s.last_seen, view.lang, view.zone)) }
                            td { (s.ip) }
                            td { @if s.current { strong { (view.t("Cette session", "This session")) } } }
                        }
                    }
                }
            } }
            @if others > 0 {
                form class="form" method="post" action="/parameters/profile/sessions/end-others" {
                    (csrf(view))
                    div class="actions" { button type="submit" { (view.t("Se déconnecter partout ailleurs", "Sign out everywhere else")) } }
                }
            } @else {
                p class="small muted" { (view.t("Aucune autre session ouverte.", "No other session open.")) }
            }
        }
    }
}

/// A region's name for people.
fn region_name(region: &str, lang: Lang) -> &str {
    let fr = match region {
        "Africa" => "Afrique",
        "America" => "Amérique",
        "Antarctica" => "Antarctique",
        "Asia" => "Asie",
        "Atlantic" => "Océan Atlantique",
        "Australia" => "Australie",
        "Europe" => "Europe",
        "Indian" => "Océan Indien",
        "Pacific" => "Océan Pacifique",
        other => other,
    };
    let en = match region {
        "Atlantic" => "Atlantic Ocean",
        "Indian" => "Indian Ocean",
        "Pacific" => "Pacific Ocean",
        other => other,
    };
    lang.pick(fr, en)
}

/// The user's own time zone: the appliance's (no choice), UTC, or a `Region/City`
/// zone, grouped by region, each with its offset now.
fn time_zone_section(view: &View, appliance: &Zone, error: Option<&str>) -> Markup {
    let Some(user) = view.user() else {
        return html! {};
    };
    let chosen = user.time_zone.as_ref().map(Zone::name);
    let now = view.now.unix_timestamp();
    let names = Zone::names();
    let with_offset = |name: &str| match Zone::parse(name) {
        Ok(z) => format!("{} ({})", label(name), z.offset_text(now)),
        Err(_) => label(name),
    };
    let id = "f-time_zone";
    let described = match error {
        Some(_) => format!("{id}-err {id}-hint"),
        None => format!("{id}-hint"),
    };
    let appliance_text = match view.lang {
        Lang::Fr => format!("Celui du serveur : {}", with_offset(appliance.name())),
        Lang::En => format!("The server's: {}", with_offset(appliance.name())),
    };
    let shown = match view.lang {
        Lang::Fr => format!(
            "Dates et heures affichées, « aujourd'hui » et filtres de date de la liste suivent ce fuseau (ici : {}, {}). Les fichiers pour tableur aussi ; JSON, XML et CSV restent en UTC (ISO 8601).",
            view.zone.label(),
            view.zone.offset_text(now)
        ),
        Lang::En => format!(
            "Dates and times shown, the list's \"today\" and its date filters follow this zone (now: {}, {}). So do spreadsheet files; JSON, XML and CSV stay in UTC (ISO 8601).",
            view.zone.label(),
            view.zone.offset_text(now)
        ),
    };
    html! {
        section class="card" id="time-zone" {
            h2 { (view.t("Fuseau horaire", "Time zone")) }
            form class="form" method="post" action="/parameters/profile/time-zone" {
                (csrf(view))
                div class="field" {
                    label for=(id) { (view.t("Mon fuseau horaire", "My time zone")) }
                    select id=(id) name="time_zone" aria-describedby=(described)
                        aria-invalid=[error.map(|_| "true")] {
                        option value="" selected[chosen.is_none()] { (appliance_text) }
                        option value="UTC" selected[chosen == Some("UTC")] { "UTC" }
                        @for region in REGIONS {
                            optgroup label=(region_name(region, view.lang)) {
                                @for name in names.iter().filter(|n| n.split_once('/').is_some_and(|(r, _)| r == region)) {
                                    option value=(name) selected[chosen == Some(name.as_str())] { (with_offset(name)) }
                                }
                            }
                        }
                    }
                    @if let Some(e) = error { small class="error" id={(id) "-err"} { (e) } }
                    small class="hint" id={(id) "-hint"} { (shown) }
                }
                div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer le fuseau", "Save the time zone")) } }
            }
        }
    }
}
