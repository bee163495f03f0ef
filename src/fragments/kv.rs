//! The key/value list of detail cards: `dt` label, `dd` value.

use maud::{Markup, html};

/// A `dl class="kv"` of (label, value) rows.
pub fn kv(rows: &[(&str, String)]) -> Markup {
    html! { dl class="kv" { @for (k, v) in rows { dt { (k) } dd { (v) } } } }
}
