//! Filters as the test understands them (the query values and an independent
//! predicate), and the brute-force check that walks every page of a search.

use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::text::fold;
use guichet::domain::transaction::{Operation, Transaction};
use reqwest::StatusCode;
use time::{Date, Duration, OffsetDateTime};

use crate::fixtures::dataset::{FROM, Rng, TO};
use crate::support::Client;
use crate::support::html::{list_url, listing};

#[derive(Clone, Debug)]
pub(crate) enum F {
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
    /// The toggle that shows 3-D Secure verification rows (hidden otherwise).
    Show3ds,
    /// Payment attempts only: sales, authorizations and rebills not abandoned (098).
    Attempts,
    /// A selection of transaction ids (`ids=1,2,3`).
    Ids(Vec<u64>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
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
    Show3ds,
    Attempts,
}

pub(crate) const KINDS: [Kind; 20] = [
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
    Kind::Show3ds,
    Kind::Attempts,
];

/// Folded prefix match, the way people expect a name search to work.
pub(crate) fn starts(value: &str, typed: &str) -> bool {
    fold(value).starts_with(&fold(typed))
}

impl F {
    pub(crate) fn matches(&self, t: &Transaction) -> bool {
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
            F::Show3ds => true,
            F::Attempts => {
                matches!(
                    t.operation,
                    Operation::Sale | Operation::Authorization | Operation::Rebill
                ) && t.code.value() != 98
            }
            F::Ids(ids) => ids.contains(&t.id),
        }
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
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
            F::Show3ds => one("three_ds", "1"),
            F::Attempts => one("attempts", "1"),
            F::Ids(ids) => {
                let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
                one("ids", &ids.join(","))
            }
        }
    }
}

pub(crate) fn unix(d: Date, h: u8, m: u8) -> i64 {
    d.with_hms(h, m, 0).unwrap().assume_utc().unix_timestamp()
}

pub(crate) fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A period with explicit bounds; an empty side keeps the dataset's bound.
pub(crate) fn period(from: &str, to: &str, start: i64, end: i64) -> F {
    F::Period {
        from: from.into(),
        to: to.into(),
        start,
        end,
    }
}

pub(crate) fn day(s: &str) -> Date {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

/// How people type amounts: `20,47`, `20.47`, `7 001,00`, `7,001.00`, `7001`.
pub(crate) fn typed_amount(minor: i64, rng: &mut Rng) -> String {
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
pub(crate) fn typed_prefix(s: &str, rng: &mut Rng) -> Option<String> {
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
pub(crate) fn from_row(kind: Kind, t: &Transaction, rng: &mut Rng) -> Option<F> {
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
        Kind::Show3ds => F::Show3ds,
        Kind::Attempts => Some(F::Attempts).filter(|f| f.matches(t))?,
    })
}

/// The query of `filters` over the dataset's period (unless a filter sets one).
pub(crate) fn query(filters: &[F]) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = filters.iter().flat_map(F::pairs).collect();
    for (k, v) in [("from", FROM), ("to", TO)] {
        if !pairs.iter().any(|(name, _)| *name == k) {
            pairs.push((k, v.into()));
        }
    }
    pairs
}

/// Whether `filters` show the 3-D Secure verification rows: the toggle, or asking for
/// that operation.
pub(crate) fn shows_3ds(filters: &[F]) -> bool {
    filters
        .iter()
        .any(|f| matches!(f, F::Show3ds | F::Operation(_, Operation::ThreeDSecure)))
}

/// The ids a brute-force scan of every row gives, newest first.
pub(crate) fn brute_force(rows: &[Transaction], filters: &[F], merchant: Option<u64>) -> Vec<u64> {
    let with_3ds = shows_3ds(filters);
    rows.iter()
        .rev()
        .filter(|t| with_3ds || t.operation != Operation::ThreeDSecure)
        .filter(|t| merchant.is_none_or(|m| t.merchant_id == m))
        .filter(|t| filters.iter().all(|f| f.matches(t)))
        .map(|t| t.id)
        .collect()
}

/// The totals line of the rows `ids`, summed one by one: every row counted, accepted
/// ones counted again, the net per currency of accepted sales, captures and rebills
/// less accepted refunds, and the accepted rows' amounts.
pub(crate) fn brute_totals(rows: &[Transaction], ids: &[u64]) -> crate::transactions::totals::Said {
    let mut said = crate::transactions::totals::Said {
        count: ids.len() as u64,
        ..Default::default()
    };
    for id in ids {
        let t = rows.iter().find(|t| t.id == *id).unwrap();
        let net = said.net.entry(t.currency.code().to_string()).or_insert(0);
        let gross = said.gross.entry(t.currency.code().to_string()).or_insert(0);
        if t.code != ResultCode::ACCEPTED {
            continue;
        }
        said.accepted += 1;
        let minor = i128::from(t.amount.minor());
        *gross += minor;
        *net += match t.operation {
            Operation::Sale | Operation::Capture | Operation::Rebill => minor,
            Operation::Refund => -minor,
            _ => 0,
        };
    }
    said
}

/// Walks every page (100 a page) of the search and compares ids, order and total with
/// the brute-force answer. Returns how many rows matched.
pub(crate) async fn agrees(
    c: &Client,
    rows: &[Transaction],
    filters: &[F],
    merchant: Option<u64>,
) -> usize {
    let expected = brute_force(rows, filters, merchant);
    let pages = expected.len().div_ceil(100).max(1);
    let mut got = Vec::with_capacity(expected.len());
    for page in 1..=pages {
        let mut pairs = query(filters);
        pairs.push(("per_page", "100".into()));
        pairs.push(("page", page.to_string()));
        let l = listing(c, &pairs).await;
        assert_eq!(l.status, StatusCode::OK, "{filters:?} page {page}");
        if page == 1 {
            let no_money = filters.iter().any(|f| {
                matches!(
                    f,
                    F::Operation(
                        _,
                        Operation::Authorization | Operation::Cancel | Operation::ThreeDSecure
                    )
                )
            });
            assert_eq!(
                crate::transactions::totals::totals_in(&l.body),
                brute_totals(rows, &expected).shown(no_money),
                "totals for {filters:?} ({})",
                list_url(&pairs)
            );
        }
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
pub(crate) fn fmt_count(n: u64) -> String {
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
