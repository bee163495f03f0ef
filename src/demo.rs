//! Demo data (OPSX-3): fills an empty data file with a year of realistic activity —
//! the guide's merchants and a few more Moroccan shops, their users, and payments in
//! the guide's mix (a 3-D Secure row then a sale or an authorization; captures,
//! cancels, refunds, rebills; refusals spread over the CODE-1 codes).
//!
//! Rows are produced in time order. New payments come from an arrival process whose
//! rate adapts so that exactly N rows end near `now`; follow-ups wait in a min-heap
//! keyed by (time, sequence). Ids are given in insertion order, so a row's id is known
//! when it leaves the heap: its follow-ups are created then, with `parent_id` set.
//! Deterministic for a seed. A second thread makes the rows while this one writes
//! them, 50 000 per write transaction, only the last one durable.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, SyncSender};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use redb::{Durability, ReadableTableMetadata, WriteTransaction};
use time::OffsetDateTime;

use crate::db::tables::{MERCHANT_ID_TO_MERCHANT, TX_ID_TO_TX};
use crate::db::{Db, Error, Result, merchants, transactions, users};
use crate::domain::Lang;
use crate::domain::card::Brand;
use crate::domain::codes::ResultCode;
use crate::domain::money::{Amount, Currency};
use crate::domain::text::fold;
use crate::domain::transaction::{
    AUTHORIZATION_HOLD, Affiliation, Initiator, Operation, Party, SaleDetails, StoredCard,
    Transaction,
};
use crate::domain::user::{Merchant, Permissions, Role, Terminal, User};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Demo-Guichet-2026";
/// Rows written per write transaction.
const BATCH: usize = 50_000;
const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;
/// Rows a payment brings on average (3-D Secure row, payment row, follow-ups). It only
/// steers the arrival rate; the exact row count is enforced anyway.
const ROWS_PER_PAYMENT: f64 = 2.4;
/// Relative traffic per hour of Moroccan time (UTC+1); averages 1.
const HOUR_WEIGHT: [f64; 24] = [
    0.45, 0.3, 0.2, 0.12, 0.1, 0.12, 0.25, 0.5, 0.9, 1.15, 1.3, 1.4, 1.5, 1.45, 1.35, 1.35, 1.4,
    1.5, 1.6, 1.75, 1.75, 1.6, 1.25, 0.71,
];
/// Refusals on the sale or authorization row, with their weights (656 is on the
/// 3-D Secure row instead).
const REFUSALS: [(ResultCode, u32); 10] = [
    (ResultCode::INSUFFICIENT_FUNDS, 30),
    (ResultCode::ISSUER_REFUSED, 20),
    (ResultCode::WRONG_CVV, 12),
    (ResultCode::ABANDONED, 8),
    (ResultCode::INTERNAL_REFUSAL, 7),
    (ResultCode::ACQUIRER_REFUSED, 7),
    (ResultCode::INVALID_CARD, 6),
    (ResultCode::ACQUIRER_DOWN, 5),
    (ResultCode::TOO_MANY_ATTEMPTS, 3),
    (ResultCode::UNKNOWN_ERROR, 2),
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Rows to write, 3-D Secure rows included.
    pub transactions: u64,
    pub seed: u64,
    /// The end of the generated year.
    pub now: OffsetDateTime,
}

/// A demo account, for the CLI to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub merchant: Option<String>,
    /// "admin", "merchant manager" or "merchant viewer".
    pub role: String,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub merchants: usize,
    pub transactions: u64,
    pub logins: Vec<DemoLogin>,
}

/// Fills an EMPTY database (error if it already has merchants or transactions).
/// `progress` is called with the number of transactions written so far after each batch.
pub fn generate(db: &Db, opts: &DemoOptions, progress: &mut dyn FnMut(u64)) -> Result<DemoSummary> {
    let hash = crate::auth::hash_password(DEMO_PASSWORD)
        .map_err(|e| Error::Conflict(format!("cannot hash the demo password: {e}")))?;
    let (shops, logins) = setup(db, opts, &hash)?;
    let merchants = shops.len();
    let mut generator = Generator::new(opts, shops);
    let transactions = write_all(db, &mut generator, opts.transactions, progress)?;
    Ok(DemoSummary {
        merchants,
        transactions,
        logins,
    })
}

// ---------------------------------------------------------------------------------
// Merchants and users

/// The kind of business, which drives amounts, order numbers and the payment mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ride,
    Delivery,
    Classifieds,
    Shop,
    Transfer,
    Hotel,
    Travel,
}

impl Kind {
    /// Businesses whose server captures and cancels through the API, within the hour.
    fn automated(self) -> bool {
        matches!(self, Kind::Ride | Kind::Delivery)
    }
}

struct Spec {
    name: &'static str,
    company: &'static str,
    /// Prefix of the demo usernames.
    slug: &'static str,
    /// Share of the payments, in percent.
    weight: u32,
    kind: Kind,
    /// Payments made in authorization mode, in percent.
    auth_pct: u32,
    terminals: &'static [(u32, &'static str)],
    accounts: &'static [&'static str],
    descriptor: &'static str,
}

