//! The embedded store: one SQLCipher file under the data directory, its key
//! in a separate file (mode 0600) that can live on another volume.

use crate::db::{
    parse_roles, roles_text, rows, Database, DbError, Device, EnrollmentCode, NewDevice, Page,
    PushOutcome, Result, MAX_CODE_ATTEMPTS,
};
use clinicdesk_sync_proto::{ChangeEntry, Op, ServedChange};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &[&str] = &[
    "CREATE TABLE server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE enrollment_codes (
    lookup     TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    roles      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    INTEGER,
    used_by    TEXT
);
CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    roles        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    enrolled_at  INTEGER NOT NULL,
    last_seen_at INTEGER,
    revoked_at   INTEGER
);
CREATE TABLE changes (
    cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id   TEXT NOT NULL UNIQUE,
    hlc         TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    user_id     TEXT,
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    fields      TEXT NOT NULL,
    received_at INTEGER NOT NULL
);",
];

#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteDb {
    /// Opens (or creates) `DIR/server.db`, encrypted with the key in
    /// `key_file` (made, mode 0600, when it does not exist yet).
    pub fn open(dir: &Path, key_file: &Path) -> Result<SqliteDb> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbError::Backend(format!("cannot create {}: {e}", dir.display())))?;
        let key = load_or_make_key(key_file)?;
        let db = dir.join("server.db");
        clinicdesk_page_crypto::install().map_err(|e| DbError::Backend(e.to_string()))?;
        let conn = Connection::open(&db)?;
        conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))?;
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            return Err(DbError::Backend(format!(
                "{} does not open with the key in {} ({e}); is it the right key file?",
                db.display(),
                key_file.display()
            )));
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn
                .lock()
                .map_err(|_| DbError::Backend("the database lock was poisoned".into()))?;
            f(&mut c)
        })
        .await
        .map_err(|e| DbError::Backend(format!("database task failed: {e}")))?
    }
}

