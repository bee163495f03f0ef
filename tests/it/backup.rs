//! Online backups (issue 15, OPSX-4): a backup taken while clients pay is a consistent
//! copy that passes the checks and restores with the rows its read transaction saw;
//! encrypted backups carry the key file, never in clear; restore refuses a live or
//! existing data file; the admin page lists backups and makes one on demand; the
//! command line reaches a running server through its control socket, and the
//! restored appliance starts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use guichet::backup::{BackupError, Encryption, Passphrase, RestoreOptions, restore};
use guichet::clock::Clock;
use guichet::db::{Db, Scope};
use guichet::domain::actor::Actor;
use guichet::domain::card_form::CardForm;
use guichet::domain::payment::RequestForm;
use guichet::gateway::Gateway;
use reqwest::StatusCode;

use crate::fixtures::payments::shop;
use crate::support::{TestApp, free_port, spawn_app, spawn_app_with};

/// Pays requests of `merchant` through the gateway, one after the other, until
/// `stop`; counts the payments written.
fn payer(
    gateway: Arc<Gateway>,
    today: time::Date,
    merchant: u64,
    who: u64,
    stop: Arc<AtomicBool>,
    paid: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let form = RequestForm {
                order_id: format!("B-{who}-{n}"),
                amount: "100".into(),
                currency: "MAD".into(),
                name: "Client".into(),
                email: format!("client{who}.{n}@example.ma"),
                ..RequestForm::default()
            };
            let req = gateway
                .create_request(
                    form.parse(today, guichet::domain::Lang::Fr).unwrap(),
                    merchant,
                    0,
                    "test",
                    false,
                )
                .unwrap()
                .request;
            let card = CardForm {
                holder: format!("Client {who} {n}"),
                number: "4111111111111111".into(),
                expiry: "12/39".into(),
                cvv: "123".into(),
                ..CardForm::default()
            };
            gateway
                .pay(&req.token, card.parse(today).unwrap(), "", "196.200.1.1")
                .unwrap();
            paid.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// A merchant whose fraud limits are off, so every payment reaches the acquirer.
fn open_merchant(app: &TestApp) -> u64 {
    let m = app.merchant("Atlas Voyages").id;
    let mut rules = guichet::domain::fraud::MerchantRules::default();
    for l in [
        &mut rules.card,
        &mut rules.email,
        &mut rules.ip,
        &mut rules.holder,
    ] {
        l.max_accepted = None;
        l.max_refused = None;
    }
    app.db
        .set_fraud_rules(m, &rules, &Actor::new(0, "admin", "local"))
        .unwrap();
    m
}

fn now(app: &TestApp) -> i64 {
    app.clock.now().unix_timestamp()
}

/// The key file of `data` beside it (`g.keys` for `g.redb`).
fn keys_of(data: &Path) -> PathBuf {
    data.with_extension("keys")
}

fn guichet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .env_remove("GUICHET_KEY_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("GUICHET_DATA")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn a_backup_taken_while_clients_pay_restores_to_a_file_that_passes_the_checks_with_the_rows_it_read()
 {
    let app = spawn_app().await;
    let m = open_merchant(&app);
    let today = app.clock.now().date();
    let stop = Arc::new(AtomicBool::new(false));
    let paid = Arc::new(AtomicU64::new(0));
    let payers: Vec<_> = (0..4)
        .map(|who| {
            payer(
                app.gateway.clone(),
                today,
                m,
                who,
                stop.clone(),
                paid.clone(),
            )
        })
        .collect();
    while paid.load(Ordering::Relaxed) < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.redb");
    let (db, path, at) = (app.db.clone(), backup.clone(), now(&app));
    let before = paid.load(Ordering::Relaxed);
    let report = tokio::task::spawn_blocking(move || {
        guichet::backup::make(&db, &path, &Encryption::None, at)
    })
    .await
    .unwrap()
    .unwrap();
    let during = paid.load(Ordering::Relaxed) - before;
    // Payments go on after the backup too.
    let target = paid.load(Ordering::Relaxed) + 20;
    while paid.load(Ordering::Relaxed) < target {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for p in payers {
        p.join().unwrap();
    }
    assert!(report.passed(), "{:?}", report.problems);
    assert!(report.rows_match);
    let in_backup = report.transactions();
    let live = app.db.transaction_count().unwrap();
    assert!(
        in_backup > 0 && in_backup < live,
        "{in_backup} in the backup, {live} live, {during} paid during the copy"
    );
    // The report lies beside the backup.
    let beside: guichet::domain::backup::BackupReport =
        serde_json::from_slice(&std::fs::read(dir.path().join("b.redb.json")).unwrap()).unwrap();
    assert_eq!(beside, report);

    // Restored elsewhere (an unencrypted backup needs its key file there).
    let data = dir.path().join("restored/g.redb");
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    std::fs::copy(app.db.key_file(), keys_of(&data)).unwrap();
    let restored = restore(&RestoreOptions {
        from: backup.clone(),
        data: data.clone(),
        ..RestoreOptions::default()
    })
    .unwrap();
    assert_eq!(
        restored.rows, report.rows,
        "the rows of the read transaction"
    );
    assert!(!restored.key_written);
    assert_eq!(restored.check.transactions, in_backup);
    assert!(restored.check.integrity_problems().is_empty());
    // The restored appliance starts (settling any payment that was with the
    // acquirer at the backup's instant) and then passes `guichet check` whole.
    let out = guichet(&["check", "--data", data.to_str().unwrap()]);
    if restored.check.in_flight.is_empty() {
        assert!(out.status.success(), "{}", text(&out));
    }
    let mut config =
        guichet::config::Config::new("127.0.0.1:0".parse().unwrap(), data.clone(), None).unwrap();
    config.control_socket = false;
    let started = guichet::app::App::build(config, Arc::new(app.clock.clone()))
        .expect("the restored file starts");
    let check = started.state.db.check().unwrap();
    assert!(check.is_ok(), "{:?}", check.problems);
    drop(started);
    let out = guichet(&["check", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("OK:"), "{}", text(&out));
}

#[tokio::test]
async fn an_encrypted_backup_round_trips_with_a_passphrase_and_never_holds_the_key_file_in_clear() {
    let app = spawn_app().await;
    app.merchant("Riad Atlas");
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.redb.age");
    let pass = Passphrase::new("correct horse battery staple").unwrap();
    let report = guichet::backup::make(
        &app.db,
        &backup,
        &Encryption::Passphrase(pass.clone()),
        now(&app),
    )
    .unwrap();
    assert!(report.passed() && report.key_file_included);
    let bytes = std::fs::read(&backup).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    let keys = app.db.keys();
    let mut secrets: Vec<[u8; 32]> = keys.card_keys.iter().map(|k| k.key).collect();
    secrets.extend([keys.csrf_key, keys.audit_key]);
    use base64::Engine as _;
    for s in &secrets {
        for shown in [
            guichet::keys::to_hex(s),
            base64::engine::general_purpose::STANDARD.encode(s),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s),
        ] {
            assert!(
                !bytes.windows(shown.len()).any(|w| w == shown.as_bytes()),
                "a key is readable in the backup"
            );
        }
        assert!(
            !bytes.windows(32).any(|w| w == s),
            "a raw key is in the backup"
        );
    }
    for word in ["card_keys", "csrf_key", "Riad Atlas", "redb"] {
        assert!(
            !bytes.windows(word.len()).any(|w| w == word.as_bytes()),
            "{word} is readable in the backup"
        );
    }
    // Nothing plain is left beside the data file or the backup.
    let beside: Vec<String> = std::fs::read_dir(app.db.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!beside.iter().any(|n| n.contains("backup-")), "{beside:?}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["b.redb.age", "b.redb.age.json"]);

    let data = dir.path().join("new/g.redb");
    let options = |passphrase: Option<Passphrase>| RestoreOptions {
        from: backup.clone(),
        data: data.clone(),
        passphrase,
        ..RestoreOptions::default()
    };
    match restore(&options(Some(Passphrase::new("wrong horse").unwrap()))) {
        Err(BackupError::Encryption(e)) => assert!(e.contains("decrypt"), "{e}"),
        other => panic!("a wrong passphrase: {other:?}"),
    }
    match restore(&options(None)) {
        Err(BackupError::Encryption(e)) => assert!(e.contains("--passphrase-file"), "{e}"),
        other => panic!("no passphrase: {other:?}"),
    }
    assert!(
        !data.exists() && !keys_of(&data).exists(),
        "nothing was written"
    );
    let restored = restore(&options(Some(pass))).unwrap();
    assert!(restored.key_written);
    assert_eq!(restored.rows, report.rows);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(keys_of(&data))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        guichet::keys::load(&keys_of(&data)).unwrap().as_ref(),
        Some(app.db.keys())
    );
    let db = Db::open(&data).unwrap();
    assert_eq!(db.merchants(Scope::Admin).unwrap()[0].name, "Riad Atlas");
    assert!(db.check().unwrap().is_ok());
}

#[tokio::test]
async fn a_backup_encrypted_for_an_age_recipient_restores_with_its_identity_only() {
    use age::secrecy::ExposeSecret;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let identity = age::x25519::Identity::generate();
    let id_file = dir.path().join("id.txt");
    std::fs::write(&id_file, identity.to_string().expose_secret()).unwrap();
    let other = dir.path().join("other.txt");
    std::fs::write(
        &other,
        age::x25519::Identity::generate()
            .to_string()
            .expose_secret(),
    )
    .unwrap();
    assert!(
        Encryption::from_flags(&["age1nope".into()], None).is_err(),
        "a bad recipient is refused"
    );
    let to = Encryption::from_flags(&[identity.to_public().to_string()], None).unwrap();
    let backup = dir.path().join("b.redb.age");
    let report = guichet::backup::make(&app.db, &backup, &to, now(&app)).unwrap();
    assert!(report.passed());
    let data = dir.path().join("r/g.redb");
    let options = |identity: &Path| RestoreOptions {
        from: backup.clone(),
        data: data.clone(),
        identity: Some(identity.to_path_buf()),
        ..RestoreOptions::default()
    };
    assert!(matches!(
        restore(&options(&other)),
        Err(BackupError::Encryption(_))
    ));
    let restored = restore(&options(&id_file)).unwrap();
    assert!(restored.key_written);
    assert_eq!(restored.rows, report.rows);
}

#[tokio::test]
async fn restore_refuses_a_live_data_file_and_an_existing_one_without_force() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.redb.age");
    let pass = Passphrase::new("correct horse battery staple").unwrap();
    guichet::backup::make(
        &app.db,
        &backup,
        &Encryption::Passphrase(pass.clone()),
        now(&app),
    )
    .unwrap();
    let options = |data: &Path, force: bool| RestoreOptions {
        from: backup.clone(),
        data: data.to_path_buf(),
        passphrase: Some(pass.clone()),
        force,
        ..RestoreOptions::default()
    };
    // The running app's own data file: refused, even with --force.
    let live = app.db.path().to_path_buf();
    let size = std::fs::metadata(&live).unwrap().len();
    for force in [false, true] {
        match restore(&options(&live, force)) {
            Err(e @ BackupError::Live(_)) => {
                assert!(e.to_string().contains("running server"), "{e}")
            }
            other => panic!("a live file: {other:?}"),
        }
    }
    assert_eq!(std::fs::metadata(&live).unwrap().len(), size);
    assert_eq!(app.db.merchants(Scope::Admin).unwrap().len(), 0);
    // A stopped one: refused without --force, replaced with it.
    let data = dir.path().join("g.redb");
    restore(&options(&data, false)).unwrap();
    let first = std::fs::metadata(&data).unwrap().modified().unwrap();
    match restore(&options(&data, false)) {
        Err(e) => assert!(e.to_string().contains("--force"), "{e}"),
        Ok(_) => panic!("an existing file was replaced without --force"),
    }
    assert_eq!(std::fs::metadata(&data).unwrap().modified().unwrap(), first);
    restore(&options(&data, true)).unwrap();
    // Whatever the outcome, no temporary file is left.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Waits until the Backups page shows no running backup and `n` backups, `newest`
/// first.
async fn page_when_done(c: &crate::support::Client, n: usize, newest: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = c.page("/parameters/backups").await;
        assert_eq!(status, StatusCode::OK);
        let listed = body.matches(".redb</code></td>").count();
        let first = body
            .split("<td><code>")
            .nth(1)
            .is_some_and(|rest| rest.starts_with(newest));
        if !body.contains("Sauvegarde en cours") && listed == n && first {
            return body;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_backups_page_lists_the_scheduled_backups_and_its_button_makes_one_in_the_background() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("backups");
    let app = spawn_app_with(|c| {
        c.backup.dir = Some(dir.clone());
        c.backup.keep = 2;
        c.backup.poll = Duration::from_millis(100);
    })
    .await;
    let (_, merchant_user) = shop(&app).await;
    let admin = app.admin().await;
    // The schedule makes one at once (none yet), named after the clock.
    let body = page_when_done(&admin, 1, "guichet-2026-06-01T10-00-00Z.redb<").await;
    assert!(body.contains("toutes les 24 h"), "{body}");
    assert!(body.contains("2 dernières"), "{body}");
    assert!(body.contains("Vérifiée"), "{body}");
    assert!(
        body.contains("ne contient pas le fichier de clés"),
        "{body}"
    );
    // Merchant users never see it.
    let (status, _) = merchant_user.page("/parameters/backups").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = merchant_user.post("/parameters/backups", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // "Back up now": runs in the background, then shows in the list.
    let r = admin.post("/parameters/backups", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/parameters/backups?started=1");
    let (_, started) = admin.page("/parameters/backups?started=1").await;
    assert!(started.contains("Sauvegarde lancée"), "{started}");
    let body = page_when_done(&admin, 2, "guichet-2026-06-01T10-00-00Z-2.redb<").await;
    assert!(body.contains("Dernière sauvegarde réussie"), "{body}");
    let audit = app.db.audit(Scope::Admin, 50).unwrap();
    let runs: Vec<_> = audit.iter().filter(|e| e.action == "backup.run").collect();
    assert_eq!(runs.len(), 2, "{audit:?}");
    assert!(runs.iter().any(|e| e.actor == "admin"));
    assert!(runs.iter().any(|e| e.actor == "system"));
    let (_, log) = admin.page("/parameters/audit").await;
    assert!(log.contains("Sauvegarde du fichier de données"), "{log}");
    // A day later the schedule makes another; only the 2 newest stay.
    app.clock.advance(time::Duration::hours(24));
    let admin = app.admin_again().await;
    let body = page_when_done(&admin, 2, "guichet-2026-06-02T10-00-00Z.redb<").await;
    assert!(
        !body.contains("guichet-2026-06-01T10-00-00Z.redb<"),
        "{body}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "guichet-2026-06-01T10-00-00Z-2.redb",
            "guichet-2026-06-01T10-00-00Z-2.redb.json",
            "guichet-2026-06-02T10-00-00Z.redb",
            "guichet-2026-06-02T10-00-00Z.redb.json",
        ]
    );
    // In English too.
    admin
        .post("/lang", &[("lang", "en"), ("next", "/parameters/backups")])
        .await;
    let (_, en) = admin.page("/parameters/backups").await;
    assert!(
        en.contains("Back up now") && en.contains("every 24 h"),
        "{en}"
    );
}

#[tokio::test]
async fn without_a_backup_directory_the_page_says_how_to_configure_one_and_offers_no_button() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, body) = admin.page("/parameters/backups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("--backup-dir"), "{body}");
    assert!(!body.contains("Sauvegarder maintenant"), "{body}");
    let r = admin.post("/parameters/backups", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("--backup-dir"));
    assert!(
        !app.db
            .audit(Scope::Admin, 50)
            .unwrap()
            .iter()
            .any(|e| e.action == "backup.run")
    );
}

/// `guichet serve` on `data`, on `port`, its output in `log`.
struct Server(std::process::Child);

impl Server {
    async fn start(args: &[&str], port: u16, log: &Path) -> Server {
        let out = std::fs::File::create(log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("serve")
            .args(args)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .env_remove("GUICHET_KEY_FILE")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("GUICHET_DATA")
            .env_remove("GUICHET_BACKUP_DIR")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = format!("http://127.0.0.1:{port}");
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/login")).await {
                assert_eq!(r.status(), StatusCode::OK);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server(child)
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.0.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.0.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn guichet_backup_reaches_the_running_server_through_its_control_socket_and_the_restored_appliance_starts()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let d = data.to_str().unwrap();
    let mut server = Server::start(&["--data", d], free_port(), &dir.path().join("a.log")).await;
    let socket = dir.path().join("g.redb.ctl");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let backup = dir.path().join("b.redb.age");
    let out = guichet(&[
        "backup",
        "--data",
        d,
        "--to",
        backup.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("made by the running server"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("checks: OK"), "{}", text(&out));
    // The same again: never overwritten.
    let again = guichet(&["backup", "--data", d, "--to", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    // The live file is not restored over.
    let out = guichet(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--data",
        d,
        "--passphrase-file",
        pass.to_str().unwrap(),
        "--force",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("running server"), "{}", text(&out));
    server.stop();
    assert!(!socket.exists(), "the socket goes with the server");
    // Stopped, the file is backed up by the command itself.
    let plain = dir.path().join("b.redb");
    let out = guichet(&["backup", "--data", d, "--to", plain.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the key file is NOT in it"),
        "{}",
        text(&out)
    );
    // Restored elsewhere, with the key file from the encrypted backup; it starts.
    let restored = dir.path().join("restored/g.redb");
    let out = guichet(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--data",
        restored.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("key file: written to"),
        "{}",
        text(&out)
    );
    let out = guichet(&["check", "--data", restored.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let _restored = Server::start(
        &["--data", restored.to_str().unwrap()],
        free_port(),
        &dir.path().join("b.log"),
    )
    .await;
    let db_log = std::fs::read_to_string(dir.path().join("b.log")).unwrap();
    assert!(
        !db_log.contains("First start"),
        "the restored admin is kept: {db_log}"
    );
}
