//! The transaction detail's Blacklist tab (FRAUD-4): which of its card, email, IP and
//! holder name are listed, and "add this card / email / IP / name" in one click
//! (a reason, a confirmation, then the tab again with its new count, in place).

use maud::{Markup, html};

use super::transaction::TAB_ID;
use crate::domain::blacklist::{Entry, Kind, candidate_of};
use crate::domain::detail::TransactionDetail;
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::user::FieldError;
use crate::fragments::View;
use crate::fragments::form::csrf;

/// What the tab shows besides the list: a value being added, its confirmation, a
/// refusal beside its reason, or what was just done.
#[derive(Default)]
pub struct TabState {
    /// The kind being added, with its reason and scope as typed.
    pub kind: Option<Kind>,
    pub reason: String,
    pub scope: String,
    pub error: Option<FieldError>,
    /// Ask to confirm adding `kind`.
    pub confirm: bool,
    /// Just added (`true`) or already listed (`false`), with the entry's id.
    pub done: Option<(bool, u64)>,
}

/// The transaction's values, as shown, by kind (empty when it has none).
pub fn values(d: &TransactionDetail) -> [(Kind, String); 4] {
    let c = candidate_of(&d.tx);
    let card = match (&d.tx.card, c.card_token) {
        (Some(card), Some(_)) => card.masked(),
        _ => String::new(),
    };
    [
        (Kind::Card, card),
        (Kind::Email, c.email.trim().to_string()),
        (Kind::Ip, c.ip.trim().to_string()),
        (Kind::Name, c.holder.trim().to_string()),
    ]
}

fn action(d: &TransactionDetail) -> String {
    format!("/transactions/{}/blacklist", d.tx.id)
}

fn scope_text(view: &View, d: &TransactionDetail, e: &Entry) -> String {
    match (e.merchant_id, &d.merchant) {
        (None, _) => view
            .t("liste de tous les marchands", "list of all merchants")
            .into(),
        (Some(m), Some(mm)) if mm.id == m => format!(
            "{} {}",
            view.t("liste du marchand", "list of the merchant"),
            mm.name
        ),
        (Some(m), _) => format!(
            "{} {m}",
            view.t("liste du marchand n°", "list of merchant no.")
        ),
    }
}

fn listed(view: &View, d: &TransactionDetail, e: &Entry) -> Markup {
    let admin = view.user().is_some_and(|u| u.may(Permission::Admin));
    html! {
        span class="badge ko" { (view.t("Oui", "Yes")) }
        " " (view.t("entrée n°", "entry no.")) " " (e.id) " · " (scope_text(view, d, e))
        // A global entry's reason and author are the admins' (they may concern
        // another merchant's customer).
        @if admin || e.merchant_id.is_some() {
            br; small class="muted" { (e.reason) " — " (e.added_by) ", " (format_datetime(e.added_at, view.lang, view.zone)) }
        }
    }
}

fn scope_select(view: &View, d: &TransactionDetail, kind: Kind, st: &TabState) -> Markup {
    let id = format!("bl-scope-{}", kind.key());
    let global = st.kind == Some(kind) && st.scope == "global";
    html! {
        label for=(id) { (view.t("Pour", "For")) }
        select id=(id) name="scope" {
            option value=(d.tx.merchant_id) selected[!global] {
                (d.merchant.as_ref().map_or_else(|| d.tx.merchant_id.to_string(), |m| m.name.clone()))
            }
            option value="global" selected[global] { (view.t("tous les marchands", "all merchants")) }
        }
    }
}

fn add_form(view: &View, d: &TransactionDetail, kind: Kind, st: &TabState) -> Markup {
    let id = format!("bl-reason-{}", kind.key());
    let error = st
        .error
        .as_ref()
        .filter(|_| st.kind == Some(kind))
        .map(|e| e.message(view.lang));
    let reason = if st.kind == Some(kind) {
        st.reason.as_str()
    } else {
        ""
    };
    let admin = view.user().is_some_and(|u| u.may(Permission::Admin));
    html! {
        form class="bl-add" method="post" action=(action(d)) hx-post=(action(d)) hx-target={"#" (TAB_ID)} hx-swap="outerHTML" {
            (csrf(view))
            input type="hidden" name="kind" value=(kind.key());
            div class="field" {
                label for=(id) class="req" { (view.t("Motif", "Reason")) }
                input id=(id) name="reason" type="text" value=(reason) maxlength="200" required autocomplete="off"
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-err"))];
                @if let Some(e) = error { small class="error" id={(id) "-err"} { (e) } }
            }
            @if admin { div class="field" { (scope_select(view, d, kind, st)) } }
            button type="submit" { (kind.add_this(view.lang)) }
        }
    }
}

