//! Emails to customers (LINK-3, LINK-5): the payment link and the receipt, each with
//! a text and an HTML part in the request's language, queued in the outbox and sent
//! by the worker over SMTP.

pub mod ticket;
pub mod worker;

use maud::{DOCTYPE, Markup, html};

use crate::db::outbox::{Mail, MailKind, MailState};
use crate::domain::Lang;
use crate::domain::customer_ref::short_reference;
use crate::domain::money::format_amount;
use crate::domain::payment::PaymentRequest;
use crate::domain::time::format_datetime;
use crate::domain::transaction::{Operation, Transaction};
use crate::domain::user::{Merchant, User};
use crate::domain::zone::Zone;

fn merchant_name(m: Option<&Merchant>) -> String {
    m.map_or_else(|| "Guichet".into(), |m| m.display_name().to_string())
}

fn mail(
    req: &PaymentRequest,
    kind: MailKind,
    subject: String,
    text: String,
    html: Markup,
    now: i64,
) -> Mail {
    Mail {
        id: 0,
        created_at: now,
        kind,
        merchant_id: req.merchant_id,
        request_id: req.id,
        to: req.holder.email.clone(),
        subject,
        text,
        html: html.into_string(),
        state: MailState::Pending,
        next_at: now,
        attempts: Vec::new(),
    }
}

/// The look every email shares: a white card on a light grey page.
pub(crate) fn frame(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (title) } }
            body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2430" {
                div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:24px" {
                    (body)
                }
            }
        }
    }
}

/// The payment request email with its "Pay the order" link; its date in `zone`, the
/// appliance's (a customer has no profile).
pub fn payment_link(
    req: &PaymentRequest,
    merchant: Option<&Merchant>,
    base_url: &str,
    now: i64,
    zone: &Zone,
) -> Mail {
    let lang = req.lang;
    let shop = merchant_name(merchant);
    let amount = format_amount(req.amount, req.currency, lang);
    let link = req.link(base_url).unwrap_or_default();
    let until = format_datetime(req.expires_at, lang, zone);
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_string();
    let subject = match lang {
        Lang::Fr => format!("Demande de paiement – commande {} – {shop}", req.order_id),
        Lang::En => format!("Payment request – order {} – {shop}", req.order_id),
    };
    let hello = match lang {
        Lang::Fr => format!("Bonjour {},", req.holder.name),
        Lang::En => format!("Hello {},", req.holder.name),
    };
    let ask = match lang {
        Lang::Fr => format!(
            "{shop} vous demande de régler la commande n° {} d'un montant de {amount}.",
            req.order_id
        ),
        Lang::En => format!(
            "{shop} asks you to pay order no. {} for {amount}.",
            req.order_id
        ),
    };
    let valid = match lang {
        Lang::Fr => format!(
            "Ce lien est valable jusqu'au {until}. Vous payez sur une page sécurisée : vos données de carte ne sont jamais transmises au marchand."
        ),
        Lang::En => format!(
            "This link is valid until {until}. You pay on a secure page: your card details are never passed to the merchant."
        ),
    };
    let pay = t("Payer la commande", "Pay the order");
    let ignore = t(
        "Si vous n'attendiez pas ce message, ignorez-le : rien ne sera débité.",
        "If you did not expect this message, ignore it: nothing will be charged.",
    );
    let mut text = format!("{hello}\n\n{ask}\n");
    if !req.description.is_empty() {
        text.push_str(&format!("\n{}\n", req.description));
    }
    let colon = lang.pick(" : ", ": ");
    text.push_str(&format!(
        "\n{pay}{colon}{link}\n\n{valid}\n\n{ignore}\n\n— {shop}\n"
    ));
    let body = html! {
        p { (hello) }
        p { (ask) }
        @if !req.description.is_empty() { p style="color:#555" { (req.description) } }
        p style="margin:28px 0;text-align:center" {
            a href=(link) style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold" { (pay) }
        }
        p style="font-size:13px;color:#555" { (valid) }
        p style="font-size:13px;color:#555" { (t("Lien :", "Link:")) " " a href=(link) { (link) } }
        p style="font-size:13px;color:#555" { (ignore) }
        p { "— " (shop) }
    };
    mail(
        req,
        MailKind::PaymentLink,
        subject.clone(),
        text,
        frame(lang, &subject, body),
        now,
    )
}

