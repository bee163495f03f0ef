//! The transaction detail (PROC-5): General information and the tabs loaded in place.

use maud::{Markup, html};

use super::layout::processing_page;
use super::transaction_summary::summary;
use crate::domain::Lang;
use crate::domain::codes::ResultCode;
use crate::domain::countries;
use crate::domain::detail::TransactionDetail;
use crate::domain::merchant::name_of;
use crate::domain::money::format_amount;
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::transaction::{AuthorizationState, Operation, Party, authorization_state};
use crate::fragments::View;
use crate::fragments::flash;
use crate::fragments::form::csrf;
use crate::fragments::kv::kv;
use crate::fragments::tables::{card_type, transactions_table};

pub const TAB_ID: &str = "tab";

/// A message above the tab: after an operation, or why an operation or a note was
/// refused. A refused amount is shown in place, under the field, with what was typed.
pub struct Notice {
    /// `ok` or `err`.
    pub kind: &'static str,
    pub text: String,
    /// The operation whose amount field the message belongs to, and the amount as typed.
    pub at: Option<(Operation, String)>,
}

impl Notice {
    pub fn ok(text: String) -> Notice {
        Notice {
            kind: "ok",
            text,
            at: None,
        }
    }

    pub fn err(text: String) -> Notice {
        Notice {
            kind: "err",
            text,
            at: None,
        }
    }

    /// A refusal of `op` for the amount `typed`, shown beside its field.
    pub fn field(op: Operation, typed: &str, text: String) -> Notice {
        Notice {
            kind: "err",
            text,
            at: Some((op, typed.chars().take(40).collect())),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    General,
    Associated,
    Journal,
    Operations,
    Notes,
    History,
}

impl DetailTab {
    const ALL: [DetailTab; 6] = [
        DetailTab::General,
        DetailTab::Associated,
        DetailTab::Journal,
        DetailTab::Operations,
        DetailTab::Notes,
        DetailTab::History,
    ];

    pub fn parse(s: &str) -> Option<DetailTab> {
        DetailTab::ALL.into_iter().find(|t| t.key() == s)
    }

    /// The Operations tab is only for users who may operate (OPS).
    pub fn visible(self, view: &View) -> bool {
        self != DetailTab::Operations || view.user().is_some_and(|u| u.may(Permission::Operate))
    }

    fn key(self) -> &'static str {
        match self {
            DetailTab::General => "general",
            DetailTab::Associated => "associated",
            DetailTab::Journal => "journal",
            DetailTab::Operations => "operations",
            DetailTab::Notes => "notes",
            DetailTab::History => "history",
        }
    }

    fn label(self, view: &View, d: &TransactionDetail) -> String {
        match self {
            DetailTab::General => view
                .t("Informations générales", "General information")
                .into(),
            DetailTab::Associated => format!(
                "{} ({})",
                view.t("Transactions associées", "Associated transactions"),
                d.associated.len()
            ),
            DetailTab::Journal => format!(
                "{} ({})",
                view.t("Journal", "Journal"),
                journal_lines(view, d).len()
            ),
            DetailTab::Operations => view.t("Opérations", "Operations").into(),
            DetailTab::Notes => format!("{} ({})", view.t("Notes", "Notes"), d.notes.len()),
            DetailTab::History => view.t("Historique", "History").into(),
        }
    }
}

fn tab_bar(view: &View, d: &TransactionDetail, current: DetailTab) -> Markup {
    html! {
        nav class="tabs-inline" aria-label=(view.t("Onglets de la transaction", "Transaction tabs")) {
            @for t in DetailTab::ALL.into_iter().filter(|t| t.visible(view)) {
                // The tab is in the address bar (issue 10): reload, Back and a shared link
                // all come back to it.
                @let href = format!("/transactions/{}?tab={}", d.tx.id, t.key());
                a href=(href) hx-get=(href) hx-push-url="true" hx-target={"#" (TAB_ID)} hx-swap="outerHTML" aria-current=[(t == current).then_some("page")] { (t.label(view, d)) }
            }
        }
    }
}

pub fn detail_page(
    view: &View,
    d: &TransactionDetail,
    tab: DetailTab,
    notice: Option<&Notice>,
) -> Markup {
    let title = format!("{} {}", view.t("Transaction", "Transaction"), d.tx.id);
    let body = html! {
        p class="small" { a href="/transactions" { "‹ " (view.t("Transactions", "Transactions")) } }
        (summary(view, d))
        (tab_fragment(view, d, tab, notice))
    };
    processing_page(view, &title, "/transactions", body)
}

/// The tab bar and one tab's content: what htmx swaps.
pub fn tab_fragment(
    view: &View,
    d: &TransactionDetail,
    tab: DetailTab,
    notice: Option<&Notice>,
) -> Markup {
    html! {
        div id=(TAB_ID) {
            (tab_bar(view, d, tab))
            @match tab {
                DetailTab::General => (general(view, d)),
                DetailTab::Associated => (transactions_table(view, &d.associated, &d.merchants)),
                DetailTab::Journal => (journal(view, d)),
                DetailTab::Operations => (super::operations::operations_tab(view, d, notice)),
                DetailTab::Notes => (notes_body(view, d, notice)),
                DetailTab::History => (history(view, d)),
            }
        }
    }
}

fn yes(view: &View, b: bool) -> String {
    if b {
        view.t("✓ oui", "✓ yes").into()
    } else {
        view.t("non", "no").into()
    }
}

/// A country by its name in the reader's language ("Maroc", "Morocco"); an unknown
/// code as it was stored.
fn country(code: &str, lang: Lang) -> String {
    countries::name(code.trim(), lang)
        .map(str::to_string)
        .unwrap_or_else(|| code.to_string())
}

fn party_rows(view: &View, p: &Party, full: bool) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        (view.t("Nom", "Name"), p.name.clone()),
        (view.t("Adresse", "Address"), p.address.clone()),
        (view.t("Code postal", "Postcode"), p.postcode.clone()),
        (view.t("Ville", "City"), p.city.clone()),
        (view.t("État", "State"), p.state.clone()),
        (view.t("Pays", "Country"), country(&p.country, view.lang)),
        (view.t("Téléphone", "Phone"), p.phone.clone()),
    ];
    if full {
        rows.push((view.t("Adresse électronique", "Email"), p.email.clone()));
        rows.push((
            view.t("Date de naissance", "Birth date"),
            p.birth_date.clone(),
        ));
        rows.push((
            view.t("Numéro d'identification", "ID number"),
            p.id_number.clone(),
        ));
    }
    rows
}

