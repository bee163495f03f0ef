//! Payments prepared through the merchant API (issue 13): the payment request and
//! its API record written in one transaction, the payment's status object, and the
//! notification of the shop when a payment ends (queued in the payment's own write
//! transaction).

use serde_json::Value;

use super::Gateway;
use crate::db::callbacks::{self, NewCallback};
use crate::db::{self, Scope, Tx, api_payments, payments, transactions};
use crate::domain::c2p::{ApiPayment, Prepare, ShopReturn};
use crate::domain::c2p_crypto::encrypt_redirect_data;
use crate::domain::c2p_status::{PaymentRef, status_json};
use crate::domain::payment::{PaymentRequest, RequestStatus};
use crate::domain::transaction::Transaction;

/// A payment just prepared: its request (with the link's secret, the customer
/// token, in `token`) and its merchant token.
pub struct Prepared {
    pub request: PaymentRequest,
    pub merchant_token: String,
}

/// Every row of a payment but its 3-D Secure checks: the attempts and their
/// follow-ups (and theirs), oldest first. `get` and `children` read one row and
/// the rows that follow one.
fn payment_rows(
    req: &PaymentRequest,
    get: impl Fn(u64) -> db::Result<Option<Transaction>>,
    children: impl Fn(u64) -> db::Result<Vec<Transaction>>,
) -> db::Result<Vec<Transaction>> {
    let mut rows = Vec::new();
    for id in &req.attempts {
        if let Some(t) = get(*id)? {
            rows.push(t);
        }
    }
    let mut i = 0;
    while i < rows.len() {
        let more = children(rows[i].id)?;
        rows.extend(more);
        i += 1;
    }
    rows.sort_by_key(|t| (t.at, t.id));
    Ok(rows)
}

/// The payment request a row belongs to: its point of sale names it (`LINK-<id>`),
/// follow-ups and rebills keep their original's.
fn request_of(tx: &Transaction) -> Option<u64> {
    tx.initiator
        .point_of_sale
        .strip_prefix("LINK-")
        .and_then(|n| n.parse().ok())
}

impl Gateway {
    /// Writes the payment request of a prepare for `merchant_id` and its API record
    /// in one transaction.
    pub fn prepare(&self, p: Prepare, merchant_id: u64) -> db::Result<Prepared> {
        let merchant = self
            .db
            .merchant(Scope::Admin, merchant_id)?
            .ok_or(db::Error::NotFound)?;
        let terminal = merchant.terminals.first().map_or(0, |t| t.number);
        let now = self.now();
        let created_by = format!("API {}", p.api.originator);
        let mut req = p.input.into_request(
            merchant_id,
            terminal,
            &created_by,
            payments::new_link_token(),
            now,
        );
        req.expires_at = now.unix_timestamp() + p.timeout_seconds;
        let (req, token) = self.db.write(|wtx| {
            let mut req = req.clone();
            payments::insert(wtx, &mut req)?;
            let token = self.db.merchant_token(req.id);
            let api = ApiPayment {
                request_id: req.id,
                ..p.api.clone()
            };
            api_payments::insert_in(wtx, &api, &token)?;
            Ok((req, token))
        })?;
        Ok(Prepared {
            request: req,
            merchant_token: token,
        })
    }

    /// The status object of the payment of `merchant_token`, for `merchant_id`
    /// (`None`: no such payment for this merchant).
    pub fn api_status(&self, merchant_id: u64, merchant_token: &str) -> db::Result<Option<Value>> {
        let Some(id) = self.db.request_of_merchant_token(merchant_token)? else {
            return Ok(None);
        };
        let Some(req) = self.db.payment_request(Scope::Merchant(merchant_id), id)? else {
            return Ok(None);
        };
        let api = self.db.api_payment(id)?;
        Ok(Some(self.status_of(&req, api.as_ref(), merchant_token)?))
    }

    fn status_of(
        &self,
        req: &PaymentRequest,
        api: Option<&ApiPayment>,
        merchant_token: &str,
    ) -> db::Result<Value> {
        let scope = Scope::Merchant(req.merchant_id);
        let rows = payment_rows(
            req,
            |id| self.db.transaction(scope, id),
            |id| self.db.children(scope, id),
        )?;
        let p = PaymentRef {
            request: req,
            api,
            merchant_token,
        };
        Ok(status_json(&p, &rows, self.now().unix_timestamp()))
    }

