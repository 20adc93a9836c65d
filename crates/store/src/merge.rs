//! Applying other desktops' changes, pulled from the clinic server.
//!
//! The rules (docs/sync-protocol.md): per field, the latest hybrid logical
//! clock stamp wins; a deletion is final; signed notes never change (the
//! database triggers refuse it, and the refusal is kept); appointments are
//! checked again after merging, and overlapping bookings raise a conflict
//! on every desktop. Each change is applied whole or not at all.

use crate::audit::Entry;
use crate::booking::MAX_APPOINTMENT_SECONDS;
use crate::error::Result;
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::set_meta;
use crate::write::Tx;
use clinicdesk_domain::{sync_scope, Hlc, Role};
use clinicdesk_sync_proto::{ChangeEntry, Op, ServedChange};
use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Changes applied (wholly or the fields that won).
    pub applied: usize,
    /// Already here: this device's own changes coming back, or a repeat.
    pub known: usize,
    /// Fields left as they were because a later change had set them.
    pub fields_superseded: usize,
    /// Updates to records deleted meanwhile, left deleted.
    pub after_deletion: usize,
    /// Refused, with the reason kept in `sync_refusals`.
    pub refused: usize,
    /// Double-booking conflicts raised.
    pub conflicts: usize,
    /// The last server cursor applied.
    pub cursor: Option<i64>,
}

/// A double booking found at merge, for staff to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub id: String,
    /// `double-booking` (appointment ids) or `duplicate-mrn` (patient ids).
    pub kind: String,
    pub appointment_ids: Vec<String>,
    pub patient_ids: Vec<String>,
    pub detail: String,
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub change_id: String,
    pub table: String,
    pub record_id: String,
    pub reason: String,
    pub at: i64,
}

/// The identity merges run under in the audit trail and change log.
fn sync_session() -> Session {
    Session {
        user_id: "sync".into(),
        username: "sync".into(),
        display_name: "Clinic sync".into(),
        role: Role::Admin,
        provider_id: None,
    }
}

impl Store {
    /// Applies pulled changes in order, in one transaction, and records the
    /// server cursor reached.
    pub fn apply_remote(&mut self, changes: &[ServedChange]) -> Result<MergeReport> {
        let session = sync_session();
        self.write(&session, |tx| {
            let mut report = MergeReport::default();
            let mut columns = HashMap::new();
            let mut touched = Touched::default();
            for c in changes {
                apply_one(tx, &c.change, &mut columns, &mut report, &mut touched)?;
                report.cursor = Some(c.cursor);
            }
            for id in &touched.appointments {
                report.conflicts += raise_conflict(tx, id, overlap_group, record_double_booking)?;
            }
            for id in &touched.patients {
                report.conflicts += raise_conflict(tx, id, mrn_group, record_duplicate_mrn)?;
            }
            if let Some(cursor) = report.cursor {
                set_meta(tx.conn(), "sync_cursor", &cursor.to_string())?;
            }
            if report.applied + report.refused > 0 {
                tx.audit(Entry::new("sync", "apply").detail(format!(
                    "{} changes from the clinic server applied, {} refused, {} conflicts",
                    report.applied, report.refused, report.conflicts
                )))?;
            }
            Ok(report)
        })
    }

    /// Double bookings and duplicate MRNs found at merge that are still
    /// unresolved. One whose appointments no longer overlap (one was
    /// cancelled or moved, here or on another desktop), or whose patients
    /// no longer share an MRN, is marked resolved on the way, and one whose
    /// group has grown or shrunk gives way to the group as it is now.
    pub fn sync_conflicts(&mut self, session: &Session) -> Result<Vec<Conflict>> {
        session.require(clinicdesk_domain::Permission::AppointmentRead)?;
        self.write(session, |tx| {
            let open = open_conflicts(tx)?;
            for c in &open {
                let (members, regroup, record): (_, GroupOf, Record) = if c.kind == DUPLICATE_MRN {
                    (&c.patient_ids, mrn_group, record_duplicate_mrn)
                } else {
                    (&c.appointment_ids, overlap_group, record_double_booking)
                };
                // Any member may have changed (a visit cancelled or moved,
                // a patient given another MRN), the first included:
                // regroup from each of them.
                let mut groups: Vec<Vec<String>> = Vec::new();
                for id in members {
                    let group = regroup(tx, id)?;
                    if group.len() > 1 && !groups.contains(&group) {
                        groups.push(group);
                    }
                }
                if !groups.contains(members) {
                    resolve_conflict(tx, &c.id)?;
                    for group in &groups {
                        record(tx, group)?;
                    }
                }
            }
            let still = open_conflicts(tx)?;
            tx.audit(
                Entry::new("appointment", "list")
                    .detail(format!("sync conflicts: {} open", still.len())),
            )?;
            Ok(still)
        })
    }

