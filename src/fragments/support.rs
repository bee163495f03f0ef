//! The gateway's support contacts as people read them: the Support tab, the sign-in
//! page's help line and the customer's payment-refused page.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::support_contacts::SupportContacts;

/// "support@… · 0522 48 00 47 · du lundi au vendredi…": links to write or call, then
/// the hours; nothing when no contact is set.
pub fn contact_line(lang: Lang, c: &SupportContacts) -> Markup {
    let hours = c.hours(lang);
    html! {
        @if !c.email.is_empty() {
            a href={"mailto:" (c.email)} { (c.email) }
        }
        @if !c.phone.is_empty() {
            @if !c.email.is_empty() { " · " }
            a href=(c.phone_link()) { (c.phone) }
        }
        @if !hours.is_empty() && !c.is_empty() {
            " (" (hours) ")"
        }
    }
}

/// The contacts as a small block with a heading, for the Support tab and the
/// customer's pages; nothing when no contact is set.
pub fn contacts_block(lang: Lang, c: &SupportContacts, heading: &str) -> Markup {
    let hours = c.hours(lang);
    html! {
        @if !c.is_empty() {
            div class="support-contacts" {
                h2 { (heading) }
                ul class="plain" {
                    @if !c.email.is_empty() {
                        li { (lang.pick("Email : ", "Email: ")) a href={"mailto:" (c.email)} { (c.email) } }
                    }
                    @if !c.phone.is_empty() {
                        li { (lang.pick("Téléphone : ", "Phone: ")) a href=(c.phone_link()) { (c.phone) } }
                    }
                    @if !hours.is_empty() {
                        li class="muted" { (hours) }
                    }
                }
            }
        }
    }
}
