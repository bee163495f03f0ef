//! The customer's pages (LINK-4): the payment request with its card form, the
//! simulated issuer's 3-D Secure page, the result, the pages of links that can no
//! longer be paid, and the test cards. In the request's language with a switch;
//! no JavaScript needed.

use maud::{DOCTYPE, Markup, html};

use crate::domain::Lang;
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::countries;
use crate::domain::list_row::brand_word;
use crate::domain::money::format_amount;
use crate::domain::payment::PaymentRequest;
use crate::domain::support_contacts::SupportContacts;
use crate::domain::time::format_long_date;
use crate::domain::transaction::Operation;
use crate::domain::user::FieldError;
use crate::fragments::View;
use crate::fragments::breakable;
use crate::fragments::form::{csrf, error_for};
use crate::fragments::kv::{kv, kv_markup};

/// What every customer page knows: the request view and what the handler read from
/// the configuration and the gateway.
pub struct PayView<'a> {
    pub view: View<'a>,
    pub lang: Lang,
    /// The merchant's name as its customers see it (its settings' display name).
    pub merchant: String,
    /// The top of the page: the merchant's logo text, else its name.
    pub header: String,
    /// The merchant's data-protection notice (law 09-08, CNDP), at the bottom of
    /// its pages; `None` on pages of no merchant.
    pub notice: Option<String>,
    /// The gateway's support contacts, on the refusal pages (may be empty).
    pub support: SupportContacts,
    /// Test mode: the simulator answers (a banner and the test-card link).
    pub test: bool,
    /// The site is served over HTTPS (the privacy notice says so).
    pub https: bool,
    /// Refused attempts after which a request is blocked.
    pub max_attempts: u32,
    /// The code that passes the simulator's 3-D Secure challenge (shown in test mode).
    pub challenge_code: &'a str,
}

/// One line of the test-card page.
pub struct TestCardLine {
    pub number: String,
    pub brand: Brand,
    pub country: &'static str,
    /// What happens with this card, in the page language.
    pub behaviour: String,
}

impl PayView<'_> {
    pub(crate) fn t<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(fr, en)
    }
}

/// The frame of a customer page: brand line, language links, test banner.
pub fn frame(c: &PayView, title: &str, body: Markup) -> Markup {
    let path = &c.view.path;
    html! {
        (DOCTYPE)
        html lang=(c.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · " (c.merchant) }
                link rel="stylesheet" href="/static/app.css";
                link rel="stylesheet" href="/static/pay.css";
            }
            body class="pay" {
                header class="pay-top" {
                    span class="pay-merchant" { (c.header) }
                    nav class="langs" aria-label=(c.t("Langue", "Language")) {
                        @for l in Lang::ALL {
                            a href={(path) "?lang=" (l.code())} lang=(l.code()) aria-current=[(l == c.lang).then_some("true")] { (l.native_name()) }
                        }
                    }
                }
                @if c.test {
                    aside class="flash info test-banner no-print" aria-label=(c.t("Mode test", "Test mode")) {
                        (c.t("Mode test : aucune somme réelle n'est débitée.", "Test mode: no real money is charged."))
                        @if *path != "/test-cards" {
                            " "
                            a href={"/test-cards?lang=" (c.lang.code())} target="_blank" rel="noopener" { (c.t("Voir les cartes de test", "See the test cards")) }
                        }
                    }
                }
                main class="pay" { (body) }
                footer class="pay-foot small muted no-print" {
                    @if let Some(n) = &c.notice {
                        @for line in n.lines().filter(|l| !l.trim().is_empty()) {
                            p class="privacy-notice" { (line) }
                        }
                    }
                    "Guichet"
                }
            }
        }
    }
}

