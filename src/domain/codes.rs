//! Result codes (CODE-1): `000` accepts, every other code explains a refusal.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Lang;

/// A three-digit result code as answered for a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResultCode(u16);

impl ResultCode {
    pub const ACCEPTED: ResultCode = ResultCode(0);
    pub const INVALID_CARD: ResultCode = ResultCode(4);
    pub const ISSUER_REFUSED: ResultCode = ResultCode(5);
    pub const ACQUIRER_REFUSED: ResultCode = ResultCode(12);
    pub const INSUFFICIENT_FUNDS: ResultCode = ResultCode(51);
    pub const WRONG_CVV: ResultCode = ResultCode(55);
    pub const ABANDONED: ResultCode = ResultCode(98);
    pub const TOO_MANY_ATTEMPTS: ResultCode = ResultCode(585);
    /// The card's or the buyer's IP address country is refused by the merchant's
    /// location rules (FRAUD-2).
    pub const COUNTRY_REFUSED: ResultCode = ResultCode(586);
    pub const THREE_DS_FAILED: ResultCode = ResultCode(656);
    pub const INTERNAL_REFUSAL: ResultCode = ResultCode(906);
    pub const ACQUIRER_DOWN: ResultCode = ResultCode(910);
    pub const UNKNOWN_ERROR: ResultCode = ResultCode(999);

    /// Every code the gateway answers, in numeric order.
    pub const ALL: [ResultCode; 13] = [
        ResultCode::ACCEPTED,
        ResultCode::INVALID_CARD,
        ResultCode::ISSUER_REFUSED,
        ResultCode::ACQUIRER_REFUSED,
        ResultCode::INSUFFICIENT_FUNDS,
        ResultCode::WRONG_CVV,
        ResultCode::ABANDONED,
        ResultCode::TOO_MANY_ATTEMPTS,
        ResultCode::COUNTRY_REFUSED,
        ResultCode::THREE_DS_FAILED,
        ResultCode::INTERNAL_REFUSAL,
        ResultCode::ACQUIRER_DOWN,
        ResultCode::UNKNOWN_ERROR,
    ];

    /// The numeric value.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// A known code from its number.
    pub fn from_value(v: u16) -> Option<ResultCode> {
        ResultCode::ALL.into_iter().find(|c| c.0 == v)
    }

    /// Parses `051`, `51` or ` 051 `; only known codes.
    pub fn parse(s: &str) -> Option<ResultCode> {
        let s = s.trim();
        if s.is_empty() || s.len() > 3 || !s.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().and_then(ResultCode::from_value)
    }

    pub fn is_accepted(self) -> bool {
        self == ResultCode::ACCEPTED
    }

