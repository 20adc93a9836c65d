//! The one way data is written: inside a `Tx`, which stamps every row change
//! into the change log (for sync) and every PHI access into the audit trail,
//! in the same transaction as the change itself.

use crate::audit::{self, Entry};
use crate::error::Result;
use crate::session::Session;
use crate::store::Store;
use clinicdesk_domain::{ClinicZone, Hlc, HlcClock};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use rusqlite::{Connection, TransactionBehavior};

pub type Fields = Vec<(&'static str, Value)>;

pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    pub(crate) session: &'a Session,
    device_id: &'a str,
    clock: &'a mut HlcClock,
    zone: ClinicZone,
    now: i64,
    last_hlc: Option<Hlc>,
    audit_head: Option<audit::Head>,
    audit_dirty: bool,
}

impl Store {
    /// Runs `f` in one immediate transaction; everything it did is committed
    /// together, or nothing is.
    pub fn write<T>(
        &mut self,
        session: &Session,
        f: impl FnOnce(&mut Tx) -> Result<T>,
    ) -> Result<T> {
        let Store {
            conn,
            clock,
            device_id,
            zone,
            ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another connection (the app's sync worker, a CLI run) may have
        // stamped changes since this one last wrote; the write lock is held,
        // so reading its latest stamp here cannot race.
        let persisted: Option<String> = tx
            .prepare_cached("SELECT value FROM store_meta WHERE key = 'hlc'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        if let Some(last) = persisted.and_then(|s| s.parse::<Hlc>().ok()) {
            clock.catch_up(&last);
        }
        let mut t = Tx {
            tx,
            session,
            device_id,
            clock,
            zone: *zone,
            now: now_seconds(),
            last_hlc: None,
            audit_head: None,
            audit_dirty: false,
        };
        let out = f(&mut t)?;
        t.finish()?;
        Ok(out)
    }

    /// Read-only access for data that is not PHI (providers, types, settings).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl<'a> Tx<'a> {
    pub fn session(&self) -> &Session {
        self.session
    }

    /// The clinic's time zone, read in this transaction: a merge on another
    /// connection (the app's sync worker) may have changed it.
    pub fn zone(&self) -> ClinicZone {
        crate::clinic::read_zone(&self.tx).unwrap_or(self.zone)
    }

    /// The transaction's clock reading, in UTC seconds: one instant for all it writes.
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    pub fn device_id(&self) -> &str {
        self.device_id
    }

    /// Moves this device's clock past a pulled change's stamp, so its own
    /// next writes order after everything it has seen.
    pub(crate) fn observe(&mut self, remote: &Hlc) {
        // Kept like a local stamp, so the clock resumes past it after a restart.
        self.last_hlc = Some(self.clock.observe(remote, now_millis()));
    }

    pub fn insert(&mut self, table: &'static str, id: &str, fields: Fields) -> Result<()> {
        let cols: Vec<&str> = fields.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            "INSERT INTO {table} (id, {}) VALUES (?1, {})",
            cols.join(", "),
            (2..=cols.len() + 1)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&id];
        params.extend(fields.iter().map(|(_, v)| v as &dyn rusqlite::ToSql));
        self.tx.prepare_cached(&sql)?.execute(params.as_slice())?;
        self.log_change(table, id, "insert", &fields)
    }

    /// Writes only the given fields; callers pass what actually changed.
    pub fn update(&mut self, table: &'static str, id: &str, fields: Fields) -> Result<()> {
        if fields.is_empty() {
            return Ok(());
        }
        let sets: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, (c, _))| format!("{c} = ?{}", i + 2))
            .collect();
        let sql = format!("UPDATE {table} SET {} WHERE id = ?1", sets.join(", "));
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&id];
        params.extend(fields.iter().map(|(_, v)| v as &dyn rusqlite::ToSql));
        let n = self.tx.prepare_cached(&sql)?.execute(params.as_slice())?;
        if n != 1 {
            return Err(crate::error::StoreError::not_found(
                "record",
                format!("{table}/{id}"),
            ));
        }
        self.log_change(table, id, "update", &fields)
    }

    /// Removes a row and leaves a tombstone in the change log.
    pub fn delete(&mut self, table: &'static str, id: &str) -> Result<()> {
        let sql = format!("DELETE FROM {table} WHERE id = ?1");
        self.tx.prepare_cached(&sql)?.execute([id])?;
        self.log_change(table, id, "delete", &Vec::new())
    }

    pub fn audit(&mut self, entry: Entry) -> Result<()> {
        if self.audit_head.is_none() {
            self.audit_head = Some(audit::head(&self.tx)?);
        }
        let head = self.audit_head.as_mut().expect("loaded above");
        audit::append(
            &self.tx,
            head,
            self.session,
            self.device_id,
            self.now,
            &entry,
        )?;
        self.audit_dirty = true;
        Ok(())
    }

    fn log_change(&mut self, table: &str, id: &str, op: &str, fields: &Fields) -> Result<()> {
        let hlc = self.clock.tick(now_millis());
        let mut obj = serde_json::Map::with_capacity(fields.len());
        for (k, v) in fields {
            obj.insert((*k).to_string(), value_json(v));
        }
        self.tx
            .prepare_cached(
                "INSERT INTO change_log (change_id, hlc, device_id, user_id, table_name, record_id, op, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute((
                uuid::Uuid::now_v7().to_string(),
                hlc.to_string(),
                self.device_id,
                &self.session.user_id,
                table,
                id,
                op,
                serde_json::Value::Object(obj).to_string(),
            ))?;
        self.last_hlc = Some(hlc);
        Ok(())
    }

    fn finish(self) -> Result<()> {
        if let Some(h) = &self.last_hlc {
            self.tx
                .prepare_cached("INSERT INTO store_meta (key, value) VALUES ('hlc', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
                .execute([h.to_string()])?;
        }
        if self.audit_dirty {
            if let Some(head) = &self.audit_head {
                audit::save_head(&self.tx, head)?;
            }
        }
        self.tx.commit()?;
        Ok(())
    }
}

pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(s) => s.clone().into(),
        Value::Blob(b) => hex::encode(b).into(),
    }
}

/// Short constructors for field values.
pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub fn opt_text(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.into()))
}

pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

pub fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Integer)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
