//! The Debian package (issue 16, `make deb`; packaging/debian). Its environment file
//! and its man pages are made from the command line's definition, so that every
//! flag of `guichet serve` can be set in /etc/guichet/guichet.env and is documented
//! in `man guichet`: a test here compares the committed files with what the
//! definition gives. After a change to the flags, rewrite them with
//! `GUICHET_UPDATE_PACKAGING=1 cargo test --test it packaging` and commit them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use guichet::cli::Cli;
use reqwest::StatusCode;

use crate::support::free_port;

/// Values the package sets (the others stay commented out, at their default).
const PACKAGED: &[(&str, &str)] = &[
    ("GUICHET_ADDR", "127.0.0.1:8080"),
    ("GUICHET_DATA", "/var/lib/guichet/guichet.redb"),
    (
        "GUICHET_FIRST_ADMIN_PASSWORD_FILE",
        "/var/lib/guichet/first-admin-password",
    ),
];

/// Variables read outside the flags, documented at the end of the file.
const OTHERS: &str = "\
# Which log lines are written (tracing's EnvFilter syntax): error, warn, info,
# debug, or per module (info,guichet::gateway=debug).
#GUICHET_LOG=info
";

fn packaging_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/debian")
}

fn updating() -> bool {
    std::env::var("GUICHET_UPDATE_PACKAGING").is_ok_and(|v| v == "1")
}

/// The arguments of `guichet serve` (as flattened on `guichet` itself).
fn serve_args() -> Vec<clap::Arg> {
    Cli::command()
        .get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .filter(|a| !a.is_global_set())
        .cloned()
        .collect()
}

/// `text` as comment lines of at most 80 characters.
fn comment(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::from("#");
        for word in paragraph.split_whitespace() {
            if line.len() > 1 && line.len() + 1 + word.len() > 80 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("#");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// /etc/guichet/guichet.env as the flags of `guichet serve` give it.
fn environment_file() -> String {
    let mut out = String::from(
        "# /etc/guichet/guichet.env: the settings of the guichet service, read by systemd\n\
         # (EnvironmentFile=): one NAME=value a line, no quotes needed, # starts a comment.\n\
         # Every setting is also a flag of `guichet serve` (man guichet); a line commented\n\
         # out shows the default. Apply a change with: systemctl restart guichet\n\
         #\n\
         # Generated from the command line by tests/it/packaging.rs: edit the flags' help\n\
         # in src/cli/mod.rs, not this file, in the repository.\n",
    );
    let packaged: BTreeMap<_, _> = PACKAGED.iter().copied().collect();
    for arg in serve_args() {
        let name = arg.get_env().unwrap().to_str().unwrap();
        let help = arg.get_long_help().or(arg.get_help()).unwrap().to_string();
        let help = help.trim_end().trim_end_matches('.');
        let help = match arg.get_value_delimiter() {
            Some(d) => format!("{help}. Here: a list separated by '{d}'."),
            None => format!("{help}."),
        };
        out.push('\n');
        out.push_str(&comment(&help));
        let default: Vec<_> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy())
            .collect();
        match packaged.get(name) {
            Some(value) => out.push_str(&format!("{name}={value}\n")),
            None => out.push_str(&format!("#{name}={}\n", default.join(","))),
        }
    }
    out.push('\n');
    out.push_str(OTHERS);
    out
}

/// Compares `actual` with the committed file at `path`, or writes it when updating.
fn same_as_committed(path: &Path, actual: &str) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == actual,
        "{} is not what the command line gives: run GUICHET_UPDATE_PACKAGING=1 cargo test --test it packaging, then commit it",
        path.display()
    );
}

#[test]
fn every_flag_of_serve_has_a_help_text_and_can_be_set_from_the_environment_file() {
    for arg in serve_args() {
        let long = arg.get_long().unwrap_or("?");
        assert!(
            arg.get_help().is_some(),
            "--{long} has no help text (a /// comment)"
        );
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        assert!(
            env.as_deref().is_some_and(|e| e.starts_with("GUICHET_")),
            "--{long} has no GUICHET_… environment variable (add `env = \"GUICHET_…\"` to it)"
        );
    }
}

#[test]
fn the_packaged_environment_file_is_made_from_the_serve_flags() {
    let text = environment_file();
    for (name, value) in PACKAGED {
        assert!(text.contains(&format!("\n{name}={value}\n")), "{name}");
    }
    assert!(text.contains("\n#GUICHET_SMTP_PORT=587\n"));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    same_as_committed(&packaging_dir().join("guichet.env"), &text);
}

#[test]
fn the_packaged_man_pages_are_made_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), dir.path()).unwrap();
    let man = packaging_dir().join("man");
    let mut made: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    made.sort();
    assert!(made.contains(&"guichet.1".to_string()), "{made:?}");
    assert!(made.contains(&"guichet-admin-reset-password.1".to_string()));
    let page = std::fs::read_to_string(dir.path().join("guichet.1")).unwrap();
    assert!(
        page.contains("GUICHET_DATA"),
        "the pages name the variables"
    );
    if updating() {
        let _ = std::fs::remove_dir_all(&man);
    }
    for name in &made {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        same_as_committed(&man.join(name), &text);
    }
    let mut committed: Vec<String> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    committed.sort();
    assert_eq!(committed, made, "packaging/debian/man holds other pages");
}

/// `guichet serve` on `dir`'s data file with the password file set, as the unit
/// starts it (settings from the environment only); returns once `/healthz` answers.
async fn serve(dir: &Path, port: u16) -> Child {
    // reqwest is built without a default TLS provider (the app installs ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GUICHET_ADDR", format!("127.0.0.1:{port}"))
        .env("GUICHET_DATA", dir.join("guichet.redb"))
        .env(
            "GUICHET_FIRST_ADMIN_PASSWORD_FILE",
            dir.join("first-admin-password"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status() == StatusCode::OK
        {
            return child;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "guichet serve stopped at start"
        );
        assert!(Instant::now() < deadline, "no /healthz after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "guichet did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn the_first_start_writes_the_one_time_password_to_a_private_file_deleted_once_changed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("first-admin-password");
    let port = free_port();
    stop(serve(dir.path(), port).await);

    let text = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the service's user reads it");
    }
    assert!(text.contains("username: admin"), "{text}");
    assert!(text.contains(&format!("http://127.0.0.1:{port}")), "{text}");
    let otp = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("one-time password: "))
        .unwrap()
        .to_string();

    // A restart before the admin signed in keeps the file (and makes no new admin).
    stop(serve(dir.path(), port).await);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    {
        let db = guichet::db::Db::open(&dir.path().join("guichet.redb")).unwrap();
        let admin = db.user_by_username("admin").unwrap().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let new = "Chosen-by-the-admin-2026";
        guichet::auth::login::change_password(&db, admin.id, &otp, new, new, now, "127.0.0.1")
            .unwrap();
    }
    stop(serve(dir.path(), port).await);
    assert!(!file.exists(), "the used password's file is deleted");
}
