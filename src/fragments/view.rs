//! What a page or fragment may know about the request: render-only, no state.

use time::OffsetDateTime;

use crate::domain::Lang;
use crate::domain::user::User;

/// The render-only view of a request: language, CSRF token, current path, the
/// signed-in user and the time of the request. Pages and fragments take this, never
/// the application state.
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
}

impl<'a> View<'a> {
    /// The text in the page language.
    pub fn t<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(fr, en)
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&'a User> {
        self.user
    }
}
