//! Record codecs: a version byte then postcard. Decode failures are `Error::Corrupt`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;

const VERSION: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    // postcard only fails on writers that run out of space; a Vec grows.
    if let Ok(bytes) = postcard::to_stdvec(value) {
        out.extend_from_slice(&bytes);
    }
    out
}

pub(crate) fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, Error> {
    match bytes.split_first() {
        Some((&VERSION, rest)) => postcard::from_bytes(rest).map_err(|e| Error::Corrupt {
            table,
            detail: e.to_string(),
        }),
        Some((v, _)) => Err(Error::Corrupt {
            table,
            detail: format!("unknown record version {v}"),
        }),
        None => Err(Error::Corrupt {
            table,
            detail: "empty record".into(),
        }),
    }
}

pub(crate) fn u32_from(bytes: &[u8]) -> Option<u32> {
    bytes.try_into().ok().map(u32::from_le_bytes)
}

pub(crate) fn u64_from(bytes: &[u8]) -> Option<u64> {
    bytes.try_into().ok().map(u64::from_le_bytes)
}
