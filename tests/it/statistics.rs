//! Statistics (STAT-1) against a brute-force count of the rows the test wrote: every
//! table of the page, its CSV download, the list its links lead to, merchant
//! isolation, and bad input (a 400 with messages, never a 500).

use std::collections::BTreeMap;

use guichet::db::merchants;
use guichet::domain::Lang;
use guichet::domain::card::Brand;
use guichet::domain::codes::ResultCode;
use guichet::domain::countries;
use guichet::domain::merchant::Terminal;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::transaction::{Operation, Transaction};
use guichet::domain::user::Permissions;
use reqwest::StatusCode;
use time::macros::datetime;
use time::{Date, Duration};

use crate::fixtures::rows::{sale, write};
use crate::support::{Client, TestApp, spawn_app};

/// Rows of May 2026 for two merchants: every counted operation, accepted and
/// refused, three card types and none, two countries, two terminals, two currencies,
/// and 3-D Secure checks (never counted).
fn rows(m1: u64, m2: u64) -> Vec<Transaction> {
    let ops = [
        Operation::Sale,
        Operation::Sale,
        Operation::Authorization,
        Operation::ThreeDSecure,
        Operation::Refund,
        Operation::Rebill,
        Operation::Capture,
        Operation::Chargeback,
        Operation::Cancel,
    ];
    let codes = [0u16, 0, 51, 0, 5, 98, 0, 55];
    let brands = [
        Some(Brand::Visa),
        Some(Brand::Mastercard),
        None,
        Some(Brand::Visa),
    ];
    let countries = ["MA", "FR", "MA", ""];
    let start = datetime!(2026-05-01 00:20 UTC);
    (0..400u32)
        .map(|i| {
            let at = start + Duration::minutes(i64::from(i) * 107);
            let merchant = if i % 5 == 0 { m2 } else { m1 };
            let mut t = sale(merchant, at, 1_000 + i64::from(i) * 37, "Salma Idrissi");
            t.operation = ops[i as usize % ops.len()];
            t.code = ResultCode::from_value(codes[i as usize % codes.len()]).unwrap();
            t.amount = Amount::from_minor(1_000 + i64::from(i) * 37).unwrap();
            if i % 7 == 0 {
                t.currency = Currency::Eur;
            }
            match brands[i as usize % brands.len()] {
                Some(b) => {
                    let card = t.card.as_mut().unwrap();
                    card.brand = Some(b);
                    card.country = countries[(i / 3) as usize % 2].into();
                }
                None => t.card = None,
            }
            t.buyer.country = countries[(i / 2) as usize % countries.len()].into();
            t.initiator.terminal = if i % 3 == 0 { 21115 } else { 21114 };
            t
        })
        .collect()
}

/// What one line of a table should say, counted from the rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Line {
    count: u64,
    attempts: u64,
    accepted: u64,
    revenue: BTreeMap<&'static str, i128>,
}

fn add(line: &mut Line, t: &Transaction) {
    line.count += 1;
    let attempt = matches!(
        t.operation,
        Operation::Sale | Operation::Authorization | Operation::Rebill
    ) && t.code != ResultCode::ABANDONED;
    if attempt {
        line.attempts += 1;
        if t.code.is_accepted() {
            line.accepted += 1;
        }
    }
    let sign = match t.operation {
        Operation::Sale | Operation::Capture | Operation::Rebill => 1,
        Operation::Refund | Operation::Chargeback => -1,
        _ => 0,
    };
    if t.code.is_accepted() && sign != 0 {
        *line.revenue.entry(t.currency.code()).or_default() += sign * i128::from(t.amount.minor());
    }
}

/// The counted rows (no 3-D Secure check) of the days `first..=last` that `keep`.
fn counted<'a>(
    rows: &'a [Transaction],
    first: Date,
    last: Date,
    keep: impl Fn(&Transaction) -> bool + 'a,
) -> impl Iterator<Item = &'a Transaction> + 'a {
    let from = first.midnight().assume_utc().unix_timestamp();
    let to = (last + Duration::days(1))
        .midnight()
        .assume_utc()
        .unix_timestamp();
    rows.iter().filter(move |t| {
        t.operation != Operation::ThreeDSecure && t.at >= from && t.at < to && keep(t)
    })
}

