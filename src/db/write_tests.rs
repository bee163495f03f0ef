//! The write functions the handlers call: each owns its write transaction, checks
//! its rule inside it, and appends exactly one audit (or History) line with it, or
//! writes nothing at all.

use super::{Db, Error, Scope, users};
use crate::domain::Lang;
use crate::domain::actor::Actor;
use crate::domain::codes::ResultCode;
use crate::domain::merchant::MerchantForm;
use crate::domain::note::NoteText;
use crate::domain::operation_rules::RebillPolicy;
use crate::domain::transaction::Operation;
use crate::domain::transaction::tests::tx;
use crate::domain::user::{ActionRefused, Permissions, ProfileChange, Role, User, UserAction};

const AT: i64 = 1_780_000_000;

fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("w.redb")).unwrap();
    (dir, db)
}

fn actor() -> Actor {
    Actor::new(AT, "boss", "10.0.0.1")
}

fn audit_lines(db: &Db) -> Vec<crate::db::audit::AuditEntry> {
    db.audit(Scope::Admin, 1000).unwrap()
}

fn account(name: &str, role: Role) -> User {
    User {
        id: 0,
        username: name.into(),
        full_name: String::new(),
        email: String::new(),
        password_hash: "old".into(),
        previous_hashes: Vec::new(),
        must_change_password: false,
        role,
        lang: Lang::Fr,
        disabled: false,
        last_used_at: AT,
        created_at: AT,
        password_changed_at: AT,
        disabled_by_admin: false,
        second_factor: None,
        time_zone: None,
    }
}

fn staff(merchant_id: u64, permissions: Permissions) -> Role {
    Role::Merchant {
        merchant_id,
        permissions,
    }
}

fn manager_perms() -> Permissions {
    Permissions {
        view: true,
        manage_users: true,
        ..Permissions::default()
    }
}

/// Stores `user` directly (no audit line), for the tests that start from it.
fn stored(db: &Db, user: User) -> User {
    let wtx = db.begin_write().unwrap();
    let u = users::insert(&wtx, user).unwrap();
    wtx.commit().unwrap();
    u
}

#[test]
fn creating_and_editing_a_merchant_appends_one_audit_line_each() {
    let (_d, db) = db();
    let form = MerchantForm {
        name: "Uber".into(),
        terminals: "21114 Web".into(),
        ..MerchantForm::default()
    };
    let m = db.create_merchant(form.parse().unwrap(), &actor()).unwrap();
    assert_eq!((m.name.as_str(), m.created_at), ("Uber", AT));
    let log = audit_lines(&db);
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].target.as_str(),
            log[0].merchant_id
        ),
        ("merchant.create", "merchant Uber", Some(m.id))
    );
    assert_eq!(
        (log[0].actor.as_str(), log[0].ip.as_str(), log[0].at),
        ("boss", "10.0.0.1", AT)
    );

    let renamed = MerchantForm {
        name: "Uber Eats".into(),
        ..form
    };
    let after = db
        .update_merchant(m.id, renamed.parse().unwrap(), &actor())
        .unwrap()
        .unwrap();
    assert_eq!((after.name.as_str(), after.created_at), ("Uber Eats", AT));
    assert_eq!(audit_lines(&db).len(), 2);
    assert_eq!(audit_lines(&db)[0].target, "merchant Uber Eats");
    // No such merchant: nothing written.
    assert!(
        db.update_merchant(99, renamed.parse().unwrap(), &actor())
            .unwrap()
            .is_none()
    );
    assert_eq!(audit_lines(&db).len(), 2);
    assert_eq!(db.verify_audit_chain().unwrap().first_break, None);
}

#[test]
fn a_rebill_policy_is_stored_with_its_audit_line_or_not_at_all() {
    let (_d, db) = db();
    let m = db
        .create_merchant(
            MerchantForm {
                name: "Shop".into(),
                ..MerchantForm::default()
            }
            .parse()
            .unwrap(),
            &actor(),
        )
        .unwrap();
    let policy = RebillPolicy::parse("50.00", "2").unwrap();
    assert_eq!(
        db.set_rebill_policy(m.id, &policy, &actor()).unwrap(),
        Some(())
    );
    assert_eq!(db.rebill_policy(m.id).unwrap(), policy);
    let log = audit_lines(&db);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "merchant.rebill_policy");
    assert_eq!(
        (log[0].target.as_str(), log[0].detail.as_str()),
        ("merchant Shop", "ceiling=50.00 per_day=2")
    );
    assert_eq!(db.set_rebill_policy(77, &policy, &actor()).unwrap(), None);
    assert_eq!(audit_lines(&db).len(), 2);
}

