//! Parameters › Emails › Templates (admins, issue 14, LINK-3): the list of the email
//! templates (kind × language, customised or built-in), the editor of one with its
//! placeholders, the preview with example values, and the reset confirmation.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::Lang;
use crate::domain::email_template::{
    Rendered, StoredTemplate, TemplateId, TemplateKind, TemplateSource, Templates,
};
use crate::domain::time::format_datetime;
use crate::domain::user::FieldError;
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{csrf, error_for};
use crate::fragments::subtabs::emails_tabs;

pub const LIST_PATH: &str = "/parameters/emails/templates";

/// The editor's address of template `id`.
pub fn path_of(id: TemplateId) -> String {
    format!("{LIST_PATH}/{}", id.slug())
}

fn kind_name(view: &View, kind: TemplateKind) -> &'static str {
    let (fr, en) = kind.name();
    view.t(fr, en)
}

fn lang_name(view: &View, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => view.t("français", "French"),
        Lang::En => view.t("anglais", "English"),
    }
}

fn title(view: &View) -> &'static str {
    view.t("Modèles d'emails", "Email templates")
}

/// "Customised on … by …" or "Built-in".
fn status(view: &View, custom: Option<&StoredTemplate>) -> Markup {
    html! {
        @match custom {
            Some(c) => {
                span class="badge info" { (view.t("Personnalisé", "Customised")) }
                " " span class="small muted" { (format_datetime(c.updated_at, view.lang, view.zone)) " · " (c.updated_by) }
            }
            None => { span class="badge muted" { (view.t("Par défaut", "Built-in")) } }
        }
    }
}

/// The list: each kind in French and English, customised or built-in.
pub fn templates_list(view: &View, templates: &Templates, done: Option<&str>) -> Markup {
    let h_state = view.t("État", "State");
    let body = html! {
        h1 { (view.t("Emails", "Emails")) }
        (emails_tabs(view, LIST_PATH))
        @if let Some(d) = done { (flash("ok", d)) }
        p class="muted" { (view.t(
            "Chaque email existe en français et en anglais : celui de la langue de la demande (ou de la page du gestionnaire pour un nouvel utilisateur) est envoyé. Un modèle non personnalisé garde le texte fourni avec Guichet.",
            "Each email exists in French and in English: the one in the request's language (or the manager's page language for a new user) is sent. A template not customised keeps the text that comes with Guichet.")) }
        div class="table-wrap stack-wrap" {
            table class="grid stack" {
                thead { tr {
                    th { (view.t("Email", "Email")) } th { (h_state) }
                } }
                tbody {
                    @for id in TemplateId::all() {
                        tr {
                            td class="lead" {
                                a href=(path_of(id)) { (kind_name(view, id.kind)) " — " (lang_name(view, id.lang)) }
                                br;
                                span class="small muted" { (view.t(id.kind.about().0, id.kind.about().1)) }
                            }
                            td data-label=(h_state) { (status(view, templates.custom(id))) }
                        }
                    }
                }
            }
        }
        (syntax_help(view))
    };
    parameters_page(view, title(view), "/parameters/emails", body)
}

/// The placeholders of `kind`, each with what it holds.
fn placeholders(view: &View, kind: TemplateKind) -> Markup {
    html! {
        section class="card placeholders" aria-labelledby="placeholders-title" {
            h2 id="placeholders-title" { (view.t("Variables disponibles", "Available placeholders")) }
            dl class="kv" {
                @for p in kind.placeholders() {
                    dt { code translate="no" { @if p.flag { "{% if " (p.name) " %}" } @else { "{{ " (p.name) " }}" } } }
                    dd { (view.t(p.fr, p.en)) }
                }
            }
            @if kind.for_customers() {
                p class="small muted" { (view.t(
                    "Le pied de page du marchand (Paramètres › Marchands › Réglages) s'ajoute sous chaque email, en texte et en HTML.",
                    "The merchant's footer (Parameters › Merchants › Settings) is added under each email, in text and HTML.")) }
            }
        }
    }
}

