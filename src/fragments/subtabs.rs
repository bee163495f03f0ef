//! The sub-tab bars of Processing and Parameters, as far as the signed-in user may go.

use maud::Markup;

use crate::fragments::{View, tabs};

/// The sub-tabs of Processing, as far as the user may go.
pub fn processing_subtabs(view: &View, current: &str) -> Markup {
    let p = view.user().map(|u| u.permissions()).unwrap_or_default();
    let mut items = Vec::new();
    if p.view {
        items.push((
            "/transactions".to_string(),
            view.t("Transactions", "Transactions").to_string(),
        ));
    }
    if p.virtual_terminal {
        items.push((
            "/terminal".to_string(),
            view.t("Terminal virtuel (MOTO)", "Virtual terminal (MOTO)")
                .to_string(),
        ));
    }
    if p.view || p.virtual_terminal {
        items.push((
            "/payment-requests".to_string(),
            view.t("Demandes de paiement", "Payment requests")
                .to_string(),
        ));
    }
    tabs("subtabs", &items, current)
}

/// The sub-tabs of Parameters that the signed-in user may use.
pub fn parameters_subtabs(view: &View, current: &str) -> Markup {
    let mut items = vec![(
        "/parameters/profile".to_string(),
        view.t("Mon profil", "My profile").to_string(),
    )];
    if let Some(u) = view.user() {
        if u.is_admin() {
            items.push((
                "/parameters/merchants".into(),
                view.t("Marchands", "Merchants").into(),
            ));
        }
        if u.permissions().manage_users {
            items.push((
                "/parameters/users".into(),
                view.t("Utilisateurs", "Users").into(),
            ));
        }
        if u.is_admin() {
            items.push((
                "/parameters/emails".into(),
                view.t("Emails", "Emails").into(),
            ));
            items.push((
                "/parameters/audit".into(),
                view.t("Journal d'audit", "Audit log").into(),
            ));
            items.push((
                "/parameters/security".into(),
                view.t("Sécurité", "Security").into(),
            ));
        }
    }
    tabs("subtabs", &items, current)
}
