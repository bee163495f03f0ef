//! The tables of Statistics (STAT-1) as typed values, built from rollup cells with
//! the figure functions: the page and the CSV download render the very same rows,
//! so they cannot disagree. Each row that the transaction list can show carries the
//! list's link, filtered to exactly its rows.

use super::Lang;
use super::buckets::Bucket;
use super::card::Brand;
use super::codes::ResultCode;
use super::figures::{
    self, COUNTED_OPS, Cell, PerCurrency, count_text, per_mille_text, refusals, split,
};
use super::filter::{PAGE_SIZES, RawFilter};
use super::merchant::Terminal;
use super::money::{Currency, minor_to_decimal_string};
use super::search::format_total;
use super::stats::StatsQuery;

/// The tables of the screen, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableKey {
    Periods,
    Refusals,
    Brands,
    CardCountries,
    IpCountries,
    Terminals,
}

impl TableKey {
    pub const ALL: [TableKey; 6] = [
        TableKey::Periods,
        TableKey::Refusals,
        TableKey::Brands,
        TableKey::CardCountries,
        TableKey::IpCountries,
        TableKey::Terminals,
    ];
    /// The tables split on a dimension, each over the whole period.
    pub const SPLITS: [TableKey; 4] = [
        TableKey::Brands,
        TableKey::CardCountries,
        TableKey::IpCountries,
        TableKey::Terminals,
    ];

    /// Stable key for URLs and file names (`table=card-countries`).
    pub fn key(self) -> &'static str {
        match self {
            TableKey::Periods => "periods",
            TableKey::Refusals => "refusals",
            TableKey::Brands => "brands",
            TableKey::CardCountries => "card-countries",
            TableKey::IpCountries => "ip-countries",
            TableKey::Terminals => "terminals",
        }
    }

    pub fn parse(s: &str) -> Option<TableKey> {
        TableKey::ALL.into_iter().find(|t| t.key() == s.trim())
    }

    /// The table in a download's file name, in the reader's language
    /// (`statistiques-types-de-carte-…`).
    pub fn file_word(self, lang: Lang) -> &'static str {
        match self {
            TableKey::Periods => lang.pick("periodes", "periods"),
            TableKey::Refusals => lang.pick("refus", "refusals"),
            TableKey::Brands => lang.pick("types-de-carte", "card-types"),
            TableKey::CardCountries => lang.pick("pays-des-cartes", "card-countries"),
            TableKey::IpCountries => lang.pick("pays-ip-des-acheteurs", "buyer-ip-countries"),
            TableKey::Terminals => lang.pick("terminaux", "terminals"),
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            TableKey::Periods => lang.pick("Par période", "By period"),
            TableKey::Refusals => lang.pick("Refus par code de retour", "Refusals by result code"),
            TableKey::Brands => lang.pick("Par type de carte", "By card type"),
            TableKey::CardCountries => lang.pick("Par pays de la carte", "By card country"),
            TableKey::IpCountries => lang.pick(
                "Par pays de l'adresse IP de l'acheteur",
                "By buyer IP country",
            ),
            TableKey::Terminals => lang.pick("Par terminal", "By terminal"),
        }
    }
}

/// The cells of a split table, or how many rows made it too costly to compute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    Cells(Vec<Cell>),
    /// More rows matched than a country split reads one by one.
    TooMany {
        rows: u64,
        limit: u64,
    },
}

/// What a split's value stands for (decoded by the storage layer, which owns the
/// packing of values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitValue {
    /// `None`: rows without a card.
    Brand(Option<Brand>),
    /// `None`: no country (or not a code).
    Country(Option<String>),
    Terminal(u32),
}

/// Every cell the screen needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatCells {
    /// Per bucket of the query, no split.
    pub periods: Vec<Cell>,
    /// One per [`TableKey::SPLITS`], in that order, over the whole period.
    pub splits: Vec<(TableKey, Split)>,
}

