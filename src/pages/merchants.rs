//! Parameters › Merchants (admins): list, create, edit.

use maud::{Markup, html};

use super::layout::{Tab, page};
use super::profile::subtabs;
use crate::domain::user::{FieldError, Merchant};
use crate::fragments::flash;
use crate::fragments::form::{Input, csrf, error_for, textarea};
use crate::handlers::Ctx;

pub fn list(ctx: &Ctx, merchants: &[Merchant], done: Option<&str>) -> Markup {
    let body = html! {
        h1 { (ctx.t("Marchands", "Merchants")) }
        @if let Some(d) = done { (flash("ok", d)) }
        p { a class="button" href="/parameters/merchants/new" { (ctx.t("Nouveau marchand", "New merchant")) } }
        @if merchants.is_empty() {
            p class="muted" { (ctx.t("Aucun marchand pour l'instant : créez le premier, puis ses utilisateurs.", "No merchant yet: create the first one, then its users.")) }
        } @else {
            div class="table-wrap" {
                table class="grid" {
                    thead { tr {
                        th { "ID" } th { (ctx.t("Nom", "Name")) } th { (ctx.t("Société", "Company")) }
                        th { (ctx.t("Terminaux", "Terminals")) } th { (ctx.t("Comptes marchands", "Merchant accounts")) }
                        th { (ctx.t("Descripteur", "Descriptor")) } th { "" }
                    } }
                    tbody {
                        @for m in merchants {
                            tr {
                                td class="num" { (m.id) }
                                td { a href={"/parameters/merchants/" (m.id)} { (m.name) } }
                                td { (m.company) }
                                td { @for t in &m.terminals { (t.number) " " } }
                                td { (m.accounts.join(", ")) }
                                td { (m.statement_descriptor) }
                                td { a href={"/parameters/users/new?merchant=" (m.id)} { (ctx.t("Ajouter un utilisateur", "Add a user")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        ctx,
        ctx.t("Marchands", "Merchants"),
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/merchants")),
        body,
    )
}

/// The merchant form's values (one type with the handler's form).
pub use crate::domain::merchant::MerchantForm as MerchantFormValues;

pub fn form(
    ctx: &Ctx,
    id: Option<u64>,
    v: &MerchantFormValues,
    errors: &[FieldError],
    done: Option<&str>,
) -> Markup {
    let action = id.map_or("/parameters/merchants/new".to_string(), |id| {
        format!("/parameters/merchants/{id}")
    });
    let title = if id.is_some() {
        ctx.t("Modifier le marchand", "Edit the merchant")
    } else {
        ctx.t("Nouveau marchand", "New merchant")
    };
    let err = |f| error_for(errors, f, ctx.lang);
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", ctx.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        form class="form card" method="post" action=(action) {
            (csrf(ctx))
            div class="grid2" {
                (Input::new("name", ctx.t("Nom", "Name"), &v.name).required().error(err("name")).render())
                (Input::new("company", ctx.t("Société", "Company"), &v.company).error(err("company")).hint(ctx.t("Par défaut, le nom.", "Defaults to the name.")).render())
                (textarea("terminals", ctx.t("Terminaux", "Terminals"), &v.terminals, err("terminals"), Some(ctx.t("Un par ligne : numéro puis libellé, ex. « 21114 Site web ».", "One per line: number then label, e.g. \"21114 Web shop\"."))))
                (textarea("accounts", ctx.t("Comptes marchands", "Merchant accounts"), &v.accounts, err("accounts"), Some(ctx.t("Un par ligne, ex. VPS_TEST_DH.", "One per line, e.g. VPS_TEST_DH."))))
                (Input::new("statement_descriptor", ctx.t("Descripteur du relevé bancaire", "Statement descriptor"), &v.statement_descriptor).error(err("statement_descriptor")).hint(ctx.t("22 caractères au plus.", "At most 22 characters.")).render())
            }
            div class="actions" {
                button class="primary" type="submit" { (ctx.t("Enregistrer", "Save")) }
                a href="/parameters/merchants" { (ctx.t("Retour à la liste", "Back to the list")) }
                @if let Some(id) = id {
                    a href={"/parameters/merchants/" (id) "/rebill"} { (ctx.t("Limites des nouvelles facturations", "Rebill limits")) }
                }
            }
        }
    };
    page(
        ctx,
        title,
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/merchants")),
        body,
    )
}

/// The rebill limits of a merchant as typed.
#[derive(Default)]
pub struct RebillValues {
    pub max_amount: String,
    pub max_per_day: String,
}

/// Parameters › Merchants › rebill limits (M6), admins only.
pub fn rebill_form(
    ctx: &Ctx,
    m: &Merchant,
    v: &RebillValues,
    errors: &[FieldError],
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("Limites des nouvelles facturations", "Rebill limits");
    let err = |f| error_for(errors, f, ctx.lang);
    let body = html! {
        h1 { (title) " — " (m.name) }
        @if let Some(d) = done { (flash("ok", d)) }
        @if !errors.is_empty() { (flash("err", ctx.t("Corrigez les champs signalés.", "Please correct the fields shown."))) }
        p class="muted" { (ctx.t(
            "Une nouvelle facturation d'une carte enregistrée ne dépasse jamais le montant de la transaction d'origine, sauf si vous relevez ici le plafond. Le client reçoit un reçu par e-mail à chaque fois.",
            "A rebill of a stored card never exceeds the original transaction's amount unless you raise the ceiling here. The customer gets an email receipt each time.")) }
        form class="form card" method="post" action={"/parameters/merchants/" (m.id) "/rebill"} {
            (csrf(ctx))
            div class="grid2" {
                (Input::new("max_amount", ctx.t("Plafond relevé", "Raised ceiling"), &v.max_amount).error(err("max_amount")).hint(ctx.t("Vide : le montant d'origine.", "Empty: the original amount.")).render())
                (Input::new("max_per_day", ctx.t("Nouvelles facturations par carte et par jour", "Rebills per card and per day"), &v.max_per_day).required().error(err("max_per_day")).render())
            }
            div class="actions" {
                button class="primary" type="submit" { (ctx.t("Enregistrer", "Save")) }
                a href={"/parameters/merchants/" (m.id)} { (ctx.t("Retour au marchand", "Back to the merchant")) }
            }
        }
    };
    page(
        ctx,
        title,
        Tab::Parameters,
        Some(subtabs(ctx, "/parameters/merchants")),
        body,
    )
}
