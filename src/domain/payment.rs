//! Payment requests (LINK-1 … LINK-4): the request's life (waiting, paid, expired,
//! blocked, cancelled) and the two rows every payment attempt writes (FLOW-1); the
//! virtual terminal's form is in `request_form`. Pure: time is passed in.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Lang;
use super::codes::ResultCode;
/// The form toolkit's text helper, where `card_form` has always found it.
pub(super) use super::form::text;
use super::money::{Amount, Currency};
pub use super::request_form::{RequestForm, RequestInput, valid_email};
use super::transaction::{Initiator, Operation, Party, SaleDetails, StoredCard, Transaction};

/// Default link validity (LINK-1).
pub const DEFAULT_VALIDITY_DAYS: u32 = 2;
pub const MAX_VALIDITY_DAYS: u32 = 30;
/// Refused attempts on one request before the next one answers 585 (configurable).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Attempts of any outcome (refusals, abandoned challenges 098, silent banks 910/999)
/// on one request before it is blocked like a 585 (L9): a link cannot be looped.
pub const MAX_TOTAL_ATTEMPTS: usize = 10;

/// Where a payment request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Waiting,
    Paid,
    Expired,
    Blocked,
    Cancelled,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Waiting,
        RequestStatus::Paid,
        RequestStatus::Expired,
        RequestStatus::Blocked,
        RequestStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RequestStatus::Waiting => "waiting",
            RequestStatus::Paid => "paid",
            RequestStatus::Expired => "expired",
            RequestStatus::Blocked => "blocked",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            RequestStatus::Waiting => ("En attente", "Waiting"),
            RequestStatus::Paid => ("Payée", "Paid"),
            RequestStatus::Expired => ("Expirée", "Expired"),
            RequestStatus::Blocked => ("Bloquée", "Blocked"),
            RequestStatus::Cancelled => ("Annulée", "Cancelled"),
        };
        lang.pick(fr, en)
    }
}

/// A payment request sent (or shown) to a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    pub id: u64,
    pub merchant_id: u64,
    pub terminal: u32,
    pub created_at: i64,
    pub created_by: String,
    /// Sale or Authorization.
    pub operation: Operation,
    pub order_id: String,
    pub amount: Amount,
    pub currency: Currency,
    pub description: String,
    /// Language of the email and of the payment page.
    pub lang: Lang,
    pub expires_at: i64,
    pub holder: Party,
    /// SHA-256 (hex) of the link's secret (see [`link_hash`]); the secret itself is
    /// never stored (L8). Same place and type as schema 1's clear `token`.
    pub link_hash: String,
    pub cancelled: Option<(i64, String)>,
    /// The accepted sale or authorization.
    pub paid_tx: Option<u64>,
    pub refused_attempts: u32,
    pub blocked: bool,
    /// Sale / authorization rows of every attempt, oldest first.
    pub attempts: Vec<u64>,
    /// Outbox messages sent for this request.
    pub emails: Vec<u64>,
    /// The link's secret (128 random bits, hex), in memory only: known when the
    /// request was just created or given a new link, or opened by its link. Never
    /// stored; empty otherwise.
    #[serde(skip)]
    pub token: String,
}

