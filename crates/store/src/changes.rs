//! Reading the sync change log.

use crate::error::Result;
use crate::store::Store;
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

impl Store {
    /// Changes after `after_seq`, oldest first, at most `limit`.
    pub fn changes_since(&self, after_seq: i64, limit: usize) -> Result<Vec<Change>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, change_id, hlc, device_id, user_id, table_name, record_id, op, fields
             FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let v = stmt
            .query_map((after_seq, limit as i64), |r| {
                let fields: String = r.get(8)?;
                Ok(Change {
                    seq: r.get(0)?,
                    change_id: r.get(1)?,
                    hlc: r.get(2)?,
                    device_id: r.get(3)?,
                    user_id: r.get(4)?,
                    table: r.get(5)?,
                    record_id: r.get(6)?,
                    op: r.get(7)?,
                    fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}