/// One table cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Count(u64),
    /// Signed minor units.
    Money(i128, Currency),
    /// Tenths of a percent; `None` when there is nothing to divide.
    PerMille(Option<u32>),
}

impl Value {
    /// For the page, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Count(n) => count_text(*n, lang),
            Value::Money(m, c) => format_total(*m, *c, lang),
            Value::PerMille(p) => p.map_or_else(|| "—".into(), |p| per_mille_text(p, lang)),
        }
    }

    /// For a CSV file: bare numbers with a decimal point and the currency's decimals
    /// (`1250.50`, `12.345`, `1500` for JPY; `92.3` for a rate), empty
    /// for a rate of nothing; text as is (the writer makes it inert).
    pub fn csv(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Count(n) => n.to_string(),
            Value::Money(m, c) => minor_to_decimal_string(*m, *c),
            Value::PerMille(p) => p.map_or_else(String::new, |p| format!("{}.{}", p / 10, p % 10)),
        }
    }

    pub fn is_numeric(&self) -> bool {
        !matches!(self, Value::Text(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Value>,
    /// The transaction list showing exactly the rows counted here.
    pub href: Option<String>,
    /// A period's first and last day, which the CSV writes first as ISO dates.
    pub days: Option<(time::Date, time::Date)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub key: TableKey,
    pub columns: Vec<String>,
    /// The CSV's header: the page's titles with units (`Part (%)`), and the days of
    /// a period before its label.
    pub csv_columns: Vec<String>,
    pub rows: Vec<Row>,
    /// Set when the split could not be computed (too many rows to read).
    pub too_many: Option<(u64, u64)>,
}

/// What the tables need besides the cells.
pub struct Context<'a> {
    pub lang: Lang,
    pub query: &'a StatsQuery,
    /// The merchant chosen (its id goes into the list's links).
    pub merchant: Option<u64>,
    /// The chosen merchant's terminals (their labels), empty otherwise.
    pub terminals: &'a [Terminal],
}

impl Context<'_> {
    /// The list's link for the days `first..=last`, the screen's filters and `more`.
    fn link(&self, b: (time::Date, time::Date), more: impl FnOnce(&mut RawFilter)) -> String {
        let q = self.query;
        let mut raw = RawFilter {
            from: b.0.to_string(),
            to: b.1.to_string(),
            merchant: self.merchant.map(|m| m.to_string()).unwrap_or_default(),
            terminal: q.terminal.map(|t| t.to_string()).unwrap_or_default(),
            brand: q.brand.map(|b| b.key().to_string()).unwrap_or_default(),
            operation: q.operation.map(|o| o.key().to_string()).unwrap_or_default(),
            ..RawFilter::default()
        };
        more(&mut raw);
        format!("/transactions?{}", raw.to_query(1, PAGE_SIZES[0]))
    }

    fn period(&self) -> (time::Date, time::Date) {
        (self.query.first, self.query.last)
    }
}

/// Only the cells of the operation filtered on (all counted ones without a filter).
pub fn kept(cells: &[Cell], q: &StatsQuery) -> Vec<Cell> {
    cells
        .iter()
        .filter(|c| q.operation.is_none_or(|o| o == c.op) && COUNTED_OPS.contains(&c.op))
        .copied()
        .collect()
}

/// The currencies that occur in `lines`, in `Currency::ALL` order.
fn currencies<'a>(lines: impl Iterator<Item = &'a PerCurrency>) -> Vec<Currency> {
    let mut seen = [false; Currency::ALL.len()];
    for p in lines {
        for (c, _) in &p.0 {
            seen[usize::from(c.index())] = true;
        }
    }
    Currency::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| seen[*i])
        .map(|(_, c)| c)
        .collect()
}

fn revenue_titles(lang: Lang, cur: &[Currency]) -> Vec<String> {
    cur.iter()
        .map(|c| format!("{} ({})", lang.pick("CA net", "Net revenue"), c.code()))
        .collect()
}

