//! The card-token key at rest: a stolen data file gives no card number, the key file
//! sits beside a private data file, key rotation, and schema-1 and demo files.

use std::collections::HashSet;

use guichet::db::{Db, Scope, transactions};
use guichet::domain::card::{Pan, luhn_valid, rekey_token, token_key_id};
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::payment::link_hash;
use guichet::domain::transaction::{Operation, StoredCard, Transaction};
use guichet::keys::Keys;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::spawn_app;

/// The attacker of A9: with the data file alone, rebuild the card number behind a
/// stored token by trying every Luhn-valid middle of BIN + last 4 under `key`.
fn recover_pan(card: &StoredCard, key: &[u8]) -> Option<String> {
    let id = token_key_id(&card.token);
    let middle = usize::from(card.pan_len) - 10;
    assert_eq!(middle, 6, "the search is bounded to 16-digit cards");
    (0..1_000_000u32)
        .map(|m| format!("{}{m:06}{}", card.bin, card.last4))
        .filter(|pan| luhn_valid(pan))
        .find(|pan| Pan::parse(pan).unwrap().storage_token(id, key) == card.token)
}

#[tokio::test]
async fn a_stolen_data_file_gives_no_card_number_even_to_a_key_search_of_every_byte() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let cards = ["4111111111111111", "4000000000000002", "4000000000009995"];
    for number in cards {
        let (_, token) = new_request(&c, m, &[]).await;
        pay(&app.client(), &token, number, "").await;
    }
    let stored: Vec<(String, StoredCard)> = app
        .db
        .latest_transactions(Scope::Admin, 100)
        .unwrap()
        .into_iter()
        .filter_map(|t| t.card)
        .filter(|c| !c.token.is_empty())
        .map(|c| {
            let pan = cards
                .iter()
                .find(|n| n.starts_with(&c.bin) && n.ends_with(&c.last4))
                .unwrap();
            (pan.to_string(), c)
        })
        .collect();
    assert_eq!(stored.len(), 2 * cards.len(), "two rows per attempt");

    // The control: handed the real key, the search finds each number, so the test can fail.
    let key = app.db.keys().active_card_key().unwrap().key;
    for (pan, card) in stored.iter().step_by(2) {
        assert_eq!(recover_pan(card, &key).as_deref(), Some(pan.as_str()));
    }

    let data = std::fs::read(app.db.key_file().with_extension("redb")).unwrap();
    assert!(data.len() > 4096);
    // The former places of the secrets are empty.
    for name in ["secret_key", "csrf_key"] {
        let rtx = app.db.begin_read().unwrap();
        let meta = rtx.open_table(guichet::db::tables::META).unwrap();
        assert!(meta.get(name).unwrap().is_none(), "{name} in META");
    }
    // Every 32-byte window of the file as a key. A window that is the key gives the
    // token for the true number (that is what a full search would find); checking the
    // true number under each window bounds the work without weakening the test.
    let windows: HashSet<&[u8]> = data.windows(32).collect();
    for window in windows {
        for (pan, card) in &stored {
            let id = token_key_id(&card.token);
            assert_ne!(
                Pan::parse(pan).unwrap().storage_token(id, window),
                card.token,
                "the card key is in the data file"
            );
        }
    }
    assert!(
        !data.windows(32).any(|w| w == key),
        "the key bytes are not in the data file"
    );
}

#[cfg(unix)]
#[test]
fn the_data_file_and_its_directory_are_private_and_the_key_file_is_beside_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/guichet.redb");
    let db = Db::open(&data).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(db.key_file(), dir.path().join("data/guichet.keys"));
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&data), 0o600);
    assert_eq!(mode(db.key_file()), 0o600);
    drop(db);
    // A data file left readable by others is narrowed at the next start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Db::open(&data).unwrap());
    assert_eq!(mode(&data), 0o600);
}

fn guichet(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .output()
        .unwrap()
}

