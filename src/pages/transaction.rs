//! The transaction detail (PROC-5): the summary, the tab bar (each tab a URL) and the
//! tabs loaded in place; the General tab lives in `transaction_general`.

use maud::{Markup, html};

use super::layout::processing_page;
use super::transaction_summary::summary;
use crate::domain::codes::ResultCode;
use crate::domain::detail::TransactionDetail;
use crate::domain::money::format_amount;
use crate::domain::permission::Permission;
use crate::domain::time::format_datetime;
use crate::domain::transaction::Operation;
use crate::domain::tx_log::HistoryEntry;
use crate::fragments::View;
use crate::fragments::form::csrf;
use crate::fragments::tables::transactions_table;

pub const TAB_ID: &str = "tab";

/// A message above the tab: after an operation, or why an operation or a note was
/// refused. A refused amount is shown in place, under the field, with what was typed.
pub struct Notice {
    /// `ok`, `err` or `info`.
    pub kind: &'static str,
    pub text: Markup,
    /// The operation whose amount field the message belongs to, and the amount as typed.
    pub at: Option<(Operation, String)>,
    /// A refused chargeback's reason key and date as typed, to show them again.
    pub dispute: Option<(String, String)>,
}

impl Notice {
    /// A message in words and links (an operation's outcome, with its transaction):
    /// `ok` when `accepted`, `err` otherwise.
    pub fn outcome(accepted: bool, text: Markup) -> Notice {
        Notice {
            kind: if accepted { "ok" } else { "err" },
            text,
            at: None,
            dispute: None,
        }
    }

    pub fn err(text: String) -> Notice {
        Notice {
            kind: "err",
            text: html! { (text) },
            at: None,
            dispute: None,
        }
    }

    pub fn info(text: &str) -> Notice {
        Notice {
            kind: "info",
            text: html! { (text) },
            at: None,
            dispute: None,
        }
    }

    /// The message as a banner above the tab.
    pub fn banner(&self) -> Markup {
        html! { div class={"flash " (self.kind)} role="status" { (self.text) } }
    }

    /// A refusal of `op` for the amount `typed`, shown beside its field.
    pub fn field(op: Operation, typed: &str, text: String) -> Notice {
        Notice {
            kind: "err",
            text: html! { (text) },
            at: Some((op, typed.chars().take(40).collect())),
            dispute: None,
        }
    }

    /// A refusal of a chargeback, with what was typed (amount, reason key, date).
    pub fn dispute(typed: [&str; 3], text: String) -> Notice {
        let keep = |s: &str| s.chars().take(40).collect::<String>();
        Notice {
            dispute: Some((keep(typed[1]), keep(typed[2]))),
            ..Notice::field(Operation::Chargeback, typed[0], text)
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
    Blacklist,
    /// The support tickets about it (issue 14, SUP-1).
    Tickets,
    History,
}

impl DetailTab {
    const ALL: [DetailTab; 8] = [
        DetailTab::General,
        DetailTab::Associated,
        DetailTab::Journal,
        DetailTab::Operations,
        DetailTab::Blacklist,
        DetailTab::Tickets,
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
            DetailTab::Blacklist => "blacklist",
            DetailTab::Tickets => "tickets",
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
            DetailTab::Blacklist => format!(
                "{} ({})",
                view.t("Liste noire", "Blacklist"),
                d.blacklist.len()
            ),
            DetailTab::Tickets => format!("{} ({})", view.t("Tickets", "Tickets"), d.tickets.len()),
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
    detail_page_with(view, d, tab_fragment(view, d, tab, notice))
}

/// The detail page around a tab fragment built elsewhere (the Blacklist tab's steps).
pub fn detail_page_with(view: &View, d: &TransactionDetail, fragment: Markup) -> Markup {
    let title = format!("{} {}", view.t("Transaction", "Transaction"), d.tx.id);
    let body = html! {
        p class="small" { a href="/transactions" { "‹ " (view.t("Transactions", "Transactions")) } }
        (summary(view, d))
        (fragment)
    };
    processing_page(view, &title, "/transactions", body)
}

/// The tab bar with `content` as the tab `tab`: what htmx swaps.
pub fn tab_shell(view: &View, d: &TransactionDetail, tab: DetailTab, content: Markup) -> Markup {
    html! {
        div id=(TAB_ID) {
            (tab_bar(view, d, tab))
            (content)
        }
    }
}

/// The tab bar and one tab's content: what htmx swaps.
pub fn tab_fragment(
    view: &View,
    d: &TransactionDetail,
    tab: DetailTab,
    notice: Option<&Notice>,
) -> Markup {
    let content = html! {
            @match tab {
                DetailTab::General => {
                    @if let Some(n) = notice { (n.banner()) }
                    (super::transaction_general::general(view, d))
                }
                DetailTab::Associated => (transactions_table(view, &d.associated, &d.merchants)),
                DetailTab::Journal => (journal(view, d)),
                DetailTab::Operations => (super::operations::operations_tab(view, d, notice)),
                DetailTab::Notes => (notes_body(view, d, notice)),
                DetailTab::Blacklist => (super::blacklist_tab::tab(view, d, &super::blacklist_tab::TabState::default())),
                DetailTab::Tickets => (super::support::transaction_tab(view, d.tx.id, &d.tickets)),
                DetailTab::History => (history(view, d)),
            }
    };
    tab_shell(view, d, tab, content)
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
                tr { td class="nowrap" { (format_datetime(at, view.lang, view.zone)) } td { (text) } td { @if let Some(c) = code { (c) } } }
            } }
        } }
    }
}

/// An operation's history detail in the reader's format, with a link to the row it
/// wrote; any other line as its words.
fn history_detail(view: &View, h: &HistoryEntry) -> Markup {
    match h.operation_parts() {
        Some((amount, currency, tx, code)) => html! {
            (format_amount(amount, currency, view.lang)) " → "
            a href={"/transactions/" (tx)} { (view.t("transaction", "transaction")) " " (tx) }
            " (" (HistoryEntry::code_text(code, view.lang)) ")"
        },
        None => html! { (h.detail_text(view.lang)) },
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
                    tr { td class="nowrap" { (format_datetime(h.at, view.lang, view.zone)) } td { (h.user) } td { (h.ip) } td { span data-code=(h.action) { (h.action_text(view.lang)) } } td { (history_detail(view, h)) } }
                } }
            } }
        }
    }
}

fn notes_body(view: &View, d: &TransactionDetail, notice: Option<&Notice>) -> Markup {
    html! {
        @if let Some(n) = notice { (n.banner()) }
        @for n in &d.notes {
            section class="card" { p class="small muted" { (format_datetime(n.at, view.lang, view.zone)) " · " (n.author) } p { (n.text) } }
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
