//! How one transaction reads in the list, in words: its status with the result code as
//! a detail, its card as brand and last four digits, its amount signed (a refund is
//! money going back, so it shows negative). Pure functions of the row and the language.

use super::card::Brand;
use super::codes::ResultCode;
use super::lang::Lang;
use super::money::{Amount, Currency, format_amount};
use super::transaction::{Operation, Status, StoredCard, Transaction};

/// The minus sign put before the amount of money going back to the cardholder.
pub const MINUS: char = '\u{2212}';

/// "Refusée · 051": the status word and the three-digit code (the code's meaning
/// goes in a tooltip or a second line, see [`ResultCode::text`]).
pub fn status_line(code: ResultCode, lang: Lang) -> String {
    format!("{} · {code}", Status::of(code).label(lang))
}

/// "Visa •••• 4444" (brand as the scheme writes it, then the last four digits only);
/// `None` when the row has no card.
pub fn card_short(card: Option<&StoredCard>) -> Option<String> {
    let card = card?;
    let brand = card.brand.filter(|b| *b != Brand::Unknown).map(brand_word);
    let dots = format!("•••• {}", card.last4);
    Some(match brand {
        Some(b) => format!("{b} {dots}"),
        None => dots,
    })
}

/// The brand in title case for reading ("Visa", "Mastercard", "Amex").
pub fn brand_word(b: Brand) -> &'static str {
    match b {
        Brand::Visa => "Visa",
        Brand::Mastercard => "Mastercard",
        Brand::Amex => "Amex",
        Brand::Maestro => "Maestro",
        Brand::Discover => "Discover",
        Brand::Jcb => "JCB",
        Brand::Diners => "Diners",
        Brand::UnionPay => "UnionPay",
        Brand::Unknown => "",
    }
}

/// True when the operation gives money back to the cardholder: a refund, or a
/// chargeback (the issuer takes it back from the merchant).
pub fn is_outgoing(op: Operation) -> bool {
    matches!(op, Operation::Refund | Operation::Chargeback)
}

/// How an accepted row moves the net total of its currency: +1 for money taken from a
/// card (sale, capture, rebill), −1 for money given back (refund, chargeback), 0 for rows that move
/// none (3-D Secure check, authorization, cancellation). Refused rows move nothing.
pub fn net_sign(op: Operation) -> i8 {
    if op.debits() {
        1
    } else if is_outgoing(op) {
        -1
    } else {
        0
    }
}

/// What later rows did to an accepted row, as the list flags it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followup {
    Refunded,
    PartlyRefunded,
    Captured,
    PartlyCaptured,
    Cancelled,
    /// The issuer disputed it (a chargeback), wholly or in part: this flag wins over
    /// a refund's, as a merchant must answer it.
    ChargedBack,
}

impl Followup {
    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Followup::Refunded => ("Remboursée", "Refunded"),
            Followup::PartlyRefunded => ("Remboursée partiellement", "Partly refunded"),
            Followup::Captured => ("Capturée", "Captured"),
            Followup::PartlyCaptured => ("Capturée partiellement", "Partly captured"),
            Followup::Cancelled => ("Annulée", "Cancelled"),
            Followup::ChargedBack => ("Impayé", "Charged back"),
        };
        lang.pick(fr, en)
    }
}

/// The sum of a row's accepted children of operation `op` (its refunds, its captures).
fn accepted_sum(tx: &Transaction, children: &[Transaction], op: Operation) -> Amount {
    children
        .iter()
        .filter(|c| c.parent_id == Some(tx.id) && c.operation == op && c.code.is_accepted())
        .fold(Amount::ZERO, |sum, c| {
            sum.checked_add(c.amount)
                .unwrap_or(Amount::from_minor(super::money::MAX_MINOR).unwrap_or(sum))
        })
}