/// The General card: what, how much, when, with which result.
fn general_rows(view: &View, d: &TransactionDetail) -> Vec<(&'static str, String)> {
    let tx = &d.tx;
    let mut general = vec![
        (
            view.t("Type de transaction", "Transaction type"),
            card_type(view).to_string(),
        ),
        (
            view.t("Identifiant de transaction", "Transaction ID"),
            tx.id.to_string(),
        ),
        (
            view.t("Opération", "Operation"),
            tx.operation.label(view.lang).to_string(),
        ),
        (
            view.t("Montant", "Amount"),
            format_amount(tx.amount, tx.currency, view.lang),
        ),
        ("Date", format_datetime(tx.at)),
        (
            view.t("Statut", "Status"),
            tx.status().label(view.lang).to_string(),
        ),
        (
            view.t("Code de retour", "Result code"),
            format!("{} - {}", tx.code, tx.code.text(view.lang)),
        ),
        (
            view.t("Transaction de test", "Test transaction"),
            yes(view, tx.test),
        ),
    ];
    if let Some(s) = tx.settlement_date() {
        general.push((
            view.t("Crédit marchand prévu", "Expected settlement"),
            format_datetime(s.unix_timestamp()),
        ));
    }
    if tx.operation == Operation::Authorization
        && tx.status() == crate::domain::transaction::Status::Accepted
    {
        let state = match authorization_state(tx, &d.associated, view.now) {
            AuthorizationState::Pending { expires_at } => format!(
                "{} {}",
                view.t("En attente de capture jusqu'au", "Awaiting capture until"),
                format_datetime(expires_at.unix_timestamp())
            ),
            AuthorizationState::Captured => view.t("Capturée", "Captured").into(),
            AuthorizationState::Cancelled => view.t("Annulée", "Cancelled").into(),
            AuthorizationState::Expired => view
                .t(
                    "Expirée (7 jours sans capture)",
                    "Expired (7 days without capture)",
                )
                .into(),
        };
        general.push((view.t("Autorisation", "Authorization"), state));
    }
    general
}

