//! Numbered SQL migrations from `migrations/`, compiled into the binary and
//! applied together in one transaction when the store opens.

use crate::error::{Result, StoreError};
use rusqlite::Connection;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../../../migrations/", $file)),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_initial.sql"),
    migration!(2, "0002_fhir_links.sql"),
    migration!(3, "0003_day_view_indexes.sql"),
    migration!(4, "0004_sync_merge.sql"),
    migration!(5, "0005_eligibility.sql"),
    migration!(6, "0006_claims.sql"),
    migration!(7, "0007_scribe.sql"),
    migration!(8, "0008_imaging.sql"),
    migration!(9, "0009_imaging_annotations.sql"),
    migration!(10, "0010_claim_outbox.sql"),
    migration!(11, "0011_duplicate_mrn_conflicts.sql"),
    migration!(12, "0012_clinic_settings.sql"),
    migration!(13, "0013_list_indexes.sql"),
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub fn current(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Bring the schema up to `target`; refuses a store newer than this build.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64> {
    let found = current(conn)?;
    if found > latest() {
        return Err(StoreError::NewerSchema {
            found,
            known: latest(),
        });
    }
    if found >= target {
        return Ok(found);
    }
    // A migration may rebuild a table others refer to (SQLite's way of
    // changing a constraint), which foreign keys would forbid mid-way; they
    // are off while it runs and every reference is checked before commit.
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = apply(conn, target);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    result
}

fn apply(conn: &mut Connection, target: i64) -> Result<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Read again under the write lock: another connection opening the same
    // store (the app and its workers start together) may have migrated it
    // while this one waited.
    let found = current(&tx)?;
    if found >= target {
        return Ok(found);
    }
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        tx.execute_batch(m.sql).map_err(|e| {
            StoreError::invalid(format!(
                "migration {} failed: {e}; the store is unchanged",
                m.name
            ))
        })?;
    }
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(StoreError::invalid(format!(
            "the migration to schema {target} would leave {broken} broken references; the store is unchanged"
        )));
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_migrations_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, embedded);
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
        }
    }

    /// Two connections find the same old schema (the app and its workers
    /// open the store together); the one that gets the write lock second
    /// finds the work done instead of applying the migrations again.
    #[test]
    fn a_store_migrated_meanwhile_is_not_migrated_twice() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::config::db_path(dir.path());
        let key = clinicdesk_keys::StoreKey::generate();
        let hmac = crate::PageHmac::for_this_machine();
        let mut first = crate::store::open_connection(&db, &key, hmac, true).unwrap();
        migrate_to(&mut first, 10).unwrap();
        let mut second = crate::store::open_connection(&db, &key, hmac, false).unwrap();
        assert_eq!(current(&second).unwrap(), 10, "both saw schema 10");
        migrate_to(&mut first, latest()).unwrap();
        // The second connection, having seen 10, now takes the write lock.
        assert_eq!(apply(&mut second, latest()).unwrap(), latest());
        assert_eq!(current(&second).unwrap(), latest());
    }
}
