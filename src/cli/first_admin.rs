//! The first admin's one-time password in a file (`--first-admin-password-file`; the
//! Debian package writes /var/lib/guichet/first-admin-password): a service started by
//! systemd has no terminal to print it on, so besides the journal it lands in a file
//! that only the service's user (and root) can read. The file is deleted at a later
//! start once that admin has chosen their own password.

use std::io::Write;
use std::path::Path;

use crate::db::Db;

/// The file's text: who, the password, where to sign in.
fn text(username: &str, otp: &str, base_url: &str) -> String {
    format!(
        "Guichet created its first admin account at its first start.\n\
         \x20 username: {username}\n\
         \x20 one-time password: {otp}\n\
         Sign in at {base_url} and choose your own password. Guichet deletes this file\n\
         at its next start once the password has been changed.\n"
    )
}

/// The username a password file names (its `username:` line).
fn username_in(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("username:"))
        .map(str::trim)
        .filter(|u| !u.is_empty())
}

/// Writes the one-time password `otp` of the first admin `username` to `path`, mode
/// 0600 (an older file there is replaced, never reused with its mode).
pub fn write_password_file(
    path: &Path,
    username: &str,
    otp: &str,
    base_url: &str,
) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(text(username, otp, base_url).as_bytes())?;
    f.sync_all()
}

/// At start: deletes the password file at `path` when the account it names no longer
/// holds a one-time password (it signed in and chose its own, or is gone). Returns
/// whether it was deleted; a missing or unreadable file is left alone.
pub fn remove_if_used(db: &Db, path: &Path) -> Result<bool, super::CliError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(false);
    };
    let Some(username) = username_in(&text) else {
        return Ok(false);
    };
    let used = db
        .user_by_username(username)?
        .is_none_or(|u| !u.must_change_password);
    if used {
        std::fs::remove_file(path)?;
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_file_names_its_account_and_where_to_sign_in() {
        let t = text("admin", "ABCD-EFGH", "https://pay.example");
        assert!(t.contains("username: admin\n"));
        assert!(t.contains("one-time password: ABCD-EFGH\n"));
        assert!(t.contains("https://pay.example"));
        assert_eq!(username_in(&t), Some("admin"));
        assert_eq!(username_in("nothing here"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_password_file_is_readable_by_its_owner_only_even_over_an_older_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("first-admin-password");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_password_file(&path, "admin", "SECRET", "http://127.0.0.1:8080").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(std::fs::read_to_string(&path).unwrap().contains("SECRET"));
    }
}
