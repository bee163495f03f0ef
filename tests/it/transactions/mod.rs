//! Processing › Transactions: the search checked against a brute-force filter over every
//! row (`oracle`), the pager and its limits, the htmx fragments, merchant scoping, the
//! detail tabs and notes. (No full card number on any page: `no_full_card_number`.)

mod detail;
mod htmx;
mod list_screen;
mod oracle;
mod paging;
mod scoping;
mod search;
mod totals;
