//! Editable email templates (issue 14, LINK-3): the payment link, the receipts, the new
//! user's sign-in link and the ticket notification, each in French and English, with
//! a subject, a text body and an HTML body written in Jinja syntax (minijinja).
//!
//! The sandbox: no loader (no `include`, `extends`, `import`, no macros), no function
//! or global, a handful of string filters (`upper`, `lower`, `capitalize`, `title`,
//! `trim`) and no `safe` filter, strict undefined values, a fuel limit on every render.
//! Placeholders are the documented ones of each kind ([`TemplateKind::placeholders`]);
//! anything else is refused when the template is saved. In the HTML body every value
//! is HTML-escaped whatever the template says (`{% autoescape false %}` changes
//! nothing: the formatter always escapes); in the subject and text body values are
//! written as they are.
//!
//! The admin edits the body of the message; the frame around the HTML body (page,
//! card) and the merchant's footer (customer emails only) are added here, so that a
//! template cannot lose them.

use std::collections::BTreeMap;

use minijinja::{Environment, Error, ErrorKind, Output, State, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use super::Lang;
use super::form::FieldError;
use super::merchant_settings::MerchantSettings;
use super::text::free_text_error;
use super::user::Merchant;

use super::email_defaults as defaults;

/// What an email is about, each with its placeholders and default wording.
/// Stored as the first half of the key of `db::tables::EMAIL_TEMPLATES` (`code`):
/// append-only, never renumber.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TemplateKind {
    /// The payment request with its "Pay the order" link.
    PaymentLink = 0,
    /// The receipt of an accepted payment (a sale, or an authorization: the
    /// `authorization` placeholder is true then).
    Receipt = 1,
    /// The receipt of a rebill on a stored card: a charge the customer did not make
    /// themselves, hence its own wording.
    RebillReceipt = 2,
    /// A new user's one-time sign-in link (never a password).
    Welcome = 3,
    /// A support ticket's notification (issue 14, point 1).
    Ticket = 4,
}

/// A documented placeholder: its name and what it holds, in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub name: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
    /// True or false rather than text (`{% if authorization %}`).
    pub flag: bool,
}

const fn text(name: &'static str, fr: &'static str, en: &'static str) -> Placeholder {
    Placeholder {
        name,
        fr,
        en,
        flag: false,
    }
}

const CUSTOMER_NAME: Placeholder = text(
    "customer_name",
    "Nom du client (titulaire indiqué sur la demande)",
    "The customer's name (the holder given on the request)",
);
const MERCHANT_NAME: Placeholder = text(
    "merchant_name",
    "Nom du marchand : son nom d'expéditeur, sinon le nom affiché aux clients",
    "The merchant's name: its sender name, else the name shown to customers",
);
const LOGO_TEXT: Placeholder = text(
    "logo_text",
    "Texte du logo du marchand, sinon le nom affiché",
    "The merchant's logo text, else the name shown",
);
const ORDER_ID: Placeholder = text("order_id", "Numéro de commande", "Order number");
const AMOUNT: Placeholder = text(
    "amount",
    "Montant et devise, écrits dans la langue de l'email (1 250,00 MAD)",
    "Amount and currency, written in the email's language (1,250.00 MAD)",
);
const DESCRIPTION: Placeholder = text(
    "description",
    "Description de la demande (peut être vide)",
    "The request's description (may be empty)",
);
const PAY_LINK: Placeholder = text("pay_link", "Lien de paiement", "Payment link");
const EXPIRES_AT: Placeholder = text(
    "expires_at",
    "Date et heure de fin de validité du lien",
    "Date and time the link stops working",
);
const DATE: Placeholder = text(
    "date",
    "Date et heure du paiement",
    "Date and time of the payment",
);
const CARD: Placeholder = text(
    "card",
    "Carte masquée (411111XXXXXX1111)",
    "Masked card (411111XXXXXX1111)",
);
const REFERENCE: Placeholder = text(
    "reference",
    "Référence du paiement pour le client",
    "The customer's payment reference",
);
const AUTHORIZATION: Placeholder = Placeholder {
    name: "authorization",
    fr: "Vrai pour une autorisation (montant réservé, débité plus tard), faux pour une vente",
    en: "True for an authorization (amount held, charged later), false for a sale",
    flag: true,
};
const USER_NAME: Placeholder = text(
    "user_name",
    "Nom complet du nouvel utilisateur (peut être vide)",
    "The new user's full name (may be empty)",
);
const USERNAME: Placeholder = text("username", "Nom d'utilisateur", "Username");
const NEW_ACCOUNT: Placeholder = Placeholder {
    name: "new_account",
    fr: "Vrai pour un compte qui vient d'être créé, faux pour un nouveau lien envoyé depuis la page de l'utilisateur",
    en: "True for an account just created, false for a new link sent from the user's page",
    flag: true,
};
const SIGN_IN_LINK: Placeholder = text(
    "sign_in_link",
    "Lien de connexion à usage unique (24 heures)",
    "One-time sign-in link (24 hours)",
);
const RECIPIENT_NAME: Placeholder = text(
    "recipient_name",
    "Nom de la personne qui reçoit l'email",
    "Name of the person the email goes to",
);
const TICKET_NUMBER: Placeholder = text("ticket_number", "Numéro du ticket", "Ticket number");
const TICKET_SUBJECT: Placeholder = text("ticket_subject", "Objet du ticket", "Ticket subject");
const AUTHOR: Placeholder = text("author", "Auteur du message", "Author of the message");
const MESSAGE: Placeholder = text("message", "Texte du message", "Text of the message");
const TICKET_LINK: Placeholder = text("ticket_link", "Lien vers le ticket", "Link to the ticket");
const STATE: Placeholder = text(
    "state",
    "État du ticket, dans la langue de l'email",
    "The ticket's state, in the email's language",
);
const TICKET_MERCHANT: Placeholder = text(
    "merchant_name",
    "Marchand concerné par le ticket",
    "The merchant the ticket is about",
);

