//! Reading pages: the CSRF token, form fields, one-time codes and keys, the
//! transaction list (ids, pager info, links), the detail's `<dd>`, htmx answers.

use guichet::domain::totp;
use reqwest::StatusCode;

use crate::support::Client;

/// The CSRF token in a page (`<meta name="csrf-token" content="...">`).
pub fn token_in(body: &str) -> String {
    let marker = r#"name="csrf-token" content=""#;
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a csrf token");
    body[start..start + 64].to_string()
}

/// The text of the one-time password shown in a page.
pub fn otp_in(body: &str) -> String {
    let marker = r#"<code class="secret" id="otp">"#;
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page shows a one-time password");
    body[start..].split('<').next().unwrap().to_string()
}

/// Query-string encoding of one value.
pub fn urlencode(s: &str) -> String {
    let e = serde_urlencoded::to_string([("", s)]).unwrap();
    e[1..].to_string()
}

/// The value of the form field `name` in a page (`name="x" value="..."`).
pub fn field_in(body: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = body
        .find(&marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("page has a field {name}"));
    body[start..].split('"').next().unwrap().to_string()
}

/// The TOTP secret shown (base32) on the enrolment page.
pub fn secret_in(body: &str) -> Vec<u8> {
    let marker = r#"<code class="secret" id="totp-secret">"#;
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page shows a TOTP key");
    let key = body[start..].split('<').next().unwrap();
    totp::secret_from_base32(key).expect("a base32 key")
}

/// The recovery codes listed on the page shown after enrolment.
pub fn recovery_codes_in(body: &str) -> Vec<String> {
    let start = body.find(r#"id="recovery-codes""#).expect("recovery codes");
    let list = body[start..].split("</ul>").next().unwrap();
    list.split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect()
}

/// The `<dd>` after the `<dt>` named `label`.
pub(crate) fn dd(page: &str, label: &str) -> String {
    let marker = format!("<dt>{label}</dt><dd>");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {label}")) + marker.len();
    page[start..start + page[start..].find("</dd>").unwrap()].to_string()
}

/// The list as one page shows it.
pub(crate) struct Listing {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
    pub(crate) ids: Vec<u64>,
    pub(crate) info: String,
}

impl Listing {
    /// The total of `Affichage de l'élément 1 à 10 sur 1 853 éléments`.
    pub(crate) fn total(&self) -> u64 {
        if self.info == "Aucun élément" {
            return 0;
        }
        let tail = self
            .info
            .rsplit(" sur ")
            .next()
            .unwrap()
            .trim_end_matches(" éléments")
            .trim_end_matches(" élément");
        tail.replace(' ', "")
            .parse()
            .unwrap_or_else(|_| panic!("no total in {:?}", self.info))
    }
}

/// The transaction ids of the table, in the order shown.
pub(crate) fn ids_in(body: &str) -> Vec<u64> {
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
pub(crate) fn info_in(body: &str) -> String {
    let marker = r#"id="pager-info">"#;
    body.find(marker)
        .map(|i| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .unwrap_or_default()
}

pub(crate) fn list_url(pairs: &[(&str, String)]) -> String {
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

/// The `href` of the pager link with `rel`, unescaped.
pub(crate) fn link(body: &str, rel: &str) -> Option<String> {
    let marker = format!(r#"rel="{rel}""#);
    let at = body.find(&marker)?;
    let tag_start = body[..at].rfind("<a ")?;
    let tag = &body[tag_start..at];
    let start = tag.find(r#"href=""#)? + 6;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// GET `path`, as htmx does when `htmx`: the status, the `Vary` header and the body.
pub(crate) async fn get_htmx(c: &Client, path: &str, htmx: bool) -> (StatusCode, String, String) {
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
