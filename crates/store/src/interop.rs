//! What FHIR import and export need from the store: where imported
//! resources landed (`fhir_links`), import paths for the records that have
//! no other one (schedules as given, encounters that already happened), and
//! one consistent, audited read of everything an export contains.

use crate::audit::Entry;
use crate::booking::{load_appointment, Appointment};
use crate::directory::{
    read_location, read_provider, read_type, AppointmentType, Location, Provider, LOCATION_COLS,
    PROVIDER_COLS, TYPE_COLS,
};
use crate::encounters::{load_encounter, Encounter};
use crate::error::{Result, StoreError};
use crate::patients::{load_patient, Patient};
use crate::schedule::{read_slot, Slot, SLOT_COLS};
use crate::write::{int, new_id, opt_int, opt_text, text, Tx};
use clinicdesk_domain::{validate, Permission};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::BTreeSet;

/// The FHIR resource types ClinicDesk exchanges and the tables they live in.
const TABLES: [(&str, &str); 7] = [
    ("Patient", "patients"),
    ("Practitioner", "providers"),
    ("Location", "locations"),
    ("Schedule", "schedules"),
    ("Slot", "slots"),
    ("Appointment", "appointments"),
    ("Encounter", "encounters"),
];

fn table_of(resource_type: &str) -> Result<&'static str> {
    TABLES
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map(|(_, table)| *table)
        .ok_or_else(|| {
            StoreError::invalid(format!(
                "ClinicDesk does not exchange FHIR {resource_type} resources"
            ))
        })
}

/// A provider's schedule at one location (FHIR Schedule).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub id: String,
    pub provider_id: String,
    pub location_id: String,
    pub comment: Option<String>,
    pub active: bool,
}

/// A FHIR Schedule to record: the provider's schedule at the location.
#[derive(Debug, Clone)]
pub struct ImportedSchedule {
    pub provider_id: String,
    pub location_id: String,
    pub comment: Option<String>,
    pub active: bool,
}

/// An encounter recorded as it happened elsewhere (FHIR import).
#[derive(Debug, Clone)]
pub struct ImportedEncounter {
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub appointment_id: Option<String>,
    /// "in-progress", "finished" or "cancelled".
    pub status: String,
    pub reason: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// Which records an export reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportScope {
    All,
    /// These patients, their appointments and encounters, and the providers,
    /// locations, schedules and slots those refer to.
    Patients(Vec<String>),
}

/// Everything an export contains, read in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ExportRecords {
    /// Names this store's medical record numbers (an identifier system).
    pub store_id: String,
    pub patients: Vec<Patient>,
    pub providers: Vec<Provider>,
    pub locations: Vec<Location>,
    pub appointment_types: Vec<AppointmentType>,
    pub schedules: Vec<ScheduleRecord>,
    pub slots: Vec<Slot>,
    pub appointments: Vec<Appointment>,
    pub encounters: Vec<Encounter>,
}