fn confirm_box(
    view: &View,
    d: &TransactionDetail,
    kind: Kind,
    shown: &str,
    st: &TabState,
) -> Markup {
    let whose = if st.scope == "global" {
        view.t("de tous les marchands", "of all merchants")
            .to_string()
    } else {
        format!(
            "{} {}",
            view.t("du marchand", "of the merchant"),
            d.merchant.as_ref().map_or("", |m| m.name.as_str())
        )
    };
    let back = format!("/transactions/{}?tab=blacklist", d.tx.id);
    html! {
        section class="card confirm" role="alertdialog" aria-labelledby="bl-confirm" {
            p class="lead" id="bl-confirm" { strong {
                (view.t("Ajouter à la liste noire", "Add to the blacklist")) " " (whose) " : " (kind.noun(view.lang)) " " (shown) " ?"
            } }
            p { (view.t("Motif", "Reason")) " : " (st.reason) }
            p class="small muted" { (view.t(
                "Les prochains paiements concernés seront refusés (code 585) sans être envoyés à la banque ; l'ajout est inscrit au journal d'audit.",
                "The next payments concerned will be refused (code 585) without being sent to the bank; the addition goes into the audit log.")) }
            form method="post" action=(action(d)) hx-post=(action(d)) hx-target={"#" (TAB_ID)} hx-swap="outerHTML" {
                (csrf(view))
                input type="hidden" name="kind" value=(kind.key());
                input type="hidden" name="reason" value=(st.reason);
                input type="hidden" name="scope" value=(st.scope);
                input type="hidden" name="confirmed" value="1";
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Confirmer l'ajout", "Confirm the addition")) }
                    a class="button" href=(back) hx-get=(back) hx-target={"#" (TAB_ID)} hx-swap="outerHTML" { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    }
}

/// The tab's content.
pub fn tab(view: &View, d: &TransactionDetail, st: &TabState) -> Markup {
    let may = view.user().is_some_and(|u| u.may(Permission::ManageUsers));
    let h_value = view.t("Valeur", "Value");
    let h_status = view.t("Liste noire", "Blacklist");
    let values = values(d);
    html! {
        @if let Some((added, id)) = st.done {
            div class="flash ok" role="status" {
                @if added { (view.t("Entrée n°", "Entry no.")) " " (id) " " (view.t("ajoutée à la liste noire.", "added to the blacklist.")) }
                @else { (view.t("Déjà en liste noire : entrée n°", "Already blacklisted: entry no.")) " " (id) "." }
            }
        }
        @if st.kind.is_none() && let Some(e) = &st.error {
            div class="flash err" role="alert" { (e.message(view.lang)) }
        }
        @if st.confirm && let Some((k, shown)) = values.iter().find(|(k, _)| Some(*k) == st.kind) {
            (confirm_box(view, d, *k, shown, st))
        }
        p class="muted" { (view.t(
            "Ce qui, dans cette transaction, est en liste noire : un paiement qui présente une valeur listée est refusé avant la banque.",
            "What in this transaction is blacklisted: a payment showing a listed value is refused before the bank.")) }
        div class="table-wrap stack-wrap" { table class="grid stack" {
            thead { tr { th { (view.t("Élément", "Item")) } th { (h_value) } th { (h_status) } th { span class="sr-only" { "Action" } } } }
            tbody { @for (kind, shown) in &values {
                @let hits: Vec<&Entry> = d.blacklist.iter().filter(|e| e.kind == *kind).collect();
                tr {
                    td class="lead" { (kind.label(view.lang)) }
                    td data-label=(h_value) { @if shown.is_empty() { span class="muted" { "—" } } @else { (shown) } }
                    td data-label=(h_status) {
                        @if hits.is_empty() { (view.t("Non", "No")) }
                        @for e in &hits { div { (listed(view, d, e)) } }
                    }
                    td class="end" {
                        @if may && hits.is_empty() && !shown.is_empty() { (add_form(view, d, *kind, st)) }
                    }
                }
            } }
        } }
    }
}
