//! Own profile (issue 14, point 6): the user's email address and active sessions.

use redb::ReadableTable;
use time::OffsetDateTime;

use super::audit::{self, AuditEntry};
use super::sessions::{self, Session, SessionStage};
use super::tables::SESSION_HASH_TO_SESSION;
use super::{Db, Error, Result, codec, users};
use crate::domain::actor::Actor;

impl Db {
    /// The live full sessions of `user_id`, newest first, each with whether it is
    /// the one of `current_token`.
    pub fn sessions_of(
        &self,
        user_id: u64,
        current_token: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(Session, bool)>> {
        let current = sessions::hash(current_token);
        let rtx = self.begin_read()?;
        let t = rtx.open_table(SESSION_HASH_TO_SESSION)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let s: Session = codec::decode("sessions", v.value())?;
            if s.user_id == user_id && s.stage == SessionStage::Full && sessions::usable(&s, now) {
                out.push((s, k.value() == current));
            }
        }
        out.sort_by_key(|(s, current)| (!*current, -s.last_seen));
        Ok(out)
    }

    /// Ends every session of `user_id` but the one of `keep_token`, audited as
    /// `auth.sign_out_others` by `actor`. Returns how many ended.
    pub fn end_other_sessions(
        &self,
        user_id: u64,
        keep_token: &str,
        actor: &Actor,
    ) -> Result<usize> {
        let wtx = self.begin_write()?;
        let user = users::get(&wtx, user_id)?.ok_or(Error::NotFound)?;
        let keep = sessions::hash(keep_token);
        let before = {
            let t = wtx.open_table(SESSION_HASH_TO_SESSION)?;
            let mut n = 0;
            for row in t.iter()? {
                let (k, v) = row?;
                let s: Session = codec::decode("sessions", v.value())?;
                if s.user_id == user_id && k.value() != keep {
                    n += 1;
                }
            }
            n
        };
        sessions::end_others_for_user(&wtx, user_id, keep_token)?;
        let entry = AuditEntry::by(
            actor,
            "auth.sign_out_others",
            format!("user {}", user.username),
            user.merchant_id(),
        )
        .with_detail(format!("sessions ended: {before}"));
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(before)
    }

    /// Sets the email address of `user_id` (already checked), audited as
    /// `user.email` with the address before → after.
    pub fn set_own_email(&self, user_id: u64, email: String, actor: &Actor) -> Result<()> {
        let wtx = self.begin_write()?;
        let mut user = users::get(&wtx, user_id)?.ok_or(Error::NotFound)?;
        if user.email == email {
            return Ok(());
        }
        let entry = AuditEntry::by(
            actor,
            "user.email",
            format!("user {}", user.username),
            user.merchant_id(),
        )
        .with_detail(format!("{} → {}", user.email, email));
        user.email = email;
        users::update(&wtx, &user)?;
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    }
}
