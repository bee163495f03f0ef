//! The built-in email templates (see `email_template`): what every email says until
//! an admin writes their own version, and what "reset to default" brings back.
//! Jinja syntax; blocks eat the line they stand on (`trim_blocks`, `lstrip_blocks`).

use super::Lang;
use super::email_template::TemplateKind;

/// The (subject, text, HTML body) of `kind` in `lang`.
pub fn source(kind: TemplateKind, lang: Lang) -> (&'static str, &'static str, &'static str) {
    match (kind, lang) {
        (TemplateKind::PaymentLink, Lang::Fr) => (
            "Demande de paiement – commande {{ order_id }} – {{ merchant_name }}",
            PAYMENT_LINK_TEXT_FR,
            PAYMENT_LINK_HTML_FR,
        ),
        (TemplateKind::PaymentLink, Lang::En) => (
            "Payment request – order {{ order_id }} – {{ merchant_name }}",
            PAYMENT_LINK_TEXT_EN,
            PAYMENT_LINK_HTML_EN,
        ),
        (TemplateKind::Receipt, Lang::Fr) => (
            "Paiement accepté – commande {{ order_id }} – {{ merchant_name }}",
            RECEIPT_TEXT_FR,
            RECEIPT_HTML_FR,
        ),
        (TemplateKind::Receipt, Lang::En) => (
            "Payment accepted – order {{ order_id }} – {{ merchant_name }}",
            RECEIPT_TEXT_EN,
            RECEIPT_HTML_EN,
        ),
        (TemplateKind::RebillReceipt, Lang::Fr) => (
            "Nouveau débit de votre carte – commande {{ order_id }} – {{ merchant_name }}",
            REBILL_TEXT_FR,
            REBILL_HTML_FR,
        ),
        (TemplateKind::RebillReceipt, Lang::En) => (
            "New charge on your card – order {{ order_id }} – {{ merchant_name }}",
            REBILL_TEXT_EN,
            REBILL_HTML_EN,
        ),
        (TemplateKind::Welcome, Lang::Fr) => {
            ("Vos identifiants Guichet", WELCOME_TEXT_FR, WELCOME_HTML_FR)
        }
        (TemplateKind::Welcome, Lang::En) => (
            "Your Guichet sign-in details",
            WELCOME_TEXT_EN,
            WELCOME_HTML_EN,
        ),
        (TemplateKind::Ticket, Lang::Fr) => (
            "[Ticket n° {{ ticket_number }}] {{ ticket_subject }}",
            TICKET_TEXT_FR,
            TICKET_HTML_FR,
        ),
        (TemplateKind::Ticket, Lang::En) => (
            "[Ticket no. {{ ticket_number }}] {{ ticket_subject }}",
            TICKET_TEXT_EN,
            TICKET_HTML_EN,
        ),
    }
}

const PAYMENT_LINK_TEXT_FR: &str = "Bonjour {{ customer_name }},

{{ merchant_name }} vous demande de régler la commande n° {{ order_id }} d'un montant de {{ amount }}.
{% if description %}

{{ description }}
{% endif %}

Payer la commande : {{ pay_link }}

Ce lien est valable jusqu'au {{ expires_at }}. Vous payez sur une page sécurisée : vos données de carte ne sont jamais transmises au marchand.

Si vous n'attendiez pas ce message, ignorez-le : rien ne sera débité.

— {{ merchant_name }}
";

const PAYMENT_LINK_TEXT_EN: &str = "Hello {{ customer_name }},

{{ merchant_name }} asks you to pay order no. {{ order_id }} for {{ amount }}.
{% if description %}

{{ description }}
{% endif %}

Pay the order: {{ pay_link }}

This link is valid until {{ expires_at }}. You pay on a secure page: your card details are never passed to the merchant.

If you did not expect this message, ignore it: nothing will be charged.

— {{ merchant_name }}
";

const PAYMENT_LINK_HTML_FR: &str = r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Bonjour {{ customer_name }},</p>
<p>{{ merchant_name }} vous demande de régler la commande n° {{ order_id }} d'un montant de {{ amount }}.</p>
{% if description %}
<p style="color:#555">{{ description }}</p>
{% endif %}
<p style="margin:28px 0;text-align:center">
  <a href="{{ pay_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Payer la commande</a>
