//! What a desktop remembers about its clinic server: where it is, the
//! certificate it pinned, how far it has pushed and pulled, and how the last
//! sync went. Kept in the encrypted store's metadata, never change-logged.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use clinicdesk_domain::{Permission, Role};
use clinicdesk_sync_proto::{ChangeEntry, Rejected};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// Set at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub url: String,
    /// SHA-256 of the server certificate, pinned at enrollment ("" for
    /// plain HTTP on loopback).
    pub fingerprint: String,
    pub clinic_id: String,
    pub roles: Vec<Role>,
    pub device_name: String,
    pub enrolled_at: i64,
}

/// How sync is going, for the status bar and `sync status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// Change-log seq of the last own change the server acknowledged.
    pub pushed_seq: i64,
    pub last_success_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
}

pub(crate) fn meta(store: &Store, key: &str) -> Result<Option<String>> {
    meta_in(store.conn(), key)
}

/// `meta`, inside a write or on any connection.
pub(crate) fn meta_in(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM store_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// A report kept as JSON (how the last sync, pick-up or follow-up went):
/// none, or one that cannot be read, counts as the default. Never for
/// settings, whose loss must be said.
pub(crate) fn meta_report<T: serde::de::DeserializeOwned + Default>(
    conn: &rusqlite::Connection,
    key: &str,
) -> Result<T> {
    Ok(meta_in(conn, key)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

pub(crate) fn set_meta(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO store_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute((key, value))?;
    Ok(())
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    pub fn sync_settings(&self) -> Result<Option<SyncSettings>> {
        meta(self, "sync_settings")?
            .map(|s| {
                serde_json::from_str(&s).map_err(|e| {
                    StoreError::invalid(format!(
                        "the stored sync settings are damaged ({e}); enroll again"
                    ))
                })
            })
            .transpose()
    }

    /// Records an enrollment (administrators). `secret` is the device
    /// credential when it cannot live in the OS keychain (a key-file store);
    /// it is then kept in this encrypted store.
    pub fn set_sync_settings(
        &mut self,
        session: &Session,
        settings: &SyncSettings,
        secret: Option<&str>,
    ) -> Result<()> {
        session.require(Permission::StoreAdmin)?;
        self.write(session, |tx| {
            set_meta(tx.conn(), "sync_settings", &json(settings))?;
            if let Some(s) = secret {
                set_meta(tx.conn(), "sync_secret", s)?;
            }
            set_meta(tx.conn(), "sync_progress", &json(&SyncProgress::default()))?;
            tx.audit(Entry::new("sync", "enroll").detail(format!(
                "enrolled with the clinic server {} as \"{}\"",
                settings.url, settings.device_name
            )))
        })
    }

    /// The device credential kept in the store (key-file stores only).
    pub fn sync_secret(&self) -> Result<Option<String>> {
        meta(self, "sync_secret")
    }

    pub fn sync_progress(&self) -> Result<SyncProgress> {
        meta_report(self.conn(), "sync_progress")
    }

    /// Own changes not yet acknowledged by the server.
    pub fn queued_changes(&self) -> Result<i64> {
        let pushed = self.sync_progress()?.pushed_seq;
        Ok(self.conn().query_row(
            "SELECT count(*) FROM change_log WHERE seq > ?1 AND device_id = ?2",
            (pushed, self.device_id()),
            |r| r.get(0),
        )?)
    }

    /// Double bookings raised at merge that staff have not resolved yet: a
    /// count for the status bar, so it is not audited like the list is.
    pub fn open_conflict_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// The server acknowledged own changes up to `seq`; those it refused are
    /// kept with its reason, for staff to see.
    pub fn record_push(&mut self, seq: i64, refused: &[(ChangeEntry, Rejected)]) -> Result<()> {
        let conn = self.conn();
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let mut progress = self.sync_progress()?;
        progress.pushed_seq = progress.pushed_seq.max(seq);
        set_meta(&tx, "sync_progress", &json(&progress))?;
        let now = crate::write::now_seconds();
        for (c, r) in refused {
            let reason = format!("refused by the clinic server: {}", r.reason);
            crate::merge::keep_refusal(&tx, c, &reason, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The server cursor this desktop has applied up to.
    pub fn sync_cursor(&self) -> Result<i64> {
        Ok(meta(self, "sync_cursor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Where the next pull starts. Only ever moves forward.
    pub fn set_sync_cursor(&mut self, cursor: i64) -> Result<()> {
        if cursor > self.sync_cursor()? {
            set_meta(self.conn(), "sync_cursor", &cursor.to_string())?;
        }
        Ok(())
    }

    /// Notes how a sync attempt ended.
    pub fn record_sync_attempt(&mut self, outcome: std::result::Result<(), &str>) -> Result<()> {
        let mut progress = self.sync_progress()?;
        let now = crate::write::now_seconds();
        progress.last_attempt_at = Some(now);
        match outcome {
            Ok(()) => {
                progress.last_success_at = Some(now);
                progress.last_error = None;
            }
            Err(e) => progress.last_error = Some(e.to_string()),
        }
        set_meta(self.conn(), "sync_progress", &json(&progress))
    }
}
