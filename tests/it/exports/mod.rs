//! Processing › Transactions › Export: every format read back with a real parser and
//! compared with the list, cells that cannot act as formulas, escaping, merchant
//! scoping and refusals, a large export that streams, and one that fails midway;
//! files for Excel (BOM, the French Excel variant, one language, the period in the name).
//! `parse` reads each format back; `expected` says what each row should hold.

mod excel;
mod expected;
mod formats;
mod large;
mod robustness;
mod scoping;
