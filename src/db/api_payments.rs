//! Payments prepared through the merchant API: the record kept beside each payment
//! request (`c2p::ApiPayment`) and the index of merchant tokens. A merchant token is
//! never stored: it is derived from the request id with a key of the key file (so
//! the data file alone cannot decrypt a shop's redirect data), and found again by
//! its SHA-256.

use hmac::{Hmac, KeyInit, Mac};
use redb::ReadableTable;
use sha2::{Digest, Sha256};

use super::tables::{API_PAYMENTS, API_TOKEN_TO_REQUEST};
use super::{Db, Result, Tx, codec};
use crate::domain::c2p::ApiPayment;
use crate::domain::c2p_crypto::{TOKEN_BYTES, merchant_token_from};

/// SHA-256 (hex) of a merchant token: what the index keeps.
pub fn token_hash(token: &str) -> String {
    crate::keys::to_hex(&Sha256::digest(token.as_bytes()))
}

/// The merchant token of payment request `request_id`: URL-safe base64 (no
/// padding) of 16 bytes of HMAC-SHA256 under `key` — 22 characters, the AES-128 key
/// of the redirect's `data` (spec §3.7).
pub fn merchant_token(key: &[u8; 32], request_id: u64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"merchant token");
    mac.update(&request_id.to_be_bytes());
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes.copy_from_slice(&mac.finalize().into_bytes()[..TOKEN_BYTES]);
    merchant_token_from(&bytes)
}

/// Writes the API record of a request just inserted, with its token's index entry.
pub fn insert_in(wtx: &Tx, api: &ApiPayment, token: &str) -> Result<()> {
    wtx.open_table(API_PAYMENTS)?
        .insert(api.request_id, codec::encode(api)?.as_slice())?;
    wtx.open_table(API_TOKEN_TO_REQUEST)?
        .insert(token_hash(token).as_str(), api.request_id)?;
    Ok(())
}

fn get_from(
    t: &impl ReadableTable<u64, &'static [u8]>,
    request_id: u64,
) -> Result<Option<ApiPayment>> {
    t.get(request_id)?
        .map(|v| codec::decode("api_payments", v.value()))
        .transpose()
}

/// The API record of request `request_id`, read in `wtx` (none: not from the API).
pub fn get_in(wtx: &Tx, request_id: u64) -> Result<Option<ApiPayment>> {
    get_from(&wtx.open_table(API_PAYMENTS)?, request_id)
}

impl Db {
    /// The key merchant tokens are derived with (from the key file's audit key).
    pub fn merchant_token_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.keys().audit_key) {
            mac.update(b"guichet merchant token key");
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// The merchant token of request `request_id`.
    pub fn merchant_token(&self, request_id: u64) -> String {
        merchant_token(&self.merchant_token_key(), request_id)
    }

    /// The API record of request `request_id`, if it came from the API.
    pub fn api_payment(&self, request_id: u64) -> Result<Option<ApiPayment>> {
        let rtx = self.begin_read()?;
        get_from(&rtx.open_table(API_PAYMENTS)?, request_id)
    }

    /// The request a merchant token stands for.
    pub fn request_of_merchant_token(&self, token: &str) -> Result<Option<u64>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(API_TOKEN_TO_REQUEST)?;
        Ok(t.get(token_hash(token).as_str())?.map(|v| v.value()))
    }
}
