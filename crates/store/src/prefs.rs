//! Per-user preferences. Values are checked against a closed list, so no
//! free text (and so no PHI) can be stored here.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::text;
use clinicdesk_domain::prefs::{self, PREFERENCES};
use rusqlite::OptionalExtension;
use std::collections::BTreeMap;

impl Store {
    /// Every preference of the logged-in user, defaults filled in.
    pub fn preferences(&self, session: &Session) -> Result<BTreeMap<String, String>> {
        let mut out: BTreeMap<String, String> = PREFERENCES
            .iter()
            .map(|p| (p.key.to_string(), p.default.to_string()))
            .collect();
        let mut stmt = self
            .conn()
            .prepare("SELECT key, value FROM preferences WHERE user_id = ?1")?;
        for row in stmt.query_map([&session.user_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (k, v) = row?;
            if prefs::spec(&k).is_some() {
                out.insert(k, v);
            }
        }
        Ok(out)
    }

    pub fn set_preference(&mut self, session: &Session, key: &str, value: &str) -> Result<String> {
        let value = prefs::check(key, value).map_err(StoreError::Invalid)?;
        let id = format!("{}/{key}", session.user_id);
        let exists: Option<String> = self
            .conn()
            .query_row("SELECT value FROM preferences WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.as_deref() == Some(value.as_str()) {
            return Ok(value);
        }
        self.write(session, |tx| {
            if exists.is_some() {
                tx.update("preferences", &id, vec![("value", text(&value))])?;
            } else {
                tx.insert(
                    "preferences",
                    &id,
                    vec![
                        ("user_id", text(&session.user_id)),
                        ("key", text(key)),
                        ("value", text(&value)),
                    ],
                )?;
            }
            tx.audit(
                Entry::new("preferences", "update")
                    .record(&id)
                    .detail(format!("{key} = {value}")),
            )
        })?;
        Ok(value)
    }
}
