//! Processing › Transactions: the search checked against a brute-force filter over every
//! row, the pager and its limits, the htmx fragments, merchant scoping, the detail tabs
//! and notes, and card numbers that never show in full.

use std::collections::BTreeMap;

use guichet::db::{merchants, transactions};
use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::text::fold;
use guichet::domain::transaction::{
    Affiliation, Initiator, Operation, Party, SaleDetails, StoredCard, Transaction,
};
use guichet::domain::user::{Merchant, Permissions, Terminal};
use reqwest::StatusCode;
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

use crate::support::{Client, TestApp, spawn_app};

// ---------------------------------------------------------------------------------
// A small deterministic random source (the dataset must not change between runs).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------
// The hand-made dataset: three merchants, ~10 days of payments and their follow-ups.

/// The first new payment is after this instant, the last row at or before `END`.
const START: OffsetDateTime = datetime!(2026-05-22 00:00 UTC);
const END: OffsetDateTime = datetime!(2026-06-01 09:30 UTC);
/// A period (query values) covering the whole dataset.
pub(crate) const FROM: &str = "2026-05-21";
pub(crate) const TO: &str = "2026-06-01";

type CardSpec = (&'static str, &'static str, u8, Option<Brand>);

struct Customer {
    holder: &'static str,
    email: &'static str,
    buyer: &'static str,
    city: &'static str,
    card: Option<CardSpec>,
}

const fn customer(
    holder: &'static str,
    email: &'static str,
    buyer: &'static str,
    city: &'static str,
    card: Option<CardSpec>,
) -> Customer {
    Customer {
        holder,
        email,
        buyer,
        city,
        card,
    }
}

const CUSTOMERS: [Customer; 13] = [
    customer(
        "MOHAMED ALAOUI",
        "mohamed.alaoui@gmail.com",
        "Mohamed Alaoui",
        "Casablanca",
        Some(("411111", "1111", 16, Some(Brand::Visa))),
    ),
    customer(
        "Mohamed Benani",
        "M.Benani@menara.ma",
        "Mohamed Benani",
        "Rabat",
        Some(("555555", "4444", 16, Some(Brand::Mastercard))),
    ),
    customer(
        "mohamed el idrissi",
        "MOHAMED.ELIDRISSI@outlook.fr",
        "Mohamed El Idrissi",
        "Fès",
        Some(("401288", "1881", 16, Some(Brand::Visa))),
    ),
    customer(
        "MOHAMMED CHRAIBI",
        "chraibi@gmail.com",
        "Mohammed Chraïbi",
        "Tanger",
        Some(("378282", "0005", 15, Some(Brand::Amex))),
    ),
    customer(
        "Fès Voyages",
        "contact@fes-voyages.ma",
        "Fès Voyages SARL",
        "Fès",
        Some(("676770", "0207", 19, Some(Brand::Maestro))),
    ),
    customer(
        "FES EXPRESS",
        "",
        "Fes Express",
        "Fès",
        Some(("601100", "0004", 16, Some(Brand::Discover))),
    ),
    customer(
        "Omar Benani",
        "omar.benani@yahoo.fr",
        "Omar  Benani",
        "Marrakech",
        Some(("353011", "0000", 16, Some(Brand::Jcb))),
    ),
    customer(
        "Éloïse Martin",
        "eloise.martin@free.fr",
        "Éloïse Martin",
        "Paris",
        Some(("301234", "5678", 14, Some(Brand::Diners))),
    ),
    customer(
        "ELOISE DUPONT",
        "eloise@dupont.example",
        "Zoé Dupont",
        "Lyon",
        Some(("622126", "9999", 16, Some(Brand::UnionPay))),
    ),
    customer(
        "Yasmine Tazi",
        "yasmine.tazi@gmail.com",
        "Yasmine Tazi",
        "Agadir",
        Some(("999999", "1234", 16, Some(Brand::Unknown))),
    ),
    customer(
        "Karim Ouazzani",
        "karim@ouazzani.ma",
        "Karim Ouazzani",
        "Meknès",
        Some(("412345", "0000", 16, Some(Brand::Visa))),
    ),
    customer(
        "",
        "anonyme@example.com",
        "",
        "",
        Some(("400000", "4321", 16, None)),
    ),
    customer("", "zoe.b@menara.ma", "Zoé Benjelloun", "Fès", None),
];

const AMOUNTS: [i64; 10] = [
    2047, 700_100, 15_000, 100, 99, 123_456, 5_000, 2_050, 100_000, 4_900,
];
const REFUSALS: [ResultCode; 10] = [
    ResultCode::INSUFFICIENT_FUNDS,
    ResultCode::ISSUER_REFUSED,
    ResultCode::WRONG_CVV,
    ResultCode::ACQUIRER_REFUSED,
    ResultCode::ACQUIRER_DOWN,
    ResultCode::INTERNAL_REFUSAL,
    ResultCode::INVALID_CARD,
    ResultCode::UNKNOWN_ERROR,
    ResultCode::TOO_MANY_ATTEMPTS,
    ResultCode::ABANDONED,
];

/// Name, order prefix, manager, terminals, accounts.
type ShopSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [u32],
    &'static [&'static str],
);

struct Shop {
    id: u64,
    prefix: &'static str,
    manager: &'static str,
    terminals: Vec<u32>,
    accounts: Vec<&'static str>,
    orders: u32,
}

/// What follows a row once it is written (its id is then known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Nothing,
    Sale,
    Authorization,
    /// An accepted debit may be refunded or rebilled later.
    Debit,
    /// An accepted authorization may be captured or cancelled later.
    Held,
}

struct Step {
    tx: Transaction,
    then: Then,
}

/// The rows written by [`seed`] and what the tests need to know about them.
pub(crate) struct Dataset {
    /// Every row as stored, id ascending (ids are 1..=n).
    pub(crate) rows: Vec<Transaction>,
    /// Uber, Glovoapp, Riad Fès.
    pub(crate) merchants: Vec<Merchant>,
}

impl Dataset {
    pub(crate) fn merchant(&self, name: &str) -> u64 {
        self.merchants
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.id)
            .unwrap()
    }

    fn children(&self, id: u64) -> impl Iterator<Item = &Transaction> {
        self.rows.iter().filter(move |t| t.parent_id == Some(id))
    }

    /// The first row with `op` whose children include one with `child`.
    fn with_child(&self, op: Operation, child: Operation) -> Option<&Transaction> {
        self.rows
            .iter()
            .find(|t| t.operation == op && self.children(t.id).any(|c| c.operation == child))
    }

    /// A sale that followed a 3-D Secure check and was refunded.
    fn sale_with_3ds_and_refund(&self) -> &Transaction {
        self.rows
            .iter()
            .find(|t| {
                t.operation == Operation::Sale
                    && t.parent_id.is_some()
                    && self
                        .children(t.id)
                        .any(|c| c.operation == Operation::Refund)
            })
            .unwrap()
    }
}

fn shop_merchant(name: &str, terminals: &[u32], accounts: &[&str]) -> Merchant {
    Merchant {
        name: name.into(),
        company: format!("{name} SARL"),
        terminals: terminals
            .iter()
            .map(|&number| Terminal {
                number,
                label: format!("Terminal {number}"),
            })
            .collect(),
        accounts: accounts.iter().map(|a| (*a).to_string()).collect(),
        statement_descriptor: name.to_uppercase(),
        ..Merchant::default()
    }
}

fn new_payment(rng: &mut Rng, shop: &mut Shop, at: i64) -> Step {
    let who = rng.pick(&CUSTOMERS);
    shop.orders += 1;
    let account = *rng.pick(&shop.accounts);
    let minor = if rng.pct(50) {
        *rng.pick(&AMOUNTS)
    } else {
        1_000 + rng.below(200_000) as i64
    };
    let card = who.card.map(|(bin, last4, len, brand)| StoredCard {
        bin: bin.into(),
        last4: last4.into(),
        pan_len: len,
        brand,
        exp_month: 1 + rng.below(12) as u8,
        exp_year: 2027 + rng.below(4) as u16,
        holder: who.holder.into(),
        token: format!("tok-{bin}-{last4}"),
        three_ds: true,
        country: "MA".into(),
    });
    // Most payments start with a 3-D Secure check; some are plain sales.
    let (operation, then, code) = match rng.below(20) {
        0..=9 => (Operation::ThreeDSecure, Then::Sale, three_ds_code(rng)),
        10..=15 => (
            Operation::ThreeDSecure,
            Then::Authorization,
            three_ds_code(rng),
        ),
        _ => (Operation::Sale, Then::Debit, payment_code(rng)),
    };
    let tx = Transaction {
        id: 0,
        at,
        merchant_id: shop.id,
        operation,
        amount: Amount::from_minor(minor).unwrap(),
        currency: if account.ends_with("_EUR") {
            Currency::Eur
        } else {
            Currency::Mad
        },
        code,
        card,
        initiator: Initiator {
            user_name: String::new(),
            ip: format!("196.200.{}.{}", rng.below(256), 1 + rng.below(254)),
            terminal: *rng.pick(&shop.terminals),
            merchant_account: account.into(),
            point_of_sale: String::new(),
        },
        sale: SaleDetails {
            order_id: format!("{}-2026-{:06}", shop.prefix, shop.orders),
            description: "Commande en ligne".into(),
            order_amount: Amount::from_minor(minor),
            ..SaleDetails::default()
        },
        buyer: Party {
            name: who.buyer.into(),
            email: who.email.into(),
            city: who.city.into(),
            country: "MA".into(),
            ..Party::default()
        },
        shipping: Party::default(),
        affiliation: Affiliation::default(),
        test: false,
        parent_id: None,
        statement_descriptor: shop.prefix.into(),
    };
    let then = if operation == Operation::Sale && code != ResultCode::ACCEPTED {
        Then::Nothing
    } else {
        then
    };
    Step { tx, then }
}

fn three_ds_code(rng: &mut Rng) -> ResultCode {
    match rng.below(12) {
        0 => ResultCode::THREE_DS_FAILED,
        1 => ResultCode::ABANDONED,
        _ => ResultCode::ACCEPTED,
    }
}