/// The billing details the merchant typed: only the rows that hold something; nothing
/// at all when every row is empty. Merchant, order and amount are in the headline.
fn billing(c: &PayView, req: &PaymentRequest) -> Markup {
    let h = &req.holder;
    let city = [h.postcode.as_str(), h.city.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let country = countries::name(&h.country, c.lang).unwrap_or_default();
    let rows: Vec<(&str, Markup)> = [
        (c.t("Prénom et nom", "First and last name"), h.name.clone()),
        (c.t("Adresse", "Address"), h.address.clone()),
        (c.t("Code postal / Ville", "Zip code / City"), city),
        (c.t("Pays", "Country"), country.to_string()),
        (c.t("Téléphone", "Phone"), h.phone.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, html! { (v) }))
    .chain(
        (!h.email.trim().is_empty())
            .then(|| (c.t("Adresse électronique", "Email"), breakable(&h.email))),
    )
    .collect();
    html! {
        @if !rows.is_empty() {
            section class="card pay-billing" {
                h2 { (c.t("Détail de la facturation", "Billing details")) }
                (kv_markup(&rows))
            }
        }
    }
}

/// The headline: who is paid and how much, then the order and its description.
fn headline(c: &PayView, req: &PaymentRequest) -> Markup {
    html! {
        section class="pay-head" {
            h1 class="pay-title" { (c.t("DEMANDE DE PAIEMENT", "PAYMENT REQUEST")) }
            p class="pay-to" { (c.merchant) }
            p class="pay-amount" { (format_amount(req.amount, req.currency, c.lang)) }
            p class="pay-meta" {
                (c.t("Commande n° ", "Order no. ")) strong { (req.order_id) }
                @if !req.description.is_empty() { " · " (req.description) }
            }
            p class="pay-date small muted" { (format_long_date(c.view.today(), c.lang)) }
        }
    }
}

fn notice(c: &PayView) -> Markup {
    let https = c.https;
    html! {
        p class="small muted notice" {
            (c.t("Les données personnelles saisies sur cette page servent uniquement au traitement de votre paiement. Le numéro complet de votre carte et son cryptogramme ne sont jamais conservés ni transmis au marchand.",
                 "The personal data entered on this page is used only to process your payment. Your full card number and security code are never stored nor passed to the merchant."))
            @if https {
                " " (c.t("La connexion est chiffrée (HTTPS).", "The connection is encrypted (HTTPS)."))
            }
        }
    }
}

/// What the card form shows again after a refusal in place. Never the card number:
/// at most its last four digits, as a reminder of the card typed (L1).
#[derive(Default)]
pub struct CardValues {
    pub holder: String,
    /// Last four digits of a valid number typed before, or empty.
    pub number_last4: String,
    pub expiry: String,
}

/// The payment request page (LINK-4).
/// The state of the card form on the payment page.
pub struct CardFormView<'a> {
    /// The one-time key of this form (made by the handler).
    pub nonce: &'a str,
    pub values: &'a CardValues,
    pub errors: &'a [FieldError],
    pub attempts_left: u32,
    /// A 3-D Secure challenge already open for this request.
    pub pending_challenge: Option<&'a str>,
}

/// One required field of the card form, with its error in place.
fn card_field(
    c: &PayView,
    errors: &[FieldError],
    name: &'static str,
    label: &str,
    value: &str,
    autocomplete: &str,
    extra: Markup,
) -> Markup {
    let id = format!("f-{name}");
    let e = error_for(errors, name, c.lang);
    html! {
        div class="field" {
            label for=(id) class="req" { (label) }
            input id=(id) name=(name) value=(value) required autocomplete=(autocomplete)
                inputmode=[(name != "holder").then_some("numeric")]
                aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{id}-err"))];
            (extra)
            @if let Some(e) = e { small class="error" id={(id) "-err"} { (e) } }
        }
    }
}