/// The amount refunded so far on a sale, capture or rebill: its accepted refunds.
/// `children` may hold other rows' children too; only `tx`'s count.
pub fn refunded_amount(tx: &Transaction, children: &[Transaction]) -> Amount {
    accepted_sum(tx, children, Operation::Refund)
}

/// The amount disputed so far on a sale, capture or rebill: its chargebacks.
/// `children` may hold other rows' children too; only `tx`'s count.
pub fn charged_back_amount(tx: &Transaction, children: &[Transaction]) -> Amount {
    accepted_sum(tx, children, Operation::Chargeback)
}

/// The flag of an accepted sale, capture or rebill (refunded, wholly or in part) or of
/// an accepted authorization (captured, wholly or in part, or cancelled), from its
/// children; `None` for anything else or when nothing followed.
pub fn followup(tx: &Transaction, children: &[Transaction]) -> Option<Followup> {
    if !tx.code.is_accepted() {
        return None;
    }
    let whole_or_part = |done: Amount, whole: Followup, part: Followup| {
        if done.is_zero() {
            None
        } else if done >= tx.amount {
            Some(whole)
        } else {
            Some(part)
        }
    };
    if tx.operation.debits() {
        if !charged_back_amount(tx, children).is_zero() {
            return Some(Followup::ChargedBack);
        }
        return whole_or_part(
            refunded_amount(tx, children),
            Followup::Refunded,
            Followup::PartlyRefunded,
        );
    }
    if tx.operation == Operation::Authorization {
        let captured = accepted_sum(tx, children, Operation::Capture);
        let cancelled = children.iter().any(|c| {
            c.parent_id == Some(tx.id) && c.operation == Operation::Cancel && c.code.is_accepted()
        });
        return whole_or_part(captured, Followup::Captured, Followup::PartlyCaptured)
            .or(cancelled.then_some(Followup::Cancelled));
    }
    None
}

/// "Omar Benani" (or the email when no name was given) for the customer column.
pub fn customer(tx: &Transaction) -> Option<&str> {
    let name = tx.buyer.name.trim();
    let email = tx.buyer.email.trim();
    if !name.is_empty() {
        Some(name)
    } else if !email.is_empty() {
        Some(email)
    } else {
        None
    }
}

