//! Security hardening of the web layer: redirects, cookies and HSTS, body limits,
//! the sign-in door, merchant managers' grants, exports in flight, the audit trail.

mod accounts;
mod door;
mod exports;
mod links;
