//! Account writes of the back office, one write transaction each with its audit
//! line: create and edit a user, the account actions, the language, sign-out and the
//! security settings. Each re-reads what it changes inside its transaction and
//! re-checks the rule there, so a change committed meanwhile is never undone.

use super::audit::{self, AuditEntry};
use super::{Db, Error, Result, Scope, security, sessions, users};
use crate::domain::Lang;
use crate::domain::actor::Actor;
use crate::domain::user::{
    AccountState, ActionRefused, ProfileChange, Role, User, UserAction, account_state,
};
use crate::domain::zone::Zone;

/// Whether `user` is visible in `scope`: admins see everyone, a merchant's staff the
/// merchant's users (never an admin).
fn visible(scope: Scope, user: &User) -> bool {
    scope == Scope::Admin || user.merchant_id().is_some_and(|m| scope.allows(m))
}

impl Db {
    /// A user visible in `scope`, with its state at `now`; `None` when out of scope.
    pub fn user_with_state(
        &self,
        scope: Scope,
        id: u64,
        now: time::OffsetDateTime,
    ) -> Result<Option<(User, AccountState)>> {
        let Some(user) = self.user(id)?.filter(|u| visible(scope, u)) else {
            return Ok(None);
        };
        let state = account_state(&user, self.attempts(&user.username)?, now);
        Ok(Some((user, state)))
    }

    /// The users visible in `scope`, by username, each with its state at `now`.
    pub fn users_with_state(
        &self,
        scope: Scope,
        now: time::OffsetDateTime,
    ) -> Result<Vec<(User, AccountState)>> {
        self.users(scope)?
            .into_iter()
            .map(|u| {
                let state = account_state(&u, self.attempts(&u.username)?, now);
                Ok((u, state))
            })
            .collect()
    }

    /// Stores a new account (`user.create` audited, with its role). A username
    /// already held is [`Error::UsernameTaken`], and nothing is written.
    pub fn create_user(&self, user: User, actor: &Actor) -> Result<User> {
        let entry = AuditEntry::by(
            actor,
            "user.create",
            format!("user {}", user.username),
            user.merchant_id(),
        )
        .with_detail(format!("role: {}", user.role.describe()));
        let wtx = self.begin_write()?;
        let user = users::insert(&wtx, user)?;
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(user)
    }

    /// Changes the name, email and role of user `id` (visible in `scope`), audited
    /// as `user.update` with the role before → after. Only these fields change: a
    /// disable, reset or sign-in committed meanwhile stays.
    pub fn update_user(
        &self,
        scope: Scope,
        id: u64,
        change: ProfileChange,
        actor: &Actor,
    ) -> Result<User> {
        let wtx = self.begin_write()?;
        let mut u = users::get(&wtx, id)?
            .filter(|u| visible(scope, u))
            .ok_or(Error::NotFound)?;
        let entry = AuditEntry::by(
            actor,
            "user.update",
            format!("user {}", u.username),
            change.role.merchant_id(),
        )
        .with_detail(Role::change(u.role, change.role));
        u.full_name = change.full_name;
        u.email = change.email;
        u.role = change.role;
        users::update(&wtx, &u)?;
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(u)
    }

    /// Remembers the language chosen by user `id` (not audited: a preference).
    pub fn set_user_lang(&self, id: u64, lang: Lang) -> Result<()> {
        let wtx = self.begin_write()?;
        if let Some(mut u) = users::get(&wtx, id)? {
            u.lang = lang;
            users::update(&wtx, &u)?;
        }
        wtx.commit()?;
        Ok(())
    }

    /// Remembers the time zone chosen by user `id` (`None`: the appliance's), not
    /// audited: a preference, like the language.
    pub fn set_user_time_zone(&self, id: u64, zone: Option<Zone>) -> Result<()> {
        let wtx = self.begin_write()?;
        if let Some(mut u) = users::get(&wtx, id)? {
            u.time_zone = zone;
            users::update(&wtx, &u)?;
        }
        wtx.commit()?;
        Ok(())
    }

    /// Applies `action` by `by` to user `id`, re-checking visibility in `scope` and
    /// [`UserAction::allowed_on`] on the account as it is now, and audits it as
    /// `user.<key>`. A reset or reactivation needs `password_hash`, the hash of the
    /// one-time password to hand out (`NotFound` without it). Disabling and any hand-over end the user's
    /// sessions. Returns the account as written, or why it was refused (then
    /// nothing is written).
    pub fn apply_user_action(
        &self,
        scope: Scope,
        id: u64,
        action: UserAction,
        by: &User,
        actor: &Actor,
        password_hash: Option<String>,
    ) -> Result<Result<User, ActionRefused>> {
        let wtx = self.begin_write()?;
        let Some(mut u) = users::get(&wtx, id)?.filter(|u| visible(scope, u)) else {
            return Ok(Err(ActionRefused::NotFound));
        };
        if let Err(refused) = action.allowed_on(by, &u) {
            return Ok(Err(refused));
        }
        match action {
            UserAction::Unlock => users::put_attempts(&wtx, &u.username, Default::default())?,
            UserAction::Disable => {
                u.disabled = true;
                // A manager's disable never clears the admin's mark.
                u.disabled_by_admin |= by.is_admin();
                sessions::end_all_for_user(&wtx, u.id)?;
            }
            UserAction::Enable => {
                u.disabled = false;
                u.disabled_by_admin = false;
                u.last_used_at = actor.at;
            }
            UserAction::SecondFactorReset => {
                u.second_factor = None;
                sessions::end_all_for_user(&wtx, u.id)?;
            }
            UserAction::Reset | UserAction::Reactivate => {
                // A caller bug, not a refusal: nothing is written.
                let hash = password_hash.ok_or(Error::NotFound)?;
                u.set_one_time_password(hash, actor.at);
                users::put_attempts(&wtx, &u.username, Default::default())?;
                sessions::end_all_for_user(&wtx, u.id)?;
            }
        }
        users::update(&wtx, &u)?;
        let entry = AuditEntry::by(
            actor,
            format!("user.{}", action.key()),
            format!("user {}", u.username),
            u.merchant_id(),
        );
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(Ok(u))
    }

    /// Ends the session of `token`, with `entry` (the sign-out of a signed-in user)
    /// in the same write. A token that names no session costs a read, never a
    /// durable write.
    pub fn sign_out(&self, token: &str, entry: Option<&AuditEntry>) -> Result<()> {
        if self.session(token)?.is_none() {
            return Ok(());
        }
        let wtx = self.begin_write()?;
        sessions::remove(&wtx, token)?;
        if let Some(e) = entry {
            audit::append(&wtx, self.audit_key(), e)?;
        }
        wtx.commit()?;
        Ok(())
    }

    /// Stores Parameters › Security, audited as `settings.security` with the values.
    pub fn set_security_settings(
        &self,
        settings: &security::SecuritySettings,
        actor: &Actor,
    ) -> Result<()> {
        let ids: Vec<String> = settings
            .second_factor_merchants
            .iter()
            .map(u64::to_string)
            .collect();
        let entry =
            AuditEntry::by(actor, "settings.security", "security", None).with_detail(format!(
                "password_max_age_days={} second_factor_merchants={}",
                settings.password_max_age_days,
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(",")
                }
            ));
        let wtx = self.begin_write()?;
        security::put_settings(&wtx, settings)?;
        audit::append(&wtx, self.audit_key(), &entry)?;
        wtx.commit()?;
        Ok(())
    }
}
