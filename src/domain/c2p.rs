//! The merchant API's protocol (Connect2Pay, `../shared/spec/connect2pay.md`): what a
//! shop's `POST /payment/prepare` means for Guichet, read leniently as the public
//! clients send it (nested 002.7x layout or the older flat one, ids as numbers or
//! strings, enum values in any case), and the protocol's error answers. Pure.
//!
//! Only card payments exist here: other payment methods, subscriptions and
//! recurring modes are answered with an error naming what is not supported.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Lang;
use super::countries;
use super::money::{Amount, Currency};
use super::request_form::{RequestInput, valid_email};
use super::transaction::{Operation, Party};

/// The API version answered when a call names none.
pub const DEFAULT_API_VERSION: &str = "002.73";
/// The largest amount the protocol's clients send (JAVA: 999 999 999).
pub const MAX_AMOUNT: i64 = 999_999_999;
/// How long a prepared payment waits when `timeOut` is not given.
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 86_400;
/// The longest `timeOut` accepted (30 days, as the virtual terminal's links).
pub const MAX_TIMEOUT_SECONDS: i64 = 30 * 86_400;
/// The longest URL or custom data accepted.
pub const MAX_URL: usize = 2_048;

/// A protocol error: the `code` (a string, as every client compares it) and a
/// message in English (the API's language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// `400`: a bad value, or something this server does not support.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "400",
            message: message.into(),
        }
    }

    /// `401`: a mandatory field is missing (PZ raises `MissingParameterError`).
    pub fn missing(field: &str) -> ApiError {
        ApiError {
            code: "401",
            message: format!("Missing mandatory parameter: {field}"),
        }
    }

    /// `402`: the body is not a JSON object.
    pub fn json(detail: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: "402",
            message: format!("JSON error: {detail}"),
        }
    }

    /// The JSON answer `{"code":…,"message":…}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({"code": self.code, "message": self.message})
    }
}

/// What an API payment keeps beside its payment request: who prepared it, in which
/// protocol version, where to send the customer and the notification, and the
/// shop's own fields to echo back. Stored: never reorder or remove fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiPayment {
    pub request_id: u64,
    /// The API credential's originator that prepared it.
    pub originator: String,
    pub api_version: String,
    pub redirect_url: String,
    pub callback_url: String,
    pub custom_data: String,
    /// The `order` object as echoed back (valid scalar fields only), JSON text.
    pub order: String,
    /// The `shopper` object as echoed back, JSON text.
    pub shopper: String,
    /// The `shipping` object as echoed back, JSON text.
    pub shipping: String,
    /// `Single` or `OnShipping`.
    pub payment_mode: String,
    /// The shop asked for 3-D Secure.
    pub secure3d: bool,
}

/// The way back to the shop once an API payment has ended (spec §6): a form the
/// customer's browser posts to `url` with `data` (the encrypted status) and
/// `customer` (the customer token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShopReturn {
    pub url: String,
    pub data: String,
    pub customer: String,
}

impl ShopReturn {
    /// The origin the form posts to (`https://shop.example:8443`), for the page's
    /// Content-Security-Policy `form-action`.
    pub fn origin(&self) -> &str {
        let scheme_end = self.url.find("://").map_or(0, |i| i + 3);
        let end = self.url[scheme_end..]
            .find(['/', '?', '#'])
            .map_or(self.url.len(), |i| scheme_end + i);
        &self.url[..end]
    }
}

/// A prepare request, read: the payment request to create and its API record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepare {
    pub input: RequestInput,
    /// How long the customer may pay, in seconds (`timeOut`).
    pub timeout_seconds: i64,
    pub api: ApiPayment,
}

/// A JSON value as text: strings as they are, numbers written out (ids may arrive
/// as numbers), anything else absent.
fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The object `name` of `o` (empty when absent or not an object).
fn object<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a Map<String, Value>> {
    o.get(name).and_then(Value::as_object)
}

/// A text field, cut to `max` characters (the clients truncate too).
fn field(o: Option<&Map<String, Value>>, name: &str, max: usize) -> String {
    text_of(o.and_then(|o| o.get(name)))
        .unwrap_or_default()
        .chars()
        .take(max)
        .collect()
}