/// The Credit card card: masked number, never the stored token.
fn card_rows(view: &View, d: &TransactionDetail) -> Vec<(&'static str, String)> {
    let tx = &d.tx;
    // No card (a row imported without one): no card group at all.
    let Some(card) = tx.card.clone() else {
        return Vec::new();
    };
    let expiry = if card.exp_month > 0 {
        format!("{:02} / {}", card.exp_month, card.exp_year)
    } else {
        String::new()
    };
    let card_rows = vec![
        (
            view.t("Numéro de carte", "Card number"),
            if card.last4.is_empty() {
                String::new()
            } else {
                card.masked()
            },
        ),
        (view.t("Date d'expiration", "Expiry date"), expiry),
        (view.t("Nom du porteur", "Holder name"), card.holder.clone()),
        (
            view.t("Marque de la carte", "Card brand"),
            card.brand.map(|b| b.name().to_string()).unwrap_or_default(),
        ),
        (
            view.t("Pays émetteur", "Issuer country"),
            country(&card.country, view.lang),
        ),
        (
            // Never the token itself (H1): that it exists, and a short fingerprint.
            view.t("Carte enregistrée", "Stored card"),
            if card.token.is_empty() {
                view.t("non", "no").to_string()
            } else {
                format!(
                    "{} · {}",
                    view.t("enregistrée", "stored"),
                    crate::domain::card::token_fingerprint(&card.token)
                )
            },
        ),
        ("3D Secure", yes(view, card.three_ds)),
        (
            view.t("Descripteur du relevé bancaire", "Statement descriptor"),
            tx.statement_descriptor.clone(),
        ),
    ];
    card_rows
}

/// Who made the transaction: merchant, user, address, terminal.
fn initiator_rows(view: &View, d: &TransactionDetail) -> Vec<(&'static str, String)> {
    let tx = &d.tx;
    let m = d.merchant.as_ref();
    let initiator = vec![
        (
            view.t("Société", "Company"),
            m.map(|m| m.company.clone())
                .unwrap_or_else(|| name_of(&d.merchants, tx.merchant_id)),
        ),
        (view.t("Nom", "Name"), tx.initiator.user_name.clone()),
        (view.t("Adresse IP", "IP address"), tx.initiator.ip.clone()),
        (
            "Terminal",
            if tx.initiator.terminal == 0 {
                String::new()
            } else {
                tx.initiator.terminal.to_string()
            },
        ),
        (
            view.t("Compte marchand", "Merchant account"),
            tx.initiator.merchant_account.clone(),
        ),
        (
            view.t("Identifiant point de vente", "Point of sale ID"),
            tx.initiator.point_of_sale.clone(),
        ),
    ];
    initiator
}

/// The order the payment is for.
fn sale_rows(view: &View, d: &TransactionDetail) -> Vec<(&'static str, String)> {
    let tx = &d.tx;
    let sale = vec![
        (
            view.t("ID de la commande", "Order ID"),
            tx.sale.order_id.clone(),
        ),
        (
            view.t("Description de la commande", "Order description"),
            tx.sale.description.clone(),
        ),
        (
            view.t("Montant de la commande", "Order amount"),
            tx.sale
                .order_amount
                .map(|a| format_amount(a, tx.currency, view.lang))
                .unwrap_or_default(),
        ),
        (
            view.t("ID du produit", "Product ID"),
            tx.sale.product_id.clone(),
        ),
        (view.t("Commentaire", "Comment"), tx.sale.comment.clone()),
    ];
    sale
}

/// The affiliation fields.
fn affiliation_rows(view: &View, d: &TransactionDetail) -> Vec<(&'static str, String)> {
    let tx = &d.tx;
    let affiliation = vec![
        (
            view.t("Numéro d'affilié", "Affiliate number"),
            tx.affiliation.affiliate_number.clone(),
        ),
        (
            view.t("Nom de la campagne d'affiliation", "Affiliation campaign"),
            tx.affiliation.campaign.clone(),
        ),
    ];
    affiliation
}

/// The rows that say something: no label followed by nothing.
fn filled(rows: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    rows.into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
}

