//! How a merchant is named: for its customers (company, else name) and in the back
//! office's tables (its account name, found by id).

use crate::domain::user::Merchant;

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

    fn merchant(name: &str, company: &str) -> Merchant {
        Merchant {
            id: 7,
            name: name.into(),
            company: company.into(),
            terminals: Vec::new(),
            accounts: Vec::new(),
            statement_descriptor: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn customers_see_the_company_else_the_name() {
        assert_eq!(merchant("shop", "Shop SARL").display_name(), "Shop SARL");
        assert_eq!(merchant("shop", "").display_name(), "shop");
    }

    #[test]
    fn an_unknown_merchant_reads_as_its_id() {
        let list = [merchant("shop", "Shop SARL")];
        assert_eq!(name_of(&list, 7), "shop");
        assert_eq!(name_of(&list, 8), "#8");
    }
}
