//! Card data and payment links at rest (security issue 8): the card number is never
//! echoed, the storage-token key stays out of the data file, link tokens are kept
//! only as hashes, attempts per link are capped, rebills are bounded.

mod keys;
mod links;
mod rebills;
