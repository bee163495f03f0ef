//! Second-factor screens: the code step of sign-in, enrolment (QR code drawn here as
//! SVG, the secret in text), the recovery codes shown once, the profile section, and
//! Parameters › Security.

use maud::{Markup, html};

use super::layout::{bare, lang_switch, parameters_page};
use crate::domain::security::SecuritySettings;
use crate::domain::totp;
use crate::domain::user::{Merchant, User};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf};

/// DOM id of the base32 secret on the enrolment page.
pub const SECRET_ID: &str = "totp-secret";

fn sign_out(view: &View) -> Markup {
    html! {
        form class="inline" method="post" action="/logout" {
            (csrf(view))
            button class="link" { (view.t("Se déconnecter", "Sign out")) }
        }
    }
}

fn code_input<'a>(view: &'a View<'a>, label: &'a str) -> Input<'a> {
    Input::new("code", label, "")
        .required()
        .autocomplete("one-time-code")
        .hint(view.t(
            "6 chiffres, ou l'un de vos codes de secours.",
            "6 digits, or one of your recovery codes.",
        ))
}

/// The code step of sign-in.
pub fn code_page(view: &View, next: &str, error: Option<&str>) -> Markup {
    let body = html! {
        form class="form card" method="post" action="/login/code" {
            h1 { (view.t("Double authentification", "Two-factor authentication")) }
            @if let Some(e) = error { (flash("err", e)) }
            p { (view.t("Saisissez le code affiché par votre application d'authentification.", "Type the code shown by your authenticator app.")) }
            (csrf(view))
            input type="hidden" name="next" value=(next);
            (code_input(view, view.t("Code", "Code")).render())
            div class="actions" {
                button class="primary" type="submit" { (view.t("Valider", "Verify")) " »" }
            }
        }
        (sign_out(view))
        nav class="langs" { (lang_switch(view)) }
    };
    bare(
        view,
        view.t("Double authentification", "Two-factor authentication"),
        body,
    )
}

/// The QR code of `url` as an SVG data URL. The SVG is drawn by the `qrcode` crate
/// from modules only: no text of ours or the user's goes into its markup.
fn qr_data_url(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64(svg.as_bytes())
    ))
}

