//! The audit trail: who touched which patient's data, when, how, from where.
//! Each entry carries the hash of the one before it, and the newest hash is
//! also kept in store metadata, so any edit, removal or truncation shows.

use crate::error::Result;
use crate::session::Session;
use crate::store::Store;
use clinicdesk_domain::Permission;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What to record; the store fills in who, when and which device.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub category: &'static str,
    pub action: &'static str,
    pub patient_id: Option<String>,
    pub record_id: Option<String>,
    pub detail: String,
}

impl Entry {
    pub fn new(category: &'static str, action: &'static str) -> Self {
        Entry {
            category,
            action,
            ..Default::default()
        }
    }

    pub fn patient(mut self, id: impl Into<String>) -> Self {
        self.patient_id = Some(id.into());
        self
    }

    pub fn record(mut self, id: impl Into<String>) -> Self {
        self.record_id = Some(id.into());
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Head {
    seq: i64,
    hash: String,
}

/// Where the next entry chains on. The recorded head wins over the table's
/// last row, so entries cut off the end stay a visible gap instead of being
/// papered over by the next append.
pub(crate) fn head(conn: &Connection) -> Result<Head> {
    let recorded: Option<String> = conn
        .prepare_cached("SELECT value FROM store_meta WHERE key = 'audit_head'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if let Some((seq, hash)) = recorded.as_deref().and_then(|r| r.split_once(':')) {
        if let Ok(seq) = seq.parse() {
            return Ok(Head {
                seq,
                hash: hash.to_string(),
            });
        }
    }
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| {
            Ok(Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .optional()?
        .unwrap_or(Head {
            seq: 0,
            hash: GENESIS.to_string(),
        }))
}

pub(crate) fn save_head(conn: &Connection, head: &Head) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO store_meta (key, value) VALUES ('audit_head', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([format!("{}:{}", head.seq, head.hash)])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub user_id: Option<String>,
    pub username: String,
    pub device_id: String,
    pub patient_id: Option<String>,
    pub category: String,
    pub action: String,
    pub record_id: Option<String>,
    pub detail: String,
}

fn entry_hash(prev: &str, row: &AuditRow) -> String {
    let canonical = serde_json::json!([
        prev,
        row.seq,
        row.at,
        row.user_id,
        row.username,
        row.device_id,
        row.patient_id,
        row.category,
        row.action,
        row.record_id,
        row.detail
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

pub(crate) fn append(
    conn: &Connection,
    head: &mut Head,
    session: &Session,
    device_id: &str,
    at: i64,
    e: &Entry,
) -> Result<()> {
    let row = AuditRow {
        seq: head.seq + 1,
        at,
        user_id: Some(session.user_id.clone()).filter(|u| !u.is_empty()),
        username: session.username.clone(),
        device_id: device_id.to_string(),
        patient_id: e.patient_id.clone(),
        category: e.category.to_string(),
        action: e.action.to_string(),
        record_id: e.record_id.clone(),
        detail: e.detail.clone(),
    };
    let hash = entry_hash(&head.hash, &row);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, user_id, username, device_id, patient_id, category, action, record_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(rusqlite::params![
        row.seq,
        row.at,
        row.user_id,
        row.username,
        row.device_id,
        row.patient_id,
        row.category,
        row.action,
        row.record_id,
        row.detail,
        head.hash,
        hash
    ])?;
    *head = Head { seq: row.seq, hash };
    Ok(())
}

/// The result of checking the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verification {
    pub entries: i64,
    pub intact: bool,
    /// The first entry that does not follow from the one before it.
    pub first_broken: Option<i64>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub patient_id: Option<String>,
    pub action: Option<String>,
    pub category: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: Option<usize>,
}

impl Store {
    /// Walks the whole chain and names the first entry that was altered,
    /// inserted or removed.
    pub fn verify_audit(&mut self, session: &Session) -> Result<Verification> {
        session.require(Permission::AuditRead)?;
        let v = verify(self.conn())?;
        self.write(session, |tx| {
            tx.audit(Entry::new("audit", "verify").detail(if v.intact {
                format!("{} entries, intact", v.entries)
            } else {
                format!("broken at entry {}", v.first_broken.unwrap_or(0))
            }))
        })?;
        Ok(v)
    }

    pub fn audit_report(&mut self, session: &Session, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        session.require(Permission::AuditRead)?;
        let mut sql = String::from(
            "SELECT seq, at, user_id, username, device_id, patient_id, category, action, record_id, detail
             FROM audit_log WHERE 1 = 1",
        );
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            params.push(v);
            sql.push_str(&format!(" AND {clause} ?{}", params.len()));
        };
        if let Some(u) = &f.username {
            add("username =", u.clone().into());
        }
        if let Some(p) = &f.patient_id {
            add("patient_id =", p.clone().into());
        }
        if let Some(a) = &f.action {
            add("action =", a.clone().into());
        }
        if let Some(c) = &f.category {
            add("category =", c.clone().into());
        }
        if let Some(t) = f.from {
            add("at >=", t.into());
        }
        if let Some(t) = f.to {
            add("at <", t.into());
        }
        sql.push_str(" ORDER BY seq");
        if let Some(l) = f.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        let rows = {
            let mut stmt = self.conn().prepare(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params.iter()), read_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        let n = rows.len();
        self.write(session, |tx| {
            tx.audit(Entry::new("audit", "report").detail(format!("{n} entries shown")))
        })?;
        Ok(rows)
    }
}

fn read_row(r: &rusqlite::Row) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        at: r.get(1)?,
        user_id: r.get(2)?,
        username: r.get(3)?,
        device_id: r.get(4)?,
        patient_id: r.get(5)?,
        category: r.get(6)?,
        action: r.get(7)?,
        record_id: r.get(8)?,
        detail: r.get(9)?,
    })
}

pub(crate) fn verify(conn: &Connection) -> Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_id, username, device_id, patient_id, category, action, record_id, detail, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected = 1i64;
    let broken = |seq: i64, entries: i64, why: String| Verification {
        entries,
        intact: false,
        first_broken: Some(seq),
        problem: Some(why),
    };
    while let Some(r) = rows.next()? {
        let row = read_row(r)?;
        let prev_hash: String = r.get(10)?;
        let hash: String = r.get(11)?;
        if row.seq != expected {
            return Ok(broken(
                expected,
                expected - 1,
                format!("entries {expected} to {} are missing", row.seq - 1),
            ));
        }
        if prev_hash != prev {
            return Ok(broken(
                row.seq,
                row.seq - 1,
                format!("entry {} does not follow entry {}", row.seq, row.seq - 1),
            ));
        }
        if entry_hash(&prev, &row) != hash {
            return Ok(broken(
                row.seq,
                row.seq - 1,
                format!("entry {} was altered after it was written", row.seq),
            ));
        }
        prev = hash;
        expected += 1;
    }
    let count = expected - 1;
    let recorded: Option<String> = conn
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'audit_head'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(rec) = recorded {
        let (seq, hash) = rec.split_once(':').unwrap_or(("", ""));
        let seq: i64 = seq.parse().unwrap_or(-1);
        if seq != count || hash != prev {
            return Ok(broken(
                count + 1,
                count,
                format!("the trail ends at entry {count} but entry {seq} was recorded as the newest; later entries were removed"),
            ));
        }
    } else if count > 0 {
        return Ok(broken(
            1,
            count,
            "the record of the newest entry is missing".into(),
        ));
    }
    Ok(Verification {
        entries: count,
        intact: true,
        first_broken: None,
        problem: None,
    })
}

/// The rows as CSV (RFC 4180) with clinic-local times, for spreadsheets.
pub fn to_csv(rows: &[AuditRow], zone: clinicdesk_domain::ClinicZone) -> String {
    let mut s = String::from(
        "seq,at,username,user_id,device_id,patient_id,category,action,record_id,detail\n",
    );
    for r in rows {
        let cells = [
            r.seq.to_string(),
            zone.rfc3339(r.at),
            r.username.clone(),
            r.user_id.clone().unwrap_or_default(),
            r.device_id.clone(),
            r.patient_id.clone().unwrap_or_default(),
            r.category.clone(),
            r.action.clone(),
            r.record_id.clone().unwrap_or_default(),
            r.detail.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s
}

/// RFC 4180 quoting; a leading formula character is defused so that a
/// spreadsheet opening the report never runs it.
fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@']) {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
    }
}
