//! Callbacks to the shop (Connect2Pay §7, issue 13): which URLs a merchant may give,
//! which addresses a callback may reach, when a failed delivery is tried again, what
//! answer acknowledges it, and the signature in its extra headers. Pure: the time is
//! always passed in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The longest callback or redirect URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Checks a `ctrlCallbackURL` or `ctrlRedirectURL`: an absolute http(s) URL of at
/// most 2048 characters, with a host and no user name or password. The error is the
/// reason in French and in English. Where the host points is checked when the
/// callback is sent (see [`forbidden_address`]), not here.
pub fn check_url(s: &str) -> Result<(), (String, String)> {
    let refuse = |fr: &str, en: &str| Err((fr.to_string(), en.to_string()));
    if s.is_empty() {
        return refuse("L'URL est vide.", "The URL is empty.");
    }
    if s.chars().count() > MAX_URL_LEN {
        return refuse(
            "L'URL dépasse 2048 caractères.",
            "The URL is longer than 2048 characters.",
        );
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse(
            "L'URL contient des espaces ou des caractères de contrôle.",
            "The URL holds spaces or control characters.",
        );
    }
    // The URL parser forgives `http:host` and `http:///host`: the shop's URL must
    // say what it means.
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return refuse(
            "L'URL doit commencer par http:// ou https://.",
            "The URL must start with http:// or https://.",
        );
    };
    if rest.is_empty() || rest.starts_with(['/', '\\']) {
        return refuse("L'URL n'a pas de nom d'hôte.", "The URL has no host name.");
    }
    let Ok(url) = url::Url::parse(s) else {
        return refuse(
            "L'URL n'est pas une adresse web complète (http:// ou https://…).",
            "The URL is not a full web address (http:// or https://…).",
        );
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return refuse(
            "L'URL doit commencer par http:// ou https://.",
            "The URL must start with http:// or https://.",
        );
    }
    if url.host_str().is_none_or(str::is_empty) {
        return refuse("L'URL n'a pas de nom d'hôte.", "The URL has no host name.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse(
            "L'URL ne doit pas contenir d'identifiant ni de mot de passe.",
            "The URL must not hold a user name or a password.",
        );
    }
    Ok(())
}

/// Why a callback may not reach `ip`, or `None` when it may: loopback, private
/// (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10, with the cloud metadata
/// addresses 169.254.169.254 and fd00:ec2::254), unspecified, multicast, broadcast,
/// shared (CGNAT 100.64/10) and reserved ranges, and the same behind an IPv4-mapped
/// or IPv4-compatible IPv6 address.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return forbidden_v4(v4);
            }
            forbidden_v6(v6)
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip == Ipv4Addr::new(169, 254, 169, 254) {
        "cloud metadata address"
    } else if ip.is_loopback() {
        "loopback address"
    } else if ip.is_private() {
        "private address"
    } else if ip.is_link_local() {
        "link-local address"
    } else if ip.is_unspecified() || a == 0 {
        "unspecified address"
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        "multicast, broadcast or reserved address"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (CGNAT) address"
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        "IETF protocol assignment address"
    } else if a == 198 && (b == 18 || b == 19) {
        "benchmarking address"
    } else {
        return None;
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(
        if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
            "cloud metadata address"
        } else if ip.is_loopback() {
            "loopback address"
        } else if ip.is_unspecified() {
            "unspecified address"
        } else if first & 0xfe00 == 0xfc00 {
            "private address"
        } else if first & 0xffc0 == 0xfe80 || first & 0xffc0 == 0xfec0 {
            "link-local address"
        } else if ip.is_multicast() {
            "multicast address"
        } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
            // NAT64 (64:ff9b::/96) reaches whatever IPv4 address it embeds.
            let o = ip.octets();
            return forbidden_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
        } else {
            return None;
        },
    )
}

/// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible
/// (::a.b.c.d) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    (s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1)).then(|| {
        let o = ip.octets();
        Ipv4Addr::new(o[12], o[13], o[14], o[15])
    })
}

/// A URL host as the allow-list compares it: lower case, without the brackets of
/// an IPv6 literal, without a trailing dot.
pub fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Whether `host` is one an admin allowed (`--callback-allow-host`): callbacks to it
/// skip the address check (a shop on the appliance's own network).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = normalize_host(host);
    allowed.iter().any(|a| normalize_host(a) == host)
}