/// Reads the body of a `POST /payment/prepare` (or `/transaction/prepare`).
pub fn parse_prepare(body: &[u8], originator: &str) -> Result<Prepare, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(ApiError::json)?;
    let Value::Object(o) = value else {
        return Err(ApiError::json("the body is not a JSON object"));
    };
    let o = &o;
    let top = Some(o);
    let api_version = match text_of(o.get("apiVersion")) {
        Some(v) if v.len() > 8 => return Err(ApiError::bad("apiVersion: at most 8 characters")),
        Some(v) if !v.is_empty() => v,
        _ => DEFAULT_API_VERSION.to_string(),
    };
    // Card payments only.
    for name in ["paymentMethod", "paymentType"] {
        if let Some(m) = text_of(o.get(name))
            && !m.is_empty()
            && !m.eq_ignore_ascii_case("CreditCard")
        {
            return Err(ApiError::bad(format!(
                "{name} {m} is not supported: only CreditCard"
            )));
        }
    }
    let payment_mode = match text_of(o.get("paymentMode")) {
        None => "Single".to_string(),
        Some(m) if m.is_empty() || m.eq_ignore_ascii_case("single") => "Single".into(),
        Some(m) if m.eq_ignore_ascii_case("onshipping") => "OnShipping".into(),
        Some(m) => {
            return Err(ApiError::bad(format!(
                "paymentMode {m} is not supported: subscriptions and instalments are not available, use Single"
            )));
        }
    };
    for name in [
        "offerID",
        "subscriptionType",
        "rebillPeriod",
        "rebillMaxIteration",
    ] {
        if o.get(name).is_some_and(|v| !v.is_null()) {
            return Err(ApiError::bad(format!(
                "{name} is not supported: subscriptions are not available"
            )));
        }
    }
    let amount = amount(o.get("amount"), "amount")?;
    let currency = match text_of(o.get("currency")) {
        None => return Err(ApiError::missing("currency")),
        Some(c) if c.is_empty() => return Err(ApiError::missing("currency")),
        // Any ISO 4217 currency with minor units; whether the merchant accepts it is
        // checked against its settings.
        Some(c) => Currency::parse(&c.to_ascii_uppercase()).ok_or_else(|| {
            ApiError::bad(format!(
                "currency {c} is not accepted: not an ISO 4217 currency code (e.g. MAD, EUR, TND)"
            ))
        })?,
    };
    let operation = match text_of(o.get("operation")) {
        None => Operation::Sale,
        Some(op) if op.is_empty() || op.eq_ignore_ascii_case("sale") => Operation::Sale,
        Some(op) if op.eq_ignore_ascii_case("authorize") => Operation::Authorization,
        Some(op) => {
            return Err(ApiError::bad(format!(
                "operation {op} is not supported: sale or authorize"
            )));
        }
    };
    let order = object(o, "order");
    let shopper = object(o, "shopper");
    let shipping = object(o, "shipping");
    // The nested 002.7x fields, else the flat ones of 002 … 002.62 (spec §3.6).
    let pick = |nested: Option<&Map<String, Value>>, name: &str, flat: &str, max: usize| {
        let v = field(nested, name, max);
        if v.is_empty() {
            field(top, flat, max)
        } else {
            v
        }
    };
    let order_id = pick(order, "id", "orderID", 101);
    if order_id.is_empty() {
        return Err(ApiError::missing("order.id"));
    }
    if order_id.chars().count() > 100 {
        return Err(ApiError::bad("order.id: at most 100 characters"));
    }
    let description = pick(order, "description", "orderDescription", 500);
    let first = pick(shopper, "firstName", "shopperFirstName", 35);
    let last = pick(shopper, "lastName", "shopperLastName", 35);
    let name = match (first.is_empty(), last.is_empty()) {
        (true, true) => pick(shopper, "name", "shopperName", 80),
        _ => format!("{first} {last}").trim().to_string(),
    };
    let email = pick(shopper, "email", "shopperEmail", 100);
    if !email.is_empty() && !email.eq_ignore_ascii_case("NA") && !valid_email(&email) {
        return Err(ApiError::bad(format!(
            "shopper.email {email} is not an email address"
        )));
    }
    let country = pick(shopper, "countryCode", "shopperCountryCode", 2);
    let phone = {
        let p = pick(shopper, "homePhone", "shopperPhone", 20);
        if p.is_empty() {
            field(shopper, "mobilePhone", 20)
        } else {
            p
        }
    };
    let birth = pick(shopper, "birthDate", "shopperBirthDate", 8);
    let holder = Party {
        name,
        address: {
            let a = pick(shopper, "address1", "shopperAddress", 50);
            [
                a,
                field(shopper, "address2", 50),
                field(shopper, "address3", 50),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
        },
        postcode: pick(shopper, "zipcode", "shopperZipcode", 16),
        city: pick(shopper, "city", "shopperCity", 50),
        state: pick(shopper, "state", "shopperState", 3),
        country: countries::parse(&country).unwrap_or_default(),
        phone,
        email: if email.eq_ignore_ascii_case("NA") {
            String::new()
        } else {
            email
        },
        birth_date: yyyymmdd(&birth).unwrap_or_default(),
        id_number: pick(shopper, "idNumber", "shopperIDNumber", 32),
    };
    let redirect_url = url(o, "ctrlRedirectURL")?;
    let callback_url = url(o, "ctrlCallbackURL")?;
    let custom_data = match text_of(o.get("ctrlCustomData")) {
        Some(d) if d.chars().count() > MAX_URL => {
            return Err(ApiError::bad("ctrlCustomData: at most 2048 characters"));
        }
        d => d.unwrap_or_default(),
    };
    let timeout_seconds = match text_of(o.get("timeOut")) {
        None => DEFAULT_TIMEOUT_SECONDS,
        Some(t) if t.is_empty() => DEFAULT_TIMEOUT_SECONDS,
        Some(t) => match iso_duration_seconds(&t) {
            Some(s) if (60..=MAX_TIMEOUT_SECONDS).contains(&s) => s,
            _ => {
                return Err(ApiError::bad(format!(
                    "timeOut {t}: an ISO 8601 duration from PT1M to P30D (e.g. P1D, PT2H)"
                )));
            }
        },
    };
    let secure3d = o.get("secure3d").and_then(Value::as_bool).unwrap_or(false);
    Ok(Prepare {
        input: RequestInput {
            operation,
            order_id,
            amount,
            currency,
            description,
            lang: Lang::Fr,
            validity_days: 1,
            holder,
        },
        timeout_seconds,
        api: ApiPayment {
            request_id: 0,
            originator: originator.to_string(),
            api_version,
            redirect_url,
            callback_url,
            custom_data,
            order: echo_order(order, top).to_string(),
            shopper: echo_object(shopper, SHOPPER_FIELDS).to_string(),
            shipping: echo_object(shipping, SHIPPING_FIELDS).to_string(),
            payment_mode,
            secure3d,
        },
    })
}

