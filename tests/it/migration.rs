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

/// A private copy of `v2-demo.redb` (`guichet demo --transactions 3000` by the
/// schema-2 binary) with its key file.
fn v2_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dst = dir.path().join("v2.redb");
    std::fs::copy(fixtures.join("v2-demo.redb"), &dst).unwrap();
    std::fs::copy(fixtures.join("v2-demo.keys"), dir.path().join("v2.keys")).unwrap();
    (dir, dst)
}

#[test]
fn a_schema_2_file_gets_its_quarter_hour_rollups_built_on_open() {
    use guichet::db::rollups::{Dim, RollupQuery};
    use std::collections::BTreeMap;
    let (_dir, path) = v2_copy();
    let db = Db::open(&path).unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.transactions, 3000);
    let rows = db.latest_transactions(Scope::Admin, 10_000).unwrap();
    let merchant = rows[0].merchant_id;
    // Per UTC+1 day over the file's span, for one merchant, by operation and code.
    let first = rows.iter().map(|t| t.at).min().unwrap();
    let start = (first.div_euclid(86_400) - 1) * 86_400 - 3_600;
    let bounds: Vec<i64> = (0..400).map(|d| start + d * 86_400).collect();
    let q = RollupQuery {
        merchant: Some(merchant),
        dim: Dim::Total,
        value: None,
        bounds: bounds.clone(),
    };
    let mut from_rollups: BTreeMap<(usize, u8, u16), (u64, i64)> = BTreeMap::new();
    for (g, t) in db.rollup(Scope::Merchant(merchant), &q).unwrap() {
        let e = from_rollups.entry((g.period, g.op, g.code)).or_default();
        e.0 += t.count;
        e.1 += t.sum;
    }
    let mut from_rows: BTreeMap<(usize, u8, u16), (u64, i64)> = BTreeMap::new();
    for t in rows.iter().filter(|t| t.merchant_id == merchant) {
        let day = bounds
            .windows(2)
            .position(|w| w[0] <= t.at && t.at < w[1])
            .unwrap();
        let e = from_rows
            .entry((day, t.operation.index(), t.code.value()))
            .or_default();
        e.0 += 1;
        e.1 += t.amount.minor();
    }
    assert!(from_rows.len() > 20);
    assert_eq!(from_rollups, from_rows);
    drop(db);
    // A second open finds schema 3 and the same rollups.
    let db = Db::open(&path).unwrap();
    assert!(db.check().unwrap().is_ok());
    let again = db.rollup(Scope::Merchant(merchant), &q).unwrap();
    assert_eq!(
        again.values().map(|t| t.count).sum::<u64>(),
        from_rows.values().map(|v| v.0).sum::<u64>()
    );
}

#[test]
fn a_schema_3_file_drops_its_utc_day_rollups_on_open() {
    use redb::{ReadableDatabase, TableDefinition, TableHandle};
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    const DAY: TableDefinition<(u64, i32, u8, u16), (u64, i64)> =
        TableDefinition::new("rollup_day");
    let (_dir, path) = v2_copy();
    drop(Db::open(&path).unwrap());
    // Back to what schema 3 wrote: its version and its UTC day counters.
    {
        let raw = redb::Database::open(&path).unwrap();
        let wtx = raw.begin_write().unwrap();
        wtx.open_table(META)
            .unwrap()
            .insert("schema_version", 3u32.to_le_bytes().as_slice())
            .unwrap();
        wtx.open_table(DAY)
            .unwrap()
            .insert((1, 20_000, 1, 0), (1, 100))
            .unwrap();
        wtx.commit().unwrap();
    }
    let db = Db::open(&path).unwrap();
    assert!(db.check().unwrap().is_ok());
    drop(db);
    let raw = redb::Database::open(&path).unwrap();
    let rtx = raw.begin_read().unwrap();
    let tables: Vec<String> = rtx
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .collect();
    assert!(!tables.iter().any(|t| t == "rollup_day"), "{tables:?}");
    let version = rtx
        .open_table(META)
        .unwrap()
        .get("schema_version")
        .unwrap()
        .map(|v| u32::from_le_bytes(v.value().try_into().unwrap()));
    assert_eq!(version, Some(guichet::db::SCHEMA_VERSION));
    assert_eq!(guichet::db::SCHEMA_VERSION, 5);
}

#[test]
fn a_schema_4_file_drops_its_unused_time_index_on_open_and_keeps_every_row() {
    use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition, TableHandle};
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let (_dir, path) = v2_copy();
    let rows = {
        let db = Db::open(&path).unwrap();
        db.check().unwrap().transactions
    };
    assert!(rows > 0);
    // Back to what schema 4 wrote: its version and a time index entry per row.
    {
        let raw = redb::Database::open(&path).unwrap();
        let wtx = raw.begin_write().unwrap();
        wtx.open_table(META)
            .unwrap()
            .insert("schema_version", 4u32.to_le_bytes().as_slice())
            .unwrap();
        let mut idx = wtx.open_table(guichet::db::tables::TIME_ID).unwrap();
        for id in 1..=rows {
            idx.insert((1_780_000_000 + id as i64, id), ()).unwrap();
        }
        drop(idx);
        wtx.commit().unwrap();
    }
    let db = Db::open(&path).unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.transactions, rows);
    drop(db);
    let raw = redb::Database::open(&path).unwrap();
    let rtx = raw.begin_read().unwrap();
    let tables: Vec<String> = rtx
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .collect();
    assert!(!tables.iter().any(|t| t == "idx_time"), "{tables:?}");
    assert!(rtx.open_table(META).unwrap().len().unwrap() > 0);
    let version = rtx
        .open_table(META)
        .unwrap()
        .get("schema_version")
        .unwrap()
        .map(|v| u32::from_le_bytes(v.value().try_into().unwrap()));
    assert_eq!(version, Some(5));
}
