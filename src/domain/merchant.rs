//! Merchants with their terminals and merchant accounts, and the merchant form.

use serde::{Deserialize, Serialize};

use super::form::FieldError;

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

/// The merchant form as typed, and as shown again: five text fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MerchantForm {
    pub name: String,
    pub company: String,
    /// One per line: `number` or `number label`.
    pub terminals: String,
    /// One per line.
    pub accounts: String,
    pub statement_descriptor: String,
}

impl MerchantForm {
    /// The form filled with a stored merchant.
    pub fn from_merchant(m: &Merchant) -> MerchantForm {
        MerchantForm {
            name: m.name.clone(),
            company: m.company.clone(),
            terminals: m
                .terminals
                .iter()
                .map(|t| {
                    if t.label.is_empty() {
                        t.number.to_string()
                    } else {
                        format!("{} {}", t.number, t.label)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            accounts: m.accounts.join("\n"),
            statement_descriptor: m.statement_descriptor.clone(),
        }
    }

    /// Checks the form (see [`MerchantInput::parse`]).
    pub fn parse(&self) -> Result<MerchantInput, Vec<FieldError>> {
        MerchantInput::parse(
            &self.name,
            &self.company,
            &self.terminals,
            &self.accounts,
            &self.statement_descriptor,
        )
    }

    /// The values to show again in a refused form: never a card number.
    pub fn echo(&self) -> MerchantForm {
        use super::card::{contains_pan_like, echo_safe};
        let lines = |v: &str| {
            v.lines()
                .filter(|l| !contains_pan_like(l))
                .collect::<Vec<_>>()
                .join("\n")
        };
        MerchantForm {
            name: echo_safe(&self.name),
            company: echo_safe(&self.company),
            terminals: lines(&self.terminals),
            accounts: lines(&self.accounts),
            statement_descriptor: echo_safe(&self.statement_descriptor),
        }
    }
}

impl Merchant {
    /// A new merchant (id given by storage) from a checked form, made at `now`.
    pub fn from_input(input: MerchantInput, now: i64) -> Merchant {
        Merchant {
            id: 0,
            created_at: now,
            ..Merchant::default()
        }
        .with_input(input)
    }

    /// This merchant with the form's fields (id and creation time kept).
    pub fn with_input(self, input: MerchantInput) -> Merchant {
        Merchant {
            name: input.name,
            company: input.company,
            terminals: input.terminals,
            accounts: input.accounts,
            statement_descriptor: input.statement_descriptor,
            ..self
        }
    }
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

impl Merchant {
    /// The name customers see on payment pages and emails: the company, else the
    /// merchant's name.
    pub fn display_name(&self) -> &str {
        if self.company.is_empty() {
            &self.name
        } else {
            &self.company
        }
    }
}

/// The name of merchant `id` among `merchants` (the back-office tables), or `#id`
/// when it is not among them.
pub fn name_of(merchants: &[Merchant], id: u64) -> String {
    merchants
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| format!("#{id}"), |m| m.name.clone())
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
    fn customers_see_the_company_else_the_name() {
        let m = |name: &str, company: &str| Merchant {
            id: 7,
            name: name.into(),
            company: company.into(),
            ..Merchant::default()
        };
        assert_eq!(m("shop", "Shop SARL").display_name(), "Shop SARL");
        assert_eq!(m("shop", "").display_name(), "shop");
        let list = [m("shop", "Shop SARL")];
        assert_eq!(name_of(&list, 7), "shop");
        assert_eq!(name_of(&list, 8), "#8");
    }
}