/// How to write a template: the little Jinja it takes.
fn syntax_help(view: &View) -> Markup {
    html! {
        details class="syntax-help" {
            summary { (view.t("Écrire un modèle", "Writing a template")) }
            ul class="small" {
                li { code translate="no" { "{{ customer_name }}" } " — " (view.t(
                    "insère une valeur ; dans le corps HTML elle est toujours échappée (un nom « <b> » s'affiche tel quel, sans effet).",
                    "inserts a value; in the HTML body it is always escaped (a name \"<b>\" shows as typed, with no effect).")) }
                li { code translate="no" { "{% if description %}…{% else %}…{% endif %}" } " — " (view.t(
                    "une partie seulement quand la valeur n'est pas vide (ou vraie).",
                    "a part only when the value is not empty (or true).")) }
                li { code translate="no" { "{{ merchant_name|upper }}" } " — " (view.t(
                    "filtres : upper, lower, capitalize, title, trim.",
                    "filters: upper, lower, capitalize, title, trim.")) }
                li { (view.t(
                    "Une variable inconnue ou une erreur de syntaxe est refusée à l'enregistrement, avec la ligne concernée. Pas d'inclusion de fichier, de macro ni de fonction.",
                    "An unknown placeholder or a syntax error is refused when saving, with its line. No file inclusion, macro or function.")) }
                li { (view.t(
                    "Le corps HTML est placé dans le cadre commun des emails (fond gris, carte blanche) ; le texte sert aux messageries qui n'affichent pas le HTML.",
                    "The HTML body is placed in the emails' common frame (grey background, white card); the text is for mail readers that do not show HTML.")) }
            }
        }
    }
}

/// The preview of the example email: subject, text, and the HTML page in a sandboxed
/// frame (no script runs, no link opens in the page).
fn preview(view: &View, id: TemplateId, r: &Rendered) -> Markup {
    html! {
        section class="card mail-preview template-preview" id="preview" aria-labelledby="preview-title" {
            h2 id="preview-title" { (view.t("Aperçu avec des valeurs d'exemple", "Preview with example values")) }
            p class="small muted" { (view.t(
                "Ce qui est dans le formulaire, pas encore enregistré.",
                "What the form holds, not saved yet.")) }
            p { strong { (view.t("Objet : ", "Subject: ")) } span class="mail-subject" lang=(id.lang.code()) translate="no" { (r.subject) } }
            h3 { (view.t("Texte", "Text")) }
            pre class="mail-body" lang=(id.lang.code()) translate="no" { (r.text) }
            h3 { "HTML" }
            iframe class="mail-frame" sandbox="" srcdoc=(r.html)
                title=(view.t("Aperçu de l'email en HTML", "HTML email preview")) {}
        }
    }
}

/// A code textarea for part `name` of the template, its language said.
fn code_area(
    name: &str,
    label: &str,
    value: &str,
    error: Option<&str>,
    rows: u32,
    lang: Lang,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows=(rows) class="code" spellcheck="false"
                lang=(lang.code()) translate="no"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-err"))] { (value) }
            @if let Some(e) = error { small class="error" id={(id) "-err"} { (e) } }
        }
    }
}

/// What the editor shows besides the form: a message, the preview.
#[derive(Default)]
pub struct EditorExtras<'a> {
    /// ("ok" | "err" | "info", text).
    pub flash: Option<(&'a str, &'a str)>,
    pub preview: Option<&'a Rendered>,
}

