//! Users, roles and permissions (AUTH-6), and merchants with their terminals.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::totp::SecondFactor;

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
        match self.role {
            Role::Admin => None,
            Role::Merchant { merchant_id, .. } => Some(merchant_id),
        }
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

    /// Admins may do everything; merchant users what their permissions say.
    pub fn permissions(&self) -> Permissions {
        match self.role {
            Role::Admin => Permissions::ALL,
            Role::Merchant { permissions, .. } => permissions,
        }
    }
}

/// A terminal of a merchant, as shown in the Initiator group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    pub number: u32,
    pub label: String,
}

/// A merchant: a shop with its terminals and merchant accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    pub id: u64,
    pub name: String,
    pub company: String,
    pub terminals: Vec<Terminal>,
    pub accounts: Vec<String>,
    pub statement_descriptor: String,
    pub created_at: i64,
}

/// Validated fields of a merchant form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantInput {
    pub name: String,
    pub company: String,
    pub terminals: Vec<Terminal>,
    pub accounts: Vec<String>,
    pub statement_descriptor: String,
}

/// A field-level error: which field, and the message in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub fr: String,
    pub en: String,
}

impl FieldError {
    pub fn new(field: &'static str, fr: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError {
            field,
            fr: fr.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.fr, &self.en)
    }
}

impl MerchantInput {
    /// Parses the merchant form: name required (≤ 80 chars); terminals one per line
    /// as `number` or `number label`; accounts one per line; descriptor ≤ 22 chars.
    pub fn parse(
        name: &str,
        company: &str,
        terminals: &str,
        accounts: &str,
        descriptor: &str,
    ) -> Result<MerchantInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name.trim().to_string();
        if name.is_empty() {
            errors.push(FieldError::new(
                "name",
                "Le nom est obligatoire.",
                "The name is required.",
            ));
        } else if name.chars().count() > 80 {
            errors.push(FieldError::new(
                "name",
                "80 caractères au plus.",
                "At most 80 characters.",
            ));
        }
        let mut parsed_terminals = Vec::new();
        for line in terminals.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (num, label) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match num.parse::<u32>() {
                Ok(number) if number > 0 && !parsed_terminals.iter().any(|t: &Terminal| t.number == number) => {
                    parsed_terminals.push(Terminal { number, label: label.trim().to_string() })
                }
                _ => errors.push(FieldError::new(
                    "terminals",
                    format!("« {line} » : un terminal par ligne, un numéro unique puis un libellé facultatif."),
                    format!("\"{line}\": one terminal per line, a unique number then an optional label."),
                )),
            }
        }
        let parsed_accounts: Vec<String> = accounts
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let descriptor = descriptor.trim().to_string();
        if descriptor.chars().count() > 22 {
            errors.push(FieldError::new(
                "statement_descriptor",
                "22 caractères au plus.",
                "At most 22 characters.",
            ));
        }
        // One line each (a line break in a name forges lines in logs and exports), no
        // invisible-only text, no card number.
        let company_trimmed = company.trim();
        let single_lines = [
            ("name", name.as_str()),
            ("company", company_trimmed),
            ("statement_descriptor", descriptor.as_str()),
        ];
        let labels = parsed_terminals
            .iter()
            .map(|t| ("terminals", t.label.as_str()));
        let accounts_lines = parsed_accounts.iter().map(|a| ("accounts", a.as_str()));
        for (field, value) in single_lines.into_iter().chain(labels).chain(accounts_lines) {
            if let Some(e) = super::text::free_text_error(field, value, false)
                && !errors.iter().any(|x| x.field == field)
            {
                errors.push(e);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MerchantInput {
            company: if company.trim().is_empty() {
                name.clone()
            } else {
                company.trim().to_string()
            },
            name,
            terminals: parsed_terminals,
            accounts: parsed_accounts,
            statement_descriptor: descriptor,
        })
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
    fn merchant_form_is_parsed_and_checked() {
        let m = MerchantInput::parse(" Uber ", "", "21114 Web\n21115", "VPS_TEST_DH\n", "UBER MA")
            .unwrap();
        assert_eq!(m.name, "Uber");
        assert_eq!(m.company, "Uber");
        assert_eq!(
            m.terminals,
            vec![
                Terminal {
                    number: 21114,
                    label: "Web".into()
                },
                Terminal {
                    number: 21115,
                    label: String::new()
                }
            ]
        );
        assert_eq!(m.accounts, vec!["VPS_TEST_DH".to_string()]);
        let errs = MerchantInput::parse("", "", "abc\n0", "", "a descriptor that is far too long")
            .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec!["name", "terminals", "terminals", "statement_descriptor"]
        );
    }

    #[test]
    fn a_merchant_name_with_a_line_break_is_refused() {
        let errs = MerchantInput::parse("Uber\nINFO forged", "", "", "", "").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "name");
        assert!(
            MerchantInput::parse("Uber\r", "", "", "", "").is_ok(),
            "trimmed"
        );
        let errs = MerchantInput::parse("\u{202e}\u{202e}", "", "", "", "").unwrap_err();
        assert_eq!(errs[0].field, "name");
    }

    #[test]
    fn a_card_number_in_any_merchant_field_is_refused() {
        let pan = "4111 1111 1111 1111";
        let cases = [
            ("name", MerchantInput::parse(pan, "", "", "", "")),
            ("company", MerchantInput::parse("Uber", pan, "", "", "")),
            (
                "terminals",
                MerchantInput::parse("Uber", "", &format!("21114 {pan}"), "", ""),
            ),
            (
                "accounts",
                MerchantInput::parse("Uber", "", "", &format!("ACC\n{pan}"), ""),
            ),
            (
                "statement_descriptor",
                MerchantInput::parse("Uber", "", "", "", "4111111111111111"),
            ),
        ];
        for (field, parsed) in cases {
            let errs = parsed.unwrap_err();
            assert_eq!(errs.len(), 1, "{field}: {errs:?}");
            assert_eq!(errs[0].field, field);
            assert_eq!(errs[0].en, "Do not type a card number here.");
        }
    }

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
}
