//! The gateway: payments from the payment page (with the 3-D Secure step), payment
//! requests from the virtual terminal, and operations from the back office. Each
//! money step is checked and written in one write transaction. Blocking: call
//! from `spawn_blocking`.

mod api;
mod blacklist;
mod chargebacks;
mod location;
mod operations;
mod pay;
mod record;
mod requests;
pub mod sweeper;
mod velocity;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::acquirer::Acquirer;
use crate::clock::Clock;
use crate::db::Db;

pub use api::Prepared;
pub use chargebacks::Dispute;
pub use operations::OpOutcome;
pub use pay::{Answer, ChallengeView, Start};
pub use requests::Created;

/// The gateway's shared state. Cheap to share behind an `Arc`.
pub struct Gateway {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub acquirer: Arc<dyn Acquirer>,
    pub base_url: String,
    pub max_attempts: u32,
    /// Whether emails can leave (an SMTP server is configured).
    pub smtp_configured: bool,
    /// Wakes the mail worker when a message is queued.
    pub mail_ready: Arc<Notify>,
    /// The appliance's zone: dates in emails to customers (see [`Gateway::with_time_zone`]).
    pub time_zone: crate::domain::zone::Zone,
    /// The application's metrics: payments and operations are counted as written.
    pub metrics: Arc<crate::observe::Metrics>,
    /// The active card key (id, key), from the key file.
    card_key: (u32, [u8; 32]),
    desks: Mutex<HashMap<u64, Arc<Mutex<pay::Desk>>>>,
    /// Held by a payment on its velocity keys from the check to the write.
    key_locks: velocity::KeyLocks,
    /// Held by an operation on its original from the check to the write of the
    /// acquirer's answer (striped by transaction id).
    original_locks: velocity::KeyLocks,
}

impl Gateway {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        acquirer: Arc<dyn Acquirer>,
        base_url: String,
        max_attempts: u32,
        smtp_configured: bool,
    ) -> crate::db::Result<Gateway> {
        let card_key = db
            .keys()
            .active_card_key()
            .map(|k| (k.id, k.key))
            .ok_or(crate::db::Error::Keys("no active card key".into()))?;
        Ok(Gateway {
            db,
            clock,
            acquirer,
            base_url,
            max_attempts,
            smtp_configured,
            mail_ready: Arc::new(Notify::new()),
            time_zone: crate::domain::zone::Zone::default(),
            metrics: Arc::default(),
            card_key,
            desks: Mutex::new(HashMap::new()),
            key_locks: velocity::KeyLocks::default(),
            original_locks: velocity::KeyLocks::default(),
        })
    }

    /// The same gateway writing the dates of its emails in `zone` (the default is
    /// the appliance default, `Africa/Casablanca`).
    pub fn with_time_zone(mut self, zone: crate::domain::zone::Zone) -> Gateway {
        self.time_zone = zone;
        self
    }

    fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}