/// The editor of template `id` with `form`'s values and their `errors`.
pub fn template_editor(
    view: &View,
    id: TemplateId,
    form: &TemplateSource,
    errors: &[FieldError],
    custom: Option<&StoredTemplate>,
    extras: EditorExtras,
) -> Markup {
    let err = |f| error_for(errors, f, view.lang);
    let path = path_of(id);
    let heading = format!(
        "{} — {}",
        kind_name(view, id.kind),
        lang_name(view, id.lang)
    );
    let subject_err = err("subject");
    let body = html! {
        h1 { (view.t("Emails", "Emails")) }
        (emails_tabs(view, LIST_PATH))
        p class="small" { a href=(LIST_PATH) { "‹ " (title(view)) } }
        h2 { (heading) }
        p class="muted" { (view.t(id.kind.about().0, id.kind.about().1)) " " (status(view, custom)) }
        @if let Some((kind, text)) = extras.flash { (flash(kind, text)) }
        @if !errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        div class="template-editor" {
            form class="form card" method="post" action=(path) {
                (csrf(view))
                div class="field" {
                    label for="f-subject" { (view.t("Objet", "Subject")) }
                    input id="f-subject" name="subject" type="text" value=(form.subject)
                        lang=(id.lang.code()) translate="no" spellcheck="false"
                        aria-invalid=[subject_err.map(|_| "true")]
                        aria-describedby=[subject_err.map(|_| "f-subject-err")];
                    @if let Some(e) = subject_err { small class="error" id="f-subject-err" { (e) } }
                }
                (code_area("text", view.t("Corps en texte", "Text body"), &form.text, err("text"), 14, id.lang))
                (code_area("html", view.t("Corps HTML", "HTML body"), &form.html, err("html"), 18, id.lang))
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Enregistrer", "Save")) }
                    button type="submit" formaction={(path) "/preview#preview"} { (view.t("Aperçu", "Preview")) }
                    button type="submit" formaction={(path) "/test"} { (view.t("M'envoyer un test", "Send me a test")) }
                    @if custom.is_some() {
                        a class="button" href={(path) "/reset"} { (view.t("Revenir au modèle par défaut", "Reset to default")) }
                    }
                }
                p class="small muted" { (view.t(
                    "Le test part vers l'adresse email de votre profil, avec les valeurs d'exemple, sans enregistrer le modèle.",
                    "The test goes to your profile's email address, with the example values, without saving the template.")) }
            }
            div {
                (placeholders(view, id.kind))
                (syntax_help(view))
            }
        }
        @if let Some(r) = extras.preview { (preview(view, id, r)) }
    };
    parameters_page(view, &heading, "/parameters/emails", body)
}

/// "Reset … to the built-in template?"
pub fn reset_confirm(view: &View, id: TemplateId, custom: Option<&StoredTemplate>) -> Markup {
    let path = path_of(id);
    let heading = format!(
        "{} — {}",
        kind_name(view, id.kind),
        lang_name(view, id.lang)
    );
    let body = html! {
        h1 { (view.t("Emails", "Emails")) }
        (emails_tabs(view, LIST_PATH))
        p class="small" { a href=(path) { "‹ " (heading) } }
        h2 { (view.t("Revenir au modèle par défaut", "Reset to default")) }
        section class="card confirm" {
            @match custom {
                Some(c) => {
                    p class="lead" { (view.t(
                        "La version personnalisée de ce modèle sera supprimée : les prochains emails reprendront le texte fourni avec Guichet.",
                        "The customised version of this template will be deleted: the next emails go back to the text that comes with Guichet.")) }
                    p class="small muted" { (view.t("Modifié le ", "Changed on ")) (format_datetime(c.updated_at, view.lang, view.zone)) " · " (c.updated_by) }
                    form method="post" action={(path) "/reset"} {
                        (csrf(view))
                        input type="hidden" name="confirmed" value="1";
                        div class="actions" {
                            button class="primary" type="submit" { (view.t("Revenir au modèle par défaut", "Reset to default")) }
                            a class="button" href=(path) { (view.t("Ne rien faire", "Go back")) }
                        }
                    }
                }
                None => {
                    p { (view.t("Ce modèle n'est pas personnalisé : c'est déjà celui par défaut.", "This template is not customised: it already is the built-in one.")) }
                    a class="button" href=(path) { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    parameters_page(view, &heading, "/parameters/emails", body)
}
