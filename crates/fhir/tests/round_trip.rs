//! Export → import into a fresh store → export again: the same clinic.

mod common;

use chrono::{Datelike, Duration};
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_fhir::{export, import, ExportSelection};
use clinicdesk_store::{BookingRequest, PatientInput, TemplateInput};
use common::{change_count, clinic_bundle, new_store, normalized, of_type, validate, TestStore};
use serde_json::Value;

/// The clinic bundle, plus a week of template slots and a booking made the
/// ordinary way (not by import).
fn source_clinic() -> TestStore {
    let mut t = new_store();
    let r = import(&mut t.store, &t.admin, vec![clinic_bundle()]).unwrap();
    let franklin = r
        .local_id("urn:uuid:00000000-0000-4000-8000-000000000002")
        .unwrap()
        .to_string();
    let harbour = r
        .local_id("urn:uuid:00000000-0000-4000-8000-000000000001")
        .unwrap()
        .to_string();
    let follow_up = t.store.find_appointment_type("Follow-up").unwrap();
    let day = t.store.zone().today() + Duration::days(7);
    t.store
        .add_template(
            &t.admin,
            &TemplateInput {
                provider_id: franklin.clone(),
                location_id: harbour,
                weekday: day.weekday().number_from_monday(),
                start_time: "13:00".into(),
                end_time: "15:00".into(),
                slot_minutes: 30,
                appointment_type_id: Some(follow_up.id.clone()),
                effective_from: day.to_string(),
                effective_to: None,
            },
        )
        .unwrap();
    t.store.materialize(&t.admin, day, day).unwrap();
    let (from, to) = t.store.zone().day_bounds(day);
    let slots = t.store.slots(&franklin, from, to).unwrap();
    assert_eq!(slots.len(), 4);
    let katherine = t
        .store
        .add_patient(
            &t.admin,
            &PatientInput {
                given_name: "Katherine".into(),
                family_name: "Johnson".into(),
                birth_date: "1918-08-26".into(),
                sex: Some("female".into()),
                phone: Some("+1 757 555 0199".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let booked = t
        .store
        .book(
            &t.admin,
            &BookingRequest {
                patient_id: katherine.id,
                slot_id: Some(slots[1].id.clone()),
                reason: Some("Orbit review".into()),
                ..Default::default()
            },
        )
        .unwrap();
    t.store
        .set_status(&t.admin, &booked.id, AppointmentStatus::Confirmed, None)
        .unwrap();
    t
}

/// (patient, practitioner, start, status, type) of every appointment.
fn appointments(bundle: &Value) -> Vec<String> {
    let name_of = |id: &str| -> String {
        let r = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["fullUrl"] == id)
            .map(|e| &e["resource"])
            .unwrap();
        format!("{} {}", r["name"][0]["given"], r["name"][0]["family"])
    };
    let mut out: Vec<String> = of_type(bundle, "Appointment")
        .iter()
        .map(|a| {
            let actor =
                |i: usize| name_of(a["participant"][i]["actor"]["reference"].as_str().unwrap());
            format!(
                "{} with {} at {} {} {}",
                actor(0),
                actor(1),
                a["start"],
                a["status"],
                a["appointmentType"]["text"]
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn export_import_export_gives_the_same_patients_and_appointments() {
    let mut source = source_clinic();
    let first = export(&mut source.store, &source.admin, ExportSelection::All).unwrap();
    validate(&first);
    assert_eq!(of_type(&first, "Slot").len(), 7);

    let mut copy = new_store();
    let report = import(&mut copy.store, &copy.admin, vec![first.clone()]).unwrap();
    assert!(report.invalid.is_empty() && report.skipped.is_empty());
    assert_eq!(
        report.imported.len(),
        first["entry"].as_array().unwrap().len()
    );
    // An export holds nothing ClinicDesk drops; a busy slot's status is
    // noted because ClinicDesk derives it from the appointments in it.
    assert!(
        report.ignored.iter().all(|i| i.element == "status (busy)"),
        "{:?}",
        report.ignored
    );
    assert_eq!(report.ignored.len(), 2);

    let second = export(&mut copy.store, &copy.admin, ExportSelection::All).unwrap();
    validate(&second);
    assert_eq!(normalized(&first), normalized(&second));

    // The same, spelled out for the patients and appointments.
    let patients = |b: &Value| {
        let mut v: Vec<String> = of_type(b, "Patient")
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} {}",
                    p["name"][0]["given"],
                    p["name"][0]["family"],
                    p["birthDate"],
                    p["identifier"][0]["value"]
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(patients(&first), patients(&second));
    assert_eq!(patients(&first).len(), 3);
    let appts = appointments(&first);
    assert_eq!(appts, appointments(&second));
    assert_eq!(appts.len(), 6);
    assert!(
        appts.iter().any(|a| a
            .starts_with("[\"Katherine\"] \"Johnson\" with [\"Rosalind\",\"Elsie\"] \"Franklin\"")
            && a.contains("\"booked\" \"Follow-up\"")),
        "{appts:#?}"
    );
}

#[test]
fn importing_an_export_into_its_own_store_changes_nothing() {
    let mut t = source_clinic();
    let bundle = export(&mut t.store, &t.admin, ExportSelection::All).unwrap();
    let before = change_count(&t.store);
    let report = import(&mut t.store, &t.admin, vec![bundle.clone()]).unwrap();
    assert!(report.imported.is_empty());
    assert_eq!(
        report.skipped.len(),
        bundle["entry"].as_array().unwrap().len()
    );
    assert!(report
        .skipped
        .iter()
        .all(|s| s.reason == "already in this store: its id is a ClinicDesk id"));
    assert_eq!(change_count(&t.store), before);
    assert_eq!(
        normalized(&export(&mut t.store, &t.admin, ExportSelection::All).unwrap()),
        normalized(&bundle)
    );
}
