//! Shared components: form fields, flash messages, tab bars, badges, key/value
//! lists, result tables, and the render-only `View` they all take.

pub mod badges;
pub mod copy;
pub mod form;
pub mod kv;
pub mod pager;
pub mod subtabs;
pub mod tables;
pub mod view;

pub use view::View;

use maud::{Markup, html};

/// A message box after an action.
pub fn flash(kind: &str, text: &str) -> Markup {
    html! { div class={"flash " (kind)} role="status" { (text) } }
}

/// A tab bar; `current` is the href of the selected tab.
pub fn tabs(class: &str, items: &[(String, String)], current: &str) -> Markup {
    tabs_named(class, None, items, current)
}

/// A tab bar named for screen readers (`label`), so that several bars on one page
/// are told apart.
pub fn tabs_named(
    class: &str,
    label: Option<&str>,
    items: &[(String, String)],
    current: &str,
) -> Markup {
    html! {
        nav class=(class) aria-label=[label] {
            @for (href, label) in items {
                @if href == current {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    }
}