/// An amount in the currency's minor units (cents of a MAD or EUR, thousandths of a
/// TND, whole JPY): a JSON integer (or a string of digits) from 1 to [`MAX_AMOUNT`].
pub fn amount(v: Option<&Value>, name: &str) -> Result<Amount, ApiError> {
    let n = match v {
        None | Some(Value::Null) => return Err(ApiError::missing(name)),
        // A whole number beyond 64 bits still says "too large", not "not a number".
        Some(Value::Number(n)) if n.as_i64().is_none() && n.as_u64().is_some() => Some(i64::MAX),
        // Beyond 64 bits the parser keeps an exponent form (`1e23`): still a whole
        // number, too large; a fraction keeps its point (`12.5`).
        Some(Value::Number(n))
            if n.is_f64() && {
                let t = n.to_string();
                !t.contains('.') && !t.starts_with('-')
            } =>
        {
            Some(i64::MAX)
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    match n {
        Some(n) if (1..=MAX_AMOUNT).contains(&n) => {
            Amount::from_minor(n).ok_or_else(|| ApiError::bad(format!("{name} is out of range")))
        }
        Some(n) if n < 1 => Err(ApiError::bad(format!(
            "{name} must be a positive whole number of minor units (got {n})"
        ))),
        Some(n) => Err(ApiError::bad(format!(
            "{name} must be at most {MAX_AMOUNT} minor units (got {n})"
        ))),
        None => Err(ApiError::bad(format!(
            "{name} must be a whole number of the currency's minor units (e.g. 1250 for 12.50 MAD, 12345 for 12.345 TND)"
        ))),
    }
}

/// An optional URL field: absolute http(s), at most 2048 characters.
fn url(o: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    let Some(u) = text_of(o.get(name)).filter(|u| !u.is_empty()) else {
        return Ok(String::new());
    };
    check_url(&u).map_err(|why| ApiError::bad(format!("{name}: {why}")))?;
    Ok(u)
}

/// Whether `u` is an absolute http(s) URL (see [`super::callback::check_url`]) whose
/// host is a plain name or address with an optional port: nothing else can slip
/// into the pages and headers it is written in (the payment page's form and its
/// Content-Security-Policy). Why not otherwise, in English.
pub fn check_url(u: &str) -> Result<(), String> {
    super::callback::check_url(u).map_err(|(_, en)| en)?;
    let rest = u.split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, ""),
        Some((h, p)) => (h, p),
        None => (authority, ""),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if !host_ok || !port.chars().all(|c| c.is_ascii_digit()) || port.len() > 5 {
        return Err("The URL's host is not a plain name or address.".into());
    }
    Ok(())
}

/// `YYYYMMDD` as `YYYY-MM-DD` (how birth dates are kept).
fn yyyymmdd(s: &str) -> Option<String> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month = time::Month::try_from(s[4..6].parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(s[..4].parse().ok()?, month, s[6..].parse().ok()?)
        .ok()
        .map(|d| d.to_string())
}

/// An ISO 8601 duration (`P1D`, `PT30M`, `P1M`, `P1W`, `P1DT12H`) in seconds; a
/// month is 30 days, a year 365. `None` when it is not one.
pub fn iso_duration_seconds(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix(['P', 'p'])?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut add = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut digits = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let c = c.to_ascii_uppercase();
            let i = units[next_unit..].iter().position(|(u, _)| *u == c)? + next_unit;
            if digits.is_empty() || digits.len() > 6 {
                return None;
            }
            total = total.checked_add(digits.parse::<i64>().ok()?.checked_mul(units[i].1)?)?;
            digits.clear();
            next_unit = i + 1;
        }
        digits.is_empty().then_some(())
    };
    add(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    if let Some(t) = time {
        add(t, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    Some(total)
}

const SHOPPER_FIELDS: &[&str] = &[
    "id",
    "name",
    "firstName",
    "lastName",
    "address1",
    "address2",
    "address3",
    "zipcode",
    "city",
    "state",
    "countryCode",
    "homePhonePrefix",
    "homePhone",
    "mobilePhonePrefix",
    "mobilePhone",
    "workPhonePrefix",
    "workPhone",
    "email",
    "company",
    "birthDate",
    "idNumber",
];

const SHIPPING_FIELDS: &[&str] = &[
    "name",
    "company",
    "address1",
    "address2",
    "address3",
    "zipcode",
    "city",
    "state",
    "countryCode",
    "phone",
];

/// The scalar fields of `o` among `names`, as strings (ids may arrive as numbers).
fn echo_object(o: Option<&Map<String, Value>>, names: &[&str]) -> Value {
    let mut out = Map::new();
    for name in names {
        if let Some(v) = text_of(o.and_then(|o| o.get(*name))).filter(|v| !v.is_empty()) {
            out.insert(
                (*name).to_string(),
                Value::String(v.chars().take(128).collect()),
            );
        }
    }
    Value::Object(out)
}

/// The `order` echoed back: its id and description, and the coded fields only when
/// their value is one the clients accept (spec §5.1: PHP warns on others).
fn echo_order(order: Option<&Map<String, Value>>, top: Option<&Map<String, Value>>) -> Value {
    let mut out = Map::new();
    let id = {
        let v = field(order, "id", 100);
        if v.is_empty() {
            field(top, "orderID", 100)
        } else {
            v
        }
    };
    out.insert("id".into(), Value::String(id));
    let description = {
        let v = field(order, "description", 500);
        if v.is_empty() {
            field(top, "orderDescription", 500)
        } else {
            v
        }
    };
    if !description.is_empty() {
        out.insert("description".into(), Value::String(description));
    }
    let coded: [(&str, &[&str]); 3] = [
        ("type", &["01", "03", "10", "11", "28"]),
        ("shippingType", &["01", "02", "03", "04", "05", "06", "07"]),
        ("deliveryDelay", &["01", "02", "03", "04"]),
    ];
    for (name, allowed) in coded {
        let v = field(order, name, 2);
        if allowed.contains(&v.as_str()) {
            out.insert(name.into(), Value::String(v));
        }
    }
    for name in ["totalWithoutShipping", "shippingPrice", "discount"] {
        if let Some(n) = order.and_then(|o| o.get(name)).and_then(Value::as_i64) {
            out.insert(name.into(), Value::from(n));
        }
    }
    for name in [
        "campaignName",
        "merchantIdentifier",
        "shopperLoyaltyProgram",
    ] {
        let v = field(order, name, 128);
        if !v.is_empty() {
            out.insert(name.into(), Value::String(v));
        }
    }
    let affiliate = field(order, "affiliateID", 16);
    if !affiliate.is_empty() && affiliate.bytes().all(|b| b.is_ascii_digit()) {
        out.insert("affiliateID".into(), Value::String(affiliate));
    }
    out.insert(
        "recurrence".into(),
        serde_json::json!({"type": "undefined"}),
    );
    Value::Object(out)
}

#[cfg(test)]
#[path = "c2p_tests.rs"]
mod tests;
