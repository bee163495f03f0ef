//! Processing › Transactions › Export: every format read back with a real parser and
//! compared with the list, cells that cannot act as formulas, escaping, merchant
//! scoping and refusals, and a large export that streams.

pub(crate) mod expected;
mod formats;
mod large;
pub(crate) mod parse;
mod robustness;
mod scoping;
