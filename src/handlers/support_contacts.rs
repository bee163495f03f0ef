//! Parameters › Support contacts: admins only (others get 404).

use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::support_contacts::ContactsForm;
use crate::pages::support_contacts::contacts_form;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn contacts_edit(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    let c = ctx.db(|db| db.support_contacts()).await?;
    let done = q
        .done
        .map(|_| ctx.t("Contacts enregistrés.", "Contacts saved."));
    Ok(contacts_form(&ctx.view(), &c.to_form(), &[], done).into_response())
}

#[handler]
pub async fn contacts_update(ctx: Ctx, Form(f): Form<ContactsForm>) -> poem::Result<Response> {
    let contacts = match f.parse() {
        Ok(c) => c,
        Err(errors) => {
            return Ok(contacts_form(&ctx.view(), &f, &errors, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let actor = ctx.actor();
    ctx.db(move |db| db.set_support_contacts(&contacts, &actor))
        .await?;
    Ok(see_other(&ctx, "/parameters/support?done=1"))
}
