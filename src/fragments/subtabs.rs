//! The sub-tab bars of Processing and Parameters: the screens of the navigation
//! table (`domain::navigation`) that the signed-in user may open.

use maud::Markup;

use crate::domain::navigation::{Area, items};
use crate::fragments::{View, tabs_named};

/// The sub-tabs of `area`, as far as the user may go, `current` selected.
pub fn subtabs(view: &View, area: Area, current: &str) -> Markup {
    let list: Vec<(String, String)> = view
        .user()
        .map(|u| {
            items(u, area)
                .map(|i| (i.path.to_string(), view.t(i.label.0, i.label.1).to_string()))
                .collect()
        })
        .unwrap_or_default();
    tabs_named(
        "subtabs",
        Some(view.t("Sous-menu", "Section menu")),
        &list,
        current,
    )
}

/// The sub-tabs of Processing.
pub fn processing_subtabs(view: &View, current: &str) -> Markup {
    subtabs(view, Area::Processing, current)
}

/// The sub-tabs of Parameters.
pub fn parameters_subtabs(view: &View, current: &str) -> Markup {
    subtabs(view, Area::Parameters, current)
}

/// The tabs of Parameters › Emails: the messages sent (the outbox) and the templates.
pub fn emails_tabs(view: &View, current: &str) -> Markup {
    let items = [
        (
            "/parameters/emails".to_string(),
            view.t("Envois", "Sent").to_string(),
        ),
        (
            "/parameters/emails/templates".to_string(),
            view.t("Modèles", "Templates").to_string(),
        ),
    ];
    tabs_named(
        "tabs-inline",
        Some(view.t("Sections des emails", "Email sections")),
        &items,
        current,
    )
}