fn payment_code(rng: &mut Rng) -> ResultCode {
    if rng.pct(75) {
        ResultCode::ACCEPTED
    } else {
        *rng.pick(&REFUSALS)
    }
}

/// A row following `parent` (written with id `parent_id`).
fn follow(parent: &Transaction, parent_id: u64, op: Operation, code: ResultCode) -> Transaction {
    Transaction {
        id: 0,
        operation: op,
        code,
        parent_id: Some(parent_id),
        ..parent.clone()
    }
}

/// The rows that follow `step` once written with id `id`, with their times.
fn follow_ups(rng: &mut Rng, shop: &Shop, step: &Step, id: u64) -> Vec<(i64, Step)> {
    let p = &step.tx;
    let accepted = p.code == ResultCode::ACCEPTED;
    let mut out = Vec::new();
    let later = |rng: &mut Rng, min: i64, spread: i64| p.at + min + rng.below(spread as u64) as i64;
    match step.then {
        Then::Sale | Then::Authorization if accepted => {
            let op = if step.then == Then::Sale {
                Operation::Sale
            } else {
                Operation::Authorization
            };
            let code = payment_code(rng);
            let then = match (op, code == ResultCode::ACCEPTED) {
                (Operation::Sale, true) => Then::Debit,
                (_, true) => Then::Held,
                _ => Then::Nothing,
            };
            let at = later(rng, 20, 90);
            out.push((
                at,
                Step {
                    tx: Transaction {
                        at,
                        ..follow(p, id, op, code)
                    },
                    then,
                },
            ));
        }
        Then::Debit => {
            if rng.pct(35) {
                let at = later(rng, 3_600, 3 * 86_400);
                let mut tx = follow(p, id, Operation::Refund, ResultCode::ACCEPTED);
                if rng.pct(10) {
                    tx.code = ResultCode::ACQUIRER_DOWN;
                }
                if rng.pct(40) {
                    tx.amount = Amount::from_minor((p.amount.minor() / 2).max(1)).unwrap();
                }
                tx.at = at;
                tx.initiator.user_name = shop.manager.into();
                out.push((
                    at,
                    Step {
                        tx,
                        then: Then::Nothing,
                    },
                ));
            } else if rng.pct(10) {
                let at = later(rng, 86_400, 2 * 86_400);
                let mut tx = follow(p, id, Operation::Rebill, payment_code(rng));
                tx.at = at;
                tx.initiator.user_name = shop.manager.into();
                out.push((
                    at,
                    Step {
                        tx,
                        then: Then::Nothing,
                    },
                ));
            }
        }
        Then::Held => {
            let op = match rng.below(10) {
                0..=5 => Operation::Capture,
                6 | 7 => Operation::Cancel,
                _ => return out,
            };
            let at = later(rng, 600, 4 * 86_400);
            let mut tx = follow(p, id, op, ResultCode::ACCEPTED);
            tx.at = at;
            tx.initiator.user_name = shop.manager.into();
            let then = if op == Operation::Capture {
                Then::Debit
            } else {
                Then::Nothing
            };
            out.push((at, Step { tx, then }));
        }
        _ => {}
    }
    out
}

/// Writes three merchants and ~500 rows over ~10 days (before the app's clock), in
/// time order, and reads them back as stored.
pub(crate) fn seed(app: &TestApp) -> Dataset {
    let wtx = app.db.begin_write().unwrap();
    let specs: [ShopSpec; 3] = [
        (
            "Uber",
            "UB",
            "uber.manager",
            &[21114, 21115],
            &["VPS_UBER_DH", "VPS_UBER_EUR"],
        ),
        (
            "Glovoapp",
            "GL",
            "glovo.manager",
            &[30001],
            &["VPS_GLOVO_DH"],
        ),
        (
            "Riad Fès",
            "RF",
            "riad.manager",
            &[40001, 40002],
            &["VPS_RIAD_DH", "VPS_RIAD_EUR"],
        ),
    ];
    let mut shops = Vec::new();
    let mut list = Vec::new();
    for (name, prefix, manager, terminals, accounts) in specs {
        let m = merchants::insert(&wtx, shop_merchant(name, terminals, accounts)).unwrap();
        shops.push(Shop {
            id: m.id,
            prefix,
            manager,
            terminals: terminals.to_vec(),
            accounts: accounts.to_vec(),
            orders: 0,
        });
        list.push(m);
    }
    wtx.commit().unwrap();

    let mut rng = Rng(0x0067_7569_6368_6574);
    let end = END.unix_timestamp();
    let mut next_new = START.unix_timestamp();
    let mut waiting: BTreeMap<(i64, u64), (usize, Step)> = BTreeMap::new();
    let mut seq = 0u64;
    let mut rows: Vec<Transaction> = Vec::new();
    loop {
        let due = waiting.keys().next().map(|k| k.0);
        if next_new <= end && due.is_none_or(|d| next_new < d) {
            let s = rng.below(shops.len() as u64) as usize;
            let step = new_payment(&mut rng, &mut shops[s], next_new);
            seq += 1;
            waiting.insert((next_new, seq), (s, step));
            next_new += 30 * 60 + rng.below(60 * 60) as i64;
            continue;
        }
        let Some(((at, _), (s, step))) = waiting.pop_first() else {
            break;
        };
        if at > end {
            break;
        }
        let id = rows.len() as u64 + 1;
        for (at, next) in follow_ups(&mut rng, &shops[s], &step, id) {
            seq += 1;
            waiting.insert((at, seq), (s, next));
        }
        rows.push(step.tx);
    }
    let n = rows.len() as u64;
    let wtx = app.db.begin_write().unwrap();
    transactions::insert_many(&wtx, &mut rows).unwrap();
    wtx.commit().unwrap();
    for (i, tx) in rows.iter().enumerate() {
        assert_eq!(tx.id, i as u64 + 1, "ids are allocated in insertion order");
    }
    let stored = app.db.fetch(&(1..=n).collect::<Vec<_>>()).unwrap();
    assert_eq!(stored, rows, "rows were written in time order, unchanged");
    let (lo, hi) = (
        START.unix_timestamp(),
        datetime!(2026-06-02 00:00 UTC).unix_timestamp(),
    );
    assert!(stored.iter().all(|t| t.at >= lo && t.at < hi));
    Dataset {
        rows: stored,
        merchants: list,
    }
}

// ---------------------------------------------------------------------------------
// Filters as the test understands them: the query values and an independent predicate.

