//! The processing steps written to a transaction's Journal, rendered in the reader's
//! language (stored as data, never as text in one language).

use serde::{Deserialize, Serialize};

use super::Lang;
use super::chargeback::{ChargebackReason, dispute_date};
use super::codes::ResultCode;
use super::fraud::Fired;
use super::money::{Amount, Currency, format_amount};
use super::transaction::Operation;

/// A fraud or acceptance rule that stopped a payment (FRAUD-5).
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Rule {
    /// Too many refused attempts on one payment request.
    TooManyAttempts { limit: u32 } = 0,
    /// International card not enrolled in 3-D Secure (FRAUD-3).
    InternationalWithout3ds = 1,
    /// A scheme the gateway does not accept (American Express).
    BrandNotAccepted = 2,
    /// Too many attempts of any outcome (abandons, silent banks included) on one
    /// payment request (L9). Last, so older journals keep decoding.
    TooManyTotalAttempts { limit: u32 } = 3,
    /// A merchant's velocity limit (FRAUD-1): which key, which count, which window.
    Velocity(Fired) = 4,
    /// The card, email, IP or holder name is on the blacklist (FRAUD-4): which kind
    /// and which entry (never the listed value itself).
    Blacklisted {
        kind: super::blacklist::Kind,
        entry: u64,
    } = 5,
    /// The card's or the buyer's IP address country is refused by the merchant's
    /// location rules (FRAUD-2): which list, which country.
    Location(super::location::LocationFired) = 6,
}

impl Rule {
    pub fn text(self, lang: Lang) -> String {
        match (self, lang) {
            (Rule::TooManyAttempts { limit }, Lang::Fr) => {
                format!("trop de tentatives refusées ({limit}) sur cette demande de paiement")
            }
            (Rule::TooManyAttempts { limit }, Lang::En) => {
                format!("too many refused attempts ({limit}) on this payment request")
            }
            (Rule::InternationalWithout3ds, Lang::Fr) => {
                "carte internationale non enrôlée 3-D Secure".into()
            }
            (Rule::InternationalWithout3ds, Lang::En) => {
                "international card not enrolled in 3-D Secure".into()
            }
            (Rule::BrandNotAccepted, Lang::Fr) => "réseau de carte non accepté".into(),
            (Rule::BrandNotAccepted, Lang::En) => "card scheme not accepted".into(),
            (Rule::TooManyTotalAttempts { limit }, Lang::Fr) => {
                format!("trop de tentatives ({limit}) sur cette demande de paiement")
            }
            (Rule::TooManyTotalAttempts { limit }, Lang::En) => {
                format!("too many attempts ({limit}) on this payment request")
            }
            (Rule::Velocity(fired), lang) => fired.text(lang),
            (Rule::Location(fired), lang) => fired.text(lang),
            (Rule::Blacklisted { kind, entry }, Lang::Fr) => {
                format!("liste noire : {} (entrée n° {entry})", kind.noun(lang))
            }
            (Rule::Blacklisted { kind, entry }, Lang::En) => {
                format!("blacklist: {} (entry no. {entry})", kind.noun(lang))
            }
        }
    }
}

/// One step of the processing of a transaction.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Step {
    /// The payment page received the card for payment request `request`.
    CardReceived { request: u64 } = 0,
    /// The directory server's answer: enrolled (frictionless or challenge) or not.
    Enrolment { enrolled: bool, challenge: bool } = 1,
    /// The issuer's page asked the cardholder for a code.
    ChallengeShown = 2,
    /// The cardholder typed the code; right or wrong.
    ChallengeAnswered { passed: bool } = 3,
    /// The cardholder left before finishing.
    Abandoned = 4,
    /// A rule refused the payment before the acquirer was called.
    RefusedByRule(Rule) = 5,
    /// Sent to the acquirer.
    Sent {
        acquirer: String,
        operation: Operation,
    } = 6,
    /// The acquirer's answer.
    Answer = 7,
    /// An operation asked from the back office on this transaction.
    Requested {
        operation: Operation,
        user: String,
        amount: Amount,
        currency: Currency,
    } = 8,
    /// Written as transaction `id`.
    Linked { operation: Operation, id: u64 } = 9,
    /// The issuer disputed the payment on Julian day `day` (see `chargeback`) for
    /// `reason`; `user` recorded it. Last, so older journals keep decoding.
    Disputed {
        reason: ChargebackReason,
        day: i32,
        user: String,
    } = 10,
}