const SPECS: [Spec; 12] = [
    Spec {
        name: "Uber",
        company: "Uber Maroc SARL",
        slug: "uber",
        weight: 25,
        kind: Kind::Ride,
        auth_pct: 85,
        terminals: &[(21114, "App iOS"), (21115, "App Android"), (21116, "Web")],
        accounts: &["UBER_MAD"],
        descriptor: "UBER *TRIP MA",
    },
    Spec {
        name: "Glovoapp",
        company: "Glovoapp Maroc SARL",
        slug: "glovo",
        weight: 14,
        kind: Kind::Delivery,
        auth_pct: 80,
        terminals: &[(21203, "App"), (21204, "Web")],
        accounts: &["GLOVO_MAD"],
        descriptor: "GLOVO MA",
    },
    Spec {
        name: "Careem Adyen",
        company: "Careem Networks Maroc",
        slug: "careem",
        weight: 9,
        kind: Kind::Ride,
        auth_pct: 85,
        terminals: &[(21318, "Adyen")],
        accounts: &["CAREEM_ADYEN_MAD"],
        descriptor: "CAREEM RIDE",
    },
    Spec {
        name: "Jumia Maroc",
        company: "Jumia Maroc SARL",
        slug: "jumia",
        weight: 9,
        kind: Kind::Shop,
        auth_pct: 10,
        terminals: &[(21427, "Web"), (21428, "App")],
        accounts: &["JUMIA_DH"],
        descriptor: "JUMIA MAROC",
    },
    Spec {
        name: "Avito",
        company: "Avito Maroc SARL",
        slug: "avito",
        weight: 8,
        kind: Kind::Classifieds,
        auth_pct: 0,
        terminals: &[(21530, "Web")],
        accounts: &["AVITO_DH"],
        descriptor: "AVITO.MA",
    },
    Spec {
        name: "Marjane Online",
        company: "Marjane Holding",
        slug: "marjane",
        weight: 8,
        kind: Kind::Shop,
        auth_pct: 15,
        terminals: &[(21641, "Web"), (21642, "Drive")],
        accounts: &["MARJANE_DH"],
        descriptor: "MARJANE ONLINE",
    },
    Spec {
        name: "Avito Mobile",
        company: "Avito Maroc SARL",
        slug: "avito-mobile",
        weight: 6,
        kind: Kind::Classifieds,
        auth_pct: 0,
        terminals: &[(21531, "App Android"), (21532, "App iOS")],
        accounts: &["AVITO_MOBILE_DH"],
        descriptor: "AVITO MOBILE",
    },
    Spec {
        name: "Cash Plus",
        company: "Cash Plus SA",
        slug: "cashplus",
        weight: 6,
        kind: Kind::Transfer,
        auth_pct: 0,
        terminals: &[(21756, "Web")],
        accounts: &["CASHPLUS_DH"],
        descriptor: "CASH PLUS",
    },
    Spec {
        name: "Royal Air Maroc Boutique",
        company: "Royal Air Maroc",
        slug: "ram",
        weight: 5,
        kind: Kind::Travel,
        auth_pct: 10,
        terminals: &[(21860, "Boutique en ligne")],
        accounts: &["RAM_BOUTIQUE_DH"],
        descriptor: "RAM BOUTIQUE",
    },
    Spec {
        name: "Destrigroupe",
        company: "Destrigroupe SARL",
        slug: "destrigroupe",
        weight: 4,
        kind: Kind::Shop,
        auth_pct: 5,
        terminals: &[(21972, "Web")],
        accounts: &["VPS_TEST_DH", "DESTRIGROUPE_DH"],
        descriptor: "DESTRIGROUPE",
    },
    Spec {
        name: "Hotel et Ryads Barriere Le Naoura",
        company: "Naoura Barrière SA",
        slug: "naoura",
        weight: 4,
        kind: Kind::Hotel,
        auth_pct: 40,
        terminals: &[(22085, "Réception"), (22086, "Réservations web")],
        accounts: &["NAOURA_DH"],
        descriptor: "BARRIERE LE NAOURA",
    },
    Spec {
        name: "Riad Fès Médina",
        company: "Riad Fès Médina SARL",
        slug: "riad-fes",
        weight: 2,
        kind: Kind::Hotel,
        auth_pct: 30,
        terminals: &[(22190, "Réservations")],
        accounts: &["RIADFES_DH"],
        descriptor: "RIAD FES MEDINA",
    },
];

/// A merchant as the generator uses it.
struct Shop {
    id: u64,
    spec: &'static Spec,
    /// Where the merchant's staff and servers call from.
    office_ip: String,
    /// Orders numbered so far (for `CMD-2026-001234`).
    orders: u64,
}

/// Writes the merchants and users; refuses a database that is not empty.
fn setup(db: &Db, opts: &DemoOptions, hash: &str) -> Result<(Vec<Shop>, Vec<DemoLogin>)> {
    let now = opts.now.unix_timestamp();
    let mut wtx = db.begin_write()?;
    ensure_empty(&wtx)?;
    if opts.transactions > 0 {
        // Made durable by the last batch's commit.
        wtx.set_durability(Durability::None)?;
    }
    let mut logins = Vec::with_capacity(1 + 2 * SPECS.len());
    let admin = Role::Admin;
    let name = "Administrateur démo";
    logins.push(add_user(
        &wtx,
        "demo.admin",
        name,
        admin,
        None,
        (hash, now),
    )?);
    let mut shops = Vec::with_capacity(SPECS.len());
    for (i, spec) in SPECS.iter().enumerate() {
        let merchant = merchants::insert(&wtx, merchant_of(spec, now))?;
        let id = merchant.id;
        let office_ip = format!("196.200.{}.{}", 130 + i, 10 + 7 * i);
        shops.push(Shop {
            id,
            spec,
            office_ip,
            orders: 0,
        });
        let manager = Role::Merchant {
            merchant_id: id,
            permissions: Permissions::ALL,
        };
        let viewer = Permissions {
            view: true,
            export: true,
            ..Permissions::default()
        };
        let viewer = Role::Merchant {
            merchant_id: id,
            permissions: viewer,
        };
        for (suffix, label, role) in [
            ("manager", "Responsable", manager),
            ("viewer", "Consultation", viewer),
        ] {
            let username = format!("{}.{suffix}", spec.slug);
            let full_name = format!("{label} {}", spec.name);
            logins.push(add_user(
                &wtx,
                &username,
                &full_name,
                role,
                Some(spec.name),
                (hash, now),
            )?);
        }
    }
    wtx.commit()?;
    Ok((shops, logins))
}

fn ensure_empty(wtx: &WriteTransaction) -> Result<()> {
    let no_merchants = wtx.open_table(MERCHANT_ID_TO_MERCHANT)?.is_empty()?;
    let no_transactions = wtx.open_table(TX_ID_TO_TX)?.is_empty()?;
    if no_merchants && no_transactions {
        Ok(())
    } else {
        Err(Error::Conflict(
            "the data file already holds merchants or transactions: demo data goes into a new data file".into(),
        ))
    }
}

fn merchant_of(spec: &Spec, now: i64) -> Merchant {
    Merchant {
        id: 0,
        name: spec.name.into(),
        company: spec.company.into(),
        terminals: spec
            .terminals
            .iter()
            .map(|&(number, label)| Terminal {
                number,
                label: label.into(),
            })
            .collect(),
        accounts: spec.accounts.iter().map(|a| (*a).to_string()).collect(),
        statement_descriptor: spec.descriptor.into(),
        created_at: now - YEAR - 30 * DAY,
    }
}

