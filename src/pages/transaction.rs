//! The transaction detail (PROC-5): General information and the tabs loaded in place.

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::transactions::{card_type, datetime, merchant_name, table};
use crate::db::notes::{HistoryEntry, JournalEntry, NoteEntry};
use crate::db::{self, Db, Scope};
use crate::domain::codes::ResultCode;
use crate::domain::money::format_amount;
use crate::domain::transaction::{
    AuthorizationState, Operation, Party, Transaction, authorization_state,
};
use crate::domain::user::Merchant;
use crate::fragments::flash;
use crate::fragments::form::csrf;
use crate::handlers::Ctx;

pub const TAB_ID: &str = "tab";

/// Everything the detail shows.
pub struct Detail {
    pub tx: Transaction,
    pub associated: Vec<Transaction>,
    pub merchant: Option<Merchant>,
    pub merchants: Vec<Merchant>,
    pub notes: Vec<NoteEntry>,
    pub history: Vec<HistoryEntry>,
    pub journal: Vec<JournalEntry>,
    /// A message above the tab (after an operation): (`ok` / `err`, text).
    pub notice: Option<(&'static str, String)>,
}

impl Detail {
    /// `None` when the transaction does not exist or is not visible in `scope`.
    pub fn load(db: &Db, scope: Scope, id: u64) -> db::Result<Option<Detail>> {
        let Some(tx) = db.transaction(scope, id)? else {
            return Ok(None);
        };
        let mut associated = Vec::new();
        if let Some(p) = tx
            .parent_id
            .and_then(|p| db.transaction(scope, p).transpose())
        {
            associated.push(p?);
        }
        associated.extend(db.children(scope, id)?);
        associated.sort_by_key(|t| std::cmp::Reverse(t.id));
        Ok(Some(Detail {
            merchant: db.merchant(scope, tx.merchant_id)?,
            merchants: db.merchants(scope)?,
            notes: db.notes(id)?,
            history: db.history(id)?,
            journal: db.journal(id)?,
            notice: None,
            associated,
            tx,
        }))
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
    pub fn visible(self, ctx: &Ctx) -> bool {
        self != DetailTab::Operations || ctx.user().is_some_and(|u| u.permissions().operate)
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

    fn label(self, ctx: &Ctx, d: &Detail) -> String {
        match self {
            DetailTab::General => ctx
                .t("Informations générales", "General information")
                .into(),
            DetailTab::Associated => format!(
                "{} ({})",
                ctx.t("Transactions associées", "Associated transactions"),
                d.associated.len()
            ),
            DetailTab::Journal => format!(
                "{} ({})",
                ctx.t("Journal", "Journal"),
                journal_lines(ctx, d).len()
            ),
            DetailTab::Operations => ctx.t("Opérations", "Operations").into(),
            DetailTab::Notes => format!("{} ({})", ctx.t("Notes", "Notes"), d.notes.len()),
            DetailTab::History => ctx.t("Historique", "History").into(),
        }
    }
}

fn tab_bar(ctx: &Ctx, d: &Detail, current: DetailTab) -> Markup {
    html! {
        nav class="tabs-inline" {
            @for t in DetailTab::ALL.into_iter().filter(|t| t.visible(ctx)) {
                @let href = format!("/transactions/{}?tab={}", d.tx.id, t.key());
                @let hx = format!("/transactions/{}/tab/{}", d.tx.id, t.key());
                a href=(href) hx-get=(hx) hx-target={"#" (TAB_ID)} hx-swap="outerHTML" aria-current=[(t == current).then_some("page")] { (t.label(ctx, d)) }
            }
        }
    }
}

pub fn detail_page(ctx: &Ctx, d: &Detail, tab: DetailTab) -> Markup {
    let title = format!("{} {}", ctx.t("Transaction", "Transaction"), d.tx.id);
    let body = html! {
        p class="small" { a href="/transactions" { "‹ " (ctx.t("Transactions", "Transactions")) } }
        h1 { (title) " · " (d.tx.operation.label(ctx.lang)) " · " (format_amount(d.tx.amount, d.tx.currency, ctx.lang)) }
        (tab_fragment(ctx, d, tab))
    };
    page(
        ctx,
        &title,
        Tab::Processing,
        Some(super::terminal::processing_subtabs(ctx, "/transactions")),
        body,
    )
}

/// The tab bar and one tab's content: what htmx swaps.
pub fn tab_fragment(ctx: &Ctx, d: &Detail, tab: DetailTab) -> Markup {
    html! {
        div id=(TAB_ID) {
            (tab_bar(ctx, d, tab))
            @match tab {
                DetailTab::General => (general(ctx, d)),
                DetailTab::Associated => (table(ctx, &d.associated, &d.merchants)),
                DetailTab::Journal => (journal(ctx, d)),
                DetailTab::Operations => (super::operations::operations_tab(ctx, d)),
                DetailTab::Notes => (notes_body(ctx, d, None)),
                DetailTab::History => (history(ctx, d)),
            }
        }
    }
}

fn kv(rows: &[(&str, String)]) -> Markup {
    html! { dl class="kv" { @for (k, v) in rows { dt { (k) } dd { (v) } } } }
}

fn yes(ctx: &Ctx, b: bool) -> String {
    if b {
        ctx.t("✓ oui", "✓ yes").into()
    } else {
        ctx.t("non", "no").into()
    }
}

fn party(ctx: &Ctx, p: &Party, full: bool) -> Markup {
    let mut rows = vec![
        (ctx.t("Nom", "Name"), p.name.clone()),
        (ctx.t("Adresse", "Address"), p.address.clone()),
        (ctx.t("Code postal", "Postcode"), p.postcode.clone()),
        (ctx.t("Ville", "City"), p.city.clone()),
        (ctx.t("État", "State"), p.state.clone()),
        (ctx.t("Pays", "Country"), p.country.clone()),
        (ctx.t("Téléphone", "Phone"), p.phone.clone()),
    ];
    if full {
        rows.push((ctx.t("Adresse électronique", "Email"), p.email.clone()));
        rows.push((
            ctx.t("Date de naissance", "Birth date"),
            p.birth_date.clone(),
        ));
        rows.push((
            ctx.t("Numéro d'identification", "ID number"),
            p.id_number.clone(),
        ));
    }
    kv(&rows)
}

fn general(ctx: &Ctx, d: &Detail) -> Markup {
    let tx = &d.tx;
    let card = tx.card.clone().unwrap_or_default();
    let mut general = vec![
        (
            ctx.t("Type de transaction", "Transaction type"),
            card_type(ctx).to_string(),
        ),
        (
            ctx.t("Identifiant de transaction", "Transaction ID"),
            tx.id.to_string(),
        ),
        (
            ctx.t("Opération", "Operation"),
            tx.operation.label(ctx.lang).to_string(),
        ),
        (
            ctx.t("Montant", "Amount"),
            format_amount(tx.amount, tx.currency, ctx.lang),
        ),
        ("Date", datetime(tx.at)),
        (
            ctx.t("Statut", "Status"),
            tx.status().label(ctx.lang).to_string(),
        ),
        (
            ctx.t("Code de retour", "Result code"),
            format!("{} - {}", tx.code, tx.code.text(ctx.lang)),
        ),
        (
            ctx.t("Transaction de test", "Test transaction"),
            yes(ctx, tx.test),
        ),
    ];
    if let Some(s) = tx.settlement_date() {
        general.push((
            ctx.t("Crédit marchand prévu", "Expected settlement"),
            datetime(s.unix_timestamp()),
        ));
    }
    if tx.operation == Operation::Authorization
        && tx.status() == crate::domain::transaction::Status::Accepted
    {
        let state = match authorization_state(tx, &d.associated, ctx.now()) {
            AuthorizationState::Pending { expires_at } => format!(
                "{} {}",
                ctx.t("En attente de capture jusqu'au", "Awaiting capture until"),
                datetime(expires_at.unix_timestamp())
            ),
            AuthorizationState::Captured => ctx.t("Capturée", "Captured").into(),
            AuthorizationState::Cancelled => ctx.t("Annulée", "Cancelled").into(),
            AuthorizationState::Expired => ctx
                .t(
                    "Expirée (7 jours sans capture)",
                    "Expired (7 days without capture)",
                )
                .into(),
        };
        general.push((ctx.t("Autorisation", "Authorization"), state));
    }
    let expiry = if card.exp_month > 0 {
        format!("{:02} / {}", card.exp_month, card.exp_year)
    } else {
        String::new()
    };
    let card_rows = vec![
        (
            ctx.t("Numéro de carte", "Card number"),
            if card.last4.is_empty() {
                String::new()
            } else {
                card.masked()
            },
        ),
        (ctx.t("Date d'expiration", "Expiry date"), expiry),
        (ctx.t("Nom du porteur", "Holder name"), card.holder.clone()),
        (
            ctx.t("Marque de la carte", "Card brand"),
            card.brand.map(|b| b.name().to_string()).unwrap_or_default(),
        ),
        (
            ctx.t("Pays émetteur", "Issuer country"),
            card.country.clone(),
        ),
        (
            // Never the token itself (H1): that it exists, and a short fingerprint.
            ctx.t("Carte enregistrée", "Stored card"),
            if card.token.is_empty() {
                ctx.t("non", "no").to_string()
            } else {
                format!(
                    "{} · {}",
                    ctx.t("enregistrée", "stored"),
                    crate::domain::card::token_fingerprint(&card.token)
                )
            },
        ),
        ("3D Secure", yes(ctx, card.three_ds)),
        (
            ctx.t("Descripteur du relevé bancaire", "Statement descriptor"),
            tx.statement_descriptor.clone(),
        ),
    ];
    let m = d.merchant.as_ref();
    let initiator = vec![
        (
            ctx.t("Société", "Company"),
            m.map(|m| m.company.clone())
                .unwrap_or_else(|| merchant_name(&d.merchants, tx.merchant_id)),
        ),
        (ctx.t("Nom", "Name"), tx.initiator.user_name.clone()),
        (ctx.t("Adresse IP", "IP address"), tx.initiator.ip.clone()),
        (
            "Terminal",
            if tx.initiator.terminal == 0 {
                String::new()
            } else {
                tx.initiator.terminal.to_string()
            },
        ),
        (
            ctx.t("Compte marchand", "Merchant account"),
            tx.initiator.merchant_account.clone(),
        ),
        (
            ctx.t("Identifiant point de vente", "Point of sale ID"),
            tx.initiator.point_of_sale.clone(),
        ),
    ];
    let sale = vec![
        (
            ctx.t("ID de la commande", "Order ID"),
            tx.sale.order_id.clone(),
        ),
        (
            ctx.t("Description de la commande", "Order description"),
            tx.sale.description.clone(),
        ),
        (
            ctx.t("Montant de la commande", "Order amount"),
            tx.sale
                .order_amount
                .map(|a| format_amount(a, tx.currency, ctx.lang))
                .unwrap_or_default(),
        ),
        (
            ctx.t("ID du produit", "Product ID"),
            tx.sale.product_id.clone(),
        ),
        (ctx.t("Commentaire", "Comment"), tx.sale.comment.clone()),
    ];
    let affiliation = vec![
        (
            ctx.t("Numéro d'affilié", "Affiliate number"),
            tx.affiliation.affiliate_number.clone(),
        ),
        (
            ctx.t("Nom de la campagne d'affiliation", "Affiliation campaign"),
            tx.affiliation.campaign.clone(),
        ),
    ];
    html! {
        div class="kv-groups" {
            section class="card" { h2 { (ctx.t("Général", "General")) } (kv(&general)) }
            section class="card" { h2 { (ctx.t("Carte bancaire", "Credit card")) } (kv(&card_rows)) }
            section class="card" { h2 { (ctx.t("Initiateur", "Initiator")) } (kv(&initiator)) }
            section class="card" { h2 { (ctx.t("Détails de la vente", "Sale details")) } (kv(&sale)) }
            section class="card" { h2 { (ctx.t("Acheteur", "Buyer")) } (party(ctx, &tx.buyer, true)) }
            section class="card" { h2 { (ctx.t("Information de livraison", "Shipping information")) } (party(ctx, &tx.shipping, false)) }
            section class="card" { h2 { (ctx.t("Informations d'affiliation", "Affiliation")) } (kv(&affiliation)) }
        }
    }
}

/// The stored processing steps as (time, text, code), or the outcome recorded on
/// the row itself for rows written without a journal (imports, demo data).
fn journal_lines(ctx: &Ctx, d: &Detail) -> Vec<(i64, String, Option<ResultCode>)> {
    if !d.journal.is_empty() {
        return d
            .journal
            .iter()
            .map(|j| {
                let mut text = j.step.text(ctx.lang);
                if let Some(c) = j.code {
                    text = format!("{text} – {}", c.text(ctx.lang));
                }
                (j.at, text, j.code)
            })
            .collect();
    }
    vec![(
        d.tx.at,
        format!(
            "{} – {}",
            d.tx.operation.label(ctx.lang),
            d.tx.code.text(ctx.lang)
        ),
        Some(d.tx.code),
    )]
}

fn journal(ctx: &Ctx, d: &Detail) -> Markup {
    html! {
        div class="table-wrap" { table class="grid" {
            thead { tr { th { "Date" } th { (ctx.t("Étape", "Step")) } th { "Code" } } }
            tbody { @for (at, text, code) in journal_lines(ctx, d) {
                tr { td class="nowrap" { (datetime(at)) } td { (text) } td { @if let Some(c) = code { (c) } } }
            } }
        } }
    }
}

fn history(ctx: &Ctx, d: &Detail) -> Markup {
    html! {
        @if d.history.is_empty() {
            p class="muted" { (ctx.t("Aucune action sur cette transaction depuis sa création.", "No action on this transaction since it was created.")) }
        } @else {
            div class="table-wrap" { table class="grid" {
                thead { tr { th { "Date" } th { (ctx.t("Utilisateur", "User")) } th { (ctx.t("Adresse IP", "IP address")) } th { "Action" } th { (ctx.t("Détail", "Detail")) } } }
                tbody { @for h in &d.history {
                    tr { td class="nowrap" { (datetime(h.at)) } td { (h.user) } td { (h.ip) } td { code { (h.action) } } td { (h.detail) } }
                } }
            } }
        }
    }
}

fn notes_body(ctx: &Ctx, d: &Detail, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { (flash("err", e)) }
        @for n in &d.notes {
            section class="card" { p class="small muted" { (datetime(n.at)) " · " (n.author) } p { (n.text) } }
        }
        form class="form card" method="post" action={"/transactions/" (d.tx.id) "/notes"} {
            (csrf(ctx))
            div class="field" {
                label for="f-note" { (ctx.t("Ajouter une note", "Add a note")) }
                textarea id="f-note" name="text" rows="3" maxlength="2000" required {}
            }
            div class="actions" { button class="primary" type="submit" { (ctx.t("Enregistrer la note", "Save the note")) } }
        }
    }
}

/// The Notes tab alone, with an error (after a refused note).
pub fn notes(ctx: &Ctx, d: &Detail, error: Option<&str>) -> Markup {
    let title = format!("{} {}", ctx.t("Transaction", "Transaction"), d.tx.id);
    let body = html! {
        h1 { (title) }
        div id=(TAB_ID) { (tab_bar(ctx, d, DetailTab::Notes)) (notes_body(ctx, d, error)) }
    };
    page(ctx, &title, Tab::Processing, None, body)
}