impl TemplateKind {
    pub const ALL: [TemplateKind; 5] = [
        TemplateKind::PaymentLink,
        TemplateKind::Receipt,
        TemplateKind::RebillReceipt,
        TemplateKind::Welcome,
        TemplateKind::Ticket,
    ];

    /// The stored code (see the enum's note).
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<TemplateKind> {
        TemplateKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind in URLs: `payment-link`.
    pub fn slug(self) -> &'static str {
        match self {
            TemplateKind::PaymentLink => "payment-link",
            TemplateKind::Receipt => "receipt",
            TemplateKind::RebillReceipt => "rebill-receipt",
            TemplateKind::Welcome => "welcome",
            TemplateKind::Ticket => "ticket",
        }
    }

    /// The kind's name (French, English).
    pub fn name(self) -> (&'static str, &'static str) {
        match self {
            TemplateKind::PaymentLink => ("Lien de paiement", "Payment link"),
            TemplateKind::Receipt => ("Reçu de paiement", "Payment receipt"),
            TemplateKind::RebillReceipt => ("Reçu de refacturation", "Rebill receipt"),
            TemplateKind::Welcome => (
                "Identifiants d'un nouvel utilisateur",
                "New user's sign-in details",
            ),
            TemplateKind::Ticket => ("Notification de ticket", "Ticket notification"),
        }
    }

    /// When it is sent (French, English).
    pub fn about(self) -> (&'static str, &'static str) {
        match self {
            TemplateKind::PaymentLink => (
                "Au client, quand une demande de paiement est envoyée par email.",
                "To the customer, when a payment request is emailed.",
            ),
            TemplateKind::Receipt => (
                "Au client, quand son paiement est accepté (vente ou autorisation).",
                "To the customer, when their payment is accepted (sale or authorization).",
            ),
            TemplateKind::RebillReceipt => (
                "Au client, à chaque refacturation de sa carte enregistrée.",
                "To the customer, on each rebill of their stored card.",
            ),
            TemplateKind::Welcome => (
                "À chaque nouvel utilisateur : son lien de connexion, jamais de mot de passe.",
                "To a new back-office user: their sign-in link, never a password.",
            ),
            TemplateKind::Ticket => (
                "Aux personnes qui suivent un ticket de support, à chaque nouveau message.",
                "To the people who follow a support ticket, on each new message.",
            ),
        }
    }

    /// Emails a merchant sends its customers: its sender name, logo text and footer
    /// apply.
    pub fn for_customers(self) -> bool {
        matches!(
            self,
            TemplateKind::PaymentLink | TemplateKind::Receipt | TemplateKind::RebillReceipt
        )
    }

    /// The placeholders a template of this kind may use, documented.
    pub fn placeholders(self) -> &'static [Placeholder] {
        match self {
            TemplateKind::PaymentLink => &[
                CUSTOMER_NAME,
                MERCHANT_NAME,
                LOGO_TEXT,
                ORDER_ID,
                AMOUNT,
                DESCRIPTION,
                PAY_LINK,
                EXPIRES_AT,
            ],
            TemplateKind::Receipt => &[
                CUSTOMER_NAME,
                MERCHANT_NAME,
                LOGO_TEXT,
                ORDER_ID,
                AMOUNT,
                DATE,
                CARD,
                REFERENCE,
                AUTHORIZATION,
            ],
            TemplateKind::RebillReceipt => &[
                CUSTOMER_NAME,
                MERCHANT_NAME,
                LOGO_TEXT,
                ORDER_ID,
                AMOUNT,
                DATE,
                CARD,
                REFERENCE,
            ],
            TemplateKind::Welcome => &[USER_NAME, USERNAME, SIGN_IN_LINK, NEW_ACCOUNT],
            TemplateKind::Ticket => &[
                RECIPIENT_NAME,
                TICKET_NUMBER,
                TICKET_SUBJECT,
                AUTHOR,
                MESSAGE,
                TICKET_LINK,
                STATE,
                TICKET_MERCHANT,
            ],
        }
    }
}