/// The amount as the list shows it: "−625,25 MAD" for a refund, "1 250,50 MAD" otherwise.
pub fn signed_amount(op: Operation, amount: Amount, currency: Currency, lang: Lang) -> String {
    let text = format_amount(amount, currency, lang);
    if is_outgoing(op) && !amount.is_zero() {
        format!("{MINUS}{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(brand: Option<Brand>) -> StoredCard {
        StoredCard {
            bin: "555555".into(),
            last4: "4444".into(),
            pan_len: 16,
            brand,
            ..StoredCard::default()
        }
    }

    #[test]
    fn a_card_reads_as_brand_and_last_four_never_the_bin() {
        let c = card(Some(Brand::Mastercard));
        assert_eq!(card_short(Some(&c)).unwrap(), "Mastercard •••• 4444");
        assert_eq!(card_short(Some(&card(None))).unwrap(), "•••• 4444");
        assert!(!card_short(Some(&c)).unwrap().contains("555555"));
        assert_eq!(card_short(None), None);
    }

    #[test]
    fn a_refund_is_negative_and_a_sale_is_not() {
        let a = Amount::from_minor(62_525).unwrap();
        assert_eq!(
            signed_amount(Operation::Refund, a, Currency::Mad, Lang::Fr),
            "\u{2212}625,25 MAD"
        );
        assert_eq!(
            signed_amount(Operation::Sale, a, Currency::Mad, Lang::En),
            "625.25 MAD"
        );
    }

    #[test]
    fn only_debits_refunds_and_chargebacks_move_the_net_total() {
        let signs: Vec<i8> = Operation::ALL.iter().map(|o| net_sign(*o)).collect();
        // 3DS, sale, authorization, capture, cancel, refund, rebill, chargeback
        assert_eq!(signs, vec![0, 1, 0, 1, 0, -1, 1, -1]);
    }

    #[test]
    fn a_chargeback_is_negative_in_the_list() {
        let a = Amount::from_minor(10_000).unwrap();
        assert_eq!(
            signed_amount(Operation::Chargeback, a, Currency::Mad, Lang::Fr),
            "\u{2212}100,00 MAD"
        );
    }

    fn row(id: u64, op: Operation, minor: i64, parent: Option<u64>, ok: bool) -> Transaction {
        let code = if ok {
            ResultCode::ACCEPTED
        } else {
            ResultCode::parse("051").unwrap()
        };
        let at = time::macros::datetime!(2026-05-10 10:00 UTC);
        let mut t = crate::domain::transaction::tests::tx(id, op, minor, code, at);
        t.parent_id = parent;
        t
    }

    #[test]
    fn a_sale_is_flagged_refunded_only_by_its_accepted_refunds() {
        let sale = row(1, Operation::Sale, 1_000, None, true);
        let part = row(2, Operation::Refund, 400, Some(1), true);
        let refused = row(3, Operation::Refund, 600, Some(1), false);
        let rest = row(4, Operation::Refund, 600, Some(1), true);
        let other = row(5, Operation::Refund, 999, Some(9), true);
        assert_eq!(followup(&sale, &[]), None);
        assert_eq!(followup(&sale, std::slice::from_ref(&other)), None);
        let some = [part.clone(), refused, other];
        assert_eq!(followup(&sale, &some), Some(Followup::PartlyRefunded));
        assert_eq!(refunded_amount(&sale, &some).minor(), 400);
        assert_eq!(followup(&sale, &[part, rest]), Some(Followup::Refunded));
        let refused_sale = row(6, Operation::Sale, 1_000, None, false);
        assert_eq!(
            followup(
                &refused_sale,
                &[row(7, Operation::Refund, 1, Some(6), true)]
            ),
            None
        );
    }

    #[test]
    fn a_disputed_sale_is_flagged_charged_back_even_when_refunded_in_part() {
        let sale = row(1, Operation::Sale, 1_000, None, true);
        let refund = row(2, Operation::Refund, 400, Some(1), true);
        let dispute = row(3, Operation::Chargeback, 600, Some(1), true);
        let kids = [refund, dispute];
        assert_eq!(followup(&sale, &kids), Some(Followup::ChargedBack));
        assert_eq!(charged_back_amount(&sale, &kids).minor(), 600);
        assert_eq!(Followup::ChargedBack.label(Lang::Fr), "Impayé");
        assert_eq!(Followup::ChargedBack.label(Lang::En), "Charged back");
    }

    #[test]
    fn an_authorization_is_flagged_captured_or_cancelled() {
        let auth = row(1, Operation::Authorization, 1_000, None, true);
        let all = row(2, Operation::Capture, 1_000, Some(1), true);
        let part = row(3, Operation::Capture, 300, Some(1), true);
        let cancel = row(4, Operation::Cancel, 1_000, Some(1), true);
        assert_eq!(followup(&auth, &[all]), Some(Followup::Captured));
        assert_eq!(
            followup(&auth, std::slice::from_ref(&part)),
            Some(Followup::PartlyCaptured)
        );
        assert_eq!(followup(&auth, &[cancel]), Some(Followup::Cancelled));
        assert_eq!(
            Followup::PartlyRefunded.label(Lang::Fr),
            "Remboursée partiellement"
        );
        assert_eq!(Followup::Captured.label(Lang::En), "Captured");
    }

    #[test]
    fn a_status_is_a_word_and_its_code() {
        let code = ResultCode::parse("051").unwrap();
        assert_eq!(status_line(code, Lang::Fr), "Refusée · 051");
        assert_eq!(status_line(code, Lang::En), "Refused · 051");
    }
}