/// A title with its unit, for a CSV column of bare percentages.
fn percent(title: &str) -> String {
    format!("{title} (%)")
}

/// The CSV header of `columns`: the ones at `rates` get their unit.
fn csv_titles(columns: &[String], rates: &[usize]) -> Vec<String> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if rates.contains(&i) {
                percent(c)
            } else {
                c.clone()
            }
        })
        .collect()
}

fn count_titles(lang: Lang) -> [String; 4] {
    [
        lang.pick("Opérations", "Operations").into(),
        lang.pick("Tentatives de paiement", "Payment attempts")
            .into(),
        lang.pick("Acceptées", "Accepted").into(),
        lang.pick("Taux d'acceptation", "Acceptance rate").into(),
    ]
}

/// Per bucket: label, counted rows, attempts, accepted, rate, net revenue per currency.
pub fn periods_table(ctx: &Context, cells: &[Cell]) -> Table {
    let q = ctx.query;
    let cells = kept(cells, q);
    let n = q.buckets.len();
    let counts = figures::counts(&cells, n);
    let rates = figures::acceptance(&cells, n);
    let revenue = figures::revenue(&cells, n);
    let cur = currencies(revenue.iter());
    let mut columns = vec![ctx.lang.pick("Période", "Period").to_string()];
    columns.extend(count_titles(ctx.lang));
    columns.extend(revenue_titles(ctx.lang, &cur));
    let mut csv_columns = vec![
        ctx.lang.pick("Premier jour", "First day").to_string(),
        ctx.lang.pick("Dernier jour", "Last day").to_string(),
    ];
    csv_columns.extend(csv_titles(&columns, &[4]));
    let rows = q
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut v = vec![
                Value::Text(b.long_label(q.by, ctx.lang)),
                Value::Count(counts[i]),
                Value::Count(rates[i].count),
                Value::Count(rates[i].accepted),
                Value::PerMille(rates[i].per_mille()),
            ];
            v.extend(cur.iter().map(|c| Value::Money(revenue[i].get(*c), *c)));
            Row {
                cells: v,
                href: Some(ctx.link((b.first, b.last()), |_| {})),
                days: Some((b.first, b.last())),
            }
        })
        .collect();
    Table {
        key: TableKey::Periods,
        columns,
        csv_columns,
        rows,
        too_many: None,
    }
}

/// What a result code means; an abandon (098) says it is not the bank's refusal.
fn meaning(code: Option<ResultCode>, lang: Lang) -> String {
    match code {
        None => lang.pick("Code inconnu", "Unknown code").into(),
        Some(ResultCode::ABANDONED) => lang
            .pick(
                "Paiement abandonné : un abandon, pas un refus de la banque",
                "Payment abandoned: an abandon, not a refusal by the bank",
            )
            .into(),
        Some(c) => c.text(lang).into(),
    }
}

/// Per result code: code, its meaning, refused rows (abandons included), share.
pub fn refusals_table(ctx: &Context, cells: &[Cell]) -> Table {
    let q = ctx.query;
    let cells = kept(cells, q);
    let lang = ctx.lang;
    let columns = vec![
        lang.pick("Code", "Code").into(),
        lang.pick("Signification", "Meaning").into(),
        lang.pick("Refus", "Refusals").into(),
        lang.pick("Part", "Share").into(),
    ];
    let rows = refusals(&cells, 0..q.buckets.len())
        .into_iter()
        .map(|r| {
            let known = ResultCode::from_value(r.code);
            Row {
                cells: vec![
                    Value::Text(format!("{:03}", r.code)),
                    Value::Text(meaning(known, lang)),
                    Value::Count(r.count),
                    Value::PerMille(Some(r.share)),
                ],
                href: known.map(|_| ctx.link(ctx.period(), |f| f.code = format!("{:03}", r.code))),
                days: None,
            }
        })
        .collect();
    Table {
        key: TableKey::Refusals,
        csv_columns: csv_titles(&columns, &[3]),
        columns,
        rows,
        too_many: None,
    }
}