/// Inserts a user with the shared demo password hash; `(hash, now)` travel together.
fn add_user(
    wtx: &WriteTransaction,
    username: &str,
    full_name: &str,
    role: Role,
    merchant: Option<&str>,
    (hash, now): (&str, i64),
) -> Result<DemoLogin> {
    let role_name = match role {
        Role::Admin => "admin",
        Role::Merchant { permissions, .. } if permissions.operate => "merchant manager",
        Role::Merchant { .. } => "merchant viewer",
    };
    let user = User {
        id: 0,
        username: username.into(),
        full_name: full_name.into(),
        email: format!("{username}@demo.guichet.example"),
        password_hash: hash.into(),
        previous_hashes: Vec::new(),
        must_change_password: false,
        role,
        lang: Lang::Fr,
        disabled: false,
        last_used_at: now,
        created_at: now - YEAR - 30 * DAY,
    };
    users::insert(wtx, user)?;
    Ok(DemoLogin {
        username: username.into(),
        password: DEMO_PASSWORD.into(),
        merchant: merchant.map(String::from),
        role: role_name.into(),
    })
}

// ---------------------------------------------------------------------------------
// The time-ordered stream of rows

/// A row waiting for its time. Ordered by (time, sequence) only.
struct Scheduled {
    at: i64,
    seq: u64,
    tx: Transaction,
    /// For a 3-D Secure row: the operation of the payment that follows it.
    next: Operation,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

type Heap = BinaryHeap<Reverse<Scheduled>>;

/// Writes the rows the generator makes on another thread (generation overlaps the
/// writes); returns how many were written.
fn write_all(
    db: &Db,
    generator: &mut Generator,
    n: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let first_id = db.next_transaction_id()?;
    let (sender, receiver) = mpsc::sync_channel::<Vec<Transaction>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || generator.run(n, first_id, &sender));
        let (mut written, mut next_id, mut durable) = (0u64, first_id, false);
        for mut batch in receiver {
            written += batch.len() as u64;
            next_id += batch.len() as u64;
            durable = written >= n;
            let durability = if durable {
                Durability::Immediate
            } else {
                Durability::None
            };
            // On error the receiver is dropped, which stops the generator.
            flush(db, &mut batch, durability, next_id)?;
            progress(written);
        }
        if !durable {
            // Fewer rows than asked (or none): still make the earlier batches durable.
            flush(db, &mut Vec::new(), Durability::Immediate, next_id)?;
        }
        Ok(written)
    })
}

/// Writes one batch; checks that the ids given are the ones the follow-ups point to.
fn flush(
    db: &Db,
    batch: &mut Vec<Transaction>,
    durability: Durability,
    next_id: u64,
) -> Result<()> {
    let mut wtx = db.begin_write()?;
    wtx.set_durability(durability)?;
    transactions::insert_many(&wtx, batch)?;
    if let Some(last) = batch.last()
        && last.id + 1 != next_id
    {
        return Err(Error::Conflict(format!(
            "demo rows got ids up to {}, {} expected: another writer is adding transactions",
            last.id,
            next_id - 1
        )));
    }
    wtx.commit()?;
    batch.clear();
    Ok(())
}

/// The deterministic source of payments and of their follow-ups.
struct Generator {
    rng: SmallRng,
    seed: u64,
    shops: Vec<Shop>,
    /// Size of the customer pool (customers are rebuilt from their index).
    customers: u64,
    /// The year of `now`, for card expiry dates.
    year: i32,
    end: i64,
    /// Time of the next new payment, in seconds (fractional).
    clock: f64,
    /// The latest time a payment may start.
    last_start: f64,
    seq: u64,
}

impl Generator {
    fn new(opts: &DemoOptions, shops: Vec<Shop>) -> Generator {
        let end = opts.now.unix_timestamp();
        let mut generator = Generator {
            rng: SmallRng::seed_from_u64(opts.seed),
            seed: opts.seed,
            shops,
            customers: (opts.transactions / 5).clamp(200, 2_000_000),
            year: opts.now.year(),
            end,
            clock: (end - YEAR) as f64,
            last_start: (end - 120) as f64,
            seq: 0,
        };
        generator.advance(opts.transactions);
        generator
    }

