//! What is written down about a transaction besides its journal: the notes users add
//! and the history of who did what, when and from where.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::codes::ResultCode;
use super::money::{Amount, Currency, format_amount, parse_amount};
use super::transaction::Operation;

/// A note a user added to a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub at: i64,
    pub author: String,
    pub ip: String,
    pub text: String,
}

/// A history line: who did what to a transaction, when and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub user: String,
    pub ip: String,
    /// A stable key: `note.add`, `refund`, `capture`, …
    pub action: String,
    pub detail: String,
}

// A History line holds codes, shown in words in the reader's language: `action` is
// `note.add` or an operation key (`refund`, `capture`, …); an operation's `detail` is
// `amount=<minor units> currency=<ISO> tx=<id> code=<result code>`. Lines written
// before that (`625.25 MAD → 11 (000)`) are read too; anything else is shown as
// written.

impl HistoryEntry {
    /// The detail of an operation line: what it moved and the row it wrote.
    pub fn operation_detail(
        amount: Amount,
        currency: Currency,
        tx: u64,
        code: ResultCode,
    ) -> String {
        format!(
            "amount={} currency={} tx={tx} code={code}",
            amount.minor(),
            currency.code()
        )
    }

    /// The action in words: `Note ajoutée`, `Remboursement` / `Note added`, `Refund`.
    pub fn action_text(&self, lang: Lang) -> String {
        if self.action == "note.add" {
            return lang.pick("Note ajoutée", "Note added").into();
        }
        Operation::parse(&self.action)
            .map(|op| op.label(lang).to_string())
            .unwrap_or_else(|| self.action.clone())
    }

    /// The detail in words: `10,00 MAD → transaction 5 (000 : …)`.
    pub fn detail_text(&self, lang: Lang) -> String {
        match self.operation_parts() {
            Some((amount, currency, tx, code)) => {
                let code = Self::code_text(code, lang);
                format!(
                    "{} → transaction {tx} ({code})",
                    format_amount(amount, currency, lang)
                )
            }
            None => self.detail.clone(),
        }
    }

    /// A stored result code in words: `000 – Transaction terminée avec succès`.
    pub fn code_text(code: &str, lang: Lang) -> String {
        match ResultCode::parse(code) {
            Some(c) => format!("{c} – {}", c.text(lang)),
            None => code.to_string(),
        }
    }

    /// (amount, currency, transaction, code) of an operation line, new or old.
    pub fn operation_parts(&self) -> Option<(Amount, Currency, u64, &str)> {
        let d = self.detail.as_str();
        if let Some((money, rest)) = d.split_once(" → ") {
            let (amount, currency) = money.rsplit_once(' ')?;
            let (tx, code) = rest.split_once(" (")?;
            let currency = Currency::parse(currency)?;
            // Written in French by older versions, when every currency had two decimals.
            return Some((
                parse_amount(amount, currency, Lang::Fr).ok()?,
                currency,
                tx.parse().ok()?,
                code.strip_suffix(')')?,
            ));
        }
        let mut amount = None;
        let mut currency = None;
        let mut tx = None;
        let mut code = None;
        for pair in d.split(' ') {
            match pair.split_once('=')? {
                ("amount", v) => amount = Amount::from_minor(v.parse().ok()?),
                ("currency", v) => currency = Currency::parse(v),
                ("tx", v) => tx = v.parse().ok(),
                ("code", v) => code = Some(v),
                _ => return None,
            }
        }
        Some((amount?, currency?, tx?, code?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: &str, detail: &str) -> HistoryEntry {
        HistoryEntry {
            at: 0,
            user: "omar".into(),
            ip: "127.0.0.1".into(),
            action: action.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn history_lines_are_codes_shown_in_the_readers_words() {
        let amount = Amount::from_minor(62_525).unwrap();
        let detail =
            HistoryEntry::operation_detail(amount, Currency::Mad, 11, ResultCode::ACCEPTED);
        assert_eq!(detail, "amount=62525 currency=MAD tx=11 code=000");
        let new = line("refund", &detail);
        assert_eq!(new.action_text(Lang::Fr), "Remboursement");
        assert_eq!(new.action_text(Lang::En), "Refund");
        let fr = new.detail_text(Lang::Fr);
        assert!(
            fr.starts_with("625,25 MAD → transaction 11 (000 – "),
            "{fr}"
        );
        let en = new.detail_text(Lang::En);
        assert!(
            en.starts_with("625.25 MAD → transaction 11 (000 – "),
            "{en}"
        );
        // A line written before the codes reads the same.
        assert_eq!(
            line("refund", "625.25 MAD → 11 (000)").detail_text(Lang::Fr),
            fr
        );
        assert_eq!(line("note.add", "").action_text(Lang::Fr), "Note ajoutée");
        assert_eq!(line("note.add", "").detail_text(Lang::En), "");
        assert_eq!(line("x.y", "free text").detail_text(Lang::En), "free text");
    }
}