#[test]
fn creating_a_user_audits_its_role_and_a_taken_name_writes_nothing() {
    let (_d, db) = db();
    let u = db
        .create_user(account("omar", staff(3, manager_perms())), &actor())
        .unwrap();
    assert!(u.id > 0);
    let log = audit_lines(&db);
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].target.as_str(),
            log[0].merchant_id
        ),
        ("user.create", "user omar", Some(3))
    );
    assert_eq!(log[0].detail, "role: merchant 3 [view,manage_users]");

    let again = db.create_user(account("omar", Role::Admin), &actor());
    assert!(
        matches!(again, Err(Error::UsernameTaken(ref n)) if n == "omar"),
        "{again:?}"
    );
    assert_eq!(audit_lines(&db).len(), 1);
    assert_eq!(db.user_count().unwrap(), 1);
    assert_eq!(
        db.user(u.id).unwrap().unwrap().role,
        staff(3, manager_perms())
    );
}

#[test]
fn editing_a_user_audits_the_role_change_and_stays_in_scope() {
    let (_d, db) = db();
    let u = stored(&db, account("lina", staff(3, Permissions::default())));
    let change = ProfileChange {
        full_name: "Lina B".into(),
        email: "lina@example.com".into(),
        role: staff(3, manager_perms()),
    };
    // Another merchant's manager cannot reach the account: nothing written.
    let out = db.update_user(Scope::Merchant(4), u.id, change.clone(), &actor());
    assert!(matches!(out, Err(Error::NotFound)), "{out:?}");
    assert!(audit_lines(&db).is_empty());
    let after = db
        .update_user(Scope::Merchant(3), u.id, change, &actor())
        .unwrap();
    assert_eq!(after.full_name, "Lina B");
    assert_eq!(after.password_hash, "old", "only the form's fields change");
    let log = audit_lines(&db);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "user.update");
    assert_eq!(
        log[0].detail,
        "role: merchant 3 [none] → merchant 3 [view,manage_users]"
    );
}

#[test]
fn the_language_is_remembered_without_an_audit_line() {
    let (_d, db) = db();
    let u = stored(&db, account("sara", Role::Admin));
    db.set_user_lang(u.id, Lang::En).unwrap();
    assert_eq!(db.user(u.id).unwrap().unwrap().lang, Lang::En);
    assert!(audit_lines(&db).is_empty());
}

#[test]
fn apply_user_action_refuses_self_disable_and_out_of_scope_users() {
    let (_d, db) = db();
    let boss = stored(&db, account("boss", staff(3, manager_perms())));
    let clerk = stored(&db, account("clerk", staff(3, Permissions::default())));
    let other = stored(&db, account("other", staff(4, Permissions::default())));
    let scope = Scope::Merchant(3);
    let apply = |id, action| {
        db.apply_user_action(scope, id, action, &boss, &actor(), None)
            .unwrap()
    };
    assert_eq!(
        apply(boss.id, UserAction::Disable),
        Err(ActionRefused::NotFound)
    );
    assert_eq!(
        apply(other.id, UserAction::Disable),
        Err(ActionRefused::NotFound)
    );
    assert_eq!(
        apply(boss.id, UserAction::Reset),
        Err(ActionRefused::Forbidden)
    );
    assert!(audit_lines(&db).is_empty());
    assert!(!db.user(boss.id).unwrap().unwrap().disabled);
    assert!(!db.user(other.id).unwrap().unwrap().disabled);

    let done = apply(clerk.id, UserAction::Disable).unwrap();
    assert!(done.disabled && !done.disabled_by_admin);
    let log = audit_lines(&db);
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].target.as_str(),
            log[0].merchant_id
        ),
        ("user.disable", "user clerk", Some(3))
    );
    let enabled = apply(clerk.id, UserAction::Enable).unwrap();
    assert!(!enabled.disabled);
    assert_eq!(audit_lines(&db).len(), 2);
}

#[test]
fn a_reset_stores_the_new_hash_ends_sessions_and_lifts_the_lock() {
    let (_d, db) = db();
    let admin = stored(&db, account("root", Role::Admin));
    let u = stored(&db, account("clerk", staff(3, Permissions::default())));
    db.set_attempts(
        "clerk",
        crate::domain::auth::Attempts {
            failures: 3,
            locked_until: Some(AT + 600),
        },
    )
    .unwrap();
    let token = db.create_session(u.id, AT, "10.0.0.2").unwrap();
    let done = db
        .apply_user_action(
            Scope::Admin,
            u.id,
            UserAction::Reset,
            &admin,
            &actor(),
            Some("new-hash".into()),
        )
        .unwrap()
        .unwrap();
    assert_eq!(done.password_hash, "new-hash");
    assert_eq!(done.previous_hashes, ["old"]);
    assert!(done.must_change_password);
    assert_eq!(db.attempts("clerk").unwrap(), Default::default());
    assert!(db.session(&token).unwrap().is_none());
    assert_eq!(audit_lines(&db).len(), 1);
    assert_eq!(audit_lines(&db)[0].action, "user.reset");
    // Without the hash nothing is written.
    let out = db.apply_user_action(
        Scope::Admin,
        u.id,
        UserAction::Reset,
        &admin,
        &actor(),
        None,
    );
    assert!(matches!(out, Err(Error::NotFound)));
    assert_eq!(audit_lines(&db).len(), 1);
}

