//! PostgreSQL storage, for larger and multi-site clinics. Pushes take a
//! transaction-scoped advisory lock, so cursors become visible in order and a
//! puller can never pass over a change that commits later with a smaller one.

use crate::db::{
    credit, parse_roles, roles_text, rows, Database, DbError, Device, EnrollmentCode, NewDevice,
    Page, PushOutcome, Result, MAX_CODE_ATTEMPTS,
};
use clinicdesk_sync_proto::{ChangeEntry, Op, ServedChange};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// Identifies the push lock among the database's advisory locks.
const PUSH_LOCK: i64 = 0x436c_696e_6963_4473; // "ClinicDs"

const SCHEMA: &[&str] = &[
    "CREATE TABLE server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE enrollment_codes (
    lookup     TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    roles      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT,
    used_by    TEXT
);
CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    roles        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    enrolled_at  BIGINT NOT NULL,
    last_seen_at BIGINT,
    revoked_at   BIGINT
);
CREATE TABLE changes (
    cursor      BIGSERIAL PRIMARY KEY,
    change_id   TEXT NOT NULL UNIQUE,
    hlc         TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    user_id     TEXT,
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    fields      TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE schema_version (version BIGINT NOT NULL);
INSERT INTO schema_version VALUES (0);",
];

#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
}

impl PgDb {
    /// Connects to `url` (`postgres://user:pass@host/db`); TLS to the
    /// database is left to a local socket or a trusted network.
    pub fn connect(url: &str, max_connections: usize) -> Result<PgDb> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| DbError::Backend(format!("the database URL is not valid: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .build()
            .map_err(|e| DbError::Backend(e.to_string()))?;
        Ok(PgDb { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Backend(format!("cannot reach PostgreSQL: {e}")))
    }
}

fn device(r: &tokio_postgres::Row) -> Device {
    Device {
        device_id: r.get(0),
        name: r.get(1),
        roles: parse_roles(r.get::<_, &str>(2)),
        enrolled_at: r.get(3),
        last_seen_at: r.get(4),
        revoked_at: r.get(5),
    }
}

const DEVICE_COLS: &str = "device_id, name, roles, enrolled_at, last_seen_at, revoked_at";

impl Database for PgDb {
    async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Two servers starting at once must not both create the schema.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&(PUSH_LOCK + 1)])
            .await?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
            .await?
            .get(0);
        let current: i64 = if exists {
            tx.query_one("SELECT version FROM schema_version", &[])
                .await?
                .get(0)
        } else {
            0
        };
        let supported = SCHEMA.len() as i64;
        if current > supported {
            return Err(DbError::NewerSchema {
                found: current,
                supported,
            });
        }
        for sql in &SCHEMA[current as usize..] {
            tx.batch_execute(sql).await?;
        }
        tx.execute("UPDATE schema_version SET version = $1", &[&supported])
            .await?;
        tx.execute(
            "INSERT INTO server_meta (key, value) VALUES ('clinic_id', $1) ON CONFLICT (key) DO NOTHING",
            &[&uuid::Uuid::new_v4().to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clinic_id(&self) -> Result<String> {
        let c = self.client().await?;
        Ok(
            c.query_one("SELECT value FROM server_meta WHERE key = 'clinic_id'", &[])
                .await?
                .get(0),
        )
    }

    async fn add_enrollment_code(&self, code: &EnrollmentCode) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO enrollment_codes (lookup, secret, roles, expires_at) VALUES ($1, $2, $3, $4)",
            &[&code.lookup, &code.secret, &roles_text(&code.roles), &code.expires_at],
        )
        .await?;
        Ok(())
    }