/// Seconds to wait after failed attempt `n` (1-based): 10 s, 30 s, 2 min, 10 min,
/// 30 min, 1 h, then every hour.
pub fn retry_delay(n: usize) -> i64 {
    const STEPS: [i64; 6] = [10, 30, 120, 600, 1800, 3600];
    STEPS.get(n.saturating_sub(1)).copied().unwrap_or(3600)
}

/// After this long (from its creation) a callback still not acknowledged is given up.
pub const GIVE_UP_AFTER: i64 = 3 * 86_400;

/// When to try again after failed attempt `n` made at `at`, for a callback created
/// at `created_at`; `None`: give up (the next try would come after three days).
pub fn next_try(created_at: i64, at: i64, n: usize) -> Option<i64> {
    let next = at.saturating_add(retry_delay(n));
    (next <= created_at.saturating_add(GIVE_UP_AFTER)).then_some(next)
}

/// Whether the shop's answer acknowledges the callback (§7): a JSON answer whose
/// `status` is `OK` does; one with another `status` (`KO`…) does not; a 2xx answer
/// that is not the JSON structure (not JSON, no `status`) does — the protocol counts
/// a 20x as acknowledged then. Only the first JSON value counts, so the PHP example's
/// `{"status":"OK",…}{"status":"KO",…}` is acknowledged. Any other HTTP status fails.
/// The error says why, for the attempt's record.
pub fn acknowledged(http_status: u16, body: &[u8]) -> Result<(), String> {
    if !(200..300).contains(&http_status) {
        return Err(format!("HTTP {http_status}"));
    }
    let first = serde_json::Deserializer::from_slice(body)
        .into_iter::<serde_json::Value>()
        .next();
    let Some(Ok(serde_json::Value::Object(answer))) = first else {
        return Ok(());
    };
    match answer.get("status") {
        None => Ok(()),
        Some(serde_json::Value::String(s)) if s.trim().eq_ignore_ascii_case("OK") => Ok(()),
        Some(status) => {
            let status = match status {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let message = answer
                .get("message")
                .and_then(serde_json::Value::as_str)
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            Err(crate::domain::text::log_safe_max(
                &format!("the shop answered status {status}{message}"),
                300,
            ))
        }
    }
}

/// An attempt's error (stored in English, as the worker wrote it) in the reader's
/// language: the known shapes are translated, anything else is shown as written.
pub fn error_words(error: &str, lang: crate::domain::Lang) -> String {
    use crate::domain::Lang;
    if lang == Lang::En {
        return error.to_string();
    }
    const ALLOW: &str = " (an admin may allow the host with --callback-allow-host)";
    let why_fr = |why: &str| -> String {
        match why {
            "cloud metadata address" => "adresse de métadonnées cloud",
            "loopback address" => "adresse de bouclage (loopback)",
            "private address" => "adresse privée",
            "link-local address" => "adresse lien-local",
            "unspecified address" => "adresse non spécifiée",
            "multicast, broadcast or reserved address" => {
                "adresse multicast, de diffusion ou réservée"
            }
            "multicast address" => "adresse multicast",
            "shared (CGNAT) address" => "adresse partagée (CGNAT)",
            "IETF protocol assignment address" => "adresse réservée à l'IETF",
            "benchmarking address" => "adresse réservée aux tests de performance",
            other => return other.to_string(),
        }
        .to_string()
    };
    let allow_fr = " (un administrateur peut autoriser cet hôte avec --callback-allow-host)";
    if let Some(rest) = error.strip_prefix("refused: ") {
        let core = rest.strip_suffix(ALLOW);
        let tail = if core.is_some() { allow_fr } else { "" };
        let core = core.unwrap_or(rest);
        if let Some((host, after)) = core.split_once(" resolves to ")
            && let Some((ip, why)) = after.split_once(", a ")
        {
            return format!("refusée : {host} désigne {ip}, {}{tail}", why_fr(why));
        }
        if let Some((ip, why)) = core.split_once(" is a ") {
            return format!("refusée : {ip} est une {}{tail}", why_fr(why));
        }
        return format!("refusée : {core}{tail}");
    }
    if let Some(rest) = error.strip_prefix("the shop answered status ") {
        return format!("la boutique a répondu {}", rest.replacen(": ", " : ", 1));
    }
    if let Some(rest) = error.strip_prefix("no answer within ") {
        let secs = rest.split(' ').next().unwrap_or(rest);
        return format!("pas de réponse en {secs} s");
    }
    if let Some(rest) = error.strip_prefix("cannot connect: ") {
        let lower = rest.to_ascii_lowercase();
        let known = if lower.contains("connection refused") {
            Some("la boutique refuse la connexion")
        } else if lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("no address")
        {
            Some("nom d'hôte introuvable")
        } else if lower.contains("timed out") {
            Some("délai dépassé")
        } else if lower.contains("certificate") {
            Some("certificat HTTPS refusé")
        } else {
            None
        };
        return match known {
            Some(k) => format!("connexion impossible : {k}"),
            None => format!("connexion impossible : {rest}"),
        };
    }
    if let Some(rest) = error.strip_prefix("the request failed: ") {
        return format!("échec de l'envoi : {rest}");
    }
    error.to_string()
}

/// The header with the signing time (unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Guichet-Timestamp";
/// The header with the signature: `v1=` and the hex HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "X-Guichet-Signature";
/// The header with the callback's id (the same on every retry: a shop can drop
/// a delivery it already recorded).
pub const ID_HEADER: &str = "X-Guichet-Callback-Id";

/// The signature header's value: `v1=` followed by the lower-case hex of
/// HMAC-SHA256 keyed with the merchant's secret (its characters as bytes) over
/// `timestamp`, a dot and the body, exactly as sent.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1=");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Where a callback stands.
/// Stored: the discriminants are the on-disk order (see `db::codec`); never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum CallbackState {
    /// Waiting for its (next) attempt.
    Pending = 0,
    /// The shop acknowledged it.
    Delivered = 1,
    /// Not acknowledged within three days of back-off.
    GivenUp = 2,
}

