//! The blacklist in the payment flow (FRAUD-4, FRAUD-5): a payment whose card, email,
//! IP or holder name is listed (globally or by its merchant) is refused with 585
//! before 3-D Secure and the acquirer, and its Journal names the entry that fired.

use super::Gateway;
use super::record::Refused;
use crate::db::{self, Tx, blacklist};
use crate::domain::blacklist::{Candidate, candidate_of};
use crate::domain::card_form::CardDetails;
use crate::domain::codes::ResultCode;
use crate::domain::journal::Rule;
use crate::domain::payment::PaymentRequest;
use crate::domain::transaction::Transaction;

impl Gateway {
    /// On the payment page: writes the refused 3-D Secure and sale rows when the
    /// payment is listed and returns the sale's id; `None` when it may go on.
    pub(super) fn refuse_if_blacklisted(
        &self,
        req: &PaymentRequest,
        card: &CardDetails,
        ip: &str,
    ) -> db::Result<Option<u64>> {
        let token = card.pan.storage_token(self.card_key.0, &self.card_key.1);
        let c = Candidate {
            merchant_id: req.merchant_id,
            card_token: Some(&token),
            email: &req.holder.email,
            ip,
            holder: &card.holder,
        };
        let Some(hit) = self.db.blacklist_hits(&c)?.into_iter().next() else {
            return Ok(None);
        };
        let rule = Rule::Blacklisted {
            kind: hit.kind,
            entry: hit.id,
        };
        // The card's scheme and country for the rows; the acquirer is not asked.
        let info = self.acquirer.enrolment(&card.pan);
        let id = self.refuse(
            req,
            Refused { card, info, ip },
            rule,
            ResultCode::TOO_MANY_ATTEMPTS,
            true,
        )?;
        Ok(Some(id))
    }
}

/// For a rebill of `original`, in its write transaction: the rule that refuses it
/// when its card, email, IP or holder name is listed.
pub(super) fn listed_in(wtx: &Tx, original: &Transaction) -> db::Result<Option<Rule>> {
    let hits = blacklist::hits_in(wtx, &candidate_of(original))?;
    Ok(hits.first().map(|e| Rule::Blacklisted {
        kind: e.kind,
        entry: e.id,
    }))
}