/// A row's key in a split table.
type KeyOf<'a> = dyn Fn(&Transaction) -> String + 'a;

/// Lines per key.
fn by_key(
    rows: impl Iterator<Item = impl std::borrow::Borrow<Transaction>>,
    key: impl Fn(&Transaction) -> String,
) -> BTreeMap<String, Line> {
    let mut out: BTreeMap<String, Line> = BTreeMap::new();
    for t in rows {
        let t = t.borrow();
        add(out.entry(key(t)).or_default(), t);
    }
    for l in out.values_mut() {
        l.revenue.retain(|_, v| *v != 0);
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A table of the page: its column titles and rows (each cell's `data-value`, and
/// the row's link).
#[derive(Debug)]
struct PageTable {
    columns: Vec<String>,
    rows: Vec<(Vec<String>, Option<String>)>,
}

impl PageTable {
    fn col(&self, title: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c == title)
            .unwrap_or_else(|| panic!("no column {title} in {:?}", self.columns))
    }

    /// The lines of the table by their first cell.
    fn lines(&self) -> BTreeMap<String, Line> {
        let cur: Vec<(usize, &'static str)> = Currency::ALL
            .iter()
            .filter_map(|c| {
                let t = format!("CA net ({})", c.code());
                self.columns
                    .iter()
                    .position(|x| *x == t)
                    .map(|i| (i, c.code()))
            })
            .collect();
        let n = |r: &Vec<String>, title: &str| r[self.col(title)].parse::<u64>().unwrap();
        self.rows
            .iter()
            .map(|(r, _)| {
                let revenue = cur
                    .iter()
                    .map(|(i, c)| (*c, money(&r[*i])))
                    .filter(|(_, v)| *v != 0)
                    .collect();
                let line = Line {
                    count: n(r, "Opérations"),
                    attempts: n(r, "Tentatives de paiement"),
                    accepted: n(r, "Acceptées"),
                    revenue,
                };
                (r[0].clone(), line)
            })
            .collect()
    }
}

/// "-1250.50" → -125050.
fn money(s: &str) -> i128 {
    let neg = s.starts_with('-');
    let (a, b) = s.trim_start_matches('-').split_once('.').unwrap();
    let v = a.parse::<i128>().unwrap() * 100 + b.parse::<i128>().unwrap();
    if neg { -v } else { v }
}

fn table_in(body: &str, key: &str) -> PageTable {
    let start = body
        .find(&format!(r#"id="table-{key}""#))
        .unwrap_or_else(|| panic!("no table {key}"));
    let html = &body[start..start + body[start..].find("</table>").unwrap()];
    let (head, rows) = html.split_once("<tbody>").unwrap();
    let columns = head
        .split("<th ")
        .skip(1)
        .map(|th| {
            let s = &th[th.find('>').unwrap() + 1..];
            unescape(&s[..s.find('<').unwrap()])
        })
        .collect();
    let attr = |s: &str, name: &str| -> Vec<String> {
        s.split(&format!(r#"{name}=""#))
            .skip(1)
            .map(|p| unescape(&p[..p.find('"').unwrap()]))
            .collect()
    };
    let rows = rows
        .split("<tr>")
        .skip(1)
        .map(|tr| (attr(tr, "data-value"), attr(tr, "href").into_iter().next()))
        .collect();
    PageTable { columns, rows }
}

struct Setup {
    app: TestApp,
    admin: Client,
    m1: u64,
    m2: u64,
    rows: Vec<Transaction>,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let m1 = app.merchant("Atlas").id;
    let m2 = app.merchant("Bahia").id;
    // Both have a second, unnamed terminal.
    let wtx = app.db.begin_write().unwrap();
    for id in [m1, m2] {
        let mut m = merchants::get_in(&wtx, id).unwrap().unwrap();
        m.terminals.push(Terminal {
            number: 21115,
            label: String::new(),
        });
        merchants::update(&wtx, &m).unwrap();
    }
    wtx.commit().unwrap();
    let rows = write(&app, rows(m1, m2));
    let admin = app.admin().await;
    Setup {
        app,
        admin,
        m1,
        m2,
        rows,
    }
}

const MAY_1: Date = time::macros::date!(2026 - 05 - 01);
const MAY_31: Date = time::macros::date!(2026 - 05 - 31);

fn country_label(code: &str) -> String {
    if code.is_empty() {
        return "Pays inconnu".into();
    }
    format!("{} ({code})", countries::name(code, Lang::Fr).unwrap())
}

/// Checks every table of `/statistics?{query}` (May, by day) against the rows `keep` keeps.
/// `one_merchant`: the page is of one merchant, whose terminals are named.
async fn check_page(
    s: &Setup,
    c: &Client,
    (query, one_merchant): (&str, bool),
    keep: impl Fn(&Transaction) -> bool + Copy,
) {
    let (status, body) = c
        .page(&format!(
            "/statistics?from=2026-05-01&to=31/05/2026&by=day&{query}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{query}");
    // Periods: one row a day, in order.
    let page = table_in(&body, "periods");
    assert_eq!(page.rows.len(), 31);
    let expected = by_key(counted(&s.rows, MAY_1, MAY_31, keep), |t| {
        let day = (t.at - MAY_1.midnight().assume_utc().unix_timestamp()) / 86_400;
        format!("{day:02}")
    });
    assert!(!expected.is_empty(), "{query}: rows to count");
    let lines: Vec<Line> = page
        .rows
        .iter()
        .map(|(r, _)| {
            let one = PageTable {
                columns: page.columns.clone(),
                rows: vec![(r.clone(), None)],
            };
            one.lines().into_values().next().unwrap()
        })
        .collect();
    for (i, line) in lines.iter().enumerate() {
        let want = expected
            .get(&format!("{i:02}"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(*line, want, "{query}: day {i}");
    }
    // Refusals per code.
    let refusals = table_in(&body, "refusals");
    let want: BTreeMap<String, u64> = by_key(
        counted(&s.rows, MAY_1, MAY_31, keep).filter(|t| !t.code.is_accepted()),
        |t| format!("{:03}", t.code.value()),
    )
    .into_iter()
    .map(|(k, l)| (k, l.count))
    .collect();
    let got: BTreeMap<String, u64> = refusals
        .rows
        .iter()
        .map(|(r, _)| (r[0].clone(), r[2].parse().unwrap()))
        .collect();
    assert_eq!(got, want, "{query}: refusals");
    // The splits.
    let brand = |t: &Transaction| match t.card.as_ref().and_then(|c| c.brand) {
        Some(b) => b.name().to_string(),
        None => "Sans carte".into(),
    };
    let card_country = |t: &Transaction| country_label(t.card.as_ref().map_or("", |c| &c.country));
    let buyer_country = |t: &Transaction| {
        country_label(guichet::domain::geo::ip_country(&t.initiator.ip).unwrap_or(""))
    };
    let terminal = |t: &Transaction| {
        if t.initiator.terminal == 21114 && one_merchant {
            "21114 · Web".to_string()
        } else {
            t.initiator.terminal.to_string()
        }
    };
    let splits: [(&str, &KeyOf<'_>); 4] = [
        ("brands", &brand),
        ("card-countries", &card_country),
        ("ip-countries", &buyer_country),
        ("terminals", &terminal),
    ];
    for (key, f) in splits {
        let want = by_key(counted(&s.rows, MAY_1, MAY_31, keep), f);
        assert_eq!(table_in(&body, key).lines(), want, "{query}: {key}");
    }
}

#[tokio::test]
async fn every_table_equals_a_count_of_the_rows_under_each_filter_and_their_combinations() {
    let s = setup().await;
    let (m1, m2) = (s.m1, s.m2);
    check_page(&s, &s.admin, ("", false), |_| true).await;
    let q = format!("merchant={m1}");
    check_page(&s, &s.admin, (&q, true), |t| t.merchant_id == m1).await;
    let q = format!("merchant={m2}&terminal=21115");
    check_page(&s, &s.admin, (&q, true), |t| {
        t.merchant_id == m2 && t.initiator.terminal == 21115
    })
    .await;
    check_page(&s, &s.admin, ("brand=visa", false), |t| {
        t.card.as_ref().and_then(|c| c.brand) == Some(Brand::Visa)
    })
    .await;
    let q = format!("merchant={m1}&terminal=21114&brand=mastercard&operation=sale");
    check_page(&s, &s.admin, (&q, true), |t| {
        t.merchant_id == m1
            && t.initiator.terminal == 21114
            && t.card.as_ref().and_then(|c| c.brand) == Some(Brand::Mastercard)
            && t.operation == Operation::Sale
    })
    .await;
}

/// The count the list's totals line gives for `href`.
async fn list_count(c: &Client, href: &str) -> u64 {
    let (status, body) = c.page(href).await;
    assert_eq!(status, StatusCode::OK, "{href}");
    let marker = r#"data-count=""#;
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("no count at {href}"))
        + marker.len();
    body[start..start + body[start..].find('"').unwrap()]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn each_linked_row_leads_to_a_list_with_exactly_its_count() {
    let s = setup().await;
    let (_, body) = s
        .admin
        .page(&format!(
            "/statistics?from=2026-05-01&to=2026-05-31&by=week&merchant={}&terminal=21114",
            s.m1
        ))
        .await;
    for (key, count_col) in [
        ("refusals", 2),
        ("periods", 1),
        ("brands", 1),
        ("terminals", 1),
    ] {
        let t = table_in(&body, key);
        assert!(!t.rows.is_empty(), "{key}");
        let mut linked = 0;
        for (cells, href) in &t.rows {
            let Some(href) = href else { continue };
            linked += 1;
            let want: u64 = cells[count_col].parse().unwrap();
            assert_eq!(list_count(&s.admin, href).await, want, "{key}: {href}");
        }
        assert!(linked > 0, "{key} has links");
    }
    // Countries cannot be filtered on in the list: no links.
    assert!(
        table_in(&body, "card-countries")
            .rows
            .iter()
            .all(|(_, h)| h.is_none())
    );
}

/// A CSV download: its file name and its header and rows.
async fn csv_of(c: &Client, href: &str) -> (String, Vec<String>, Vec<Vec<String>>) {
    let r = c.get(href).await;
    assert_eq!(r.status(), StatusCode::OK, "{href}");
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    let name = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|n| n.strip_suffix('"'))
        .unwrap()
        .to_string();
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "{href}: BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (name, header, rows)
}

/// The download links of a page, unescaped.
fn csv_links(body: &str) -> Vec<String> {
    body.split(r#"href="/statistics/export?"#)
        .skip(1)
        .map(|p| {
            format!(
                "/statistics/export?{}",
                unescape(&p[..p.find('"').unwrap()])
            )
        })
        .collect()
}

#[tokio::test]
async fn the_csv_of_each_table_parses_and_says_what_the_page_says() {
    let s = setup().await;
    // In the order of the form, as the page's links write it.
    let query = format!("from=2026-05-01&to=2026-05-31&merchant={}&by=week", s.m1);
    let (_, body) = s.admin.page(&format!("/statistics?{query}")).await;
    let links = csv_links(&body);
    let files = [
        ("periods", "periodes"),
        ("refusals", "refus"),
        ("brands", "types-de-carte"),
        ("card-countries", "pays-des-cartes"),
        ("ip-countries", "pays-ip-des-acheteurs"),
        ("terminals", "terminaux"),
    ];
    assert_eq!(links.len(), files.len(), "{links:?}");
    for ((key, word), link) in files.into_iter().zip(&links) {
        assert_eq!(*link, format!("/statistics/export?table={key}&{query}"));
        let (name, header, rows) = csv_of(&s.admin, link).await;
        assert_eq!(
            name,
            format!("statistiques-{word}-2026-05-01-2026-05-31.csv")
        );
        let page = table_in(&body, key);
        // Rates and shares are bare percentages: the header says so.
        let mut want: Vec<String> = page
            .columns
            .iter()
            .map(|c| match c.as_str() {
                "Taux d'acceptation" | "Part" => format!("{c} (%)"),
                _ => c.clone(),
            })
            .collect();
        let mut page_rows: Vec<Vec<String>> = page.rows.into_iter().map(|(r, _)| r).collect();
        if key == "periods" {
            // Each period's first and last day, ISO, before its label (Monday to Sunday,
            // cut at the period's ends).
            want.splice(0..0, ["Premier jour".into(), "Dernier jour".into()]);
            let days = [
                ("2026-05-01", "2026-05-03"),
                ("2026-05-04", "2026-05-10"),
                ("2026-05-11", "2026-05-17"),
                ("2026-05-18", "2026-05-24"),
                ("2026-05-25", "2026-05-31"),
            ];
            assert_eq!(page_rows.len(), days.len());
            for (r, (a, b)) in page_rows.iter_mut().zip(days) {
                r.splice(0..0, [a.to_string(), b.to_string()]);
            }
        }
        assert_eq!(header, want, "{key}");
        assert_eq!(rows, page_rows, "{key}");
        assert!(!rows.is_empty(), "{key}");
        // Money says its currency in the title and uses a decimal point.
        for (i, title) in header.iter().enumerate() {
            if title.starts_with("CA net (") {
                let point = |v: &String| v.split_once('.').is_some_and(|(_, c)| c.len() == 2);
                assert!(rows.iter().all(|r| point(&r[i])), "{key}: {title}");
            }
        }
    }
    let (_, header, rows) = csv_of(&s.admin, &links[0]).await;
    let rate = header
        .iter()
        .position(|h| h == "Taux d'acceptation (%)")
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r[rate].is_empty() || r[rate].parse::<f64>().is_ok())
    );
    assert!(header.iter().any(|h| h == "CA net (MAD)"));
    // In English: English file names and titles.
    s.admin.post("/lang", &[("lang", "en")]).await;
    let (_, body) = s.admin.page(&format!("/statistics?{query}")).await;
    let words = [
        "periods",
        "refusals",
        "card-types",
        "card-countries",
        "buyer-ip-countries",
        "terminals",
    ];
    for (word, link) in words.into_iter().zip(csv_links(&body)) {
        let (name, header, _) = csv_of(&s.admin, &link).await;
        assert_eq!(name, format!("statistics-{word}-2026-05-01-2026-05-31.csv"));
        if word == "periods" {
            assert_eq!(header[..3], ["First day", "Last day", "Period"]);
            assert!(header.contains(&"Acceptance rate (%)".to_string()));
        }
        if word == "refusals" {
            assert_eq!(header[3], "Share (%)");
        }
    }
    // Without any filter the links end with the table, not with a stray '&'.
    let (_, body) = s.admin.page("/statistics").await;
    let links = csv_links(&body);
    assert_eq!(links[0], "/statistics/export?table=periods");
    assert!(links.iter().all(|l| !l.ends_with('&')), "{links:?}");
    s.admin.post("/lang", &[("lang", "fr")]).await;
    let r = s
        .admin
        .get(&format!("/statistics/export?table=nope&{query}"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("tableau inconnu"));
}

#[tokio::test]
async fn a_terminal_the_merchant_lacks_is_a_400_and_a_known_merchant_offers_its_terminals() {
    let s = setup().await;
    let m1 = s.m1;
    let (status, body) = s
        .admin
        .page(&format!("/statistics?merchant={m1}&terminal=99999"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains(
            "« 99999 » : ce marchand n&#39;a pas de terminal 99999 (terminaux : 21114, 21115)."
        ) || body.contains(
            "« 99999 » : ce marchand n'a pas de terminal 99999 (terminaux : 21114, 21115)."
        ),
        "message beside the field"
    );
    assert!(body.contains(r#"aria-describedby="s-terminal-err""#));
    let r = s
        .admin
        .get(&format!(
            "/statistics/export?table=periods&merchant={m1}&terminal=99999"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A merchant user typing it in the URL gets the same answer.
    let perms = Permissions {
        view: true,
        ..Permissions::default()
    };
    s.app.merchant_user("atlas", m1, perms);
    let c = s.app.signed_in("atlas").await;
    let (status, _) = c.page("/statistics?terminal=99999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The merchant known: a drop-down of its terminals, blank for all.
    let (_, body) = c.page("/statistics?terminal=21115").await;
    let select = &body[body.find(r#"<select id="s-terminal""#).expect("a select")..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(select.contains(r#"<option value="">Tous les terminaux</option>"#));
    assert!(select.contains(r#"<option value="21114">21114 · Web</option>"#));
    assert!(select.contains(r#"<option value="21115" selected>21115</option>"#));
    // All merchants: the free-text field stays.
    let (_, body) = s.admin.page("/statistics").await;
    assert!(body.contains(r#"<input id="s-terminal" name="terminal""#));
    // The merchant selector reads like Home's: "Atlas (1)".
    assert!(body.contains(&format!(r#"<option value="{m1}">Atlas ({m1})</option>"#)));
}

#[tokio::test]
async fn charts_are_described_with_their_own_nouns_and_abandons_are_told_apart() {
    let s = setup().await;
    let query = format!("from=2026-05-01&to=2026-05-31&merchant={}", s.m1);
    let (_, body) = s.admin.page(&format!("/statistics?{query}")).await;
    let brands = table_in(&body, "brands");
    let total: u64 = brands
        .rows
        .iter()
        .map(|(r, _)| r[1].parse::<u64>().unwrap())
        .sum();
    let (top, n) = brands
        .rows
        .iter()
        .map(|(r, _)| (r[0].clone(), r[1].parse::<u64>().unwrap()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    let want = format!(
        "Total : {total} opérations sur {} types de carte ; le plus fréquent : {top} ({n}).",
        brands.rows.len()
    );
    assert!(body.contains(&want), "{want}");
    assert!(
        body.contains("Total : ")
            && body.contains("opérations sur 31 périodes ; la plus chargée : ")
    );
    assert!(body.contains("CA net total : "));
    assert!(
        body.contains("Taux d&#39;acceptation sur ") || body.contains("Taux d'acceptation sur ")
    );
    // 098 stays among the refusals, saying it is an abandon, and the rules say how
    // abandons are counted.
    let refusals = table_in(&body, "refusals");
    let abandon = refusals
        .rows
        .iter()
        .find(|(r, _)| r[0] == "098")
        .expect("098 row");
    assert!(
        abandon.0[1].contains("pas un refus de la banque"),
        "{:?}",
        abandon.0
    );
    assert!(body.contains("les parts incluent les abandons (098)"));
    assert!(
        body.contains("le taux d&#39;acceptation ne compte pas les abandons")
            || body.contains("le taux d'acceptation ne compte pas les abandons")
    );
    s.admin.post("/lang", &[("lang", "en")]).await;
    let (_, body) = s.admin.page(&format!("/statistics?{query}")).await;
    let want = format!(
        "Total: {total} operations over {} card types; the most frequent: {top} ({n}).",
        brands.rows.len()
    );
    assert!(body.contains(&want), "{want}");
    assert!(body.contains("operations over 31 periods; the busiest: "));
    assert!(!body.contains("périodes"));
}

#[tokio::test]
async fn a_merchant_user_sees_only_their_rows_and_another_merchants_number_is_a_404() {
    let s = setup().await;
    let perms = Permissions {
        view: true,
        export: true,
        ..Permissions::default()
    };
    s.app.merchant_user("atlas", s.m1, perms);
    let c = s.app.signed_in("atlas").await;
    let (status, _) = c.page(&format!("/statistics?merchant={}", s.m2)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = c
        .get(&format!(
            "/statistics/export?table=periods&merchant={}",
            s.m2
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let m1 = s.m1;
    check_page(&s, &c, ("", true), |t| t.merchant_id == m1).await;
    // No selector of merchants for a merchant user.
    let (_, body) = c.page("/statistics").await;
    assert!(!body.contains(r#"name="merchant""#));
    let (_, body) = s.admin.page("/statistics").await;
    assert!(body.contains(r#"name="merchant""#));
}

#[tokio::test]
async fn bad_values_are_a_400_with_their_message_beside_the_field_never_a_500() {
    let s = setup().await;
    for (query, field, message) in [
        (
            "from=32/13/2026",
            "from",
            "date attendue au format JJ/MM/AAAA",
        ),
        ("by=year", "by", "valeur inconnue"),
        ("merchant=abc", "merchant", "numéro de marchand attendu"),
        ("terminal=-1", "terminal", "numéro de terminal attendu"),
        ("brand=xyz", "brand", "valeur inconnue"),
        ("operation=3ds", "operation", "ne sont pas comptées"),
        (
            "from=2026-05-10&to=2026-05-01",
            "from",
            "doit précéder la date de fin",
        ),
        ("from=1969-12-31", "from", "commencent en 1970"),
        ("to=10000-01-01", "to", "date attendue"),
        ("to=9999-12-31", "to", "Date trop lointaine"),
        (
            "from=1900-01-01&to=2026-05-01",
            "from",
            "commencent en 1970",
        ),
        (
            "from=1970-01-01&to=2026-05-01",
            "from",
            "au plus 400 mois (33 ans) : commencez au plus tôt le 01/02/1993",
        ),
    ] {
        let (status, body) = s.admin.page(&format!("/statistics?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body.contains(message), "{query}: {message}");
        assert!(
            body.contains(&format!(r#"aria-describedby="s-{field}-err""#)),
            "{query}: {field} marked"
        );
        let r = s
            .admin
            .get(&format!("/statistics/export?table=periods&{query}"))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "export {query}");
    }
    // An unknown merchant number is a 404, like another merchant's.
    let (status, _) = s.admin.page("/statistics?merchant=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn three_years_by_day_are_grouped_by_week_with_a_note_saying_so() {
    let s = setup().await;
    let (status, body) = s
        .admin
        .page("/statistics?from=2023-06-01&to=2026-05-31&by=day")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("regroupée par semaine plutôt que par jour"));
    let periods = table_in(&body, "periods");
    assert!(periods.rows.len() <= 400 && periods.rows.len() > 150);
    let total: u64 = periods
        .rows
        .iter()
        .map(|(r, _)| r[1].parse::<u64>().unwrap())
        .sum();
    let want = s
        .rows
        .iter()
        .filter(|t| t.operation != Operation::ThreeDSecure)
        .count();
    assert_eq!(total, want as u64);
    let (_, body) = s
        .admin
        .page("/statistics?from=2023-06-01&to=2026-05-31")
        .await;
    assert!(
        !body.contains("plutôt que"),
        "3 years are shown by week by default: no note"
    );
}

#[tokio::test]
async fn on_a_390_px_phone_the_screen_reads_without_sideways_scroll() {
    let s = setup().await;
    let boss = s.app.user("boss", guichet::domain::user::Role::Admin);
    let secret = s.app.enrol(boss.id);
    let Some(b) = crate::support::browser::start().await else {
        return;
    };
    let p = b.page(&s.app.base);
    let now = guichet::clock::Clock::now(&s.app.clock).unix_timestamp();
    p.sign_in_with_code("boss", &secret, now).await;
    p.c.set_window_size(390, 844).await.unwrap();
    p.goto(&format!(
        "/statistics?from=2026-05-01&to=2026-05-31&merchant={}",
        s.m1
    ))
    .await;
    p.wait_for("#table-periods tbody tr").await;
    let inner = p.js("return window.innerWidth;").await.as_f64().unwrap();
    assert!(inner <= 400.0, "the window is a phone's: {inner}");
    for section in [
        "#stat-periods",
        "#stat-brands",
        "#stat-terminals",
        "#stats-period",
    ] {
        p.js(&format!(
            "document.querySelector('{section}').scrollIntoView();"
        ))
        .await;
        assert_eq!(
            p.js("return document.documentElement.scrollWidth <= window.innerWidth;")
                .await,
            true,
            "sideways scroll at 390 px near {section}"
        );
    }
    // Rows are stacked cards within the screen.
    let right = p
        .js("return Math.max(...[...document.querySelectorAll('table.stats tbody tr')].map(tr => tr.getBoundingClientRect().right));")
        .await
        .as_f64()
        .unwrap();
    assert!(right <= inner, "a card overflows: {right} > {inner}");
    b.screenshot("target/screenshots/statistics-390.png").await;
    p.c.set_window_size(1366, 900).await.unwrap();
    p.goto(&format!(
        "/statistics?from=2026-05-01&to=2026-05-31&by=week&merchant={}",
        s.m1
    ))
    .await;
    p.wait_for("#table-periods tbody tr").await;
    b.screenshot("target/screenshots/statistics-1366.png").await;
    p.js("document.querySelector('#stat-periods table').scrollIntoView();")
        .await;
    b.screenshot("target/screenshots/statistics-1366-tables.png")
        .await;
    b.close().await;
}