/// The card form: holder, number, expiry, security code, and Pay now.
fn card_form(c: &PayView, req: &PaymentRequest, form: &CardFormView) -> Markup {
    let CardFormView {
        nonce,
        values,
        errors,
        attempts_left,
        ..
    } = *form;
    let action = format!("/payment/{}", req.token);
    // The name typed before, else the one the merchant gave (the customer may change it).
    let holder = if values.holder.is_empty() && errors.is_empty() {
        req.holder.name.as_str()
    } else {
        values.holder.as_str()
    };
    let pay = match c.lang {
        Lang::Fr => format!("Payer {}", format_amount(req.amount, req.currency, c.lang)),
        Lang::En => format!("Pay {}", format_amount(req.amount, req.currency, c.lang)),
    };
    html! {
        form class="card form pay-form" method="post" action=(action) autocomplete="on" novalidate {
            (csrf(&c.view))
            input type="hidden" name="attempt" value=(nonce);
            input type="hidden" name="lang" value=(c.lang.code());
            div class="pay-form-head" {
                h2 { (c.t("Votre carte", "Your card")) }
                (brand_marks(c))
            }
            (card_field(c, errors, "holder", c.t("Nom du porteur de la carte", "Name on card"), holder, "cc-name", html!{}))
            (card_field(c, errors, "number", c.t("Numéro de carte", "Card number"), "", "cc-number",
                html! {
                    @if !values.number_last4.is_empty() {
                        small class="hint" { (c.t("Carte se terminant par ", "Card ending in ")) (values.number_last4) (c.t(" : saisissez à nouveau son numéro.", ": type its number again.")) }
                    }
                    small class="hint" { (c.t("16 chiffres en général, sans espaces ou par groupes de 4.", "Usually 16 digits, with or without spaces.")) }
                }))
            div class="grid2" {
                (card_field(c, errors, "expiry", c.t("Expiration (MM/AA)", "Expiry (MM/YY)"), &values.expiry, "cc-exp", html!{}))
                (card_field(c, errors, "cvv", c.t("Cryptogramme", "Card security code"), "", "cc-csc", html! {
                    details class="hint" {
                        summary { (c.t("Voir un exemple", "See an example")) }
                        (card_back_example())
                        small { (c.t("Les 3 chiffres au dos de la carte, à droite de la signature.", "The 3 digits on the back of the card, right of the signature.")) }
                    }
                }))
            }
            div class="actions" {
                button class="primary pay-now" type="submit" { (pay) }
            }
            p class="small muted" {
                @if req.operation == Operation::Authorization {
                    (c.t("Le montant sera réservé sur votre carte, puis débité à la validation de la commande.", "The amount will be held on your card, then charged when the order is confirmed."))
                } @else {
                    (c.t("Le montant est débité immédiatement.", "You will be charged now."))
                }
                @if req.refused_attempts > 0 {
                    " " (attempts_text(c.lang, attempts_left))
                }
            }
        }
    }
}

pub fn payment_page(c: &PayView, req: &PaymentRequest, form: &CardFormView) -> Markup {
    let (errors, pending_challenge) = (form.errors, form.pending_challenge);
    let title = c.t("DEMANDE DE PAIEMENT", "PAYMENT REQUEST");
    let action = format!("/payment/{}", req.token);
    let body = html! {
        (headline(c, req))
        @if !errors.is_empty() {
            div class="flash err" role="alert" { (c.t("Vérifiez les champs signalés ci-dessous : rien n'a été débité.", "Check the fields marked below: nothing was charged.")) }
        }
        @if let Some(cid) = pending_challenge {
            div class="flash info" {
                (c.t("Un paiement de cette demande attend la vérification 3-D Secure dans une autre fenêtre.", "A payment of this request is waiting for 3-D Secure verification in another window."))
                " " a href={(action) "/3ds/" (cid) "?lang=" (c.lang.code())} { (c.t("Reprendre cette vérification", "Resume that verification")) }
            }
        }
        div class="pay-grid" {
            (card_form(c, req, form))
            (billing(c, req))
        }
        (notice(c))
    };
    frame(c, title, body)
}

pub(crate) fn attempts_text(lang: Lang, left: u32) -> String {
    let n = lang.count(
        u64::from(left),
        ("tentative", "tentatives"),
        ("attempt", "attempts"),
    );
    match lang {
        Lang::Fr => format!("Il vous reste {n}."),
        Lang::En => format!("You have {n} left."),
    }
}

