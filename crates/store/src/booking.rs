//! Booking, rescheduling and the appointment lifecycle. Every booking goes
//! through `check`, so next-available search, booking and rescheduling can
//! never disagree about what is free.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::schedule::{exception_over, read_slot, Slot, SLOT_COLS};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text, Tx};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use clinicdesk_domain::validate;
use clinicdesk_domain::{AppointmentStatus, ClinicZone, Permission};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Appointments never last longer than this; overlap queries rely on it.
pub const MAX_APPOINTMENT_SECONDS: i64 = 480 * 60;

#[derive(Debug, Clone, Default)]
pub struct BookingRequest {
    pub patient_id: String,
    /// Book into this slot (provider, location and time come from it)…
    pub slot_id: Option<String>,
    /// …or at this clinic-local start time with this provider and location.
    pub start: Option<NaiveDateTime>,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    /// Defaults to the slot's type.
    pub appointment_type_id: Option<String>,
    pub room_id: Option<String>,
    pub reason: Option<String>,
    /// Books past capacity, availability or exceptions; the reason is kept.
    pub overbook_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Appointment {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub mrn: String,
    pub provider_id: String,
    pub provider_name: String,
    pub location_id: String,
    pub location_name: String,
    pub appointment_type_id: String,
    pub appointment_type: String,
    pub color: String,
    pub room_id: Option<String>,
    pub room_name: Option<String>,
    pub slot_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    /// RFC 3339 in the location's time zone.
    pub local_start: String,
    pub local_end: String,
    pub status: AppointmentStatus,
    pub reason: Option<String>,
    pub overbook_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub rescheduled_from: Option<String>,
    pub rescheduled_to: Option<String>,
    pub status_changed_at: i64,
    pub arrived_at: Option<i64>,
    pub roomed_at: Option<i64>,
    pub seen_at: Option<i64>,
    pub completed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppointmentEvent {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: i64,
    pub user_id: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NextAvailableQuery {
    pub appointment_type_id: String,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Time-of-day window, clinic-local.
    pub earliest: Option<NaiveTime>,
    pub latest: Option<NaiveTime>,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OpenTime {
    pub slot_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub local_start: String,
}

/// A booking with every id resolved, before the rules have looked at it.
#[derive(Debug, Clone)]
struct Candidate {
    patient_id: Option<String>,
    provider_id: String,
    location_id: String,
    type_id: String,
    room_id: Option<String>,
    starts_at: i64,
    ends_at: i64,
    overbook: bool,
}

pub(crate) fn load_appointment(conn: &Connection, id: &str) -> Result<Appointment> {
    crate::appointment_rows::load(conn, id)
}

fn zone_of(conn: &Connection, location_id: &str) -> Result<ClinicZone> {
    let tz: String = conn
        .prepare_cached("SELECT timezone FROM locations WHERE id = ?1 AND active = 1")?
        .query_row([location_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("active location", location_id))?;
    Ok(ClinicZone::parse(&tz)?)
}

fn hhmm(zone: ClinicZone, t: i64) -> String {
    zone.to_local(t).format("%H:%M").to_string()
}

fn when(zone: ClinicZone, t: i64) -> String {
    zone.to_local(t).format("%a %-d %b %Y %H:%M").to_string()
}

fn name_of(conn: &Connection, sql: &str, id: &str) -> Result<String> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| id.to_string()))
}

fn provider_name(conn: &Connection, id: &str) -> Result<String> {
    name_of(
        conn,
        "SELECT given_name || ' ' || family_name FROM providers WHERE id = ?1",
        id,
    )
}

/// Applies every scheduling rule to a candidate. Returns the slot that holds
/// it, if any. Patient and room clashes can never be overbooked.
fn check(conn: &Connection, c: &Candidate) -> Result<Option<Slot>> {
    let zone = zone_of(conn, &c.location_id)?;
    let (ty_duration, ty_capacity): (i64, i64) = conn
        .prepare_cached(
            "SELECT duration_minutes, capacity FROM appointment_types WHERE id = ?1 AND active = 1",
        )?
        .query_row([&c.type_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::not_found("active appointment type", &c.type_id))?;
    debug_assert_eq!(c.ends_at - c.starts_at, ty_duration * 60);
    let provider_ok: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1 AND active = 1)")?
        .query_row([&c.provider_id], |r| r.get(0))?;
    if !provider_ok {
        return Err(StoreError::not_found("active provider", &c.provider_id));
    }
    let window_start = c.starts_at - MAX_APPOINTMENT_SECONDS;
    if let Some(pid) = &c.patient_id {
        let clash: Option<(i64, String)> = conn
            .prepare_cached(
                "SELECT a.starts_at, pr.given_name || ' ' || pr.family_name FROM appointments a
                 JOIN providers pr ON pr.id = a.provider_id
                 WHERE a.patient_id = ?1 AND a.starts_at > ?2 AND a.starts_at < ?4 AND a.ends_at > ?3
                   AND a.status NOT IN ('cancelled', 'no-show') LIMIT 1",
            )?
            .query_row((pid, window_start, c.starts_at, c.ends_at), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((at, with)) = clash {
            return Err(StoreError::Conflict(format!(
                "the patient already has an appointment with {with} at {}",
                when(zone, at)
            )));
        }
    }
    if let Some(room) = &c.room_id {
        let in_location: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM rooms WHERE id = ?1 AND location_id = ?2 AND active = 1)")?
            .query_row((room, &c.location_id), |r| r.get(0))?;
        if !in_location {
            return Err(StoreError::invalid("that room is not at this location"));
        }
        let clash: Option<i64> = conn
            .prepare_cached(
                "SELECT starts_at FROM appointments WHERE room_id = ?1 AND starts_at > ?2 AND starts_at < ?4 AND ends_at > ?3
                   AND status NOT IN ('cancelled', 'no-show', 'completed') LIMIT 1",
            )?
            .query_row((room, window_start, c.starts_at, c.ends_at), |r| r.get(0))
            .optional()?;
        if let Some(at) = clash {
            return Err(StoreError::Conflict(format!(
                "the room is already taken at {}",
                hhmm(zone, at)
            )));
        }
    }
    let who = || provider_name(conn, &c.provider_id);
    if let Some((kind, reason, s, e)) =
        exception_over(conn, &c.provider_id, &c.location_id, c.starts_at, c.ends_at)?
    {
        if !c.overbook {
            return Err(StoreError::Conflict(format!(
                "{} is unavailable from {} to {} ({kind}: {reason})",
                who()?,
                when(zone, s),
                when(zone, e)
            )));
        }
    }
    // Availability: open slots of this provider here must cover the whole visit.
    let slots: Vec<Slot> = conn
        .prepare_cached(&format!(
            "SELECT {SLOT_COLS} FROM slots WHERE provider_id = ?1 AND starts_at > ?2 AND starts_at < ?4 AND ends_at > ?3
             ORDER BY starts_at"
        ))?
        .query_map((&c.provider_id, window_start, c.starts_at, c.ends_at), read_slot)?
        .collect::<rusqlite::Result<_>>()?;
    let holding = slots
        .iter()
        .find(|s| s.starts_at <= c.starts_at && s.ends_at > c.starts_at)
        .cloned();
    let mut covered_to = c.starts_at;
    for s in &slots {
        if s.location_id == c.location_id && s.status == "open" && s.starts_at <= covered_to {
            covered_to = covered_to.max(s.ends_at);
        }
    }
    if covered_to < c.ends_at && !c.overbook {
        return Err(StoreError::Conflict(format!(
            "{} has no open schedule here from {} to {}",
            who()?,
            when(zone, c.starts_at),
            hhmm(zone, c.ends_at)
        )));
    }
    if let Some(s) = holding.as_ref().filter(|s| s.location_id == c.location_id) {
        if let Some(t) = s.appointment_type_id.as_ref().filter(|t| **t != c.type_id) {
            if !c.overbook {
                let t_name = name_of(conn, "SELECT name FROM appointment_types WHERE id = ?1", t)?;
                return Err(StoreError::Conflict(format!(
                    "the {} slot is kept for {t_name} visits",
                    hhmm(zone, s.starts_at)
                )));
            }
        }
    }
    // Double booking: other visits of this provider overlapping this one.
    let overlapping: Vec<(i64, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT starts_at, slot_id, appointment_type_id FROM appointments
             WHERE provider_id = ?1 AND starts_at > ?2 AND starts_at < ?4 AND ends_at > ?3
               AND status NOT IN ('cancelled', 'no-show')",
        )?
        .query_map(
            (&c.provider_id, window_start, c.starts_at, c.ends_at),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    if !overlapping.is_empty() && !c.overbook {
        // Group visits share a slot up to its capacity, all of the same type.
        let group = holding
            .as_ref()
            .filter(|s| s.starts_at == c.starts_at && s.location_id == c.location_id);
        let shared = group.is_some_and(|s| {
            overlapping.iter().all(|(at, slot, ty)| {
                *at == c.starts_at && slot.as_deref() == Some(s.id.as_str()) && *ty == c.type_id
            })
        });
        let capacity = group.map_or(1, |s| s.capacity.min(ty_capacity));
        if !shared || overlapping.len() as i64 >= capacity {
            return Err(StoreError::Conflict(if capacity > 1 && shared {
                format!(
                    "the {} slot is full ({capacity} of {capacity} booked)",
                    hhmm(zone, c.starts_at)
                )
            } else {
                format!(
                    "{} is already booked at {}",
                    who()?,
                    hhmm(zone, overlapping[0].0)
                )
            }));
        }
    }
    Ok(holding.filter(|s| s.location_id == c.location_id && s.starts_at == c.starts_at))
}

impl Tx<'_> {
    fn resolve(&self, req: &BookingRequest) -> Result<Candidate> {
        let conn = self.conn();
        let slot = req
            .slot_id
            .as_deref()
            .map(|id| {
                conn.prepare_cached(&format!("SELECT {SLOT_COLS} FROM slots WHERE id = ?1"))?
                    .query_row([id], read_slot)
                    .optional()?
                    .ok_or_else(|| StoreError::not_found("slot", id))
            })
            .transpose()?;
        let provider_id = match (&slot, &req.provider_id) {
            (Some(s), Some(p)) if s.provider_id != *p => {
                return Err(StoreError::invalid("the slot belongs to another provider"));
            }
            (Some(s), _) => s.provider_id.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => {
                return Err(StoreError::invalid(
                    "choose a slot, or a provider and a start time",
                ))
            }
        };
        let location_id = match (&slot, &req.location_id) {
            (Some(s), _) => s.location_id.clone(),
            (None, Some(l)) => l.clone(),
            (None, None) => {
                return Err(StoreError::invalid(
                    "choose the location of the appointment",
                ))
            }
        };
        let type_id = req
            .appointment_type_id
            .clone()
            .or_else(|| slot.as_ref().and_then(|s| s.appointment_type_id.clone()))
            .ok_or_else(|| StoreError::invalid("choose the appointment type"))?;
        let duration: i64 = conn
            .prepare_cached(
                "SELECT duration_minutes FROM appointment_types WHERE id = ?1 AND active = 1",
            )?
            .query_row([&type_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::not_found("active appointment type", &type_id))?;
        let starts_at = match (&slot, req.start) {
            (Some(s), _) => s.starts_at,
            (None, Some(local)) => zone_of(conn, &location_id)?
                .to_utc(local.date(), local.time())?
                .timestamp(),
            (None, None) => return Err(StoreError::invalid("choose a slot or a start time")),
        };
        let overbook_reason =
            validate::text("overbook reason", req.overbook_reason.as_deref(), 200)
                .map_err(StoreError::Invalid)?;
        Ok(Candidate {
            patient_id: Some(req.patient_id.clone()),
            provider_id,
            location_id,
            type_id,
            room_id: req.room_id.clone(),
            starts_at,
            ends_at: starts_at + duration * 60,
            overbook: overbook_reason.is_some(),
        })
    }

    /// Books an appointment after checking every scheduling rule.
    pub fn book(&mut self, req: &BookingRequest) -> Result<String> {
        self.session().require(Permission::AppointmentWrite)?;
        let active: Option<bool> = self
            .conn()
            .prepare_cached("SELECT active FROM patients WHERE id = ?1")?
            .query_row([&req.patient_id], |r| r.get(0))
            .optional()?;
        match active {
            None => return Err(StoreError::not_found("patient", &req.patient_id)),
            Some(false) => return Err(StoreError::invalid("the patient's record is inactive")),
            Some(true) => {}
        }
        let c = self.resolve(req)?;
        let slot = check(self.conn(), &c)?;
        let reason = validate::text("visit reason", req.reason.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let overbook = validate::text("overbook reason", req.overbook_reason.as_deref(), 200)
            .map_err(StoreError::Invalid)?;
        self.insert_appointment(&c, slot.map(|s| s.id), reason, overbook, None)
    }

    fn insert_appointment(
        &mut self,
        c: &Candidate,
        slot_id: Option<String>,
        reason: Option<String>,
        overbook: Option<String>,
        rescheduled_from: Option<&str>,
    ) -> Result<String> {
        let id = new_id();
        let now = self.now();
        let patient_id = c.patient_id.clone().expect("bookings name a patient");
        self.insert(
            "appointments",
            &id,
            vec![
                ("patient_id", text(&patient_id)),
                ("provider_id", text(&c.provider_id)),
                ("location_id", text(&c.location_id)),
                ("appointment_type_id", text(&c.type_id)),
                ("room_id", opt_text(c.room_id.clone())),
                ("slot_id", opt_text(slot_id)),
                ("starts_at", int(c.starts_at)),
                ("ends_at", int(c.ends_at)),
                ("status", text(AppointmentStatus::Booked.as_str())),
                ("reason", opt_text(reason)),
                ("overbook_reason", opt_text(overbook.clone())),
                ("rescheduled_from", opt_text(rescheduled_from)),
                ("status_changed_at", int(now)),
                ("created_at", int(now)),
                ("created_by", text(&self.session().user_id)),
            ],
        )?;
        self.event(
            &id,
            None,
            AppointmentStatus::Booked,
            overbook.as_deref().map(|r| format!("overbooked: {r}")),
        )?;
        let action = if rescheduled_from.is_some() {
            "reschedule"
        } else {
            "book"
        };
        self.audit(
            Entry::new("appointment", action)
                .patient(&patient_id)
                .record(&id),
        )?;
        Ok(id)
    }

    fn event(
        &mut self,
        appointment_id: &str,
        from: Option<AppointmentStatus>,
        to: AppointmentStatus,
        reason: Option<String>,
    ) -> Result<()> {
        self.insert(
            "appointment_events",
            &new_id(),
            vec![
                ("appointment_id", text(appointment_id)),
                ("from_status", opt_text(from.map(|s| s.as_str()))),
                ("to_status", text(to.as_str())),
                ("at", int(self.now())),
                ("user_id", text(&self.session().user_id)),
                ("reason", opt_text(reason)),
            ],
        )
    }

    /// Moves an appointment along its lifecycle; illegal moves are refused.
    pub fn set_status(
        &mut self,
        id: &str,
        to: AppointmentStatus,
        reason: Option<&str>,
        room_id: Option<&str>,
    ) -> Result<()> {
        use AppointmentStatus::*;
        let needed = match to {
            Booked | Confirmed | Cancelled | NoShow => Permission::AppointmentWrite,
            Arrived => Permission::CheckIn,
            Roomed | WithProvider | Completed => Permission::ClinicalFlow,
        };
        self.session().require(needed)?;
        let a = load_appointment(self.conn(), id)?;
        if !a.status.can_become(to) {
            return Err(StoreError::Transition(a.status.refusal(to)));
        }
        let reason = validate::text("reason", reason, 500).map_err(StoreError::Invalid)?;
        let zone = zone_of(self.conn(), &a.location_id)?;
        let now = self.now();
        match to {
            Cancelled if reason.is_none() => {
                return Err(StoreError::invalid("say why the appointment is cancelled"));
            }
            NoShow if now < a.starts_at => {
                return Err(StoreError::Transition(format!(
                    "the appointment starts at {}; it cannot be a no-show before then",
                    hhmm(zone, a.starts_at)
                )));
            }
            Arrived if zone.local_date(now) != zone.local_date(a.starts_at) => {
                return Err(StoreError::Transition(format!(
                    "this appointment is on {}, not today",
                    zone.local_date(a.starts_at).format("%a %-d %b %Y")
                )));
            }
            _ => {}
        }
        let mut fields = vec![
            ("status", text(to.as_str())),
            ("status_changed_at", int(now)),
        ];
        match to {
            Arrived => fields.push(("arrived_at", int(now))),
            Roomed => {
                fields.push(("roomed_at", int(now)));
                if let Some(room) = room_id {
                    let ok: bool = self.conn().query_row(
                        "SELECT EXISTS (SELECT 1 FROM rooms WHERE id = ?1 AND location_id = ?2)",
                        (room, &a.location_id),
                        |r| r.get(0),
                    )?;
                    if !ok {
                        return Err(StoreError::invalid("that room is not at this location"));
                    }
                    fields.push(("room_id", text(room)));
                }
            }
            WithProvider => fields.push(("seen_at", int(now))),
            Completed => fields.push(("completed_at", int(now))),
            Cancelled | NoShow => fields.push(("cancel_reason", opt_text(reason.clone()))),
            Booked | Confirmed => {}
        }
        self.update("appointments", id, fields)?;
        self.event(id, Some(a.status), to, reason)?;
        self.audit(
            Entry::new("appointment", to.as_str())
                .patient(&a.patient_id)
                .record(id),
        )
    }

    /// Moves an upcoming appointment: the old one is cancelled as
    /// rescheduled and linked both ways to the new one.
    pub fn reschedule(&mut self, id: &str, to: &BookingRequest) -> Result<String> {
        self.session().require(Permission::AppointmentWrite)?;
        let old = load_appointment(self.conn(), id)?;
        if !old.status.is_upcoming() {
            return Err(StoreError::Transition(format!(
                "only booked or confirmed appointments can be rescheduled; this one is {}",
                old.status.label().to_lowercase()
            )));
        }
        let mut req = to.clone();
        req.patient_id = old.patient_id.clone();
        if req.slot_id.is_none() {
            req.provider_id.get_or_insert(old.provider_id.clone());
            req.location_id.get_or_insert(old.location_id.clone());
        }
        req.appointment_type_id
            .get_or_insert(old.appointment_type_id.clone());
        if req.reason.is_none() {
            req.reason = old.reason.clone();
        }
        // Free the old place first so the new booking does not clash with it.
        self.update(
            "appointments",
            id,
            vec![
                ("status", text(AppointmentStatus::Cancelled.as_str())),
                ("cancel_reason", text("rescheduled")),
                ("status_changed_at", int(self.now())),
            ],
        )?;
        self.event(
            id,
            Some(old.status),
            AppointmentStatus::Cancelled,
            Some("rescheduled".into()),
        )?;
        let c = self.resolve(&req)?;
        let slot = check(self.conn(), &c)?;
        let reason = validate::text("visit reason", req.reason.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let overbook = validate::text("overbook reason", req.overbook_reason.as_deref(), 200)
            .map_err(StoreError::Invalid)?;
        let new_id = self.insert_appointment(&c, slot.map(|s| s.id), reason, overbook, Some(id))?;
        self.update("appointments", id, vec![("rescheduled_to", text(&new_id))])?;
        Ok(new_id)
    }
}

impl Store {
    pub fn book(&mut self, session: &Session, req: &BookingRequest) -> Result<Appointment> {
        let id = self.write(session, |tx| tx.book(req))?;
        load_appointment(self.conn(), &id)
    }

    pub fn reschedule(
        &mut self,
        session: &Session,
        id: &str,
        to: &BookingRequest,
    ) -> Result<Appointment> {
        let new_id = self.write(session, |tx| tx.reschedule(id, to))?;
        load_appointment(self.conn(), &new_id)
    }

    pub fn set_status(
        &mut self,
        session: &Session,
        id: &str,
        to: AppointmentStatus,
        reason: Option<&str>,
    ) -> Result<Appointment> {
        self.write(session, |tx| tx.set_status(id, to, reason, None))?;
        load_appointment(self.conn(), id)
    }

    pub fn check_in(&mut self, session: &Session, id: &str) -> Result<Appointment> {
        self.set_status(session, id, AppointmentStatus::Arrived, None)
    }

    pub fn room(
        &mut self,
        session: &Session,
        id: &str,
        room_id: Option<&str>,
    ) -> Result<Appointment> {
        self.write(session, |tx| {
            tx.set_status(id, AppointmentStatus::Roomed, None, room_id)
        })?;
        load_appointment(self.conn(), id)
    }

    pub fn cancel(&mut self, session: &Session, id: &str, reason: &str) -> Result<Appointment> {
        self.set_status(session, id, AppointmentStatus::Cancelled, Some(reason))
    }

    /// One appointment; the read is audited.
    pub fn appointment(&mut self, session: &Session, id: &str) -> Result<Appointment> {
        session.require(Permission::AppointmentRead)?;
        let a = load_appointment(self.conn(), id)?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("appointment", "read")
                    .patient(&a.patient_id)
                    .record(id),
            )
        })?;
        Ok(a)
    }

    /// Status changes of an appointment, oldest first.
    pub fn appointment_history(
        &mut self,
        session: &Session,
        id: &str,
    ) -> Result<Vec<AppointmentEvent>> {
        let a = self.appointment(session, id)?;
        let mut stmt = self.conn().prepare(
            "SELECT from_status, to_status, at, user_id, reason FROM appointment_events WHERE appointment_id = ?1 ORDER BY at, rowid",
        )?;
        let v = stmt
            .query_map([&a.id], |r| {
                Ok(AppointmentEvent {
                    from_status: r.get(0)?,
                    to_status: r.get(1)?,
                    at: r.get(2)?,
                    user_id: r.get(3)?,
                    reason: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// The earliest open times matching the query, checked exactly as a booking would be.
    pub fn next_available(
        &self,
        session: &Session,
        q: &NextAvailableQuery,
    ) -> Result<Vec<OpenTime>> {
        session.require(Permission::AppointmentRead)?;
        if q.to < q.from {
            return Err(StoreError::invalid("the end date is before the start date"));
        }
        let conn = self.conn();
        let duration: i64 = conn
            .query_row(
                "SELECT duration_minutes FROM appointment_types WHERE id = ?1 AND active = 1",
                [&q.appointment_type_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                StoreError::not_found("active appointment type", &q.appointment_type_id)
            })?;
        let start = q.from.and_time(NaiveTime::MIN).and_utc().timestamp() - 14 * 3600;
        let end =
            q.to.succ_opt()
                .unwrap_or(q.to)
                .and_time(NaiveTime::MIN)
                .and_utc()
                .timestamp()
                + 14 * 3600;
        // Name only the filters given, so the planner picks the matching index.
        let provider = if q.provider_id.is_some() {
            "provider_id = ?3"
        } else {
            "?3 IS NULL"
        };
        let location = if q.location_id.is_some() {
            "location_id = ?4"
        } else {
            "?4 IS NULL"
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {SLOT_COLS} FROM slots
             WHERE {provider} AND {location} AND starts_at >= ?1 AND starts_at < ?2 AND status = 'open'
               AND (appointment_type_id IS NULL OR appointment_type_id = ?5)
             ORDER BY starts_at, provider_id LIMIT 20000"
        ))?;
        let candidates = stmt.query_map(
            rusqlite::params![
                start,
                end,
                q.provider_id,
                q.location_id,
                q.appointment_type_id
            ],
            read_slot,
        )?;
        let mut found = Vec::new();
        let now = crate::write::now_seconds();
        for s in candidates {
            let s = s?;
            if s.booked >= s.capacity || s.starts_at < now {
                continue;
            }
            let zone = zone_of(conn, &s.location_id)?;
            let local = zone.to_local(s.starts_at);
            if local.date() < q.from || local.date() > q.to {
                continue;
            }
            if q.earliest.is_some_and(|e| local.time() < e)
                || q.latest.is_some_and(|l| local.time() > l)
            {
                continue;
            }
            let c = Candidate {
                patient_id: None,
                provider_id: s.provider_id.clone(),
                location_id: s.location_id.clone(),
                type_id: q.appointment_type_id.clone(),
                room_id: None,
                starts_at: s.starts_at,
                ends_at: s.starts_at + duration * 60,
                overbook: false,
            };
            if check(conn, &c).is_ok() {
                found.push(OpenTime {
                    slot_id: s.id.clone(),
                    provider_id: s.provider_id,
                    location_id: s.location_id,
                    starts_at: s.starts_at,
                    ends_at: c.ends_at,
                    local_start: zone.rfc3339(s.starts_at),
                });
                if found.len() >= q.limit.max(1) {
                    break;
                }
            }
        }
        Ok(found)
    }
}

/// An appointment that already happened or was booked elsewhere (FHIR import,
/// the demo clinic): recorded as it is, without availability checks, but
/// with every reference and field checked.
#[derive(Debug, Clone)]
pub struct RecordedAppointment {
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    pub slot_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: AppointmentStatus,
    pub reason: Option<String>,
    pub cancel_reason: Option<String>,
}

impl Tx<'_> {
    pub fn record_appointment(&mut self, a: &RecordedAppointment) -> Result<String> {
        self.session().require(Permission::AppointmentWrite)?;
        if a.ends_at <= a.starts_at || a.ends_at - a.starts_at > MAX_APPOINTMENT_SECONDS {
            return Err(StoreError::invalid(
                "an appointment must end after it starts and last at most 8 hours",
            ));
        }
        for (sql, id, what) in [
            (
                "SELECT EXISTS (SELECT 1 FROM patients WHERE id = ?1)",
                &a.patient_id,
                "patient",
            ),
            (
                "SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1)",
                &a.provider_id,
                "provider",
            ),
            (
                "SELECT EXISTS (SELECT 1 FROM locations WHERE id = ?1)",
                &a.location_id,
                "location",
            ),
            (
                "SELECT EXISTS (SELECT 1 FROM appointment_types WHERE id = ?1)",
                &a.appointment_type_id,
                "appointment type",
            ),
        ] {
            let ok: bool = self
                .conn()
                .prepare_cached(sql)?
                .query_row([id], |r| r.get(0))?;
            if !ok {
                return Err(StoreError::not_found(what, id));
            }
        }
        if let Some(slot_id) = &a.slot_id {
            // The calendar counts a slot's bookings among its provider's
            // visits starting inside it; a recorded visit must fit that too.
            let slot = self
                .conn()
                .prepare_cached(&format!("SELECT {SLOT_COLS} FROM slots WHERE id = ?1"))?
                .query_row([slot_id], read_slot)
                .optional()?
                .ok_or_else(|| StoreError::not_found("slot", slot_id))?;
            if slot.provider_id != a.provider_id || slot.location_id != a.location_id {
                return Err(StoreError::invalid(
                    "the slot belongs to another provider or location",
                ));
            }
            if a.starts_at < slot.starts_at || a.starts_at >= slot.ends_at {
                return Err(StoreError::invalid(
                    "the appointment does not start within its slot",
                ));
            }
        }
        let reason = validate::text("visit reason", a.reason.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let cancel_reason = validate::text("cancel reason", a.cancel_reason.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let id = new_id();
        let now = self.now();
        let at = |cond: bool| {
            if cond {
                int(a.starts_at)
            } else {
                rusqlite::types::Value::Null
            }
        };
        use AppointmentStatus::*;
        let s = a.status;
        self.insert(
            "appointments",
            &id,
            vec![
                ("patient_id", text(&a.patient_id)),
                ("provider_id", text(&a.provider_id)),
                ("location_id", text(&a.location_id)),
                ("appointment_type_id", text(&a.appointment_type_id)),
                ("slot_id", opt_text(a.slot_id.clone())),
                ("starts_at", int(a.starts_at)),
                ("ends_at", int(a.ends_at)),
                ("status", text(s.as_str())),
                ("reason", opt_text(reason)),
                ("cancel_reason", opt_text(cancel_reason)),
                ("status_changed_at", int(a.starts_at.min(now))),
                (
                    "arrived_at",
                    at(matches!(s, Arrived | Roomed | WithProvider | Completed)),
                ),
                (
                    "roomed_at",
                    at(matches!(s, Roomed | WithProvider | Completed)),
                ),
                ("seen_at", at(matches!(s, WithProvider | Completed))),
                (
                    "completed_at",
                    if s == Completed {
                        int(a.ends_at)
                    } else {
                        rusqlite::types::Value::Null
                    },
                ),
                ("created_at", int(now)),
                ("created_by", text(&self.session().user_id)),
            ],
        )?;
        self.event(&id, None, s, Some("recorded".into()))?;
        self.audit(
            Entry::new("appointment", "record")
                .patient(&a.patient_id)
                .record(&id),
        )?;
        Ok(id)
    }
}
