//! Reading appointments for display. A day or week lists hundreds of visits
//! but only a handful of providers, locations, types and rooms, so those
//! names are looked up once per query (`Names`) instead of being joined into
//! every row: a join costs two B-tree descents per table per row.

use crate::booking::Appointment;
use crate::error::{Result, StoreError};
use clinicdesk_domain::{AppointmentStatus, ClinicZone};
use rusqlite::{Connection, OptionalExtension, Params};
use std::collections::HashMap;

/// The appointment's own columns and its patient's; `WHERE`/`ORDER BY` follow.
/// The planner would take the primary-key index for `p.id = ?` and then read
/// the whole patient row; `patients_for_lists` holds the columns shown, which
/// took about 40% off a day's flow board.
const SELECT: &str = "SELECT a.id, a.patient_id, p.family_name, p.given_name, p.mrn,
       a.provider_id, a.location_id, a.appointment_type_id, a.room_id, a.slot_id,
       a.starts_at, a.ends_at, a.status, a.reason, a.overbook_reason, a.cancel_reason,
       a.rescheduled_from, a.rescheduled_to, a.status_changed_at,
       a.arrived_at, a.roomed_at, a.seen_at, a.completed_at
  FROM appointments a
  JOIN patients p INDEXED BY patients_for_lists ON p.id = a.patient_id";

#[derive(Clone)]
struct ProviderName {
    display: String,
    family: String,
}

#[derive(Clone)]
struct LocationName {
    name: String,
    zone: ClinicZone,
}

/// Directory names met so far in one query.
pub(crate) struct Names<'c> {
    conn: &'c Connection,
    providers: HashMap<String, ProviderName>,
    locations: HashMap<String, LocationName>,
    types: HashMap<String, (String, String)>,
    rooms: HashMap<String, String>,
}

impl<'c> Names<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Names {
            conn,
            providers: HashMap::new(),
            locations: HashMap::new(),
            types: HashMap::new(),
            rooms: HashMap::new(),
        }
    }

    fn provider(&mut self, id: &str) -> Result<&ProviderName> {
        if !self.providers.contains_key(id) {
            let p = self
                .conn
                .prepare_cached("SELECT given_name, family_name FROM providers WHERE id = ?1")?
                .query_row([id], |r| {
                    let (given, family): (String, String) = (r.get(0)?, r.get(1)?);
                    Ok(ProviderName {
                        display: format!("{given} {family}"),
                        family,
                    })
                })
                .optional()?
                .ok_or_else(|| StoreError::not_found("provider", id))?;
            self.providers.insert(id.to_string(), p);
        }
        Ok(&self.providers[id])
    }

    /// The provider's family name, for ordering; empty if unknown.
    pub(crate) fn provider_family(&self, id: &str) -> &str {
        self.providers.get(id).map_or("", |p| p.family.as_str())
    }

    fn location(&mut self, id: &str) -> Result<&LocationName> {
        if !self.locations.contains_key(id) {
            let l = self
                .conn
                .prepare_cached("SELECT name, timezone FROM locations WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
                .ok_or_else(|| StoreError::not_found("location", id))?;
            let zone = ClinicZone::parse(&l.1)?;
            self.locations
                .insert(id.to_string(), LocationName { name: l.0, zone });
        }
        Ok(&self.locations[id])
    }

    fn appointment_type(&mut self, id: &str) -> Result<&(String, String)> {
        if !self.types.contains_key(id) {
            let t = self
                .conn
                .prepare_cached("SELECT name, color FROM appointment_types WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| StoreError::not_found("appointment type", id))?;
            self.types.insert(id.to_string(), t);
        }
        Ok(&self.types[id])
    }

    fn room(&mut self, id: &str) -> Result<&str> {
        if !self.rooms.contains_key(id) {
            let name = self
                .conn
                .prepare_cached("SELECT name FROM rooms WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("room", id))?;
            self.rooms.insert(id.to_string(), name);
        }
        Ok(&self.rooms[id])
    }

    /// Appointments matching `tail` (the `WHERE` and `ORDER BY` of a query
    /// on `appointments a JOIN patients p`), with every name filled in.
    pub(crate) fn query(&mut self, tail: &str, params: impl Params) -> Result<Vec<Appointment>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT} {tail}"))?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(self.read(r)?);
        }
        Ok(out)
    }

    fn read(&mut self, r: &rusqlite::Row) -> Result<Appointment> {
        let provider_id: String = r.get(5)?;
        let location_id: String = r.get(6)?;
        let type_id: String = r.get(7)?;
        let room_id: Option<String> = r.get(8)?;
        let (starts_at, ends_at): (i64, i64) = (r.get(10)?, r.get(11)?);
        let provider_name = self.provider(&provider_id)?.display.clone();
        let location = self.location(&location_id)?.clone();
        let (appointment_type, color) = self.appointment_type(&type_id)?.clone();
        let room_name = match &room_id {
            Some(id) => Some(self.room(id)?.to_string()),
            None => None,
        };
        let status = r.get_ref(12)?.as_str().map_err(rusqlite::Error::from)?;
        Ok(Appointment {
            id: r.get(0)?,
            patient_id: r.get(1)?,
            patient_name: {
                let family = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                let given = r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
                format!("{family}, {given}")
            },
            mrn: r.get(4)?,
            provider_id,
            provider_name,
            location_id,
            location_name: location.name,
            appointment_type_id: type_id,
            appointment_type,
            color,
            room_id,
            room_name,
            slot_id: r.get(9)?,
            starts_at,
            ends_at,
            local_start: location.zone.rfc3339(starts_at),
            local_end: location.zone.rfc3339(ends_at),
            status: status.parse::<AppointmentStatus>().map_err(|_| {
                StoreError::invalid(format!(
                    "appointment {} has an unknown status \"{status}\"; the store may be damaged",
                    r.get::<_, String>(0).unwrap_or_default()
                ))
            })?,
            reason: r.get(13)?,
            overbook_reason: r.get(14)?,
            cancel_reason: r.get(15)?,
            rescheduled_from: r.get(16)?,
            rescheduled_to: r.get(17)?,
            status_changed_at: r.get(18)?,
            arrived_at: r.get(19)?,
            roomed_at: r.get(20)?,
            seen_at: r.get(21)?,
            completed_at: r.get(22)?,
        })
    }
}

/// Appointments matching `tail`, names filled in.
pub(crate) fn query(
    conn: &Connection,
    tail: &str,
    params: impl Params,
) -> Result<Vec<Appointment>> {
    Names::new(conn).query(tail, params)
}

/// One appointment by id.
pub(crate) fn load(conn: &Connection, id: &str) -> Result<Appointment> {
    query(conn, "WHERE a.id = ?1", [id])?
        .pop()
        .ok_or_else(|| StoreError::not_found("appointment", id))
}