#[test]
fn a_note_and_its_history_line_are_one_write_in_scope() {
    let (_d, db) = db();
    let mut rows = [tx(
        0,
        Operation::Sale,
        10_000,
        ResultCode::ACCEPTED,
        time::OffsetDateTime::from_unix_timestamp(AT).unwrap(),
    )];
    db.insert_transactions(&mut rows).unwrap();
    let id = rows[0].id;
    let text = NoteText::parse("called the buyer").unwrap();
    assert!(
        !db.add_note(Scope::Merchant(2), id, text.clone(), &actor())
            .unwrap()
    );
    assert!(db.notes(id).unwrap().is_empty());
    assert!(db.add_note(Scope::Merchant(1), id, text, &actor()).unwrap());
    let notes = db.notes(id).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (
            notes[0].author.as_str(),
            notes[0].text.as_str(),
            notes[0].at
        ),
        ("boss", "called the buyer", AT)
    );
    let history = db.history(id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].action.as_str(), history[0].ip.as_str()),
        ("note.add", "10.0.0.1")
    );
}

#[test]
fn security_settings_and_a_bare_record_append_one_line() {
    let (_d, db) = db();
    let s = crate::db::security::SecuritySettings {
        password_max_age_days: 90,
        second_factor_merchants: vec![3, 5],
    };
    db.set_security_settings(&s, &actor()).unwrap();
    db.record(&crate::db::audit::AuditEntry::by(
        &actor(),
        "audit.view",
        "audit log",
        None,
    ))
    .unwrap();
    let log = audit_lines(&db);
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[1].target.as_str(), log[1].detail.as_str()),
        (
            "security",
            "password_max_age_days=90 second_factor_merchants=3,5"
        )
    );
    assert_eq!(db.security_settings().unwrap(), s);
}

#[test]
fn signing_out_ends_the_session_with_its_line_and_a_random_token_writes_nothing() {
    let (_d, db) = db();
    let u = stored(&db, account("sara", Role::Admin));
    let token = db.create_session(u.id, AT, "10.0.0.2").unwrap();
    let line = crate::db::audit::AuditEntry::by(&actor(), "auth.sign_out", "user sara", None);
    db.sign_out("not-a-session", Some(&line)).unwrap();
    assert!(audit_lines(&db).is_empty());
    db.sign_out(&token, Some(&line)).unwrap();
    assert!(db.session(&token).unwrap().is_none());
    assert_eq!(audit_lines(&db).len(), 1);
}

#[test]
fn a_users_time_zone_is_kept_beside_the_record_and_survives_other_writes() {
    use crate::domain::zone::Zone;
    let (_d, db) = db();
    let u = stored(&db, account("omar", staff(3, manager_perms())));
    assert_eq!(db.user(u.id).unwrap().unwrap().time_zone, None);
    let kolkata = Zone::parse("Asia/Kolkata").unwrap();
    db.set_user_time_zone(u.id, Some(kolkata.clone())).unwrap();
    // Every way of reading a user brings the zone along.
    assert_eq!(
        db.user(u.id).unwrap().unwrap().time_zone,
        Some(kolkata.clone())
    );
    assert_eq!(
        db.user_by_username("omar").unwrap().unwrap().time_zone,
        Some(kolkata.clone())
    );
    assert_eq!(
        db.users(Scope::Admin).unwrap()[0].time_zone,
        Some(kolkata.clone())
    );
    // A write of another field (read, changed, written back) keeps it.
    db.set_user_lang(u.id, Lang::En).unwrap();
    let again = db.user(u.id).unwrap().unwrap();
    assert_eq!(
        (again.lang, again.time_zone.clone()),
        (Lang::En, Some(kolkata))
    );
    // The stored record itself is the same bytes with or without a zone.
    let rtx = db.begin_read().unwrap();
    let record = rtx
        .open_table(super::tables::USER_ID_TO_USER)
        .unwrap()
        .get(u.id)
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    drop(rtx);
    let without = User {
        time_zone: None,
        ..again.clone()
    };
    assert_eq!(record, super::codec::encode(&without).unwrap());
    // Back to the appliance's zone: the row goes.
    db.set_user_time_zone(u.id, None).unwrap();
    assert_eq!(db.user(u.id).unwrap().unwrap().time_zone, None);
    let rtx = db.begin_read().unwrap();
    let zones = rtx.open_table(super::tables::USER_ID_TO_TIME_ZONE).unwrap();
    assert!(redb::ReadableTableMetadata::is_empty(&zones).unwrap());
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn the_check_reports_a_zone_of_a_missing_user_or_an_unknown_name() {
    let (_d, db) = db();
    let u = stored(&db, account("omar", staff(3, manager_perms())));
    let wtx = db.begin_write().unwrap();
    {
        let mut t = wtx.open_table(super::tables::USER_ID_TO_TIME_ZONE).unwrap();
        t.insert(u.id, "Mars/Olympus").unwrap();
        t.insert(999, "Asia/Kolkata").unwrap();
    }
    wtx.commit().unwrap();
    // An unknown name reads as the appliance's zone.
    assert_eq!(db.user(u.id).unwrap().unwrap().time_zone, None);
    let problems = db.check().unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("Mars/Olympus")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("missing user 999")),
        "{problems:?}"
    );
}