/// The schemes the gateway accepts, as small inline marks (no external image).
fn brand_marks(c: &PayView) -> Markup {
    html! {
        span class="brand-marks" role="img" aria-label=(c.t("Cartes acceptées : Visa, Mastercard", "Cards accepted: Visa, Mastercard")) {
            svg class="brand-mark" viewBox="0 0 40 26" width="40" height="26" aria-hidden="true" {
                rect x="0.5" y="0.5" width="39" height="25" rx="4" fill="#fff" stroke="#c9ced6" {}
                text x="20" y="17.5" text-anchor="middle" font-family="Arial, sans-serif" font-size="11" font-weight="700" font-style="italic" fill="#1a1f71" { "VISA" }
            }
            svg class="brand-mark" viewBox="0 0 40 26" width="40" height="26" aria-hidden="true" {
                rect x="0.5" y="0.5" width="39" height="25" rx="4" fill="#fff" stroke="#c9ced6" {}
                circle cx="16" cy="13" r="7.5" fill="#eb001b" {}
                circle cx="24" cy="13" r="7.5" fill="#f79e1b" fill-opacity="0.9" {}
            }
        }
    }
}

/// The back of a card with its security code circled (an inline drawing).
fn card_back_example() -> Markup {
    html! {
        svg class="card-back" viewBox="0 0 200 120" width="200" height="120" role="img" aria-label="CVV" {
            rect x="1" y="1" width="198" height="118" rx="10" fill="#e9edf2" stroke="#9aa4b1" {}
            rect x="1" y="18" width="198" height="22" fill="#3b4350" {}
            rect x="14" y="54" width="120" height="20" fill="#fff" stroke="#9aa4b1" {}
            text x="150" y="69" font-size="14" font-family="monospace" fill="#b3261e" { "123" }
            ellipse cx="163" cy="64" rx="24" ry="14" fill="none" stroke="#b3261e" stroke-width="2" {}
        }
    }
}

/// The simulated issuer's page (3-D Secure challenge).
pub fn challenge_page(
    c: &PayView,
    req: &PaymentRequest,
    challenge_id: &str,
    masked: &str,
    brand: Brand,
    error: bool,
) -> Markup {
    let title = c.t("Vérification 3-D Secure", "3-D Secure verification");
    let scheme = match brand {
        Brand::Mastercard => "Mastercard Identity Check",
        Brand::Visa => "Visa Secure",
        _ => "3-D Secure",
    };
    let action = format!("/payment/{}/3ds/{challenge_id}", req.token);
    let body = html! {
        section class="card issuer" {
            p class="small muted" { (c.t("Page de votre banque (simulée)", "Your bank's page (simulated)")) " · " (scheme) }
            h1 { (title) }
            (kv(&[
                (c.t("Marchand", "Merchant"), c.merchant.clone()),
                (c.t("Montant", "Amount"), format_amount(req.amount, req.currency, c.lang)),
                (c.t("Commande n°", "Order no."), req.order_id.clone()),
                (c.t("Carte", "Card"), short_card(brand, masked)),
            ]))
            form class="form" method="post" action=(action) {
                (csrf(&c.view))
                input type="hidden" name="lang" value=(c.lang.code());
                div class="field" {
                    label for="f-code" class="req" { (c.t("Code reçu par SMS", "Code received by text message")) }
                    input id="f-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required;
                    @if c.test {
                        small class="hint" { (c.t("Mode test : le code est", "Test mode: the code is")) " " code { (c.challenge_code) } }
                    }
                    @if error { small class="error" { (c.t("Saisissez le code reçu.", "Enter the code you received.")) } }
                }
                div class="actions" {
                    button class="primary" type="submit" { (c.t("Valider", "Confirm")) }
                }
            }
            form class="inline abandon" method="post" action={"/payment/" (req.token) "/abandon"} {
                (csrf(&c.view))
                input type="hidden" name="lang" value=(c.lang.code());
                input type="hidden" name="challenge" value=(challenge_id);
                button class="link" type="submit" { (c.t("Abandonner ce paiement", "Give up this payment")) }
            }
        }
    };
    frame(c, title, body)
}

/// "Visa •••• 4444" from a masked number ("411111XXXXXX1111"): the short form every
/// page uses (see [`card_short`](crate::domain::list_row::card_short)).
fn short_card(brand: Brand, masked: &str) -> String {
    let digits: Vec<char> = masked.chars().filter(char::is_ascii_digit).collect();
    let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    match brand {
        Brand::Unknown => format!("•••• {last4}"),
        b => format!("{} •••• {last4}", brand_word(b)),
    }
}