/// `ABCDEFGH…` as `ABCD EFGH …`, easier to type.
fn in_groups(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Enrolment: a start button, or the QR code, the secret and the first-code form.
pub fn enrol_page(view: &View, user: &User, forced: bool, error: Option<&str>) -> Markup {
    let pending = user.second_factor.as_ref().filter(|f| !f.is_confirmed());
    let body = html! {
        section class="card" {
            h1 { (view.t("Activer la double authentification", "Set up two-factor authentication")) }
            @if forced {
                (flash("info", view.t("La double authentification est obligatoire pour ce compte : activez-la pour continuer.", "Two-factor authentication is required for this account: set it up to go on.")))
            }
            @if let Some(e) = error { (flash("err", e)) }
            @match pending {
                None => {
                    p { (view.t("Vous aurez besoin d'une application d'authentification (TOTP) sur votre téléphone.", "You will need an authenticator app (TOTP) on your phone.")) }
                    form method="post" action="/second-factor/start" {
                        (csrf(view))
                        div class="actions" { button class="primary" type="submit" { (view.t("Commencer", "Start")) } }
                    }
                }
                Some(f) => {
                    p { (view.t("1. Scannez ce code QR avec votre application d'authentification :", "1. Scan this QR code with your authenticator app:")) }
                    @if let Some(src) = totp::otpauth_url(&f.secret, &user.username).and_then(|u| qr_data_url(&u)) {
                        p { img class="qr" src=(src) width="200" height="200" alt=(view.t("Code QR de la double authentification", "Two-factor QR code")); }
                    }
                    p { (view.t("ou saisissez cette clé à la main :", "or type this key by hand:")) }
                    code class="secret" id=(SECRET_ID) { (in_groups(&totp::secret_base32(&f.secret))) }
                    form class="form" method="post" action="/second-factor/confirm" {
                        (csrf(view))
                        (Input::new("code", view.t("2. Code affiché par l'application", "2. Code shown by the app"), "").required().autocomplete("one-time-code").render())
                        (Input::new("password", view.t("3. Votre mot de passe, pour confirmer", "3. Your password, to confirm"), "").kind("password").required().autocomplete("current-password").render())
                        div class="actions" { button class="primary" type="submit" { (view.t("Activer", "Turn on")) } }
                    }
                }
            }
            @if !forced {
                p { a href="/parameters/profile" { (view.t("Retour à mon profil", "Back to my profile")) } }
            }
            (sign_out(view))
        }
        nav class="langs" { (lang_switch(view)) }
    };
    bare(
        view,
        view.t("Double authentification", "Two-factor authentication"),
        body,
    )
}

/// The recovery codes, shown once right after enrolment.
pub fn recovery_codes(view: &View, codes: &[String]) -> Markup {
    let body = html! {
        section class="card" {
            h1 { (view.t("Double authentification activée", "Two-factor authentication is on")) }
            p { (view.t("Voici vos codes de secours : chacun remplace une fois le code de l'application (téléphone perdu). Gardez-les en lieu sûr ; ils ne seront plus jamais affichés.", "Here are your recovery codes: each one replaces the app's code once (lost phone). Keep them somewhere safe; they will never be shown again.")) }
            ul class="recovery-codes" id="recovery-codes" {
                @for c in codes { li { code { (c) } } }
            }
            p { a class="button primary" href="/" { (view.t("Continuer", "Continue")) } }
        }
    };
    bare(view, view.t("Codes de secours", "Recovery codes"), body)
}

/// What the profile page shows about the user's second factor.
pub struct FactorState {
    pub enrolled: bool,
    pub required: bool,
    pub recovery_left: usize,
}

/// The second-factor card of the profile page.
pub fn profile_section(view: &View, st: &FactorState, error: Option<&str>) -> Markup {
    html! {
        section class="card" id="second-factor" {
            h2 { (view.t("Double authentification", "Two-factor authentication")) }
            @if let Some(e) = error { (flash("err", e)) }
            @if st.enrolled {
                p { (view.t("Activée. Codes de secours restants : ", "On. Recovery codes left: ")) (st.recovery_left) }
                @if st.required {
                    p class="small muted" { (view.t("Obligatoire pour ce compte : elle ne peut pas être désactivée. Un administrateur peut la réinitialiser.", "Required for this account: it cannot be turned off. An admin can reset it.")) }
                } @else {
                    form class="form" method="post" action="/parameters/profile/second-factor/disable" {
                        (csrf(view))
                        (Input::new("current", view.t("Mot de passe actuel", "Current password"), "").kind("password").required().autocomplete("current-password").render())
                        (code_input(view, view.t("Code", "Code")).render())
                        div class="actions" { button class="danger" type="submit" { (view.t("Désactiver", "Turn off")) } }
                    }
                }
            } @else {
                p { (view.t("Non activée : protégez votre compte avec un code à usage unique de votre téléphone.", "Off: protect your account with a one-time code from your phone.")) }
                p { a class="button" href="/second-factor" { (view.t("Activer", "Turn on")) } }
            }
        }
    }
}

/// Parameters › Security.
pub fn security(
    view: &View,
    s: &SecuritySettings,
    age_input: &str,
    merchants: &[Merchant],
    done: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let title = view.t("Sécurité", "Security");
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done { (flash("ok", d)) }
        form class="form card" method="post" action="/parameters/security" {
            (csrf(view))
            (Input::new("password_max_age_days", view.t("Âge maximal des mots de passe (jours)", "Password maximum age (days)"), age_input)
                .required()
                .hint(view.t("Pour le personnel sans double authentification : au-delà, le mot de passe doit être changé à la connexion (PCI DSS 8.3.9, 90 jours).", "For staff without two-factor authentication: past it, the password must be changed at sign-in (PCI DSS 8.3.9, 90 days)."))
                .error(error)
                .render())
            fieldset {
                legend { (view.t("Double authentification obligatoire pour les utilisateurs de :", "Two-factor authentication required for the users of:")) }
                p class="small muted" { (view.t("Elle est toujours obligatoire pour les administrateurs.", "It is always required for admins.")) }
                @for m in merchants {
                    label class="check" {
                        input type="checkbox" name="second_factor" value=(m.id) checked[s.second_factor_merchants.contains(&m.id)];
                        (m.name)
                    }
                }
            }
            div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer", "Save")) } }
        }
    };
    parameters_page(view, title, "/parameters/security", body)
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_like_the_rfc() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
