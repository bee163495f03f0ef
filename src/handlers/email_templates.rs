//! Parameters › Emails › Templates (admins; others get 404): list, edit, preview,
//! send a test to oneself, reset to the built-in template (issue 14, LINK-3).

use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{Ctx, see_other};
use crate::domain::email_template::{TemplateId, TemplateSource, render_sample, validate};
use crate::pages::email_templates::{
    EditorExtras, LIST_PATH, path_of, reset_confirm, template_editor, templates_list,
};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    confirmed: String,
}

fn template_id(ctx: &Ctx, slug: &str) -> poem::Result<TemplateId> {
    TemplateId::parse(slug).ok_or_else(|| ctx.not_found())
}

#[handler]
pub async fn templates_page(ctx: Ctx, Query(q): Query<DoneQuery>) -> poem::Result<Response> {
    let templates = ctx.db(|db| db.email_templates()).await?;
    let done = match q.done.as_deref() {
        Some("reset") => Some(ctx.t("Modèle par défaut rétabli.", "Built-in template restored.")),
        _ => None,
    };
    Ok(templates_list(&ctx.view(), &templates, done).into_response())
}

#[handler]
pub async fn template_edit(
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<DoneQuery>,
) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    let templates = ctx.db(|db| db.email_templates()).await?;
    let custom = templates.custom(id);
    let form = custom.map_or_else(|| TemplateSource::default_of(id), |c| c.source());
    let flash = q
        .done
        .is_some()
        .then(|| ("ok", ctx.t("Modèle enregistré.", "Template saved.")));
    Ok(template_editor(
        &ctx.view(),
        id,
        &form,
        &[],
        custom,
        EditorExtras {
            flash,
            preview: None,
        },
    )
    .into_response())
}

/// The editor again with what was posted and why it was refused: 422.
async fn refused(
    ctx: &Ctx,
    id: TemplateId,
    form: &TemplateSource,
    errors: &[crate::domain::user::FieldError],
) -> poem::Result<Response> {
    let templates = ctx.db(|db| db.email_templates()).await?;
    Ok(template_editor(
        &ctx.view(),
        id,
        form,
        errors,
        templates.custom(id),
        EditorExtras::default(),
    )
    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
    .into_response())
}

#[handler]
pub async fn template_save(
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    let form = TemplateSource::from_pairs(&pairs);
    let source = match validate(id, &form) {
        Ok(s) => s,
        Err(errors) => return refused(&ctx, id, &form, &errors).await,
    };
    let actor = ctx.actor();
    ctx.db(move |db| db.save_email_template(id, &source, &actor))
        .await?;
    Ok(see_other(&ctx, &format!("{}?done=saved", path_of(id))))
}

#[handler]
pub async fn template_preview(
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    let form = TemplateSource::from_pairs(&pairs);
    let rendered = match validate(id, &form)
        .and_then(|s| render_sample(id, &s, &ctx.state.config.base_url).map_err(|e| vec![e]))
    {
        Ok(r) => r,
        Err(errors) => return refused(&ctx, id, &form, &errors).await,
    };
    let templates = ctx.db(|db| db.email_templates()).await?;
    let mut resp = template_editor(
        &ctx.view(),
        id,
        &form,
        &[],
        templates.custom(id),
        EditorExtras {
            flash: None,
            preview: Some(&rendered),
        },
    )
    .into_response();
    // The email's own inline styles, inside the sandboxed frame (which inherits this
    // page's policy); scripts stay forbidden, and the frame may run none anyway.
    resp.headers_mut().insert(
        "content-security-policy",
        poem::http::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    Ok(resp)
}

#[handler]
pub async fn template_test(
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    let form = TemplateSource::from_pairs(&pairs);
    let rendered = match validate(id, &form)
        .and_then(|s| render_sample(id, &s, &ctx.state.config.base_url).map_err(|e| vec![e]))
    {
        Ok(r) => r,
        Err(errors) => return refused(&ctx, id, &form, &errors).await,
    };
    let to = ctx.require_user()?.email.clone();
    let templates = ctx.db(|db| db.email_templates()).await?;
    let view = ctx.view();
    if to.is_empty() {
        let page = template_editor(
            &view,
            id,
            &form,
            &[],
            templates.custom(id),
            EditorExtras {
                flash: Some((
                    "err",
                    view.t(
                        "Votre profil n'a pas d'adresse email : ajoutez-en une dans Paramètres › Mon profil pour recevoir le test.",
                        "Your profile has no email address: add one in Parameters › My profile to receive the test.",
                    ),
                )),
                preview: None,
            },
        );
        return Ok(page
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    }
    let mut mail = crate::mail::template_test(&to, rendered, ctx.now().unix_timestamp());
    ctx.db(move |db| db.queue_mail(&mut mail)).await?;
    let smtp = ctx.state.gateway.smtp_configured;
    if smtp {
        ctx.state.gateway.mail_ready.notify_one();
    }
    let said = match (smtp, view.lang) {
        (true, crate::domain::Lang::Fr) => format!(
            "Email de test envoyé à {to}, avec les valeurs d'exemple. Le modèle n'est pas enregistré."
        ),
        (true, crate::domain::Lang::En) => {
            format!("Test email sent to {to}, with the example values. The template is not saved.")
        }
        (false, crate::domain::Lang::Fr) => format!(
            "Email de test pour {to} mis en file d'attente : aucun serveur SMTP n'est configuré, il attend dans Envois. Le modèle n'est pas enregistré."
        ),
        (false, crate::domain::Lang::En) => format!(
            "Test email for {to} queued: no SMTP server is configured, it waits in Sent. The template is not saved."
        ),
    };
    Ok(template_editor(
        &view,
        id,
        &form,
        &[],
        templates.custom(id),
        EditorExtras {
            flash: Some(("ok", said.as_str())),
            preview: None,
        },
    )
    .into_response())
}

#[handler]
pub async fn template_reset_confirm(ctx: Ctx, Path(slug): Path<String>) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    let templates = ctx.db(|db| db.email_templates()).await?;
    Ok(reset_confirm(&ctx.view(), id, templates.custom(id)).into_response())
}

#[handler]
pub async fn template_reset(
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> poem::Result<Response> {
    let id = template_id(&ctx, &slug)?;
    if f.confirmed != "1" {
        let templates = ctx.db(|db| db.email_templates()).await?;
        return Ok(reset_confirm(&ctx.view(), id, templates.custom(id)).into_response());
    }
    let actor = ctx.actor();
    ctx.db(move |db| db.reset_email_template(id, &actor))
        .await?;
    Ok(see_other(&ctx, &format!("{LIST_PATH}?done=reset")))
}