impl Tx<'_> {
    /// The record an earlier import made of a FHIR resource. A resource
    /// whose id is already a ClinicDesk id of that type (ClinicDesk's own
    /// exports) is that record. Links to records since removed are ignored.
    pub fn fhir_link(&self, resource_type: &str, fhir_id: &str) -> Result<Option<String>> {
        self.session().require(Permission::FhirImport)?;
        let table = table_of(resource_type)?;
        let exists = |id: &str| -> Result<bool> {
            Ok(self
                .conn()
                .prepare_cached(&format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"
                ))?
                .query_row([id], |r| r.get(0))?)
        };
        let linked: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT local_id FROM fhir_links WHERE resource_type = ?1 AND fhir_id = ?2",
            )?
            .query_row((resource_type, fhir_id), |r| r.get(0))
            .optional()?;
        if let Some(id) = linked {
            if exists(&id)? {
                return Ok(Some(id));
            }
        }
        Ok(exists(fhir_id)?.then(|| fhir_id.to_string()))
    }

    /// Remembers where a FHIR resource landed. `fhir_links` has no `id`
    /// column, so it is written directly rather than through `insert`: it is
    /// this store's bookkeeping of its imports, not clinic data to sync.
    pub fn set_fhir_link(
        &mut self,
        resource_type: &str,
        fhir_id: &str,
        local_id: &str,
    ) -> Result<()> {
        self.session().require(Permission::FhirImport)?;
        table_of(resource_type)?;
        if fhir_id.is_empty() || fhir_id.len() > 4096 {
            return Err(StoreError::invalid(
                "a FHIR id to link is 1 to 4096 characters",
            ));
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO fhir_links (resource_type, fhir_id, local_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (resource_type, fhir_id) DO UPDATE SET local_id = excluded.local_id",
            )?
            .execute((resource_type, fhir_id, local_id))?;
        Ok(())
    }

    /// Marks an imported patient, provider, location or schedule inactive
    /// (or active again), as the FHIR resource said.
    pub fn set_imported_active(
        &mut self,
        resource_type: &str,
        local_id: &str,
        active: bool,
    ) -> Result<()> {
        self.session().require(Permission::FhirImport)?;
        let table = match resource_type {
            "Patient" | "Practitioner" | "Location" | "Schedule" => table_of(resource_type)?,
            _ => {
                return Err(StoreError::invalid(format!(
                    "a {resource_type} has no active flag"
                )))
            }
        };
        let now: Option<bool> = self
            .conn()
            .prepare_cached(&format!("SELECT active FROM {table} WHERE id = ?1"))?
            .query_row([local_id], |r| r.get(0))
            .optional()?;
        match now {
            None => Err(StoreError::not_found(
                "record",
                format!("{table}/{local_id}"),
            )),
            Some(a) if a == active => Ok(()),
            Some(_) => {
                self.update(table, local_id, vec![("active", int(active.into()))])?;
                let entry = Entry::new("fhir", "import")
                    .record(local_id)
                    .detail(format!(
                        "{resource_type} {}",
                        if active { "active" } else { "inactive" }
                    ));
                self.audit(if resource_type == "Patient" {
                    entry.patient(local_id)
                } else {
                    entry
                })
            }
        }
    }

    /// Records a FHIR Schedule: the provider's schedule at the location,
    /// made on first use. A comment is set where the schedule has none; a
    /// different one already there is a conflict, not silently replaced.
    pub fn import_schedule(&mut self, s: &ImportedSchedule) -> Result<String> {
        self.session().require(Permission::FhirImport)?;
        self.session().require(Permission::ScheduleManage)?;
        self.require_row("providers", "provider", &s.provider_id)?;
        self.require_row("locations", "location", &s.location_id)?;
        let comment = validate::text("schedule comment", s.comment.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let id = self.schedule_for(&s.provider_id, &s.location_id)?;
        let (old_comment, old_active): (Option<String>, bool) = self
            .conn()
            .prepare_cached("SELECT comment, active FROM schedules WHERE id = ?1")?
            .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut changed = Vec::new();
        match (&old_comment, &comment) {
            (Some(old), Some(new)) if old != new => {
                return Err(StoreError::Conflict(format!(
                    "the provider's schedule at this location already has another comment ('{}')",
                    shorten(old)
                )));
            }
            (None, Some(new)) => changed.push(("comment", text(new))),
            _ => {}
        }
        if old_active != s.active {
            changed.push(("active", int(s.active.into())));
        }
        self.update("schedules", &id, changed)?;
        self.audit(Entry::new("schedule", "import").record(&id))?;
        Ok(id)
    }

    /// Records an encounter that happened elsewhere, with its own status and
    /// times; the clinical flow rules of `open_encounter` do not apply.
    pub fn import_encounter(&mut self, e: &ImportedEncounter) -> Result<String> {
        self.session().require(Permission::FhirImport)?;
        if !matches!(e.status.as_str(), "in-progress" | "finished" | "cancelled") {
            return Err(StoreError::invalid(format!(
                "encounter status '{}' is not in-progress, finished or cancelled",
                shorten(&e.status)
            )));
        }
        if e.ended_at.is_some_and(|end| end < e.started_at) {
            return Err(StoreError::invalid("the encounter ends before it starts"));
        }
        load_patient(self.conn(), &e.patient_id)?;
        self.require_row("providers", "provider", &e.provider_id)?;
        if let Some(l) = &e.location_id {
            self.require_row("locations", "location", l)?;
        }
        if let Some(a) = &e.appointment_id {
            let appt = load_appointment(self.conn(), a)?;
            if appt.patient_id != e.patient_id {
                return Err(StoreError::invalid(
                    "the appointment belongs to another patient",
                ));
            }
            let taken: bool = self
                .conn()
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM encounters WHERE appointment_id = ?1)",
                )?
                .query_row([a], |r| r.get(0))?;
            if taken {
                return Err(StoreError::Conflict(
                    "that appointment already has an encounter".into(),
                ));
            }
        }
        let reason =
            validate::text("reason", e.reason.as_deref(), 500).map_err(StoreError::Invalid)?;
        let id = new_id();
        self.insert(
            "encounters",
            &id,
            vec![
                ("patient_id", text(&e.patient_id)),
                ("provider_id", text(&e.provider_id)),
                ("location_id", opt_text(e.location_id.clone())),
                ("appointment_id", opt_text(e.appointment_id.clone())),
                ("status", text(&e.status)),
                ("reason", opt_text(reason)),
                ("started_at", int(e.started_at)),
                ("ended_at", opt_int(e.ended_at)),
            ],
        )?;
        self.audit(
            Entry::new("encounter", "import")
                .patient(&e.patient_id)
                .record(&id),
        )?;
        Ok(id)
    }

    /// A slot, read inside the transaction (an import checks an
    /// appointment's slot against its practitioner and location).
    pub fn slot_record(&self, id: &str) -> Result<Slot> {
        self.conn()
            .prepare_cached(&format!("SELECT {SLOT_COLS} FROM slots WHERE id = ?1"))?
            .query_row([id], read_slot)
            .optional()?
            .ok_or_else(|| StoreError::not_found("slot", id))
    }

    /// Reads what an export contains, in this transaction's snapshot, and
    /// audits the read for every patient in it.
    pub fn fhir_export_records(&mut self, scope: &ExportScope) -> Result<ExportRecords> {
        self.session().require(Permission::FhirExport)?;
        let store_id: String = self
            .conn()
            .query_row(
                "SELECT value FROM store_meta WHERE key = 'store_id'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| self.device_id().to_string());
        let mut out = ExportRecords {
            store_id,
            appointment_types: self.all_types()?,
            ..Default::default()
        };
        match scope {
            ExportScope::All => {
                let ids = self.ids("SELECT id FROM patients ORDER BY id", None)?;
                out.patients = ids
                    .iter()
                    .map(|id| load_patient(self.conn(), id))
                    .collect::<Result<_>>()?;
                out.appointments = self.appointments_where("1 = 1", None)?;
                let ids = self.ids("SELECT id FROM encounters ORDER BY id", None)?;
                out.encounters = ids
                    .iter()
                    .map(|id| load_encounter(self.conn(), id))
                    .collect::<Result<_>>()?;
                out.providers = self.providers_in(None)?;
                out.locations = self.locations_in(None)?;
                out.schedules = self.schedules_in(None)?;
                out.slots = self.slots_in(None)?;
            }
            ExportScope::Patients(ids) => {
                let ids: BTreeSet<&String> = ids.iter().collect();
                for id in ids {
                    out.patients.push(load_patient(self.conn(), id)?);
                    out.appointments
                        .extend(self.appointments_where("a.patient_id = ?1", Some(id))?);
                    for e in self.ids(
                        "SELECT id FROM encounters WHERE patient_id = ?1 ORDER BY id",
                        Some(id),
                    )? {
                        out.encounters.push(load_encounter(self.conn(), &e)?);
                    }
                }
                // Whatever they refer to comes along, so the export stands on its own.
                let slot_ids: BTreeSet<String> = out
                    .appointments
                    .iter()
                    .filter_map(|a| a.slot_id.clone())
                    .collect();
                out.slots = self.slots_in(Some(&slot_ids))?;
                let schedule_ids: BTreeSet<String> =
                    out.slots.iter().map(|s| s.schedule_id.clone()).collect();
                out.schedules = self.schedules_in(Some(&schedule_ids))?;
                let mut providers: BTreeSet<String> = out
                    .appointments
                    .iter()
                    .map(|a| a.provider_id.clone())
                    .collect();
                providers.extend(out.encounters.iter().map(|e| e.provider_id.clone()));
                providers.extend(out.schedules.iter().map(|s| s.provider_id.clone()));
                let mut locations: BTreeSet<String> = out
                    .appointments
                    .iter()
                    .map(|a| a.location_id.clone())
                    .collect();
                locations.extend(out.encounters.iter().filter_map(|e| e.location_id.clone()));
                locations.extend(out.schedules.iter().map(|s| s.location_id.clone()));
                out.providers = self.providers_in(Some(&providers))?;
                out.locations = self.locations_in(Some(&locations))?;
            }
        }
        for p in &out.patients {
            self.audit(Entry::new("fhir", "export").patient(&p.id).record(&p.id))?;
        }
        self.audit(Entry::new("fhir", "export").detail(format!(
            "{} patients, {} appointments, {} encounters, {} providers, {} locations, {} schedules, {} slots",
            out.patients.len(),
            out.appointments.len(),
            out.encounters.len(),
            out.providers.len(),
            out.locations.len(),
            out.schedules.len(),
            out.slots.len()
        )))?;
        Ok(out)
    }

    fn require_row(&self, table: &str, what: &'static str, id: &str) -> Result<()> {
        let ok: bool = self
            .conn()
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"
            ))?
            .query_row([id], |r| r.get(0))?;
        if ok {
            Ok(())
        } else {
            Err(StoreError::not_found(what, id))
        }
    }

    fn ids(&self, sql: &str, param: Option<&str>) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = match param {
            Some(p) => stmt
                .query_map([p], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
            None => stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    fn appointments_where(&self, cond: &str, param: Option<&str>) -> Result<Vec<Appointment>> {
        let tail = format!("WHERE {cond} ORDER BY a.starts_at, a.id");
        match param {
            Some(p) => crate::appointment_rows::query(self.conn(), &tail, [p]),
            None => crate::appointment_rows::query(self.conn(), &tail, []),
        }
    }

    fn all_types(&self) -> Result<Vec<AppointmentType>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {TYPE_COLS} FROM appointment_types ORDER BY name"
        ))?;
        let rows = stmt
            .query_map([], read_type)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn providers_in(&self, only: Option<&BTreeSet<String>>) -> Result<Vec<Provider>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {PROVIDER_COLS} FROM providers ORDER BY id"
        ))?;
        let rows: Vec<Provider> = stmt
            .query_map([], read_provider)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .into_iter()
            .filter(|p| only.is_none_or(|o| o.contains(&p.id)))
            .collect())
    }

    fn locations_in(&self, only: Option<&BTreeSet<String>>) -> Result<Vec<Location>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {LOCATION_COLS} FROM locations ORDER BY id"
        ))?;
        let rows: Vec<Location> = stmt
            .query_map([], read_location)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .into_iter()
            .filter(|l| only.is_none_or(|o| o.contains(&l.id)))
            .collect())
    }

    fn schedules_in(&self, only: Option<&BTreeSet<String>>) -> Result<Vec<ScheduleRecord>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, provider_id, location_id, comment, active FROM schedules ORDER BY id",
        )?;
        let rows: Vec<ScheduleRecord> = stmt
            .query_map([], |r| {
                Ok(ScheduleRecord {
                    id: r.get(0)?,
                    provider_id: r.get(1)?,
                    location_id: r.get(2)?,
                    comment: r.get(3)?,
                    active: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .into_iter()
            .filter(|s| only.is_none_or(|o| o.contains(&s.id)))
            .collect())
    }

    /// Slots can be many (materialized for months), so a scope reads only its own.
    fn slots_in(&self, only: Option<&BTreeSet<String>>) -> Result<Vec<Slot>> {
        match only {
            None => {
                let mut stmt = self.conn().prepare_cached(&format!(
                    "SELECT {SLOT_COLS} FROM slots ORDER BY starts_at, id"
                ))?;
                let rows = stmt
                    .query_map([], read_slot)?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            }
            Some(ids) => {
                let mut stmt = self
                    .conn()
                    .prepare_cached(&format!("SELECT {SLOT_COLS} FROM slots WHERE id = ?1"))?;
                let mut rows = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(s) = stmt.query_row([id], read_slot).optional()? {
                        rows.push(s);
                    }
                }
                rows.sort_by(|a: &Slot, b| {
                    a.starts_at.cmp(&b.starts_at).then_with(|| a.id.cmp(&b.id))
                });
                Ok(rows)
            }
        }
    }
}

/// Values quoted in messages stay short, whatever was imported.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
