//! Schema 1 → 2 for accounts: users gain the password-change time, the
//! "disabled by an admin" mark and the second factor; sessions gain a stage. Users
//! are decoded with a private copy of the schema-1 layout and written again in the
//! new one; schema-1 sessions are dropped (everyone signs in again).

use redb::ReadableTable;
use serde::Deserialize;

use super::Tx;
use super::tables::{SESSION_HASH_TO_SESSION, USER_ID_TO_USER};
use super::{Result, codec};
use crate::domain::Lang;
use crate::domain::user::{Role, User};

/// `User` as schema 1 stored it (postcard: field order matters). Tests write it.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct UserV1 {
    id: u64,
    username: String,
    full_name: String,
    email: String,
    password_hash: String,
    previous_hashes: Vec<String>,
    must_change_password: bool,
    role: Role,
    lang: Lang,
    disabled: bool,
    last_used_at: i64,
    created_at: i64,
}

/// Rewrites every user in the schema-2 layout and ends every session. `now` (unix s)
/// becomes the users' password-change time: the maximum age counts from the upgrade.
pub(crate) fn v1_to_v2(wtx: &Tx, now: i64) -> Result<()> {
    let mut users = wtx.open_table(USER_ID_TO_USER)?;
    let mut migrated = Vec::new();
    for row in users.iter()? {
        let (k, v) = row?;
        let old: UserV1 = codec::decode("users", v.value())?;
        migrated.push((k.value(), upgrade(old, now)));
    }
    for (id, user) in migrated {
        users.insert(id, codec::encode(&user)?.as_slice())?;
    }
    wtx.open_table(SESSION_HASH_TO_SESSION)?
        .retain(|_, _| false)?;
    Ok(())
}

fn upgrade(u: UserV1, now: i64) -> User {
    User {
        id: u.id,
        username: u.username,
        full_name: u.full_name,
        email: u.email,
        password_hash: u.password_hash,
        previous_hashes: u.previous_hashes,
        must_change_password: u.must_change_password,
        role: u.role,
        lang: u.lang,
        disabled: u.disabled,
        last_used_at: u.last_used_at,
        created_at: u.created_at,
        password_changed_at: now,
        disabled_by_admin: false,
        second_factor: None,
        time_zone: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_one_user_keeps_every_field_and_gets_no_second_factor() {
        let old = UserV1 {
            id: 7,
            username: "omar".into(),
            full_name: "Omar B".into(),
            email: "o@example.com".into(),
            password_hash: "$argon2id$x".into(),
            previous_hashes: vec!["$argon2id$y".into()],
            must_change_password: true,
            role: Role::Admin,
            lang: Lang::En,
            disabled: true,
            last_used_at: 11,
            created_at: 10,
        };
        let bytes = codec::encode(&old).unwrap();
        let v1: UserV1 = codec::decode("users", &bytes).unwrap();
        let u = upgrade(v1, 99);
        assert_eq!(u.id, 7);
        assert_eq!(u.username, "omar");
        assert_eq!(u.previous_hashes, vec!["$argon2id$y".to_string()]);
        assert!(u.must_change_password && u.disabled && !u.disabled_by_admin);
        assert_eq!(
            (u.last_used_at, u.created_at, u.password_changed_at),
            (11, 10, 99)
        );
        assert_eq!(u.lang, Lang::En);
        assert!(u.second_factor.is_none());
        // The new layout does not decode as the old one would.
        assert!(codec::decode::<User>("users", &bytes).is_err());
    }
}