/// The General tab: one card per group that has something to show (issue 10: no
/// heading followed by nothing).
fn general(view: &View, d: &TransactionDetail) -> Markup {
    let tx = &d.tx;
    let groups = [
        (view.t("Général", "General"), general_rows(view, d)),
        (view.t("Carte bancaire", "Credit card"), card_rows(view, d)),
        (view.t("Initiateur", "Initiator"), initiator_rows(view, d)),
        (
            view.t("Détails de la vente", "Sale details"),
            sale_rows(view, d),
        ),
        (
            view.t("Acheteur", "Buyer"),
            party_rows(view, &tx.buyer, true),
        ),
        (
            view.t("Information de livraison", "Shipping information"),
            party_rows(view, &tx.shipping, false),
        ),
        (
            view.t("Informations d'affiliation", "Affiliation"),
            affiliation_rows(view, d),
        ),
    ];
    html! {
        div class="kv-groups" {
            @for (title, rows) in groups {
                @let rows = filled(rows);
                @if !rows.is_empty() {
                    section class="card" { h2 { (title) } (kv(&rows)) }
                }
            }
        }
    }
}

/// The stored processing steps as (time, text, code), or the outcome recorded on
/// the row itself for rows written without a journal (imports, demo data).
fn journal_lines(view: &View, d: &TransactionDetail) -> Vec<(i64, String, Option<ResultCode>)> {
    if !d.journal.is_empty() {
        return d
            .journal
            .iter()
            .map(|j| {
                let mut text = j.step.text(view.lang);
                if let Some(c) = j.code {
                    text = format!("{text} – {}", c.text(view.lang));
                }
                (j.at, text, j.code)
            })
            .collect();
    }
    vec![(
        d.tx.at,
        format!(
            "{} – {}",
            d.tx.operation.label(view.lang),
            d.tx.code.text(view.lang)
        ),
        Some(d.tx.code),
    )]
}

fn journal(view: &View, d: &TransactionDetail) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr { th { "Date" } th { (view.t("Étape", "Step")) } th { "Code" } } }
            tbody { @for (at, text, code) in journal_lines(view, d) {
                tr { td class="nowrap" { (format_datetime(at)) } td { (text) } td { @if let Some(c) = code { (c) } } }
            } }
        } }
    }
}

/// A history action in words ("Remboursement", "Note ajoutée"); an unknown key as stored.
fn action_words(view: &View, action: &str) -> String {
    match (action, Operation::parse(action)) {
        ("note.add", _) => view.t("Note ajoutée", "Note added").into(),
        (_, Some(op)) => op.label(view.lang).into(),
        (other, None) => other.into(),
    }
}

/// An operation's history detail, stored as "625.25 MAD → 11 (000)", read again from
/// the transaction it wrote: its amount in the reader's format and a link to it.
fn history_detail(view: &View, d: &TransactionDetail, detail: &str) -> Markup {
    let written = detail
        .split_once(" → ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| d.associated.iter().chain([&d.tx]).find(|t| t.id == id));
    match written {
        Some(t) => html! {
            (format_amount(t.amount, t.currency, view.lang)) " → "
            a href={"/transactions/" (t.id)} { (view.t("transaction", "transaction")) " " (t.id) }
            " (" (t.code) " – " (t.code.text(view.lang)) ")"
        },
        None => html! { (detail) },
    }
}

fn history(view: &View, d: &TransactionDetail) -> Markup {
    html! {
        @if d.history.is_empty() {
            p class="muted" { (view.t("Aucune action sur cette transaction depuis sa création.", "No action on this transaction since it was created.")) }
        } @else {
            div class="table-wrap" { table class="grid" {
                thead { tr { th { "Date" } th { (view.t("Utilisateur", "User")) } th { (view.t("Adresse IP", "IP address")) } th { "Action" } th { (view.t("Détail", "Detail")) } } }
                tbody { @for h in &d.history {
                    tr { td class="nowrap" { (format_datetime(h.at)) } td { (h.user) } td { (h.ip) } td { (action_words(view, &h.action)) } td { (history_detail(view, d, &h.detail)) } }
                } }
            } }
        }
    }
}

fn notes_body(view: &View, d: &TransactionDetail, notice: Option<&Notice>) -> Markup {
    html! {
        @if let Some(n) = notice { (flash(n.kind, &n.text)) }
        @for n in &d.notes {
            section class="card" { p class="small muted" { (format_datetime(n.at)) " · " (n.author) } p { (n.text) } }
        }
        form class="form card" method="post" action={"/transactions/" (d.tx.id) "/notes"} {
            (csrf(view))
            div class="field" {
                label for="f-note" { (view.t("Ajouter une note", "Add a note")) }
                textarea id="f-note" name="text" rows="3" maxlength="2000" required {}
            }
            div class="actions" { button class="primary" type="submit" { (view.t("Enregistrer la note", "Save the note")) } }
        }
    }
}
