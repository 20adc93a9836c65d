//! The export: one audited read of the store, mapped to a FHIR R4 Bundle.

use crate::bundle::collection;
use crate::error::FhirError;
use crate::{appointment, encounter, location, patient, practitioner, schedule, slot};
use chrono::{DateTime, SecondsFormat};
use clinicdesk_domain::{ClinicZone, Permission};
use clinicdesk_store::interop::ExportScope;
use clinicdesk_store::write::new_id;
use clinicdesk_store::{Session, Store};
use serde_json::Value;
use std::collections::HashMap;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSelection {
    /// Every location, practitioner, patient, schedule, slot, appointment and encounter.
    All,
    /// These patients (ClinicDesk ids) with their appointments and
    /// encounters, and the practitioners, locations, schedules and slots
    /// those refer to, so the Bundle stands on its own.
    Patients(Vec<String>),
}

pub(crate) fn export(
    store: &mut Store,
    session: &Session,
    what: ExportSelection,
) -> Result<Value, FhirError> {
    session.require(Permission::FhirExport)?;
    let scope = match what {
        ExportSelection::All => ExportScope::All,
        ExportSelection::Patients(ids) => ExportScope::Patients(ids),
    };
    let clinic_zone = store.zone();
    let (rec, now) = store.write(session, |tx| {
        Ok((tx.fhir_export_records(&scope)?, tx.now()))
    })?;
    let zones: HashMap<&str, ClinicZone> = rec
        .locations
        .iter()
        .map(|l| {
            (
                l.id.as_str(),
                ClinicZone::parse(&l.timezone).unwrap_or(clinic_zone),
            )
        })
        .collect();
    let zone_of = |location_id: Option<&str>| {
        location_id
            .and_then(|l| zones.get(l).copied())
            .unwrap_or(clinic_zone)
    };
    let type_names: HashMap<&str, &str> = rec
        .appointment_types
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let mrn_system = format!("urn:uuid:{}", rec.store_id);
    let mut out: Vec<Value> = Vec::new();
    out.extend(rec.locations.iter().map(location::export));
    out.extend(rec.providers.iter().map(practitioner::export));
    out.extend(rec.patients.iter().map(|p| patient::export(p, &mrn_system)));
    out.extend(rec.schedules.iter().map(schedule::export));
    out.extend(rec.slots.iter().map(|s| {
        let type_name = s
            .appointment_type_id
            .as_deref()
            .and_then(|t| type_names.get(t).copied());
        slot::export(s, zone_of(Some(&s.location_id)), type_name)
    }));
    out.extend(rec.appointments.iter().map(appointment::export));
    out.extend(
        rec.encounters
            .iter()
            .map(|e| encounter::export(e, zone_of(e.location_id.as_deref()))),
    );
    let timestamp = DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(collection(&new_id(), &timestamp, out))
}