    async fn enrollment_code(&self, lookup: &str, now: i64) -> Result<Option<EnrollmentCode>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT lookup, secret, roles, expires_at FROM enrollment_codes
                 WHERE lookup = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3",
                &[&lookup, &now, &MAX_CODE_ATTEMPTS],
            )
            .await?;
        Ok(row.map(|r| EnrollmentCode {
            lookup: r.get(0),
            secret: r.get(1),
            roles: parse_roles(r.get::<_, &str>(2)),
            expires_at: r.get(3),
        }))
    }

    async fn count_failed_attempt(&self, lookup: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE enrollment_codes SET attempts = attempts + 1 WHERE lookup = $1",
            &[&lookup],
        )
        .await?;
        Ok(())
    }

    async fn redeem(&self, lookup: &str, d: &NewDevice, now: i64) -> Result<Device> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let roles: String = tx
            .query_opt(
                "UPDATE enrollment_codes SET used_at = $2, used_by = $3
                 WHERE lookup = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $4
                 RETURNING roles",
                &[&lookup, &now, &d.device_id, &MAX_CODE_ATTEMPTS],
            )
            .await?
            .ok_or(DbError::BadEnrollmentCode)?
            .get(0);
        tx.execute(
            "INSERT INTO devices (device_id, name, roles, token_hash, enrolled_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, roles = excluded.roles,
               token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
            &[&d.device_id, &d.name, &roles, &d.token_hash, &now],
        )
        .await?;
        let row = tx
            .query_one(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE device_id = $1"),
                &[&d.device_id],
            )
            .await?;
        tx.commit().await?;
        Ok(device(&row))
    }

    async fn device_by_token(&self, token_hash: &str, now: i64) -> Result<Option<Device>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {DEVICE_COLS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"
                ),
                &[&token_hash],
            )
            .await?;
        let mut d = row.as_ref().map(device);
        if let Some(d) = &mut d {
            // Once a minute is enough to show who is connected.
            if d.last_seen_at.is_none_or(|t| now - t >= 60) {
                c.execute(
                    "UPDATE devices SET last_seen_at = $2 WHERE device_id = $1",
                    &[&d.device_id, &now],
                )
                .await?;
                d.last_seen_at = Some(now);
            }
        }
        Ok(d)
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        let c = self.client().await?;
        Ok(c.query(
            &format!("SELECT {DEVICE_COLS} FROM devices ORDER BY enrolled_at, device_id"),
            &[],
        )
        .await?
        .iter()
        .map(device)
        .collect())
    }

    async fn revoke(&self, device_id: &str, now: i64) -> Result<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, $2) WHERE device_id = $1",
                &[&device_id, &now],
            )
            .await?;
        Ok(n == 1)
    }

    async fn push_group(&self, pushes: &[&[ChangeEntry]], now: i64) -> Result<Vec<PushOutcome>> {
        // Built before the lock is taken. One statement for the whole group:
        // a round trip per change (or per push) would dominate. Rows keep
        // the order given (WITH ORDINALITY), so cursors do too.
        let mut cols: [Vec<Option<String>>; 8] = Default::default();
        for row in rows(pushes)? {
            for (col, v) in cols.iter_mut().zip(row) {
                col.push(v);
            }
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
            .await?;
        let inserted = tx
            .query(
                "INSERT INTO changes (change_id, hlc, device_id, user_id, table_name, record_id, op, fields, received_at)
                 SELECT c, h, d, u, t, r, o, f, $9
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                      WITH ORDINALITY AS x(c, h, d, u, t, r, o, f, n)
                 ORDER BY n
                 ON CONFLICT (change_id) DO NOTHING
                 RETURNING change_id",
                &[
                    &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7], &now,
                ],
            )
            .await?;
        let head: i64 = tx
            .query_one("SELECT coalesce(max(cursor), 0)::BIGINT FROM changes", &[])
            .await?
            .get(0);
        tx.commit().await?;
        let inserted = inserted.iter().map(|r| r.get::<_, String>(0)).collect();
        Ok(credit(pushes, inserted, head))
    }

    async fn pull(&self, after: i64, limit: usize, tables: &[&str]) -> Result<Page> {
        let mut c = self.client().await?;
        // One snapshot: the head and the page agree.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head: i64 = tx
            .query_one("SELECT coalesce(max(cursor), 0)::BIGINT FROM changes", &[])
            .await?
            .get(0);
        let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
        let rows = tx
            .query(
                "SELECT cursor, change_id, hlc, device_id, user_id, table_name, record_id, op, fields
                 FROM changes WHERE cursor > $1 AND cursor <= $2 AND table_name = ANY($3)
                 ORDER BY cursor LIMIT $4",
                &[&after, &head, &tables, &(limit as i64)],
            )
            .await?;
        tx.commit().await?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in &rows {
            let op: &str = r.get(7);
            let fields: &str = r.get(8);
            changes.push(ServedChange {
                cursor: r.get(0),
                change: ChangeEntry {
                    change_id: r.get(1),
                    hlc: r.get(2),
                    device_id: r.get(3),
                    user_id: r.get(4),
                    table: r.get(5),
                    record_id: r.get(6),
                    op: Op::parse(op)
                        .ok_or_else(|| DbError::Backend(format!("stored change has op '{op}'")))?,
                    fields: serde_json::from_str(fields)
                        .map_err(|e| DbError::Backend(format!("stored change fields: {e}")))?,
                },
            });
        }
        Ok(Page::new(changes, after, head, limit))
    }

    async fn head(&self) -> Result<i64> {
        let c = self.client().await?;
        Ok(
            c.query_one("SELECT coalesce(max(cursor), 0)::BIGINT FROM changes", &[])
                .await?
                .get(0),
        )
    }
}
