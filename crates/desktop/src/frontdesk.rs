//! Front-desk work: the calendar, patients, booking and the visit's way
//! through the clinic.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::inputs::{
    date, AddCoverageInput, BookingInput, DayInput, IdInput, NextAvailableInput, ReasonInput,
    RegisterInput, RescheduleInput, RoomInput, SearchInput, StatusInput, UpdatePatientInput,
    WeekInput,
};
use crate::views::{
    Directory, EligibilityBadge, FlowRowView, OpenTimeView, ProviderColumn, ProviderView, SlotView,
    WeekBoard, WeekDay,
};
use crate::{DayBoard, Result};
use chrono::Duration;
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_store::{Appointment, Patient, PatientSummary, Store};
use std::collections::HashMap;

impl Desk {
    pub fn directory(&mut self) -> Result<Directory> {
        let (store, _) = self.session()?;
        let locations = store.locations()?;
        let mut rooms = Vec::new();
        for l in &locations {
            rooms.extend(store.rooms(&l.id)?);
        }
        Ok(Directory {
            providers: store.providers()?.into_iter().map(Into::into).collect(),
            locations,
            rooms,
            appointment_types: store.appointment_types()?,
        })
    }

    /// One day, a column per provider with open time or visits.
    pub fn day_board(&mut self, input: &DayInput) -> Result<DayBoard> {
        let (store, session) = self.session()?;
        let location = crate::inputs::filled(&input.location_id);
        let day = match crate::inputs::filled(&input.date) {
            Some(d) => date("calendar", &d)?,
            None => store.zone().today(),
        };
        let view = store.day_view(&session, day, location.as_deref())?;
        let zones = Zones::default();
        let columns = view
            .columns
            .into_iter()
            .map(|c| {
                Ok(ProviderColumn {
                    provider: c.provider.into(),
                    slots: zones.slot_views(store, c.slots)?,
                    appointments: c.appointments,
                })
            })
            .collect::<Result<_>>()?;
        Ok(DayBoard {
            date: view.date.to_string(),
            location_id: view.location_id,
            columns,
        })
    }

    /// One provider's week, Monday to Sunday, a list per day.
    pub fn week_board(&mut self, input: &WeekInput) -> Result<WeekBoard> {
        let (store, session) = self.session()?;
        let day = date("week", &input.date)?;
        let provider = store.provider(&input.provider_id)?;
        let view = store.week_view(&session, &provider.id, day)?;
        let zones = Zones::default();
        let zone = store.zone();
        let mut days: Vec<WeekDay> = (0..7)
            .map(|i| WeekDay {
                date: (view.from + Duration::days(i)).to_string(),
                slots: Vec::new(),
                appointments: Vec::new(),
            })
            .collect();
        let index = |at: i64| {
            let d = zone.local_date(at);
            usize::try_from((d - view.from).num_days())
                .ok()
                .filter(|&i| i < 7)
        };
        for s in zones.slot_views(store, view.slots)? {
            if let Some(i) = index(s.slot.starts_at) {
                days[i].slots.push(s);
            }
        }
        for a in view.appointments {
            if a.status == AppointmentStatus::Cancelled {
                continue;
            }
            if let Some(i) = index(a.starts_at) {
                days[i].appointments.push(a);
            }
        }
        Ok(WeekBoard {
            provider: ProviderView::from(provider),
            from: view.from.to_string(),
            to: view.to.to_string(),
            days,
        })
    }

    /// The day's visits with their waits, and each patient's insurance
    /// verification where one was asked for.
    pub fn flow_board(&mut self, input: &DayInput) -> Result<Vec<FlowRowView>> {
        let now = self.now_seconds();
        let (store, session) = self.session()?;
        let day = crate::inputs::filled(&input.date)
            .map(|d| date("flow board", &d))
            .transpose()?;
        let location = crate::inputs::filled(&input.location_id);
        let rows = store.flow_board(&session, location.as_deref(), day)?;
        let mut checks: HashMap<String, EligibilityBadge> = HashMap::new();
        if session.can(clinicdesk_domain::Permission::CoverageRead) {
            let day = day.unwrap_or_else(|| store.zone().today());
            for (appointment, check) in store.eligibility_for_day(day)? {
                checks.insert(appointment, EligibilityBadge::of(&check, now));
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| FlowRowView {
                eligibility: checks.remove(&row.appointment.id),
                row,
            })
            .collect())
    }