    /// Where the customer of an API payment goes back to once it has ended (paid,
    /// or blocked after too many refusals): the shop's `ctrlRedirectURL` with the
    /// encrypted status (`data`) and the customer token (spec §6). `None` for a
    /// payment that has not ended, or without a return URL. `req.token` must hold
    /// the link's secret (the customer token).
    pub fn shop_return(&self, req: &PaymentRequest) -> db::Result<Option<ShopReturn>> {
        let at = time::OffsetDateTime::from_unix_timestamp(self.now().unix_timestamp())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let ended = matches!(req.status(at), RequestStatus::Paid | RequestStatus::Blocked);
        if !ended || req.token.is_empty() {
            return Ok(None);
        }
        let Some(api) = self.db.api_payment(req.id)? else {
            return Ok(None);
        };
        if api.redirect_url.is_empty() {
            return Ok(None);
        }
        let token = self.db.merchant_token(req.id);
        let status = self.status_of(req, Some(&api), &token)?;
        let Some(data) = encrypt_redirect_data(&token, &status.to_string()) else {
            return Ok(None);
        };
        Ok(Some(ShopReturn {
            url: api.redirect_url,
            data,
            customer: req.token.clone(),
        }))
    }

    /// Transactions of `merchant_id` as TransactionAttempts (spec §5.2), with the
    /// payment they belong to (`paymentID`, and the merchant token of an API
    /// payment) and the amount already refunded. Rows of other merchants are left
    /// out.
    pub fn api_attempts(&self, merchant_id: u64, rows: &[Transaction]) -> db::Result<Vec<Value>> {
        use std::collections::HashMap;
        let scope = Scope::Merchant(merchant_id);
        let mine: Vec<Transaction> = rows
            .iter()
            .filter(|t| t.merchant_id == merchant_id)
            .cloned()
            .collect();
        let follow_ups = self.db.children_of(&mine)?;
        let mut payments: HashMap<u64, Option<(PaymentRequest, Option<ApiPayment>, String)>> =
            HashMap::new();
        let mut out = Vec::with_capacity(mine.len());
        for tx in &mine {
            let request = request_of(tx);
            if let Some(id) = request
                && !payments.contains_key(&id)
            {
                let found = match self.db.payment_request(scope, id)? {
                    Some(req) => {
                        let api = self.db.api_payment(id)?;
                        let token = if api.is_some() {
                            self.db.merchant_token(id)
                        } else {
                            String::new()
                        };
                        Some((req, api, token))
                    }
                    None => None,
                };
                payments.insert(id, found);
            }
            let payment = request
                .and_then(|id| payments.get(&id))
                .and_then(Option::as_ref)
                .map(|(req, api, token)| PaymentRef {
                    request: req,
                    api: api.as_ref(),
                    merchant_token: token,
                });
            out.push(crate::domain::c2p_status::attempt_json(
                tx,
                &follow_ups,
                payment.as_ref(),
            ));
        }
        Ok(out)
    }

    /// Queues the notification of the shop (its `ctrlCallbackURL`) with the
    /// payment's status as it stands in `wtx`, the payment's own write transaction,
    /// when `req` came from the API with a callback URL. Returns whether one was
    /// queued (then call `callbacks::notify` after the commit).
    pub(super) fn queue_callback_in(&self, wtx: &Tx, req: &PaymentRequest) -> db::Result<bool> {
        let Some(api) = api_payments::get_in(wtx, req.id)? else {
            return Ok(false);
        };
        if api.callback_url.is_empty() {
            return Ok(false);
        }
        let token = self.db.merchant_token(req.id);
        let rows = payment_rows(
            req,
            |id| transactions::get_in(wtx, id),
            |id| transactions::children_in(wtx, id),
        )?;
        let p = PaymentRef {
            request: req,
            api: Some(&api),
            merchant_token: &token,
        };
        let now = self.now().unix_timestamp();
        let body = status_json(&p, &rows, now).to_string();
        callbacks::enqueue_in(
            wtx,
            NewCallback {
                merchant_id: req.merchant_id,
                request_id: req.id,
                url: api.callback_url,
                body,
                at: now,
            },
        )?;
        Ok(true)
    }
}