    /// A SHA-256 over every synced table's rows, in id order. Desktops that
    /// have merged the same changes show the same digest, so two replicas
    /// can be compared without reading them out.
    pub fn sync_digest(&self) -> Result<String> {
        let mut hash = Sha256::new();
        for (table, _, _) in sync_scope::SYNCED_TABLES {
            let mut stmt = self
                .conn()
                .prepare(&format!("SELECT * FROM {table} ORDER BY id"))?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            hash.update(table.as_bytes());
            while let Some(r) = rows.next()? {
                for i in 0..n {
                    match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => hash.update(b"N"),
                        rusqlite::types::ValueRef::Integer(v) => hash.update(format!("I{v}")),
                        rusqlite::types::ValueRef::Real(v) => hash.update(format!("R{v}")),
                        rusqlite::types::ValueRef::Text(t) => {
                            hash.update(format!("T{}:", t.len()));
                            hash.update(t);
                        }
                        rusqlite::types::ValueRef::Blob(b) => {
                            hash.update(format!("B{}:", b.len()));
                            hash.update(b);
                        }
                    }
                }
                hash.update(b"\n");
            }
        }
        Ok(hex::encode(hash.finalize()))
    }

    /// Pulled changes the store refused, newest first.
    pub fn sync_refusals(&self) -> Result<Vec<Refusal>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT change_id, table_name, record_id, reason, at FROM sync_refusals ORDER BY at DESC, change_id",
        )?;
        let v = stmt
            .query_map([], |r| {
                Ok(Refusal {
                    change_id: r.get(0)?,
                    table: r.get(1)?,
                    record_id: r.get(2)?,
                    reason: r.get(3)?,
                    at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}

fn open_conflicts(tx: &Tx) -> Result<Vec<Conflict>> {
    let mut stmt = tx.conn().prepare_cached(
        "SELECT id, kind, appointment_ids, detail, raised_at, resolved_at, patient_ids
         FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY raised_at, id",
    )?;
    let v = stmt
        .query_map([], read_conflict)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

fn read_conflict(r: &rusqlite::Row) -> rusqlite::Result<Conflict> {
    let ids = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(Conflict {
        id: r.get(0)?,
        kind: r.get(1)?,
        appointment_ids: ids(2)?,
        patient_ids: ids(6)?,
        detail: r.get(3)?,
        raised_at: r.get(4)?,
        resolved_at: r.get(5)?,
    })
}

/// The columns of `table`, read once per merge.
fn columns<'m>(
    tx: &Tx,
    cache: &'m mut HashMap<String, BTreeSet<String>>,
    table: &str,
) -> Result<&'m BTreeSet<String>> {
    if !cache.contains_key(table) {
        let mut stmt = tx
            .conn()
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()?;
        cache.insert(table.to_string(), names);
    }
    Ok(&cache[table])
}

/// Keeps a change that could not be applied (here, or by the server) with
/// the reason, for staff to see.
pub(crate) fn keep_refusal(
    conn: &rusqlite::Connection,
    c: &ChangeEntry,
    reason: &str,
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_refusals (change_id, table_name, record_id, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (change_id) DO NOTHING",
    )?
    .execute((&c.change_id, &c.table, &c.record_id, reason, at))?;
    Ok(())
}

fn refuse(tx: &Tx, c: &ChangeEntry, reason: &str, report: &mut MergeReport) -> Result<()> {
    keep_refusal(tx.conn(), c, reason, tx.now())?;
    report.refused += 1;
    Ok(())
}

/// Records a merged page changed in ways scheduling and identity rules
/// look at again once it is applied.
#[derive(Default)]
struct Touched {
    appointments: BTreeSet<String>,
    /// Patients inserted or given another MRN.
    patients: BTreeSet<String>,
}

fn apply_one(
    tx: &mut Tx,
    c: &ChangeEntry,
    cols: &mut HashMap<String, BTreeSet<String>>,
    report: &mut MergeReport,
    touched: &mut Touched,
) -> Result<()> {
    let known: bool = tx
        .conn()
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM change_log WHERE change_id = ?1)")?
        .query_row([&c.change_id], |r| r.get(0))?;
    if known {
        report.known += 1;
        return Ok(());
    }
    // The same checks the server made, in case it did not.
    if let Err(reason) = c.check(&c.device_id) {
        return refuse(tx, c, &reason, report);
    }
    if c.device_id == tx.device_id() {
        return refuse(
            tx,
            c,
            "a change stamped with this desktop's own id that it never made",
            report,
        );
    }
    let hlc: Hlc = match c.hlc.parse() {
        Ok(h) => h,
        Err(e) => return refuse(tx, c, &e, report),
    };
    let known_cols = columns(tx, cols, &c.table)?;
    if let Some(bad) = c
        .fields
        .keys()
        .find(|k| !known_cols.contains(*k) || *k == "id")
    {
        let reason = format!("{} has no column '{bad}' this desktop can set", c.table);
        return refuse(tx, c, &reason, report);
    }
    debug_assert!(sync_scope::is_synced(&c.table));
    tx.observe(&hlc);

    tx.conn()
        .prepare_cached("SAVEPOINT merge_one")?
        .execute([])?;
    let written = write_change(tx, c, report).and_then(|()| {
        if c.table == crate::clinic::TABLE {
            crate::clinic::check_merged(tx.conn()).map_err(crate::error::StoreError::Invalid)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => {
            record(tx, c)?;
            tx.conn().prepare_cached("RELEASE merge_one")?.execute([])?;
            if c.table == "appointments" {
                touched.appointments.insert(c.record_id.clone());
            }
            if c.table == "patients" && c.fields.contains_key("mrn") {
                touched.patients.insert(c.record_id.clone());
            }
            Ok(())
        }
        Err(e) => {
            // What the database or the merged record's checks refuse is
            // kept as a refusal; anything else ends the merge.
            let reason = match e {
                crate::error::StoreError::Sqlite(e) => e.to_string(),
                crate::error::StoreError::Invalid(why) => why,
                other => return Err(other),
            };
            tx.conn()
                .execute_batch("ROLLBACK TO merge_one; RELEASE merge_one")?;
            // Kept in the change log as well, so it is known and not retried.
            record(tx, c)?;
            refuse(tx, c, &reason, report)
        }
    }
}

/// Keeps the pulled change in the local change log, where later merges
/// compare clock stamps against it.
fn record(tx: &Tx, c: &ChangeEntry) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT INTO change_log (change_id, hlc, device_id, user_id, table_name, record_id, op, fields)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(rusqlite::params![
            c.change_id,
            c.hlc,
            c.device_id,
            c.user_id,
            c.table,
            c.record_id,
            c.op.as_str(),
            serde_json::to_string(&c.fields).map_err(|e| {
                crate::error::StoreError::Invalid(format!("the change's fields: {e}"))
            })?
        ])?;
    Ok(())
}

fn write_change(tx: &Tx, c: &ChangeEntry, report: &mut MergeReport) -> Result<()> {
    let conn = tx.conn();
    let table = &c.table;
    // Every change already applied to this record (usually a handful): one
    // read decides both "deleted" and which fields a later stamp has set.
    let mut deleted = false;
    let mut later_fields: BTreeSet<String> = BTreeSet::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT hlc, op, fields FROM change_log WHERE table_name = ?1 AND record_id = ?2",
        )?;
        let mut rows = stmt.query((table, &c.record_id))?;
        while let Some(r) = rows.next()? {
            let (hlc, op, fields): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if op == "delete" {
                deleted = true;
            } else if hlc > c.hlc {
                if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&fields) {
                    later_fields.extend(m.into_iter().map(|(k, _)| k));
                }
            }
        }
    }
    if c.op == Op::Delete {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))?
            .execute([&c.record_id])?;
        report.applied += 1;
        return Ok(());
    }
    if deleted {
        report.after_deletion += 1;
        return Ok(());
    }
    // Per field: a later stamp already applied here wins.
    let mut winners: Vec<(&String, &serde_json::Value)> = Vec::new();
    for (field, value) in &c.fields {
        if later_fields.contains(field) {
            report.fields_superseded += 1;
        } else {
            winners.push((field, value));
        }
    }
    let exists: bool = conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"
        ))?
        .query_row([&c.record_id], |r| r.get(0))?;
    let values: Vec<rusqlite::types::Value> = winners.iter().map(|(_, v)| sql_value(v)).collect();
    if exists {
        if !winners.is_empty() {
            let sets: Vec<String> = winners
                .iter()
                .enumerate()
                .map(|(i, (f, _))| format!("{f} = ?{}", i + 2))
                .collect();
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![&c.record_id];
            params.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
            conn.prepare_cached(&format!(
                "UPDATE {table} SET {} WHERE id = ?1",
                sets.join(", ")
            ))?
            .execute(params.as_slice())?;
        }
    } else if c.op == Op::Insert {
        let names: Vec<&str> = winners.iter().map(|(f, _)| f.as_str()).collect();
        let marks: Vec<String> = (2..=names.len() + 1).map(|i| format!("?{i}")).collect();
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&c.record_id];
        params.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
        let sql = if names.is_empty() {
            format!("INSERT INTO {table} (id) VALUES (?1)")
        } else {
            format!(
                "INSERT INTO {table} (id, {}) VALUES (?1, {})",
                names.join(", "),
                marks.join(", ")
            )
        };
        conn.prepare_cached(&sql)?.execute(params.as_slice())?;
    } else {
        // An update to a record this desktop does not hold: its insert was
        // refused here, so this one cannot apply either.
        return Err(crate::error::StoreError::Sqlite(
            rusqlite::Error::QueryReturnedNoRows,
        ));
    }
    report.applied += 1;
    Ok(())
}

