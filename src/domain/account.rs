//! Where an account stands (active, locked, expired, …) and what a manager may do to
//! it: the account actions with their rules, the buttons the detail page offers and
//! the message after each.

use time::OffsetDateTime;

use super::Lang;
use super::auth::{Attempts, is_expired};
use super::user::User;

/// Where an account stands, for the list and the detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountState {
    Active,
    MustChange,
    Locked,
    Expired,
    Disabled,
}

/// The state of `user` at `now`, with its sign-in counters: disabled, then locked,
/// then expired (30 days unused), then a password to change.
pub fn account_state(user: &User, attempts: Attempts, now: OffsetDateTime) -> AccountState {
    if user.disabled {
        AccountState::Disabled
    } else if attempts.is_locked(now) {
        AccountState::Locked
    } else if is_expired(user.last_used_at, now) {
        AccountState::Expired
    } else if user.must_change_password {
        AccountState::MustChange
    } else {
        AccountState::Active
    }
}

/// What a manager does to an account from its detail page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    /// Lifts the 30-minute lock.
    Unlock,
    /// A new one-time password on an expired account.
    Reactivate,
    /// A new one-time password.
    Reset,
    /// Removes the second factor (admins only); sessions end.
    SecondFactorReset,
    /// Enables a disabled account.
    Enable,
    /// Disables the account; sessions end.
    Disable,
}

/// Why an action is refused: the account is out of reach (404) or not the actor's
/// to act on (403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionRefused {
    NotFound,
    Forbidden,
}

impl UserAction {
    /// Every action, in the order the detail page shows them.
    pub const ALL: [UserAction; 6] = [
        UserAction::Unlock,
        UserAction::Reactivate,
        UserAction::Reset,
        UserAction::SecondFactorReset,
        UserAction::Enable,
        UserAction::Disable,
    ];