    /// Makes `n` rows in time order and sends them in batches. The first row will get
    /// id `first_id` and the others the following ones: insert_many gives ids in
    /// insertion order, so follow-ups know their parent's id when they are created.
    fn run(&mut self, n: u64, first_id: u64, out: &SyncSender<Vec<Transaction>>) {
        let capacity = usize::try_from(n).unwrap_or(BATCH).min(BATCH);
        let mut heap = Heap::new();
        let mut batch = Vec::with_capacity(capacity);
        let (mut made, mut next_id) = (0u64, first_id);
        while made < n {
            self.refill(&mut heap, n - made);
            let Some(Reverse(item)) = heap.pop() else {
                break;
            };
            self.follow_ups(&item, next_id, &mut heap);
            batch.push(item.tx);
            next_id += 1;
            made += 1;
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(capacity));
                if out.send(full).is_err() {
                    return; // the writer failed and stopped
                }
            }
        }
        if !batch.is_empty() {
            // An error here means the writer already failed; it reports it.
            let _ = out.send(batch);
        }
    }

    /// Starts new payments while one is due before the earliest waiting row, as long
    /// as the rows waiting do not already fill the `budget`.
    fn refill(&mut self, heap: &mut Heap, budget: u64) {
        loop {
            let waiting = heap.len() as u64;
            if waiting >= budget {
                return;
            }
            let at = self.clock as i64;
            if heap.peek().is_some_and(|Reverse(s)| s.at <= at) {
                return;
            }
            let (tx, mode) = self.payment(at);
            self.push(heap, tx, mode);
            self.advance(budget - waiting - 1);
        }
    }

    /// Moves the clock to the next payment: exponential gaps whose mean spreads the
    /// rows still to make over the time left, denser in the day than at night.
    fn advance(&mut self, rows_left: u64) {
        let payments_left = (rows_left as f64 / ROWS_PER_PAYMENT).max(1.0);
        let mean = (self.last_start - self.clock).max(0.0) / payments_left;
        let hour = ((self.clock as i64 + 3_600).rem_euclid(DAY) / 3_600) as usize;
        let weight = HOUR_WEIGHT.get(hour).copied().unwrap_or(1.0);
        let u: f64 = self.rng.random();
        let gap = -(1.0 - u).ln() * mean / weight;
        self.clock = (self.clock + gap).min(self.last_start);
    }

    fn push(&mut self, heap: &mut Heap, tx: Transaction, next: Operation) {
        self.seq += 1;
        heap.push(Reverse(Scheduled {
            at: tx.at,
            seq: self.seq,
            tx,
            next,
        }));
    }

    fn per_mille(&mut self, p: u32) -> bool {
        self.rng.random_range(0..1_000) < p
    }

    fn shop_index(&self, merchant_id: u64) -> usize {
        self.shops
            .iter()
            .position(|s| s.id == merchant_id)
            .unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------
// Payments

impl Generator {
    /// The 3-D Secure row of a new payment, and the operation that will follow it.
    fn payment(&mut self, at: i64) -> (Transaction, Operation) {
        let shop = self.pick_shop();
        let kind = self.shops[shop].spec.kind;
        let mode = if self.rng.random_range(0..100) < self.shops[shop].spec.auth_pct {
            Operation::Authorization
        } else {
            Operation::Sale
        };
        // Ride apps check a new card with a 1,00 MAD authorization, cancelled at once.
        let card_check =
            mode == Operation::Authorization && kind.automated() && self.per_mille(100);
        let amount = if card_check {
            Amount::from_minor(100).unwrap_or_default()
        } else {
            amount(&mut self.rng, kind)
        };
        let code = if self.per_mille(18) {
            ResultCode::THREE_DS_FAILED
        } else {
            ResultCode::ACCEPTED
        };
        (self.three_ds_row(shop, at, amount, code), mode)
    }

    fn three_ds_row(
        &mut self,
        shop: usize,
        at: i64,
        amount: Amount,
        code: ResultCode,
    ) -> Transaction {
        let spec = self.shops[shop].spec;
        let customer = self.customer();
        let sale = self.sale_details(shop, at, amount);
        let terminal = pick(&mut self.rng, spec.terminals).0;
        let account = *pick(&mut self.rng, spec.accounts);
        Transaction {
            id: 0,
            at,
            merchant_id: self.shops[shop].id,
            operation: Operation::ThreeDSecure,
            amount,
            currency: Currency::Mad,
            code,
            initiator: Initiator {
                user_name: String::new(),
                ip: customer.ip,
                terminal,
                merchant_account: account.into(),
                point_of_sale: String::new(),
            },
            sale,
            shipping: self.shipping(spec.kind, &customer.buyer),
            affiliation: self.affiliation(spec.kind),
            card: Some(customer.card),
            buyer: customer.buyer,
            test: false,
            parent_id: None,
            statement_descriptor: spec.descriptor.into(),
        }
    }

    fn pick_shop(&mut self) -> usize {
        let total: u32 = self.shops.iter().map(|s| s.spec.weight).sum();
        let mut x = self.rng.random_range(0..total.max(1));
        for (i, shop) in self.shops.iter().enumerate() {
            if x < shop.spec.weight {
                return i;
            }
            x -= shop.spec.weight;
        }
        0
    }

    /// A customer from the pool: low indexes come back often (regulars).
    fn customer(&mut self) -> Customer {
        let u: f64 = self.rng.random();
        let index = (u * u * self.customers as f64) as u64;
        let mut r = SmallRng::seed_from_u64(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        customer(&mut r, self.year)
    }

    fn sale_details(&mut self, shop: usize, at: i64, amount: Amount) -> SaleDetails {
        let spec = self.shops[shop].spec;
        self.shops[shop].orders += 1;
        let n = self.shops[shop].orders;
        let year = OffsetDateTime::from_unix_timestamp(at).map_or(self.year, |d| d.year());
        let r = &mut self.rng;
        let (order_id, description) = match spec.kind {
            Kind::Ride => (
                alnum(r, 8, true),
                format!("Course {}", first_word(spec.name)),
            ),
            Kind::Delivery => (alnum(r, 8, true), (*pick(r, DELIVERY)).into()),
            Kind::Classifieds => (
                format!("AV{:09}", r.random_range(0..1_000_000_000u32)),
                (*pick(r, CLASSIFIEDS)).into(),
            ),
            Kind::Shop => (format!("CMD-{year}-{n:06}"), (*pick(r, SHOP)).into()),
            Kind::Transfer => (
                format!("CP{:010}", r.random_range(0..10_000_000_000u64)),
                (*pick(r, TRANSFER)).into(),
            ),
            Kind::Hotel => (format!("RES-{year}-{n:05}"), (*pick(r, HOTEL)).into()),
            Kind::Travel => (alnum(r, 6, false), (*pick(r, TRAVEL)).into()),
        };
        let with_amount = !matches!(spec.kind, Kind::Ride | Kind::Delivery);
        SaleDetails {
            order_id,
            description,
            order_amount: with_amount.then_some(amount),
            product_id: String::new(),
            comment: String::new(),
        }
    }

    /// Shops deliver: most of their orders carry a shipping address.
    fn shipping(&mut self, kind: Kind, buyer: &Party) -> Party {
        if kind == Kind::Shop && self.per_mille(700) {
            Party {
                email: String::new(),
                ..buyer.clone()
            }
        } else {
            Party::default()
        }
    }

    fn affiliation(&mut self, kind: Kind) -> Affiliation {
        if matches!(kind, Kind::Shop | Kind::Travel) && self.per_mille(50) {
            Affiliation {
                affiliate_number: format!("AFF{:05}", self.rng.random_range(100..100_000)),
                campaign: (*pick(&mut self.rng, CAMPAIGNS)).into(),
            }
        } else {
            Affiliation::default()
        }
    }
}

const DELIVERY: &[&str] = &[
    "Commande restaurant",
    "Courses supermarché",
    "Livraison pharmacie",
    "Glovo Express",
];
const CLASSIFIEDS: &[&str] = &[
    "Pack À la une 7 jours",
    "Remontée d'annonce",
    "Pack Boutique Pro 1 mois",
    "Annonce Premium",
];
const SHOP: &[&str] = &[
    "Commande en ligne",
    "Électroménager",
    "Smartphone",
    "Vêtements",
    "Courses en ligne",
    "Livres et papeterie",
];
const TRANSFER: &[&str] = &[
    "Transfert d'argent",
    "Paiement de facture",
    "Recharge de compte",
];
const HOTEL: &[&str] = &[
    "Chambre double — 2 nuits",
    "Suite — 3 nuits",
    "Riad entier — week-end",
    "Demi-pension — 4 nuits",
];
const TRAVEL: &[&str] = &[
    "Billet Casablanca – Paris",
    "Billet Marrakech – Londres",
    "Billet Casablanca – Dakhla",
    "Bagage supplémentaire",
    "Surclassement Business",
];
const CAMPAIGNS: &[&str] = &[
    "Ramadan Kareem",
    "Black Friday",
    "Soldes d'été",
    "Rentrée scolaire",
];

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or(s)
}

/// An amount typical of the business, in minor units (integers only).
fn amount(r: &mut SmallRng, kind: Kind) -> Amount {
    let minor: i64 = match kind {
        Kind::Ride => bucket(
            r,
            &[(1_000, 4_000, 50), (4_000, 9_000, 35), (9_000, 30_001, 15)],
        ),
        Kind::Delivery => bucket(r, &[(25, 80, 45), (80, 180, 40), (180, 301, 15)]) * 100,
        Kind::Classifieds => *pick(r, &[4_900, 9_900, 16_900, 16_900, 29_900, 59_900]),
        Kind::Shop => {
            let dirhams = bucket(r, &[(50, 200, 40), (200, 800, 35), (800, 3_000, 25)]);
            dirhams * 100 + *pick(r, &[0, 0, 0, 90, 50])
        }
        Kind::Transfer => bucket(r, &[(100, 1_000, 50), (1_000, 3_001, 50)]) * 100,
        Kind::Hotel => {
            bucket(
                r,
                &[(800, 2_000, 40), (2_000, 5_000, 40), (5_000, 9_001, 20)],
            ) * 100
        }
        Kind::Travel => bucket(r, &[(600, 2_500, 55), (2_500, 8_001, 45)]) * 100,
    };
    Amount::from_minor(minor).unwrap_or_default()
}

/// A value from one of weighted half-open ranges `(low, high, weight)`.
fn bucket(r: &mut SmallRng, buckets: &[(i64, i64, u32)]) -> i64 {
    let (low, high) = weighted(r, buckets, |b| b.2).map_or((0, 1), |b| (b.0, b.1));
    r.random_range(low..high)
}

fn weighted<'a, T>(r: &mut SmallRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> Option<&'a T> {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = r.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if x < w {
            return Some(item);
        }
        x -= w;
    }
    items.first()
}

