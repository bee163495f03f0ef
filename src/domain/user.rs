//! Users, roles and permissions (AUTH-6), the account states and actions, and who
//! may grant which role.

use serde::{Deserialize, Serialize};

use time::OffsetDateTime;

use super::Lang;
use super::auth::{Attempts, is_expired};
use super::password::HISTORY;
use super::totp::SecondFactor;

pub use super::form::FieldError;
pub use super::merchant::{Merchant, MerchantInput, Terminal};

/// What a merchant user may do beyond their own profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    pub view: bool,
    pub export: bool,
    /// Refund, capture, cancel, rebill.
    pub operate: bool,
    pub virtual_terminal: bool,
    pub manage_users: bool,
}

impl Permissions {
    pub const ALL: Permissions = Permissions {
        view: true,
        export: true,
        operate: true,
        virtual_terminal: true,
        manage_users: true,
    };

    /// (key, French label, English label, value) for each permission, in display order.
    pub fn entries(self) -> [(&'static str, &'static str, &'static str, bool); 5] {
        [
            (
                "view",
                "Consulter les transactions",
                "View transactions",
                self.view,
            ),
            ("export", "Exporter", "Export", self.export),
            (
                "operate",
                "Rembourser, capturer, annuler, refacturer",
                "Refund, capture, cancel, rebill",
                self.operate,
            ),
            (
                "virtual_terminal",
                "Terminal virtuel (paiement par email)",
                "Virtual terminal (payment by email)",
                self.virtual_terminal,
            ),
            (
                "manage_users",
                "Gérer les utilisateurs du marchand",
                "Manage the merchant's users",
                self.manage_users,
            ),
        ]
    }

    /// Whether every permission set here is also set in `held` (a merchant
    /// manager grants only what they hold themselves).
    pub fn within(self, held: Permissions) -> bool {
        self.entries()
            .iter()
            .zip(held.entries().iter())
            .all(|(mine, theirs)| !mine.3 || theirs.3)
    }

    /// The keys that are set, for audit lines: `view,export` (or `none`).
    pub fn keys(self) -> String {
        let keys: Vec<&str> = self.entries().iter().filter(|e| e.3).map(|e| e.0).collect();
        if keys.is_empty() {
            "none".into()
        } else {
            keys.join(",")
        }
    }

    /// Builds permissions from the keys that are set.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Permissions {
        let mut p = Permissions::default();
        for k in keys {
            match k {
                "view" => p.view = true,
                "export" => p.export = true,
                "operate" => p.operate = true,
                "virtual_terminal" => p.virtual_terminal = true,
                "manage_users" => p.manage_users = true,
                _ => {}
            }
        }
        p
    }
}

/// Who a user is on this appliance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Runs the appliance: every merchant, every user.
    Admin,
    /// Staff of one merchant, with permissions.
    Merchant {
        merchant_id: u64,
        permissions: Permissions,
    },
}

impl Role {
    /// The merchant of a merchant role.
    pub fn merchant_id(self) -> Option<u64> {
        match self {
            Role::Admin => None,
            Role::Merchant { merchant_id, .. } => Some(merchant_id),
        }
    }

    /// `admin` or `merchant 3 [view,export]`, for audit lines.
    pub fn describe(self) -> String {
        match self {
            Role::Admin => "admin".to_string(),
            Role::Merchant {
                merchant_id,
                permissions,
            } => format!("merchant {merchant_id} [{}]", permissions.keys()),
        }
    }

    /// `role: merchant 3 [view] → merchant 3 [view,operate]` (or `role unchanged: …`).
    pub fn change(before: Role, after: Role) -> String {
        if before == after {
            format!("role unchanged: {}", after.describe())
        } else {
            format!("role: {} → {}", before.describe(), after.describe())
        }
    }
}

