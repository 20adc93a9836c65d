//! What the front desk and physicians look at: the calendar and the patient
//! flow board. A list view is audited once, as a list, not per patient.

use crate::appointment_rows::{self, Names};
use crate::audit::Entry;
use crate::booking::Appointment;
use crate::directory::Provider;
use crate::error::Result;
use crate::schedule::Slot;
use crate::session::Session;
use crate::store::Store;
use chrono::{Datelike, Duration, NaiveDate};
use clinicdesk_domain::{AppointmentStatus, Permission};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    pub provider_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub slots: Vec<Slot>,
    pub appointments: Vec<Appointment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowRow {
    pub appointment: Appointment,
    /// Minutes from arrival until rooming (or until now, while waiting).
    pub waiting_minutes: Option<i64>,
    /// Minutes in the current status.
    pub in_status_minutes: i64,
    /// Minutes from arrival to completion (or now).
    pub visit_minutes: Option<i64>,
    /// Not arrived although the start time has passed.
    pub late: bool,
}

/// One local day of a location (or the whole clinic): a column per provider
/// who has open time or visits that day.
#[derive(Debug, Clone, Serialize)]
pub struct DayView {
    pub date: NaiveDate,
    pub location_id: Option<String>,
    pub columns: Vec<ProviderDay>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProviderDay {
    pub provider: Provider,
    pub slots: Vec<Slot>,
    /// Cancelled visits are left out; the patient's history keeps them.
    pub appointments: Vec<Appointment>,
}

fn minutes(from: i64, to: i64) -> i64 {
    ((to - from).max(0)) / 60
}

impl Store {
    /// One provider's slots and appointments from `from` through `to`, local days.
    pub fn calendar(
        &mut self,
        session: &Session,
        provider_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CalendarView> {
        session.require(Permission::AppointmentRead)?;
        let zone = self.zone();
        let (start, _) = zone.day_bounds(from);
        let (_, end) = zone.day_bounds(to);
        let slots = self.slots(provider_id, start, end)?;
        let appointments = appointment_rows::query(
            self.conn(),
            "WHERE a.provider_id = ?1 AND a.starts_at >= ?2 AND a.starts_at < ?3 ORDER BY a.starts_at",
            (provider_id, start, end),
        )?;
        let n = appointments.len();
        self.write(session, |tx| {
            tx.audit(
                Entry::new("appointment", "list")
                    .record(provider_id)
                    .detail(format!("calendar {from} to {to}: {n} appointments")),
            )
        })?;
        Ok(CalendarView {
            provider_id: provider_id.to_string(),
            from,
            to,
            slots,
            appointments,
        })
    }

    /// Every provider's slots and visits on one local day, audited once.
    pub fn day_view(
        &mut self,
        session: &Session,
        date: NaiveDate,
        location_id: Option<&str>,
    ) -> Result<DayView> {
        session.require(Permission::AppointmentRead)?;
        let zone = match location_id {
            Some(l) => self.location_zone(l)?,
            None => self.zone(),
        };
        let (start, end) = zone.day_bounds(date);
        let at_location = |l: &str| location_id.is_none_or(|want| want == l);
        let location = if location_id.is_some() {
            "a.location_id = ?1"
        } else {
            "?1 IS NULL"
        };
        let mut appointments = Names::new(self.conn()).query(
            &format!(
                "WHERE {location} AND a.starts_at >= ?2 AND a.starts_at < ?3
                   AND a.status <> 'cancelled' ORDER BY a.starts_at"
            ),
            rusqlite::params![location_id, start, end],
        )?;
        let mut columns = Vec::new();
        for provider in self.providers()? {
            let slots: Vec<Slot> = self
                .slots(&provider.id, start, end)?
                .into_iter()
                .filter(|s| at_location(&s.location_id))
                .collect();
            let (mine, rest) = appointments
                .into_iter()
                .partition(|a: &Appointment| a.provider_id == provider.id);
            appointments = rest;
            if slots.is_empty() && mine.is_empty() {
                continue;
            }
            columns.push(ProviderDay {
                provider,
                slots,
                appointments: mine,
            });
        }
        let n: usize = columns.iter().map(|c| c.appointments.len()).sum();
        self.write(session, |tx| {
            tx.audit(
                Entry::new("appointment", "list").detail(format!("day {date}: {n} appointments")),
            )
        })?;
        Ok(DayView {
            date,
            location_id: location_id.map(str::to_string),
            columns,
        })
    }

    /// The week (Monday to Sunday) that contains `day`.
    pub fn week_view(
        &mut self,
        session: &Session,
        provider_id: &str,
        day: NaiveDate,
    ) -> Result<CalendarView> {
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        self.calendar(session, provider_id, monday, monday + Duration::days(6))
    }

    /// Today's (or `date`'s) appointments at a location, in start order, with
    /// how long each patient has been waiting.
    pub fn flow_board(
        &mut self,
        session: &Session,
        location_id: Option<&str>,
        date: Option<NaiveDate>,
    ) -> Result<Vec<FlowRow>> {
        session.require(Permission::AppointmentRead)?;
        let zone = match location_id {
            Some(l) => self.location_zone(l)?,
            None => self.zone(),
        };
        let date = date.unwrap_or_else(|| zone.today());
        let (start, end) = zone.day_bounds(date);
        let now = crate::write::now_seconds();
        let rows: Vec<Appointment> = {
            // Name only the filter given, so the planner picks the matching index.
            let location = if location_id.is_some() {
                "a.location_id = ?1"
            } else {
                "?1 IS NULL"
            };
            let mut names = Names::new(self.conn());
            let mut v = names.query(
                &format!(
                    "WHERE {location} AND a.starts_at >= ?2 AND a.starts_at < ?3
                       AND a.status <> 'cancelled' ORDER BY a.starts_at"
                ),
                rusqlite::params![location_id, start, end],
            )?;
            // Stable: visits at the same time stay in a fixed order per provider.
            v.sort_by_cached_key(|a| {
                (
                    a.starts_at,
                    names.provider_family(&a.provider_id).to_string(),
                )
            });
            v
        };
        let board: Vec<FlowRow> = rows
            .into_iter()
            .map(|a| {
                let end_of_visit = a.completed_at.unwrap_or(now);
                FlowRow {
                    waiting_minutes: a
                        .arrived_at
                        .map(|t| minutes(t, a.roomed_at.or(a.seen_at).unwrap_or(end_of_visit))),
                    in_status_minutes: minutes(
                        a.status_changed_at,
                        if a.status.is_final() {
                            a.status_changed_at
                        } else {
                            now
                        },
                    ),
                    visit_minutes: a.arrived_at.map(|t| minutes(t, end_of_visit)),
                    late: a.status.is_upcoming() && now > a.starts_at,
                    appointment: a,
                }
            })
            .collect();
        let n = board.len();
        let waiting = board
            .iter()
            .filter(|r| r.appointment.status == AppointmentStatus::Arrived)
            .count();
        self.write(session, |tx| {
            tx.audit(
                Entry::new("appointment", "list")
                    .detail(format!("flow board {date}: {n} visits, {waiting} waiting")),
            )
        })?;
        Ok(board)
    }

    /// A patient's appointments, newest first.
    pub fn patient_appointments(
        &mut self,
        session: &Session,
        patient_id: &str,
    ) -> Result<Vec<Appointment>> {
        session.require(Permission::AppointmentRead)?;
        let v = appointment_rows::query(
            self.conn(),
            "WHERE a.patient_id = ?1 ORDER BY a.starts_at DESC LIMIT 500",
            [patient_id],
        )?;
        self.write(session, |tx| {
            tx.audit(Entry::new("appointment", "list").patient(patient_id))
        })?;
        Ok(v)
    }
}
