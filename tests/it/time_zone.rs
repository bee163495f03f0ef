//! Time zones (issue 11, point 6): the appliance has one (`--time-zone`, default
//! Africa/Casablanca), each user may choose theirs in their profile, and every date
//! shown, the list's "today" and its date filters follow it; machine exports stay
//! ISO 8601 UTC, files for people show local times and say in which zone.

use guichet::config::Config;
use guichet::domain::user::Permissions;
use guichet::domain::zone::Zone;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::fixtures::payments::{last_attempt, new_request, pay, request, shop};
use crate::fixtures::rows::{sale, write};
use crate::support::download::download;
use crate::support::html::{dd, ids_in};
use crate::support::{TestApp, spawn_app, spawn_app_with};

/// 1 June 2026 at 10:00 UTC: 15:30 on 1 June in Kolkata.
const EARLY: time::OffsetDateTime = datetime!(2026-06-01 10:00 UTC);
/// 1 June 2026 at 20:00 UTC: 01:30 on 2 June in Kolkata.
const LATE: time::OffsetDateTime = datetime!(2026-06-01 20:00 UTC);

/// An appliance in UTC at 21:00 UTC on 1 June 2026 (02:30 on the 2nd in Kolkata), a
/// merchant with a sale at [`EARLY`] and one at [`LATE`], and two of its users: priya
/// who chose Asia/Kolkata, omar who keeps the appliance's zone. Returns (early id,
/// late id).
fn late_evening(app: &TestApp) -> (u64, u64) {
    app.clock.set(datetime!(2026-06-01 21:00 UTC));
    let m = app.merchant("Uber").id;
    let rows = write(
        app,
        vec![sale(m, EARLY, 10_000, "A"), sale(m, LATE, 20_000, "B")],
    );
    let perms = Permissions {
        view: true,
        export: true,
        ..Permissions::default()
    };
    let priya = app.merchant_user("priya", m, perms);
    app.merchant_user("omar", m, perms);
    app.db
        .set_user_time_zone(priya.id, Some(Zone::parse("Asia/Kolkata").unwrap()))
        .unwrap();
    (rows[0].id, rows[1].id)
}

#[tokio::test]
async fn a_user_in_kolkata_sees_a_late_utc_transaction_on_their_next_day() {
    let app = spawn_app().await;
    let (early, late) = late_evening(&app);
    let priya = app.signed_in("priya").await;
    let (status, list) = priya.page("/transactions").await;
    assert_eq!(status, StatusCode::OK);
    // Her today is 2 June: the 20:00 UTC sale only.
    assert_eq!(ids_in(&list), vec![late], "{list}");
    assert!(
        list.contains("Aujourd&#39;hui, 2 juin 2026") || list.contains("Aujourd'hui, 2 juin 2026"),
        "{list}"
    );
    assert!(
        list.contains("Date (Asia/Kolkata)"),
        "the column names her zone"
    );
    assert!(list.contains("2 juin 2026, 01:30"), "{list}");
    assert!(
        list.contains("votre fuseau (Asia/Kolkata)"),
        "the filter's hint"
    );
    let (_, detail) = priya.page(&format!("/transactions/{late}")).await;
    assert_eq!(dd(&detail, "Date"), "2 juin 2026, 01:30 (UTC+5:30)");
    // The appliance's zone (UTC here) is 1 June still, with both sales.
    let omar = app.signed_in("omar").await;
    let (_, list) = omar.page("/transactions").await;
    assert_eq!(ids_in(&list), vec![late, early]);
    assert!(list.contains("Date (UTC)"));
    let (_, detail) = omar.page(&format!("/transactions/{late}")).await;
    assert_eq!(dd(&detail, "Date"), "1 juin 2026, 20:00 (UTC)");
}

#[tokio::test]
async fn the_lists_date_filter_reads_days_and_minutes_in_the_users_zone() {
    let app = spawn_app().await;
    let (early, late) = late_evening(&app);
    let priya = app.signed_in("priya").await;
    // 1 June in Kolkata is 31 May 18:30 UTC to 1 June 18:30 UTC.
    let (status, list) = priya
        .page("/transactions?from=01%2F06%2F2026&to=01%2F06%2F2026")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_in(&list), vec![early], "{list}");
    // Her yesterday: the shortcut is marked.
    assert!(
        list.contains("<strong>Hier, 1 juin 2026</strong>"),
        "{list}"
    );
    let (_, list) = priya
        .page("/transactions?from=2026-06-02&to=2026-06-02")
        .await;
    assert_eq!(ids_in(&list), vec![late]);
    // A minute is the minute her clock showed: 15:30 in Kolkata is 10:00 UTC.
    let (_, list) = priya
        .page("/transactions?from=01%2F06%2F2026+15%3A30&to=01%2F06%2F2026+15%3A30")
        .await;
    assert_eq!(ids_in(&list), vec![early]);
    // The same words in UTC take both sales.
    let omar = app.signed_in("omar").await;
    let (_, list) = omar
        .page("/transactions?from=01%2F06%2F2026&to=01%2F06%2F2026")
        .await;
    assert_eq!(ids_in(&list), vec![late, early]);
}

