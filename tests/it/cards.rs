//! Card data and payment links at rest (security issue 8): the card number is never
//! echoed, the storage-token key stays out of the data file, link tokens are kept
//! only as hashes, attempts per link are capped, rebills are bounded.

use std::collections::HashSet;

use guichet::db::{Db, Scope, transactions};
use guichet::domain::card::{Pan, luhn_valid, rekey_token, token_fingerprint, token_key_id};
use guichet::domain::codes::ResultCode;
use guichet::domain::money::{Amount, Currency};
use guichet::domain::operation_rules::RebillPolicy;
use guichet::domain::payment::{MAX_TOTAL_ATTEMPTS, link_hash};
use guichet::domain::transaction::{Operation, StoredCard, Transaction};
use guichet::keys::Keys;
use reqwest::StatusCode;
use time::Duration;

use crate::fixtures::payments::{new_request, pay, shop, submit_card};
use crate::support::html::field_in;
use crate::support::{Client, TestApp, spawn_app};

#[tokio::test]
async fn a_valid_card_number_is_never_sent_back_after_a_validation_error() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (_, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    for typed in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "5555-5555-5555-4444",
    ] {
        // Valid number, expired date.
        let r = submit_card(&customer, &token, typed, "01/26", "123").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Cette carte est expirée"), "{body}");
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        let spaced = digits
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        for shown in [typed, digits.as_str(), spaced.as_str(), &digits[..12]] {
            assert!(!body.contains(shown), "{shown} echoed: {body}");
        }
        assert!(body.contains(&digits[12..]), "the last four are a reminder");
    }
}

