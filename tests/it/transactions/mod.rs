//! Processing › Transactions: the search checked against a brute-force filter over every
//! row, the pager and its limits, the htmx fragments, merchant scoping, the detail tabs
//! and notes, and card numbers that never show in full.

mod detail;
mod htmx;
mod oracle;
mod paging;
mod scoping;
mod search;
