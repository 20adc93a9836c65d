//! Exports, checked by an independent FHIR R4 validator (fhir.resources).

mod common;

use clinicdesk_fhir::{export, import, import_with, ExportSelection, FhirError, ImportOptions};
use clinicdesk_store::{AuditFilter, StoreError};
use common::{clinic_bundle, new_store, of_type, validate};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every reference in the Bundle names one of its entries.
fn assert_closed(bundle: &Value) {
    let urls: BTreeSet<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("reference") {
                    out.push(r);
                }
                o.values().for_each(|c| refs(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(bundle, &mut found);
    assert!(!found.is_empty());
    for r in found {
        assert!(urls.contains(r), "{r} does not resolve inside the Bundle");
    }
}

fn count_ok(report: &str, ty: &str) -> usize {
    report
        .lines()
        .filter(|l| l.starts_with(&format!("ok {ty}/")))
        .count()
}

#[test]
fn the_export_of_the_imported_official_examples_and_a_clinic_is_valid_fhir_r4() {
    let mut t = new_store();
    import_with(
        &mut t.store,
        &t.admin,
        common::all_examples(),
        ImportOptions { skip_invalid: true },
    )
    .unwrap();
    import(&mut t.store, &t.admin, vec![clinic_bundle()]).unwrap();
    let bundle = export(&mut t.store, &t.admin, ExportSelection::All).unwrap();
    assert_eq!(
        (bundle["resourceType"].as_str(), bundle["type"].as_str()),
        (Some("Bundle"), Some("collection"))
    );
    assert_closed(&bundle);
    let report = validate(&bundle);
    assert!(
        report
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("ok Bundle/"),
        "{report}"
    );
    for (ty, n) in [
        ("Location", 4),
        ("Practitioner", 14),
        ("Patient", 14),
        ("Schedule", 2),
        ("Slot", 3),
        ("Appointment", 6),
        ("Encounter", 2),
    ] {
        assert_eq!(count_ok(&report, ty), n, "{ty} in:\n{report}");
        assert_eq!(of_type(&bundle, ty).len(), n);
    }
}

#[test]
fn exported_resources_carry_the_clinicdesk_fields() {
    let mut t = new_store();
    let imported = import(&mut t.store, &t.admin, vec![clinic_bundle()]).unwrap();
    let bundle = export(&mut t.store, &t.admin, ExportSelection::All).unwrap();
    validate(&bundle);
    let ada = of_type(&bundle, "Patient")
        .into_iter()
        .find(|p| p["name"][0]["family"] == "Lovelace")
        .unwrap();
    assert_eq!(
        ada["id"].as_str(),
        imported.local_id("urn:uuid:00000000-0000-4000-8000-000000000004")
    );
    assert_eq!(ada["identifier"][0]["type"]["coding"][0]["code"], "MR");
    assert_eq!(ada["identifier"][0]["value"], "MRN-001");
    assert!(ada["identifier"][0]["system"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
    assert_eq!(
        (ada["birthDate"].as_str(), ada["gender"].as_str()),
        (Some("1815-12-10"), Some("female"))
    );
    assert_eq!(ada["telecom"][1]["value"], "ada@example.org");
    assert_eq!(ada["address"][0]["country"], "GB");
    let franklin = of_type(&bundle, "Practitioner")
        .into_iter()
        .find(|p| p["name"][0]["family"] == "Franklin")
        .unwrap();
    assert_eq!(
        franklin["identifier"][0]["system"],
        "http://hl7.org/fhir/sid/us-npi"
    );
    assert_eq!(
        franklin["name"][0]["given"],
        serde_json::json!(["Rosalind", "Elsie"])
    );
    assert_eq!(
        franklin["name"][0]["suffix"],
        serde_json::json!(["MD", "PhD"])
    );
    let statuses: BTreeSet<&str> = of_type(&bundle, "Appointment")
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["arrived", "booked", "cancelled", "fulfilled", "noshow"].into()
    );
    let cancelled = of_type(&bundle, "Appointment")
        .into_iter()
        .find(|a| a["status"] == "cancelled")
        .unwrap();
    assert_eq!(
        cancelled["cancelationReason"]["text"],
        "Patient called to cancel"
    );
    assert_eq!(cancelled["appointmentType"]["text"], "Follow-up");
    assert_eq!(cancelled["start"], "2030-03-05T11:00:00-05:00");
    let slots: BTreeSet<&str> = of_type(&bundle, "Slot")
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        slots,
        ["busy", "busy-unavailable", "free"].into(),
        "the booked slot is busy"
    );
    let finished = of_type(&bundle, "Encounter")
        .into_iter()
        .find(|e| e["status"] == "finished")
        .unwrap();
    assert_eq!(finished["class"]["code"], "AMB");
    assert_eq!(finished["reasonCode"][0]["text"], "Annual review");
    assert_eq!(finished["period"]["start"], "2024-05-06T10:05:00-04:00");
}

#[test]
fn exporting_one_patient_brings_what_it_refers_to_and_nothing_else() {
    let mut t = new_store();
    let imported = import(&mut t.store, &t.admin, vec![clinic_bundle()]).unwrap();
    let ada = imported
        .local_id("urn:uuid:00000000-0000-4000-8000-000000000004")
        .unwrap()
        .to_string();
    let bundle = export(
        &mut t.store,
        &t.admin,
        ExportSelection::Patients(vec![ada.clone()]),
    )
    .unwrap();
    assert_closed(&bundle);
    validate(&bundle);
    let count = |ty: &str| of_type(&bundle, ty).len();
    assert_eq!(
        [
            count("Patient"),
            count("Appointment"),
            count("Encounter"),
            count("Practitioner"),
            count("Location"),
            count("Schedule"),
            count("Slot")
        ],
        [1, 3, 1, 2, 1, 1, 1]
    );
    assert_eq!(
        of_type(&bundle, "Patient")[0]["id"].as_str(),
        Some(ada.as_str())
    );
    // The export is audited for the patient in it.
    let audit = t
        .store
        .audit_report(
            &t.admin,
            &AuditFilter {
                category: Some("fhir".into()),
                action: Some("export".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter_map(|a| a.patient_id.as_deref())
            .collect::<Vec<_>>(),
        [ada.as_str()]
    );
    let unknown = export(
        &mut t.store,
        &t.admin,
        ExportSelection::Patients(vec!["no-such-patient".into()]),
    )
    .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("no patient with id no-such-patient"),
        "{unknown}"
    );
}

#[test]
fn import_and_export_need_their_permissions() {
    let mut t = new_store();
    let desk = common::front_desk(&mut t);
    let before = common::change_count(&t.store);
    let err = import(&mut t.store, &desk, vec![clinic_bundle()]).unwrap_err();
    assert!(
        matches!(err, FhirError::Store(StoreError::Denied { .. })),
        "{err}"
    );
    assert_eq!(err.to_string(), "front-desk users may not import FHIR data");
    let err = export(&mut t.store, &desk, ExportSelection::All).unwrap_err();
    assert_eq!(err.to_string(), "front-desk users may not export FHIR data");
    assert_eq!(common::change_count(&t.store), before);
}