#[tokio::test]
async fn ten_abandoned_challenges_block_the_link_and_the_eleventh_attempt_never_reaches_the_bank() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    let customer = app.client();
    let mut csrf = String::new();
    for i in 0..MAX_TOTAL_ATTEMPTS {
        let r = submit_card(&customer, &token, "5105105105105100", "12/30", "123").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "attempt {i}");
        let challenge = r.headers()["location"].to_str().unwrap().to_string();
        assert!(challenge.contains("/3ds/"), "attempt {i}: {challenge}");
        let (_, page) = customer.page(&challenge).await;
        csrf = field_in(&page, "csrf");
        let r = customer
            .post_raw(
                &format!("/payment/{token}/abandon"),
                &[
                    ("csrf", &field_in(&page, "csrf")),
                    ("challenge", &field_in(&page, "challenge")),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert_eq!(req.attempts.len(), MAX_TOTAL_ATTEMPTS);
    assert_eq!(req.refused_attempts, 0, "abandons are not refusals");
    assert!(req.blocked, "the link is blocked after ten attempts");
    // The eleventh, with a card the bank would accept at once, posted straight to the
    // link (the page itself now says the request is blocked).
    let r = customer
        .post_raw(
            &format!("/payment/{token}"),
            &[
                ("csrf", csrf.as_str()),
                ("holder", "Salma Idrissi"),
                ("number", "4111111111111111"),
                ("expiry", "12/30"),
                ("cvv", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/result/"), "{to}");
    let tx_id: u64 = to
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tx = app.db.transaction(Scope::Admin, tx_id).unwrap().unwrap();
    assert_eq!(tx.code, ResultCode::TOO_MANY_ATTEMPTS);
    assert_eq!(app.gateway.acquirer.payments_sent(), 0, "no bank call");
}

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

#[tokio::test]
async fn the_back_office_says_a_card_is_stored_without_showing_its_token() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    let tx = app
        .db
        .transaction(Scope::Admin, req.paid_tx.unwrap())
        .unwrap()
        .unwrap();
    let stored = tx.card.unwrap().token;
    let (status, page) = c.page(&format!("/transactions/{}", tx.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("enregistrée"), "{page}");
    assert!(page.contains(&token_fingerprint(&stored)));
    assert!(!page.contains(&stored), "the token is not shown");
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

/// A paid 250,00 MAD sale of `shop`'s manager for salma@example.ma: its row id.
async fn paid_sale(app: &TestApp, c: &Client, m: u64) -> u64 {
    let (id, token) = new_request(c, m, &[]).await;
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    req.paid_tx.unwrap()
}

async fn rebill(c: &Client, sale: u64, amount: &str) -> reqwest::Response {
    c.post(
        &format!("/transactions/{sale}/operations/rebill"),
        &[("amount", amount)],
    )
    .await
}

fn rebills(app: &TestApp, sale: u64) -> Vec<Transaction> {
    app.db
        .children(Scope::Admin, sale)
        .unwrap()
        .into_iter()
        .filter(|t| t.operation == Operation::Rebill)
        .collect()
}

#[tokio::test]
async fn a_rebill_above_the_original_amount_is_refused_until_an_admin_raises_the_ceiling() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    let r = rebill(&c, sale, "250,01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Une nouvelle facturation ne peut pas dépasser 250,00"),
        "{body}"
    );
    let (status, page) = c
        .page(&format!(
            "/transactions/{sale}/operations/rebill?amount=900"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused at the confirmation too"
    );
    assert!(page.contains("ne peut pas dépasser"));
    assert!(rebills(&app, sale).is_empty());
    assert_eq!(app.gateway.acquirer.payments_sent(), 1, "only the sale");

    let admin = app.admin().await;
    let (status, form) = admin
        .page(&format!("/parameters/merchants/{m}/rebill"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("max_per_day"), "{form}");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "1000,00"), ("max_per_day", "3")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit = app.db.audit(Scope::Admin, 5).unwrap();
    assert_eq!(audit[0].action, "merchant.rebill_policy");
    assert_eq!(audit[0].merchant_id, Some(m));
    // The form shows the saved values, and saving them again changes nothing.
    let (_, form) = admin
        .page(&format!("/parameters/merchants/{m}/rebill"))
        .await;
    let shown = input_value(&form, "max_amount");
    assert_eq!(shown, "1000.00");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[
                ("max_amount", &shown),
                ("max_per_day", &input_value(&form, "max_per_day")),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.db.rebill_policy(m).unwrap(),
        RebillPolicy {
            max_amount_minor: Some(100_000),
            max_per_day: 3
        }
    );

    let r = rebill(&c, sale, "900").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(rebills(&app, sale)[0].amount.minor(), 90_000);
    let r = rebill(&c, sale, "1000,01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_stored_card_is_rebilled_three_times_a_day_at_most() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    for i in 0..3 {
        let r = rebill(&c, sale, "10").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "rebill {i}");
    }
    let r = rebill(&c, sale, "10").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("déjà été refacturée 3 fois aujourd'hui"),
        "{body}"
    );
    // A rebill of a rebill is the same card: still refused.
    let first = rebills(&app, sale)[0].id;
    let r = rebill(&c, first, "10").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rebills(&app, sale).len(), 3);
    assert_eq!(
        app.gateway.acquirer.payments_sent(),
        4,
        "the sale and three rebills: the refused ones never reach the bank"
    );

    app.clock.advance(Duration::days(1));
    let c = app.signed_in("atlas.manager").await;
    let r = rebill(&c, sale, "10").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a new day");
    let to = r.headers()["location"].to_str().unwrap();
    assert!(to.contains("done="), "{to}");
    assert_eq!(rebills(&app, sale).len(), 4);
}

#[tokio::test]
async fn only_an_admin_sets_a_merchants_rebill_limits() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (status, _) = c.page(&format!("/parameters/merchants/{m}/rebill")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = c
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "99999"), ("max_per_day", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.db.rebill_policy(m).unwrap(), RebillPolicy::default());
    let admin = app.admin().await;
    let r = admin
        .post_raw(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "99999"), ("max_per_day", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = admin
        .post(
            &format!("/parameters/merchants/{m}/rebill"),
            &[("max_amount", "abc"), ("max_per_day", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.rebill_policy(m).unwrap(), RebillPolicy::default());
}

#[tokio::test]
async fn the_customer_gets_a_receipt_for_every_rebill() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let sale = paid_sale(&app, &c, m).await;
    let before = app.db.pending_mail_count().unwrap();
    let r = rebill(&c, sale, "12,50").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.pending_mail_count().unwrap(), before + 1);
    let mail = &app.db.mails(None, 1).unwrap()[0];
    assert_eq!(mail.to, "salma@example.ma");
    assert!(
        mail.subject.starts_with("Nouveau débit de votre carte"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("12,50"), "{}", mail.text);
    assert!(mail.text.contains(&rebills(&app, sale)[0].id.to_string()));
    assert!(!mail.text.contains("4111111111111111"));
}

#[tokio::test]
async fn a_payment_link_is_shown_once_and_stored_only_as_its_hash() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, token) = new_request(&c, m, &[]).await;
    assert_eq!(token.len(), 32);
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert_eq!(req.link_hash, link_hash(&token));
    assert!(req.token.is_empty(), "read back, a request has no secret");
    let data = std::fs::read(app.db.key_file().with_extension("redb")).unwrap();
    assert!(
        !data.windows(32).any(|w| w == token.as_bytes()),
        "the link's secret is not in the data file"
    );
    let (status, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&token) && !page.contains("/payment/"));
    assert!(
        page.contains("ne peut pas être affiché à nouveau"),
        "{page}"
    );
    assert!(page.contains("Nouveau lien"));
    pay(&app.client(), &token, "4111111111111111", "").await;
    let req = app.db.payment_request(Scope::Admin, id).unwrap().unwrap();
    assert!(req.paid_tx.is_some(), "the link works");
}

