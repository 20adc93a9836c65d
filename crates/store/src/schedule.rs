//! Provider schedules: recurring weekly templates, exceptions, and the slots
//! materialized from them. Changing a template never touches appointments.

use crate::audit::Entry;
use crate::error::{OrInvalid, Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text, Tx};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use clinicdesk_domain::local_time::{parse_date, parse_time};
use clinicdesk_domain::validate::{self, ExceptionKind};
use clinicdesk_domain::{ClinicZone, Permission};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::HashMap;

/// The longest range one materialization may cover.
pub const MAX_MATERIALIZE_DAYS: i64 = 400;

#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub provider_id: String,
    pub location_id: String,
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    pub start_time: String,
    pub end_time: String,
    pub slot_minutes: i64,
    pub appointment_type_id: Option<String>,
    pub effective_from: String,
    pub effective_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub schedule_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub weekday: u32,
    pub start_time: String,
    pub end_time: String,
    pub slot_minutes: i64,
    pub appointment_type_id: Option<String>,
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct ExceptionInput {
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub kind: String,
    /// Clinic-local, `YYYY-MM-DDTHH:MM`.
    pub starts: String,
    pub ends: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScheduleException {
    pub id: String,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub kind: ExceptionKind,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reason: String,
    /// Booked appointments inside the exception, for staff to move.
    pub affected_appointments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Slot {
    pub id: String,
    pub schedule_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub template_id: Option<String>,
    pub appointment_type_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub status: String,
    /// Active appointments in the slot.
    pub booked: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MaterializeReport {
    pub days: i64,
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Slots no template produces any more, kept because patients are booked in them.
    pub kept_booked: usize,
}

const TEMPLATE_COLS: &str = "t.id, t.schedule_id, s.provider_id, s.location_id, t.weekday, t.start_time, t.end_time, t.slot_minutes, t.appointment_type_id, t.effective_from, t.effective_to, t.active";
/// A slot's columns with its active bookings counted by a correlated
/// subquery: right for a few slots, one index probe per slot.
pub(crate) const SLOT_COLS: &str = "id, schedule_id, provider_id, location_id, template_id, appointment_type_id, starts_at, ends_at, capacity, status, (SELECT count(*) FROM appointments a WHERE a.slot_id = slots.id AND a.status NOT IN ('cancelled', 'no-show'))";
/// The same columns with the count left at 0, for callers that count a
/// range's bookings in one grouped query instead.
const SLOT_COLS_UNCOUNTED: &str = "id, schedule_id, provider_id, location_id, template_id, appointment_type_id, starts_at, ends_at, capacity, status, 0";

fn read_template(r: &rusqlite::Row) -> rusqlite::Result<Template> {
    Ok(Template {
        id: r.get(0)?,
        schedule_id: r.get(1)?,
        provider_id: r.get(2)?,
        location_id: r.get(3)?,
        weekday: r.get(4)?,
        start_time: r.get(5)?,
        end_time: r.get(6)?,
        slot_minutes: r.get(7)?,
        appointment_type_id: r.get(8)?,
        effective_from: r.get(9)?,
        effective_to: r.get(10)?,
        active: r.get(11)?,
    })
}

pub(crate) fn read_slot(r: &rusqlite::Row) -> rusqlite::Result<Slot> {
    Ok(Slot {
        id: r.get(0)?,
        schedule_id: r.get(1)?,
        provider_id: r.get(2)?,
        location_id: r.get(3)?,
        template_id: r.get(4)?,
        appointment_type_id: r.get(5)?,
        starts_at: r.get(6)?,
        ends_at: r.get(7)?,
        capacity: r.get(8)?,
        status: r.get(9)?,
        booked: r.get(10)?,
    })
}

pub fn weekday_number(s: &str) -> Result<u32> {
    let t = s.trim().to_ascii_lowercase();
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if let Ok(n) = t.parse::<u32>() {
        if (1..=7).contains(&n) {
            return Ok(n);
        }
    }
    days.iter()
        .position(|d| t.starts_with(d))
        .map(|i| i as u32 + 1)
        .ok_or_else(|| {
            StoreError::invalid(format!("'{s}' is not a weekday; use mon … sun or 1 … 7"))
        })
}

impl Tx<'_> {
    /// The schedule (FHIR Schedule) of a provider at a location, made on first use.
    pub fn schedule_for(&mut self, provider_id: &str, location_id: &str) -> Result<String> {
        let found: Option<String> = self
            .conn()
            .prepare_cached("SELECT id FROM schedules WHERE provider_id = ?1 AND location_id = ?2")?
            .query_row((provider_id, location_id), |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            return Ok(id);
        }
        let id = new_id();
        self.insert(
            "schedules",
            &id,
            vec![
                ("provider_id", text(provider_id)),
                ("location_id", text(location_id)),
                ("active", int(1)),
            ],
        )?;
        Ok(id)
    }

    pub fn add_template(&mut self, t: &TemplateInput) -> Result<String> {
        self.session().require(Permission::ScheduleManage)?;
        let start = parse_time(&t.start_time)?;
        let end = parse_time(&t.end_time)?;
        if start >= end {
            return Err(StoreError::invalid(format!(
                "the block must end after it starts ({} – {})",
                t.start_time, t.end_time
            )));
        }
        if !(1..=7).contains(&t.weekday) {
            return Err(StoreError::invalid("weekday is 1 (Monday) to 7 (Sunday)"));
        }
        if !(5..=480).contains(&t.slot_minutes) {
            return Err(StoreError::invalid("slots last from 5 to 480 minutes"));
        }
        let block = (end - start).num_minutes();
        if block % t.slot_minutes != 0 {
            return Err(StoreError::invalid(format!(
                "a {block}-minute block does not divide into {}-minute slots",
                t.slot_minutes
            )));
        }
        let from = parse_date(&t.effective_from)?;
        let to = t.effective_to.as_deref().map(parse_date).transpose()?;
        if to.is_some_and(|to| to < from) {
            return Err(StoreError::invalid(
                "the template must end on or after the day it starts",
            ));
        }
        let exists = |sql: &str, id: &str| -> Result<bool> {
            Ok(self.conn().query_row(sql, [id], |r| r.get(0))?)
        };
        if !exists(
            "SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1 AND active = 1)",
            &t.provider_id,
        )? {
            return Err(StoreError::not_found("active provider", &t.provider_id));
        }
        if !exists(
            "SELECT EXISTS (SELECT 1 FROM locations WHERE id = ?1 AND active = 1)",
            &t.location_id,
        )? {
            return Err(StoreError::not_found("active location", &t.location_id));
        }
        if let Some(ty) = &t.appointment_type_id {
            if !exists(
                "SELECT EXISTS (SELECT 1 FROM appointment_types WHERE id = ?1 AND active = 1)",
                ty,
            )? {
                return Err(StoreError::not_found("active appointment type", ty));
            }
        }
        // A provider cannot be in two blocks at once, at any location.
        let clash: Option<(String, String, String)> = self
            .conn()
            .query_row(
                "SELECT t.start_time, t.end_time, l.name FROM schedule_templates t
                 JOIN schedules s ON s.id = t.schedule_id JOIN locations l ON l.id = s.location_id
                 WHERE s.provider_id = ?1 AND t.active = 1 AND t.weekday = ?2
                   AND t.start_time < ?4 AND t.end_time > ?3
                   AND t.effective_from <= coalesce(?6, '9999-12-31')
                   AND coalesce(t.effective_to, '9999-12-31') >= ?5
                 LIMIT 1",
                rusqlite::params![
                    t.provider_id,
                    t.weekday,
                    start.format("%H:%M").to_string(),
                    end.format("%H:%M").to_string(),
                    from.to_string(),
                    to.map(|d| d.to_string())
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((s, e, loc)) = clash {
            return Err(StoreError::Conflict(format!(
                "this provider already has a block {s}–{e} on that weekday at {loc} in the same period"
            )));
        }
        let schedule_id = self.schedule_for(&t.provider_id, &t.location_id)?;
        let id = new_id();
        self.insert(
            "schedule_templates",
            &id,
            vec![
                ("schedule_id", text(&schedule_id)),
                ("weekday", int(t.weekday.into())),
                ("start_time", text(start.format("%H:%M").to_string())),
                ("end_time", text(end.format("%H:%M").to_string())),
                ("slot_minutes", int(t.slot_minutes)),
                (
                    "appointment_type_id",
                    opt_text(t.appointment_type_id.clone()),
                ),
                ("effective_from", text(from.to_string())),
                ("effective_to", opt_text(to.map(|d| d.to_string()))),
                ("active", int(1)),
            ],
        )?;
        self.audit(
            Entry::new("schedule", "create")
                .record(&id)
                .detail("template"),
        )?;
        Ok(id)
    }

    /// Rebuilds the slots of `[from, to]` from the templates: adds what is
    /// missing, leaves what matches, and removes slots no template produces
    /// unless a patient is booked in them. Running it twice changes nothing.
    pub fn materialize(&mut self, from: NaiveDate, to: NaiveDate) -> Result<MaterializeReport> {
        self.session().require(Permission::ScheduleManage)?;
        let days = (to - from).num_days() + 1;
        if days < 1 {
            return Err(StoreError::invalid("the end date is before the start date"));
        }
        if days > MAX_MATERIALIZE_DAYS {
            return Err(StoreError::invalid(format!(
                "materialize at most {MAX_MATERIALIZE_DAYS} days at a time ({days} asked)"
            )));
        }
        let templates: Vec<(Template, i64)> = {
            let mut stmt = self.conn().prepare(&format!(
                "SELECT {TEMPLATE_COLS}, coalesce(ty.capacity, 1) FROM schedule_templates t
                 JOIN schedules s ON s.id = t.schedule_id
                 LEFT JOIN appointment_types ty ON ty.id = t.appointment_type_id
                 WHERE t.active = 1 AND t.effective_from <= ?2 AND coalesce(t.effective_to, '9999-12-31') >= ?1"
            ))?;
            let v = stmt
                .query_map([from.to_string(), to.to_string()], |r| {
                    Ok((read_template(r)?, r.get(12)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        let mut zones: HashMap<String, ClinicZone> = HashMap::new();
        for (t, _) in &templates {
            if !zones.contains_key(&t.location_id) {
                let tz: String = self.conn().query_row(
                    "SELECT timezone FROM locations WHERE id = ?1",
                    [&t.location_id],
                    |r| r.get(0),
                )?;
                zones.insert(t.location_id.clone(), ClinicZone::parse(&tz)?);
            }
        }
        // What the templates ask for, keyed by (provider, start).
        let mut desired: HashMap<(String, i64), DesiredSlot> = HashMap::new();
        let mut day = from;
        while day <= to {
            let wd = day.weekday().number_from_monday();
            let ds = day.to_string();
            for (t, capacity) in &templates {
                if t.weekday != wd
                    || t.effective_from > ds
                    || t.effective_to.as_ref().is_some_and(|e| *e < ds)
                {
                    continue;
                }
                let zone = zones[&t.location_id];
                let (start, end) = (parse_time(&t.start_time)?, parse_time(&t.end_time)?);
                let mut at = start;
                while at < end {
                    let next = at + Duration::minutes(t.slot_minutes);
                    // Slot times that fall in a daylight-saving gap do not exist that
                    // day; a slot lasts its real length even across a clock change.
                    if let Ok(s) = zone.to_utc(day, at) {
                        let (s, e) = (s.timestamp(), s.timestamp() + t.slot_minutes * 60);
                        {
                            desired.insert(
                                (t.provider_id.clone(), s),
                                DesiredSlot {
                                    schedule_id: t.schedule_id.clone(),
                                    location_id: t.location_id.clone(),
                                    template_id: t.id.clone(),
                                    type_id: t.appointment_type_id.clone(),
                                    ends_at: e,
                                    capacity: *capacity,
                                },
                            );
                        }
                    }
                    if next <= at {
                        break;
                    }
                    at = next;
                }
            }
            day = day
                .succ_opt()
                .ok_or_else(|| StoreError::invalid("date out of range"))?;
        }
        let range_start = from.and_time(NaiveTime::MIN).and_utc().timestamp() - 14 * 3600;
        let range_end = to
            .succ_opt()
            .unwrap_or(to)
            .and_time(NaiveTime::MIN)
            .and_utc()
            .timestamp()
            + 14 * 3600;
        let existing: Vec<Slot> = {
            let mut stmt = self.conn().prepare(&format!(
                "SELECT {SLOT_COLS} FROM slots WHERE starts_at >= ?1 AND starts_at < ?2 AND template_id IS NOT NULL"
            ))?;
            let v = stmt
                .query_map([range_start, range_end], read_slot)?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        let mut report = MaterializeReport {
            days,
            ..Default::default()
        };
        // Read once: the clinic's zone comes from the database.
        let clinic_zone = self.zone();
        for slot in existing {
            // Only slots of the asked days are ours to judge.
            let zone = zones.get(&slot.location_id).copied().unwrap_or(clinic_zone);
            let local_day = zone.local_date(slot.starts_at);
            if local_day < from || local_day > to {
                continue;
            }
            match desired.remove(&(slot.provider_id.clone(), slot.starts_at)) {
                Some(want) => {
                    let mut changed = Vec::new();
                    if slot.ends_at != want.ends_at {
                        changed.push(("ends_at", int(want.ends_at)));
                    }
                    if slot.capacity != want.capacity {
                        changed.push(("capacity", int(want.capacity)));
                    }
                    if slot.template_id.as_deref() != Some(want.template_id.as_str()) {
                        changed.push(("template_id", text(&want.template_id)));
                    }
                    if slot.appointment_type_id != want.type_id {
                        changed.push(("appointment_type_id", opt_text(want.type_id.clone())));
                    }
                    if changed.is_empty() {
                        report.unchanged += 1;
                    } else {
                        self.update("slots", &slot.id, changed)?;
                        report.updated += 1;
                    }
                }
                None if slot.booked > 0 => report.kept_booked += 1,
                None => {
                    let referenced: bool = self
                        .conn()
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM appointments WHERE slot_id = ?1)",
                        )?
                        .query_row([&slot.id], |r| r.get(0))?;
                    if referenced {
                        // Cancelled visits still point at it; keep the history intact.
                        report.kept_booked += 1;
                    } else {
                        self.delete("slots", &slot.id)?;
                        report.removed += 1;
                    }
                }
            }
        }
        let mut todo: Vec<_> = desired.into_iter().collect();
        todo.sort_by(|a, b| a.0 .1.cmp(&b.0 .1).then_with(|| a.0 .0.cmp(&b.0 .0)));
        for ((provider_id, starts_at), want) in todo {
            let taken: bool = self
                .conn()
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM slots WHERE provider_id = ?1 AND starts_at = ?2)",
                )?
                .query_row((&provider_id, starts_at), |r| r.get(0))?;
            if taken {
                report.unchanged += 1;
                continue;
            }
            let blocked = exception_over(
                self.conn(),
                &provider_id,
                &want.location_id,
                starts_at,
                want.ends_at,
            )?
            .is_some();
            self.insert(
                "slots",
                &new_id(),
                vec![
                    ("schedule_id", text(&want.schedule_id)),
                    ("provider_id", text(&provider_id)),
                    ("location_id", text(&want.location_id)),
                    ("template_id", text(&want.template_id)),
                    ("appointment_type_id", opt_text(want.type_id)),
                    ("starts_at", int(starts_at)),
                    ("ends_at", int(want.ends_at)),
                    ("capacity", int(want.capacity)),
                    ("status", text(if blocked { "blocked" } else { "open" })),
                ],
            )?;
            report.created += 1;
        }
        self.audit(Entry::new("schedule", "materialize").detail(format!(
            "{from} to {to}: {} created, {} updated, {} removed, {} kept for booked patients",
            report.created, report.updated, report.removed, report.kept_booked
        )))?;
        Ok(report)
    }

    pub fn add_exception(&mut self, e: &ExceptionInput) -> Result<ScheduleException> {
        self.session().require(Permission::ScheduleManage)?;
        let kind: ExceptionKind = e.kind.parse().or_invalid()?;
        let reason = validate::name("reason", &e.reason).or_invalid()?;
        let zone = match &e.location_id {
            Some(l) => {
                let tz: String = self
                    .conn()
                    .query_row("SELECT timezone FROM locations WHERE id = ?1", [l], |r| {
                        r.get(0)
                    })
                    .optional()?
                    .ok_or_else(|| StoreError::not_found("location", l))?;
                ClinicZone::parse(&tz)?
            }
            None => self.zone(),
        };
        if let Some(p) = &e.provider_id {
            let ok: bool = self.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1)",
                [p],
                |r| r.get(0),
            )?;
            if !ok {
                return Err(StoreError::not_found("provider", p));
            }
        }
        let at = |s: &str| -> Result<i64> {
            let dt = clinicdesk_domain::local_time::parse_local_datetime(s)?;
            Ok(zone.to_utc(dt.date(), dt.time())?.timestamp())
        };
        let (starts_at, ends_at) = (at(&e.starts)?, at(&e.ends)?);
        if starts_at >= ends_at {
            return Err(StoreError::invalid(
                "the exception must end after it starts",
            ));
        }
        let id = new_id();
        self.insert(
            "schedule_exceptions",
            &id,
            vec![
                ("provider_id", opt_text(e.provider_id.clone())),
                ("location_id", opt_text(e.location_id.clone())),
                ("kind", text(kind.as_str())),
                ("starts_at", int(starts_at)),
                ("ends_at", int(ends_at)),
                ("reason", text(&reason)),
            ],
        )?;
        // Block the open slots it covers; booked patients stay booked and are listed.
        let covered: Vec<(String, String)> = {
            let mut stmt = self.conn().prepare(
                // Slots and visits last at most 8 hours: that bounds the index range.
                "SELECT id, status FROM slots WHERE starts_at < ?2 AND starts_at > ?1 - 28800 AND ends_at > ?1
                   AND (?3 IS NULL OR provider_id = ?3) AND (?4 IS NULL OR location_id = ?4)",
            )?;
            let v = stmt
                .query_map(
                    rusqlite::params![starts_at, ends_at, e.provider_id, e.location_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        for (slot_id, status) in covered {
            if status == "open" {
                self.update("slots", &slot_id, vec![("status", text("blocked"))])?;
            }
        }
        let affected: Vec<String> = {
            let mut stmt = self.conn().prepare(
                "SELECT id FROM appointments WHERE starts_at < ?2 AND starts_at > ?1 - 28800 AND ends_at > ?1
                   AND status NOT IN ('cancelled', 'no-show', 'completed')
                   AND (?3 IS NULL OR provider_id = ?3) AND (?4 IS NULL OR location_id = ?4)
                 ORDER BY starts_at",
            )?;
            let v = stmt
                .query_map(
                    rusqlite::params![starts_at, ends_at, e.provider_id, e.location_id],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        self.audit(
            Entry::new("schedule", "create")
                .record(&id)
                .detail(format!("{kind}: {reason}")),
        )?;
        Ok(ScheduleException {
            id,
            provider_id: e.provider_id.clone(),
            location_id: e.location_id.clone(),
            kind,
            starts_at,
            ends_at,
            reason,
            affected_appointments: affected,
        })
    }
}

struct DesiredSlot {
    schedule_id: String,
    location_id: String,
    template_id: String,
    type_id: Option<String>,
    ends_at: i64,
    capacity: i64,
}

/// The exception, if any, that makes a provider unavailable in `[start, end)`.
pub(crate) fn exception_over(
    conn: &rusqlite::Connection,
    provider_id: &str,
    location_id: &str,
    start: i64,
    end: i64,
) -> Result<Option<(String, String, i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT kind, reason, starts_at, ends_at FROM schedule_exceptions
             WHERE starts_at < ?4 AND ends_at > ?3
               AND (provider_id IS NULL OR provider_id = ?1) AND (location_id IS NULL OR location_id = ?2)
             ORDER BY starts_at LIMIT 1",
        )?
        .query_row((provider_id, location_id, start, end), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?)
}

impl Store {
    pub fn add_template(&mut self, session: &Session, t: &TemplateInput) -> Result<Template> {
        let id = self.write(session, |tx| tx.add_template(t))?;
        self.template(&id)
    }

    pub fn template(&self, id: &str) -> Result<Template> {
        self.conn()
            .query_row(
                &format!("SELECT {TEMPLATE_COLS} FROM schedule_templates t JOIN schedules s ON s.id = t.schedule_id WHERE t.id = ?1"),
                [id],
                read_template,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("schedule template", id))
    }

    pub fn templates(&self, provider_id: Option<&str>) -> Result<Vec<Template>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {TEMPLATE_COLS} FROM schedule_templates t JOIN schedules s ON s.id = t.schedule_id
             WHERE ?1 IS NULL OR s.provider_id = ?1 ORDER BY s.provider_id, t.weekday, t.start_time"
        ))?;
        let v = stmt
            .query_map([provider_id], read_template)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Ends a template after `last_day`; slots after it go at the next
    /// materialization, except those with patients booked.
    pub fn end_template(
        &mut self,
        session: &Session,
        id: &str,
        last_day: NaiveDate,
    ) -> Result<Template> {
        session.require(Permission::ScheduleManage)?;
        let t = self.template(id)?;
        let from = parse_date(&t.effective_from)?;
        self.write(session, |tx| {
            if last_day < from {
                tx.update("schedule_templates", id, vec![("active", int(0))])?;
            } else {
                tx.update(
                    "schedule_templates",
                    id,
                    vec![("effective_to", text(last_day.to_string()))],
                )?;
            }
            tx.audit(
                Entry::new("schedule", "update")
                    .record(id)
                    .detail(format!("template ends {last_day}")),
            )
        })?;
        self.template(id)
    }

    pub fn materialize(
        &mut self,
        session: &Session,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<MaterializeReport> {
        self.write(session, |tx| tx.materialize(from, to))
    }

    pub fn add_exception(
        &mut self,
        session: &Session,
        e: &ExceptionInput,
    ) -> Result<ScheduleException> {
        self.write(session, |tx| tx.add_exception(e))
    }

    pub fn slot(&self, id: &str) -> Result<Slot> {
        self.conn()
            .prepare_cached(&format!("SELECT {SLOT_COLS} FROM slots WHERE id = ?1"))?
            .query_row([id], read_slot)
            .optional()?
            .ok_or_else(|| StoreError::not_found("slot", id))
    }

    /// A provider's slots in `[from, to)` (UTC seconds), with their bookings.
    pub fn slots(&self, provider_id: &str, from: i64, to: i64) -> Result<Vec<Slot>> {
        let mut slots: Vec<Slot> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SLOT_COLS_UNCOUNTED} FROM slots WHERE provider_id = ?1 AND starts_at >= ?2 AND starts_at < ?3 ORDER BY starts_at"
            ))?
            .query_map((provider_id, from, to), read_slot)?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last_end) = slots.iter().map(|s| s.ends_at).max() else {
            return Ok(slots);
        };
        // A booking in a slot is the slot's provider's and starts inside it
        // (enforced where appointments are written), so the provider's
        // appointments starting in [from, last slot end) hold every one of
        // them: one range scan instead of a probe per slot.
        let mut booked: HashMap<String, i64> = HashMap::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT slot_id, count(*) FROM appointments
             WHERE provider_id = ?1 AND starts_at >= ?2 AND starts_at < ?3
               AND slot_id IS NOT NULL AND status NOT IN ('cancelled', 'no-show')
             GROUP BY slot_id",
        )?;
        let mut rows = stmt.query((provider_id, from, last_end))?;
        while let Some(r) = rows.next()? {
            booked.insert(r.get(0)?, r.get(1)?);
        }
        for s in &mut slots {
            s.booked = booked.get(&s.id).copied().unwrap_or(0);
        }
        Ok(slots)
    }
}

/// A slot published elsewhere (a FHIR Slot): kept as given, outside any template.
#[derive(Debug, Clone)]
pub struct RecordedSlot {
    pub schedule_id: String,
    pub appointment_type_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    /// "open" or "blocked".
    pub status: String,
}

impl Tx<'_> {
    pub fn record_slot(&mut self, s: &RecordedSlot) -> Result<String> {
        self.session().require(Permission::ScheduleManage)?;
        if s.ends_at <= s.starts_at {
            return Err(StoreError::invalid("a slot must end after it starts"));
        }
        if !(1..=100).contains(&s.capacity) || !matches!(s.status.as_str(), "open" | "blocked") {
            return Err(StoreError::invalid(
                "a slot has a capacity from 1 to 100 and is open or blocked",
            ));
        }
        let (provider_id, location_id): (String, String) = self
            .conn()
            .query_row(
                "SELECT provider_id, location_id FROM schedules WHERE id = ?1",
                [&s.schedule_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("schedule", &s.schedule_id))?;
        let taken: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM slots WHERE provider_id = ?1 AND starts_at = ?2)",
            (&provider_id, s.starts_at),
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::Conflict(
                "the provider already has a slot starting at that time".into(),
            ));
        }
        let id = new_id();
        self.insert(
            "slots",
            &id,
            vec![
                ("schedule_id", text(&s.schedule_id)),
                ("provider_id", text(provider_id)),
                ("location_id", text(location_id)),
                (
                    "appointment_type_id",
                    opt_text(s.appointment_type_id.clone()),
                ),
                ("starts_at", int(s.starts_at)),
                ("ends_at", int(s.ends_at)),
                ("capacity", int(s.capacity)),
                ("status", text(&s.status)),
            ],
        )?;
        self.audit(Entry::new("schedule", "create").record(&id).detail("slot"))?;
        Ok(id)
    }
}