/// One element of a non-empty constant list.
fn pick<'a, T>(r: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[r.random_range(0..items.len())]
}

/// Random letters and digits (`RzTA183n`), or uppercase only (`QXKZ4T`, a PNR).
fn alnum(r: &mut SmallRng, len: usize, mixed_case: bool) -> String {
    const MIXED: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let set = if mixed_case { MIXED } else { UPPER };
    (0..len).map(|_| char::from(*pick(r, set))).collect()
}

// ---------------------------------------------------------------------------------
// Follow-ups

impl Generator {
    /// Schedules what follows a row that has just been given `id`.
    fn follow_ups(&mut self, item: &Scheduled, id: u64, heap: &mut Heap) {
        let tx = &item.tx;
        if !tx.code.is_accepted() {
            return;
        }
        match tx.operation {
            Operation::ThreeDSecure => self.payment_row(tx, id, item.next, heap),
            Operation::Authorization => self.settle(tx, id, heap),
            Operation::Sale => {
                self.maybe_refund(tx, id, heap);
                self.maybe_rebill(tx, id, heap);
            }
            Operation::Capture => self.maybe_refund(tx, id, heap),
            Operation::Cancel | Operation::Refund | Operation::Rebill => {}
        }
    }

    /// The sale or authorization a few seconds after its 3-D Secure row (FLOW-1).
    fn payment_row(&mut self, tds: &Transaction, id: u64, op: Operation, heap: &mut Heap) {
        // 10.4 % of the rows past 3-D Secure are refused: 12 % of payments with the 656s.
        let code = if self.per_mille(104) {
            weighted(&mut self.rng, &REFUSALS, |c| c.1).map_or(ResultCode::UNKNOWN_ERROR, |c| c.0)
        } else {
            ResultCode::ACCEPTED
        };
        let delay = self.rng.random_range(3..45);
        if let Some(row) = self.child(tds, id, op, tds.amount, delay, code) {
            self.push(heap, row, op);
        }
    }

    /// Captures (~75 %) or cancels (~15 %) an accepted authorization within its hold;
    /// the rest stay pending, then expire (FLOW-3).
    fn settle(&mut self, auth: &Transaction, id: u64, heap: &mut Heap) {
        let kind = self.shops[self.shop_index(auth.merchant_id)].spec.kind;
        let roll = self.rng.random_range(0..100);
        let card_check = kind.automated() && auth.amount.minor() == 100;
        let op = match (card_check, roll) {
            (true, 0..90) => Operation::Cancel,
            (false, 0..83) => Operation::Capture,
            (false, 83..90) => Operation::Cancel,
            _ => return,
        };
        let delay = match (card_check, kind.automated()) {
            (true, _) => self.rng.random_range(4..60),
            (false, true) => self.rng.random_range(300..3_600),
            (false, false) if self.per_mille(700) => self.rng.random_range(600..DAY),
            (false, false) => self
                .rng
                .random_range(DAY..AUTHORIZATION_HOLD.whole_seconds() - 60),
        };
        let amount = if op == Operation::Capture && self.per_mille(200) {
            let pct = if kind.automated() {
                self.rng.random_range(60..100)
            } else {
                self.rng.random_range(50..96)
            };
            Amount::from_minor((auth.amount.minor() * pct / 100).max(1)).unwrap_or(auth.amount)
        } else {
            auth.amount
        };
        if let Some(mut row) = self.child(auth, id, op, amount, delay, ResultCode::ACCEPTED) {
            if !kind.automated() {
                self.by_staff(&mut row);
            }
            self.push(heap, row, op);
        }
    }

    /// Refunds ~4 % of accepted debits, once, totally or partly (OPS-1).
    fn maybe_refund(&mut self, debit: &Transaction, id: u64, heap: &mut Heap) {
        if !self.per_mille(40) {
            return;
        }
        let minor = debit.amount.minor();
        let amount = if minor >= 200 && self.per_mille(400) {
            let part = minor * self.rng.random_range(10..91) / 100;
            Amount::from_minor(part - part % 100)
                .filter(|a| !a.is_zero())
                .unwrap_or(debit.amount)
        } else {
            debit.amount
        };
        let delay = if self.per_mille(600) {
            self.rng.random_range(3_600..3 * DAY)
        } else {
            self.rng.random_range(3 * DAY..30 * DAY)
        };
        let op = Operation::Refund;
        if let Some(mut row) = self.child(debit, id, op, amount, delay, ResultCode::ACCEPTED) {
            self.by_staff(&mut row);
            self.push(heap, row, op);
        }
    }

