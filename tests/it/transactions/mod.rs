//! Processing › Transactions: the search checked against a brute-force filter over every
//! row (`oracle`), the pager and its limits, the htmx fragments, merchant scoping, the
//! detail tabs and notes, the detail's summary, its tab in the URL, its operations. (No full card number on any page: `no_full_card_number`.)

mod detail;
mod detail_browser;
mod htmx;
mod list_screen;
mod naming;
mod oracle;
mod paging;
mod refund;
mod scoping;
mod search;
mod selection;
mod summary;
mod totals;
