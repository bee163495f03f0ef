//! Users, roles and permissions (AUTH-6), and who may grant which role. The account
//! states and actions live in `domain::account` (re-exported here).

use serde::{Deserialize, Serialize};

use super::Lang;
use super::password::HISTORY;
use super::totp::SecondFactor;
use super::zone::Zone;

pub use super::account::{AccountState, ActionRefused, UserAction, account_state};
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
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Role {
    /// Runs the appliance: every merchant, every user.
    Admin = 0,
    /// Staff of one merchant, with permissions.
    Merchant {
        merchant_id: u64,
        permissions: Permissions,
    } = 1,
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
    /// The zone the user reads dates in, chosen in their profile; `None`: the
    /// appliance's. Not in the stored record (postcard is positional, so the record's
    /// layout is the file format): `db::users` keeps it in its own table beside the
    /// record and fills it in on every read, so files written before it read as
    /// they are.
    #[serde(skip)]
    pub time_zone: Option<Zone>,
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
pub(crate) mod tests {
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

    pub(crate) fn user(id: u64, role: Role) -> User {
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
            time_zone: None,
        }
    }

    pub(crate) const NOW: time::OffsetDateTime = time::macros::datetime!(2026-06-01 12:00 UTC);

    pub(crate) fn staff(id: u64, merchant_id: u64, permissions: Permissions) -> User {
        user(
            id,
            Role::Merchant {
                merchant_id,
                permissions,
            },
        )
    }

    pub(crate) fn manager(id: u64, merchant_id: u64) -> User {
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
