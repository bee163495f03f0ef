//! Record codecs: a version byte then postcard. Decode failures are `Error::Corrupt`,
//! encode failures `Error::Encode`.
//!
//! postcard is positional and not self-describing: a record is its fields in
//! declaration order, and an enum variant is its index. So the domain types written
//! here ARE the on-disk format. Any change to a stored struct or enum (a field added,
//! removed, reordered or retyped; a variant inserted or moved) needs a
//! `SCHEMA_VERSION` bump and a migration (see `migrate_accounts` for the pattern).
//! Stored enums carry explicit discriminants in their stored order, and the
//! golden-bytes test in `golden.rs` fails when a stored shape changes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;

const VERSION: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = vec![VERSION];
    let bytes = postcard::to_stdvec(value).map_err(|e| Error::Encode {
        what: std::any::type_name::<T>(),
        detail: e.to_string(),
    })?;
    out.extend_from_slice(&bytes);
    Ok(out)
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