/// One template: a kind in a language. In URLs `payment-link-fr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TemplateId {
    pub kind: TemplateKind,
    pub lang: Lang,
}

impl Ord for TemplateId {
    fn cmp(&self, other: &TemplateId) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for TemplateId {
    fn partial_cmp(&self, other: &TemplateId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TemplateId {
    pub fn new(kind: TemplateKind, lang: Lang) -> TemplateId {
        TemplateId { kind, lang }
    }

    /// Every template, kind by kind, French first.
    pub fn all() -> impl Iterator<Item = TemplateId> {
        TemplateKind::ALL
            .into_iter()
            .flat_map(|k| Lang::ALL.into_iter().map(move |l| TemplateId::new(k, l)))
    }

    pub fn slug(self) -> String {
        format!("{}-{}", self.kind.slug(), self.lang.code())
    }

    pub fn parse(slug: &str) -> Option<TemplateId> {
        let (kind, lang) = slug.rsplit_once('-')?;
        let kind = TemplateKind::ALL.into_iter().find(|k| k.slug() == kind)?;
        Some(TemplateId::new(kind, Lang::parse(lang)?))
    }

    /// The storage key: (kind code, language code).
    pub fn key(self) -> (u8, u8) {
        (self.kind.code(), self.lang as u8)
    }

    pub fn from_key((kind, lang): (u8, u8)) -> Option<TemplateId> {
        let lang = Lang::ALL.into_iter().find(|l| *l as u8 == lang)?;
        Some(TemplateId::new(TemplateKind::from_code(kind)?, lang))
    }
}

/// What the admin writes: subject, text body, HTML body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateSource {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl TemplateSource {
    /// The built-in wording of `id`.
    pub fn default_of(id: TemplateId) -> TemplateSource {
        let (subject, text, html) = defaults::source(id.kind, id.lang);
        TemplateSource {
            subject: subject.into(),
            text: text.into(),
            html: html.into(),
        }
    }

    /// From the posted pairs `subject`, `text`, `html`; line ends made `\n` (browsers
    /// send a textarea's lines ended by CR LF).
    pub fn from_pairs(pairs: &[(String, String)]) -> TemplateSource {
        let mut s = TemplateSource::default();
        for (k, v) in pairs {
            let v = v.replace("\r\n", "\n").replace('\r', "\n");
            match k.as_str() {
                "subject" => s.subject = v,
                "text" => s.text = v,
                "html" => s.html = v,
                _ => {}
            }
        }
        s
    }
}

/// An admin's version of a template, replacing the built-in one.
/// Stored (postcard, positional): never reorder nor retype the fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTemplate {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Unix seconds.
    pub updated_at: i64,
    /// The username of the admin who saved it.
    pub updated_by: String,
}

impl StoredTemplate {
    pub fn source(&self) -> TemplateSource {
        TemplateSource {
            subject: self.subject.clone(),
            text: self.text.clone(),
            html: self.html.clone(),
        }
    }
}

/// The templates in force: the admin's versions; the built-in ones for the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Templates {
    custom: BTreeMap<TemplateId, StoredTemplate>,
}

impl Templates {
    pub fn new(custom: impl IntoIterator<Item = (TemplateId, StoredTemplate)>) -> Templates {
        Templates {
            custom: custom.into_iter().collect(),
        }
    }

    /// The admin's version of `id`, if any.
    pub fn custom(&self, id: TemplateId) -> Option<&StoredTemplate> {
        self.custom.get(&id)
    }
}

/// The sender name and footer a merchant adds to its customers' emails (the logo
/// text is the payment page's, in `MerchantSettings`). Empty: the merchant's name
/// shown to customers; no footer.
/// Stored (postcard, positional): never reorder nor retype the fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailBranding {
    pub sender_name: String,
    pub footer: String,
}

pub const MAX_SENDER_NAME: usize = 60;
pub const MAX_FOOTER: usize = 600;

impl EmailBranding {
    /// The posted `sender_name` and `footer`, checked.
    pub fn parse(sender_name: &str, footer: &str) -> Result<EmailBranding, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: &'static str, value: &str, max: usize, multiline: bool| {
            let v = value.replace("\r\n", "\n").trim().to_string();
            if v.chars().count() > max {
                errors.push(super::form::too_long(field, max));
            } else if let Some(e) = free_text_error(field, &v, multiline) {
                errors.push(e);
            }
            v
        };
        let sender_name = check("sender_name", sender_name, MAX_SENDER_NAME, false);
        let footer = check("footer", footer, MAX_FOOTER, true);
        if errors.is_empty() {
            Ok(EmailBranding {
                sender_name,
                footer,
            })
        } else {
            Err(errors)
        }
    }
}

/// How a merchant signs its customers' emails: `{{ merchant_name }}` (also the
/// sender's display name), `{{ logo_text }}` and the footer under every message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letterhead {
    pub merchant_name: String,
    pub logo_text: String,
    pub footer: String,
}

