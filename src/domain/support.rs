//! Support tickets (issue 14, SUP-1): a merchant user opens a ticket (subject,
//! category, first message, optionally about one of its transactions); the support
//! side (the admins) answers and moves it through its states; both sides read the
//! thread. Pure: the time is always passed in.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::form::FieldError;
use super::text::free_text_error;
use super::user::User;

/// What a ticket is about.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Category {
    Payment = 0,
    Refund = 1,
    Integration = 2,
    Account = 3,
    Other = 4,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Payment,
        Category::Refund,
        Category::Integration,
        Category::Account,
        Category::Other,
    ];

    /// The key forms and filters carry.
    pub fn key(self) -> &'static str {
        match self {
            Category::Payment => "payment",
            Category::Refund => "refund",
            Category::Integration => "integration",
            Category::Account => "account",
            Category::Other => "other",
        }
    }

    pub fn parse(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Category::Payment => lang.pick("Paiement", "Payment"),
            Category::Refund => lang.pick("Remboursement", "Refund"),
            Category::Integration => lang.pick("Intégration API", "API integration"),
            Category::Account => lang.pick("Compte et accès", "Account and access"),
            Category::Other => lang.pick("Autre", "Other"),
        }
    }
}

/// Where a ticket stands.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum TicketState {
    /// Waiting for the support side.
    Open = 0,
    /// The support side answered and waits for the merchant.
    WaitingMerchant = 1,
    Resolved = 2,
    /// Takes no new message; only an admin may open it again.
    Closed = 3,
}

impl TicketState {
    pub const ALL: [TicketState; 4] = [
        TicketState::Open,
        TicketState::WaitingMerchant,
        TicketState::Resolved,
        TicketState::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TicketState::Open => "open",
            TicketState::WaitingMerchant => "waiting",
            TicketState::Resolved => "resolved",
            TicketState::Closed => "closed",
        }
    }

    pub fn parse(key: &str) -> Option<TicketState> {
        TicketState::ALL.into_iter().find(|s| s.key() == key.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TicketState::Open => lang.pick("Ouvert", "Open"),
            TicketState::WaitingMerchant => {
                lang.pick("En attente du marchand", "Waiting for merchant")
            }
            TicketState::Resolved => lang.pick("Résolu", "Resolved"),
            TicketState::Closed => lang.pick("Fermé", "Closed"),
        }
    }

    /// The badge class of the state: open asks for the support side's attention.
    pub fn badge(self) -> &'static str {
        match self {
            TicketState::Open => "warn",
            TicketState::WaitingMerchant => "info",
            TicketState::Resolved => "ok",
            TicketState::Closed => "muted",
        }
    }
}

/// Which side wrote a message.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Side {
    /// A user of the ticket's merchant.
    Merchant = 0,
    /// An admin of the appliance.
    Support = 1,
}

impl Side {
    /// The side `user` writes on: admins are the support side.
    pub fn of(user: &User) -> Side {
        if user.is_admin() {
            Side::Support
        } else {
            Side::Merchant
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Side::Merchant => lang.pick("Marchand", "Merchant"),
            Side::Support => lang.pick("Support", "Support"),
        }
    }
}

/// A ticket as stored (its thread is in `TicketMessage`s).
/// Stored (postcard, positional): never change its fields; add a new table instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    pub merchant_id: u64,
    /// The transaction it is about, one of the merchant's.
    pub transaction_id: Option<u64>,
    /// The user who opened it, and their username.
    pub opened_by: u64,
    pub opened_by_name: String,
    pub subject: String,
    pub category: Category,
    pub state: TicketState,
    pub created_at: i64,
    /// Unix seconds of the last message or state change.
    pub updated_at: i64,
    /// The sequence number of the last entry of the thread (1 for a new ticket).
    pub last_seq: u32,
    /// Who wrote last (its side and username).
    pub last_side: Side,
    pub last_author: String,
}

/// One entry of a ticket's thread: a message, a state change, or both.
/// Stored (postcard, positional): never change its fields; add a new table instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    pub ticket_id: u64,
    /// 1, 2, 3… in the order written.
    pub seq: u32,
    pub author_id: u64,
    pub author: String,
    pub side: Side,
    /// The words; empty for a state change alone.
    pub body: String,
    pub at: i64,
    /// The state the ticket took with this entry, when it changed.
    pub state: Option<TicketState>,
}