    pub fn search_patients(&mut self, input: &SearchInput) -> Result<Vec<PatientSummary>> {
        let (store, session) = self.session()?;
        if input.query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let limit = input.limit.unwrap_or(25).clamp(1, 100);
        Ok(store.search_patients(&session, &input.query, limit)?)
    }

    pub fn patient(&mut self, input: &IdInput) -> Result<Patient> {
        let (store, session) = self.session()?;
        Ok(store.patient(&session, &input.id)?)
    }

    /// A new patient and, when given, their first coverage, in that order:
    /// a coverage the store refuses leaves the patient registered and says so.
    pub fn register_patient(&mut self, input: &RegisterInput) -> Result<Patient> {
        let (store, session) = self.session()?;
        let patient = store.add_patient(&session, &input.patient.to_store())?;
        let Some(coverage) = &input.coverage else {
            return Ok(patient);
        };
        match store.add_coverage(&session, &patient.id, &coverage.to_store()) {
            Ok(_) => Ok(store.patient(&session, &patient.id)?),
            Err(e) => Err(DeskError::new(
                "invalid",
                format!(
                    "{} {} was registered (MRN {}), but the insurance was not saved: {} Add it from check-in.",
                    patient.given_name,
                    patient.family_name,
                    patient.mrn,
                    DeskError::from(e).message
                ),
            )),
        }
    }

    pub fn update_patient(&mut self, input: &UpdatePatientInput) -> Result<Patient> {
        let (store, session) = self.session()?;
        Ok(store.update_patient(&session, &input.id, &input.patient.to_store())?)
    }

    pub fn add_coverage(&mut self, input: &AddCoverageInput) -> Result<Patient> {
        let (store, session) = self.session()?;
        store.add_coverage(&session, &input.patient_id, &input.coverage.to_store())?;
        Ok(store.patient(&session, &input.patient_id)?)
    }

    pub fn next_available(&mut self, input: &NextAvailableInput) -> Result<Vec<OpenTimeView>> {
        let (store, session) = self.session()?;
        let open = store.next_available(&session, &input.to_store()?)?;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut name = |store: &Store, kind: char, id: &str| -> Result<String> {
            let key = format!("{kind}{id}");
            if let Some(n) = names.get(&key) {
                return Ok(n.clone());
            }
            let n = match kind {
                'p' => store.provider(id)?.display_name(),
                _ => store.location(id)?.name,
            };
            names.insert(key, n.clone());
            Ok(n)
        };
        let zones = Zones::default();
        open.into_iter()
            .map(|o| {
                let zone = zones.get(store, &o.location_id)?;
                Ok(OpenTimeView {
                    provider_name: name(store, 'p', &o.provider_id)?,
                    location_name: name(store, 'l', &o.location_id)?,
                    local_start: crate::views::local_minute(&zone, o.starts_at),
                    local_end: crate::views::local_minute(&zone, o.ends_at),
                    slot_id: o.slot_id,
                    provider_id: o.provider_id,
                    location_id: o.location_id,
                    starts_at: o.starts_at,
                    ends_at: o.ends_at,
                })
            })
            .collect()
    }

    pub fn book(&mut self, input: &BookingInput) -> Result<Appointment> {
        let req = input.to_store()?;
        let (store, session) = self.session()?;
        Ok(store.book(&session, &req)?)
    }

    pub fn reschedule(&mut self, input: &RescheduleInput) -> Result<Appointment> {
        let req = input.to.to_store()?;
        let (store, session) = self.session()?;
        Ok(store.reschedule(&session, &input.id, &req)?)
    }

