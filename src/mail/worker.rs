//! The mail worker: sends what the outbox holds over SMTP, retries with back-off
//! while the server is unreachable, gives up only after three days or on a permanent
//! refusal. Every attempt is recorded on the message.

use std::sync::Arc;
use std::time::Duration;

use mail_send::SmtpClientBuilder;
use mail_send::mail_builder::MessageBuilder;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::{Config, SmtpConfig, SmtpSecurity};
use crate::db::Db;
use crate::db::outbox::{Mail, MailAttempt};

/// Seconds to wait before retry `n` (1-based): 15 s, 30 s, 1 min … capped at 30 min.
pub fn retry_delay(n: usize) -> i64 {
    let shift = u32::try_from(n.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(7);
    (15i64 << shift).min(1800)
}

/// After this long a message still not accepted is marked failed.
const GIVE_UP_AFTER: i64 = 3 * 86_400;

/// An SMTP failure; permanent ones (5xx) are not retried.
struct SendError {
    text: String,
    permanent: bool,
}

fn classify(e: mail_send::Error) -> SendError {
    let permanent = match &e {
        mail_send::Error::UnexpectedReply(r) | mail_send::Error::AuthenticationFailed(r) => {
            r.code() >= 500
        }
        _ => false,
    };
    SendError {
        text: e.to_string(),
        permanent,
    }
}

async fn send(
    smtp: &SmtpConfig,
    from: &str,
    sender_name: Option<&str>,
    mail: &Mail,
) -> Result<(), SendError> {
    let host = from.rsplit('@').next().unwrap_or("localhost").to_string();
    let builder = match sender_name {
        // "Boutique Atlas <boutique@…>": the merchant's name, the appliance's address.
        Some(name) => MessageBuilder::new().from((name, from)),
        None => MessageBuilder::new().from(from),
    };
    let message = builder
        .to(mail.to.as_str())
        .subject(mail.subject.as_str())
        .message_id(format!("guichet-{}-{}@{host}", mail.id, mail.created_at))
        .text_body(mail.text.as_str())
        .html_body(mail.html.as_str());
    let mut builder = SmtpClientBuilder::new(smtp.host.as_str(), smtp.port)
        .map_err(|text| SendError {
            text,
            permanent: false,
        })?
        .implicit_tls(smtp.security == SmtpSecurity::Tls)
        .timeout(Duration::from_secs(30));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials((u.as_str(), p.as_str()));
    }
    match smtp.security {
        SmtpSecurity::Plain => {
            let mut client = builder.connect_plain().await.map_err(classify)?;
            client.send(message).await.map_err(classify)?;
            let _ = client.quit().await;
        }
        _ => {
            let mut client = builder.connect().await.map_err(classify)?;
            client.send(message).await.map_err(classify)?;
            let _ = client.quit().await;
        }
    }
    Ok(())
}

/// The messages due, each with the display name of its sender: the merchant's
/// (`Letterhead::merchant_name`) for the emails a merchant sends its customers, none
/// (the bare address) for the others.
fn with_sender_names(db: &Db, due_at: i64) -> crate::db::Result<Vec<(Mail, Option<String>)>> {
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::new();
    for mail in db.due_mails(due_at, 50)? {
        let name = if mail.kind.from_merchant() && mail.merchant_id != 0 {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(mail.merchant_id) {
                e.insert(db.letterhead(mail.merchant_id)?.merchant_name);
            }
            names.get(&mail.merchant_id).cloned()
        } else {
            None
        };
        out.push((mail, name));
    }
    Ok(out)
}

/// What the worker reads and writes: the outbox in the data file, the clock, and the
/// handle that wakes it when a message is queued.
#[derive(Clone)]
pub struct Outbox {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub ready: Arc<Notify>,
}

/// Sends the messages due (all pending ones when `everything`). Returns how many left.
pub async fn deliver(outbox: &Outbox, config: &Config, everything: bool) -> usize {
    let Some(smtp) = &config.smtp else {
        return 0;
    };
    let now = outbox.clock.now().unix_timestamp();
    let due_at = if everything { i64::MAX } else { now };
    // A link email for a request that expired meanwhile is withdrawn, not sent.
    let db = outbox.db.clone();
    let clock_now = outbox.clock.now();
    match tokio::task::spawn_blocking(move || db.withdraw_unpayable_links(clock_now, due_at)).await
    {
        Ok(Ok(0)) | Err(_) => {}
        Ok(Ok(n)) => tracing::info!(
            withdrawn = n,
            "outbox: link emails of requests that can no longer be paid withdrawn"
        ),
        Ok(Err(e)) => tracing::error!("outbox: cannot withdraw stale link emails: {e}"),
    }
    let db = outbox.db.clone();
    let due = match tokio::task::spawn_blocking(move || with_sender_names(&db, due_at)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            tracing::error!("outbox: cannot read: {e}");
            return 0;
        }
        Err(_) => return 0,
    };
    let mut sent = 0;
    for (mail, sender_name) in due {
        let result = send(smtp, &config.mail_from, sender_name.as_deref(), &mail).await;
        let at = outbox.clock.now().unix_timestamp();
        let (attempt, retry_at) = match result {
            Ok(()) => {
                tracing::info!(mail_id = mail.id, kind = ?mail.kind, "email sent");
                sent += 1;
                (MailAttempt { at, error: None }, None)
            }
            Err(e) => {
                let n = mail.attempts.len() + 1;
                let retry = (!e.permanent && at - mail.created_at < GIVE_UP_AFTER)
                    .then(|| at + retry_delay(n));
                tracing::warn!(mail_id = mail.id, attempt = n, retry_at = ?retry, "email not sent: {}", crate::domain::text::log_safe_max(&e.text, 300));
                (
                    MailAttempt {
                        at,
                        error: Some(e.text),
                    },
                    retry,
                )
            }
        };
        let db = outbox.db.clone();
        let id = mail.id;
        let saved =
            tokio::task::spawn_blocking(move || db.record_mail_attempt(id, attempt, retry_at))
                .await;
        if !matches!(saved, Ok(Ok(_))) {
            tracing::error!(mail_id = id, "outbox: cannot record the attempt");
        }
    }
    sent
}

/// Runs until `shutdown` resolves: delivers due messages when woken or every second.
/// At start every pending message is tried at once (a restart is a good moment to
/// retry). A delivery cut by the shutdown stays pending.
pub async fn run(
    outbox: Outbox,
    config: Arc<Config>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    if config.smtp.is_none() {
        let db = outbox.db.clone();
        if let Ok(Ok(n)) = tokio::task::spawn_blocking(move || db.pending_mail_count()).await
            && n > 0
        {
            tracing::warn!(
                pending = n,
                "no SMTP server configured: emails wait in the outbox"
            );
        }
    }
    let mut first = true;
    loop {
        deliver(&outbox, &config, first).await;
        first = false;
        tokio::select! {
            _ = &mut shutdown => break,
            _ = outbox.ready.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