impl Step {
    pub fn text(&self, lang: Lang) -> String {
        let t = |fr: &str, en: &str| lang.pick(fr, en).to_string();
        match self {
            Step::CardReceived { request } => match lang {
                Lang::Fr => format!("Carte reçue par la page de paiement (demande n° {request})"),
                Lang::En => format!("Card received by the payment page (request no. {request})"),
            },
            Step::Enrolment {
                enrolled: false, ..
            } => t(
                "3-D Secure : carte non enrôlée",
                "3-D Secure: card not enrolled",
            ),
            Step::Enrolment {
                challenge: true, ..
            } => t(
                "3-D Secure : carte enrôlée, code demandé au porteur",
                "3-D Secure: card enrolled, code asked from the cardholder",
            ),
            Step::Enrolment { .. } => t(
                "3-D Secure : carte enrôlée, authentifiée sans saisie",
                "3-D Secure: card enrolled, authenticated without a challenge",
            ),
            Step::ChallengeShown => t(
                "Page de la banque émettrice affichée (saisie du code)",
                "Issuer page shown (code entry)",
            ),
            Step::ChallengeAnswered { passed: true } => {
                t("Code 3-D Secure correct", "3-D Secure code correct")
            }
            Step::ChallengeAnswered { passed: false } => {
                t("Code 3-D Secure erroné", "3-D Secure code wrong")
            }
            Step::Abandoned => t(
                "Paiement abandonné par le porteur",
                "Payment abandoned by the cardholder",
            ),
            Step::RefusedByRule(rule) => match lang {
                Lang::Fr => format!("Refusée par une règle : {}", rule.text(lang)),
                Lang::En => format!("Refused by a rule: {}", rule.text(lang)),
            },
            Step::Sent {
                acquirer,
                operation,
            } => match (lang, acquirer_words(acquirer, lang)) {
                (Lang::Fr, acquirer) => format!(
                    "Envoyée à l'acquéreur ({acquirer}) : {}",
                    operation.label(lang)
                ),
                (Lang::En, acquirer) => format!(
                    "Sent to the acquirer ({acquirer}): {}",
                    operation.label(lang)
                ),
            },
            Step::Answer => t("Réponse de l'acquéreur", "Acquirer's answer"),
            Step::Requested {
                operation,
                user,
                amount,
                currency,
            } => match lang {
                Lang::Fr => format!(
                    "{} de {} demandé par {user}",
                    operation.label(lang),
                    format_amount(*amount, *currency, lang)
                ),
                Lang::En => format!(
                    "{} of {} requested by {user}",
                    operation.label(lang),
                    format_amount(*amount, *currency, lang)
                ),
            },
            Step::Linked { operation, id } => match lang {
                Lang::Fr => format!("Enregistrée : {} n° {id}", operation.label(lang)),
                Lang::En => format!("Recorded: {} no. {id}", operation.label(lang)),
            },
            Step::Disputed { reason, day, user } => {
                let on = dispute_date(*day).map_or_else(|| day.to_string(), |d| d.to_string());
                match lang {
                    Lang::Fr => format!(
                        "Impayé (chargeback) notifié par la banque émettrice le {on}, motif : {} ; enregistré par {user}",
                        reason.label(lang)
                    ),
                    Lang::En => format!(
                        "Chargeback notified by the issuer on {on}, reason: {}; recorded by {user}",
                        reason.label(lang)
                    ),
                }
            }
        }
    }
}

/// An acquirer's stored name in words: the test-card simulator is a common noun
/// (« simulateur »); a bank's name is shown as it is.
fn acquirer_words(name: &str, lang: Lang) -> &str {
    match name {
        "simulator" => lang.pick("simulateur", "simulator"),
        other => other,
    }
}

/// A step with its time and, when it has one, the result code it ended with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub at: i64,
    pub step: Step,
    pub code: Option<ResultCode>,
}

impl JournalEntry {
    pub fn new(at: i64, step: Step) -> JournalEntry {
        JournalEntry {
            at,
            step,
            code: None,
        }
    }

    pub fn with_code(at: i64, step: Step, code: ResultCode) -> JournalEntry {
        JournalEntry {
            at,
            step,
            code: Some(code),
        }
    }
}