impl Default for Letterhead {
    /// No merchant: the product's name.
    fn default() -> Letterhead {
        Letterhead {
            merchant_name: "Guichet".into(),
            logo_text: "Guichet".into(),
            footer: String::new(),
        }
    }
}

impl Letterhead {
    /// The merchant's: its sender name, else the name its settings show customers;
    /// the logo text, else that name; its footer.
    pub fn of(
        merchant: &Merchant,
        settings: &MerchantSettings,
        branding: &EmailBranding,
    ) -> Letterhead {
        let shown = settings.shown_name(merchant);
        let merchant_name = if branding.sender_name.is_empty() {
            shown
        } else {
            branding.sender_name.clone()
        };
        let logo_text = if settings.logo_text.is_empty() {
            merchant_name.clone()
        } else {
            settings.logo_text.clone()
        };
        Letterhead {
            merchant_name,
            logo_text,
            footer: branding.footer.clone(),
        }
    }

    /// The example merchant of previews and test emails.
    pub fn sample() -> Letterhead {
        Letterhead {
            merchant_name: "Boutique Atlas".into(),
            logo_text: "BOUTIQUE ATLAS".into(),
            footer: "Boutique Atlas · 12, boulevard Zerktouni · Casablanca".into(),
        }
    }
}

/// What a customer email needs besides its own values: the templates in force and
/// the merchant's letterhead. Read before the write transaction that queues it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailLook {
    pub templates: Templates,
    pub letterhead: Letterhead,
}

/// The values of an email's placeholders.
#[derive(Clone, Debug, Default)]
pub struct Vars(BTreeMap<&'static str, Value>);

impl Vars {
    pub fn new() -> Vars {
        Vars::default()
    }

    /// `name` is the text `value`.
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Vars {
        self.0.insert(name, Value::from(value.into()));
        self
    }

    /// `name` is true or false.
    pub fn flag(mut self, name: &'static str, value: bool) -> Vars {
        self.0.insert(name, Value::from(value));
        self
    }

    /// `merchant_name` and `logo_text` of `letterhead`.
    pub fn with_letterhead(self, letterhead: &Letterhead) -> Vars {
        self.text("merchant_name", letterhead.merchant_name.clone())
            .text("logo_text", letterhead.logo_text.clone())
    }

    fn value(&self) -> Value {
        Value::from_iter(self.0.iter().map(|(k, v)| (*k, v.clone())))
    }
}

/// The values of a ticket notification's placeholders, all written by the caller
/// in the email's language (`state` included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketVars {
    pub recipient_name: String,
    pub ticket_number: String,
    pub ticket_subject: String,
    pub author: String,
    pub message: String,
    pub ticket_link: String,
    pub state: String,
    pub merchant_name: String,
}

impl TicketVars {
    pub fn vars(&self) -> Vars {
        Vars::new()
            .text("recipient_name", self.recipient_name.clone())
            .text("ticket_number", self.ticket_number.clone())
            .text("ticket_subject", self.ticket_subject.clone())
            .text("author", self.author.clone())
            .text("message", self.message.clone())
            .text("ticket_link", self.ticket_link.clone())
            .text("state", self.state.clone())
            .text("merchant_name", self.merchant_name.clone())
    }
}

/// An email ready to queue: the subject on one line, the text, the whole HTML page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Instructions one render may run: far more than any sensible email needs, few
/// enough that a loop cannot hold a thread.
const FUEL: u64 = 50_000;

/// Bounds of each part, in characters: the three fit in one form post (the
/// back office reads at most 64 KiB of a body).
pub const MAX_SUBJECT: usize = 300;
pub const MAX_TEXT: usize = 8_000;
pub const MAX_HTML: usize = 12_000;

/// `& < > " '` as entities (not `/`: links stay readable, and the outbox's link
/// redaction finds them).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_formatter(out: &mut Output, _: &State, value: &Value) -> Result<(), Error> {
    if value.is_safe() {
        write!(out, "{value}").map_err(Error::from)
    } else {
        out.write_str(&escape_html(&value.to_string()))
            .map_err(Error::from)
    }
}

fn text_formatter(out: &mut Output, _: &State, value: &Value) -> Result<(), Error> {
    write!(out, "{value}").map_err(Error::from)
}

/// The sandboxed engine: HTML-escaping when `html`, plain otherwise.
fn environment(html: bool) -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("upper", minijinja::filters::upper);
    env.add_filter("lower", minijinja::filters::lower);
    env.add_filter("capitalize", minijinja::filters::capitalize);
    env.add_filter("title", minijinja::filters::title);
    env.add_filter("trim", minijinja::filters::trim);
    if html {
        env.set_formatter(html_formatter);
    } else {
        env.set_formatter(text_formatter);
    }
    env
}

