//! "Copy" buttons for a link or a secret shown once: progressive, the text stays
//! selectable without JavaScript; `/static/copy.js` reveals and wires the buttons.

use maud::{Markup, html};

use super::View;

/// A button that copies the text (or value) of the element `target` (an id); hidden
/// until the script runs. `what` names what is copied ("le lien", …).
pub fn copy_button(view: &View, target: &str, fr: &str, en: &str) -> Markup {
    html! {
        button type="button" class="copy" data-copy=(target) hidden
            data-done=(view.t("Copié", "Copied")) { (view.t(fr, en)) }
    }
}

/// The script behind [`copy_button`]; once per page.
pub fn copy_script() -> Markup {
    html! { script src="/static/copy.js" defer {} }
}