#[tokio::test]
async fn a_new_link_replaces_the_old_one_which_stops_working() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, old) = new_request(&c, m, &[]).await;
    let r = c
        .post(&format!("/payment-requests/{id}/new-link"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = c.page(&location).await;
    assert!(
        page.contains("Le lien précédent ne permet plus de payer."),
        "{page}"
    );
    let new = crate::fixtures::payments::token_in_link(&page);
    // A reload of that page shows it no more.
    let (_, again) = c.page(&location).await;
    assert!(!again.contains(&new));
    assert_ne!(new, old);
    let customer = app.client();
    let (status, _) = customer.page(&format!("/payment/{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link is dead");
    let (status, _) = customer.page(&format!("/payment/{new}")).await;
    assert_eq!(status, StatusCode::OK);
    // Nobody without the virtual terminal permission may do it.
    app.merchant_user(
        "atlas.viewer",
        m,
        guichet::domain::user::Permissions {
            view: true,
            ..Default::default()
        },
    );
    let v = app.signed_in("atlas.viewer").await;
    let r = v
        .post(&format!("/payment-requests/{id}/new-link"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = customer.page(&format!("/payment/{new}")).await;
    assert_eq!(status, StatusCode::OK, "still the current link");
}

#[tokio::test]
async fn a_sent_link_email_keeps_no_usable_link_in_the_outbox() {
    let app = spawn_app().await;
    let (m, c) = shop(&app).await;
    let (id, _) = new_request(&c, m, &[("action", "send")]).await;
    let mail_id = app
        .db
        .payment_request(Scope::Admin, id)
        .unwrap()
        .unwrap()
        .emails[0];
    let waiting = app.db.mail(mail_id).unwrap().unwrap();
    let token = crate::fixtures::payments::token_in_link(&waiting.text);
    assert!(
        waiting.html.contains(&token),
        "a waiting email keeps its link"
    );
    app.db
        .record_mail_attempt(
            mail_id,
            guichet::db::outbox::MailAttempt { at: 0, error: None },
            None,
        )
        .unwrap();
    let sent = app.db.mail(mail_id).unwrap().unwrap();
    assert!(!sent.text.contains(&token) && !sent.html.contains(&token));
    assert!(sent.text.contains("/payment/…"), "{}", sent.text);
    // Redacting the email did not kill the link itself.
    let (status, _) = app.client().page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
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

/// The value of the `Input` named `name` on a back-office form.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &page[at..];
    let v = rest.find(r#"value=""#).unwrap() + r#"value=""#.len();
    rest[v..].split('"').next().unwrap().to_string()
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
