//! Parameters › Blacklist (FRAUD-4): the entries in scope (search, filter by kind),
//! the add form and its confirmation, and the removal's confirmation.

use maud::{Markup, html};

use super::layout::parameters_page;
use crate::domain::blacklist::{AddForm, Entry, Kind, Parsed};
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::{Input, Select, csrf, error_for};

pub const PATH: &str = "/parameters/blacklist";

/// Everything the list page shows.
pub struct ListView<'a> {
    /// The entries found, newest first (at most a page of them).
    pub entries: &'a [Entry],
    /// How many matched in all.
    pub total: usize,
    pub q: &'a str,
    pub kind: Option<Kind>,
    /// The merchants in scope (names; an admin's scope choices).
    pub merchants: &'a [Merchant],
    pub form: &'a AddForm,
    pub errors: &'a [FieldError],
    pub done: Option<String>,
}

fn title(view: &View) -> &'static str {
    view.t("Liste noire", "Blacklist")
}

fn may_manage(view: &View) -> bool {
    view.user().is_some_and(|u| u.may(Permission::ManageUsers))
}

fn is_admin(view: &View) -> bool {
    view.user().is_some_and(|u| u.may(Permission::Admin))
}

/// "all merchants" or the merchant's name.
pub fn scope_name(view: &View, merchants: &[Merchant], merchant_id: Option<u64>) -> String {
    match merchant_id {
        None => view.t("Tous les marchands", "All merchants").into(),
        Some(m) => merchants
            .iter()
            .find(|x| x.id == m)
            .map_or_else(|| m.to_string(), |x| x.name.clone()),
    }
}

fn kind_options(view: &View, with_card: bool) -> Vec<(String, String)> {
    Kind::ALL
        .into_iter()
        .filter(|k| with_card || *k != Kind::Card)
        .map(|k| (k.key().to_string(), k.label(view.lang).to_string()))
        .collect()
}

fn filters(view: &View, v: &ListView) -> Markup {
    let kinds = kind_options(view, true);
    let kind = v.kind.map_or("", Kind::key);
    html! {
        form class="filters card" method="get" action=(PATH) role="search" {
            div class="grid2" {
                (Input::new("q", view.t("Rechercher", "Search"), v.q).kind("search").hint(view.t("Valeur, motif ou auteur.", "Value, reason or author.")).render())
                (Select::new("kind", view.t("Type", "Type"), &kinds, kind).id_prefix("q").any(view.t("Tous", "All")).render())
            }
            div class="actions" { button type="submit" { (view.t("Filtrer", "Filter")) } }
        }
    }
}

fn table(view: &View, v: &ListView) -> Markup {
    let h = |fr, en| view.t(fr, en);
    let manage = may_manage(view);
    html! {
        @if v.entries.is_empty() {
            p class="empty" { (h("Aucune entrée ne correspond.", "No entry matches.")) }
        } @else {
            p class="small muted" { (v.total) " " (h("entrée(s)", "entry(ies)"))
                @if v.total > v.entries.len() { " · " (h("les plus récentes sont affichées ; affinez la recherche.", "the newest are shown; narrow the search.")) } }
            div class="table-wrap stack-wrap" { table class="grid stack" {
                thead { tr {
                    th { (h("Valeur", "Value")) } th { (h("Type", "Type")) } th { (h("Portée", "Scope")) }
                    th { (h("Motif", "Reason")) } th { (h("Ajoutée par", "Added by")) } th { "Date" }
                    th { span class="sr-only" { "Actions" } }
                } }
                tbody { @for e in v.entries {
                    tr {
                        td class="lead" { (e.shown) }
                        td data-label=(h("Type", "Type")) { (e.kind.label(view.lang)) }
                        td data-label=(h("Portée", "Scope")) { (scope_name(view, v.merchants, e.merchant_id)) }
                        td data-label=(h("Motif", "Reason")) { (e.reason) }
                        td data-label=(h("Ajoutée par", "Added by")) { (e.added_by) }
                        td data-label="Date" class="nowrap" { (format_datetime(e.added_at, view.lang, view.zone)) }
                        td class="end" { @if manage {
                            a href={(PATH) "/" (e.id) "/remove"} { (h("Retirer", "Remove")) }
                        } }
                    }
                } }
            } }
        }
    }
}

fn scope_options(view: &View, merchants: &[Merchant]) -> Vec<(String, String)> {
    let mut out = vec![(
        "global".to_string(),
        view.t("Tous les marchands", "All merchants").to_string(),
    )];
    out.extend(merchants.iter().map(|m| (m.id.to_string(), m.name.clone())));
    out
}

