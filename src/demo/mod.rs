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

mod blacklist;
mod generator;
mod people;
mod pools;
mod shops;
#[cfg(test)]
mod tests;
mod tickets;
mod velocity;

use generator::*;
use people::*;
use pools::*;
use shops::*;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, SyncSender};
use velocity::Plan;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use time::OffsetDateTime;

use crate::auth::HashError;
use crate::db::{self, Db, Error, Result, Tx, merchants, transactions, users};
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

/// Why demo data was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    #[error(
        "the data file already holds merchants or transactions: demo data goes into a new data file"
    )]
    NotEmpty,
    #[error(
        "demo rows got ids up to {got}, {expected} expected: another writer is adding transactions"
    )]
    AnotherWriter { got: u64, expected: u64 },
    #[error("the demo password: {0}")]
    Hash(#[from] HashError),
    #[error(transparent)]
    Storage(#[from] Error),
    /// A demo ticket's answer was refused (a bug in the demo's script).
    #[error("a demo ticket was refused: {0}")]
    Ticket(String),
}

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
pub fn generate(
    db: &Db,
    opts: &DemoOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<DemoSummary, DemoError> {
    let hash = crate::auth::hash_password(DEMO_PASSWORD)?;
    let (shops, logins) = setup(db, opts, &hash)?;
    let merchants = shops.len();
    let key = db
        .keys()
        .active_card_key()
        .cloned()
        .ok_or_else(|| Error::Keys("the key file has no active card key".into()))?;
    let mut generator = Generator::new(opts, shops, key);
    // The velocity counters hold the last 90 days (see `db::velocity`).
    let since = opts.now.unix_timestamp() - crate::domain::fraud::MAX_WINDOW_SECONDS;
    let first_id = db.next_transaction_id()?;
    let transactions = write_all(db, &mut generator, (opts.transactions, since), progress)?;
    blacklist::list_some(db, first_id, transactions, opts.now.unix_timestamp())?;
    let slugs: Vec<(u64, &str)> = generator
        .shops
        .iter()
        .map(|s| (s.id, s.spec.slug))
        .collect();
    tickets::open_some(
        db,
        &slugs,
        (first_id, first_id + transactions),
        opts.now.unix_timestamp(),
    )?;
    Ok(DemoSummary {
        merchants,
        transactions,
        logins,
    })
}

// ---------------------------------------------------------------------------------
// Merchants and users

/// Writes the merchants and users; refuses a database that is not empty.
fn setup(
    db: &Db,
    opts: &DemoOptions,
    hash: &str,
) -> Result<(Vec<Shop>, Vec<DemoLogin>), DemoError> {
    let now = opts.now.unix_timestamp();
    let mut wtx = db.begin_write()?;
    ensure_empty(&wtx)?;
    if opts.transactions > 0 {
        // Made durable by the last batch's commit.
        wtx.set_not_durable()?;
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

fn ensure_empty(wtx: &Tx) -> Result<(), DemoError> {
    if db::is_empty_in(wtx)? {
        Ok(())
    } else {
        Err(DemoError::NotEmpty)
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
    wtx: &Tx,
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
        password_changed_at: now,
        disabled_by_admin: false,
        second_factor: None,
        time_zone: None,
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
    /// What the row brings with it (a forced refusal, a velocity rule's Journal).
    plan: Plan,
}

/// Rows in id order, and the Journal lines of some of them (by id).
#[derive(Default)]
struct Batch {
    rows: Vec<Transaction>,
    journals: Vec<(u64, crate::domain::journal::JournalEntry)>,
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
    (n, since): (u64, i64),
    progress: &mut dyn FnMut(u64),
) -> Result<u64, DemoError> {
    let first_id = db.next_transaction_id()?;
    let (sender, receiver) = mpsc::sync_channel::<Batch>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || generator.run(n, first_id, &sender));
        let (mut written, mut next_id, mut durable) = (0u64, first_id, false);
        for mut batch in receiver {
            written += batch.rows.len() as u64;
            next_id += batch.rows.len() as u64;
            durable = written >= n;
            // On error the receiver is dropped, which stops the generator.
            flush(db, &mut batch, (durable, since), next_id)?;
            progress(written);
        }
        if !durable {
            // Fewer rows than asked (or none): still make the earlier batches durable.
            flush(db, &mut Batch::default(), (true, since), next_id)?;
        }
        Ok(written)
    })
}

/// Writes one batch (durably with `durable`, else made durable by a later batch),
/// with its Journal lines and the velocity events of its rows dated from `since`;
/// checks that the ids given are the ones the follow-ups point to.
fn flush(
    db: &Db,
    Batch {
        rows: batch,
        journals,
    }: &mut Batch,
    (durable, since): (bool, i64),
    next_id: u64,
) -> Result<(), DemoError> {
    let mut wtx = db.begin_write()?;
    if durable {
        wtx.set_durable()?;
    } else {
        wtx.set_not_durable()?;
    }
    transactions::insert_many(&wtx, batch)?;
    let recent = batch.partition_point(|t| t.at < since);
    crate::db::velocity::add_in(&wtx, &db.velocity_key(), &batch[recent..])?;
    for (id, entry) in journals.iter() {
        crate::db::tx_log::add_journal(&wtx, *id, entry)?;
    }
    if let Some(last) = batch.last()
        && last.id + 1 != next_id
    {
        return Err(DemoError::AnotherWriter {
            got: last.id,
            expected: next_id - 1,
        });
    }
    wtx.commit()?;
    batch.clear();
    journals.clear();
    Ok(())
}
