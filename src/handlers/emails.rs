//! Parameters › Emails (admins): the outbox, newest first, with the SMTP server.

use poem::web::Query;
use poem::{IntoResponse, Response, handler};

use super::Ctx;
use super::keyset::{BeforeQuery, keyset_page};
use crate::pages::emails::outbox_page;

#[handler]
pub async fn outbox(ctx: Ctx, Query(q): Query<BeforeQuery>) -> poem::Result<Response> {
    let before = q.cursor();
    const PAGE: usize = 100;
    let (mails, pending) = ctx
        .db(move |db| Ok((db.mails(before, PAGE + 1)?, db.pending_mail_count()?)))
        .await?;
    let (mails, older) = keyset_page(mails, PAGE, |m| m.id);
    let smtp = ctx
        .state
        .config
        .smtp
        .as_ref()
        .map(|s| format!("{}:{} ({:?})", s.host, s.port, s.security).to_lowercase());
    Ok(outbox_page(&ctx.view(), &mails, pending, smtp, older).into_response())
}