/// A back-office account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    /// Lowercase, unique.
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub password_hash: String,
    /// The hashes of the previous passwords, newest first (at most 4).
    pub previous_hashes: Vec<String>,
    pub must_change_password: bool,
    pub role: Role,
    pub lang: Lang,
    pub disabled: bool,
    /// Unix seconds: creation, last sign-in or last reactivation; drives expiry.
    pub last_used_at: i64,
    pub created_at: i64,
    /// Unix seconds of the last password change (or one-time password): drives the
    /// password maximum age (PCI DSS 8.3.9) for staff without a second factor.
    pub password_changed_at: i64,
    /// Disabled by an admin: only an admin may enable the account again.
    pub disabled_by_admin: bool,
    /// The TOTP second factor, pending or confirmed.
    pub second_factor: Option<SecondFactor>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn merchant_id(&self) -> Option<u64> {
        self.role.merchant_id()
    }

    /// Whether the user signs in with a confirmed second factor.
    pub fn has_second_factor(&self) -> bool {
        self.second_factor
            .as_ref()
            .is_some_and(SecondFactor::is_confirmed)
    }

    /// Whether this user may edit or act on `target`'s account: admins on anyone;
    /// a merchant manager on accounts whose permissions are all among their own (a
    /// password reset hands over the account, so it must not hand over more).
    pub fn may_manage(&self, target: &User) -> bool {
        self.is_admin()
            || (!target.is_admin()
                && self.permissions().manage_users
                && target.merchant_id() == self.merchant_id()
                && target.permissions().within(self.permissions()))
    }

    /// The role `self` grants by choosing `choice` (`admin` or `merchant:ID`) with
    /// `permissions`, for `target` (`None`: a new account). Only an admin grants
    /// admin; the merchant must be among `merchants` (those `self` sees); a manager
    /// grants only permissions they hold; nobody changes their own role (an admin
    /// asks another admin).
    pub fn grant_role(
        &self,
        target: Option<&User>,
        choice: &str,
        permissions: Permissions,
        merchants: &[u64],
    ) -> Result<Role, FieldError> {
        let bad = || FieldError::new("role", "Choisissez un marchand.", "Choose a merchant.");
        let role = if choice == "admin" {
            if !self.is_admin() {
                return Err(bad());
            }
            Role::Admin
        } else {
            let id: u64 = choice
                .strip_prefix("merchant:")
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?;
            if !merchants.contains(&id) {
                return Err(bad());
            }
            if !permissions.within(self.permissions()) {
                return Err(FieldError::new(
                    "permissions",
                    "Vous ne pouvez accorder que des droits que vous avez vous-même.",
                    "You can only grant permissions you hold yourself.",
                ));
            }
            Role::Merchant {
                merchant_id: id,
                permissions,
            }
        };
        match target {
            Some(t) if t.id == self.id && t.role != role => Err(FieldError::new(
                "permissions",
                "Vous ne pouvez pas modifier vos propres droits.",
                "You cannot change your own permissions.",
            )),
            _ => Ok(role),
        }
    }

    /// Gives the account a one-time password (reset or reactivation): the old hash
    /// joins the history, the password must change at next sign-in, and the expiry
    /// and password-age clocks restart at `at`.
    pub fn set_one_time_password(&mut self, hash: String, at: i64) {
        let old = std::mem::replace(&mut self.password_hash, hash);
        self.previous_hashes.insert(0, old);
        self.previous_hashes.truncate(HISTORY);
        self.must_change_password = true;
        self.last_used_at = at;
        self.password_changed_at = at;
    }

    /// Admins may do everything; merchant users what their permissions say.
    pub fn permissions(&self) -> Permissions {
        match self.role {
            Role::Admin => Permissions::ALL,
            Role::Merchant { permissions, .. } => permissions,
        }
    }
}

/// The fields of the user form that an edit changes (the username never changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileChange {
    pub full_name: String,
    pub email: String,
    pub role: Role,
}

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