#[derive(Clone, Debug)]
enum F {
    Brand(String, Brand),
    Bin(String),
    Last4(String),
    Holder(String),
    /// Query values and the [start, end) they mean, in unix seconds.
    Period {
        from: String,
        to: String,
        start: i64,
        end: i64,
    },
    Amount(String, i64),
    Min(String, i64),
    Max(String, i64),
    Operation(String, Operation),
    Status(String, bool),
    Code(String, u16),
    Merchant(u64),
    Terminal(u32),
    Account(String),
    Ref(u64),
    Email(String),
    Buyer(String),
    Order(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Brand,
    Bin,
    Last4,
    Holder,
    Period,
    Amount,
    Min,
    Max,
    Operation,
    Status,
    Code,
    Merchant,
    Terminal,
    Account,
    Ref,
    Email,
    Buyer,
    Order,
}

const KINDS: [Kind; 18] = [
    Kind::Brand,
    Kind::Bin,
    Kind::Last4,
    Kind::Holder,
    Kind::Period,
    Kind::Amount,
    Kind::Min,
    Kind::Max,
    Kind::Operation,
    Kind::Status,
    Kind::Code,
    Kind::Merchant,
    Kind::Terminal,
    Kind::Account,
    Kind::Ref,
    Kind::Email,
    Kind::Buyer,
    Kind::Order,
];

/// Folded prefix match, the way people expect a name search to work.
fn starts(value: &str, typed: &str) -> bool {
    fold(value).starts_with(&fold(typed))
}

impl F {
    fn matches(&self, t: &Transaction) -> bool {
        let card = t.card.as_ref();
        match self {
            F::Brand(_, b) => card.is_some_and(|c| c.brand == Some(*b)),
            F::Bin(s) => card.is_some_and(|c| c.bin == *s),
            F::Last4(s) => card.is_some_and(|c| c.last4 == *s),
            F::Holder(s) => card.is_some_and(|c| !c.holder.is_empty() && starts(&c.holder, s)),
            F::Period { start, end, .. } => t.at >= *start && t.at < *end,
            F::Amount(_, m) => t.amount.minor() == *m,
            F::Min(_, m) => t.amount.minor() >= *m,
            F::Max(_, m) => t.amount.minor() <= *m,
            F::Operation(_, o) => t.operation == *o,
            F::Status(_, accepted) => (t.code == ResultCode::ACCEPTED) == *accepted,
            F::Code(_, c) => t.code.value() == *c,
            F::Merchant(m) => t.merchant_id == *m,
            F::Terminal(n) => t.initiator.terminal == *n,
            F::Account(a) => t.initiator.merchant_account == *a,
            F::Ref(r) => t.id == *r || t.parent_id == Some(*r),
            F::Email(s) => !t.buyer.email.is_empty() && starts(&t.buyer.email, s),
            F::Buyer(s) => !t.buyer.name.is_empty() && starts(&t.buyer.name, s),
            F::Order(s) => !t.sale.order_id.is_empty() && starts(&t.sale.order_id, s),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let one = |k: &'static str, v: &str| vec![(k, v.to_string())];
        match self {
            F::Brand(s, _) => one("brand", s),
            F::Bin(s) => one("bin", s),
            F::Last4(s) => one("last4", s),
            F::Holder(s) => one("holder", s),
            F::Period { from, to, .. } => {
                let mut v = Vec::new();
                if !from.is_empty() {
                    v.push(("from", from.clone()));
                }
                if !to.is_empty() {
                    v.push(("to", to.clone()));
                }
                v
            }
            F::Amount(s, _) => one("amount", s),
            F::Min(s, _) => one("amount_min", s),
            F::Max(s, _) => one("amount_max", s),
            F::Operation(s, _) => one("operation", s),
            F::Status(s, _) => one("status", s),
            F::Code(s, _) => one("code", s),
            F::Merchant(m) => one("merchant", &m.to_string()),
            F::Terminal(n) => one("terminal", &n.to_string()),
            F::Account(a) => one("account", a),
            F::Ref(r) => one("ref", &r.to_string()),
            F::Email(s) => one("email", s),
            F::Buyer(s) => one("buyer", s),
            F::Order(s) => one("order", s),
        }
    }
}

fn unix(d: Date, h: u8, m: u8) -> i64 {
    d.with_hms(h, m, 0).unwrap().assume_utc().unix_timestamp()
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A period with explicit bounds; an empty side keeps the dataset's bound.
fn period(from: &str, to: &str, start: i64, end: i64) -> F {
    F::Period {
        from: from.into(),
        to: to.into(),
        start,
        end,
    }
}

fn day(s: &str) -> Date {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

/// How people type amounts: `20,47`, `20.47`, `7 001,00`, `7,001.00`, `7001`.
fn typed_amount(minor: i64, rng: &mut Rng) -> String {
    let (major, cents) = (minor / 100, minor % 100);
    let grouped = |sep: char| {
        let digits = major.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    };
    match rng.below(5) {
        0 if cents == 0 => major.to_string(),
        1 => format!("{major}.{cents:02}"),
        2 => format!("{},{cents:02}", grouped(' ')),
        3 => format!("{}.{cents:02}", grouped(',')),
        _ => format!("{major},{cents:02}"),
    }
}

/// A prefix of `s` as someone might type it (upper, lower or as written).
fn typed_prefix(s: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let n = 2.min(chars.len()) + rng.below((chars.len() - 2.min(chars.len()) + 1) as u64) as usize;
    let p: String = chars[..n].iter().collect();
    if fold(&p).is_empty() {
        return None;
    }
    Some(match rng.below(3) {
        0 => p.to_uppercase(),
        1 => p.to_lowercase(),
        _ => p,
    })
}

/// A filter of `kind` that `t` passes, with values as typed in the panel.
fn from_row(kind: Kind, t: &Transaction, rng: &mut Rng) -> Option<F> {
    let card = t.card.as_ref();
    let at = OffsetDateTime::from_unix_timestamp(t.at).unwrap();
    Some(match kind {
        Kind::Brand => {
            let b = card?.brand?;
            let typed = if rng.pct(50) {
                b.key().to_string()
            } else {
                b.name().to_string()
            };
            F::Brand(typed, b)
        }
        Kind::Bin => F::Bin(card?.bin.clone()),
        Kind::Last4 => F::Last4(card?.last4.clone()),
        Kind::Holder => F::Holder(typed_prefix(&card?.holder, rng)?),
        Kind::Period => {
            let minute = t.at - t.at.rem_euclid(60);
            let from = format!("{}T{:02}:{:02}", ymd(at.date()), at.hour(), at.minute());
            if rng.pct(50) {
                let last = at.date() + Duration::days(rng.below(3) as i64);
                let end = unix(last + Duration::days(1), 0, 0);
                period(&from, &ymd(last), minute, end)
            } else {
                let until = at + Duration::minutes(rng.below(600) as i64);
                let to = format!(
                    "{}T{:02}:{:02}",
                    ymd(until.date()),
                    until.hour(),
                    until.minute()
                );
                let end = until.unix_timestamp() - until.unix_timestamp().rem_euclid(60) + 60;
                period(&from, &to, minute, end)
            }
        }
        Kind::Amount => F::Amount(typed_amount(t.amount.minor(), rng), t.amount.minor()),
        Kind::Min => {
            let m = (t.amount.minor() - rng.below(5_000) as i64).max(0);
            F::Min(typed_amount(m, rng), m)
        }
        Kind::Max => {
            let m = t.amount.minor() + rng.below(5_000) as i64;
            F::Max(typed_amount(m, rng), m)
        }
        Kind::Operation => {
            let key = t.operation.key();
            let typed = if rng.pct(30) {
                key.to_uppercase()
            } else {
                key.to_string()
            };
            F::Operation(typed, t.operation)
        }
        Kind::Status => {
            let accepted = t.code == ResultCode::ACCEPTED;
            F::Status(
                if accepted { "accepted" } else { "refused" }.into(),
                accepted,
            )
        }
        Kind::Code => {
            let v = t.code.value();
            let typed = if rng.pct(50) {
                format!("{v:03}")
            } else {
                v.to_string()
            };
            F::Code(typed, v)
        }
        Kind::Merchant => F::Merchant(t.merchant_id),
        Kind::Terminal => F::Terminal(t.initiator.terminal),
        Kind::Account => F::Account(t.initiator.merchant_account.clone()),
        Kind::Ref => F::Ref(t.parent_id.filter(|_| rng.pct(50)).unwrap_or(t.id)),
        Kind::Email => F::Email(typed_prefix(&t.buyer.email, rng)?),
        Kind::Buyer => F::Buyer(typed_prefix(&t.buyer.name, rng)?),
        Kind::Order => F::Order(typed_prefix(&t.sale.order_id, rng)?),
    })
}

// ---------------------------------------------------------------------------------
// Reading the list page

/// The list as one page shows it.
pub(crate) struct Listing {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
    pub(crate) ids: Vec<u64>,
    info: String,
}

impl Listing {
    /// The total of `Affichage de l'élément 1 à 10 sur 1 853 éléments`.
    pub(crate) fn total(&self) -> u64 {
        let tail = self
            .info
            .rsplit(" sur ")
            .next()
            .unwrap()
            .trim_end_matches(" éléments");
        tail.replace(' ', "")
            .parse()
            .unwrap_or_else(|_| panic!("no total in {:?}", self.info))
    }
}

/// The transaction ids of the table, in the order shown.
fn ids_in(body: &str) -> Vec<u64> {
    let Some(start) = body.find(r#"id="tx-table""#) else {
        return Vec::new();
    };
    let table = &body[start..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split(r#"<td class="num"><a href="/transactions/"#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

/// The text of the `pager-info` span ("" when there is none).
fn info_in(body: &str) -> String {
    let marker = r#"id="pager-info">"#;
    body.find(marker)
        .map(|i| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .unwrap_or_default()
}

fn list_url(pairs: &[(&str, String)]) -> String {
    format!(
        "/transactions?{}",
        serde_urlencoded::to_string(pairs).unwrap()
    )
}

pub(crate) async fn listing(c: &Client, pairs: &[(&str, String)]) -> Listing {
    let (status, body) = c.page(&list_url(pairs)).await;
    Listing {
        status,
        ids: ids_in(&body),
        info: info_in(&body),
        body,
    }
}

/// The query of `filters` over the dataset's period (unless a filter sets one).
fn query(filters: &[F]) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = filters.iter().flat_map(F::pairs).collect();
    for (k, v) in [("from", FROM), ("to", TO)] {
        if !pairs.iter().any(|(name, _)| *name == k) {
            pairs.push((k, v.into()));
        }
    }
    pairs
}

/// The ids a brute-force scan of every row gives, newest first.
fn brute_force(rows: &[Transaction], filters: &[F], merchant: Option<u64>) -> Vec<u64> {
    rows.iter()
        .rev()
        .filter(|t| merchant.is_none_or(|m| t.merchant_id == m))
        .filter(|t| filters.iter().all(|f| f.matches(t)))
        .map(|t| t.id)
        .collect()
}

/// Walks every page (100 a page) of the search and compares ids, order and total with
/// the brute-force answer. Returns how many rows matched.
async fn agrees(c: &Client, rows: &[Transaction], filters: &[F], merchant: Option<u64>) -> usize {
    let expected = brute_force(rows, filters, merchant);
    let pages = expected.len().div_ceil(100).max(1);
    let mut got = Vec::with_capacity(expected.len());
    for page in 1..=pages {
        let mut pairs = query(filters);
        pairs.push(("per_page", "100".into()));
        pairs.push(("page", page.to_string()));
        let l = listing(c, &pairs).await;
        assert_eq!(l.status, StatusCode::OK, "{filters:?} page {page}");
        assert_eq!(
            l.total(),
            expected.len() as u64,
            "total for {filters:?} ({})",
            list_url(&pairs)
        );
        let want = (expected.len() - (page - 1) * 100).min(100);
        assert_eq!(l.ids.len(), want, "{filters:?} page {page}");
        if want > 0 {
            let first = (page - 1) * 100 + 1;
            let shown = format!(
                "Affichage de l'élément {} à {} sur ",
                fmt_count(first as u64),
                fmt_count((first + want - 1) as u64)
            );
            assert!(l.info.starts_with(&shown), "{} / {shown}", l.info);
        }
        got.extend(l.ids);
    }
    assert_eq!(
        got,
        expected,
        "rows for {filters:?} ({})",
        list_url(&query(filters))
    );
    expected.len()
}

/// `1 853` as the French pages group counts.
fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------
// 1. The search against brute force

/// Hand-picked single filters: the tricky values (case, accents, leading zeros,
/// nothing found, minutes) for every query name.
fn single_filters(d: &Dataset) -> Vec<F> {
    let mut v = Vec::new();
    for (typed, b) in [
        ("visa", Brand::Visa),
        ("VISA", Brand::Visa),
        ("Mastercard", Brand::Mastercard),
        ("amex", Brand::Amex),
        ("maestro", Brand::Maestro),
        ("discover", Brand::Discover),
        ("jcb", Brand::Jcb),
        ("diners", Brand::Diners),
        ("unionpay", Brand::UnionPay),
        ("unknown", Brand::Unknown),
    ] {
        v.push(F::Brand(typed.into(), b));
    }
    for bin in ["411111", "378282", "676770", "999999", "400000", "000000"] {
        v.push(F::Bin(bin.into()));
    }
    for last4 in ["0000", "0207", "0005", "1111", "4321", "9998"] {
        v.push(F::Last4(last4.into()));
    }
    for holder in [
        "Mohamed",
        "MOHAMED",
        "mohamed",
        "mohamed el",
        "Mohammed",
        "Fès",
        "fes",
        "FES",
        "Fès V",
        "Éloïse",
        "eloise",
        "ELOÏSE D",
        "omar b",
        "  Karim   Ouazzani ",
        "Z",
    ] {
        v.push(F::Holder(holder.into()));
    }
    let d25 = day("2026-05-25");
    v.push(period(
        "2026-05-25",
        "2026-05-25",
        unix(d25, 0, 0),
        unix(d25 + Duration::days(1), 0, 0),
    ));
    v.push(period(
        "2026-05-25T13:37",
        "2026-05-27T08:05",
        unix(d25, 13, 37),
        unix(day("2026-05-27"), 8, 6),
    ));
    v.push(period(
        "2026-05-31T23:59",
        "2026-06-01T00:00",
        unix(day("2026-05-31"), 23, 59),
        unix(day("2026-06-01"), 0, 1),
    ));
    v.push(period(
        "",
        "2026-05-23",
        unix(day(FROM), 0, 0),
        unix(day("2026-05-24"), 0, 0),
    ));
    // The first row is at 2026-05-22 00:00:00 exactly.
    let d22 = day("2026-05-22");
    v.push(period(
        "",
        "2026-05-21",
        unix(day(FROM), 0, 0),
        unix(d22, 0, 0),
    ));
    v.push(period(
        "2026-05-22T00:00",
        "2026-05-22T00:00",
        unix(d22, 0, 0),
        unix(d22, 0, 1),
    ));
    v.push(period(
        "2026-05-22T00:01",
        "2026-05-22",
        unix(d22, 0, 1),
        unix(d22 + Duration::days(1), 0, 0),
    ));
    // One-minute periods at rows' own minutes, and the minutes just around them.
    for t in d.rows.iter().step_by(97) {
        let at = OffsetDateTime::from_unix_timestamp(t.at).unwrap();
        let minute = t.at - t.at.rem_euclid(60);
        let hm = |x: OffsetDateTime| format!("{}T{:02}:{:02}", ymd(x.date()), x.hour(), x.minute());
        let (before, after) = (at - Duration::minutes(1), at + Duration::minutes(1));
        v.push(period(&hm(at), &hm(at), minute, minute + 60));
        v.push(period("", &hm(before), unix(day(FROM), 0, 0), minute));
        v.push(period(
            &hm(after),
            "",
            minute + 60,
            unix(day("2026-06-02"), 0, 0),
        ));
    }
    v.push(period(
        "2026-05-30",
        "",
        unix(day("2026-05-30"), 0, 0),
        unix(day("2026-06-02"), 0, 0),
    ));
    for (typed, minor) in [
        ("20,47", 2047),
        ("20.47", 2047),
        ("7 001,00", 700_100),
        ("7,001.00", 700_100),
        ("7001", 700_100),
        ("150", 15_000),
        ("1", 100),
        ("0,99", 99),
        ("1 234,56", 123_456),
        ("20,5", 2_050),
        ("12,34", 1_234),
    ] {
        v.push(F::Amount(typed.into(), minor));
    }
    for (typed, minor) in [("1000", 100_000), ("0,99", 99), ("1 500,50", 150_050)] {
        v.push(F::Min(typed.into(), minor));
    }
    for (typed, minor) in [("1", 100), ("20,47", 2047), ("150.00", 15_000)] {
        v.push(F::Max(typed.into(), minor));
    }
    for op in Operation::ALL {
        v.push(F::Operation(op.key().into(), op));
    }
    v.push(F::Operation("SALE".into(), Operation::Sale));
    v.push(F::Status("accepted".into(), true));
    v.push(F::Status("refused".into(), false));
    v.push(F::Status("Refused".into(), false));
    for (typed, code) in [
        ("000", 0),
        ("0", 0),
        ("51", 51),
        ("051", 51),
        ("656", 656),
        ("910", 910),
        ("98", 98),
        ("999", 999),
    ] {
        v.push(F::Code(typed.into(), code));
    }
    for m in &d.merchants {
        v.push(F::Merchant(m.id));
    }
    v.push(F::Merchant(999));
    for t in [21114, 21115, 30001, 40001, 40002, 1] {
        v.push(F::Terminal(t));
    }
    for a in [
        "VPS_UBER_DH",
        "VPS_UBER_EUR",
        "VPS_GLOVO_DH",
        "VPS_RIAD_DH",
        "VPS_RIAD_EUR",
        "VPS_NOPE",
    ] {
        v.push(F::Account(a.into()));
    }
    let mut refs = vec![d.sale_with_3ds_and_refund().id, 999_999];
    for (op, child) in [
        (Operation::ThreeDSecure, Operation::Sale),
        (Operation::Authorization, Operation::Capture),
        (Operation::Authorization, Operation::Cancel),
        (Operation::Capture, Operation::Refund),
        (Operation::Sale, Operation::Rebill),
    ] {
        refs.extend(d.with_child(op, child).map(|t| t.id));
    }
    let leaf = d.rows.iter().find(|t| t.operation == Operation::Refund);
    refs.extend(leaf.map(|t| t.id));
    for r in refs {
        v.push(F::Ref(r));
    }
    for email in [
        "mohamed",
        "MOHAMED.",
        "m.benani@menara.ma",
        "M.BENANI@MENARA.MA",
        "eloise",
        "zoe",
        "gmail",
        "anonyme@",
    ] {
        v.push(F::Email(email.into()));
    }
    for buyer in [
        "Zoé",
        "zoe",
        "ZOE DUP",
        "Fès",
        "fes voyages sarl",
        "FES EXPRESS",
        "mohamed",
        "Mohammed Chraïbi",
        "chraibi",
        "omar benani",
    ] {
        v.push(F::Buyer(buyer.into()));
    }
    for order in [
        "UB-2026-00001",
        "ub-2026",
        "GL-2026-000042",
        "rf-",
        "RF-2026-000007",
        "XX",
    ] {
        v.push(F::Order(order.into()));
    }
    v
}

#[tokio::test]
async fn every_filter_alone_returns_exactly_the_brute_force_rows() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    assert!((300..=900).contains(&d.rows.len()), "{} rows", d.rows.len());
    // The whole period, no other filter: every row.
    assert_eq!(agrees(&admin, &d.rows, &[], None).await, d.rows.len());
    let mut found = BTreeMap::new();
    for f in single_filters(&d) {
        let n = agrees(&admin, &d.rows, std::slice::from_ref(&f), None).await;
        found.insert(format!("{f:?}"), n);
    }
    // The tricky values really were exercised, not only empty answers.
    let n = |key: &str| found[key];
    for holder in [
        "Mohamed", "MOHAMED", "mohamed", "Fès", "fes", "FES", "Éloïse",
    ] {
        assert!(n(&format!("Holder({holder:?})")) > 0, "{holder}");
    }
    assert_eq!(n(r#"Holder("Mohamed")"#), n(r#"Holder("mohamed")"#));
    assert_eq!(n(r#"Holder("Fès")"#), n(r#"Holder("FES")"#));
    // "Mohammed" is another name, not a spelling of "Mohamed".
    assert!(n(r#"Holder("Mohammed")"#) > 0);
    assert!(n(r#"Last4("0207")"#) > 0 && n(r#"Last4("0000")"#) > 0);
    assert!(n(r#"Amount("20,47", 2047)"#) > 0);
    assert!(n(r#"Buyer("Zoé")"#) > 0 && n(r#"Email("zoe")"#) > 0);
    let first_minute = r#"Period { from: "2026-05-22T00:00", to: "2026-05-22T00:00", start: 1779408000, end: 1779408060 }"#;
    assert_eq!(n(first_minute), 1);
    // Without a period: today (UTC, by the app's clock), newest first.
    let today = [period(
        "",
        "",
        unix(day("2026-06-01"), 0, 0),
        unix(day("2026-06-02"), 0, 0),
    )];
    let expected = brute_force(&d.rows, &today, None);
    assert!(!expected.is_empty() && expected.len() < d.rows.len());
    let l = listing(&admin, &[("per_page", "100".into())]).await;
    assert_eq!(l.total(), expected.len() as u64);
    assert_eq!(l.ids, expected[..expected.len().min(100)]);
    let non_empty = found.values().filter(|n| **n > 0).count();
    assert!(non_empty * 10 >= found.len() * 8, "{found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_pair_of_filters_returns_exactly_the_brute_force_rows() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let mut rng = Rng(7);
    let mut cases = Vec::new();
    for (i, &a) in KINDS.iter().enumerate() {
        for &b in &KINDS[i + 1..] {
            if matches!((a, b), (Kind::Amount, Kind::Min | Kind::Max)) {
                // An exact amount replaces the range: see
                // `an_exact_amount_and_a_range_both_apply`.
                continue;
            }
            // Values from one row (so the answer is not empty), then from two rows.
            for round in 0..2 {
                let mut tries = 0;
                let pair = loop {
                    tries += 1;
                    assert!(tries < 500, "no row for {a:?} and {b:?}");
                    let r1 = rng.pick(&d.rows).clone();
                    let r2 = if round == 0 {
                        r1.clone()
                    } else {
                        rng.pick(&d.rows).clone()
                    };
                    if let (Some(fa), Some(fb)) =
                        (from_row(a, &r1, &mut rng), from_row(b, &r2, &mut rng))
                    {
                        // A minimum above the maximum is refused (tested elsewhere).
                        if let (F::Min(_, lo), F::Max(_, hi)) = (&fa, &fb)
                            && lo > hi
                        {
                            continue;
                        }
                        break vec![fa, fb];
                    }
                };
                cases.push(pair);
            }
        }
    }
    // Several at a time: the server answers them concurrently.
    let rows = std::sync::Arc::new(d.rows.clone());
    let mut set = tokio::task::JoinSet::new();
    for chunk in cases.chunks(cases.len().div_ceil(6)) {
        let chunk = chunk.to_vec();
        let rows = rows.clone();
        let c = Client {
            http: admin.http.clone(),
            base: admin.base.clone(),
        };
        set.spawn(async move {
            let mut non_empty = 0;
            for filters in &chunk {
                if agrees(&c, &rows, filters, None).await > 0 {
                    non_empty += 1;
                }
            }
            (non_empty, chunk.len())
        });
    }
    let (mut non_empty, mut total) = (0, 0);
    while let Some(r) = set.join_next().await {
        let (n, t) = r.unwrap();
        non_empty += n;
        total += t;
    }
    assert_eq!(total, cases.len());
    assert!(
        non_empty * 2 > total,
        "{non_empty} of {total} pairs found rows"
    );
}

#[tokio::test]
async fn rows_written_after_a_search_are_found_by_the_next_one() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let holder = [F::Holder("yasmine".into())];
    let before = agrees(&admin, &d.rows, &holder, None).await;
    agrees(&admin, &d.rows, &[], None).await;
    // A refund of the newest accepted sale, written now.
    let sale = d
        .rows
        .iter()
        .rev()
        .find(|t| t.operation == Operation::Sale && t.code == ResultCode::ACCEPTED)
        .unwrap();
    let mut more = vec![Transaction {
        id: 0,
        at: datetime!(2026-06-01 09:45 UTC).unix_timestamp(),
        operation: Operation::Refund,
        parent_id: Some(sale.id),
        card: Some(StoredCard {
            holder: "Yasmine Tazi".into(),
            ..sale.card.clone().unwrap_or_default()
        }),
        ..sale.clone()
    }];
    app.db.insert_transactions(&mut more).unwrap();
    let n = d.rows.len() as u64 + 1;
    assert_eq!(more[0].id, n);
    let rows = app.db.fetch(&(1..=n).collect::<Vec<_>>()).unwrap();
    // Found by the scan (no indexed filter) and through the indexes.
    assert_eq!(agrees(&admin, &rows, &[], None).await, rows.len());
    assert_eq!(agrees(&admin, &rows, &holder, None).await, before + 1);
    assert!(agrees(&admin, &rows, &[F::Ref(sale.id)], None).await >= 2);
}

#[tokio::test]
async fn text_filters_ignore_case_and_accents() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let ids = |q: &'static [(&'static str, &'static str)]| {
        let admin = &admin;
        async move {
            let mut pairs: Vec<(&str, String)> =
                q.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
            pairs.extend([("from", FROM.into()), ("to", TO.into())]);
            pairs.push(("per_page", "100".into()));
            let l = listing(admin, &pairs).await;
            assert_eq!(l.status, StatusCode::OK);
            (l.total(), l.ids)
        }
    };
    let mohamed = ids(&[("holder", "Mohamed")]).await;
    assert!(mohamed.0 > 0);
    assert_eq!(ids(&[("holder", "MOHAMED")]).await, mohamed);
    assert_eq!(ids(&[("holder", "mohamed")]).await, mohamed);
    assert_eq!(ids(&[("holder", "MÖHAMED")]).await, mohamed);
    let fes = ids(&[("holder", "Fès")]).await;
    assert_eq!(ids(&[("holder", "Fes")]).await, fes);
    assert_eq!(ids(&[("holder", "FÈS")]).await, fes);
    // Both "Fès Voyages" and "FES EXPRESS" are found by either spelling.
    let holders: std::collections::BTreeSet<&str> = d
        .rows
        .iter()
        .filter(|t| fes.1.contains(&t.id))
        .filter_map(|t| t.card.as_ref().map(|c| c.holder.as_str()))
        .collect();
    assert!(holders.contains("Fès Voyages") && holders.contains("FES EXPRESS"));
    assert_eq!(
        ids(&[("buyer", "zoe")]).await,
        ids(&[("buyer", "ZOÉ")]).await
    );
}

#[tokio::test]
async fn an_exact_amount_and_a_range_both_apply() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    // 20,47 exact but at least 100,00: nothing can match both.
    let filters = [
        F::Amount("20,47".into(), 2047),
        F::Min("100".into(), 10_000),
    ];
    assert!(!brute_force(&d.rows, &filters[..1], None).is_empty());
    agrees(&admin, &d.rows, &filters, None).await;
    let filters = [F::Amount("20,47".into(), 2047), F::Max("10".into(), 1_000)];
    agrees(&admin, &d.rows, &filters, None).await;
}

#[tokio::test]
async fn a_terminal_number_no_terminal_has_matches_nothing() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    for terminal in ["4294967296", "99999999999"] {
        let l = listing(
            &admin,
            &[
                ("terminal", terminal.into()),
                ("from", FROM.into()),
                ("to", TO.into()),
            ],
        )
        .await;
        // Either refused as malformed or an empty answer; never every row.
        assert!(
            l.status == StatusCode::BAD_REQUEST || l.total() == 0,
            "terminal={terminal}: {} ({} rows in the data)",
            l.info,
            d.rows.len()
        );
    }
}

// ---------------------------------------------------------------------------------
// 2. Page boundaries and malformed values

fn period_pairs(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut pairs = vec![("from", FROM.to_string()), ("to", TO.to_string())];
    pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
    pairs
}

#[tokio::test]
async fn the_last_page_has_the_remainder_and_a_page_beyond_the_end_links_to_the_last() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let n = d.rows.len();
    let all: Vec<u64> = d.rows.iter().rev().map(|t| t.id).collect();
    for per_page in [10usize, 20, 40, 60, 100] {
        let last = n.div_ceil(per_page);
        let pp = per_page.to_string();
        let l = listing(
            &admin,
            &period_pairs(&[("per_page", &pp), ("page", &last.to_string())]),
        )
        .await;
        assert_eq!(l.status, StatusCode::OK);
        let remainder = n - (last - 1) * per_page;
        assert_eq!(l.ids, all[(last - 1) * per_page..], "per_page {per_page}");
        assert_eq!(l.ids.len(), remainder);
        assert_eq!(
            l.info,
            format!(
                "Affichage de l'élément {} à {} sur {} éléments",
                fmt_count(((last - 1) * per_page + 1) as u64),
                fmt_count(n as u64),
                fmt_count(n as u64)
            )
        );
        // The page size is kept selected, and the pager has no "next" link.
        assert!(
            l.body
                .contains(&format!(r#"<option value="{pp}" selected>"#))
        );
        assert!(!l.body.contains(r#"rel="next""#));
        // One page further: no rows, no error, a way back to the last page.
        let beyond = (last + 1).to_string();
        let l = listing(
            &admin,
            &period_pairs(&[("per_page", &pp), ("page", &beyond)]),
        )
        .await;
        assert_eq!(l.status, StatusCode::OK, "per_page {per_page}");
        assert!(l.ids.is_empty());
        assert_eq!(l.total(), n as u64);
        let mut to_last = vec![("from", FROM.to_string()), ("to", TO.to_string())];
        if last > 1 {
            to_last.push(("page", last.to_string()));
        }
        if per_page != 10 {
            to_last.push(("per_page", pp.clone()));
        }
        let href = format!(
            r#"href="/transactions?{}""#,
            serde_urlencoded::to_string(&to_last)
                .unwrap()
                .replace('&', "&amp;")
        );
        assert!(l.body.contains(&href), "{href}");
        assert!(l.body.contains("Aller à la dernière page"));
    }
    // Far beyond the end too.
    let l = listing(&admin, &period_pairs(&[("page", "1000000")])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert!(l.ids.is_empty());
    // The pager's links keep the filters (accents included) and the page size.
    let fes = [F::Holder("Fès".into())];
    let expected = brute_force(&d.rows, &fes, None);
    assert!(expected.len() > 20);
    let mut pairs = query(&fes);
    pairs.push(("per_page", "20".into()));
    let mut l = listing(&admin, &pairs).await;
    let mut got = l.ids.clone();
    while let Some(next) = link(&l.body, "next") {
        assert!(
            next.contains("holder=F%C3%A8s") && next.contains("per_page=20"),
            "{next}"
        );
        let (status, body) = admin.page(&next).await;
        assert_eq!(status, StatusCode::OK);
        l = Listing {
            status,
            ids: ids_in(&body),
            info: info_in(&body),
            body,
        };
        got.extend(&l.ids);
    }
    assert_eq!(got, expected);
    let first = link(&l.body, "prev").unwrap();
    assert!(first.contains("holder=F%C3%A8s"));
    // Nothing found: page 2 is empty, with no link to a "last page".
    let l = listing(&admin, &period_pairs(&[("holder", "Z"), ("page", "2")])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), 0);
    assert!(!l.body.contains("Aller à la dernière page"));
    // Page 2 of 10 shows rows 11 to 20 and links both ways.
    let l = listing(&admin, &period_pairs(&[("page", "2")])).await;
    assert_eq!(l.ids, all[10..20]);
    assert!(l.info.starts_with("Affichage de l'élément 11 à 20 sur "));
    assert!(l.body.contains(r#"rel="prev""#) && l.body.contains(r#"rel="next""#));
}

/// The `href` of the pager link with `rel`, unescaped.
fn link(body: &str, rel: &str) -> Option<String> {
    let marker = format!(r#"rel="{rel}""#);
    let at = body.find(&marker)?;
    let tag_start = body[..at].rfind("<a ")?;
    let tag = &body[tag_start..at];
    let start = tag.find(r#"href=""#)? + 6;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn the_info_line_beyond_the_last_page_counts_no_row_that_is_not_there() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let n = d.rows.len() as u64;
    let beyond = (n.div_ceil(10) + 1).to_string();
    let l = listing(&admin, &period_pairs(&[("page", &beyond)])).await;
    assert_eq!(l.status, StatusCode::OK);
    let numbers: Vec<u64> = l
        .info
        .replace(' ', "")
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(
        numbers.iter().all(|x| *x <= n) && numbers[0] <= numbers[1],
        "{}",
        l.info
    );
}

#[tokio::test]
async fn a_huge_page_number_never_answers_500() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    for page in [
        "184467440737095516",
        "10000000000000000000",
        "18446744073709551615",
    ] {
        for per_page in ["10", "100"] {
            let l = listing(
                &admin,
                &period_pairs(&[("page", page), ("per_page", per_page)]),
            )
            .await;
            assert!(
                l.status == StatusCode::OK || l.status == StatusCode::BAD_REQUEST,
                "page={page}&per_page={per_page}: {}",
                l.status
            );
            assert!(l.ids.is_empty());
        }
    }
}

#[tokio::test]
async fn malformed_paging_values_are_refused_with_400_and_a_clear_message() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for per_page in ["7", "0", "15", "1000", "abc", "-10", "10.5", "101"] {
        let l = listing(&admin, &period_pairs(&[("per_page", per_page)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "per_page={per_page}");
        assert!(
            l.body.contains(&format!(
                "« {per_page} » : choisissez 10, 20, 40, 60 ou 100 éléments par page."
            )),
            "per_page={per_page}"
        );
        assert!(l.ids.is_empty() && l.info.is_empty());
    }
    for page in ["0", "abc", "-1", "1.5", "2e3"] {
        let l = listing(&admin, &period_pairs(&[("page", page)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "page={page}");
        assert!(
            l.body
                .contains(&format!("« {page} » : numéro de page invalide.")),
            "page={page}"
        );
    }
    // Every allowed size is accepted.
    for per_page in ["10", "20", "40", "60", "100", " 20 "] {
        let l = listing(&admin, &period_pairs(&[("per_page", per_page)])).await;
        assert_eq!(l.status, StatusCode::OK, "per_page={per_page}");
    }
}

#[tokio::test]
async fn malformed_dates_and_amounts_are_refused_with_400_quoting_the_value() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = listing(
        &admin,
        &[("from", "2026-05-25".into()), ("to", "2026-05-24".into())],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body
            .contains("La date de début doit être antérieure à la date de fin.")
    );
    assert!(l.body.contains(
        r#"id="q-from" name="from" value="2026-05-25" placeholder="AAAA-MM-JJ" aria-invalid="true""#
    ));
    let l = listing(
        &admin,
        &[
            ("from", "2026-05-25T10:01".into()),
            ("to", "2026-05-25T09:59".into()),
        ],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(l.body.contains("La date de début doit être antérieure"));
    for (field, value) in [
        ("from", "29/05/2026"),
        ("from", "2026-02-30"),
        ("to", "2026-05-21T25:00"),
        ("to", "2026-05-21 10:00"),
        ("from", "aujourd'hui"),
        ("to", "2026-5-1"),
    ] {
        let l = listing(&admin, &[(field, value.into())]).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            l.body.contains(&format!(
                "« {value} » : date attendue au format AAAA-MM-JJ ou AAAA-MM-JJTHH:MM."
            )),
            "{field}={value}"
        );
    }
    for (field, value) in [
        ("amount", "1e3"),
        ("amount", "12,345"),
        ("amount_min", "-5"),
        ("amount_max", "abc"),
        ("amount", "1,2,3"),
        ("amount_min", "10,123"),
        ("amount_max", "1.005"),
    ] {
        let l = listing(&admin, &period_pairs(&[(field, value)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(l.body.contains(&format!("« {value} »")), "{field}={value}");
        assert!(
            l.body.contains(&format!(
                r#"id="q-{field}" name="{field}" value="{value}" aria-invalid="true""#
            )),
            "{field}={value}"
        );
    }
    let l = listing(
        &admin,
        &period_pairs(&[("amount_min", "100"), ("amount_max", "99,99")]),
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(l.body.contains("Le montant minimum dépasse le maximum."));
    for (field, value, message) in [
        ("bin", "41111", "6 chiffres attendus"),
        ("last4", "12a4", "4 chiffres attendus"),
        ("merchant", "uber", "un nombre entier est attendu"),
        ("terminal", "-3", "un nombre entier est attendu"),
        ("ref", "12x", "un nombre entier est attendu"),
        ("operation", "steal", "valeur inconnue"),
        ("status", "pending", "valeur inconnue"),
        ("code", "123", "valeur inconnue"),
        ("brand", "bitcoin", "valeur inconnue"),
    ] {
        let l = listing(&admin, &period_pairs(&[(field, value)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            l.body.contains(&format!("« {value} » : {message}")),
            "{field}={value}"
        );
    }
    // All errors at once, each with its message.
    let l = listing(
        &admin,
        &[
            ("from", "demain".into()),
            ("amount", "1e3".into()),
            ("per_page", "7".into()),
        ],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    for v in ["« demain »", "« 1e3 »", "« 7 »"] {
        assert!(l.body.contains(v), "{v}");
    }
}

#[tokio::test]
async fn the_info_line_follows_the_users_language() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let n = d.rows.len() as u64;
    let l = listing(&admin, &period_pairs(&[])).await;
    assert_eq!(
        l.info,
        format!(
            "Affichage de l'élément 1 à 10 sur {} éléments",
            fmt_count(n)
        )
    );
    let r = admin.post("/lang", &[("lang", "en")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let l = listing(&admin, &period_pairs(&[("page", "2"), ("per_page", "20")])).await;
    assert_eq!(l.info, format!("Showing 21 to 40 of {n} items"));
    assert!(l.body.contains("Next ›"));
    let l = listing(&admin, &period_pairs(&[("per_page", "7")])).await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body
            .contains("&quot;7&quot;: choose 10, 20, 40, 60 or 100 items per page.")
    );
}

// ---------------------------------------------------------------------------------
// 3. One route, a page or a fragment

async fn get_htmx(c: &Client, path: &str, htmx: bool) -> (StatusCode, String, String) {
    let mut req = c.http.get(format!("{}{path}", c.base));
    if htmx {
        req = req.header("HX-Request", "true");
    }
    let r = req.send().await.unwrap();
    let vary = r
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    (r.status(), vary, r.text().await.unwrap())
}

#[tokio::test]
async fn htmx_requests_get_only_the_results_and_every_answer_varies_on_hx_request() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let path = list_url(&period_pairs(&[("holder", "mohamed"), ("page", "2")]));
    let (status, vary, fragment) = get_htmx(&admin, &path, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert!(
        fragment.starts_with(r#"<div id="results""#),
        "{fragment:.80}"
    );
    assert!(!fragment.contains("<html") && !fragment.contains("<form"));
    let (status, vary, page) = get_htmx(&admin, &path, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert!(page.contains("<html") && page.contains(r#"<form id="filters""#));
    // The page holds the very fragment htmx swaps.
    assert!(page.contains(&fragment));
    assert_eq!(ids_in(&fragment), ids_in(&page));
    assert!(!ids_in(&fragment).is_empty());
    // Errors too: a 400 fragment with the messages, or a 400 page.
    let bad = list_url(&period_pairs(&[("per_page", "7")]));
    let (status, vary, fragment) = get_htmx(&admin, &bad, true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(vary.contains("HX-Request"));
    assert!(fragment.starts_with(r#"<div id="results""#));
    assert!(fragment.contains("« 7 »") && !fragment.contains("<html"));
    let (status, _, page) = get_htmx(&admin, &bad, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("<html"));

    // A detail tab: the tab alone for htmx, the whole detail page otherwise.
    let sale = d.sale_with_3ds_and_refund();
    for path in [
        format!("/transactions/{}/tab/associated", sale.id),
        format!("/transactions/{}?tab=associated", sale.id),
    ] {
        let (status, vary, fragment) = get_htmx(&admin, &path, true).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(vary.contains("HX-Request"), "{path}: {vary}");
        assert!(fragment.starts_with(r#"<div id="tab""#), "{fragment:.80}");
        assert!(!fragment.contains("<html"));
        assert!(ids_in(&fragment).contains(&sale.parent_id.unwrap()));
        let (status, vary, page) = get_htmx(&admin, &path, false).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(vary.contains("HX-Request"), "{path}: {vary}");
        assert!(page.contains("<html") && page.contains(&fragment));
    }
}

/// The `htmx-config` meta of a page.
fn htmx_config(page: &str) -> String {
    let marker = r#"name="htmx-config" content=""#;
    let start = page.find(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].replace("&quot;", "\"")
}

#[tokio::test]
async fn the_filter_errors_reach_the_screen_through_htmx() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = list_url(&period_pairs(&[("amount", "1e3")]));
    let (status, _, fragment) = get_htmx(&admin, &bad, true).await;
    assert!(fragment.contains("« 1e3 »"));
    let (_, page) = admin.page("/transactions").await;
    let config = htmx_config(&page);
    // htmx swaps 2xx answers; a 4xx one only if the config says so.
    let swapped = status.is_success()
        || (config.contains("responseHandling")
            && (config.contains(r#""code":"400""#) || config.contains(r#""code":"4..""#)));
    assert!(swapped, "status {status}, htmx-config {config}");
}

// ---------------------------------------------------------------------------------
// 4. Merchant scoping

#[tokio::test]
async fn a_merchant_user_sees_only_their_merchants_rows_and_totals() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    let glovo = d.merchant("Glovoapp");
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let mut rng = Rng(11);
    let mut filters: Vec<Vec<F>> = vec![
        vec![],
        vec![F::Holder("mohamed".into())],
        vec![F::Status("refused".into(), false)],
        vec![F::Operation("refund".into(), Operation::Refund)],
        vec![F::Merchant(uber)],
        vec![F::Merchant(glovo)],
        vec![F::Account("VPS_GLOVO_DH".into())],
        vec![F::Terminal(30001)],
    ];
    // Values taken from other merchants' rows find nothing here.
    for kind in [Kind::Ref, Kind::Order, Kind::Email, Kind::Amount] {
        for _ in 0..3 {
            let row = rng.pick(&d.rows);
            if let Some(f) = from_row(kind, row, &mut rng) {
                filters.push(vec![f]);
            }
        }
    }
    for f in &filters {
        agrees(&c, &d.rows, f, Some(uber)).await;
    }
    let all = agrees(&c, &d.rows, &[], Some(uber)).await;
    assert!(all > 0 && all < d.rows.len());
    let l = listing(&c, &query(&[F::Merchant(glovo)])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), 0);
    assert!(l.ids.is_empty());
    assert!(
        l.body
            .contains("Aucune transaction ne correspond à ces critères.")
    );
    // No merchant picker for a merchant user, no other merchant's name.
    assert!(!l.body.contains(r#"name="merchant""#));
    assert!(!l.body.contains("Glovoapp") && !l.body.contains("Riad Fès"));
    // The htmx fragment is scoped the same way.
    let (_, _, fragment) = get_htmx(&c, &list_url(&query(&[])), true).await;
    let uber_ids = brute_force(&d.rows, &[], Some(uber));
    assert_eq!(ids_in(&fragment), uber_ids[..10]);
}

#[tokio::test]
async fn a_merchant_user_gets_404_on_another_merchants_transaction_and_every_tab() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let c = app.signed_in("uber.manager").await;
    let theirs = d
        .rows
        .iter()
        .filter(|t| t.merchant_id != uber)
        .step_by(37)
        .take(6);
    let own = d.rows.iter().find(|t| t.merchant_id == uber).unwrap();
    for tx in theirs {
        let id = tx.id;
        let mut paths = vec![format!("/transactions/{id}")];
        for tab in [
            "general",
            "associated",
            "journal",
            "notes",
            "history",
            "nope",
        ] {
            paths.push(format!("/transactions/{id}?tab={tab}"));
            paths.push(format!("/transactions/{id}/tab/{tab}"));
        }
        for path in &paths {
            for htmx in [false, true] {
                let (status, _, body) = get_htmx(&c, path, htmx).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path} htmx={htmx}");
                assert!(!body.contains(&tx.sale.order_id), "{path}");
            }
        }
        let r = c
            .post(&format!("/transactions/{id}/notes"), &[("text", "Vu")])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(app.db.notes(id).unwrap().is_empty());
        assert!(app.db.history(id).unwrap().is_empty());
        // Found by reference: nothing either.
        let l = listing(&c, &query(&[F::Ref(id)])).await;
        assert_eq!(l.total(), 0);
    }
    // Their own transaction is there; ids that do not exist are 404s as well.
    assert_eq!(
        c.get(&format!("/transactions/{}", own.id)).await.status(),
        StatusCode::OK
    );
    for path in [
        "/transactions/999999",
        "/transactions/0",
        "/transactions/abc",
        "/transactions/-1/tab/general",
    ] {
        assert_eq!(c.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_user_without_the_view_permission_gets_404_on_transactions() {
    let app = spawn_app().await;
    let d = seed(&app);
    let uber = d.merchant("Uber");
    app.merchant_user(
        "uber.users",
        uber,
        Permissions {
            manage_users: true,
            export: true,
            ..Permissions::default()
        },
    );
    let own = d.rows.iter().find(|t| t.merchant_id == uber).unwrap().id;
    let c = app.signed_in("uber.users").await;
    for path in [
        "/transactions".to_string(),
        list_url(&query(&[])),
        format!("/transactions/{own}"),
        format!("/transactions/{own}?tab=notes"),
        format!("/transactions/{own}/tab/associated"),
    ] {
        for htmx in [false, true] {
            let (status, _, body) = get_htmx(&c, &path, htmx).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(!body.contains("tx-table"), "{path}");
        }
    }
    let r = c
        .post(&format!("/transactions/{own}/notes"), &[("text", "Vu")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(app.db.notes(own).unwrap().is_empty());
    // Not signed in: sent to the sign-in page, never shown a row.
    let anon = app.client();
    let r = anon.get("/transactions").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------
// 5. The detail

/// A 3-D Secure check, its sale and the sale's refund, for Uber; a refused sale for
/// Glovoapp; an Amex authorization. Returns (uber id, glovo id).
fn seed_detail(app: &TestApp) -> (u64, u64) {
    let uber = app.merchant("Uber").id;
    let glovo = app.merchant("Glovoapp").id;
    let t0 = datetime!(2026-05-30 14:03:27 UTC).unix_timestamp();
    let card = |bin: &str, last4: &str, len: u8, brand: Brand, holder: &str| StoredCard {
        bin: bin.into(),
        last4: last4.into(),
        pan_len: len,
        brand: Some(brand),
        exp_month: 9,
        exp_year: 2028,
        holder: holder.into(),
        token: "c0ffee-token".into(),
        three_ds: true,
        country: "MA".into(),
    };
    let base = Transaction {
        id: 0,
        at: t0,
        merchant_id: uber,
        operation: Operation::ThreeDSecure,
        amount: Amount::from_minor(700_100).unwrap(),
        currency: Currency::Mad,
        code: ResultCode::ACCEPTED,
        card: Some(card("411111", "1111", 16, Brand::Visa, "MOHAMED ALAOUI")),
        initiator: Initiator {
            ip: "196.200.1.2".into(),
            terminal: 21114,
            merchant_account: "VPS_TEST_DH".into(),
            ..Initiator::default()
        },
        sale: SaleDetails {
            order_id: "UB-2026-000001".into(),
            description: "Course Uber".into(),
            ..SaleDetails::default()
        },
        buyer: Party {
            name: "Mohamed Alaoui".into(),
            email: "mohamed.alaoui@gmail.com".into(),
            city: "Fès".into(),
            ..Party::default()
        },
        shipping: Party::default(),
        affiliation: Affiliation::default(),
        test: false,
        parent_id: None,
        statement_descriptor: "UBER".into(),
    };
    let mut rows = vec![
        base.clone(),
        Transaction {
            at: t0 + 40,
            operation: Operation::Sale,
            parent_id: Some(1),
            ..base.clone()
        },
        Transaction {
            at: t0 + 86_400,
            operation: Operation::Refund,
            amount: Amount::from_minor(350_050).unwrap(),
            parent_id: Some(2),
            ..base.clone()
        },
        Transaction {
            at: t0 + 90_000,
            merchant_id: glovo,
            operation: Operation::Sale,
            code: ResultCode::INSUFFICIENT_FUNDS,
            card: Some(card("378282", "0005", 15, Brand::Amex, "Fès Voyages")),
            ..base.clone()
        },
        Transaction {
            at: t0 + 90_100,
            operation: Operation::Authorization,
            card: Some(card("676770", "0207", 19, Brand::Maestro, "Éloïse Martin")),
            ..base.clone()
        },
    ];
    let wtx = app.db.begin_write().unwrap();
    transactions::insert_many(&wtx, &mut rows).unwrap();
    wtx.commit().unwrap();
    assert_eq!(
        rows.iter().map(|t| t.id).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    (uber, glovo)
}

/// The `<dd>` after the `<dt>` named `label`.
fn dd(page: &str, label: &str) -> String {
    let marker = format!("<dt>{label}</dt><dd>");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {label}")) + marker.len();
    page[start..start + page[start..].find("</dd>").unwrap()].to_string()
}

#[tokio::test]
async fn the_general_tab_shows_the_masked_card_the_code_text_and_the_settlement_date() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (status, page) = admin.page("/transactions/2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dd(&page, "Numéro de carte"), "411111XXXXXX1111");
    assert_eq!(
        dd(&page, "Code de retour"),
        "000 - Transaction terminée avec succès"
    );
    assert_eq!(dd(&page, "Statut"), "Acceptée");
    assert_eq!(dd(&page, "Opération"), "Vente");
    assert_eq!(dd(&page, "Montant"), "7 001,00 MAD");
    assert_eq!(dd(&page, "Date"), "30.05.2026 14:04:07");
    // Accepted sale: credited 48 hours later.
    assert_eq!(dd(&page, "Crédit marchand prévu"), "01.06.2026 14:04:07");
    assert_eq!(dd(&page, "Nom du porteur"), "MOHAMED ALAOUI");
    assert_eq!(dd(&page, "Marque de la carte"), "VISA");
    assert_eq!(dd(&page, "Date d'expiration"), "09 / 2028");
    assert_eq!(dd(&page, "ID de la commande"), "UB-2026-000001");
    assert_eq!(dd(&page, "Société"), "Uber SARL");
    // The same page by its tab name, and in the htmx tab fragment.
    let (_, general) = admin.page("/transactions/2?tab=general").await;
    assert!(general.contains("411111XXXXXX1111"));
    let (_, _, fragment) = get_htmx(&admin, "/transactions/2/tab/general", true).await;
    assert!(fragment.contains("<dd>411111XXXXXX1111</dd>"));
    // A refused sale: its code text, no settlement; an Amex number has 15 digits.
    let (_, page) = admin.page("/transactions/4").await;
    assert_eq!(dd(&page, "Code de retour"), "051 - Fonds insuffisants");
    assert_eq!(dd(&page, "Statut"), "Refusée");
    assert_eq!(dd(&page, "Numéro de carte"), "378282XXXXX0005");
    assert!(!page.contains("Crédit marchand prévu"));
    // Refunds and authorizations are not credited; a fresh authorization waits.
    let (_, page) = admin.page("/transactions/3").await;
    assert!(!page.contains("Crédit marchand prévu"));
    let (_, page) = admin.page("/transactions/5").await;
    assert_eq!(dd(&page, "Numéro de carte"), "676770XXXXXXXXX0207");
    assert!(!page.contains("Crédit marchand prévu"));
    assert!(
        dd(&page, "Autorisation").starts_with("En attente de capture jusqu'au 07.06.2026"),
        "{}",
        dd(&page, "Autorisation")
    );
    // In English.
    admin.post("/lang", &[("lang", "en")]).await;
    let (_, page) = admin.page("/transactions/2").await;
    assert_eq!(
        dd(&page, "Result code"),
        "000 - Transaction successfully completed"
    );
    assert_eq!(dd(&page, "Expected settlement"), "01.06.2026 14:04:07");
    assert_eq!(dd(&page, "Card number"), "411111XXXXXX1111");
}

#[tokio::test]
async fn the_associated_tab_of_a_sale_lists_its_3ds_parent_and_its_refund() {
    let app = spawn_app().await;
    seed_detail(&app);
    let admin = app.admin().await;
    let (status, page) = admin.page("/transactions/2?tab=associated").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_in(&page), [3, 1], "newest first");
    assert!(page.contains("Transactions associées (2)"));
    assert!(page.contains("Vérification 3D Secure") && page.contains("Remboursement"));
    assert!(page.contains(r#"aria-current="page">Transactions associées (2)</a>"#));
    // From either end of the chain.
    let (_, page) = admin.page("/transactions/1/tab/associated").await;
    assert_eq!(ids_in(&page), [2]);
    let (_, page) = admin.page("/transactions/3/tab/associated").await;
    assert_eq!(ids_in(&page), [2]);
    let (_, page) = admin.page("/transactions/4/tab/associated").await;
    assert!(ids_in(&page).is_empty());
    assert!(page.contains("Transactions associées (0)"));
    // Every tab answers, an unknown one is a 404.
    for tab in ["general", "associated", "journal", "notes", "history"] {
        let (status, page) = admin.page(&format!("/transactions/2?tab={tab}")).await;
        assert_eq!(status, StatusCode::OK, "{tab}");
        assert!(
            page.contains("Transaction 2 · Vente · 7 001,00 MAD"),
            "{tab}"
        );
    }
    let (_, journal) = admin.page("/transactions/4?tab=journal").await;
    assert!(journal.contains("Journal (1)") && journal.contains("Vente – Fonds insuffisants"));
    assert_eq!(
        admin.get("/transactions/2?tab=secret").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/transactions/2/tab/secret").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_merchant_user_adds_a_note_seen_in_notes_and_history() {
    let app = spawn_app().await;
    let (uber, _) = seed_detail(&app);
    app.merchant_user(
        "uber.viewer",
        uber,
        Permissions {
            view: true,
            ..Permissions::default()
        },
    );
    let c = app.signed_in("uber.viewer").await;
    let (_, page) = c.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (0)"));
    assert!(page.contains(r#"action="/transactions/2/notes""#));
    let (_, page) = c.page("/transactions/2?tab=history").await;
    assert!(page.contains("Aucune action sur cette transaction depuis sa création."));
    let text = "Client rappelé à Fès : remboursement partiel validé <ok>";
    let r = c.post("/transactions/2/notes", &[("text", text)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/transactions/2?tab=notes");
    let (status, page) = c.page("/transactions/2?tab=notes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Notes (1)"));
    assert!(page.contains("Client rappelé à Fès : remboursement partiel validé &lt;ok&gt;"));
    assert!(page.contains("01.06.2026 10:00:00 · uber.viewer"));
    let (_, page) = c.page("/transactions/2/tab/history").await;
    assert!(page.contains("<code>note.add</code>"));
    assert!(page.contains("<td>uber.viewer</td>"));
    // Seen by the admin too, and only on that transaction.
    let admin = app.admin().await;
    let (_, page) = admin.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (1)") && page.contains("remboursement partiel validé"));
    let (_, page) = admin.page("/transactions/3?tab=notes").await;
    assert!(page.contains("Notes (0)"));
    // A second note counts too.
    let r = admin
        .post("/transactions/2/notes", &[("text", "Vérifié.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page("/transactions/2?tab=notes").await;
    assert!(page.contains("Notes (2)"));
    let history = app.db.history(2).unwrap();
    let who: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h.action.as_str(), h.user.as_str()))
        .collect();
    assert_eq!(who, [("note.add", "uber.viewer"), ("note.add", "admin")]);
}

#[tokio::test]
async fn an_empty_or_too_long_note_is_refused_with_422() {
    let app = spawn_app().await;
    let (uber, _) = seed_detail(&app);
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let c = app.signed_in("uber.manager").await;
    let long = "é".repeat(2001);
    for text in ["", "   ", "\n\t", long.as_str()] {
        let r = c.post("/transactions/2/notes", &[("text", text)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{:.10}", text);
        let body = r.text().await.unwrap();
        assert!(body.contains("La note doit contenir de 1 à 2000 caractères."));
    }
    let r = c.post("/transactions/2/notes", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.notes(2).unwrap().is_empty());
    assert!(app.db.history(2).unwrap().is_empty());
    // 2000 characters exactly is fine.
    let ok = "é".repeat(2000);
    let r = c.post("/transactions/2/notes", &[("text", &ok)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.notes(2).unwrap().len(), 1);
    // Without the CSRF token nothing is written.
    let r = c
        .post_raw("/transactions/2/notes", &[("text", "sans jeton")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.notes(2).unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------
// 6. Card numbers never in full

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Every 13–19 digit Luhn-valid number in `text`: digit runs (optionally grouped by
/// single spaces or dashes) not glued to letters, as a card number would be printed.
pub(crate) fn full_card_numbers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::new();
        let mut end = i;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                digits.push(b[i] - b'0');
                end = i + 1;
                i += 1;
            } else if (b[i] == b' ' || b[i] == b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        let glued = b.get(end).is_some_and(u8::is_ascii_alphabetic);
        if !glued && (13..=19).contains(&digits.len()) && luhn(&digits) {
            found.push(text[start..end].to_string());
        }
        i = end.max(start + 1);
    }
    found
}

#[test]
fn the_card_number_scanner_finds_what_it_should() {
    assert_eq!(
        full_card_numbers("<dd>4111111111111111</dd>"),
        ["4111111111111111"]
    );
    assert_eq!(
        full_card_numbers("carte 4111 1111 1111 1111."),
        ["4111 1111 1111 1111"]
    );
    assert_eq!(full_card_numbers("(378282246310005)"), ["378282246310005"]);
    assert!(full_card_numbers("411111XXXXXX1111 4111111111111112").is_empty());
    assert!(full_card_numbers("tok-a4111111111111111b 30.05.2026 14:04:07").is_empty());
}

#[tokio::test]
async fn no_page_ever_shows_a_full_card_number() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let uber = d.merchant("Uber");
    app.merchant_user("uber.manager", uber, Permissions::ALL);
    let manager = app.signed_in("uber.manager").await;
    let mut pages = Vec::new();
    for page in 1..=d.rows.len().div_ceil(100) {
        pages.push(list_url(&period_pairs(&[
            ("per_page", "100"),
            ("page", &page.to_string()),
        ])));
    }
    for t in d.rows.iter().step_by(9) {
        pages.push(format!("/transactions/{}", t.id));
        pages.push(format!("/transactions/{}/tab/associated", t.id));
        pages.push(format!("/transactions/{}?tab=journal", t.id));
    }
    pages.push(list_url(&period_pairs(&[("holder", "mohamed")])));
    let mut masked = 0;
    for c in [&admin, &manager] {
        for path in &pages {
            for htmx in [false, true] {
                let (_, _, body) = get_htmx(c, path, htmx).await;
                let full = full_card_numbers(&body);
                assert!(full.is_empty(), "{path}: {full:?}");
                masked += body.matches("XXXXXX").count();
            }
        }
    }
    assert!(masked > 0, "detail pages show masked numbers");
}

// ---------------------------------------------------------------------------------
// The demo data generator's rows agree with the brute force as well.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_data_agrees_with_the_brute_force_for_values_taken_from_its_rows() {
    let app = spawn_app().await;
    let now = datetime!(2026-06-01 09:00 UTC);
    let summary = guichet::demo::generate(
        &app.db,
        &guichet::demo::DemoOptions {
            transactions: 1_500,
            seed: 42,
            now,
        },
        &mut |_| {},
    )
    .unwrap();
    let n = summary.transactions;
    let rows = app.db.fetch(&(1..=n).collect::<Vec<_>>()).unwrap();
    assert_eq!(rows.len() as u64, n);
    let admin = app.admin().await;
    let year = |filters: &[F]| {
        let mut v = filters.to_vec();
        if !v.iter().any(|f| matches!(f, F::Period { .. })) {
            v.push(period(
                "2025-05-01",
                "2026-06-01",
                unix(day("2025-05-01"), 0, 0),
                unix(day("2026-06-02"), 0, 0),
            ));
        }
        v
    };
    assert!(rows.iter().all(|t| year(&[])[0].matches(t)));
    assert_eq!(agrees(&admin, &rows, &year(&[]), None).await, rows.len());
    let mut rng = Rng(99);
    let mut set = tokio::task::JoinSet::new();
    let rows = std::sync::Arc::new(rows);
    for worker in 0..4u64 {
        let rows = rows.clone();
        let c = Client {
            http: admin.http.clone(),
            base: admin.base.clone(),
        };
        let mut cases = Vec::new();
        for (i, &kind) in KINDS.iter().enumerate() {
            if i as u64 % 4 != worker {
                continue;
            }
            for _ in 0..4 {
                let row = rng.pick(&rows);
                if let Some(f) = from_row(kind, row, &mut rng) {
                    cases.push(year(&[f]));
                }
            }
            let other = KINDS[(i + 5) % KINDS.len()];
            let row = rng.pick(&rows);
            if let (Some(a), Some(b)) = (
                from_row(kind, row, &mut rng),
                from_row(other, row, &mut rng),
            ) && !matches!(
                (kind, other),
                (Kind::Amount, Kind::Min | Kind::Max) | (Kind::Min | Kind::Max, Kind::Amount)
            ) {
                cases.push(year(&[a, b]));
            }
        }
        set.spawn(async move {
            for filters in &cases {
                assert!(agrees(&c, &rows, filters, None).await > 0, "{filters:?}");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    // Its detail pages (tokens, phones, ids) never show a full card number either.
    for t in rows.iter().step_by(53) {
        for tab in ["general", "associated", "journal"] {
            let (status, body) = admin
                .page(&format!("/transactions/{}?tab={tab}", t.id))
                .await;
            assert_eq!(status, StatusCode::OK);
            assert!(full_card_numbers(&body).is_empty(), "{}", t.id);
        }
    }
}