/// `text` with the secret of every payment link (`/payment/` + 32 hex digits)
/// replaced by `…`: what a sent email keeps in the outbox (L8).
pub fn redact_payment_links(text: &str) -> String {
    const MARK: &str = "/payment/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        let (head, tail) = rest.split_at(i + MARK.len());
        out.push_str(head);
        let secret = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if secret == 32 {
            out.push('…');
            rest = &tail[secret..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// SHA-256 (hex) of a link token: what the data file keeps and looks links up by.
pub fn link_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PaymentRequest {
    pub fn status(&self, now: OffsetDateTime) -> RequestStatus {
        if self.cancelled.is_some() {
            RequestStatus::Cancelled
        } else if self.paid_tx.is_some() {
            RequestStatus::Paid
        } else if self.blocked {
            RequestStatus::Blocked
        } else if now.unix_timestamp() > self.expires_at {
            RequestStatus::Expired
        } else {
            RequestStatus::Waiting
        }
    }

    /// Counts a refused attempt; blocks the request at `max_attempts`.
    pub fn record_refusal(&mut self, max_attempts: u32) {
        self.refused_attempts += 1;
        if self.refused_attempts >= max_attempts.max(1) {
            self.blocked = true;
        }
    }

    /// Counts an attempt that did not pay, already pushed to `attempts`: a refusal
    /// (`counts`) towards `max_attempts`, and every attempt towards
    /// [`MAX_TOTAL_ATTEMPTS`]. Either limit blocks the request.
    pub fn record_unpaid(&mut self, counts: bool, max_attempts: u32) {
        if counts {
            self.record_refusal(max_attempts);
        }
        if self.attempts.len() >= MAX_TOTAL_ATTEMPTS {
            self.blocked = true;
        }
    }

    /// The link the customer opens; `None` when its secret is not known here (it is
    /// shown once, at creation or when a new link is made).
    pub fn link(&self, base_url: &str) -> Option<String> {
        (!self.token.is_empty()).then(|| format!("{base_url}/payment/{}", self.token))
    }

    /// Gives the request a new link secret: the previous link stops working.
    pub fn set_token(&mut self, token: String) {
        self.link_hash = link_hash(&token);
        self.token = token;
    }
}

/// The context of an attempt: who pays, from where, on which merchant account.
pub struct AttemptContext<'a> {
    pub request: &'a PaymentRequest,
    pub card: StoredCard,
    pub ip: &'a str,
    pub at: i64,
    pub test: bool,
    pub merchant_account: String,
    pub statement_descriptor: String,
}

/// The two rows of an attempt (FLOW-1): the 3-D Secure verification ending with
/// `three_ds_code`, then the sale or authorization ending with `code`. The second
/// row's `parent_id` is set once the first has its id.
pub fn attempt_rows(
    cx: &AttemptContext,
    three_ds_code: ResultCode,
    code: ResultCode,
) -> [Transaction; 2] {
    let r = cx.request;
    let row = |operation, code| Transaction {
        id: 0,
        at: cx.at,
        merchant_id: r.merchant_id,
        operation,
        amount: r.amount,
        currency: r.currency,
        code,
        card: Some(cx.card.clone()),
        initiator: Initiator {
            user_name: r.created_by.clone(),
            ip: cx.ip.to_string(),
            terminal: r.terminal,
            merchant_account: cx.merchant_account.clone(),
            point_of_sale: format!("LINK-{}", r.id),
        },
        sale: SaleDetails {
            order_id: r.order_id.clone(),
            description: r.description.clone(),
            order_amount: Some(r.amount),
            product_id: String::new(),
            comment: String::new(),
        },
        buyer: r.holder.clone(),
        shipping: Party::default(),
        affiliation: Default::default(),
        test: cx.test,
        parent_id: None,
        statement_descriptor: cx.statement_descriptor.clone(),
    };
    [
        row(Operation::ThreeDSecure, three_ds_code),
        row(r.operation, code),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::{date, datetime};

    fn form() -> RequestForm {
        RequestForm {
            operation: "sale".into(),
            order_id: "CMD-1".into(),
            amount: "250,00".into(),
            currency: "MAD".into(),
            name: "Salma Idrissi".into(),
            email: "salma@example.ma".into(),
            country: "ma".into(),
            ..RequestForm::default()
        }
    }

    #[test]
    fn a_complete_form_gives_a_request_valid_two_days_by_default() {
        let input = form().parse(date!(2026 - 06 - 01), Lang::Fr).unwrap();
        assert_eq!(input.amount.minor(), 25_000);
        assert_eq!(input.holder.country, "MA");
        assert_eq!(input.validity_days, 2);
        let now = datetime!(2026-06-01 10:00 UTC);
        let req = input.into_request(1, 21114, "shop.manager", "t".into(), now);
        assert_eq!(req.status(now), RequestStatus::Waiting);
        assert_eq!(
            req.status(now + Duration::days(2)),
            RequestStatus::Waiting,
            "valid through its last second"
        );
        assert_eq!(
            req.status(now + Duration::days(2) + Duration::seconds(1)),
            RequestStatus::Expired
        );
    }

    #[test]
    fn required_fields_and_bad_amounts_get_a_message_each() {
        let today = date!(2026 - 06 - 01);
        let errors = RequestForm::default().parse(today, Lang::Fr).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        for f in ["order_id", "amount", "currency", "name", "email"] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
        for bad in ["0", "-5", "1e3", "10,001", "99999999999999"] {
            let mut f = form();
            f.amount = bad.into();
            let errors = f.parse(today, Lang::Fr).unwrap_err();
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].field, "amount");
        }
        let mut f = form();
        f.email = "not an email".into();
        f.validity_days = "0".into();
        f.birth_date = "2030-01-01".into();
        let fields: Vec<_> = f
            .parse(today, Lang::Fr)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["validity_days", "email", "birth_date"]);
    }

    #[test]
    fn a_card_number_in_any_free_text_field_of_the_terminal_is_refused() {
        let today = date!(2026 - 06 - 01);
        type Setter = fn(&mut RequestForm, String);
        let fields: [(&str, Setter); 10] = [
            ("description", |f, v| f.description = v),
            ("order_id", |f, v| f.order_id = v),
            ("name", |f, v| f.name = v),
            ("address", |f, v| f.address = v),
            ("postcode", |f, v| f.postcode = v),
            ("city", |f, v| f.city = v),
            ("state", |f, v| f.state = v),
            ("phone", |f, v| f.phone = v),
            ("email", |f, v| f.email = v),
            ("id_number", |f, v| f.id_number = v),
        ];
        for (field, set) in fields {
            let mut f = form();
            set(&mut f, "4111111111111111".into());
            let errors = f.parse(today, Lang::Fr).unwrap_err();
            let e = errors
                .iter()
                .find(|e| e.field == field)
                .unwrap_or_else(|| panic!("{field}: {errors:?}"));
            assert_eq!(e.en, "Do not type a card number here.", "{field}");
            assert_eq!(e.fr, "Ne saisissez pas de numéro de carte ici.", "{field}");
        }
        let mut f = form();
        f.description = "Facture 2026-0042\nMerci, tél. 06 12 34 56 78".into();
        assert!(
            f.parse(today, Lang::Fr).is_ok(),
            "newlines and phone numbers are fine"
        );
    }

    #[test]
    fn a_refused_form_is_shown_again_without_its_card_numbers() {
        let mut f = form();
        f.description = "Carte 4111 1111 1111 1111".into();
        f.city = "Fès".into();
        let shown = f.without_card_numbers();
        assert_eq!(shown.description, "");
        assert_eq!(shown.city, "Fès");
        assert_eq!(shown.order_id, "CMD-1");
    }

    #[test]
    fn a_holder_made_only_of_bidi_or_invisible_characters_is_refused() {
        let today = date!(2026 - 06 - 01);
        for name in [
            "\u{202e}\u{202e}\u{202e}",
            "\u{200b}\u{200f}",
            "ab\u{202e}cd",
        ] {
            let mut f = form();
            f.name = name.into();
            let errors = f.parse(today, Lang::Fr).unwrap_err();
            assert_eq!(errors.len(), 1, "{name:?}");
            assert_eq!(errors[0].field, "name");
        }
        let mut f = form();
        f.name = "\u{200f}سلمى الإدريسي".into();
        assert!(
            f.parse(today, Lang::Fr).is_ok(),
            "a right-to-left mark inside a name is fine"
        );
    }

    #[test]
    fn three_refusals_block_a_request() {
        let now = datetime!(2026-06-01 10:00 UTC);
        let mut req =
            form()
                .parse(now.date(), Lang::Fr)
                .unwrap()
                .into_request(1, 1, "u", "t".into(), now);
        req.record_refusal(3);
        req.record_refusal(3);
        assert_eq!(req.status(now), RequestStatus::Waiting);
        req.record_refusal(3);
        assert_eq!(req.status(now), RequestStatus::Blocked);
        req.paid_tx = Some(9);
        assert_eq!(req.status(now), RequestStatus::Paid);
        req.cancelled = Some((0, "u".into()));
        assert_eq!(req.status(now), RequestStatus::Cancelled);
    }

    #[test]
    fn sent_emails_keep_no_link_secret() {
        let token = "0123456789abcdef0123456789ABCDEF";
        let text = format!(
            "Payer : https://pay.example/payment/{token}\n<a href=\"https://pay.example/payment/{token}\">x</a> /payment/abc"
        );
        let redacted = redact_payment_links(&text);
        assert!(!redacted.contains(token), "{redacted}");
        assert_eq!(redacted.matches("/payment/…").count(), 2);
        assert!(redacted.ends_with("/payment/abc"));
        assert_eq!(redact_payment_links("é /payment/"), "é /payment/");
    }

    #[test]
    fn a_request_keeps_the_hash_of_its_link_not_the_link() {
        let now = datetime!(2026-06-01 10:00 UTC);
        let mut req =
            form()
                .parse(now.date(), Lang::Fr)
                .unwrap()
                .into_request(1, 1, "u", "tok".into(), now);
        assert_eq!(req.link_hash, link_hash("tok"));
        assert_eq!(
            req.link("https://p").as_deref(),
            Some("https://p/payment/tok")
        );
        let stored: PaymentRequest =
            postcard::from_bytes(&postcard::to_stdvec(&req).unwrap()).unwrap();
        assert_eq!(stored.token, "", "the secret is not serialized");
        assert_eq!(stored.link("https://p"), None);
        req.set_token("new".into());
        assert_eq!(req.link_hash, link_hash("new"));
    }

    #[test]
    fn ten_attempts_of_any_outcome_block_a_request() {
        let now = datetime!(2026-06-01 10:00 UTC);
        let mut req =
            form()
                .parse(now.date(), Lang::Fr)
                .unwrap()
                .into_request(1, 1, "u", "t".into(), now);
        for i in 1..MAX_TOTAL_ATTEMPTS {
            req.attempts.push(i as u64);
            req.record_unpaid(false, 3);
            assert_eq!(req.status(now), RequestStatus::Waiting, "{i}");
        }
        req.attempts.push(99);
        req.record_unpaid(false, 3);
        assert_eq!(req.status(now), RequestStatus::Blocked);
        assert_eq!(req.refused_attempts, 0);
    }

    #[test]
    fn an_attempt_writes_a_3ds_row_then_the_sale() {
        let now = datetime!(2026-06-01 10:00 UTC);
        let req = form().parse(now.date(), Lang::Fr).unwrap().into_request(
            7,
            21114,
            "u",
            "t".into(),
            now,
        );
        let cx = AttemptContext {
            request: &req,
            card: StoredCard::default(),
            ip: "10.0.0.1",
            at: now.unix_timestamp(),
            test: true,
            merchant_account: "ACC".into(),
            statement_descriptor: String::new(),
        };
        let [three_ds, sale] =
            attempt_rows(&cx, ResultCode::ACCEPTED, ResultCode::INSUFFICIENT_FUNDS);
        assert_eq!(three_ds.operation, Operation::ThreeDSecure);
        assert_eq!(sale.operation, Operation::Sale);
        assert_eq!(sale.code, ResultCode::INSUFFICIENT_FUNDS);
        assert_eq!(sale.merchant_id, 7);
        assert!(sale.test && three_ds.test);
    }
}