/// The three parts of a template, as (form field, source, HTML-escaped?).
fn parts(source: &TemplateSource) -> [(&'static str, &str, bool); 3] {
    [
        ("subject", source.subject.as_str(), false),
        ("text", source.text.as_str(), false),
        ("html", source.html.as_str(), true),
    ]
}

/// An engine error as a field message, with its line when known.
fn engine_error(field: &'static str, e: &Error) -> FieldError {
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_string);
    let syntax = e.kind() == ErrorKind::SyntaxError;
    match (e.line(), syntax) {
        (Some(line), true) => FieldError::new(
            field,
            format!("Erreur de syntaxe ligne {line} : {detail}"),
            format!("Syntax error on line {line}: {detail}"),
        ),
        (None, true) => FieldError::new(
            field,
            format!("Erreur de syntaxe : {detail}"),
            format!("Syntax error: {detail}"),
        ),
        (Some(line), false) => FieldError::new(
            field,
            format!("Erreur ligne {line} : {detail}"),
            format!("Error on line {line}: {detail}"),
        ),
        (None, false) => FieldError::new(
            field,
            format!("Erreur : {detail}"),
            format!("Error: {detail}"),
        ),
    }
}

fn render_part(
    field: &'static str,
    source: &str,
    html: bool,
    vars: &Value,
) -> Result<String, FieldError> {
    let env = environment(html);
    env.template_from_str(source)
        .and_then(|t| t.render(vars))
        .map_err(|e| engine_error(field, &e))
}

/// The HTML page around a rendered body: the card on a grey background, the title,
/// and the footer (escaped, its lines kept) under the body.
fn frame(lang: Lang, subject: &str, body: &str, footer: &str) -> String {
    let footer = if footer.is_empty() {
        String::new()
    } else {
        format!(
            "<p style=\"margin:24px 0 0;padding-top:12px;border-top:1px solid #dde1e7;font-size:12px;color:#666\">{}</p>",
            footer
                .lines()
                .map(escape_html)
                .collect::<Vec<_>>()
                .join("<br>")
        )
    };
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2430\"><div style=\"max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:24px\">{}{}</div></body></html>",
        lang.code(),
        escape_html(subject),
        body,
        footer
    )
}

