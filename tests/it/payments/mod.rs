//! Payment links end to end: the virtual terminal, the payment page with 3-D Secure,
//! every test card, blocking after refusals, concurrency, link states, fraud rules.

mod location;
mod paying;
mod requests;
mod velocity;
