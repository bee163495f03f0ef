//! Buyer location rules in the payment flow (FRAUD-2, FRAUD-5): after the blacklist
//! and before velocity limits, 3-D Secure and the acquirer, a payment whose card
//! country or buyer's IP address country the merchant's lists refuse gets 586, and
//! its Journal names the list and the country. A rebill is checked on its card's
//! country only (its IP address is the back-office user's).

use super::Gateway;
use super::record::Refused;
use crate::acquirer::CardInfo;
use crate::db::{self, Tx, location};
use crate::domain::card_form::CardDetails;
use crate::domain::codes::ResultCode;
use crate::domain::geo::ip_country;
use crate::domain::journal::Rule;
use crate::domain::location::evaluate;
use crate::domain::payment::PaymentRequest;
use crate::domain::transaction::Transaction;

impl Gateway {
    /// On the payment page: writes the refused 3-D Secure and sale rows when a
    /// country list refuses the payment and returns the sale's id; `None` when it
    /// may go on.
    pub(super) fn refuse_if_location(
        &self,
        req: &PaymentRequest,
        card: &CardDetails,
        info: CardInfo,
        ip: &str,
    ) -> db::Result<Option<u64>> {
        let rules = self.db.location_rules(req.merchant_id)?;
        let Some(fired) = evaluate(&rules, Some(info.country), ip_country(ip), true) else {
            return Ok(None);
        };
        tracing::info!(request = req.id, merchant = req.merchant_id, rule = %fired.text(crate::domain::Lang::En), "payment refused by a location rule");
        let id = self.refuse(
            req,
            Refused { card, info, ip },
            Rule::Location(fired),
            ResultCode::COUNTRY_REFUSED,
            true,
        )?;
        Ok(Some(id))
    }
}

/// For a rebill of `original`, in its write transaction: the rule that refuses it
/// when its card's country is refused by the merchant's card country list.
pub(super) fn rebill_refused_in(wtx: &Tx, original: &Transaction) -> db::Result<Option<Rule>> {
    let rules = location::rules_in(wtx, original.merchant_id)?;
    let country = original.card.as_ref().map(|c| c.country.as_str());
    Ok(evaluate(&rules, country, None, false).map(Rule::Location))
}