    /// The meaning of the code for merchant staff.
    pub fn text(self, lang: Lang) -> &'static str {
        let (fr, en) = match self.0 {
            0 => (
                "Transaction terminée avec succès",
                "Transaction successfully completed",
            ),
            4 => (
                "Numéro de carte invalide (contrôle Luhn ou du réseau)",
                "Invalid card number (Luhn or card scheme check)",
            ),
            5 => (
                "La banque émettrice refuse la transaction",
                "The issuing bank refuses the transaction",
            ),
            12 => ("Refusée par l'acquéreur", "Refused by the acquirer"),
            51 => ("Fonds insuffisants", "Insufficient funds"),
            55 => ("Cryptogramme (CVV) incorrect", "Wrong security code (CVV)"),
            98 => (
                "Paiement abandonné : le porteur n'a pas terminé dans le délai",
                "Payment abandoned: the cardholder did not finish in time",
            ),
            585 => (
                "Trop de tentatives : bloquée par une règle anti-fraude",
                "Too many attempts: blocked by a fraud rule",
            ),
            586 => (
                "Pays refusé : carte ou adresse IP d'un pays que le marchand n'accepte pas",
                "Country refused: card or IP address from a country the merchant does not accept",
            ),
            656 => (
                "Code 3-D Secure absent ou erroné",
                "3-D Secure code missing or wrong",
            ),
            906 => (
                "Refus interne (carte internationale sans 3-D Secure, Amex, carte non acceptée)",
                "Internal refusal (international card without 3-D Secure, Amex, card not accepted)",
            ),
            910 => (
                "Acquéreur ou banque indisponible",
                "Acquirer or bank unavailable",
            ),
            999 => ("Erreur inconnue de l'acquéreur", "Unknown acquirer error"),
            _ => ("Code inconnu", "Unknown code"),
        };
        lang.pick(fr, en)
    }

    /// The meaning in a few words, for a list cell where the whole [`Self::text`] does
    /// not fit (the cell's tooltip keeps the whole text).
    pub fn short_text(self, lang: Lang) -> &'static str {
        let (fr, en) = match self.0 {
            0 => ("Acceptée", "Accepted"),
            4 => ("Numéro de carte invalide", "Invalid card number"),
            5 => ("Refus de la banque", "Refused by the bank"),
            12 => ("Refusée par l'acquéreur", "Refused by the acquirer"),
            51 => ("Fonds insuffisants", "Insufficient funds"),
            55 => ("Cryptogramme incorrect", "Wrong security code"),
            98 => ("Paiement abandonné", "Payment abandoned"),
            585 => ("Trop de tentatives", "Too many attempts"),
            586 => ("Pays refusé", "Country refused"),
            656 => ("3-D Secure absent ou erroné", "3-D Secure missing or wrong"),
            906 => ("Refus interne", "Internal refusal"),
            910 => ("Banque indisponible", "Bank unavailable"),
            999 => ("Erreur de l'acquéreur", "Acquirer error"),
            _ => ("Code inconnu", "Unknown code"),
        };
        lang.pick(fr, en)
    }

    /// The refusal in plain words for the customer on the payment page.
    pub fn customer_text(self, lang: Lang) -> &'static str {
        let (fr, en) = match self.0 {
            0 => ("Votre paiement est accepté.", "Your payment is accepted."),
            4 => (
                "Le numéro de carte n'est pas valide.",
                "The card number is not valid.",
            ),
            5 => (
                "Votre banque a refusé le paiement. Contactez-la ou essayez une autre carte.",
                "Your bank declined the payment. Contact it or try another card.",
            ),
            51 => (
                "Le solde de la carte est insuffisant.",
                "The card balance is insufficient.",
            ),
            55 => (
                "Le cryptogramme saisi est incorrect.",
                "The security code is incorrect.",
            ),
            585 => (
                "Trop de tentatives : ce paiement est bloqué. Contactez le marchand.",
                "Too many attempts: this payment is blocked. Contact the merchant.",
            ),
            656 => (
                "La vérification 3-D Secure a échoué.",
                "The 3-D Secure check failed.",
            ),
            906 => (
                "Cette carte n'est pas acceptée ici.",
                "This card is not accepted here.",
            ),
            910 => (
                "La banque ne répond pas. Réessayez dans quelques minutes.",
                "The bank is not answering. Try again in a few minutes.",
            ),
            _ => ("Le paiement a été refusé.", "The payment was declined."),
        };
        lang.pick(fr, en)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_with_three_digits() {
        assert_eq!(ResultCode::ACCEPTED.to_string(), "000");
        assert_eq!(ResultCode::INSUFFICIENT_FUNDS.to_string(), "051");
        assert_eq!(ResultCode::TOO_MANY_ATTEMPTS.to_string(), "585");
    }

    #[test]
    fn every_code_has_a_text_in_both_languages() {
        for c in ResultCode::ALL {
            assert_ne!(c.text(Lang::Fr), "Code inconnu");
            assert_ne!(c.text(Lang::En), c.text(Lang::Fr), "{c}");
            assert_ne!(c.short_text(Lang::Fr), "Code inconnu");
            assert_ne!(c.short_text(Lang::En), c.short_text(Lang::Fr), "{c}");
            // A list cell: short enough for two lines of a narrow column.
            for l in [Lang::Fr, Lang::En] {
                assert!(c.short_text(l).chars().count() <= 30, "{c}");
            }
            assert_eq!(ResultCode::parse(&c.to_string()), Some(c));
        }
    }

    #[test]
    fn only_known_codes_parse() {
        assert_eq!(
            ResultCode::parse("51"),
            Some(ResultCode::INSUFFICIENT_FUNDS)
        );
        assert_eq!(ResultCode::parse("123"), None);
        assert_eq!(ResultCode::parse("-1"), None);
        assert_eq!(ResultCode::parse("0000"), None);
        assert!(ResultCode::ACCEPTED.is_accepted());
        assert!(!ResultCode::ABANDONED.is_accepted());
    }
}