/// Renders `source` as template `id` with `vars`, `footer` under the text and the
/// HTML (empty: none). The subject is made one line.
pub fn render(
    id: TemplateId,
    source: &TemplateSource,
    vars: &Vars,
    footer: &str,
) -> Result<Rendered, FieldError> {
    let ctx = vars.value();
    let subject = render_part("subject", &source.subject, false, &ctx)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text = render_part("text", &source.text, false, &ctx)?;
    let body = render_part("html", &source.html, true, &ctx)?;
    if !footer.is_empty() {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(footer);
        text.push('\n');
    }
    let html = frame(id.lang, &subject, &body, footer);
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// Renders template `id` as `templates` hold it (the admin's version, else the
/// built-in one). When the admin's version fails (it was checked when saved, so it
/// should not), the built-in one is used and the failure returned beside it: the
/// email is never lost.
pub fn render_in_force(
    templates: &Templates,
    id: TemplateId,
    vars: &Vars,
    footer: &str,
) -> (Rendered, Option<FieldError>) {
    let failed = match templates.custom(id) {
        Some(custom) => match render(id, &custom.source(), vars, footer) {
            Ok(r) => return (r, None),
            Err(e) => Some(e),
        },
        None => None,
    };
    let rendered =
        render(id, &TemplateSource::default_of(id), vars, footer).unwrap_or_else(|e| Rendered {
            // The built-in templates are tested; this is the last resort.
            subject: "Guichet".into(),
            text: e.en.clone(),
            html: frame(id.lang, "Guichet", &escape_html(&e.en), ""),
        });
    (rendered, failed)
}

/// A 32-hex stand-in for a link's secret in samples.
const SAMPLE_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// Example values of every placeholder of `kind` in `lang` (the preview and the test
/// email), links under `base_url`.
pub fn sample_vars(kind: TemplateKind, lang: Lang, base_url: &str) -> Vars {
    let base = base_url.trim_end_matches('/');
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_string();
    let amount = t("1 250,00 MAD", "1,250.00 MAD");
    let customer = Vars::new()
        .with_letterhead(&Letterhead::sample())
        .text("customer_name", "Salma Idrissi")
        .text("order_id", "CMD-1042")
        .text("amount", amount);
    match kind {
        TemplateKind::PaymentLink => customer
            .text(
                "description",
                t("Deux nuits, chambre double", "Two nights, double room"),
            )
            .text("pay_link", format!("{base}/payment/{SAMPLE_SECRET}"))
            .text(
                "expires_at",
                t("3 juin 2026, 11:00 (UTC+1)", "3 Jun 2026, 11:00 (UTC+1)"),
            ),
        TemplateKind::Receipt | TemplateKind::RebillReceipt => {
            let v = customer
                .text(
                    "date",
                    t("1 juin 2026, 10:42 (UTC+1)", "1 Jun 2026, 10:42 (UTC+1)"),
                )
                .text("card", "411111XXXXXX1111")
                .text("reference", "7F3A-9C21");
            if kind == TemplateKind::Receipt {
                v.flag("authorization", false)
            } else {
                v
            }
        }
        TemplateKind::Welcome => Vars::new()
            .flag("new_account", true)
            .text("user_name", "Nadia Alaoui")
            .text("username", "nadia.alaoui")
            .text("sign_in_link", format!("{base}/welcome/{SAMPLE_SECRET}")),
        TemplateKind::Ticket => TicketVars {
            recipient_name: "Nadia Alaoui".into(),
            ticket_number: "42".into(),
            ticket_subject: t("Remboursement en double", "Refund made twice"),
            author: "Omar Benani".into(),
            message: t(
                "Le client a été remboursé deux fois. Pouvez-vous vérifier ?",
                "The customer was refunded twice. Could you check?",
            ),
            ticket_link: format!("{base}/tickets/42"),
            state: t("Ouvert", "Open"),
            merchant_name: "Boutique Atlas".into(),
        }
        .vars(),
    }
}

/// The example email of template `id` written as `source`: what the preview shows
/// and the test email carries (the example merchant's footer on customer emails).
pub fn render_sample(
    id: TemplateId,
    source: &TemplateSource,
    base_url: &str,
) -> Result<Rendered, FieldError> {
    let footer = if id.kind.for_customers() {
        Letterhead::sample().footer
    } else {
        String::new()
    };
    render(
        id,
        source,
        &sample_vars(id.kind, id.lang, base_url),
        &footer,
    )
}

/// The placeholder names a part uses that `kind` does not have.
fn unknown_names(kind: TemplateKind, source: &str) -> Result<Vec<String>, Error> {
    let env = environment(false);
    let t = env.template_from_str(source)?;
    let known: Vec<&str> = kind.placeholders().iter().map(|p| p.name).collect();
    let mut unknown: Vec<String> = t
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    unknown.sort();
    Ok(unknown)
}

/// Checks what the admin typed for template `id`: each part required, bounded, free
/// of control and card-number-like text, valid Jinja, using only the kind's
/// placeholders, and rendering with the example values (each flag true and false).
/// Every message names its field.
pub fn validate(id: TemplateId, form: &TemplateSource) -> Result<TemplateSource, Vec<FieldError>> {
    let mut errors = Vec::new();
    let cleaned = TemplateSource {
        subject: form.subject.trim().to_string(),
        text: form.text.clone(),
        html: form.html.clone(),
    };
    for (field, value, _) in parts(&cleaned) {
        let max = match field {
            "subject" => MAX_SUBJECT,
            "text" => MAX_TEXT,
            _ => MAX_HTML,
        };
        if value.trim().is_empty() {
            errors.push(super::form::required(field));
        } else if value.chars().count() > max {
            errors.push(super::form::too_long(field, max));
        } else if let Some(e) = free_text_error(field, value.trim(), field != "subject") {
            errors.push(e);
        } else {
            match unknown_names(id.kind, value) {
                Err(e) => errors.push(engine_error(field, &e)),
                Ok(unknown) if !unknown.is_empty() => {
                    let names = unknown
                        .iter()
                        .map(|n| format!("{{{{{n}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    errors.push(if unknown.len() == 1 {
                        FieldError::new(
                            field,
                            format!("Variable inconnue : {names}"),
                            format!("Unknown placeholder: {names}"),
                        )
                    } else {
                        FieldError::new(
                            field,
                            format!("Variables inconnues : {names}"),
                            format!("Unknown placeholders: {names}"),
                        )
                    });
                }
                Ok(_) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Each branch of the flags runs once: a filter that does not exist or a value
    // used the wrong way shows now, not when a customer's email is sent.
    let flags: Vec<&str> = id
        .kind
        .placeholders()
        .iter()
        .filter(|p| p.flag)
        .map(|p| p.name)
        .collect();
    let base = sample_vars(id.kind, id.lang, "https://guichet.example");
    let mut runs = vec![base.clone()];
    for f in &flags {
        runs.push(base.clone().flag(f, true));
    }
    for vars in runs {
        let ctx = vars.value();
        for (field, value, html) in parts(&cleaned) {
            if errors.iter().any(|e| e.field == field) {
                continue;
            }
            if let Err(e) = render_part(field, value, html, &ctx) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(cleaned)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: TemplateKind, lang: Lang) -> TemplateId {
        TemplateId::new(kind, lang)
    }

    fn default_of(kind: TemplateKind, lang: Lang) -> TemplateSource {
        TemplateSource::default_of(id(kind, lang))
    }

    #[test]
    fn every_built_in_template_is_valid_and_renders_its_example() {
        for t in TemplateId::all() {
            let source = TemplateSource::default_of(t);
            assert_eq!(validate(t, &source), Ok(source.clone()), "{t:?}");
            let r = render_sample(t, &source, "https://g.example").unwrap();
            assert!(!r.subject.is_empty() && !r.text.is_empty(), "{t:?}");
            assert!(r.html.starts_with("<!DOCTYPE html><html lang="), "{t:?}");
        }
    }

    #[test]
    fn a_placeholder_typo_is_refused_naming_the_unknown_placeholder() {
        let t = id(TemplateKind::PaymentLink, Lang::Fr);
        let mut form = TemplateSource::default_of(t);
        form.text = "Bonjour {{ custmer_name }}, payez ici : {{ pay_link }}".into();
        let errors = validate(t, &form).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "text");
        assert_eq!(errors[0].fr, "Variable inconnue : {{custmer_name}}");
        assert_eq!(errors[0].en, "Unknown placeholder: {{custmer_name}}");
        // Two at once, in the subject: both named.
        form.text = TemplateSource::default_of(t).text;
        form.subject = "{{ shop }} {{ total }}".into();
        let errors = validate(t, &form).unwrap_err();
        assert_eq!(errors[0].field, "subject");
        assert_eq!(errors[0].en, "Unknown placeholders: {{shop}}, {{total}}");
        // A placeholder of another kind is unknown here.
        form.subject = "{{ sign_in_link }}".into();
        assert_eq!(
            validate(t, &form).unwrap_err()[0].en,
            "Unknown placeholder: {{sign_in_link}}"
        );
    }

    #[test]
    fn broken_syntax_is_refused_with_the_engines_message_and_line() {
        let t = id(TemplateKind::Receipt, Lang::En);
        let mut form = TemplateSource::default_of(t);
        form.html = "<p>Hello</p>\n<p>{{ customer_name </p>".into();
        let errors = validate(t, &form).unwrap_err();
        assert_eq!(errors[0].field, "html");
        assert!(
            errors[0].en.starts_with("Syntax error on line 2: "),
            "{}",
            errors[0].en
        );
        assert!(errors[0].fr.starts_with("Erreur de syntaxe ligne 2 : "));
        form.html = "{% if authorization %}held".into();
        let errors = validate(t, &form).unwrap_err();
        assert!(errors[0].en.starts_with("Syntax error"), "{}", errors[0].en);
    }

    #[test]
    fn what_the_sandbox_does_not_offer_is_refused_on_save() {
        let t = id(TemplateKind::PaymentLink, Lang::En);
        let base = TemplateSource::default_of(t);
        for html in [
            "{{ customer_name|safe }}",
            "{{ amount|money }}",
            "{% include 'x' %}",
            "{% macro m() %}x{% endmacro %}",
            "{{ range(3) }}",
            "{{ customer_name.first }}",
            "{% for i in customer_name * 100 %}{% for j in customer_name * 100 %}{{ i }}{% endfor %}{% endfor %}",
        ] {
            let form = TemplateSource {
                html: html.into(),
                ..base.clone()
            };
            let errors = validate(t, &form).unwrap_err();
            assert_eq!(errors[0].field, "html", "{html}");
        }
        // A mistake in a branch the example does not take is found too.
        let t = id(TemplateKind::Receipt, Lang::En);
        let form = TemplateSource {
            text: "{% if authorization %}{{ amount|nope }}{% endif %}".into(),
            ..TemplateSource::default_of(t)
        };
        assert_eq!(validate(t, &form).unwrap_err()[0].field, "text");
    }

    #[test]
    fn empty_overlong_and_card_number_parts_are_refused_beside_their_field() {
        let t = id(TemplateKind::Welcome, Lang::Fr);
        let mut form = TemplateSource::default_of(t);
        form.subject = "  ".into();
        form.text = "x".repeat(MAX_TEXT + 1);
        form.html = "<p>4111 1111 1111 1111</p>".into();
        let errors = validate(t, &form).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["subject", "text", "html"]);
    }

    fn payment_vars(name: &str) -> Vars {
        Vars::new()
            .with_letterhead(&Letterhead::sample())
            .text("customer_name", name)
            .text("order_id", "A-1")
            .text("amount", "10.00 MAD")
            .text("description", "")
            .text(
                "pay_link",
                format!("https://g.example/payment/{SAMPLE_SECRET}"),
            )
            .text("expires_at", "tomorrow")
    }

    #[test]
    fn a_script_in_a_customer_name_is_escaped_in_html_and_literal_in_text() {
        let t = id(TemplateKind::PaymentLink, Lang::En);
        let name = "<script>alert(1)</script>";
        let r = render(t, &TemplateSource::default_of(t), &payment_vars(name), "").unwrap();
        assert!(
            r.text.contains("Hello <script>alert(1)</script>,"),
            "{}",
            r.text
        );
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(
            r.html
                .contains("Hello &lt;script&gt;alert(1)&lt;/script&gt;,"),
            "{}",
            r.html
        );
        // Links stay whole in the HTML (the outbox finds them to redact them).
        assert!(r.html.contains(&format!(
            "href=\"https://g.example/payment/{SAMPLE_SECRET}\""
        )));
        // Turning auto-escaping off in the template changes nothing.
        let sneaky = TemplateSource {
            html: "{% autoescape false %}{{ customer_name }}{% endautoescape %}".into(),
            ..TemplateSource::default_of(t)
        };
        let r = render(t, &sneaky, &payment_vars(name), "").unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        // The subject is one line, whatever a value holds.
        let r = render(
            t,
            &TemplateSource::default_of(t),
            &payment_vars("A\r\nBcc: x@y"),
            "",
        )
        .unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }

    #[test]
    fn french_and_english_templates_speak_their_language() {
        let fr = default_of(TemplateKind::PaymentLink, Lang::Fr);
        let en = default_of(TemplateKind::PaymentLink, Lang::En);
        let v = payment_vars("Karim");
        let rf = render(id(TemplateKind::PaymentLink, Lang::Fr), &fr, &v, "").unwrap();
        let re = render(id(TemplateKind::PaymentLink, Lang::En), &en, &v, "").unwrap();
        assert!(rf.text.starts_with("Bonjour Karim,") && rf.html.contains("Payer la commande"));
        assert!(re.text.starts_with("Hello Karim,") && re.html.contains("Pay the order"));
        assert!(rf.html.contains("<html lang=\"fr\"") && re.html.contains("<html lang=\"en\""));
        // The templates in force: the admin's version of one language only.
        let custom = StoredTemplate {
            subject: "Votre lien".into(),
            text: "Texte modifié pour {{ customer_name }}".into(),
            html: "<p>Modifié</p>".into(),
            updated_at: 0,
            updated_by: "admin".into(),
        };
        let templates = Templates::new([(id(TemplateKind::PaymentLink, Lang::Fr), custom)]);
        let (r, failed) =
            render_in_force(&templates, id(TemplateKind::PaymentLink, Lang::Fr), &v, "");
        assert!(failed.is_none());
        assert_eq!(r.text, "Texte modifié pour Karim");
        let (r, _) = render_in_force(&templates, id(TemplateKind::PaymentLink, Lang::En), &v, "");
        assert!(r.text.starts_with("Hello Karim,"));
    }

    #[test]
    fn the_merchants_footer_and_sender_name_are_applied() {
        let m = Merchant {
            name: "atlas".into(),
            company: "Atlas SARL".into(),
            ..Merchant::default()
        };
        let settings = MerchantSettings::default();
        let plain = Letterhead::of(&m, &settings, &EmailBranding::default());
        assert_eq!(plain.merchant_name, "Atlas SARL");
        assert_eq!(plain.logo_text, "Atlas SARL");
        let branding =
            EmailBranding::parse(" Boutique Atlas ", "Atlas SARL\r\n12 rue <b>Fès</b>").unwrap();
        let settings = MerchantSettings {
            logo_text: "ATLAS".into(),
            ..MerchantSettings::default()
        };
        let lh = Letterhead::of(&m, &settings, &branding);
        assert_eq!(lh.merchant_name, "Boutique Atlas");
        assert_eq!(lh.logo_text, "ATLAS");
        let t = id(TemplateKind::PaymentLink, Lang::Fr);
        let vars = payment_vars("Karim").with_letterhead(&lh);
        let r = render(t, &TemplateSource::default_of(t), &vars, &lh.footer).unwrap();
        assert!(r.subject.ends_with("– Boutique Atlas"), "{}", r.subject);
        assert!(
            r.text
                .ends_with("— Boutique Atlas\n\nAtlas SARL\n12 rue <b>Fès</b>\n"),
            "{}",
            r.text
        );
        assert!(
            r.html
                .contains("Atlas SARL<br>12 rue &lt;b&gt;Fès&lt;/b&gt;"),
            "{}",
            r.html
        );
        assert!(r.html.contains(">ATLAS</p>"), "{}", r.html);
        // Checked like other free text.
        assert!(EmailBranding::parse("a\nb", "").is_err());
        assert!(EmailBranding::parse(&"x".repeat(MAX_SENDER_NAME + 1), "").is_err());
    }

    #[test]
    fn a_broken_stored_template_falls_back_to_the_built_in_one() {
        let t = id(TemplateKind::Welcome, Lang::En);
        let broken = StoredTemplate {
            subject: "{{ nope }}".into(),
            text: String::new(),
            html: String::new(),
            updated_at: 0,
            updated_by: "admin".into(),
        };
        let templates = Templates::new([(t, broken)]);
        let vars = sample_vars(TemplateKind::Welcome, Lang::En, "https://g");
        let (r, failed) = render_in_force(&templates, t, &vars, "");
        assert!(failed.is_some());
        assert_eq!(r.subject, "Your Guichet sign-in details");
    }

    #[test]
    fn template_ids_read_and_write_their_slug_and_key() {
        for t in TemplateId::all() {
            assert_eq!(TemplateId::parse(&t.slug()), Some(t));
            assert_eq!(TemplateId::from_key(t.key()), Some(t));
        }
        assert_eq!(TemplateId::all().count(), 10);
        assert_eq!(
            TemplateId::parse("rebill-receipt-en"),
            Some(id(TemplateKind::RebillReceipt, Lang::En))
        );
        assert_eq!(TemplateId::parse("receipt-de"), None);
        assert_eq!(TemplateId::parse("nope-fr"), None);
        // Stored codes never move.
        let codes: Vec<u8> = TemplateKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4]);
    }
}