impl CallbackState {
    pub fn label(self, lang: crate::domain::Lang) -> &'static str {
        match self {
            CallbackState::Pending => lang.pick("en attente", "pending"),
            CallbackState::Delivered => lang.pick("acquitté", "acknowledged"),
            CallbackState::GivenUp => lang.pick("abandonné", "given up"),
        }
    }
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    /// Unix seconds when it started.
    pub at: i64,
    /// The HTTP status the shop answered, if it answered.
    pub http_status: Option<u16>,
    /// Why it failed; `None`: acknowledged.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub millis: u32,
}

/// A callback: the status body POSTed to the shop's URL, its state and attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub id: u64,
    pub merchant_id: u64,
    /// The payment (request) it reports on.
    pub request_id: u64,
    pub url: String,
    pub body: String,
    /// Unix seconds.
    pub created_at: i64,
    pub state: CallbackState,
    /// When the next attempt is due (unix seconds), while pending.
    pub next_at: i64,
    pub attempts: Vec<CallbackAttempt>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_with_a_host_and_no_credentials_are_accepted() {
        for ok in [
            "https://shop.example.com/callback",
            "http://shop.example.com:8080/c?x=1",
            "http://127.0.0.1:9000/cb",
            "https://[2001:db8::1]/cb",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "shop.example.com/callback",
            "/callback",
            "ftp://shop.example.com/c",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@shop.example.com/c",
            "https://user@shop.example.com/c",
            "http:///c",
            "http:shop.example.com/c",
            "http:\\\\shop.example.com",
            "https://shop.example.com/a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let long = format!("https://shop.example.com/{}", "a".repeat(2030));
        assert!(check_url(&long).is_err());
        let (fr, en) = check_url("ftp://x").unwrap_err();
        assert!(fr.contains("http://") && en.contains("http://"));
    }

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(forbidden_address(ip).is_some(), "{bad}");
        }
        for ok in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            let ip: IpAddr = ok.parse().unwrap();
            assert_eq!(forbidden_address(ip), None, "{ok}");
        }
        assert_eq!(
            forbidden_address("169.254.169.254".parse().unwrap()),
            Some("cloud metadata address")
        );
    }

    #[test]
    fn allowed_hosts_compare_without_case_brackets_or_trailing_dot() {
        let allowed = vec!["Shop.Local".to_string(), "[::1]".to_string()];
        assert!(host_allowed("shop.local.", &allowed));
        assert!(host_allowed("::1", &allowed));
        assert!(host_allowed("[::1]", &allowed));
        assert!(!host_allowed("127.0.0.1", &allowed));
    }

    #[test]
    fn retries_back_off_then_come_hourly_and_stop_after_three_days() {
        let delays: Vec<i64> = (1..=8).map(retry_delay).collect();
        assert_eq!(delays, [10, 30, 120, 600, 1800, 3600, 3600, 3600]);
        assert_eq!(next_try(0, 0, 1), Some(10));
        let mut at = 0;
        let mut n = 0;
        while let Some(next) = next_try(0, at, n + 1) {
            at = next;
            n += 1;
        }
        assert!(at <= GIVE_UP_AFTER && at > GIVE_UP_AFTER - 3600, "{at}");
        assert!((70..80).contains(&n), "{n} retries");
    }

    #[test]
    fn a_json_ok_acknowledges_a_ko_fails_and_a_non_json_2xx_acknowledges() {
        assert_eq!(
            acknowledged(200, br#"{"status":"OK","message":"ok"}"#),
            Ok(())
        );
        let ko = acknowledged(200, br#"{"status":"KO","message":"db down"}"#).unwrap_err();
        assert_eq!(ko, "the shop answered status KO: db down");
        assert!(acknowledged(200, br#"{"status":"Pending"}"#).is_err());
        assert!(acknowledged(200, br#"{"status":1}"#).is_err());
        // The PHP example answers two objects back to back.
        assert_eq!(
            acknowledged(
                200,
                br#"{"status":"OK","message":"a"}{"status":"KO","message":"b"}"#
            ),
            Ok(())
        );
        assert!(acknowledged(200, br#"{"status":"KO"}{"status":"OK"}"#).is_err());
        assert_eq!(acknowledged(200, b"thanks"), Ok(()));
        assert_eq!(acknowledged(204, b""), Ok(()));
        assert_eq!(acknowledged(200, b"[1,2]"), Ok(()));
        assert_eq!(acknowledged(200, br#"{"ok":true}"#), Ok(()));
        assert_eq!(
            acknowledged(500, br#"{"status":"OK"}"#),
            Err("HTTP 500".into())
        );
        assert_eq!(acknowledged(302, b""), Err("HTTP 302".into()));
    }

    #[test]
    fn attempt_errors_read_in_french() {
        use crate::domain::Lang;
        let fr = |e: &str| error_words(e, Lang::Fr);
        assert_eq!(
            fr(
                "refused: localhost resolves to 127.0.0.1, a loopback address (an admin may allow the host with --callback-allow-host)"
            ),
            "refusée : localhost désigne 127.0.0.1, adresse de bouclage (loopback) (un administrateur peut autoriser cet hôte avec --callback-allow-host)"
        );
        assert_eq!(
            fr(
                "refused: 10.0.0.1 is a private address (an admin may allow the host with --callback-allow-host)"
            ),
            "refusée : 10.0.0.1 est une adresse privée (un administrateur peut autoriser cet hôte avec --callback-allow-host)"
        );
        assert_eq!(
            fr("the shop answered status KO: unknown order"),
            "la boutique a répondu KO : unknown order"
        );
        assert_eq!(
            fr("no answer within 10 s: operation timed out"),
            "pas de réponse en 10 s"
        );
        assert_eq!(fr("HTTP 500"), "HTTP 500");
        assert_eq!(error_words("HTTP 500", Lang::En), "HTTP 500");
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_a_dot_and_the_body() {
        // Same as: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign("secret", 1_700_000_000, br#"{"a":1}"#),
            "v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        let s = sign("secret", 1_700_000_000, br#"{"a":1}"#);
        assert!(s.starts_with("v1=") && s.len() == 67);
        assert_ne!(s, sign("secret", 1_700_000_001, br#"{"a":1}"#));
        assert_ne!(s, sign("other", 1_700_000_000, br#"{"a":1}"#));
    }
}