    /// Rebills ~0.5 % of accepted sales on their stored card token (OPS-4).
    fn maybe_rebill(&mut self, sale: &Transaction, id: u64, heap: &mut Heap) {
        if !self.per_mille(5) {
            return;
        }
        let kind = self.shops[self.shop_index(sale.merchant_id)].spec.kind;
        let amount = amount(&mut self.rng, kind);
        let code = match self.rng.random_range(0..100) {
            0..94 => ResultCode::ACCEPTED,
            94..98 => ResultCode::INSUFFICIENT_FUNDS,
            _ => ResultCode::ISSUER_REFUSED,
        };
        let delay = self.rng.random_range(3 * DAY..45 * DAY);
        let op = Operation::Rebill;
        if let Some(mut row) = self.child(sale, id, op, amount, delay, code) {
            row.sale.order_id.push_str("-R");
            row.sale.order_amount = Some(amount);
            self.by_staff(&mut row);
            self.push(heap, row, op);
        }
    }

    /// A row following `parent` (given `id`) after `delay` seconds; none past `now`.
    fn child(
        &self,
        parent: &Transaction,
        id: u64,
        op: Operation,
        amount: Amount,
        delay: i64,
        code: ResultCode,
    ) -> Option<Transaction> {
        let at = parent.at + delay.max(1);
        if at > self.end {
            return None;
        }
        let mut tx = parent.clone();
        tx.at = at;
        tx.operation = op;
        tx.amount = amount;
        tx.code = code;
        tx.parent_id = Some(id);
        Some(tx)
    }

    /// Marks a row as done by the merchant's manager from the back office.
    fn by_staff(&self, tx: &mut Transaction) {
        let shop = &self.shops[self.shop_index(tx.merchant_id)];
        tx.initiator.user_name = format!("{}.manager", shop.spec.slug);
        tx.initiator.ip.clone_from(&shop.office_ip);
    }
}

// ---------------------------------------------------------------------------------
// Customers

struct Customer {
    card: StoredCard,
    buyer: Party,
    ip: String,
}

/// Where customers come from, with what names, addresses and cards.
struct Country {
    code: &'static str,
    weight: u32,
    first: &'static [&'static str],
    last: &'static [&'static str],
    /// (city, postcode, region)
    cities: &'static [(&'static str, &'static str, &'static str)],
    streets: &'static [&'static str],
    /// Mobile prefix and how many digits follow it.
    phone: (&'static str, u32),
    ip_first: &'static [u8],
    mail: &'static [&'static str],
    bins: &'static [&'static str],
}

fn customer(r: &mut SmallRng, year: i32) -> Customer {
    let c = weighted(r, &COUNTRIES, |c| c.weight).unwrap_or(&COUNTRIES[0]);
    let first = *pick(r, c.first);
    let last = *pick(r, c.last);
    let name = format!("{first} {last}");
    let &(city, postcode, state) = pick(r, c.cities);
    let card = card(r, c, &name, year);
    let (prefix, digits) = c.phone;
    let buyer = Party {
        address: format!("{}, {}", r.random_range(1..180), pick(r, c.streets)),
        postcode: postcode.into(),
        city: city.into(),
        state: state.into(),
        country: c.code.into(),
        phone: format!(
            "{prefix}{:0w$}",
            r.random_range(0..10u64.pow(digits)),
            w = digits as usize
        ),
        email: email(r, first, last, c.mail),
        birth_date: birth_date(r),
        id_number: id_number(r, c.code),
        name,
    };
    let ip = format!(
        "{}.{}.{}.{}",
        pick(r, c.ip_first),
        r.random_range(0..=255),
        r.random_range(0..=255),
        r.random_range(1..255)
    );
    Customer { card, buyer, ip }
}

/// The stored card: BIN, last 4, brand, expiry, holder, token. Never a full number.
fn card(r: &mut SmallRng, c: &Country, holder: &str, year: i32) -> StoredCard {
    let bin = *pick(r, c.bins);
    StoredCard {
        bin: bin.into(),
        last4: format!("{:04}", r.random_range(0..10_000)),
        pan_len: 16,
        brand: Some(Brand::from_digits(bin)),
        exp_month: r.random_range(1..=12),
        exp_year: u16::try_from(year).unwrap_or(2026) + r.random_range(0..5),
        holder: deunicode::deunicode(holder).to_uppercase(),
        token: format!("{:016x}{:08x}", r.random::<u64>(), r.random::<u32>()),
        three_ds: true,
        country: c.code.into(),
    }
}

fn email(r: &mut SmallRng, first: &str, last: &str, domains: &[&str]) -> String {
    let f = fold(first).replace(' ', "");
    let l = fold(last).replace(' ', "");
    let d = pick(r, domains);
    match r.random_range(0..4) {
        0 => format!("{f}.{l}@{d}"),
        1 => format!("{f}.{l}{}@{d}", r.random_range(1..100)),
        2 => format!("{}{l}@{d}", f.chars().next().unwrap_or('x')),
        _ => format!("{f}_{l}{}@{d}", r.random_range(1965..2006)),
    }
}

fn birth_date(r: &mut SmallRng) -> String {
    if r.random_range(0..100) < 20 {
        let (y, m, d) = (
            r.random_range(1960..2006),
            r.random_range(1..=12),
            r.random_range(1..=28),
        );
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        String::new()
    }
}

/// A Moroccan national ID (CIN) for a quarter of the Moroccan buyers.
fn id_number(r: &mut SmallRng, country: &str) -> String {
    if country == "MA" && r.random_range(0..100) < 25 {
        let letters = pick(
            r,
            &["BE", "BK", "AB", "BH", "JA", "CD", "EE", "G", "JB", "X"],
        );
        format!("{letters}{:06}", r.random_range(0..1_000_000))
    } else {
        String::new()
    }
}

