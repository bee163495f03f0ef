//! What a page or fragment may know about the request: render-only, no state.

use time::OffsetDateTime;

use crate::domain::Lang;
use crate::domain::user::User;
use crate::domain::zone::Zone;

/// The render-only view of a request: language, CSRF token, current path, the
/// signed-in user, the time of the request and the zone its dates are shown in.
/// Pages and fragments take this, never the application state.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub lang: Lang,
    /// The CSRF token every POST form carries.
    pub csrf: &'a str,
    /// The path of the request (the language switch comes back to it).
    pub path: &'a str,
    pub user: Option<&'a User>,
    /// The time of the request, from the application clock.
    pub now: OffsetDateTime,
    /// The zone every date is shown in: the signed-in user's own, else the
    /// appliance's (customers' pages and emails always use the appliance's).
    pub zone: &'a Zone,
    /// How many support tickets the signed-in user has not read (the Support tab's
    /// count, up to `db::support::UNREAD_CAP`).
    pub support_unread: u64,
    /// The request's id: the reference error pages show (and `X-Request-Id`).
    pub request_id: &'a str,
}

impl<'a> View<'a> {
    /// The text in the page language.
    pub fn t<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(fr, en)
    }

    /// Today's date in the view's zone.
    pub fn today(&self) -> time::Date {
        self.zone.today(self.now)
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&'a User> {
        self.user
    }
}
