//! Parameters › Merchants (admins): list, create, edit.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::email_template::EmailBranding;
use crate::domain::merchant_settings::{DEFAULT_NOTICE_EN, DEFAULT_NOTICE_FR, SettingsForm};
use crate::domain::money::Currency;
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf, error_for, textarea};

pub fn list(view: &View, merchants: &[Merchant], done: Option<&str>) -> Markup {
    let h_company = view.t("Société", "Company");
    let h_terminals = view.t("Terminaux", "Terminals");
    let h_accounts = view.t("Comptes marchands", "Merchant accounts");
    let h_descriptor = view.t("Descripteur", "Descriptor");
    let body = html! {
        div class="page-head" {
            h1 { (view.t("Marchands", "Merchants")) }
            a class="button primary" href="/parameters/merchants/new" { (view.t("Nouveau marchand", "New merchant")) }
        }
        @if let Some(d) = done { (flash("ok", d)) }
        @if merchants.is_empty() {
            p class="empty" { (view.t("Aucun marchand pour l'instant : créez le premier, puis ses utilisateurs.", "No merchant yet: create the first one, then its users.")) }
        } @else {
            div class="table-wrap stack-wrap" {
                table class="grid stack merchants" {
                    thead { tr {
                        th class="num" { "ID" } th { (view.t("Nom", "Name")) } th { (h_company) }
                        th { (h_terminals) } th { (h_accounts) }
                        th { (h_descriptor) } th { span class="sr-only" { "Actions" } }
                    } }
                    tbody {
                        @for m in merchants {
                            tr {
                                td class="num" data-label="ID" { (m.id) }
                                td class="lead" { a href={"/parameters/merchants/" (m.id)} { (m.name) } }
                                td data-label=(h_company) { (m.company) }
                                td data-label=(h_terminals) {
                                    ul class="tags" { @for t in &m.terminals {
                                        li title=(t.label) { (t.number) @if !t.label.is_empty() { " · " (t.label) } }
                                    } }
                                }
                                td data-label=(h_accounts) { (m.accounts.join(", ")) }
                                td data-label=(h_descriptor) { (m.statement_descriptor) }
                                td class="end" { a href={"/parameters/users/new?merchant=" (m.id)} { (view.t("Ajouter un utilisateur", "Add a user")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    parameters_page(
        view,
        view.t("Marchands", "Merchants"),
        "/parameters/merchants",
        body,
    )
}

/// The merchant form's values (one type with the handler's form).
use crate::domain::merchant::MerchantForm;

pub fn form(
    view: &View,
    id: Option<u64>,
    v: &MerchantForm,
    errors: &[FieldError],
    done: Option<&str>,
) -> Markup {
    let action = id.map_or("/parameters/merchants/new".to_string(), |id| {
        format!("/parameters/merchants/{id}")
    });
    let title = match id {
        Some(_) if !v.name.is_empty() => {
            format!(
                "{} — {}",
                view.t("Modifier le marchand", "Edit the merchant"),
                v.name
            )
        }
        Some(_) => view
            .t("Modifier le marchand", "Edit the merchant")
            .to_string(),
        None => view.t("Nouveau marchand", "New merchant").to_string(),
    };
    let err = |f| error_for(errors, f, view.lang);
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        form class="form card" method="post" action=(action) {
            (csrf(view))
            div class="grid2" {
                (Input::new("name", view.t("Nom", "Name"), &v.name).required().error(err("name")).render())
                (Input::new("company", view.t("Société", "Company"), &v.company).error(err("company")).hint(view.t("Par défaut, le nom.", "Defaults to the name.")).render())
                (textarea("terminals", view.t("Terminaux", "Terminals"), &v.terminals, err("terminals"), Some(view.t("Un par ligne : numéro puis libellé, ex. « 21114 Site web ».", "One per line: number then label, e.g. \"21114 Web shop\"."))))
                (textarea("accounts", view.t("Comptes marchands", "Merchant accounts"), &v.accounts, err("accounts"), Some(view.t("Un par ligne, ex. VPS_TEST_DH.", "One per line, e.g. VPS_TEST_DH."))))
                (Input::new("statement_descriptor", view.t("Descripteur du relevé bancaire", "Statement descriptor"), &v.statement_descriptor).error(err("statement_descriptor")).hint(view.t("22 caractères au plus.", "At most 22 characters.")).render())
            }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
                a href="/parameters/merchants" { (view.t("Retour à la liste", "Back to the list")) }
                @if let Some(id) = id {
                    a href={"/parameters/merchants/" (id) "/settings"} { (view.t("Devises et page de paiement", "Currencies and payment page")) }
                    a href={"/parameters/merchants/" (id) "/rebill"} { (view.t("Limites des nouvelles facturations", "Rebill limits")) }
                    a href={"/parameters/merchants/" (id) "/restrictions"} { (view.t("Restrictions anti-fraude", "Fraud restrictions")) }
                    a href={"/parameters/merchants/" (id) "/callbacks"} { (view.t("Notifications à la boutique", "Callbacks to the shop")) }
                    a href={"/parameters/merchants/" (id) "/api"} { "API" }
                }
            }
        }
    };
    parameters_page(view, &title, "/parameters/merchants", body)
}

/// The rebill limits of a merchant as typed.
#[derive(Default)]
pub struct RebillValues {
    pub max_amount: String,
    pub max_per_day: String,
}

/// Parameters › Merchants › rebill limits (M6), admins only.
pub fn rebill_form(
    view: &View,
    m: &Merchant,
    v: &RebillValues,
    errors: &[FieldError],
    done: Option<&str>,
) -> Markup {
    let title = view.t("Limites des nouvelles facturations", "Rebill limits");
    let err = |f| error_for(errors, f, view.lang);
    let body = html! {
        h1 { (title) " — " (m.name) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        p class="muted" { (view.t(
            "Une nouvelle facturation d'une carte enregistrée ne dépasse jamais le montant de la transaction d'origine, sauf si vous relevez ici le plafond. Le client reçoit un reçu par e-mail à chaque fois.",
            "A rebill of a stored card never exceeds the original transaction's amount unless you raise the ceiling here. The customer gets an email receipt each time.")) }
        form class="form card" method="post" action={"/parameters/merchants/" (m.id) "/rebill"} {
            (csrf(view))
            div class="grid2" {
                (Input::new("max_amount", view.t("Plafond relevé", "Raised ceiling"), &v.max_amount).error(err("max_amount")).hint(view.t("Vide : le montant d'origine.", "Empty: the original amount.")).render())
                (Input::new("max_per_day", view.t("Nouvelles facturations par carte et par jour", "Rebills per card and per day"), &v.max_per_day).required().error(err("max_per_day")).render())
            }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
                a href={"/parameters/merchants/" (m.id)} { (view.t("Retour au marchand", "Back to the merchant")) }
            }
        }
    };
    parameters_page(view, title, "/parameters/merchants", body)
}

/// Parameters › Merchants › currencies and payment page (issue 14): what the
/// merchant's customers see, admins only.
pub fn settings_form(
    view: &View,
    m: &Merchant,
    v: &SettingsForm,
    errors: &[FieldError],
    done: Option<&str>,
    branding: (&EmailBranding, &[FieldError]),
) -> Markup {
    let title = view.t("Devises et page de paiement", "Currencies and payment page");
    let err = |f| error_for(errors, f, view.lang);
    let currencies_err = err("currencies");
    let body = html! {
        h1 { (title) " — " (m.name) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        form class="form card" method="post" action={"/parameters/merchants/" (m.id) "/settings"} {
            (csrf(view))
            fieldset class="field" aria-invalid=[currencies_err.map(|_| "true")] aria-describedby=[currencies_err.map(|_| "f-currencies-err")] {
                legend { (view.t("Devises acceptées", "Accepted currencies")) }
                p class="small muted" { (view.t(
                    "Le terminal virtuel ne propose que celles-ci ; l'API refuse les autres.",
                    "The virtual terminal offers only these; the API refuses the others.")) }
                // The usual three and those accepted; any other ISO 4217 code is typed.
                @for c in Currency::ALL.into_iter().filter(|c| c.index() < 3 || v.ticked(*c)) {
                    label class="check" {
                        input type="checkbox" name="currency" value=(c.code()) checked[v.ticked(c)];
                        (c.code())
                    }
                }
                (Input::new("currency_other", view.t("Autres devises (codes ISO 4217)", "Other currencies (ISO 4217 codes)"), &v.other).autocomplete("off").hint(view.t(
                    "Par exemple « TND, JPY » : chaque montant suit les décimales de sa devise (3 pour TND, aucune pour JPY).",
                    "For example \"TND, JPY\": each amount follows its currency's decimals (3 for TND, none for JPY).")).render())
                @if let Some(e) = currencies_err { small class="error" id="f-currencies-err" { (e) } }
            }
            div class="grid2" {
                (Input::new("display_name", view.t("Nom affiché aux clients", "Name shown to customers"), &v.display_name).error(err("display_name")).hint(view.t("Sur la page de paiement et dans les e-mails. Vide : la société, sinon le nom.", "On the payment page and in the emails. Empty: the company, else the name.")).render())
                (Input::new("logo_text", view.t("Texte du logo", "Logo text"), &v.logo_text).error(err("logo_text")).hint(view.t("En tête de la page de paiement et des emails aux clients. Vide : le nom affiché.", "At the top of the payment page and of the customer emails. Empty: the name shown.")).render())
            }
            (textarea("privacy_notice", view.t("Mention de protection des données", "Data-protection notice"), &v.privacy_notice, err("privacy_notice"), Some(view.t("En bas de la page de paiement. Vide : le texte par défaut ci-dessous (loi 09-08, CNDP).", "At the bottom of the payment page. Empty: the default text below (law 09-08, CNDP)."))))
            details {
                summary { (view.t("Texte par défaut (en français ou en anglais, selon la langue du client)", "Default text (in French or English, in the customer's language)")) }
                p class="small" { (view.t(DEFAULT_NOTICE_FR, DEFAULT_NOTICE_EN)) }
            }
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
                a href={"/parameters/merchants/" (m.id)} { (view.t("Retour au marchand", "Back to the merchant")) }
            }
        }
        (email_branding_form(view, m, branding.0, branding.1))
    };
    parameters_page(view, title, "/parameters/merchants", body)
}

/// The merchant's sender name and footer in its customers' emails (issue 14, LINK-3).
fn email_branding_form(
    view: &View,
    m: &Merchant,
    b: &EmailBranding,
    errors: &[FieldError],
) -> Markup {
    let err = |f| error_for(errors, f, view.lang);
    html! {
        form class="form card" id="email-branding" method="post" action={"/parameters/merchants/" (m.id) "/settings/emails"} {
            (csrf(view))
            h2 { (view.t("Emails aux clients", "Customer emails")) }
            p class="small muted" { (view.t(
                "Pour le lien de paiement et les reçus de ce marchand. Le texte des emails se modifie dans ",
                "For this merchant's payment link and receipts. The emails' wording is edited in "))
                a href="/parameters/emails/templates" { (view.t("Paramètres › Emails › Modèles", "Parameters › Emails › Templates")) } "." }
            @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
            (Input::new("sender_name", view.t("Nom de l'expéditeur", "Sender name"), &b.sender_name).error(err("sender_name")).hint(view.t("Nom affiché comme expéditeur et dans les emails. Vide : le nom affiché aux clients.", "Name shown as the sender and in the emails. Empty: the name shown to customers.")).render())
            (textarea("footer", view.t("Pied de page", "Footer"), &b.footer, err("footer"), Some(view.t("Sous chaque email, en texte et en HTML (adresse, mentions légales…). Vide : aucun.", "Under each email, in text and HTML (address, legal notice…). Empty: none."))))
            div class="actions" {
                button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
            }
        }
    }
}