fn value_label(ctx: &Context, v: &SplitValue) -> String {
    let lang = ctx.lang;
    match v {
        SplitValue::Brand(None) => lang.pick("Sans carte", "No card").into(),
        SplitValue::Brand(Some(Brand::Unknown)) => lang.pick("Type inconnu", "Unknown type").into(),
        SplitValue::Brand(Some(b)) => b.name().into(),
        SplitValue::Country(None) => lang.pick("Pays inconnu", "Unknown country").into(),
        SplitValue::Country(Some(code)) => match super::countries::name(code, lang) {
            Some(name) => format!("{name} ({code})"),
            None => code.clone(),
        },
        SplitValue::Terminal(t) => match ctx.terminals.iter().find(|x| x.number == *t) {
            Some(x) if !x.label.trim().is_empty() => format!("{t} · {}", x.label.trim()),
            _ => t.to_string(),
        },
    }
}

fn value_link(ctx: &Context, v: &SplitValue) -> Option<String> {
    match v {
        SplitValue::Brand(Some(b)) => {
            Some(ctx.link(ctx.period(), |f| f.brand = b.key().to_string()))
        }
        SplitValue::Terminal(t) => Some(ctx.link(ctx.period(), |f| f.terminal = t.to_string())),
        SplitValue::Brand(None) | SplitValue::Country(_) => None,
    }
}

/// Per value of a split: its label, counted rows, attempts, accepted, rate, net
/// revenue per currency, share of the rows.
pub fn split_table(
    ctx: &Context,
    key: TableKey,
    s: &Split,
    decode: impl Fn(TableKey, u32) -> SplitValue,
) -> Table {
    let lang = ctx.lang;
    let first = match key {
        TableKey::Brands => lang.pick("Type de carte", "Card type"),
        TableKey::CardCountries => lang.pick("Pays de la carte", "Card country"),
        TableKey::IpCountries => lang.pick("Pays de l'adresse IP", "IP country"),
        _ => lang.pick("Terminal", "Terminal"),
    };
    let (lines, too_many) = match s {
        Split::Cells(c) => (split(&kept(c, ctx.query), 0..1), None),
        Split::TooMany { rows, limit } => (Vec::new(), Some((*rows, *limit))),
    };
    let cur = currencies(lines.iter().map(|l| &l.revenue));
    let mut columns = vec![first.to_string()];
    columns.extend(count_titles(lang));
    columns.extend(revenue_titles(lang, &cur));
    columns.push(lang.pick("Part", "Share").into());
    let rows = lines
        .iter()
        .map(|l| {
            let v = decode(key, l.value);
            let mut cells = vec![
                Value::Text(value_label(ctx, &v)),
                Value::Count(l.count),
                Value::Count(l.attempts.count),
                Value::Count(l.attempts.accepted),
                Value::PerMille(l.attempts.per_mille()),
            ];
            cells.extend(cur.iter().map(|c| Value::Money(l.revenue.get(*c), *c)));
            cells.push(Value::PerMille(Some(l.share)));
            Row {
                cells,
                href: value_link(ctx, &v),
                days: None,
            }
        })
        .collect();
    Table {
        key,
        csv_columns: csv_titles(&columns, &[4, columns.len() - 1]),
        columns,
        rows,
        too_many,
    }
}

/// Every table of the screen, in [`TableKey::ALL`] order.
pub fn tables(
    ctx: &Context,
    cells: &StatCells,
    decode: impl Fn(TableKey, u32) -> SplitValue + Copy,
) -> Vec<Table> {
    let mut out = vec![
        periods_table(ctx, &cells.periods),
        refusals_table(ctx, &cells.periods),
    ];
    for (key, s) in &cells.splits {
        out.push(split_table(ctx, *key, s, decode));
    }
    out
}

