//! The row generator: payments in time order and their follow-ups, with realistic
//! amounts, order numbers and initiators.

use super::*;

/// The deterministic source of payments and of their follow-ups.
pub(super) struct Generator {
    pub(super) rng: SmallRng,
    pub(super) seed: u64,
    pub(super) shops: Vec<Shop>,
    /// Size of the customer pool (customers are rebuilt from their index).
    pub(super) customers: u64,
    /// The year of `now`, for card expiry dates.
    pub(super) year: i32,
    pub(super) end: i64,
    /// Time of the next new payment, in seconds (fractional).
    pub(super) clock: f64,
    /// The latest time a payment may start.
    pub(super) last_start: f64,
    pub(super) seq: u64,
    /// The key file's card key: demo tokens are real keyed tokens of card numbers
    /// that exist only while a customer is drawn.
    pub(super) card_key: crate::keys::CardKey,
    /// The card-testing bursts still to start: (time, shop), the next one last.
    pub(super) bursts: Vec<(i64, usize)>,
    /// The Journal lines of the rows made since the last batch was sent.
    pub(super) journals: Vec<(u64, crate::domain::journal::JournalEntry)>,
}

impl Generator {
    pub(super) fn new(
        opts: &DemoOptions,
        shops: Vec<Shop>,
        card_key: crate::keys::CardKey,
    ) -> Generator {
        let end = opts.now.unix_timestamp();
        let bursts = velocity::bursts(shops.len(), end);
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
            card_key,
            bursts,
            journals: Vec::new(),
        };
        generator.advance(opts.transactions);
        generator
    }

    /// Makes `n` rows in time order and sends them in batches. The first row will get
    /// id `first_id` and the others the following ones: insert_many gives ids in
    /// insertion order, so follow-ups know their parent's id when they are created.
    pub(super) fn run(&mut self, n: u64, first_id: u64, out: &SyncSender<Batch>) {
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
            self.journal(&item, next_id);
            batch.push(item.tx);
            next_id += 1;
            made += 1;
            if batch.len() == BATCH {
                let full = Batch {
                    rows: std::mem::replace(&mut batch, Vec::with_capacity(capacity)),
                    journals: std::mem::take(&mut self.journals),
                };
                if out.send(full).is_err() {
                    return; // the writer failed and stopped
                }
            }
        }
        if !batch.is_empty() {
            // An error here means the writer already failed; it reports it.
            let _ = out.send(Batch {
                rows: batch,
                journals: std::mem::take(&mut self.journals),
            });
        }
    }

    /// Starts new payments while one is due before the earliest waiting row, as long
    /// as the rows waiting do not already fill the `budget`.
    pub(super) fn refill(&mut self, heap: &mut Heap, budget: u64) {
        loop {
            let waiting = heap.len() as u64;
            if waiting >= budget {
                return;
            }
            let at = self.clock as i64;
            if heap.peek().is_some_and(|Reverse(s)| s.at <= at) {
                return;
            }
            if self.start_burst(heap, at) {
                continue;
            }
            let (tx, mode) = self.payment(at);
            self.push(heap, tx, mode);
            self.advance(budget - waiting - 1);
        }
    }

    /// Moves the clock to the next payment: exponential gaps whose mean spreads the
    /// rows still to make over the time left, denser in the day than at night.
    pub(super) fn advance(&mut self, rows_left: u64) {
        let payments_left = (rows_left as f64 / ROWS_PER_PAYMENT).max(1.0);
        let mean = (self.last_start - self.clock).max(0.0) / payments_left;
        let hour = ((self.clock as i64 + 3_600).rem_euclid(DAY) / 3_600) as usize;
        let weight = HOUR_WEIGHT.get(hour).copied().unwrap_or(1.0);
        let u: f64 = self.rng.random();
        let gap = -(1.0 - u).ln() * mean / weight;
        self.clock = (self.clock + gap).min(self.last_start);
    }

    pub(super) fn push(&mut self, heap: &mut Heap, tx: Transaction, next: Operation) {
        self.push_planned(heap, tx, next, Plan::Normal);
    }

    pub(super) fn push_planned(
        &mut self,
        heap: &mut Heap,
        tx: Transaction,
        next: Operation,
        plan: Plan,
    ) {
        self.seq += 1;
        heap.push(Reverse(Scheduled {
            at: tx.at,
            seq: self.seq,
            tx,
            next,
            plan,
        }));
    }

    pub(super) fn per_mille(&mut self, p: u32) -> bool {
        self.rng.random_range(0..1_000) < p
    }

    pub(super) fn shop_index(&self, merchant_id: u64) -> usize {
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
    pub(super) fn payment(&mut self, at: i64) -> (Transaction, Operation) {
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

    pub(super) fn three_ds_row(
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

    pub(super) fn pick_shop(&mut self) -> usize {
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
    pub(super) fn customer(&mut self) -> Customer {
        let u: f64 = self.rng.random();
        let index = (u * u * self.customers as f64) as u64;
        let mut r = SmallRng::seed_from_u64(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        customer(&mut r, self.year, &self.card_key)
    }

    pub(super) fn sale_details(&mut self, shop: usize, at: i64, amount: Amount) -> SaleDetails {
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
    pub(super) fn shipping(&mut self, kind: Kind, buyer: &Party) -> Party {
        if kind == Kind::Shop && self.per_mille(700) {
            Party {
                email: String::new(),
                ..buyer.clone()
            }
        } else {
            Party::default()
        }
    }

    pub(super) fn affiliation(&mut self, kind: Kind) -> Affiliation {
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

// ---------------------------------------------------------------------------------
// Follow-ups

impl Generator {
    /// Schedules what follows a row that has just been given `id`.
    pub(super) fn follow_ups(&mut self, item: &Scheduled, id: u64, heap: &mut Heap) {
        let tx = &item.tx;
        if let (Plan::Velocity(fired), Operation::ThreeDSecure) = (item.plan, tx.operation) {
            self.refused_by_rule(tx, id, item.next, heap, fired);
            return;
        }
        if !tx.code.is_accepted() {
            return;
        }
        match tx.operation {
            Operation::ThreeDSecure => {
                let forced = match item.plan {
                    Plan::Refuse(code) => Some(code),
                    _ => None,
                };
                self.payment_row(tx, id, item.next, forced, heap);
            }
            Operation::Authorization => self.settle(tx, id, heap),
            Operation::Sale => {
                // A disputed sale is not refunded as well.
                if !self.maybe_chargeback(tx, id, heap) {
                    self.maybe_refund(tx, id, heap);
                }
                self.maybe_rebill(tx, id, heap);
            }
            Operation::Capture => self.maybe_refund(tx, id, heap),
            Operation::Cancel | Operation::Refund | Operation::Rebill | Operation::Chargeback => {}
        }
    }

    /// The sale or authorization a few seconds after its 3-D Secure row (FLOW-1), with
    /// the `forced` code or one from the mix.
    pub(super) fn payment_row(
        &mut self,
        tds: &Transaction,
        id: u64,
        op: Operation,
        forced: Option<ResultCode>,
        heap: &mut Heap,
    ) {
        // 10.4 % of the rows past 3-D Secure are refused: 12 % of payments with the 656s.
        let code = if let Some(code) = forced {
            code
        } else if self.per_mille(104) {
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
    pub(super) fn settle(&mut self, auth: &Transaction, id: u64, heap: &mut Heap) {
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
    pub(super) fn maybe_refund(&mut self, debit: &Transaction, id: u64, heap: &mut Heap) {
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

    /// Disputes ~0.1 % of accepted sales in full, 5 to 60 days later (the issuer's
    /// chargeback, recorded by an administrator). Says whether it did.
    pub(super) fn maybe_chargeback(
        &mut self,
        sale: &Transaction,
        id: u64,
        heap: &mut Heap,
    ) -> bool {
        if !self.per_mille(1) {
            return false;
        }
        let delay = self.rng.random_range(5 * DAY..60 * DAY);
        let op = Operation::Chargeback;
        let Some(mut row) = self.child(sale, id, op, sale.amount, delay, ResultCode::ACCEPTED)
        else {
            return false;
        };
        row.initiator.user_name = "admin".into();
        self.push(heap, row, op);
        true
    }

    /// Rebills ~0.5 % of accepted sales on their stored card token (OPS-4).
    pub(super) fn maybe_rebill(&mut self, sale: &Transaction, id: u64, heap: &mut Heap) {
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
    pub(super) fn child(
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
    pub(super) fn by_staff(&self, tx: &mut Transaction) {
        let shop = &self.shops[self.shop_index(tx.merchant_id)];
        tx.initiator.user_name = format!("{}.manager", shop.spec.slug);
        tx.initiator.ip.clone_from(&shop.office_ip);
    }
}