fn load_or_make_key(path: &Path) -> Result<String> {
    use std::io::Write;
    match std::fs::read_to_string(path) {
        Ok(s) => {
            let k = s.trim().to_string();
            if k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DbError::Backend(format!(
                    "{} does not hold a 256-bit key in hex",
                    path.display()
                )));
            }
            Ok(k)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::random();
            let hex = hex::encode(key);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts
                .open(path)
                .map_err(|e| DbError::Backend(format!("cannot create {}: {e}", path.display())))?;
            f.write_all(hex.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| DbError::Backend(format!("cannot write {}: {e}", path.display())))?;
            Ok(hex)
        }
        Err(e) => Err(DbError::Backend(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn read_device(r: &rusqlite::Row) -> rusqlite::Result<Device> {
    Ok(Device {
        device_id: r.get(0)?,
        name: r.get(1)?,
        roles: parse_roles(&r.get::<_, String>(2)?),
        enrolled_at: r.get(3)?,
        last_seen_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

const DEVICE_COLS: &str = "device_id, name, roles, enrolled_at, last_seen_at, revoked_at";

impl Database for SqliteDb {
    async fn migrate(&self) -> Result<()> {
        self.run(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let supported = SCHEMA.len() as i64;
            if current > supported {
                return Err(DbError::NewerSchema {
                    found: current,
                    supported,
                });
            }
            for sql in &SCHEMA[current as usize..] {
                tx.execute_batch(sql)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {supported}"))?;
            tx.execute(
                "INSERT OR IGNORE INTO server_meta (key, value) VALUES ('clinic_id', ?1)",
                [uuid::Uuid::new_v4().to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn clinic_id(&self) -> Result<String> {
        self.run(|c| {
            Ok(c.query_row(
                "SELECT value FROM server_meta WHERE key = 'clinic_id'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn add_enrollment_code(&self, code: &EnrollmentCode) -> Result<()> {
        let code = code.clone();
        self.run(move |c| {
            c.execute(
                "INSERT INTO enrollment_codes (lookup, secret, roles, expires_at) VALUES (?1, ?2, ?3, ?4)",
                (&code.lookup, &code.secret, roles_text(&code.roles), code.expires_at),
            )?;
            Ok(())
        })
        .await
    }

    async fn enrollment_code(&self, lookup: &str, now: i64) -> Result<Option<EnrollmentCode>> {
        let lookup = lookup.to_string();
        self.run(move |c| {
            Ok(c.prepare_cached(
                "SELECT lookup, secret, roles, expires_at FROM enrollment_codes
                 WHERE lookup = ?1 AND used_at IS NULL AND expires_at > ?2 AND attempts < ?3",
            )?
            .query_row((&lookup, now, MAX_CODE_ATTEMPTS), |r| {
                Ok(EnrollmentCode {
                    lookup: r.get(0)?,
                    secret: r.get(1)?,
                    roles: parse_roles(&r.get::<_, String>(2)?),
                    expires_at: r.get(3)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn count_failed_attempt(&self, lookup: &str) -> Result<()> {
        let lookup = lookup.to_string();
        self.run(move |c| {
            c.execute(
                "UPDATE enrollment_codes SET attempts = attempts + 1 WHERE lookup = ?1",
                [&lookup],
            )?;
            Ok(())
        })
        .await
    }

    async fn redeem(&self, lookup: &str, device: &NewDevice, now: i64) -> Result<Device> {
        let (lookup, device) = (lookup.to_string(), device.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let roles: Option<String> = tx
                .query_row(
                    "UPDATE enrollment_codes SET used_at = ?2, used_by = ?3
                     WHERE lookup = ?1 AND used_at IS NULL AND expires_at > ?2 AND attempts < ?4
                     RETURNING roles",
                    (&lookup, now, &device.device_id, MAX_CODE_ATTEMPTS),
                    |r| r.get(0),
                )
                .optional()?;
            let roles = roles.ok_or(DbError::BadEnrollmentCode)?;
            tx.execute(
                "INSERT INTO devices (device_id, name, roles, token_hash, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, roles = excluded.roles,
                   token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at,
                   revoked_at = NULL",
                (
                    &device.device_id,
                    &device.name,
                    &roles,
                    &device.token_hash,
                    now,
                ),
            )?;
            let d = tx.query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE device_id = ?1"),
                [&device.device_id],
                read_device,
            )?;
            tx.commit()?;
            Ok(d)
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str, now: i64) -> Result<Option<Device>> {
        let token_hash = token_hash.to_string();
        self.run(move |c| {
            let mut d = c
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLS} FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL"
                ))?
                .query_row([&token_hash], read_device)
                .optional()?;
            if let Some(d) = &mut d {
                // Once a minute is enough to show who is connected.
                if d.last_seen_at.is_none_or(|t| now - t >= 60) {
                    c.prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE device_id = ?1")?
                        .execute((&d.device_id, now))?;
                    d.last_seen_at = Some(now);
                }
            }
            Ok(d)
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        self.run(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {DEVICE_COLS} FROM devices ORDER BY enrolled_at, device_id"
            ))?;
            let v = stmt
                .query_map([], read_device)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(v)
        })
        .await
    }

    async fn revoke(&self, device_id: &str, now: i64) -> Result<bool> {
        let device_id = device_id.to_string();
        self.run(move |c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE device_id = ?1",
                (&device_id, now),
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn push_group(&self, pushes: &[&[ChangeEntry]], now: i64) -> Result<Vec<PushOutcome>> {
        let rows = rows(pushes)?;
        let sizes: Vec<usize> = pushes.iter().map(|p| p.len()).collect();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes = vec![PushOutcome::default(); sizes.len()];
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO changes (change_id, hlc, device_id, user_id, table_name, record_id, op, fields, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (change_id) DO NOTHING",
                )?;
                let mut rows = rows.into_iter();
                for (size, out) in sizes.iter().zip(&mut outcomes) {
                    for [id, hlc, device, user, table, record, op, fields] in
                        rows.by_ref().take(*size)
                    {
                        let n = insert.execute(rusqlite::params![
                            id, hlc, device, user, table, record, op, fields, now
                        ])?;
                        if n == 1 {
                            out.accepted += 1;
                        } else {
                            out.duplicates += 1;
                        }
                    }
                }
            }
            let head = tx.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| r.get(0))?;
            tx.commit()?;
            for out in &mut outcomes {
                out.head = head;
            }
            Ok(outcomes)
        })
        .await
    }

    async fn pull(&self, after: i64, limit: usize, tables: &[&str]) -> Result<Page> {
        let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
        self.run(move |c| {
            // One read transaction: the head and the page agree.
            let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let head: i64 = tx.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| r.get(0))?;
            let list = serde_json::to_string(&tables).unwrap_or_else(|_| "[]".into());
            let mut stmt = tx.prepare_cached(
                "SELECT cursor, change_id, hlc, device_id, user_id, table_name, record_id, op, fields
                 FROM changes
                 WHERE cursor > ?1 AND cursor <= ?2
                   AND table_name IN (SELECT value FROM json_each(?3))
                 ORDER BY cursor LIMIT ?4",
            )?;
            let mut rows = stmt.query(rusqlite::params![after, head, list, limit as i64])?;
            let mut changes = Vec::new();
            while let Some(r) = rows.next()? {
                changes.push(served(r)?);
            }
            drop(rows);
            drop(stmt);
            tx.commit()?;
            Ok(Page::new(changes, after, head, limit))
        })
        .await
    }

    async fn head(&self) -> Result<i64> {
        self.run(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }
}

fn served(r: &rusqlite::Row) -> Result<ServedChange> {
    let op: String = r.get(7)?;
    let fields: String = r.get(8)?;
    Ok(ServedChange {
        cursor: r.get(0)?,
        change: ChangeEntry {
            change_id: r.get(1)?,
            hlc: r.get(2)?,
            device_id: r.get(3)?,
            user_id: r.get(4)?,
            table: r.get(5)?,
            record_id: r.get(6)?,
            op: Op::parse(&op)
                .ok_or_else(|| DbError::Backend(format!("stored change has op '{op}'")))?,
            fields: serde_json::from_str(&fields)
                .map_err(|e| DbError::Backend(format!("stored change fields: {e}")))?,
        },
    })
}
