//! Downloading an export: status, content type, file name and body.

use reqwest::StatusCode;

use crate::support::Client;

pub(crate) const FORMATS: [&str; 7] = ["csv", "json", "xml", "html", "txt", "xlsx", "csv-excel-fr"];

/// The app clock's day, the default period.
const TODAY: &str = "2026-06-01";

pub(crate) struct Download {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) disposition: String,
    pub(crate) body: Vec<u8>,
    /// The first and last day asked for (today when not given).
    pub(crate) period: (String, String),
}

impl Download {
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("text exports are UTF-8")
    }
}

pub(crate) fn export_url(format: &str, scope: &str, pairs: &[(&str, String)]) -> String {
    let mut all: Vec<(&str, String)> = vec![("format", format.into()), ("scope", scope.into())];
    all.extend(pairs.iter().cloned());
    format!(
        "/transactions/export?{}",
        serde_urlencoded::to_string(&all).unwrap()
    )
}

pub(crate) async fn download(
    c: &Client,
    format: &str,
    scope: &str,
    pairs: &[(&str, String)],
) -> Download {
    let url = export_url(format, scope, pairs);
    let r = c.get(&url).await;
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (status, content_type, disposition) = (
        r.status(),
        header("content-type"),
        header("content-disposition"),
    );
    let body = r.bytes().await.unwrap().to_vec();
    let day = |name: &str, default: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(default.to_string(), |(_, v)| v.chars().take(10).collect())
    };
    let from = day("from", TODAY);
    // Without an end, the period ends today; without a start, it starts today.
    let to = day("to", TODAY);
    Download {
        status,
        content_type,
        disposition,
        body,
        period: (from, to),
    }
}

pub(crate) fn content_type(format: &str) -> &'static str {
    match format {
        "csv" | "csv-excel-fr" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => unreachable!(),
    }
}

/// The file's extension for a `format=` value.
pub(crate) fn extension(format: &str) -> &str {
    match format {
        "csv-excel-fr" => "csv",
        other => other,
    }
}

/// Checks status, content type and file name (the period asked for).
pub(crate) fn assert_file(d: &Download, format: &str) {
    assert_eq!(
        d.status,
        StatusCode::OK,
        "{format}: {}",
        String::from_utf8_lossy(&d.body)
    );
    assert_eq!(d.content_type, content_type(format), "{format}");
    assert_eq!(
        d.disposition,
        format!(
            "attachment; filename=\"transactions_{}_{}.{}\"",
            d.period.0,
            d.period.1,
            extension(format)
        ),
        "{format}"
    );
}

/// Every export of `pairs` (scope=all) by `c`, checked for status, type and name.
pub(crate) async fn every_format(
    c: &Client,
    pairs: &[(&str, String)],
) -> Vec<(&'static str, Download)> {
    let mut out = Vec::new();
    for format in FORMATS {
        let d = download(c, format, "all", pairs).await;
        assert_file(&d, format);
        out.push((format, d));
    }
    out
}
