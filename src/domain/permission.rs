//! Who may use what (AUTH-6): one `Permission` model behind the route guards, the
//! navigation and the buttons a page offers.

use super::user::{Role, User};

/// One thing a back-office user may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// See transactions and their detail.
    View,
    /// Download the transaction list.
    Export,
    /// Refund, capture, cancel, rebill.
    Operate,
    /// Create payment requests (virtual terminal) and act on them.
    VirtualTerminal,
    /// Manage the users of one's merchant.
    ManageUsers,
    /// Run the appliance: merchants, emails, audit log, security settings.
    Admin,
}

/// What a route (or a navigation entry) asks of the signed-in user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in user (their own profile, the landing page).
    SignedIn,
    /// Every one of these permissions.
    All(&'static [Permission]),
    /// At least one of these permissions.
    Any(&'static [Permission]),
}

impl User {
    /// Admins may do everything; merchant users what their permissions say; only
    /// admins are `Admin`.
    pub fn may(&self, p: Permission) -> bool {
        let held = match self.role {
            Role::Admin => return true,
            Role::Merchant { permissions, .. } => permissions,
        };
        match p {
            Permission::View => held.view,
            Permission::Export => held.export,
            Permission::Operate => held.operate,
            Permission::VirtualTerminal => held.virtual_terminal,
            Permission::ManageUsers => held.manage_users,
            Permission::Admin => false,
        }
    }

    /// Whether the user meets what a route or a navigation entry asks.
    pub fn meets(&self, access: Access) -> bool {
        match access {
            Access::SignedIn => true,
            Access::All(ps) => ps.iter().all(|&p| self.may(p)),
            Access::Any(ps) => ps.iter().any(|&p| self.may(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Permissions;

    fn merchant(permissions: Permissions) -> User {
        User {
            id: 2,
            username: "u".into(),
            full_name: String::new(),
            email: String::new(),
            password_hash: String::new(),
            previous_hashes: Vec::new(),
            must_change_password: false,
            role: Role::Merchant {
                merchant_id: 1,
                permissions,
            },
            lang: crate::domain::Lang::Fr,
            disabled: false,
            last_used_at: 0,
            created_at: 0,
            password_changed_at: 0,
            disabled_by_admin: false,
            second_factor: None,
            time_zone: None,
        }
    }

    #[test]
    fn an_admin_may_everything_and_a_merchant_user_never_admin() {
        let admin = User {
            role: Role::Admin,
            ..merchant(Permissions::default())
        };
        let all = merchant(Permissions::ALL);
        for p in [
            Permission::View,
            Permission::Export,
            Permission::Operate,
            Permission::VirtualTerminal,
            Permission::ManageUsers,
        ] {
            assert!(admin.may(p) && all.may(p), "{p:?}");
        }
        assert!(admin.may(Permission::Admin));
        assert!(!all.may(Permission::Admin));
    }

    #[test]
    fn each_permission_follows_its_own_flag_only() {
        let view = merchant(Permissions {
            view: true,
            ..Permissions::default()
        });
        assert!(view.may(Permission::View));
        assert!(!view.may(Permission::Export));
        assert!(!view.may(Permission::Operate));
        assert!(!view.may(Permission::VirtualTerminal));
        assert!(!view.may(Permission::ManageUsers));
    }

    #[test]
    fn all_needs_every_permission_and_any_needs_one() {
        let view = merchant(Permissions {
            view: true,
            ..Permissions::default()
        });
        let none = merchant(Permissions::default());
        let export = Access::All(&[Permission::View, Permission::Export]);
        let requests = Access::Any(&[Permission::View, Permission::VirtualTerminal]);
        assert!(!view.meets(export));
        assert!(view.meets(requests));
        assert!(!none.meets(requests));
        assert!(none.meets(Access::SignedIn));
    }
}
