//! The one navigation table (HOME-5): it gives the top tabs, the sub-tabs of each
//! area and the landing page, so "who sees which screen" is written once, with the
//! same `Access` values the route guards use.

use super::permission::{Access, Permission};
use super::user::User;

/// A top-level tab of the back office.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Home,
    Processing,
    Statistics,
    /// Support tickets (issue 14, SUP-1): every signed-in user.
    Support,
    Parameters,
}

impl Area {
    pub const ALL: [Area; 5] = [
        Area::Home,
        Area::Processing,
        Area::Statistics,
        Area::Support,
        Area::Parameters,
    ];

    /// (French, English) label; the reference guide's "Processing" tab reads
    /// "Traitement" in the French interface (one language at a time).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Area::Home => ("Accueil", "Home"),
            Area::Processing => ("Traitement", "Processing"),
            Area::Statistics => ("Statistiques", "Statistics"),
            Area::Support => ("Support", "Support"),
            Area::Parameters => ("Paramètres", "Settings"),
        }
    }
}

/// One screen reachable from the navigation.
#[derive(Clone, Copy, Debug)]
pub struct NavItem {
    pub path: &'static str,
    /// (French, English) label.
    pub label: (&'static str, &'static str),
    pub area: Area,
    pub access: Access,
}

/// Every screen of the navigation, in display order within each area.
pub const NAV: &[NavItem] = &[
    NavItem {
        path: "/home",
        label: ("Tableau de bord", "Dashboard"),
        area: Area::Home,
        access: Access::All(&[Permission::View]),
    },
    NavItem {
        path: "/transactions",
        label: ("Transactions", "Transactions"),
        area: Area::Processing,
        access: Access::All(&[Permission::View]),
    },
    NavItem {
        path: "/authorizations",
        label: ("Autorisations à capturer", "Authorizations to capture"),
        area: Area::Processing,
        access: Access::All(&[Permission::View]),
    },
    NavItem {
        path: "/terminal",
        label: ("Terminal virtuel (MOTO)", "Virtual terminal (MOTO)"),
        area: Area::Processing,
        access: Access::All(&[Permission::VirtualTerminal]),
    },
    NavItem {
        path: "/payment-requests",
        label: ("Demandes de paiement", "Payment requests"),
        area: Area::Processing,
        access: Access::Any(&[Permission::View, Permission::VirtualTerminal]),
    },
    NavItem {
        path: "/statistics",
        label: ("Statistiques", "Statistics"),
        area: Area::Statistics,
        access: Access::All(&[Permission::View]),
    },
    NavItem {
        path: "/support",
        label: ("Support", "Support"),
        area: Area::Support,
        access: Access::SignedIn,
    },
    NavItem {
        path: "/parameters/profile",
        label: ("Mon profil", "My profile"),
        area: Area::Parameters,
        access: Access::SignedIn,
    },
    NavItem {
        path: "/parameters/merchants",
        label: ("Marchands", "Merchants"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/users",
        label: ("Utilisateurs", "Users"),
        area: Area::Parameters,
        access: Access::All(&[Permission::ManageUsers]),
    },
    NavItem {
        path: "/parameters/api",
        label: ("API marchand", "Merchant API"),
        area: Area::Parameters,
        access: Access::All(&[Permission::ManageUsers]),
    },
    NavItem {
        path: "/parameters/restrictions",
        label: ("Restrictions anti-fraude", "Fraud restrictions"),
        area: Area::Parameters,
        access: Access::All(&[Permission::ManageUsers]),
    },
    NavItem {
        path: "/parameters/blacklist",
        label: ("Liste noire", "Blacklist"),
        area: Area::Parameters,
        access: Access::Any(&[Permission::View, Permission::ManageUsers]),
    },
    NavItem {
        path: "/parameters/emails",
        label: ("Emails", "Emails"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/support",
        label: ("Contacts du support", "Support contacts"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/backups",
        label: ("Sauvegardes", "Backups"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/system",
        label: ("Système", "System"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/audit",
        label: ("Journal d'audit", "Audit log"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
    NavItem {
        path: "/parameters/security",
        label: ("Sécurité", "Security"),
        area: Area::Parameters,
        access: Access::All(&[Permission::Admin]),
    },
];

/// The screens of `area` that `user` may open, in order.
pub fn items(user: &User, area: Area) -> impl Iterator<Item = &'static NavItem> + '_ {
    NAV.iter()
        .filter(move |i| i.area == area && user.meets(i.access))
}

/// Where a top tab leads: the first screen of its area the user may open.
pub fn area_home(user: &User, area: Area) -> Option<&'static str> {
    items(user, area).next().map(|i| i.path)
}

/// The page a user lands on after signing in: the first screen they may open
/// (Support, open to everyone, is never where one lands: a user without any
/// permission lands on their profile).
pub fn landing(user: &User) -> &'static str {
    Area::ALL
        .into_iter()
        .filter(|a| *a != Area::Support)
        .find_map(|a| area_home(user, a))
        .unwrap_or("/parameters/profile")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Permissions, Role};

    fn user(role: Role) -> User {
        User {
            id: 2,
            username: "u".into(),
            full_name: String::new(),
            email: String::new(),
            password_hash: String::new(),
            previous_hashes: Vec::new(),
            must_change_password: false,
            role,
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

    fn merchant(permissions: Permissions) -> User {
        user(Role::Merchant {
            merchant_id: 1,
            permissions,
        })
    }

    fn paths(u: &User, area: Area) -> Vec<&'static str> {
        items(u, area).map(|i| i.path).collect()
    }

    #[test]
    fn users_land_on_home_then_the_terminal_then_their_profile() {
        let view = Permissions {
            view: true,
            ..Permissions::default()
        };
        let terminal = Permissions {
            virtual_terminal: true,
            ..Permissions::default()
        };
        assert_eq!(landing(&user(Role::Admin)), "/home");
        assert_eq!(landing(&merchant(view)), "/home");
        assert_eq!(landing(&merchant(terminal)), "/terminal");
        assert_eq!(
            landing(&merchant(Permissions::default())),
            "/parameters/profile"
        );
    }

    #[test]
    fn payment_requests_show_with_view_or_the_terminal_and_admin_screens_only_to_admins() {
        let terminal = merchant(Permissions {
            virtual_terminal: true,
            manage_users: true,
            ..Permissions::default()
        });
        assert_eq!(
            paths(&terminal, Area::Processing),
            ["/terminal", "/payment-requests"]
        );
        assert_eq!(
            paths(&terminal, Area::Parameters),
            [
                "/parameters/profile",
                "/parameters/users",
                "/parameters/api",
                "/parameters/restrictions",
                "/parameters/blacklist"
            ]
        );
        assert_eq!(paths(&user(Role::Admin), Area::Parameters).len(), 12);
        let nothing = merchant(Permissions::default());
        assert!(paths(&nothing, Area::Processing).is_empty());
        assert_eq!(area_home(&nothing, Area::Processing), None);
    }

    #[test]
    fn every_signed_in_user_has_the_support_tab() {
        for u in [user(Role::Admin), merchant(Permissions::default())] {
            assert_eq!(paths(&u, Area::Support), ["/support"]);
            assert_eq!(area_home(&u, Area::Support), Some("/support"));
        }
    }
}