    pub fn cancel(&mut self, input: &ReasonInput) -> Result<Appointment> {
        let (store, session) = self.session()?;
        Ok(store.cancel(&session, &input.id, &input.reason)?)
    }

    pub fn no_show(&mut self, input: &ReasonInput) -> Result<Appointment> {
        let (store, session) = self.session()?;
        let reason = Some(input.reason.trim()).filter(|r| !r.is_empty());
        Ok(store.set_status(&session, &input.id, AppointmentStatus::NoShow, reason)?)
    }

    /// Checks the patient in, then asks their payer about today's coverage
    /// in the background. The check-in stands even if queuing the check
    /// fails; the check-in panel then shows the coverage as not verified.
    pub fn check_in(&mut self, input: &IdInput) -> Result<Appointment> {
        let (store, session) = self.session()?;
        let a = store.check_in(&session, &input.id)?;
        let _ = self.check_at_check_in(&a.patient_id, &a.id);
        Ok(a)
    }

    pub fn room(&mut self, input: &RoomInput) -> Result<Appointment> {
        let (store, session) = self.session()?;
        let room = crate::inputs::filled(&input.room_id);
        Ok(store.room(&session, &input.id, room.as_deref())?)
    }

    /// Confirm, start the visit, or complete it; the other statuses have
    /// their own actions because they need a reason or a room.
    pub fn set_status(&mut self, input: &StatusInput) -> Result<Appointment> {
        let status: AppointmentStatus = input.status.parse().map_err(DeskError::invalid)?;
        match status {
            AppointmentStatus::Confirmed
            | AppointmentStatus::WithProvider
            | AppointmentStatus::Completed => {}
            other => {
                return Err(DeskError::invalid(format!(
                    "Use the {} button for that.",
                    other.label().to_lowercase()
                )))
            }
        }
        let (store, session) = self.session()?;
        Ok(store.set_status(&session, &input.id, status, None)?)
    }
}

impl Desk {
    /// Open double bookings and duplicate MRNs, oldest first. One that
    /// staff have already settled (a visit cancelled or moved, a patient
    /// given another MRN) is closed by the store as it lists them, so it no
    /// longer shows.
    pub fn sync_conflicts(&mut self) -> Result<Vec<crate::views::ConflictView>> {
        let (store, session) = self.session()?;
        let conflicts = store.sync_conflicts(&session)?;
        conflicts
            .into_iter()
            .map(|c| {
                let appointments = c
                    .appointment_ids
                    .iter()
                    .map(|id| store.appointment(&session, id))
                    .collect::<std::result::Result<_, _>>()?;
                let patients = c
                    .patient_ids
                    .iter()
                    .map(|id| store.patient(&session, id))
                    .collect::<std::result::Result<_, _>>()?;
                Ok(crate::views::ConflictView {
                    id: c.id,
                    kind: c.kind,
                    detail: c.detail,
                    raised_at: c.raised_at,
                    appointments,
                    patients,
                })
            })
            .collect()
    }
}

/// Location time zones, looked up once per screen.
#[derive(Default)]
struct Zones(std::cell::RefCell<HashMap<String, clinicdesk_domain::ClinicZone>>);

impl Zones {
    fn get(&self, store: &Store, location_id: &str) -> Result<clinicdesk_domain::ClinicZone> {
        if let Some(z) = self.0.borrow().get(location_id) {
            return Ok(*z);
        }
        let z = store.location_zone(location_id)?;
        self.0.borrow_mut().insert(location_id.to_string(), z);
        Ok(z)
    }

    fn slot_views(
        &self,
        store: &Store,
        slots: Vec<clinicdesk_store::Slot>,
    ) -> Result<Vec<SlotView>> {
        slots
            .into_iter()
            .map(|s| Ok(SlotView::new(self.get(store, &s.location_id)?, s)))
            .collect()
    }
}
