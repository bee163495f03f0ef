//! Payment requests: the record, the hash of its link token, a per-merchant index.

use redb::ReadableTable;

use super::Tx;
use super::tables::{LINK_HASH_TO_REQUEST_ID, MERCHANT_ID_REQUEST_ID, REQUEST_ID_TO_REQUEST};
use super::{Db, Error, Result, Scope, codec, next_id};
use crate::domain::payment::{PaymentRequest, link_hash};

/// 128 random bits, hex: the secret part of a payment link.
pub fn new_link_token() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a new request (its `id` must be 0) with its indexes; returns its id. Only
/// the hash of its link token is kept.
pub fn insert(wtx: &Tx, req: &mut PaymentRequest) -> Result<u64> {
    if req.id != 0 {
        return Err(Error::IdAlreadySet {
            kind: "payment request",
            id: req.id,
        });
    }
    req.id = next_id(wtx, "next_request_id", 1)?;
    wtx.open_table(LINK_HASH_TO_REQUEST_ID)?
        .insert(req.link_hash.as_str(), req.id)?;
    wtx.open_table(MERCHANT_ID_REQUEST_ID)?
        .insert((req.merchant_id, req.id), ())?;
    update(wtx, req)?;
    Ok(req.id)
}

/// Gives a request a new link (L8): the old hash leaves the index, so the old link
/// stops working. `req.token` holds the new secret for this response only.
pub fn new_link(wtx: &Tx, req: &mut PaymentRequest) -> Result<()> {
    let mut idx = wtx.open_table(LINK_HASH_TO_REQUEST_ID)?;
    idx.remove(req.link_hash.as_str())?;
    req.set_token(new_link_token());
    idx.insert(req.link_hash.as_str(), req.id)?;
    drop(idx);
    update(wtx, req)
}

/// Rewrites an existing request (state changes; indexes do not move).
pub fn update(wtx: &Tx, req: &PaymentRequest) -> Result<()> {
    wtx.open_table(REQUEST_ID_TO_REQUEST)?
        .insert(req.id, codec::encode(req)?.as_slice())?;
    Ok(())
}

/// Reads a request inside a write transaction.
pub fn get_in(wtx: &Tx, id: u64) -> Result<Option<PaymentRequest>> {
    let t = wtx.open_table(REQUEST_ID_TO_REQUEST)?;
    let v = t.get(id)?;
    v.map(|v| codec::decode("payment_requests", v.value()))
        .transpose()
}

impl Db {
    /// A request visible in `scope`.
    pub fn payment_request(&self, scope: Scope, id: u64) -> Result<Option<PaymentRequest>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(REQUEST_ID_TO_REQUEST)?;
        let req: Option<PaymentRequest> = t
            .get(id)?
            .map(|v| codec::decode("payment_requests", v.value()))
            .transpose()?;
        Ok(req.filter(|r| scope.allows(r.merchant_id)))
    }

    /// The request a link token opens (looked up by the token's hash).
    pub fn payment_request_by_token(&self, token: &str) -> Result<Option<PaymentRequest>> {
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let id = {
            let rtx = self.begin_read()?;
            let idx = rtx.open_table(LINK_HASH_TO_REQUEST_ID)?;
            idx.get(link_hash(token).as_str())?.map(|v| v.value())
        };
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(self.payment_request(Scope::Admin, id)?.map(|mut r| {
            r.token = token.to_string();
            r
        }))
    }

    /// Requests visible in `scope`, newest first, older than `before` when given.
    pub fn payment_requests(
        &self,
        scope: Scope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<PaymentRequest>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(REQUEST_ID_TO_REQUEST)?;
        let below = before.unwrap_or(u64::MAX);
        let mut out = Vec::with_capacity(limit);
        match scope {
            Scope::Admin => {
                for row in t.range(..below)?.rev().take(limit) {
                    out.push(codec::decode("payment_requests", row?.1.value())?);
                }
            }
            Scope::Merchant(m) => {
                let idx = rtx.open_table(MERCHANT_ID_REQUEST_ID)?;
                for row in idx.range((m, 0)..(m, below))?.rev().take(limit) {
                    let id = row?.0.value().1;
                    if let Some(v) = t.get(id)? {
                        out.push(codec::decode("payment_requests", v.value())?);
                    }
                }
            }
        }
        Ok(out)
    }
}