</p>
<p style="font-size:13px;color:#555">Ce lien est valable jusqu'au {{ expires_at }}. Vous payez sur une page sécurisée : vos données de carte ne sont jamais transmises au marchand.</p>
<p style="font-size:13px;color:#555">Lien : <a href="{{ pay_link }}">{{ pay_link }}</a></p>
<p style="font-size:13px;color:#555">Si vous n'attendiez pas ce message, ignorez-le : rien ne sera débité.</p>
<p>— {{ merchant_name }}</p>
"#;

const PAYMENT_LINK_HTML_EN: &str = r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Hello {{ customer_name }},</p>
<p>{{ merchant_name }} asks you to pay order no. {{ order_id }} for {{ amount }}.</p>
{% if description %}
<p style="color:#555">{{ description }}</p>
{% endif %}
<p style="margin:28px 0;text-align:center">
  <a href="{{ pay_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Pay the order</a>
</p>
<p style="font-size:13px;color:#555">This link is valid until {{ expires_at }}. You pay on a secure page: your card details are never passed to the merchant.</p>
<p style="font-size:13px;color:#555">Link: <a href="{{ pay_link }}">{{ pay_link }}</a></p>
<p style="font-size:13px;color:#555">If you did not expect this message, ignore it: nothing will be charged.</p>
<p>— {{ merchant_name }}</p>
"#;

const RECEIPT_TEXT_FR: &str = "Bonjour {{ customer_name }},

{% if authorization %}
Votre paiement de {{ amount }} pour la commande n° {{ order_id }} chez {{ merchant_name }} est autorisé : le montant est réservé sur votre carte et sera débité à la validation de la commande.
{% else %}
Votre paiement de {{ amount }} pour la commande n° {{ order_id }} chez {{ merchant_name }} est accepté.
{% endif %}

Commande : {{ order_id }}
Montant : {{ amount }}
Date : {{ date }}
Carte : {{ card }}
Référence : {{ reference }}
Marchand : {{ merchant_name }}

Gardez ce message comme justificatif.

— {{ merchant_name }}
";

const RECEIPT_TEXT_EN: &str = "Hello {{ customer_name }},

{% if authorization %}
Your payment of {{ amount }} for order no. {{ order_id }} at {{ merchant_name }} is authorized: the amount is held on your card and will be charged when the order is confirmed.
{% else %}
Your payment of {{ amount }} for order no. {{ order_id }} at {{ merchant_name }} is accepted.
{% endif %}

Order: {{ order_id }}
Amount: {{ amount }}
Date: {{ date }}
Card: {{ card }}
Reference: {{ reference }}
Merchant: {{ merchant_name }}

Keep this message as your receipt.

— {{ merchant_name }}
";