#[test]
fn a_data_file_without_its_key_file_or_with_another_one_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let keys = dir.path().join("g.keys");
    drop(Db::open(&data).unwrap());
    let kept = dir.path().join("kept.keys");
    std::fs::rename(&keys, &kept).unwrap();
    let d = data.to_str().unwrap();

    let out = guichet(&["check", "--data", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key file") && err.contains("missing"), "{err}");
    assert!(
        !keys.exists(),
        "no new key file is made for an existing data file"
    );

    std::fs::write(&keys, Keys::generate(1, 0).to_text()).unwrap();
    let out = guichet(&["check", "--data", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not belong"), "{err}");

    let out = guichet(&["check", "--data", d, "--key-file", kept.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rotating_the_card_key_rekeys_every_token_and_drops_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let key_file = dir.path().join("elsewhere/card.keys");
    let pan = Pan::parse("4111111111111111").unwrap();
    let (old_key, old_token) = {
        let db = Db::open_keyed(&data, &key_file, guichet::db::CACHE_BYTES).unwrap();
        let k = db.keys().active_card_key().unwrap().clone();
        let token = pan.storage_token(k.id, &k.key);
        let mut rows: Vec<Transaction> = (0..3)
            .map(|i| {
                let mut t = sample_tx(i);
                t.card.as_mut().unwrap().token = token.clone();
                t
            })
            .collect();
        let wtx = db.begin_write().unwrap();
        transactions::insert_many(&wtx, &mut rows).unwrap();
        wtx.commit().unwrap();
        (k, token)
    };
    let out = guichet(&[
        "admin",
        "--data",
        data.to_str().unwrap(),
        "--key-file",
        key_file.to_str().unwrap(),
        "rotate-card-key",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = guichet::keys::load(&key_file).unwrap().unwrap();
    assert_eq!(keys.card_keys.len(), 1, "the old key is dropped");
    let new = keys.active_card_key().unwrap().clone();
    assert_eq!(new.id, old_key.id + 1);
    assert_ne!(new.key, old_key.key);
    let db = Db::open_keyed(&data, &key_file, guichet::db::CACHE_BYTES).unwrap();
    let rows = db.latest_transactions(Scope::Admin, 10).unwrap();
    assert_eq!(rows.len(), 3);
    for t in &rows {
        let token = &t.card.as_ref().unwrap().token;
        assert_eq!(token, &rekey_token(&old_token, new.id, &new.key));
        assert_eq!(token_key_id(token), new.id);
    }
    let audit = db.audit(Scope::Admin, 10).unwrap();
    assert_eq!(audit[0].action, "card_key.rotate");
    assert_eq!(audit[0].actor, "cli");
    drop(db);
    // The file was rewritten: the token under the old key is not left in a free page.
    let bytes = std::fs::read(&data).unwrap();
    assert!(
        !bytes
            .windows(old_token.len())
            .any(|w| w == old_token.as_bytes())
    );
}

/// An accepted sale with a stored Visa card, `i` seconds into 2026-06-01.
fn sample_tx(i: i64) -> Transaction {
    Transaction {
        id: 0,
        at: 1_780_300_800 + i,
        merchant_id: 1,
        operation: Operation::Sale,
        amount: Amount::from_minor(10_000).unwrap(),
        currency: Currency::Mad,
        code: ResultCode::ACCEPTED,
        card: Some(StoredCard {
            bin: "411111".into(),
            last4: "1111".into(),
            pan_len: 16,
            token: String::new(),
            ..StoredCard::default()
        }),
        initiator: Default::default(),
        sale: Default::default(),
        buyer: Default::default(),
        shipping: Default::default(),
        affiliation: Default::default(),
        test: false,
        parent_id: None,
        statement_descriptor: String::new(),
    }
}

/// Link tokens of the four requests in `tests/fixtures/v1-payments.redb`: 1 paid with
/// 4111 1111 1111 1111, 2 refused twice (4000 0000 0000 0002, 4000 0000 0000 9995),
/// 3 refused by the 3-D Secure rule (4012 8888 8888 1881), 4 still waiting.
/// The file was made by `tests/fixtures/make-v1-payments.sh`: the schema-1 binary
/// (main before this change) served a fresh data file and was driven over HTTP with
/// curl (first admin, a merchant, four "send the link" requests, payments on the
/// payment page), so the tokens are HMACs under the old `secret_key` kept in META.
const V1_LINKS: [&str; 4] = [
    "3132cfef2f445e4f72c3569b7b41e65b",
    "dc8b0fc1aec395ec3159d161b2dbde1b",
    "debd3b96236e85d5d31dfb2bcd0dfc32",
    "b0aa1998504d9cd97e29adb4f7616657",
];

#[test]
fn a_schema_1_file_with_real_payments_is_migrated_and_then_reveals_no_card_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("v1-payments.redb");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-payments.redb"),
        &data,
    )
    .unwrap();
    let old_secret: [u8; 32] = {
        let raw = redb::Database::open(&data).unwrap();
        let rtx = redb::ReadableDatabase::begin_read(&raw).unwrap();
        let meta = rtx.open_table(guichet::db::tables::META).unwrap();
        meta.get("secret_key")
            .unwrap()
            .unwrap()
            .value()
            .try_into()
            .unwrap()
    };

    let db = Db::open(&data).unwrap();
    let key = db.keys().active_card_key().unwrap().clone();
    assert_eq!((key.id, db.keys().card_keys.len()), (2, 1));
    let cards = [
        "4111111111111111",
        "4000000000000002",
        "4000000000009995",
        "4012888888881881",
    ];
    let stored: Vec<(String, StoredCard)> = db
        .latest_transactions(Scope::Admin, 100)
        .unwrap()
        .into_iter()
        .filter_map(|t| t.card)
        .map(|c| {
            let pan = cards
                .iter()
                .find(|n| n.starts_with(&c.bin) && n.ends_with(&c.last4))
                .unwrap();
            (pan.to_string(), c)
        })
        .collect();
    assert_eq!(stored.len(), 8, "four attempts, two rows each");
    for (pan, card) in &stored {
        let pan = Pan::parse(pan).unwrap();
        assert_eq!(token_key_id(&card.token), 2);
        // The chain is intact (so the test sees a token that was not re-keyed)…
        assert_eq!(
            card.token,
            rekey_token(&pan.storage_token(1, &old_secret), 2, &key.key)
        );
    }
    // …and the old key, which may linger in free pages, opens nothing.
    assert_eq!(recover_pan(&stored[0].1, &old_secret), None);
    // Every 32-byte window of the migrated file as the key: nothing.
    let bytes = std::fs::read(&data).unwrap();
    // The file was rewritten with its live records only: neither the old key nor a
    // token under it survives in a free page.
    assert!(
        !bytes.windows(32).any(|w| w == old_secret),
        "the old key is in the file"
    );
    for (pan, _) in &stored {
        let old_token = Pan::parse(pan).unwrap().storage_token(1, &old_secret);
        assert!(
            !bytes
                .windows(old_token.len())
                .any(|w| w == old_token.as_bytes()),
            "a token under the old key is in the file"
        );
    }
    let windows: HashSet<&[u8]> = bytes.windows(32).collect();
    for w in windows {
        for (pan, card) in &stored {
            assert_ne!(Pan::parse(pan).unwrap().storage_token(2, w), card.token);
        }
    }

    // L8: links sent before keep working, looked up by their hash; the records hold no secret.
    for (i, token) in V1_LINKS.iter().enumerate() {
        let req = db.payment_request_by_token(token).unwrap().unwrap();
        assert_eq!(req.id, i as u64 + 1);
        assert_eq!(req.link_hash, link_hash(token));
        let again = db.payment_request(Scope::Admin, req.id).unwrap().unwrap();
        assert!(again.token.is_empty());
    }
    drop(db);
    // The data file was narrowed to 0600 on the way.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn a_demo_data_file_holds_no_key_that_opens_its_card_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo.redb");
    let db = Db::open(&data).unwrap();
    let opts = guichet::demo::DemoOptions {
        transactions: 1_000,
        seed: 11,
        now: time::macros::datetime!(2026-06-01 10:00 UTC),
    };
    guichet::demo::generate(&db, &opts, &mut |_| {}).unwrap();
    let key = db.keys().active_card_key().unwrap().clone();
    let csrf = db.keys().csrf_key;
    let sample: Vec<StoredCard> = db
        .latest_transactions(Scope::Admin, 200)
        .unwrap()
        .into_iter()
        .filter_map(|t| t.card)
        .filter(|c| c.pan_len == 16)
        .take(3)
        .collect();
    assert_eq!(sample.len(), 3);
    drop(db);
    // Control: the demo's tokens are real keyed tokens, opened by the key file's key.
    let pans: Vec<String> = sample
        .iter()
        .map(|c| recover_pan(c, &key.key).expect("the real key opens a demo token"))
        .collect();
    // What the data file holds: neither key, and no 32-byte window that opens a token.
    let bytes = std::fs::read(&data).unwrap();
    let windows: HashSet<&[u8]> = bytes.windows(32).collect();
    assert!(!windows.contains(key.key.as_slice()));
    assert!(!windows.contains(csrf.as_slice()));
    for w in windows {
        for (pan, card) in pans.iter().zip(&sample) {
            let id = token_key_id(&card.token);
            assert_ne!(Pan::parse(pan).unwrap().storage_token(id, w), card.token);
        }
    }
}