/// Who writes: id, username, side.
#[derive(Clone, Copy, Debug)]
pub struct Author<'a> {
    pub id: u64,
    pub name: &'a str,
    pub side: Side,
}

impl<'a> Author<'a> {
    pub fn of(user: &'a User) -> Author<'a> {
        Author {
            id: user.id,
            name: &user.username,
            side: Side::of(user),
        }
    }
}

/// Why a thread refuses an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The ticket is closed: no new message.
    Closed,
    /// Only the support side changes the state.
    NotSupport,
    /// The ticket already is in that state.
    Unchanged,
}

impl Refusal {
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Refusal::Closed => lang.pick(
                "Ce ticket est fermé : il ne prend plus de message. Ouvrez un nouveau ticket si besoin.",
                "This ticket is closed: it takes no more messages. Open a new ticket if needed.",
            ),
            Refusal::NotSupport => lang.pick(
                "Seul le support change l'état d'un ticket.",
                "Only support changes a ticket's state.",
            ),
            Refusal::Unchanged => lang.pick(
                "Le ticket est déjà dans cet état.",
                "The ticket already is in that state.",
            ),
        }
    }
}

/// The Support tab counts unread tickets up to this many (then shows "99+").
pub const UNREAD_CAP: u64 = 100;

/// The Support tab's count: `3`, or `99+` from [`UNREAD_CAP`] on.
pub fn unread_badge(n: u64) -> String {
    if n >= UNREAD_CAP {
        format!("{}+", UNREAD_CAP - 1)
    } else {
        n.to_string()
    }
}

/// The longest subject, in characters.
pub const SUBJECT_MAX: usize = 120;
/// The longest message, in characters.
pub const MESSAGE_MAX: usize = 5000;

/// A subject, trimmed and checked: 1 to 120 characters on one line (field `subject`).
pub fn parse_subject(input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() || text.chars().count() > SUBJECT_MAX {
        return Err(FieldError::new(
            "subject",
            "L'objet doit contenir de 1 à 120 caractères.",
            "A subject has 1 to 120 characters.",
        ));
    }
    match free_text_error("subject", text, false) {
        Some(e) => Err(e),
        None => Ok(text.to_string()),
    }
}

/// A message, trimmed and checked: 1 to 5000 characters, line breaks kept (field
/// `message`).
pub fn parse_message(input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() || text.chars().count() > MESSAGE_MAX {
        return Err(FieldError::new(
            "message",
            "Le message doit contenir de 1 à 5000 caractères.",
            "A message has 1 to 5000 characters.",
        ));
    }
    match free_text_error("message", text, true) {
        Some(e) => Err(e),
        None => Ok(text.to_string()),
    }
}

/// The new-ticket form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NewTicketForm {
    pub subject: String,
    pub category: String,
    pub message: String,
    /// The transaction it is about (a hidden field), empty for none.
    pub tx: String,
}

/// A checked new ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicket {
    pub subject: String,
    pub category: Category,
    pub message: String,
    pub transaction_id: Option<u64>,
}

impl NewTicketForm {
    /// The transaction named by the form: `Ok(None)` when empty, an error (field
    /// `tx`) when it is not a transaction number.
    pub fn transaction_id(&self) -> Result<Option<u64>, FieldError> {
        match self.tx.trim() {
            "" => Ok(None),
            s => s.parse().map(Some).map_err(|_| {
                FieldError::new(
                    "tx",
                    "Numéro de transaction invalide.",
                    "Not a transaction number.",
                )
            }),
        }
    }

    /// Checks every field; each error is beside its field.
    pub fn parse(&self) -> Result<NewTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let subject = parse_subject(&self.subject)
            .map_err(|e| errors.push(e))
            .ok();
        let category = Category::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError::new(
                "category",
                "Choisissez une catégorie.",
                "Choose a category.",
            ));
        }
        let message = parse_message(&self.message)
            .map_err(|e| errors.push(e))
            .ok();
        let transaction_id = self.transaction_id().unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        match (subject, category, message) {
            (Some(subject), Some(category), Some(message)) if errors.is_empty() => Ok(NewTicket {
                subject,
                category,
                message,
                transaction_id,
            }),
            _ => Err(errors),
        }
    }
}