fn sql_value(v: &serde_json::Value) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Integer)
            .or_else(|| n.as_f64().map(Value::Real))
            .unwrap_or(Value::Null),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// Active appointments of the same provider overlapping `id` (itself
/// included), unless every one of them is an explicit overbook or they
/// share a group slot within its capacity.
fn overlapping(tx: &Tx, id: &str) -> Result<Vec<String>> {
    let conn = tx.conn();
    let me: Option<(String, i64, i64, String)> = conn
        .prepare_cached(
            "SELECT provider_id, starts_at, ends_at, status FROM appointments WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((provider, start, end, status)) = me else {
        return Ok(Vec::new());
    };
    if matches!(status.as_str(), "cancelled" | "no-show") {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, slot_id, overbook_reason FROM appointments
             WHERE provider_id = ?1 AND starts_at > ?2 AND starts_at < ?4 AND ends_at > ?3
               AND status NOT IN ('cancelled', 'no-show') ORDER BY id",
        )?
        .query_map(
            (&provider, start - MAX_APPOINTMENT_SECONDS, start, end),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    if rows.len() < 2 || rows.iter().any(|(_, _, overbook)| overbook.is_some()) {
        return Ok(Vec::new());
    }
    let slot = rows[0].1.clone();
    if slot.is_some() && rows.iter().all(|(_, s, _)| *s == slot) {
        let capacity: i64 = conn
            .prepare_cached(
                "SELECT min(s.capacity, t.capacity) FROM slots s, appointments a
                 JOIN appointment_types t ON t.id = a.appointment_type_id
                 WHERE s.id = ?1 AND a.id = ?2",
            )?
            .query_row((&slot, id), |r| r.get(0))
            .optional()?
            .unwrap_or(1);
        if rows.len() as i64 <= capacity {
            return Ok(Vec::new());
        }
    }
    Ok(rows.into_iter().map(|(id, _, _)| id).collect())
}

/// The overlap group `id` belongs to, named from its first appointment so
/// that every desktop names a group the same way, whatever order the
/// bookings arrived in.
fn overlap_group(tx: &Tx, id: &str) -> Result<Vec<String>> {
    let ids = overlapping(tx, id)?;
    match ids.first() {
        Some(first) if first != id => overlapping(tx, first),
        _ => Ok(ids),
    }
}

/// Records the conflict of `id`'s group (by `group_of`) when it has more
/// than one member; 1 when that conflict was not open before.
fn raise_conflict(tx: &Tx, id: &str, group_of: GroupOf, record: Record) -> Result<usize> {
    let group = group_of(tx, id)?;
    if group.len() < 2 {
        return Ok(0);
    }
    record(tx, &group)
}

/// Opens (or reopens) the double booking of `group`; see `record_group`.
fn record_double_booking(tx: &Tx, group: &[String]) -> Result<usize> {
    let detail = format!("{} appointments of the same provider overlap", group.len());
    record_group(tx, DOUBLE_BOOKING, group, &detail)
}

const DOUBLE_BOOKING: &str = "double-booking";
const DUPLICATE_MRN: &str = "duplicate-mrn";

type GroupOf = fn(&Tx, &str) -> Result<Vec<String>>;
type Record = fn(&Tx, &[String]) -> Result<usize>;

/// Every active patient with the same MRN as `id` (itself included), in id
/// order; empty when `id` is gone or inactive.
fn mrn_group(tx: &Tx, id: &str) -> Result<Vec<String>> {
    let ids: Vec<String> = tx
        .conn()
        .prepare_cached(
            "SELECT o.id FROM patients p JOIN patients o ON o.mrn = p.mrn
             WHERE p.id = ?1 AND p.active = 1 AND o.active = 1 ORDER BY o.id",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Opens (or reopens) the conflict of patients sharing an MRN.
fn record_duplicate_mrn(tx: &Tx, group: &[String]) -> Result<usize> {
    let mrn: String = tx
        .conn()
        .prepare_cached("SELECT mrn FROM patients WHERE id = ?1")?
        .query_row([&group[0]], |r| r.get(0))?;
    let detail = format!(
        "{} patients were registered with MRN {mrn} on different computers",
        group.len()
    );
    record_group(tx, DUPLICATE_MRN, group, &detail)
}

/// Opens (or reopens) the conflict of `kind` about `group` (appointment or
/// patient ids), under an id every desktop derives alike, and resolves any
/// other open conflict of that kind about some of the same records: a
/// third booking in the slot makes one conflict of three, not two
/// conflicts. Returns 1 when the conflict was not open before.
fn record_group(tx: &Tx, kind: &str, group: &[String], detail: &str) -> Result<usize> {
    let conflict_id = hex::encode(Sha256::digest(format!("{kind}|{}", group.join("|"))));
    let ids = serde_json::to_string(group).unwrap_or_default();
    let (appointments, patients) = if kind == DUPLICATE_MRN {
        ("[]", ids.as_str())
    } else {
        (ids.as_str(), "[]")
    };
    let n = tx
        .conn()
        .prepare_cached(
            "INSERT INTO sync_conflicts (id, kind, appointment_ids, patient_ids, detail, raised_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET resolved_at = NULL, raised_at = excluded.raised_at
             WHERE resolved_at IS NOT NULL",
        )?
        .execute((&conflict_id, kind, appointments, patients, detail, tx.now()))?;
    let others: Vec<(String, String, String)> = tx
        .conn()
        .prepare_cached(
            "SELECT id, appointment_ids, patient_ids FROM sync_conflicts
             WHERE resolved_at IS NULL AND kind = ?2 AND id <> ?1",
        )?
        .query_map((&conflict_id, kind), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, appointments, patients) in others {
        let theirs = if kind == DUPLICATE_MRN {
            patients
        } else {
            appointments
        };
        let theirs: Vec<String> = serde_json::from_str(&theirs).unwrap_or_default();
        if theirs.iter().any(|x| group.contains(x)) {
            resolve_conflict(tx, &id)?;
        }
    }
    Ok(n)
}

fn resolve_conflict(tx: &Tx, id: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("UPDATE sync_conflicts SET resolved_at = ?2 WHERE id = ?1")?
        .execute((id, tx.now()))?;
    Ok(())
}