#[tokio::test]
async fn machine_exports_stay_utc_and_files_for_people_show_her_local_time() {
    let app = spawn_app().await;
    let (_, late) = late_evening(&app);
    let priya = app.signed_in("priya").await;
    let csv = download(&priya, "csv", "all", &[]).await;
    assert_eq!(csv.status, StatusCode::OK);
    // Her day, 2 June, names the file.
    assert!(
        csv.disposition
            .contains("transactions_2026-06-02_2026-06-02.csv"),
        "{}",
        csv.disposition
    );
    let text = csv.text();
    assert!(text.contains(&late.to_string()));
    assert!(text.contains("2026-06-01T20:00:00Z"), "{text}");
    let json = download(&priya, "json", "all", &[]).await;
    assert!(json.text().contains("\"2026-06-01T20:00:00Z\""));
    let xml = download(&priya, "xml", "all", &[]).await;
    assert!(xml.text().contains("<date>2026-06-01T20:00:00Z</date>"));
    let fr = download(&priya, "csv-excel-fr", "all", &[]).await;
    let fr = fr.text();
    assert!(fr.contains("Date (Asia/Kolkata)"), "{fr}");
    assert!(fr.contains("02/06/2026 01:30:00"), "{fr}");
    let txt = download(&priya, "txt", "all", &[]).await;
    assert!(txt.text().contains("02.06.2026 01:30:00"));
    let xlsx = download(&priya, "xlsx", "all", &[]).await;
    let sheet = crate::support::sheets::Sheet::read(&xlsx.body);
    assert_eq!(sheet.text(0, 6), "Date (Asia/Kolkata)");
}

