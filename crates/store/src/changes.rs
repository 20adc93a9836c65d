//! Reading the sync change log.

use crate::error::Result;
use crate::store::Store;
use clinicdesk_sync_proto::{ChangeEntry, Op};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub change_id: String,
    pub hlc: String,
    pub device_id: String,
    pub user_id: Option<String>,
    pub table: String,
    pub record_id: String,
    pub op: String,
    pub fields: serde_json::Value,
}

const CHANGE_COLS: &str =
    "seq, change_id, hlc, device_id, user_id, table_name, record_id, op, fields";

/// A change-log row as the sync protocol carries it, with its local seq.
fn read_entry(r: &rusqlite::Row) -> rusqlite::Result<(i64, ChangeEntry)> {
    let op: String = r.get(7)?;
    let fields: String = r.get(8)?;
    Ok((
        r.get(0)?,
        ChangeEntry {
            change_id: r.get(1)?,
            hlc: r.get(2)?,
            device_id: r.get(3)?,
            user_id: r.get(4)?,
            table: r.get(5)?,
            record_id: r.get(6)?,
            // The table's CHECK allows only the three operations.
            op: Op::parse(&op).unwrap_or(Op::Update),
            fields: serde_json::from_str(&fields).unwrap_or_default(),
        },
    ))
}

impl Store {
    /// Changes after `after_seq`, oldest first, at most `limit`.
    pub fn changes_since(&self, after_seq: i64, limit: usize) -> Result<Vec<Change>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CHANGE_COLS} FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let v = stmt
            .query_map((after_seq, limit as i64), read_entry)?
            .map(|row| {
                row.map(|(seq, c)| Change {
                    seq,
                    change_id: c.change_id,
                    hlc: c.hlc,
                    device_id: c.device_id,
                    user_id: c.user_id,
                    table: c.table,
                    record_id: c.record_id,
                    op: c.op.as_str().to_string(),
                    fields: serde_json::Value::Object(c.fields),
                })
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// This device's own changes after change-log `seq`, oldest first: what
    /// the next push sends.
    pub fn outbox(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, ChangeEntry)>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CHANGE_COLS} FROM change_log WHERE seq > ?1 AND device_id = ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let rows = stmt.query_map((after_seq, self.device_id(), limit as i64), read_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
