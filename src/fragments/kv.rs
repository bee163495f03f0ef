//! The key/value list of detail cards: `dt` label, `dd` value.

use maud::{Markup, html};

/// A `dl class="kv"` of (label, value) rows.
pub fn kv(rows: &[(&str, String)]) -> Markup {
    html! { dl class="kv" { @for (k, v) in rows { dt { (k) } dd { (v) } } } }
}

/// A `dl class="kv"` whose values are markup (an email that may break after its "@").
pub fn kv_markup(rows: &[(&str, Markup)]) -> Markup {
    html! { dl class="kv" { @for (k, v) in rows { dt { (k) } dd { (v) } } } }
}