/// Usernames: 3–40 characters among letters, digits, `.`, `_`, `-`, `@`; stored lowercase.
pub fn parse_username(input: &str) -> Result<String, FieldError> {
    let u = input.trim().to_lowercase();
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if (3..=40).contains(&u.chars().count()) && ok_chars {
        Ok(u)
    } else {
        Err(FieldError::new(
            "username",
            "3 à 40 caractères : lettres, chiffres, point, tiret, souligné ou @.",
            "3 to 40 characters: letters, digits, dot, dash, underscore or @.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(parse_username(" Omar.B ").unwrap(), "omar.b");
        assert!(parse_username("ab").is_err());
        assert!(parse_username("has space").is_err());
        assert!(parse_username("<script>").is_err());
    }

    #[test]
    fn a_manager_may_grant_only_permissions_they_hold() {
        let held = Permissions {
            manage_users: true,
            export: true,
            ..Permissions::default()
        };
        let asked = Permissions {
            export: true,
            ..Permissions::default()
        };
        assert!(asked.within(held));
        assert!(Permissions::default().within(held));
        let more = Permissions {
            operate: true,
            ..asked
        };
        assert!(!more.within(held));
        assert_eq!(more.keys(), "export,operate");
        assert_eq!(Permissions::default().keys(), "none");
    }

    #[test]
    fn permissions_round_trip_through_their_keys() {
        let p = Permissions {
            view: true,
            operate: true,
            ..Permissions::default()
        };
        let keys: Vec<_> = p.entries().iter().filter(|e| e.3).map(|e| e.0).collect();
        assert_eq!(Permissions::from_keys(keys), p);
    }

    fn user(id: u64, role: Role) -> User {
        User {
            id,
            username: format!("u{id}"),
            full_name: String::new(),
            email: String::new(),
            password_hash: "h".into(),
            previous_hashes: Vec::new(),
            must_change_password: false,
            role,
            lang: Lang::Fr,
            disabled: false,
            last_used_at: NOW.unix_timestamp(),
            created_at: 0,
            password_changed_at: 0,
            disabled_by_admin: false,
            second_factor: None,
        }
    }

    const NOW: OffsetDateTime = time::macros::datetime!(2026-06-01 12:00 UTC);

    fn staff(id: u64, merchant_id: u64, permissions: Permissions) -> User {
        user(
            id,
            Role::Merchant {
                merchant_id,
                permissions,
            },
        )
    }

    fn manager(id: u64, merchant_id: u64) -> User {
        staff(
            id,
            merchant_id,
            Permissions {
                view: true,
                manage_users: true,
                ..Permissions::default()
            },
        )
    }

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

    #[test]
    fn roles_are_granted_by_the_rules() {
        let admin = user(1, Role::Admin);
        let m = manager(2, 7);
        let view = Permissions {
            view: true,
            ..Permissions::default()
        };
        assert_eq!(admin.grant_role(None, "admin", view, &[7]), Ok(Role::Admin));
        assert_eq!(
            m.grant_role(None, "admin", view, &[7]).unwrap_err().field,
            "role"
        );
        assert_eq!(
            m.grant_role(None, "merchant:7", view, &[7]),
            Ok(Role::Merchant {
                merchant_id: 7,
                permissions: view
            })
        );
        // A merchant the granter does not see, or nonsense.
        for choice in ["merchant:8", "merchant:x", ""] {
            assert_eq!(
                m.grant_role(None, choice, view, &[7]).unwrap_err().field,
                "role"
            );
        }
        let operate = Permissions {
            operate: true,
            ..Permissions::default()
        };
        let e = m.grant_role(None, "merchant:7", operate, &[7]).unwrap_err();
        assert_eq!(e.en, "You can only grant permissions you hold yourself.");
        // One's own role never changes, even by an admin; the same role is fine.
        let e = admin
            .grant_role(Some(&admin), "merchant:7", view, &[7])
            .unwrap_err();
        assert_eq!(e.en, "You cannot change your own permissions.");
        assert_eq!(
            admin.grant_role(Some(&admin), "admin", view, &[7]),
            Ok(Role::Admin)
        );
        assert_eq!(
            Role::change(Role::Admin, Role::Admin),
            "role unchanged: admin"
        );
        assert_eq!(
            Role::change(
                Role::Admin,
                Role::Merchant {
                    merchant_id: 7,
                    permissions: view
                }
            ),
            "role: admin → merchant 7 [view]"
        );
    }

    #[test]
    fn a_one_time_password_keeps_the_old_hash_and_restarts_the_clocks() {
        let mut u = user(1, Role::Admin);
        u.previous_hashes = vec!["a".into(), "b".into(), "c".into(), "d".into()];
        u.set_one_time_password("new".into(), 42);
        assert_eq!(u.password_hash, "new");
        assert_eq!(u.previous_hashes, ["h", "a", "b", "c"]);
        assert!(u.must_change_password);
        assert_eq!((u.last_used_at, u.password_changed_at), (42, 42));
    }
}