/// The details table of the receipts (French labels), shared by both receipts.
macro_rules! details_fr {
    () => {
        r#"<table style="border-collapse:collapse;margin:16px 0">
  <tr><td style="padding:4px 16px 4px 0;color:#555">Commande</td><td style="padding:4px 0;font-weight:bold">{{ order_id }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Montant</td><td style="padding:4px 0;font-weight:bold">{{ amount }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Date</td><td style="padding:4px 0;font-weight:bold">{{ date }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Carte</td><td style="padding:4px 0;font-weight:bold">{{ card }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Référence</td><td style="padding:4px 0;font-weight:bold">{{ reference }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Marchand</td><td style="padding:4px 0;font-weight:bold">{{ merchant_name }}</td></tr>
</table>
<p style="font-size:13px;color:#555">Gardez ce message comme justificatif.</p>
<p>— {{ merchant_name }}</p>
"#
    };
}

macro_rules! details_en {
    () => {
        r#"<table style="border-collapse:collapse;margin:16px 0">
  <tr><td style="padding:4px 16px 4px 0;color:#555">Order</td><td style="padding:4px 0;font-weight:bold">{{ order_id }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Amount</td><td style="padding:4px 0;font-weight:bold">{{ amount }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Date</td><td style="padding:4px 0;font-weight:bold">{{ date }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Card</td><td style="padding:4px 0;font-weight:bold">{{ card }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Reference</td><td style="padding:4px 0;font-weight:bold">{{ reference }}</td></tr>
  <tr><td style="padding:4px 16px 4px 0;color:#555">Merchant</td><td style="padding:4px 0;font-weight:bold">{{ merchant_name }}</td></tr>
</table>
<p style="font-size:13px;color:#555">Keep this message as your receipt.</p>
<p>— {{ merchant_name }}</p>
"#
    };
}

const RECEIPT_HTML_FR: &str = concat!(
    r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Bonjour {{ customer_name }},</p>
{% if authorization %}
<p>Votre paiement de {{ amount }} pour la commande n° {{ order_id }} chez {{ merchant_name }} est autorisé : le montant est réservé sur votre carte et sera débité à la validation de la commande.</p>
{% else %}
<p>Votre paiement de {{ amount }} pour la commande n° {{ order_id }} chez {{ merchant_name }} est accepté.</p>
{% endif %}
"#,
    details_fr!()
);

const RECEIPT_HTML_EN: &str = concat!(
    r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Hello {{ customer_name }},</p>
{% if authorization %}
<p>Your payment of {{ amount }} for order no. {{ order_id }} at {{ merchant_name }} is authorized: the amount is held on your card and will be charged when the order is confirmed.</p>
{% else %}
<p>Your payment of {{ amount }} for order no. {{ order_id }} at {{ merchant_name }} is accepted.</p>
{% endif %}
"#,
    details_en!()
);

const REBILL_TEXT_FR: &str = "Bonjour {{ customer_name }},

{{ merchant_name }} a débité {{ amount }} sur la carte que vous aviez utilisée pour la commande n° {{ order_id }}. Si vous ne l'avez pas demandé, contactez {{ merchant_name }} ou votre banque.

Commande : {{ order_id }}
Montant : {{ amount }}
Date : {{ date }}
Carte : {{ card }}
Référence : {{ reference }}
Marchand : {{ merchant_name }}

Gardez ce message comme justificatif.

— {{ merchant_name }}
";

const REBILL_TEXT_EN: &str = "Hello {{ customer_name }},

{{ merchant_name }} charged {{ amount }} to the card you used for order no. {{ order_id }}. If you did not ask for it, contact {{ merchant_name }} or your bank.

Order: {{ order_id }}
Amount: {{ amount }}
Date: {{ date }}
Card: {{ card }}
Reference: {{ reference }}
Merchant: {{ merchant_name }}

Keep this message as your receipt.

— {{ merchant_name }}
";

const REBILL_HTML_FR: &str = concat!(
    r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Bonjour {{ customer_name }},</p>
<p>{{ merchant_name }} a débité {{ amount }} sur la carte que vous aviez utilisée pour la commande n° {{ order_id }}. Si vous ne l'avez pas demandé, contactez {{ merchant_name }} ou votre banque.</p>
"#,
    details_fr!()
);

const REBILL_HTML_EN: &str = concat!(
    r#"<p style="margin:0 0 20px;font-size:20px;font-weight:bold">{{ logo_text }}</p>
<p>Hello {{ customer_name }},</p>
<p>{{ merchant_name }} charged {{ amount }} to the card you used for order no. {{ order_id }}. If you did not ask for it, contact {{ merchant_name }} or your bank.</p>
"#,
    details_en!()
);

const WELCOME_TEXT_FR: &str = "Bonjour{% if user_name %} {{ user_name }}{% endif %},

{% if new_account %}Un compte vient d'être créé pour vous sur le back-office Guichet.{% else %}Voici, à la demande de votre gestionnaire, un nouveau lien pour choisir votre mot de passe du back-office Guichet.{% endif %}

Nom d'utilisateur : {{ username }}

Choisir mon mot de passe : {{ sign_in_link }}

Ce lien sert une seule fois et expire dans 24 heures. S'il a expiré, demandez-en un nouveau à votre administrateur.

Si vous n'attendiez pas ce message, ignorez-le.

— Guichet
";

const WELCOME_TEXT_EN: &str = "Hello{% if user_name %} {{ user_name }}{% endif %},

{% if new_account %}An account was just created for you on the Guichet back office.{% else %}At your manager's request, here is a new link to choose your password for the Guichet back office.{% endif %}

Username: {{ username }}

Choose my password: {{ sign_in_link }}

This link works once and expires in 24 hours. If it has expired, ask your administrator for a new one.

If you did not expect this message, ignore it.

— Guichet
";

const WELCOME_HTML_FR: &str = r#"<p>Bonjour{% if user_name %} {{ user_name }}{% endif %},</p>
<p>{% if new_account %}Un compte vient d'être créé pour vous sur le back-office Guichet.{% else %}Voici, à la demande de votre gestionnaire, un nouveau lien pour choisir votre mot de passe du back-office Guichet.{% endif %}</p>
<p>Nom d'utilisateur : <strong>{{ username }}</strong></p>
<p style="margin:28px 0;text-align:center">
  <a href="{{ sign_in_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Choisir mon mot de passe</a>
</p>
<p style="font-size:13px;color:#555">Ce lien sert une seule fois et expire dans 24 heures. S'il a expiré, demandez-en un nouveau à votre administrateur.</p>
<p style="font-size:13px;color:#555">Lien : <a href="{{ sign_in_link }}">{{ sign_in_link }}</a></p>
<p style="font-size:13px;color:#555">Si vous n'attendiez pas ce message, ignorez-le.</p>
<p>— Guichet</p>
"#;

const WELCOME_HTML_EN: &str = r#"<p>Hello{% if user_name %} {{ user_name }}{% endif %},</p>
<p>{% if new_account %}An account was just created for you on the Guichet back office.{% else %}At your manager's request, here is a new link to choose your password for the Guichet back office.{% endif %}</p>
<p>Username: <strong>{{ username }}</strong></p>
<p style="margin:28px 0;text-align:center">
  <a href="{{ sign_in_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Choose my password</a>
</p>
<p style="font-size:13px;color:#555">This link works once and expires in 24 hours. If it has expired, ask your administrator for a new one.</p>
<p style="font-size:13px;color:#555">Link: <a href="{{ sign_in_link }}">{{ sign_in_link }}</a></p>
<p style="font-size:13px;color:#555">If you did not expect this message, ignore it.</p>
<p>— Guichet</p>
"#;

const TICKET_TEXT_FR: &str = "Bonjour {{ recipient_name }},

{{ author }} a écrit sur le ticket n° {{ ticket_number }} « {{ ticket_subject }} » :
{% if message %}

{{ message }}
{% endif %}

État du ticket : {{ state }}

Ouvrir le ticket : {{ ticket_link }}

Répondez depuis le back-office Guichet (pas en répondant à cet email).

— Guichet
";

const TICKET_TEXT_EN: &str = "Hello {{ recipient_name }},

{{ author }} wrote on ticket no. {{ ticket_number }} \"{{ ticket_subject }}\":
{% if message %}

{{ message }}
{% endif %}

Ticket state: {{ state }}

Open the ticket: {{ ticket_link }}

Answer from the Guichet back office (not by replying to this email).

— Guichet
";

const TICKET_HTML_FR: &str = r#"<p>Bonjour {{ recipient_name }},</p>
<p>{{ author }} a écrit sur le ticket n° {{ ticket_number }} « {{ ticket_subject }} » :</p>
{% if message %}
<blockquote style="margin:16px 0;padding:8px 14px;border-left:3px solid #0b5a6e;background:#f4f5f7;white-space:pre-wrap">{{ message }}</blockquote>
{% endif %}
<p>État du ticket : <strong>{{ state }}</strong></p>
<p style="margin:28px 0;text-align:center">
  <a href="{{ ticket_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Ouvrir le ticket</a>
</p>
<p style="font-size:13px;color:#555">Répondez depuis le back-office Guichet (pas en répondant à cet email).</p>
<p style="font-size:13px;color:#555">Lien : <a href="{{ ticket_link }}">{{ ticket_link }}</a></p>
<p>— Guichet</p>
"#;

const TICKET_HTML_EN: &str = r#"<p>Hello {{ recipient_name }},</p>
<p>{{ author }} wrote on ticket no. {{ ticket_number }} "{{ ticket_subject }}":</p>
{% if message %}
<blockquote style="margin:16px 0;padding:8px 14px;border-left:3px solid #0b5a6e;background:#f4f5f7;white-space:pre-wrap">{{ message }}</blockquote>
{% endif %}
<p>Ticket state: <strong>{{ state }}</strong></p>
<p style="margin:28px 0;text-align:center">
  <a href="{{ ticket_link }}" style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold">Open the ticket</a>
</p>
<p style="font-size:13px;color:#555">Answer from the Guichet back office (not by replying to this email).</p>
<p style="font-size:13px;color:#555">Link: <a href="{{ ticket_link }}">{{ ticket_link }}</a></p>
<p>— Guichet</p>
"#;
