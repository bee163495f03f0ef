//! A real public client, unchanged: PyPI's `payzone` 0.1.1 (the Payzone Python
//! client, API 002, flat fields, no Content-Type), installed by `make test` in the
//! `.venv-smtp` virtualenv. It prepares, its customer pays on the page, it reads
//! the status; its missing-field error is the one it knows.

use std::path::Path;

use serde_json::Value;

use super::shop;
use crate::fixtures::payments::pay;
use crate::support::spawn_app;

/// Runs `script` with the venv's Python and `args`; returns its standard output.
async fn python(script: &str, args: &[&str]) -> String {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-smtp/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run `make test` (it installs payzone)",
        py.display()
    );
    let (script, args): (String, Vec<String>) =
        (script.into(), args.iter().map(|a| a.to_string()).collect());
    // Off the async threads: the server under test runs on them.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(py)
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const PREPARE: &str = r#"
import json, sys
from payzone.client import PayZoneClient
from payzone import exceptions
t = PayZoneClient(sys.argv[1], sys.argv[2], payment_base=sys.argv[3]).transaction
r = t.prepare(customerIP="203.0.113.9", orderID="PZ-1", amount=1500, shippingType="Virtual",
              paymentType="CreditCard", ctrlRedirectURL="http://shop.example/back",
              shopperEmail="omar@example.ma")
print(json.dumps(r))
try:
    t.prepare(amount=1500, shippingType="Virtual")
    print(json.dumps({"missing": None}))
except exceptions.MissingParameterError as e:
    print(json.dumps({"missing": str(e)}))
"#;

const STATUS: &str = r#"
import json, sys
from payzone.client import PayZoneClient
t = PayZoneClient(sys.argv[1], sys.argv[2], payment_base=sys.argv[3]).transaction
print(json.dumps(t.status(merchant_token=sys.argv[4])))
"#;

#[tokio::test]
async fn the_payzone_python_client_prepares_and_reads_a_paid_status_unchanged() {
    let app = spawn_app().await;
    let s = shop(&app, "Atlas");
    let out = python(PREPARE, &[&s.originator, &s.password, &app.base]).await;
    let mut lines = out.lines();
    let prepared: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(prepared["code"], "200", "{prepared}");
    let missing: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert!(
        missing["missing"]
            .as_str()
            .is_some_and(|m| m.contains("order.id")),
        "{missing}"
    );
    let mt = prepared["merchantToken"].as_str().unwrap();
    let ct = prepared["customerToken"].as_str().unwrap();
    pay(&app.client(), ct, "4111111111111111", "").await;
    let out = python(STATUS, &[&s.originator, &s.password, &app.base, mt]).await;
    let status: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(status["status"], "Authorized", "{status}");
    assert_eq!(status["errorCode"], "000");
    assert_eq!(status["orderID"], "PZ-1");
    assert_eq!(status["apiVersion"], "002");
    assert_eq!(status["amount"], 1500);
}