    /// The key in URLs (`/parameters/users/3/unlock`) and in audit lines (`user.unlock`).
    pub fn key(self) -> &'static str {
        match self {
            UserAction::Unlock => "unlock",
            UserAction::Reactivate => "reactivate",
            UserAction::Reset => "reset",
            UserAction::SecondFactorReset => "second_factor_reset",
            UserAction::Enable => "enable",
            UserAction::Disable => "disable",
        }
    }

    pub fn parse(key: &str) -> Option<UserAction> {
        UserAction::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Whether the action hands out a one-time password.
    pub fn issues_password(self) -> bool {
        matches!(self, UserAction::Reset | UserAction::Reactivate)
    }

    /// Whether the action hands the account over to whoever receives its result.
    fn hands_over(self) -> bool {
        self.issues_password() || self == UserAction::SecondFactorReset
    }

    /// Whether `by` may apply this action to `target` (already visible to them). A
    /// hand-over never on one's own account (a stolen session must not become a
    /// password) nor on an account holding more than `by`; the second factor is
    /// reset by admins only; nobody disables themselves; what the platform admin
    /// disabled only an admin enables.
    pub fn allowed_on(self, by: &User, target: &User) -> Result<(), ActionRefused> {
        let own = by.id == target.id;
        if (own && self.hands_over()) || !by.may_manage(target) {
            return Err(ActionRefused::Forbidden);
        }
        match self {
            UserAction::SecondFactorReset if !by.is_admin() => Err(ActionRefused::NotFound),
            UserAction::Disable if own => Err(ActionRefused::NotFound),
            UserAction::Enable if target.disabled_by_admin && !by.is_admin() => {
                Err(ActionRefused::Forbidden)
            }
            _ => Ok(()),
        }
    }

    /// Whether the detail page offers the action to `by` on `target` in `state`.
    pub fn offered(self, by: &User, target: &User, state: AccountState) -> bool {
        let own = by.id == target.id;
        match self {
            UserAction::Unlock => state == AccountState::Locked,
            UserAction::Reactivate => !own && state == AccountState::Expired,
            UserAction::Reset => !own && state != AccountState::Expired,
            UserAction::SecondFactorReset => !own && target.has_second_factor() && by.is_admin(),
            UserAction::Enable => {
                !own && target.disabled && (!target.disabled_by_admin || by.is_admin())
            }
            UserAction::Disable => !own && !target.disabled,
        }
    }

    /// The message after the action (`User saved.` for those that show a password).
    pub fn done(self, lang: Lang) -> &'static str {
        match self {
            UserAction::Unlock => lang.pick("Compte débloqué.", "Account unlocked."),
            UserAction::Disable => lang.pick(
                "Compte désactivé ; ses sessions sont terminées.",
                "Account disabled; its sessions have ended.",
            ),
            UserAction::Enable => lang.pick("Compte réactivé.", "Account enabled."),
            UserAction::SecondFactorReset => lang.pick(
                "Double authentification réinitialisée ; ses sessions sont terminées.",
                "Two-factor authentication reset; their sessions have ended.",
            ),
            UserAction::Reset | UserAction::Reactivate => {
                lang.pick("Utilisateur enregistré.", "User saved.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Permissions;
    use crate::domain::user::Role;
    use crate::domain::user::tests::{NOW, manager, staff, user};

    #[test]
    fn account_state_puts_disabled_before_locked_before_expired_before_must_change() {
        let locked = Attempts {
            failures: 3,
            locked_until: Some(NOW.unix_timestamp() + 60),
        };
        let mut u = user(1, Role::Admin);
        assert_eq!(
            account_state(&u, Attempts::default(), NOW),
            AccountState::Active
        );
        u.must_change_password = true;
        assert_eq!(
            account_state(&u, Attempts::default(), NOW),
            AccountState::MustChange
        );
        u.last_used_at = (NOW - time::Duration::days(31)).unix_timestamp();
        assert_eq!(
            account_state(&u, Attempts::default(), NOW),
            AccountState::Expired
        );
        assert_eq!(account_state(&u, locked, NOW), AccountState::Locked);
        u.disabled = true;
        assert_eq!(account_state(&u, locked, NOW), AccountState::Disabled);
        // A lock that ran out no longer counts.
        u.disabled = false;
        let later = NOW + time::Duration::minutes(2);
        assert_eq!(account_state(&u, locked, later), AccountState::Expired);
    }
    #[test]
    fn user_actions_round_trip_through_their_keys() {
        for a in UserAction::ALL {
            assert_eq!(UserAction::parse(a.key()), Some(a));
        }
        assert_eq!(UserAction::parse("delete"), None);
        assert_eq!(UserAction::Unlock.done(Lang::En), "Account unlocked.");
        assert_eq!(UserAction::Reset.done(Lang::Fr), "Utilisateur enregistré.");
    }
    #[test]
    fn nobody_disables_themselves_or_hands_over_their_own_account() {
        let admin = user(1, Role::Admin);
        assert_eq!(
            UserAction::Disable.allowed_on(&admin, &admin),
            Err(ActionRefused::NotFound)
        );
        for a in [
            UserAction::Reset,
            UserAction::Reactivate,
            UserAction::SecondFactorReset,
        ] {
            assert_eq!(a.allowed_on(&admin, &admin), Err(ActionRefused::Forbidden));
        }
        assert_eq!(UserAction::Unlock.allowed_on(&admin, &admin), Ok(()));
        let other = user(2, Role::Admin);
        for a in UserAction::ALL {
            assert_eq!(a.allowed_on(&admin, &other), Ok(()), "{a:?}");
        }
    }
    #[test]
    fn a_manager_acts_only_on_accounts_holding_no_more_than_they_do() {
        let m = manager(1, 7);
        let clerk = staff(
            2,
            7,
            Permissions {
                view: true,
                ..Permissions::default()
            },
        );
        let operator = staff(
            3,
            7,
            Permissions {
                operate: true,
                ..Permissions::default()
            },
        );
        let elsewhere = staff(4, 8, Permissions::default());
        assert_eq!(UserAction::Reset.allowed_on(&m, &clerk), Ok(()));
        assert_eq!(
            UserAction::Reset.allowed_on(&m, &operator),
            Err(ActionRefused::Forbidden)
        );
        assert_eq!(
            UserAction::Disable.allowed_on(&m, &elsewhere),
            Err(ActionRefused::Forbidden)
        );
        assert_eq!(
            UserAction::Disable.allowed_on(&m, &user(5, Role::Admin)),
            Err(ActionRefused::Forbidden)
        );
        // The second factor is reset by admins only.
        assert_eq!(
            UserAction::SecondFactorReset.allowed_on(&m, &clerk),
            Err(ActionRefused::NotFound)
        );
        // What the platform admin disabled only an admin enables.
        let mut off = clerk.clone();
        off.disabled = true;
        off.disabled_by_admin = true;
        assert_eq!(
            UserAction::Enable.allowed_on(&m, &off),
            Err(ActionRefused::Forbidden)
        );
        assert!(!UserAction::Enable.offered(&m, &off, AccountState::Disabled));
        assert_eq!(
            UserAction::Enable.allowed_on(&user(9, Role::Admin), &off),
            Ok(())
        );
    }
    #[test]
    fn the_detail_page_offers_what_the_state_allows() {
        let admin = user(1, Role::Admin);
        let target = staff(2, 7, Permissions::default());
        let offered = |by: &User, t: &User, s| {
            UserAction::ALL
                .into_iter()
                .filter(|a| a.offered(by, t, s))
                .map(UserAction::key)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            offered(&admin, &target, AccountState::Active),
            ["reset", "disable"]
        );
        assert_eq!(
            offered(&admin, &target, AccountState::Locked),
            ["unlock", "reset", "disable"]
        );
        assert_eq!(
            offered(&admin, &target, AccountState::Expired),
            ["reactivate", "disable"]
        );
        assert_eq!(offered(&admin, &admin, AccountState::Locked), ["unlock"]);
    }
}