/// The customer's receipt once a payment is accepted; its date in `zone`, the
/// appliance's.
pub fn receipt(
    req: &PaymentRequest,
    tx: &Transaction,
    merchant: Option<&Merchant>,
    now: i64,
    zone: &Zone,
) -> Mail {
    let lang = req.lang;
    let shop = merchant_name(merchant);
    let amount = format_amount(tx.amount, tx.currency, lang);
    let subject = match lang {
        Lang::Fr => format!("Paiement accepté – commande {} – {shop}", req.order_id),
        Lang::En => format!("Payment accepted – order {} – {shop}", req.order_id),
    };
    let hello = match lang {
        Lang::Fr => format!("Bonjour {},", req.holder.name),
        Lang::En => format!("Hello {},", req.holder.name),
    };
    let done = match (lang, tx.operation) {
        (Lang::Fr, Operation::Authorization) => format!(
            "Votre paiement de {amount} pour la commande n° {} chez {shop} est autorisé : le montant est réservé sur votre carte et sera débité à la validation de la commande.",
            req.order_id
        ),
        (Lang::En, Operation::Authorization) => format!(
            "Your payment of {amount} for order no. {} at {shop} is authorized: the amount is held on your card and will be charged when the order is confirmed.",
            req.order_id
        ),
        (Lang::Fr, _) => format!(
            "Votre paiement de {amount} pour la commande n° {} chez {shop} est accepté.",
            req.order_id
        ),
        (Lang::En, _) => format!(
            "Your payment of {amount} for order no. {} at {shop} is accepted.",
            req.order_id
        ),
    };
    let reference = short_reference(req.merchant_id, req.id, req.created_at);
    let (text, body) = receipt_body(
        (lang, zone),
        tx,
        [&req.order_id, &reference],
        &amount,
        &shop,
        &hello,
        &done,
    );
    mail(
        req,
        MailKind::Receipt,
        subject.clone(),
        text,
        frame(lang, &subject, body),
        now,
    )
}

/// The text and HTML of a receipt: greeting, what happened, the details of `tx`
/// (masked card only), and the keep-this note. Shared by payment and rebill receipts.
fn receipt_body(
    (lang, zone): (Lang, &Zone),
    tx: &Transaction,
    [order, reference]: [&str; 2],
    amount: &str,
    shop: &str,
    hello: &str,
    done: &str,
) -> (String, Markup) {
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_string();
    let card = tx.card.as_ref().map(|c| c.masked()).unwrap_or_default();
    let rows = [
        (t("Commande", "Order"), order.to_string()),
        (t("Montant", "Amount"), amount.to_string()),
        (t("Date", "Date"), format_datetime(tx.at, lang, zone)),
        (t("Carte", "Card"), card),
        (t("Référence", "Reference"), reference.to_string()),
        (t("Marchand", "Merchant"), shop.to_string()),
    ];
    let keep = t(
        "Gardez ce message comme justificatif.",
        "Keep this message as your receipt.",
    );
    let mut text = format!("{hello}\n\n{done}\n\n");
    for (k, v) in &rows {
        text.push_str(&format!("{k}{}{v}\n", lang.pick(" : ", ": ")));
    }
    text.push_str(&format!("\n{keep}\n\n— {shop}\n"));
    let body = html! {
        p { (hello) }
        p { (done) }
        table style="border-collapse:collapse;margin:16px 0" {
            @for (k, v) in &rows {
                tr { td style="padding:4px 16px 4px 0;color:#555" { (k) } td style="padding:4px 0;font-weight:bold" { (v) } }
            }
        }
        p style="font-size:13px;color:#555" { (keep) }
        p { "— " (shop) }
    };
    (text, body)
}