fn add_form(view: &View, v: &ListView) -> Markup {
    let err = |f: &str| error_for(v.errors, f, view.lang);
    let kinds = kind_options(view, false);
    let scopes = scope_options(view, v.merchants);
    html! {
        form class="form card" method="post" action={(PATH) "/new"} id="bl-add" {
            h2 { (view.t("Ajouter une entrée", "Add an entry")) }
            (csrf(view))
            div class="grid2" {
                (Select::new("kind", view.t("Type", "Type"), &kinds, &v.form.kind).required(true).error(err("kind")).render())
                (Input::new("value", view.t("Valeur", "Value"), &v.form.value).required().error(err("value"))
                    .hint(view.t("Email, adresse IP ou plage CIDR (10.0.0.0/8, 2001:db8::/32), nom du porteur. Une carte s'ajoute depuis l'onglet « Liste noire » d'une transaction.",
                        "Email, IP address or CIDR range (10.0.0.0/8, 2001:db8::/32), holder name. A card is added from a transaction's \"Blacklist\" tab.")).render())
                (Input::new("reason", view.t("Motif", "Reason"), &v.form.reason).required().error(err("reason")).render())
                @if is_admin(view) {
                    (Select::new("scope", view.t("Portée", "Scope"), &scopes, if v.form.scope.is_empty() { "global" } else { &v.form.scope }).required(true).error(err("scope")).render())
                }
            }
            div class="actions" { button class="primary" type="submit" { (view.t("Ajouter…", "Add…")) } }
        }
    }
}

/// The list, its filters and (for those who manage it) the add form.
pub fn list_page(view: &View, v: &ListView) -> Markup {
    let body = html! {
        h1 { (title(view)) }
        @if let Some(d) = &v.done { (flash("ok", d)) }
        @if !v.errors.is_empty() { (flash("err", view.t("Corrigez les champs signalés : rien n'a été enregistré.", "Please correct the fields shown: nothing was saved."))) }
        p class="muted" { (view.t(
            "Un paiement dont la carte, l'email, l'adresse IP ou le nom du porteur figure ici est refusé (code 585) avant d'être envoyé à la banque.",
            "A payment whose card, email, IP address or holder name is listed here is refused (code 585) before it is sent to the bank.")) }
        @if may_manage(view) { (add_form(view, v)) }
        (filters(view, v))
        (table(view, v))
    };
    parameters_page(view, title(view), PATH, body)
}

/// "Add … to the list of …?" with the values to post again, confirmed.
pub fn confirm_add_page(view: &View, p: &Parsed, merchants: &[Merchant]) -> Markup {
    let (kind, _, shown, merchant_id, reason) = p;
    let scope = merchant_id.map_or("global".to_string(), |m| m.to_string());
    let body = html! {
        p class="small" { a href=(PATH) { "‹ " (title(view)) } }
        h1 { (view.t("Confirmer l'ajout", "Confirm the addition")) }
        section class="card confirm" {
            p class="lead" { strong { (kind.label(view.lang)) " : " (shown) } }
            dl class="kv" {
                dt { (view.t("Portée", "Scope")) } dd { (scope_name(view, merchants, *merchant_id)) }
                dt { (view.t("Motif", "Reason")) } dd { (reason) }
            }
            p class="small muted" { (view.t(
                "Les prochains paiements concernés seront refusés sans être envoyés à la banque ; l'ajout est inscrit au journal d'audit.",
                "The next payments concerned will be refused without being sent to the bank; the addition goes into the audit log.")) }
            form method="post" action={(PATH) "/new"} {
                (csrf(view))
                input type="hidden" name="kind" value=(kind.key());
                input type="hidden" name="value" value=(shown);
                input type="hidden" name="reason" value=(reason);
                input type="hidden" name="scope" value=(scope);
                input type="hidden" name="confirmed" value="1";
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Ajouter à la liste noire", "Add to the blacklist")) }
                    a class="button" href=(PATH) { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    parameters_page(view, title(view), PATH, body)
}

/// "Remove … from the list?"
pub fn confirm_remove_page(view: &View, e: &Entry, merchants: &[Merchant]) -> Markup {
    let body = html! {
        p class="small" { a href=(PATH) { "‹ " (title(view)) } }
        h1 { (view.t("Retirer de la liste noire", "Remove from the blacklist")) }
        section class="card confirm" {
            p class="lead" { strong { (e.kind.label(view.lang)) " : " (e.shown) } }
            dl class="kv" {
                dt { (view.t("Portée", "Scope")) } dd { (scope_name(view, merchants, e.merchant_id)) }
                dt { (view.t("Motif", "Reason")) } dd { (e.reason) }
                dt { (view.t("Ajoutée par", "Added by")) } dd { (e.added_by) ", " (format_datetime(e.added_at, view.lang, view.zone)) }
            }
            p class="small muted" { (view.t(
                "Les paiements concernés ne seront plus refusés par cette entrée ; le retrait est inscrit au journal d'audit.",
                "Payments concerned will no longer be refused by this entry; the removal goes into the audit log.")) }
            form method="post" action={(PATH) "/" (e.id) "/remove"} {
                (csrf(view))
                input type="hidden" name="confirmed" value="1";
                div class="actions" {
                    button class="primary" type="submit" { (view.t("Retirer l'entrée", "Remove the entry")) }
                    a class="button" href=(PATH) { (view.t("Ne rien faire", "Go back")) }
                }
            }
        }
    };
    parameters_page(view, title(view), PATH, body)
}