/// What the charts of the periods show, one value per bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodSeries {
    pub labels: Vec<String>,
    pub links: Vec<Option<String>>,
    pub currency: Currency,
    /// Net revenue in the main currency, minor units.
    pub revenue: Vec<i64>,
    pub counts: Vec<i64>,
    /// Acceptance in tenths of a percent (`None` without attempts).
    pub acceptance: Vec<Option<u32>>,
}

pub fn period_series(ctx: &Context, cells: &[Cell]) -> PeriodSeries {
    let q = ctx.query;
    let cells = kept(cells, q);
    let n = q.buckets.len();
    let currency = figures::main_currency(&cells);
    let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    PeriodSeries {
        labels: q
            .buckets
            .iter()
            .map(|b: &Bucket| b.label(q.by, ctx.lang))
            .collect(),
        links: q
            .buckets
            .iter()
            .map(|b| Some(ctx.link((b.first, b.last()), |_| {})))
            .collect(),
        currency,
        revenue: figures::revenue(&cells, n)
            .iter()
            .map(|p| clamp(p.get(currency)))
            .collect(),
        counts: figures::counts(&cells, n)
            .into_iter()
            .map(|c| i64::try_from(c).unwrap_or(i64::MAX))
            .collect(),
        acceptance: figures::acceptance(&cells, n)
            .into_iter()
            .map(|r| r.per_mille())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{RawStats, parse};
    use crate::domain::transaction::Operation;
    use crate::domain::zone::Zone;
    use time::macros::date;

    fn cell(period: usize, op: Operation, code: u16, count: u64, sum: i64) -> Cell {
        Cell {
            period,
            value: 0,
            op,
            code,
            currency: Currency::Mad,
            count,
            sum,
        }
    }

    #[test]
    fn a_period_row_links_to_the_list_of_its_days_and_the_csv_uses_bare_numbers() {
        let raw = RawStats {
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            terminal: "7".into(),
            ..RawStats::default()
        };
        let q = parse(&raw, date!(2026 - 11 - 30), &Zone::utc()).unwrap();
        let ctx = Context {
            lang: Lang::En,
            query: &q,
            merchant: Some(3),
            terminals: &[],
        };
        let cells = [
            cell(1, Operation::Sale, 0, 3, 30_000),
            cell(1, Operation::Sale, 51, 1, 500),
            cell(1, Operation::Refund, 0, 1, 1_050),
            cell(1, Operation::ThreeDSecure, 0, 9, 9),
        ];
        let t = periods_table(&ctx, &cells);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(
            t.csv_columns,
            [
                "First day",
                "Last day",
                "Period",
                "Operations",
                "Payment attempts",
                "Accepted",
                "Acceptance rate (%)",
                "Net revenue (MAD)"
            ]
        );
        assert_eq!(
            t.rows[1].days,
            Some((date!(2026 - 11 - 02), date!(2026 - 11 - 02)))
        );
        let r = &t.rows[1];
        assert_eq!(
            r.href.as_deref(),
            Some("/transactions?from=2026-11-02&to=2026-11-02&merchant=3&terminal=7")
        );
        let csv: Vec<String> = r.cells.iter().map(Value::csv).collect();
        assert_eq!(csv[1..], ["5", "4", "3", "75.0", "289.50"]);
        let refusals = refusals_table(&ctx, &cells);
        assert_eq!(refusals.csv_columns[3], "Share (%)");
        assert_eq!(
            refusals.rows[0].href.as_deref(),
            Some("/transactions?from=2026-11-01&to=2026-11-02&merchant=3&terminal=7&code=051")
        );
        assert_eq!(Value::Money(-5, Currency::Mad).csv(), "-0.05");
        assert_eq!(Value::Money(12_345, Currency::Tnd).csv(), "12.345");
        assert_eq!(Value::Money(-1_500, Currency::Jpy).csv(), "-1500");
    }
}