/// Another window is at the 3-D Secure step of this request.
pub fn in_progress_page(c: &PayView, req: &PaymentRequest, challenge_id: &str) -> Markup {
    let title = c.t("Paiement en cours", "Payment in progress");
    let body = html! {
        section class="card" {
            h1 { (title) }
            p { (c.t("Un paiement de cette demande attend déjà la vérification 3-D Secure. Un seul paiement sera fait.", "A payment of this request is already waiting for 3-D Secure verification. Only one payment will be made.")) }
            p { a class="button primary" href={"/payment/" (req.token) "/3ds/" (challenge_id) "?lang=" (c.lang.code())} { (c.t("Reprendre la vérification", "Resume the verification")) } }
            form class="inline" method="post" action={"/payment/" (req.token) "/abandon"} {
                (csrf(&c.view))
                input type="hidden" name="lang" value=(c.lang.code());
                input type="hidden" name="challenge" value=(challenge_id);
                button class="link" type="submit" { (c.t("Abandonner ce paiement et recommencer", "Give up that payment and start again")) }
            }
        }
    };
    frame(c, title, body)
}

/// The simulator's test cards (SIM-1), reachable from the payment page in test mode.
pub fn test_cards_page(c: &PayView, cards: &[TestCardLine]) -> Markup {
    let title = c.t("Cartes de test", "Test cards");
    let limit = c.max_attempts;
    let body = html! {
        section class="card" {
            h1 { (title) }
            p { (c.t("Le simulateur d'acquéreur répond selon le numéro de carte. Toute date d'expiration future et tout cryptogramme de 3 chiffres conviennent.",
                     "The acquirer simulator answers according to the card number. Any future expiry date and any 3-digit security code will do.")) }
            @let (h_number, h_scheme, h_country, h_outcome) = (c.t("Numéro", "Number"), c.t("Réseau", "Scheme"), c.t("Pays émetteur", "Issuer country"), c.t("Résultat", "Outcome"));
            div class="table-wrap stack-wrap" { table class="grid stack test-cards" {
                thead { tr { th { (h_number) } th { (h_scheme) } th { (h_country) } th { (h_outcome) } } }
                tbody {
                    @for card in cards {
                        tr {
                            td class="lead nowrap" { code { (card.number) } }
                            td data-label=(h_scheme) { (brand_word(card.brand)) }
                            td data-label=(h_country) { (countries::name(card.country, c.lang).unwrap_or(card.country)) }
                            td data-label=(h_outcome) { (card.behaviour) }
                        }
                    }
                    tr {
                        td class="lead" { (c.t("tout numéro qui échoue au contrôle de Luhn", "any number failing the Luhn check")) }
                        td class="empty-cell" {}
                        td class="empty-cell" {}
                        td data-label=(h_outcome) { (ResultCode::INVALID_CARD) " " (ResultCode::INVALID_CARD.text(c.lang)) " — " (c.t("la page le signale avant tout envoi", "the page points it out before sending anything")) }
                    }
                    tr {
                        td class="lead" { (c.t("tout autre numéro valide", "any other valid number")) }
                        td data-label=(h_scheme) { "Visa / Mastercard" }
                        td data-label=(h_country) { (countries::name("MA", c.lang).unwrap_or("MA")) }
                        td data-label=(h_outcome) { "000 " (ResultCode::ACCEPTED.text(c.lang)) }
                    }
                }
            } }
            h2 { (c.t("Autres codes", "Other codes")) }
            ul {
                li { code { "585" } " — " (ResultCode::TOO_MANY_ATTEMPTS.text(c.lang)) ". " (match c.lang {
                    Lang::Fr => format!("Après {limit} tentatives refusées sur une même demande, elle est bloquée et la tentative suivante reçoit 585."),
                    Lang::En => format!("After {limit} refused attempts on one request, it is blocked and the next attempt gets 585."),
                }) }
                li { code { "098" } " — " (ResultCode::ABANDONED.text(c.lang)) ". " (c.t("Le code 3-D Secure n'a pas été saisi dans les 10 minutes, ou le porteur a abandonné.", "The 3-D Secure code was not entered within 10 minutes, or the cardholder gave up.")) }
            }
        }
    };
    frame(c, title, body)
}
