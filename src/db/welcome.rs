//! Welcome links (issue 14, point 4): stored by the hash of their secret, issued with
//! their email in one transaction, used once to choose the first password.

use redb::ReadableTable;

use super::audit::{self, AuditEntry};
use super::outbox::{Mail, enqueue};
use super::sessions::{self, SessionStage};
use super::tables::WELCOME_HASH_TO_LINK;
use super::{Db, Result, Tx, codec, users};
use crate::domain::actor::Actor;
use crate::domain::password::HISTORY;
use crate::domain::user::User;
use crate::domain::welcome::{WelcomeLink, WelcomeStatus};

fn get(wtx: &Tx, hash: &str) -> Result<Option<WelcomeLink>> {
    let t = wtx.open_table(WELCOME_HASH_TO_LINK)?;
    let v = t.get(hash)?;
    v.map(|v| codec::decode("welcome_links", v.value()))
        .transpose()
}

fn put(wtx: &Tx, hash: &str, link: &WelcomeLink) -> Result<()> {
    wtx.open_table(WELCOME_HASH_TO_LINK)?
        .insert(hash, codec::encode(link)?.as_slice())?;
    Ok(())
}

impl Db {
    /// Stores the welcome link of `user` (by the hash of its secret) and queues its
    /// email, audited as `user.welcome_link` by `actor`, in one transaction.
    /// Returns the message's id.
    pub fn issue_welcome_link(
        &self,
        hash: &str,
        link: &WelcomeLink,
        user: &User,
        mail: &mut Mail,
        actor: &Actor,
    ) -> Result<u64> {
        let wtx = self.begin_write()?;
        put(&wtx, hash, link)?;
        let id = enqueue(&wtx, mail)?;
        let entry = AuditEntry::by(
            actor,
            "user.welcome_link",
            format!("user {}", user.username),
            user.merchant_id(),
        )
        .with_detail(format!("email: {}", user.email));
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(id)
    }

    /// The welcome link with the secret's hash `hash` and its user, if both exist.
    pub fn welcome_link(&self, hash: &str) -> Result<Option<(WelcomeLink, User)>> {
        let rtx = self.begin_read()?;
        let t = rtx.open_table(WELCOME_HASH_TO_LINK)?;
        let Some(v) = t.get(hash)? else {
            return Ok(None);
        };
        let link: WelcomeLink = codec::decode("welcome_links", v.value())?;
        drop(t);
        drop(rtx);
        Ok(self.user(link.user_id)?.map(|u| (link, u)))
    }

    /// Uses the welcome link `hash` to set the user's first password (`password_hash`)
    /// in one transaction: the link is marked used, every session of the user ends and
    /// a new full session starts. `Ok(Err(status))` when the link is used, expired or
    /// its account gone or disabled (reported as expired); nothing is written then.
    pub fn use_welcome_link(
        &self,
        hash: &str,
        password_hash: String,
        now: i64,
        ip: &str,
    ) -> Result<std::result::Result<String, WelcomeStatus>> {
        let wtx = self.begin_write()?;
        let Some(mut link) = get(&wtx, hash)? else {
            return Ok(Err(WelcomeStatus::Expired));
        };
        match link.status(now) {
            WelcomeStatus::Valid => {}
            other => return Ok(Err(other)),
        }
        let Some(mut user) = users::get(&wtx, link.user_id)?.filter(|u| !u.disabled) else {
            return Ok(Err(WelcomeStatus::Expired));
        };
        let old = std::mem::replace(&mut user.password_hash, password_hash);
        user.previous_hashes.insert(0, old);
        user.previous_hashes.truncate(HISTORY);
        user.must_change_password = false;
        user.password_changed_at = now;
        user.last_used_at = now;
        users::update(&wtx, &user)?;
        link.used_at = Some(now);
        put(&wtx, hash, &link)?;
        sessions::end_all_for_user(&wtx, user.id)?;
        let token = sessions::insert(&wtx, user.id, now, ip, SessionStage::Full)?;
        let entry = AuditEntry::by(
            &Actor::new(now, user.username.clone(), ip),
            "password.welcome",
            format!("user {}", user.username),
            user.merchant_id(),
        );
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Ok(token))
    }
}
