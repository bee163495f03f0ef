//! Shared components: form fields, flash messages, tab bars, badges, key/value
//! lists, result tables, and the render-only `View` they all take.

pub mod badges;
pub mod chart;
pub mod copy;
pub mod form;
pub mod kv;
pub mod pager;
pub mod subtabs;
pub mod support;
pub mod tables;
pub mod view;

pub use view::View;

use maud::{Markup, html};

/// A message box after an action.
pub fn flash(kind: &str, text: &str) -> Markup {
    html! { div class={"flash " (kind)} role="status" { (text) } }
}

/// A long value without spaces (an email, an order id) that may wrap only at sensible
/// points: after "@", ".", "-", "_" or "/" (a `<wbr>` each), so that a
/// narrow cell breaks it there rather than inside a word. Escaped as any text.
pub fn breakable(text: &str) -> Markup {
    let mut parts: Vec<String> = vec![String::new()];
    for c in text.chars() {
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
        if matches!(c, '@' | '.' | '-' | '_' | '/') {
            parts.push(String::new());
        }
    }
    parts.retain(|p| !p.is_empty());
    html! {
        @for (i, p) in parts.iter().enumerate() {
            @if i > 0 { wbr; }
            (p)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::breakable;

    #[test]
    fn a_long_value_may_wrap_before_the_at_sign_and_after_dots_and_dashes_only() {
        assert_eq!(
            breakable("fatima.el@example.com").into_string(),
            "fatima.<wbr>el@<wbr>example.<wbr>com"
        );
        assert_eq!(
            breakable("REV-fr-d-ACCEPT").into_string(),
            "REV-<wbr>fr-<wbr>d-<wbr>ACCEPT"
        );
        assert_eq!(breakable("<b>").into_string(), "&lt;b&gt;");
        assert_eq!(breakable("").into_string(), "");
    }
}
