//! Importing the official HL7 FHIR R4 examples (npm hl7.fhir.r4.examples).

mod common;

use clinicdesk_domain::validate::Sex;
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_fhir::{import, import_with, FhirError, ImportOptions};
use clinicdesk_store::AuditFilter;
use common::{change_count, example, new_store, ts};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const SKIP_INVALID: ImportOptions = ImportOptions { skip_invalid: true };

fn names(list: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    list.into_iter().collect()
}

fn resource_name(r: &Value) -> String {
    format!(
        "{}/{}",
        r["resourceType"].as_str().unwrap(),
        r["id"].as_str().unwrap()
    )
}

#[test]
fn official_examples_import_what_clinicdesk_can_represent_and_report_the_rest() {
    let mut t = new_store();
    let examples = common::all_examples();
    let report = import_with(&mut t.store, &t.admin, examples.clone(), SKIP_INVALID).unwrap();

    let imported = names(report.imported.iter().map(|i| i.resource.clone()));
    let expected: BTreeSet<String> = [
        "Appointment/example",
        "Location/1",
        "Location/2",
        "Location/hl7",
        "Practitioner/example",
        "Practitioner/f001",
        "Practitioner/f002",
        "Practitioner/f003",
        "Practitioner/f004",
        "Practitioner/f005",
        "Practitioner/f006",
        "Practitioner/f007",
        "Practitioner/f201",
        "Practitioner/f202",
        "Practitioner/xcda-author",
        "Practitioner/xcda1",
        "Patient/example",
        "Patient/f001",
        "Patient/f201",
        "Patient/genetics-example1",
        "Patient/glossy",
        "Patient/infant-mom",
        "Patient/infant-twin-1",
        "Patient/infant-twin-2",
        "Patient/mom",
        "Patient/pat3",
        "Patient/pat4",
        "Patient/xds",
    ]
    .map(String::from)
    .into();
    assert_eq!(imported, expected);

    // Nothing disappears silently: every example is imported, skipped or reported.
    let skipped = names(report.skipped.iter().map(|s| s.resource.clone()));
    let invalid = names(report.invalid.iter().map(|p| p.resource.clone()));
    let accounted: BTreeSet<String> = imported
        .iter()
        .chain(&skipped)
        .chain(&invalid)
        .cloned()
        .collect();
    assert_eq!(accounted, names(examples.iter().map(resource_name)));
    assert!(imported.is_disjoint(&invalid) && skipped.is_disjoint(&invalid));

    // Concrete values.
    let id = report.local_id("Patient/example").unwrap().to_string();
    let p = t.store.patient(&t.admin, &id).unwrap();
    assert_eq!(
        (p.given_name.as_str(), p.family_name.as_str()),
        ("Peter James", "Chalmers")
    );
    assert_eq!((p.birth_date.as_str(), p.sex), ("1974-12-25", Sex::Male));
    assert_eq!(p.mrn, "12345");
    assert_eq!(
        p.phone.as_deref(),
        Some("(03) 5555 6473"),
        "the rank-1 phone"
    );
    assert_eq!(p.address_line.as_deref(), Some("534 Erewhon St"));
    assert_eq!(
        (
            p.city.as_deref(),
            p.state.as_deref(),
            p.postal_code.as_deref()
        ),
        (Some("PleasantVille"), Some("Vic"), Some("3999"))
    );
    let f201 = t
        .store
        .patient(&t.admin, report.local_id("Patient/f201").unwrap())
        .unwrap();
    assert_eq!(
        (
            f201.given_name.as_str(),
            f201.family_name.as_str(),
            f201.birth_date.as_str()
        ),
        ("Roelof Olaf", "Bor", "1960-03-13")
    );
    let careful = t
        .store
        .provider(report.local_id("Practitioner/example").unwrap())
        .unwrap();
    assert_eq!(
        (
            careful.given_name.as_str(),
            careful.family_name.as_str(),
            careful.credentials.as_deref()
        ),
        ("Adam", "Careful", None)
    );
    let broek = t
        .store
        .provider(report.local_id("Practitioner/f001").unwrap())
        .unwrap();
    assert_eq!(
        (broek.display_name().as_str(), broek.npi.as_deref()),
        ("Eric van den broek, MD", None)
    );
    let hl7 = t
        .store
        .location(report.local_id("Location/hl7").unwrap())
        .unwrap();
    assert_eq!(hl7.name, "Health Level Seven International");
    assert_eq!(hl7.phone.as_deref(), Some("(+1) 734-677-7777"));
    assert_eq!(
        hl7.address.as_deref(),
        Some("3300 Washtenaw Avenue, Suite 227, Ann Arbor, MI 48104, USA")
    );
    assert_eq!(
        hl7.timezone, "America/New_York",
        "the clinic's zone: R4 Location has none"
    );

    // Why the others were not imported, resource by resource.
    let why = |r: &str| report.problems_of(r).join(" | ");
    for (resource, reason) in [
        ("Patient/animal", "it is an animal"),
        ("Patient/dicom", "no birth date; ClinicDesk needs one"),
        ("Patient/pat1", "no birth date; ClinicDesk needs one"),
        ("Patient/pat2", "no birth date"),
        ("Patient/ihe-pcd", "no birth date"),
        (
            "Patient/newborn",
            "no name; ClinicDesk needs a given and a family name",
        ),
        ("Patient/proband", "no name"),
        ("Patient/infant-fetal", "no name"),
        ("Patient/ch-example", "name[0] is only text ('张无忌')"),
        (
            "Patient/xcda",
            "MRN 12345 already belongs to another patient",
        ),
        (
            "Practitioner/f203",
            "name[0] is only text ('Juri van Gelder')",
        ),
        ("Practitioner/f204", "only text"),
        ("Location/amb", "mode is 'kind'"),
        ("Location/ph", "mode is 'kind'"),
        ("Location/ukp", "mode is 'kind'"),
        ("Schedule/example", "no Practitioner among its actors"),
        (
            "Schedule/exampleloc1",
            "actor[0] 'Practitioner/1' is neither in this import nor imported before",
        ),
        (
            "Schedule/exampleloc2",
            "'Practitioner/1' is neither in this import nor imported before",
        ),
        (
            "Slot/1",
            "schedule refers to Schedule/example, which could not be imported",
        ),
        (
            "Slot/2",
            "busy-tentative; ClinicDesk has no tentative slots",
        ),
        ("Slot/3", "Schedule/example, which could not be imported"),
        (
            "Slot/example",
            "Schedule/example, which could not be imported",
        ),
        ("Appointment/2docs", "no Location participant"),
        (
            "Encounter/example",
            "class 'IMP' (inpatient encounter) is not ambulatory (AMB)",
        ),
        ("Encounter/example", "no Practitioner participant"),
        (
            "Encounter/f001",
            "no period; ClinicDesk needs when the encounter started",
        ),
        (
            "Encounter/f203",
            "period.start '2013-03-11' is not a date and time",
        ),
        ("Encounter/home", "points to a contained resource ('#home')"),
        (
            "Encounter/emerg",
            "location[0].location has no reference ('Emergency Waiting Room')",
        ),
    ] {
        assert!(
            why(resource).contains(reason),
            "{resource}: expected '{reason}', got '{}'",
            why(resource)
        );
    }
    let req = report
        .skipped
        .iter()
        .find(|s| s.resource == "Appointment/examplereq")
        .unwrap();
    assert!(
        req.reason.contains("proposed") && req.reason.contains("not a booked appointment"),
        "{}",
        req.reason
    );

    // What was not kept of an imported resource is listed.
    let ignored: Vec<String> = report
        .ignored_in("Patient/example")
        .iter()
        .map(|i| i.element.clone())
        .collect();
    for element in [
        "name[1] ('Jim', usual)",
        "name[2] ('Peter James Windsor', maiden)",
        "telecom[2] (phone '(03) 3410 5613')",
        "address[0].district ('Rainbow')",
        "birthDate (extension of the value)",
        "contact",
        "deceasedBoolean",
        "managingOrganization",
    ] {
        assert!(
            ignored.iter().any(|i| i == element),
            "{element} not in {ignored:?}"
        );
    }
    assert!(report
        .ignored_in("Practitioner/example")
        .iter()
        .any(|i| i.element == "name[0].prefix ('Dr')"));

    // One audit entry per imported patient, and one for the import.
    let audit = t
        .store
        .audit_report(
            &t.admin,
            &AuditFilter {
                category: Some("fhir".into()),
                action: Some("import".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let patients: BTreeSet<_> = audit.iter().filter_map(|a| a.patient_id.clone()).collect();
    assert_eq!(patients.len(), 12);
    assert!(patients.contains(&id));
    // The import summary, and Location/2 (suspended) imported as inactive.
    assert_eq!(audit.iter().filter(|a| a.patient_id.is_none()).count(), 2);
    assert!(t.store.verify_audit(&t.admin).unwrap().intact);
}

#[test]
fn by_default_one_invalid_example_refuses_the_whole_import_and_nothing_is_written() {
    let mut t = new_store();
    let before = change_count(&t.store);
    let err = import(&mut t.store, &t.admin, common::all_examples()).unwrap_err();
    let FhirError::Rejected { problems } = &err else {
        panic!("expected a refusal, got {err}")
    };
    let text = err.to_string();
    assert!(
        text.starts_with("the FHIR import was refused and nothing was written"),
        "{text}"
    );
    for expected in [
        "Patient/animal: it is an animal",
        "Location/amb: its mode is 'kind'",
    ] {
        assert!(
            problems.iter().any(|p| p.to_string().starts_with(expected)),
            "missing '{expected}' in:\n{text}"
        );
    }
    assert_eq!(change_count(&t.store), before, "nothing may be written");
    assert!(t.store.providers().unwrap().is_empty() && t.store.locations().unwrap().is_empty());
    assert!(t.store.appointment_types().unwrap().is_empty());
}

#[test]
fn the_official_appointment_example_imports_with_the_unusable_phone_reported() {
    let mut t = new_store();
    // Location/1's only phone is the extension 2328, not a number ClinicDesk
    // can keep: it is reported as ignored and the rest imports.
    let input = vec![
        example("Patient-example.json"),
        example("Practitioner-example.json"),
        example("Location-1.json"),
        example("Appointment-example.json"),
    ];
    let report = import(&mut t.store, &t.admin, input).unwrap();
    assert!(report.invalid.is_empty());
    let ignored = report.ignored_in("Location/1");
    assert!(
        ignored
            .iter()
            .any(|i| i.element.contains("2328") && i.reason.contains("not a phone number")),
        "{ignored:?}"
    );
    let loc = t
        .store
        .location(report.local_id("Location/1").unwrap())
        .unwrap();
    assert_eq!(loc.name, "South Wing, second floor");
    assert_eq!(
        loc.address.as_deref(),
        Some("Galapagosweg 91, Building A, Den Burg, 9105 PZ, NLD")
    );
    assert_eq!(loc.phone, None);
    let a = t
        .store
        .appointment(&t.admin, report.local_id("Appointment/example").unwrap())
        .unwrap();
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert_eq!(
        (a.starts_at, a.ends_at),
        (ts("2013-12-10T09:00:00Z"), ts("2013-12-10T11:00:00Z"))
    );
    assert_eq!(a.patient_id, report.local_id("Patient/example").unwrap());
    assert_eq!(
        a.provider_id,
        report.local_id("Practitioner/example").unwrap()
    );
    assert_eq!(a.location_id, report.local_id("Location/1").unwrap());
    assert_eq!(
        a.appointment_type,
        "A follow up visit from a previous appointment"
    );
    assert_eq!(
        a.reason.as_deref(),
        Some("Discussion on the results of your recent MRI")
    );
    let ty = t.store.find_appointment_type(&a.appointment_type).unwrap();
    assert_eq!(
        ty.duration_minutes, 120,
        "a new type lasts as long as the visit that named it"
    );
    let ignored: Vec<String> = report
        .ignored_in("Appointment/example")
        .iter()
        .map(|i| i.element.clone())
        .collect();
    for element in [
        "serviceType[0] ('General Discussion')",
        "reasonReference",
        "comment",
        "priority",
        "basedOn",
        "created",
    ] {
        assert!(
            ignored.iter().any(|i| i == element),
            "{element} not in {ignored:?}"
        );
    }
    let loc_ignored: Vec<String> = report
        .ignored_in("Location/1")
        .iter()
        .map(|i| i.element.clone())
        .collect();
    assert!(
        loc_ignored.iter().any(|i| i == "telecom[1] (fax '2329')"),
        "{loc_ignored:?}"
    );
}

#[test]
fn the_official_slots_import_under_a_schedule_with_a_practitioner() {
    let mut t = new_store();
    // Schedule/example is a location's only; ClinicDesk schedules are a
    // practitioner's at a location, so it is given one.
    let mut schedule = example("Schedule-example.json");
    schedule["actor"] =
        json!([{ "reference": "Practitioner/example" }, { "reference": "Location/hl7" }]);
    let input = vec![
        example("Practitioner-example.json"),
        example("Location-hl7.json"),
        schedule,
        example("Slot-1.json"),
        example("Slot-2.json"),
        example("Slot-3.json"),
        example("Slot-example.json"),
    ];
    assert!(import(&mut t.store, &t.admin, input.clone())
        .unwrap_err()
        .to_string()
        .contains("Slot/2: its status is busy-tentative"));
    let report = import_with(&mut t.store, &t.admin, input, SKIP_INVALID).unwrap();
    assert_eq!(report.invalid.len(), 1, "{:?}", report.invalid);
    let provider = report.local_id("Practitioner/example").unwrap();
    let slots = t
        .store
        .slots(
            provider,
            ts("2013-12-25T00:00:00Z"),
            ts("2013-12-26T00:00:00Z"),
        )
        .unwrap();
    let shown: Vec<(i64, &str)> = slots
        .iter()
        .map(|s| (s.starts_at, s.status.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (ts("2013-12-25T09:00:00Z"), "open"),
            (ts("2013-12-25T09:15:00Z"), "open"),
            (ts("2013-12-25T09:30:00Z"), "blocked")
        ]
    );
    let walk_in = slots
        .iter()
        .find(|s| s.id == report.local_id("Slot/example").unwrap())
        .unwrap();
    let ty = t
        .store
        .appointment_type(walk_in.appointment_type_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(
        (ty.name.as_str(), ty.duration_minutes),
        ("A previously unscheduled walk-in visit", 15)
    );
    assert!(report
        .ignored_in("Slot/1")
        .iter()
        .any(|i| i.element == "status (busy)"));
    assert!(report
        .ignored_in("Slot/1")
        .iter()
        .any(|i| i.element == "overbooked"));
}

#[test]
fn importing_again_recognises_earlier_imports_and_resolves_references_to_them() {
    let mut t = new_store();
    let first = vec![
        example("Patient-example.json"),
        example("Practitioner-example.json"),
        example("Location-hl7.json"),
    ];
    let r1 = import(&mut t.store, &t.admin, first.clone()).unwrap();
    let before = change_count(&t.store);
    let r2 = import(&mut t.store, &t.admin, first).unwrap();
    assert!(r2.imported.is_empty());
    assert_eq!(r2.skipped.len(), 3);
    for s in &r2.skipped {
        assert_eq!(s.reason, "already imported; skipped");
        assert_eq!(s.local_id.as_deref(), r1.local_id(&s.resource));
    }
    assert_eq!(
        change_count(&t.store),
        before,
        "a repeated import writes nothing"
    );
    // A later import may refer to what an earlier one brought.
    let appointment = json!({
        "resourceType": "Appointment", "id": "later", "status": "fulfilled",
        "start": "2014-01-02T10:00:00+01:00", "end": "2014-01-02T10:20:00+01:00",
        "serviceType": [{ "text": "Check-up" }],
        "participant": [
            { "actor": { "reference": "Patient/example" }, "status": "accepted" },
            { "actor": { "reference": "Practitioner/example" }, "status": "accepted" },
            { "actor": { "reference": "Location/hl7" }, "status": "accepted" },
        ],
    });
    let r3 = import(&mut t.store, &t.admin, vec![appointment]).unwrap();
    let a = t
        .store
        .appointment(&t.admin, r3.local_id("Appointment/later").unwrap())
        .unwrap();
    assert_eq!(a.patient_id, r1.local_id("Patient/example").unwrap());
    assert_eq!(
        (a.status, a.appointment_type.as_str()),
        (AppointmentStatus::Completed, "Check-up")
    );
    assert_eq!(a.starts_at, ts("2014-01-02T09:00:00Z"));
}