/// A message to add to a thread (already checked), with the state the support side
/// chose for the ticket (ignored for merchants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub body: String,
    pub state: Option<TicketState>,
}

/// The state a ticket takes when `side` posts a message on it in state `current`,
/// the support side having chosen `chosen` (merchants choose nothing): a closed
/// ticket takes no message; a merchant's message opens the ticket again; the
/// support side sets the state it chose (or keeps it).
pub fn after_message(
    current: TicketState,
    side: Side,
    chosen: Option<TicketState>,
) -> Result<TicketState, Refusal> {
    if current == TicketState::Closed {
        return Err(Refusal::Closed);
    }
    Ok(match side {
        Side::Merchant => TicketState::Open,
        Side::Support => chosen.unwrap_or(current),
    })
}

impl Ticket {
    /// A new ticket (id 0 until stored) and its first message, opened by `author`
    /// for `merchant_id` at `now`.
    pub fn open(
        new: NewTicket,
        merchant_id: u64,
        author: Author<'_>,
        now: i64,
    ) -> (Ticket, TicketMessage) {
        let ticket = Ticket {
            id: 0,
            merchant_id,
            transaction_id: new.transaction_id,
            opened_by: author.id,
            opened_by_name: author.name.to_string(),
            subject: new.subject,
            category: new.category,
            state: TicketState::Open,
            created_at: now,
            updated_at: now,
            last_seq: 1,
            last_side: author.side,
            last_author: author.name.to_string(),
        };
        let first = TicketMessage {
            ticket_id: 0,
            seq: 1,
            author_id: author.id,
            author: author.name.to_string(),
            side: author.side,
            body: new.message,
            at: now,
            state: None,
        };
        (ticket, first)
    }

    fn entry(
        &mut self,
        author: Author<'_>,
        body: String,
        to: TicketState,
        now: i64,
    ) -> TicketMessage {
        let changed = (to != self.state).then_some(to);
        self.state = to;
        self.last_seq += 1;
        self.updated_at = now;
        self.last_side = author.side;
        self.last_author = author.name.to_string();
        TicketMessage {
            ticket_id: self.id,
            seq: self.last_seq,
            author_id: author.id,
            author: author.name.to_string(),
            side: author.side,
            body,
            at: now,
            state: changed,
        }
    }

    /// Adds `author`'s message (already checked) at `now`, with the state the
    /// support side chose (see [`after_message`]).
    pub fn answer(
        &mut self,
        author: Author<'_>,
        body: String,
        chosen: Option<TicketState>,
        now: i64,
    ) -> Result<TicketMessage, Refusal> {
        let chosen = if author.side == Side::Support {
            chosen
        } else {
            None
        };
        let to = after_message(self.state, author.side, chosen)?;
        Ok(self.entry(author, body, to, now))
    }

    /// The support side moves the ticket to `to` without a message (a closed ticket
    /// may be opened again this way).
    pub fn set_state(
        &mut self,
        author: Author<'_>,
        to: TicketState,
        now: i64,
    ) -> Result<TicketMessage, Refusal> {
        if author.side != Side::Support {
            return Err(Refusal::NotSupport);
        }
        if to == self.state {
            return Err(Refusal::Unchanged);
        }
        Ok(self.entry(author, String::new(), to, now))
    }
}

/// How old a listed ticket must be (since it was opened).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Age {
    #[default]
    Any,
    Days(u32),
}

impl Age {
    /// The choices of the filter, in days.
    pub const CHOICES: [u32; 3] = [2, 7, 30];

    pub fn parse(s: &str) -> Age {
        match s.trim().parse::<u32>() {
            Ok(d) if Age::CHOICES.contains(&d) => Age::Days(d),
            _ => Age::Any,
        }
    }

    pub fn key(self) -> String {
        match self {
            Age::Any => String::new(),
            Age::Days(d) => d.to_string(),
        }
    }
}

/// The filters of the ticket list as typed (`?state=open&merchant=3&…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawTicketFilter {
    pub state: String,
    pub merchant: String,
    pub category: String,
    pub age: String,
    pub before: String,
}

/// The filters of the ticket list; an unknown value is no filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub state: Option<TicketState>,
    pub merchant: Option<u64>,
    pub category: Option<Category>,
    pub age: Age,
}

