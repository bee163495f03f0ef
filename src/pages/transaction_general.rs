//! The General tab of a transaction detail: one card per group of fields that has
//! something to show (issue 10: no heading followed by nothing), countries by name.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::countries;
use crate::domain::detail::TransactionDetail;
use crate::domain::merchant::name_of;
use crate::domain::money::format_amount;
use crate::domain::time::format_datetime;
use crate::domain::transaction::{AuthorizationState, Operation, Party, authorization_state};
use crate::fragments::View;
use crate::fragments::kv::kv;
use crate::fragments::tables::card_type;

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
        (view.t("Région", "Region"), p.state.clone()),
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
        ("Date", format_datetime(tx.at, view.lang, view.zone)),
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
            format_datetime(s.unix_timestamp(), view.lang, view.zone),
        ));
    }
    if tx.operation == Operation::Authorization
        && tx.status() == crate::domain::transaction::Status::Accepted
    {
        let state = match authorization_state(tx, &d.associated, view.now) {
            AuthorizationState::Pending { expires_at } => format!(
                "{} {}",
                view.t("En attente de capture jusqu'au", "Awaiting capture until"),
                format_datetime(expires_at.unix_timestamp(), view.lang, view.zone)
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
        ("3-D Secure", yes(view, card.three_ds)),
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
pub fn general(view: &View, d: &TransactionDetail) -> Markup {
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
