//! Data files written by earlier schema versions open in this one.

use std::path::PathBuf;

use guichet::db::{Db, Scope};

/// A private copy of a fixture made by the schema-1 binary: `v1-demo.redb` (demo
/// data), `v1-audit.redb` (`guichet admin create-admin alice`, `create-admin bob`,
/// `reset-password alice`, `unlock bob`: three audit entries).
pub fn v1_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dst = dir.path().join("v1.redb");
    std::fs::copy(src, &dst).unwrap();
    (dir, dst)
}

#[test]
fn a_schema_1_audit_log_is_sealed_into_the_chain_on_first_open() {
    let (_dir, path) = v1_copy("v1-audit.redb");
    let db = Db::open(&path).unwrap();
    let chain = db.verify_audit_chain().unwrap();
    assert_eq!(chain.first_break, None);
    assert_eq!(chain.entries, 3);
    let entries = db.audit(Scope::Admin, 1000).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.reset", "user.create", "user.create"]);
    assert_eq!(entries[2].target, "user alice");
    assert!(
        entries
            .iter()
            .all(|e| e.outcome == "ok" && e.actor == "cli")
    );
    drop(db);
    // A second open finds schema 2 and changes nothing.
    let db = Db::open(&path).unwrap();
    assert_eq!(db.verify_audit_chain().unwrap(), chain);
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn account_maintenance_from_the_cli_is_audited() {
    let (_dir, path) = v1_copy("v1-audit.redb");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("admin")
            .arg("--data")
            .arg(&path)
            .args(args)
            .env("USER", "ops")
            .env_remove("SUDO_USER")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run(&["unlock", "bob"]);
    run(&["reset-password", "bob"]);
    let db = Db::open(&path).unwrap();
    let entries = db.audit(Scope::Admin, 2).unwrap();
    assert_eq!(entries[0].action, "user.reset");
    assert_eq!(entries[1].action, "user.unlock");
    assert_eq!(entries[1].target, "user bob");
    assert_eq!(entries[1].actor, "cli (ops)");
    assert_eq!(entries[1].ip, "local");
    assert_eq!(db.verify_audit_chain().unwrap().first_break, None);
}