impl RawTicketFilter {
    pub fn parse(&self) -> TicketFilter {
        TicketFilter {
            state: TicketState::parse(&self.state),
            merchant: self.merchant.trim().parse().ok(),
            category: Category::parse(&self.category),
            age: Age::parse(&self.age),
        }
    }

    /// Where the page starts (keyset: the tickets below this id).
    pub fn before(&self) -> Option<u64> {
        self.before.trim().parse().ok()
    }
}

impl TicketFilter {
    /// Whether `t` passes every filter at `now`.
    pub fn matches(&self, t: &Ticket, now: i64) -> bool {
        self.state.is_none_or(|s| t.state == s)
            && self.merchant.is_none_or(|m| t.merchant_id == m)
            && self.category.is_none_or(|c| t.category == c)
            && match self.age {
                Age::Any => true,
                Age::Days(d) => now - t.created_at >= i64::from(d) * 86_400,
            }
    }

    /// The query string of these filters (no page), for the pager's links.
    pub fn query(&self) -> String {
        let pairs: Vec<(&str, String)> = [
            ("state", self.state.map(|s| s.key().to_string())),
            ("merchant", self.merchant.map(|m| m.to_string())),
            ("category", self.category.map(|c| c.key().to_string())),
            ("age", (self.age != Age::Any).then(|| self.age.key())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The link to a ticket from outside (emails), under the appliance's base URL.
pub fn ticket_link(base_url: &str, id: u64) -> String {
    format!("{}/support/{id}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_000_000;

    fn merchant() -> Author<'static> {
        Author {
            id: 5,
            name: "atlas.manager",
            side: Side::Merchant,
        }
    }

    fn support() -> Author<'static> {
        Author {
            id: 1,
            name: "admin",
            side: Side::Support,
        }
    }

    fn new_ticket() -> Ticket {
        let form = NewTicketForm {
            subject: "  Refund not received ".into(),
            category: "refund".into(),
            message: "Hello\nthe refund of order 12 did not arrive".into(),
            tx: "42".into(),
        };
        let (mut t, first) = Ticket::open(form.parse().unwrap(), 3, merchant(), T0);
        assert_eq!(first.seq, 1);
        assert_eq!(first.body, "Hello\nthe refund of order 12 did not arrive");
        t.id = 9;
        t
    }

    #[test]
    fn a_new_ticket_is_open_with_its_first_message_and_its_transaction() {
        let t = new_ticket();
        assert_eq!(t.state, TicketState::Open);
        assert_eq!(t.subject, "Refund not received");
        assert_eq!(t.category, Category::Refund);
        assert_eq!(t.transaction_id, Some(42));
        assert_eq!((t.merchant_id, t.opened_by, t.last_seq), (3, 5, 1));
        assert_eq!((t.created_at, t.updated_at), (T0, T0));
        assert_eq!(t.last_side, Side::Merchant);
    }

    #[test]
    fn the_support_answer_sets_the_state_it_chose_and_keeps_it_otherwise() {
        let mut t = new_ticket();
        let m = t
            .answer(
                support(),
                "Checking".into(),
                Some(TicketState::WaitingMerchant),
                T0 + 60,
            )
            .unwrap();
        assert_eq!(m.seq, 2);
        assert_eq!(m.state, Some(TicketState::WaitingMerchant));
        assert_eq!(t.state, TicketState::WaitingMerchant);
        assert_eq!((t.updated_at, t.last_seq), (T0 + 60, 2));
        assert_eq!(t.last_author, "admin");
        let m = t.answer(support(), "More".into(), None, T0 + 61).unwrap();
        assert_eq!(m.state, None);
        assert_eq!(t.state, TicketState::WaitingMerchant);
    }

    #[test]
    fn a_merchant_message_on_a_waiting_or_resolved_ticket_opens_it_again() {
        for from in [TicketState::WaitingMerchant, TicketState::Resolved] {
            let mut t = new_ticket();
            t.state = from;
            // A merchant cannot choose the state: what it sends is ignored.
            let m = t
                .answer(
                    merchant(),
                    "Still".into(),
                    Some(TicketState::Closed),
                    T0 + 5,
                )
                .unwrap();
            assert_eq!(m.state, Some(TicketState::Open));
            assert_eq!(t.state, TicketState::Open);
        }
        let mut t = new_ticket();
        let m = t.answer(merchant(), "And".into(), None, T0 + 5).unwrap();
        assert_eq!(m.state, None, "already open: no change recorded");
    }

    #[test]
    fn a_closed_ticket_takes_no_message_from_either_side() {
        let mut t = new_ticket();
        t.state = TicketState::Closed;
        for who in [merchant(), support()] {
            let before = t.clone();
            assert_eq!(
                t.answer(who, "x".into(), Some(TicketState::Open), T0 + 9),
                Err(Refusal::Closed)
            );
            assert_eq!(t, before, "nothing changed");
        }
    }

    #[test]
    fn only_the_support_side_changes_the_state_and_may_reopen_a_closed_ticket() {
        let mut t = new_ticket();
        assert_eq!(
            t.set_state(merchant(), TicketState::Resolved, T0 + 1),
            Err(Refusal::NotSupport)
        );
        assert_eq!(
            t.set_state(support(), TicketState::Open, T0 + 1),
            Err(Refusal::Unchanged)
        );
        let m = t.set_state(support(), TicketState::Closed, T0 + 2).unwrap();
        assert_eq!((m.body.as_str(), m.state), ("", Some(TicketState::Closed)));
        assert_eq!(t.last_seq, 2);
        t.set_state(support(), TicketState::Open, T0 + 3).unwrap();
        assert_eq!(t.state, TicketState::Open);
    }

    #[test]
    fn subjects_have_1_to_120_characters_on_one_line_and_messages_1_to_5000() {
        assert!(parse_subject(&"é".repeat(120)).is_ok());
        for bad in ["", "  ", &"é".repeat(121), "two\nlines"] {
            assert_eq!(parse_subject(bad).unwrap_err().field, "subject", "{bad:?}");
        }
        assert!(parse_message(&"é".repeat(5000)).is_ok());
        assert!(parse_message("line 1\nline 2").is_ok());
        for bad in ["", "\n ", &"é".repeat(5001), "card 4111 1111 1111 1111"] {
            assert_eq!(parse_message(bad).unwrap_err().field, "message");
        }
        let e = parse_message("").unwrap_err();
        assert_eq!(e.message(Lang::En), "A message has 1 to 5000 characters.");
    }

    #[test]
    fn the_new_ticket_form_says_what_is_wrong_beside_each_field() {
        let form = NewTicketForm {
            subject: String::new(),
            category: "nope".into(),
            message: String::new(),
            tx: "abc".into(),
        };
        let fields: Vec<&str> = form.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["subject", "category", "message", "tx"]);
        let ok = NewTicketForm {
            subject: "S".into(),
            category: "other".into(),
            message: "M".into(),
            tx: String::new(),
        };
        assert_eq!(ok.parse().unwrap().transaction_id, None);
    }

    #[test]
    fn the_list_filters_by_state_merchant_category_and_age() {
        let t = new_ticket();
        let raw = |q: &str| -> TicketFilter {
            serde_urlencoded::from_str::<RawTicketFilter>(q)
                .unwrap()
                .parse()
        };
        assert!(raw("").matches(&t, T0));
        assert!(raw("state=open&merchant=3&category=refund").matches(&t, T0));
        assert!(!raw("state=closed").matches(&t, T0));
        assert!(!raw("merchant=4").matches(&t, T0));
        assert!(!raw("category=payment").matches(&t, T0));
        assert!(!raw("age=7").matches(&t, T0 + 6 * 86_400));
        assert!(raw("age=7").matches(&t, T0 + 7 * 86_400));
        // Unknown values filter nothing.
        assert_eq!(raw("state=x&age=3&merchant=y"), TicketFilter::default());
        assert_eq!(raw("state=waiting&age=30").query(), "state=waiting&age=30");
    }

    #[test]
    fn labels_and_keys_go_both_ways() {
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.key()), Some(s));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(c));
        }
        assert_eq!(
            TicketState::WaitingMerchant.label(Lang::Fr),
            "En attente du marchand"
        );
        assert_eq!(Category::Integration.label(Lang::En), "API integration");
        assert_eq!(
            ticket_link("https://g.example/", 7),
            "https://g.example/support/7"
        );
        assert_eq!(
            (unread_badge(3), unread_badge(100)),
            ("3".into(), "99+".into())
        );
    }
}