/// The receipt of a rebill on a stored card (M6), to the buyer of the original
/// transaction, in `lang`; its date in `zone`, the appliance's.
pub fn rebill_receipt(
    tx: &Transaction,
    merchant: Option<&Merchant>,
    (lang, zone): (Lang, &Zone),
    now: i64,
) -> Mail {
    let shop = merchant_name(merchant);
    let amount = format_amount(tx.amount, tx.currency, lang);
    let order = &tx.sale.order_id;
    let subject = match lang {
        Lang::Fr => format!("Nouveau débit de votre carte – commande {order} – {shop}"),
        Lang::En => format!("New charge on your card – order {order} – {shop}"),
    };
    let hello = match lang {
        Lang::Fr => format!("Bonjour {},", tx.buyer.name),
        Lang::En => format!("Hello {},", tx.buyer.name),
    };
    let done = match lang {
        Lang::Fr => format!(
            "{shop} a débité {amount} sur la carte que vous aviez utilisée pour la commande n° {order}. Si vous ne l'avez pas demandé, contactez {shop} ou votre banque."
        ),
        Lang::En => format!(
            "{shop} charged {amount} to the card you used for order no. {order}. If you did not ask for it, contact {shop} or your bank."
        ),
    };
    // A rebill has no request: its reference is derived from the row, never its number.
    let reference = short_reference(tx.merchant_id, tx.id, tx.at);
    let (text, body) = receipt_body(
        (lang, zone),
        tx,
        [order, &reference],
        &amount,
        &shop,
        &hello,
        &done,
    );
    Mail {
        id: 0,
        created_at: now,
        kind: MailKind::Receipt,
        merchant_id: tx.merchant_id,
        request_id: 0,
        to: tx.buyer.email.clone(),
        subject: subject.clone(),
        text,
        html: frame(lang, &subject, body).into_string(),
        state: MailState::Pending,
        next_at: now,
        attempts: Vec::new(),
    }
}

/// A new user's welcome email (issue 14): their username and a one-time sign-in link
/// to choose their password, valid 24 hours; never a password.
pub fn welcome(user: &User, link: &str, lang: Lang, now: i64) -> Mail {
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_string();
    let subject = t("Vos identifiants Guichet", "Your Guichet sign-in details");
    let hello = if user.full_name.is_empty() {
        t("Bonjour,", "Hello,")
    } else {
        match lang {
            Lang::Fr => format!("Bonjour {},", user.full_name),
            Lang::En => format!("Hello {},", user.full_name),
        }
    };
    let intro = t(
        "Un compte vient d'être créé pour vous sur le back-office Guichet.",
        "An account was just created for you on the Guichet back office.",
    );
    let name_label = t("Nom d'utilisateur", "Username");
    let colon = lang.pick(" : ", ": ");
    let choose = t("Choisir mon mot de passe", "Choose my password");
    let valid = t(
        "Ce lien sert une seule fois et expire dans 24 heures. S'il a expiré, demandez-en un nouveau à votre administrateur.",
        "This link works once and expires in 24 hours. If it has expired, ask your administrator for a new one.",
    );
    let ignore = t(
        "Si vous n'attendiez pas ce message, ignorez-le.",
        "If you did not expect this message, ignore it.",
    );
    let text = format!(
        "{hello}\n\n{intro}\n\n{name_label}{colon}{}\n\n{choose}{colon}{link}\n\n{valid}\n\n{ignore}\n\n— Guichet\n",
        user.username
    );
    let body = html! {
        p { (hello) }
        p { (intro) }
        p { (name_label) (colon) strong { (user.username) } }
        p style="margin:28px 0;text-align:center" {
            a href=(link) style="background:#1f5fbf;color:#fff;text-decoration:none;padding:12px 22px;border-radius:4px;font-weight:bold" { (choose) }
        }
        p style="font-size:13px;color:#555" { (valid) }
        p style="font-size:13px;color:#555" { (t("Lien :", "Link:")) " " a href=(link) { (link) } }
        p style="font-size:13px;color:#555" { (ignore) }
        p { "— Guichet" }
    };
    Mail {
        id: 0,
        created_at: now,
        kind: MailKind::Welcome,
        merchant_id: user.merchant_id().unwrap_or(0),
        request_id: 0,
        to: user.email.clone(),
        subject: subject.clone(),
        text,
        html: frame(lang, &subject, body).into_string(),
        state: MailState::Pending,
        next_at: now,
        attempts: Vec::new(),
    }
}