#[tokio::test]
async fn the_profile_saves_a_known_zone_and_refuses_an_unknown_one_with_a_message() {
    let app = spawn_app().await;
    let m = app.merchant("Uber").id;
    let u = app.merchant_user("omar", m, Permissions::default());
    let c = app.signed_in("omar").await;
    let (status, page) = c.page("/parameters/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<select id="f-time_zone" name="time_zone""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="" selected>Celui du serveur : UTC (UTC)</option>"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="Asia/Kolkata">Asia/Kolkata (UTC+5:30)</option>"#));
    assert!(page.contains(r#"<option value="Asia/Kathmandu">Asia/Kathmandu (UTC+5:45)</option>"#));
    assert!(page.contains(r#"<optgroup label="Afrique">"#));

    let r = c
        .post(
            "/parameters/profile/time-zone",
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("« Mars/Olympus » : fuseau horaire inconnu"),
        "{body}"
    );
    assert!(body.contains(r#"aria-invalid="true""#));
    assert_eq!(app.db.user(u.id).unwrap().unwrap().time_zone, None);

    let r = c
        .post(
            "/parameters/profile/time-zone",
            &[("time_zone", "asia/kolkata")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/parameters/profile?done=time_zone#time-zone"
    );
    assert_eq!(
        app.db.user(u.id).unwrap().unwrap().time_zone,
        Some(Zone::parse("Asia/Kolkata").unwrap())
    );
    let (_, page) = c.page("/parameters/profile?done=time_zone").await;
    assert!(page.contains("Fuseau horaire enregistré"));
    assert!(
        page.contains(r#"<option value="Asia/Kolkata" selected>"#),
        "{page}"
    );

    // Back to the appliance's zone.
    let r = c
        .post("/parameters/profile/time-zone", &[("time_zone", "")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.db.user(u.id).unwrap().unwrap().time_zone, None);
}

#[test]
fn the_appliance_zone_is_casablanca_unless_the_flag_or_the_environment_says_otherwise() {
    let config = Config::new("127.0.0.1:0".parse().unwrap(), "g.redb".into(), None).unwrap();
    assert_eq!(config.time_zone.name(), "Africa/Casablanca");
    use clap::Parser;
    let cli =
        guichet::cli::Cli::try_parse_from(["guichet", "serve", "--time-zone", "asia/kathmandu"])
            .unwrap();
    let Some(guichet::cli::Command::Serve(args)) = cli.command else {
        panic!("serve")
    };
    assert_eq!(args.time_zone, "Asia/Kathmandu");
    assert_eq!(args.config().unwrap().time_zone.name(), "Asia/Kathmandu");
    let e = guichet::cli::Cli::try_parse_from(["guichet", "--time-zone", "Mars/Olympus"])
        .err()
        .expect("an unknown zone is refused")
        .to_string();
    assert!(e.contains("unknown time zone \"Mars/Olympus\""), "{e}");
}

#[test]
fn an_unknown_zone_stops_the_server_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    for (flag, env) in [
        (Some("Europe/Atlantis"), None),
        (None, Some("Europe/Atlantis")),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(&data)
            .env_remove("GUICHET_KEY_FILE")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("GUICHET_TIME_ZONE");
        if let Some(f) = flag {
            cmd.args(["--time-zone", f]);
        }
        if let Some(e) = env {
            cmd.env("GUICHET_TIME_ZONE", e);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--time-zone") && err.contains("unknown time zone \"Europe/Atlantis\""),
            "{err}"
        );
        assert!(!data.exists(), "nothing is opened");
    }
}

#[tokio::test]
async fn an_appliance_in_casablanca_shows_its_dates_at_utc_plus_one_in_june() {
    let app = spawn_app_with(|c| c.time_zone = Zone::default()).await;
    let m = app.merchant("Uber").id;
    // 1 June 2026, 10:00 UTC is 11:00 in Casablanca.
    let id = write(&app, vec![sale(m, EARLY, 10_000, "A")])[0].id;
    let admin = app.admin().await;
    let (_, list) = admin.page("/transactions").await;
    assert_eq!(ids_in(&list), vec![id]);
    assert!(list.contains("Date (Africa/Casablanca)"));
    assert!(list.contains("1 juin 2026, 11:00"));
    let (status, detail) = admin.page(&format!("/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        dd(&detail, "Date"),
        "1 juin 2026, 11:00 (UTC+1)",
        "{detail}"
    );
    // Since 20 September 2026 Morocco stays on UTC (tzdb 2026c).
    let id = write(
        &app,
        vec![sale(m, datetime!(2026-11-29 14:12 UTC), 10_000, "B")],
    )[0]
    .id;
    let (_, detail) = admin.page(&format!("/transactions/{id}")).await;
    assert_eq!(dd(&detail, "Date"), "29 nov. 2026, 14:12 (UTC)");
}

#[tokio::test]
async fn customers_pages_and_emails_use_the_appliances_zone_not_the_users() {
    let app = spawn_app_with(|c| c.time_zone = Zone::default()).await;
    let (m, manager) = shop(&app).await;
    let u = app.db.user_by_username("atlas.manager").unwrap().unwrap();
    app.db
        .set_user_time_zone(u.id, Some(Zone::parse("Asia/Kolkata").unwrap()))
        .unwrap();
    let (id, token) = new_request(&manager, m, &[]).await;
    // The manager pays from their own browser, still signed in: a customer's page.
    let result = pay(&manager, &token, "4111111111111111", "").await;
    let (_, receipt) = manager.page(&result).await;
    assert!(receipt.contains("1 juin 2026, 11:00 (UTC+1)"), "{receipt}");
    assert!(!receipt.contains("UTC+5:30"));
    let req = request(&app, id);
    assert!(!req.emails.is_empty(), "a receipt is queued");
    for mail_id in &req.emails {
        let mail = app.db.mail(*mail_id).unwrap().unwrap();
        assert!(mail.text.contains("(UTC+1)"), "{}", mail.text);
        assert!(!mail.text.contains("UTC+5:30"));
    }
    // The back office shows the manager the same sale in their own zone.
    let (_, sale) = last_attempt(&app, id);
    let (_, detail) = manager.page(&format!("/transactions/{}", sale.id)).await;
    assert_eq!(dd(&detail, "Date"), "1 juin 2026, 15:30 (UTC+5:30)");
}

#[tokio::test]
async fn the_default_test_appliance_reads_in_utc() {
    // The other tests' expectations: `spawn_app` sets the appliance's zone to UTC.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, page) = admin.page("/parameters/profile").await;
    assert!(page.contains("Celui du serveur : UTC (UTC)"), "{page}");
}