const COUNTRIES: [Country; 6] = [
    Country {
        code: "MA",
        weight: 90,
        first: &[
            "Omar",
            "Youssef",
            "Mohamed",
            "Mehdi",
            "Amine",
            "Hamza",
            "Karim",
            "Rachid",
            "Saïd",
            "Hicham",
            "Anas",
            "Ayoub",
            "Réda",
            "Brahim",
            "Ilyass",
            "Othmane",
            "Imane",
            "Salma",
            "Fatima Zahra",
            "Khadija",
            "Meryem",
            "Nadia",
            "Houda",
            "Ghita",
            "Loubna",
            "Sanaa",
            "Zineb",
            "Hajar",
            "Soukaïna",
            "Aïcha",
            "Kawtar",
            "Hind",
        ],
        last: &[
            "Benani",
            "Bennani",
            "El Fassi",
            "Alaoui",
            "Tazi",
            "Berrada",
            "Chraïbi",
            "El Amrani",
            "Idrissi",
            "Lahlou",
            "Benjelloun",
            "Ouazzani",
            "Kettani",
            "Sqalli",
            "Bouzid",
            "Naciri",
            "El Khattabi",
            "Aït Benhaddou",
            "Ziani",
            "Moussaoui",
            "Benkirane",
            "Filali",
            "Sebti",
            "Zaoui",
            "El Ouafi",
        ],
        cities: &[
            ("Casablanca", "20000", "Casablanca-Settat"),
            ("Casablanca", "20250", "Casablanca-Settat"),
            ("Casablanca", "20100", "Casablanca-Settat"),
            ("Rabat", "10000", "Rabat-Salé-Kénitra"),
            ("Salé", "11000", "Rabat-Salé-Kénitra"),
            ("Kénitra", "14000", "Rabat-Salé-Kénitra"),
            ("Marrakech", "40000", "Marrakech-Safi"),
            ("Fès", "30000", "Fès-Meknès"),
            ("Meknès", "50000", "Fès-Meknès"),
            ("Tanger", "90000", "Tanger-Tétouan-Al Hoceïma"),
            ("Tétouan", "93000", "Tanger-Tétouan-Al Hoceïma"),
            ("Agadir", "80000", "Souss-Massa"),
            ("Oujda", "60000", "Oriental"),
            ("El Jadida", "24000", "Casablanca-Settat"),
            ("Mohammédia", "28800", "Casablanca-Settat"),
            ("Essaouira", "44000", "Marrakech-Safi"),
        ],
        streets: &[
            "Bd Mohammed V",
            "Avenue Hassan II",
            "Rue Ibn Battouta",
            "Bd Zerktouni",
            "Rue Moulay Youssef",
            "Avenue des FAR",
            "Bd d'Anfa",
            "Rue Tarik Ibn Ziad",
            "Résidence Al Amal",
            "Derb Sidi Bouloukat",
            "Avenue Mohammed VI",
            "Rue Oued Sebou",
        ],
        phone: ("+2126", 8),
        ip_first: &[196, 196, 196, 105, 41],
        mail: &[
            "gmail.com",
            "gmail.com",
            "hotmail.com",
            "yahoo.fr",
            "outlook.com",
            "menara.ma",
        ],
        bins: &[
            "415528", "428247", "437731", "462239", "471423", "489319", "526742", "537010",
            "541306", "552243", "222300",
        ],
    },
    Country {
        code: "FR",
        weight: 5,
        first: &[
            "Julien",
            "Camille",
            "Hélène",
            "Léa",
            "Thomas",
            "François",
            "Chloé",
            "Nicolas",
            "Inès",
            "Sébastien",
        ],
        last: &[
            "Martin", "Durand", "Lefèvre", "Moreau", "Bernard", "Girard", "Rousseau", "Mercier",
            "Dupont", "Benoît",
        ],
        cities: &[
            ("Paris", "75011", "Île-de-France"),
            ("Lyon", "69003", "Auvergne-Rhône-Alpes"),
            ("Marseille", "13008", "Provence-Alpes-Côte d'Azur"),
            ("Toulouse", "31000", "Occitanie"),
            ("Montpellier", "34000", "Occitanie"),
        ],
        streets: &[
            "Rue de la République",
            "Boulevard Voltaire",
            "Avenue Jean Jaurès",
            "Rue Victor Hugo",
        ],
        phone: ("+336", 8),
        ip_first: &[90, 86, 78, 92],
        mail: &["gmail.com", "orange.fr", "free.fr", "laposte.net"],
        bins: &["497010", "497401", "513691", "533317"],
    },
    Country {
        code: "ES",
        weight: 2,
        first: &[
            "Javier", "Lucía", "Sofía", "Álvaro", "Carmen", "Pablo", "Marta",
        ],
        last: &[
            "García",
            "Martínez",
            "López",
            "Sánchez",
            "Fernández",
            "Ruiz",
        ],
        cities: &[
            ("Barcelona", "08008", "Barcelona"),
            ("Madrid", "28013", "Madrid"),
            ("Sevilla", "41001", "Sevilla"),
            ("Málaga", "29001", "Málaga"),
        ],
        streets: &[
            "Passeig de Gràcia",
            "Calle Mayor",
            "Gran Vía",
            "Calle de Alcalá",
        ],
        phone: ("+346", 8),
        ip_first: &[83, 88, 79],
        mail: &["gmail.com", "hotmail.es", "yahoo.es"],
        bins: &["454881", "402277", "540001"],
    },
    Country {
        code: "US",
        weight: 1,
        first: &["John", "Emily", "Michael", "Sarah", "David", "Jessica"],
        last: &["Smith", "Johnson", "Brown", "Miller", "Davis"],
        cities: &[
            ("New York", "10001", "NY"),
            ("Miami", "33101", "FL"),
            ("Chicago", "60601", "IL"),
        ],
        streets: &["Main Street", "Broadway", "Ocean Drive"],
        phone: ("+1212", 7),
        ip_first: &[73, 24, 98],
        mail: &["gmail.com", "yahoo.com", "outlook.com"],
        bins: &["414720", "426684", "546616"],
    },
    Country {
        code: "BE",
        weight: 1,
        first: &["Lucas", "Emma", "Noah", "Louise", "Yassine", "Nora"],
        last: &["Peeters", "Janssens", "Dubois", "Lambert", "El Idrissi"],
        cities: &[
            ("Bruxelles", "1000", "Bruxelles-Capitale"),
            ("Anvers", "2000", "Anvers"),
        ],
        streets: &["Rue Neuve", "Avenue Louise"],
        phone: ("+324", 8),
        ip_first: &[91, 81],
        mail: &["gmail.com", "skynet.be"],
        bins: &["479223", "535498"],
    },
    Country {
        code: "GB",
        weight: 1,
        first: &["Oliver", "Amelia", "Harry", "Olivia", "Jack"],
        last: &["Taylor", "Wilson", "Evans", "Thomas", "Roberts"],
        cities: &[
            ("London", "SW1A 1AA", "England"),
            ("Manchester", "M1 1AE", "England"),
        ],
        streets: &["Baker Street", "Oxford Road"],
        phone: ("+447", 9),
        ip_first: &[86, 82, 151],
        mail: &["gmail.com", "btinternet.com"],
        bins: &["465858", "535522"],
    },
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Instant;

    use time::macros::datetime;

    use super::*;
    use crate::db::Scope;

    const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

    fn options(transactions: u64, seed: u64) -> DemoOptions {
        DemoOptions {
            transactions,
            seed,
            now: NOW,
        }
    }

    fn fresh_db(dir: &tempfile::TempDir) -> Db {
        Db::open(&dir.path().join("demo.redb")).unwrap()
    }

    fn all_rows(db: &Db) -> Vec<Transaction> {
        let n = usize::try_from(db.transaction_count().unwrap()).unwrap();
        db.latest_transactions(Scope::Admin, n).unwrap()
    }

    #[test]
    fn twenty_thousand_rows_pass_the_consistency_check() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_db(&dir);
        let mut seen = Vec::new();
        let summary = generate(&db, &options(20_000, 7), &mut |n| seen.push(n)).unwrap();
        assert_eq!(summary.transactions, 20_000);
        assert_eq!(summary.merchants, SPECS.len());
        assert_eq!(summary.logins.len(), 1 + 2 * SPECS.len());
        assert_eq!(seen.last(), Some(&20_000));
        assert_eq!(db.transaction_count().unwrap(), 20_000);
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:#?}", report.problems);
        assert_eq!(report.transactions, 20_000);
        for op in Operation::ALL {
            assert!(
                report.per_operation.get(op.key()).is_some_and(|n| *n > 0),
                "no {op:?}"
            );
        }
    }

    #[test]
    fn rows_follow_the_guides_mix() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_db(&dir);
        generate(&db, &options(20_000, 11), &mut |_| {}).unwrap();
        let rows = all_rows(&db);
        let refused: BTreeSet<_> = rows
            .iter()
            .filter(|t| !t.code.is_accepted())
            .map(|t| t.code)
            .collect();
        assert!(refused.len() >= 8, "{refused:?}");
        let count = |op| rows.iter().filter(|t| t.operation == op).count() as f64;
        let (tds, sales, auths) = (
            count(Operation::ThreeDSecure),
            count(Operation::Sale),
            count(Operation::Authorization),
        );
        let sale_share = sales / (sales + auths);
        assert!((0.48..0.62).contains(&sale_share), "{sale_share}");
        let refused_payments = rows
            .iter()
            .filter(|t| !t.code.is_accepted())
            .filter(|t| {
                matches!(
                    t.operation,
                    Operation::ThreeDSecure | Operation::Sale | Operation::Authorization
                )
            })
            .count() as f64;
        let refusal_share = refused_payments / tds;
        assert!((0.09..0.15).contains(&refusal_share), "{refusal_share}");
        let start = (NOW - time::Duration::days(365)).unix_timestamp();
        assert!(
            rows.iter()
                .all(|t| (start..=NOW.unix_timestamp()).contains(&t.at))
        );
        assert!(rows.iter().all(|t| {
            t.card
                .as_ref()
                .is_some_and(|c| c.bin.len() == 6 && c.last4.len() == 4)
        }));
        assert!(
            rows.iter()
                .filter(|t| t.code == ResultCode::THREE_DS_FAILED)
                .all(|t| t.operation == Operation::ThreeDSecure)
        );
        // The newest rows are close to `now`; the oldest close to a year before.
        assert!(rows[0].at > NOW.unix_timestamp() - DAY);
        assert!(rows[rows.len() - 1].at < start + 2 * DAY);
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let (d1, d2, d3) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let (a, b, c) = (fresh_db(&d1), fresh_db(&d2), fresh_db(&d3));
        for (db, seed) in [(&a, 3), (&b, 3), (&c, 4)] {
            generate(db, &options(3_000, seed), &mut |_| {}).unwrap();
        }
        assert_eq!(all_rows(&a), all_rows(&b));
        assert_ne!(all_rows(&a), all_rows(&c));
        assert_eq!(
            a.merchants(Scope::Admin).unwrap(),
            b.merchants(Scope::Admin).unwrap()
        );
    }

    #[test]
    fn demo_users_sign_in_with_the_shared_password_and_a_full_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_db(&dir);
        let summary = generate(&db, &options(500, 1), &mut |_| {}).unwrap();
        assert_eq!(db.transaction_count().unwrap(), 500);
        let manager = db.user_by_username("uber.manager").unwrap().unwrap();
        assert!(crate::auth::verify_password(
            DEMO_PASSWORD,
            &manager.password_hash
        ));
        assert!(!manager.must_change_password);
        assert_eq!(manager.permissions(), Permissions::ALL);
        let viewer = db.user_by_username("naoura.viewer").unwrap().unwrap();
        assert!(
            viewer.permissions().view
                && viewer.permissions().export
                && !viewer.permissions().operate
        );
        assert!(
            db.user_by_username("demo.admin")
                .unwrap()
                .unwrap()
                .is_admin()
        );
        let roles: BTreeSet<_> = summary.logins.iter().map(|l| l.role.as_str()).collect();
        assert_eq!(
            roles,
            BTreeSet::from(["admin", "merchant manager", "merchant viewer"])
        );
        assert!(generate(&db, &options(10, 1), &mut |_| {}).is_err());
        assert_eq!(db.transaction_count().unwrap(), 500);
    }

    #[test]
    fn zero_rows_still_creates_merchants_and_users() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_db(&dir);
        let summary = generate(&db, &options(0, 1), &mut |_| {}).unwrap();
        assert_eq!(summary.transactions, 0);
        assert_eq!(db.merchants(Scope::Admin).unwrap().len(), SPECS.len());
    }

    /// `cargo test --release --lib demo -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn one_million_rows_timing() {
        let dir = tempfile::tempdir().unwrap();
        // The page cache `guichet demo` opens the file with.
        let db = Db::open_with_cache(&dir.path().join("demo.redb"), 2 << 30).unwrap();
        let started = Instant::now();
        let summary = generate(&db, &options(1_000_000, 2026), &mut |_| {}).unwrap();
        let elapsed = started.elapsed();
        let size = std::fs::metadata(dir.path().join("demo.redb"))
            .unwrap()
            .len();
        println!(
            "demo: {} rows in {elapsed:.2?}, file {} MB",
            summary.transactions,
            size / 1_000_000
        );
        let started = Instant::now();
        let report = db.check().unwrap();
        println!(
            "check: {:?} in {:.2?}, problems {:?}",
            report.per_operation,
            started.elapsed(),
            report.problems
        );
        assert!(report.is_ok());
    }
}
