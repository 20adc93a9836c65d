//! Bad and hostile input: a clear, specific error, no panic, nothing written.

mod common;

use clinicdesk_fhir::{export, import, import_with, ExportSelection, FhirError, ImportOptions};
use common::{change_count, clinic_bundle, new_store, normalized, TestStore};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn patient(id: &str) -> Value {
    json!({
        "resourceType": "Patient", "id": id,
        "name": [{ "family": "Doe", "given": ["Jane"] }],
        "birthDate": "1980-01-01",
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// An appointment with the clinic bundle's Ada, Franklin and Harbour.
fn appointment(id: &str) -> Value {
    json!({
        "resourceType": "Appointment", "id": id, "status": "booked",
        "start": "2031-01-06T09:00:00Z", "end": "2031-01-06T09:30:00Z",
        "appointmentType": { "text": "Follow-up" },
        "participant": [
            { "actor": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000004" }, "status": "accepted" },
            { "actor": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000002" }, "status": "accepted" },
            { "actor": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000001" }, "status": "accepted" },
        ],
    })
}

fn encounter(id: &str) -> Value {
    json!({
        "resourceType": "Encounter", "id": id, "status": "finished",
        "class": { "code": "AMB" },
        "subject": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000004" },
        "participant": [{ "individual": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000002" } }],
        "period": { "start": "2024-06-01T10:00:00Z", "end": "2024-06-01T10:30:00Z" },
    })
}

fn bundle(ty: &str, entry: Value) -> Value {
    json!({ "resourceType": "Bundle", "type": ty, "entry": entry })
}

fn clinic() -> TestStore {
    let mut t = new_store();
    import(&mut t.store, &t.admin, vec![clinic_bundle()]).unwrap();
    t
}

fn huge() -> String {
    "x".repeat(5_000_000)
}

#[test]
fn hostile_inputs_get_clear_specific_errors_and_change_nothing() {
    let mut t = clinic();
    let before = normalized(&export(&mut t.store, &t.admin, ExportSelection::All).unwrap());
    let changes = change_count(&t.store);
    let set_actor = |mut a: Value, i: usize, reference: &str| {
        a["participant"][i]["actor"] = json!({ "reference": reference });
        a
    };
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (
            vec![json!(42)],
            "input[0]: not a FHIR resource: expected a JSON object, found a number",
        ),
        (
            vec![json!("Patient/example")],
            "input[0]: not a FHIR resource: expected a JSON object, found a string",
        ),
        (vec![json!(null)], "found null"),
        (
            vec![patient("ok"), json!([patient("x")])],
            "input[1]: not a FHIR resource: expected a JSON object, found an array",
        ),
        (
            vec![json!({ "id": "x" })],
            "input[0]: not a FHIR resource: it has no resourceType",
        ),
        (vec![json!({ "resourceType": 7 })], "it has no resourceType"),
        (
            vec![json!({ "resourceType": "Organization", "id": "o1" })],
            "Organization/o1: ClinicDesk does not import 'Organization' resources",
        ),
        (
            vec![json!({ "resourceType": "patient", "id": "p" })],
            "does not import 'patient' resources",
        ),
        (
            vec![without(patient("x"), "id")],
            "it has neither an id nor a fullUrl",
        ),
        (vec![patient("bad id!")], "id 'bad id!' is not a FHIR id"),
        (vec![patient(&huge())], "is not a FHIR id"),
        (
            vec![patient("twice"), patient("twice")],
            "Patient/twice: it appears more than once in this import",
        ),
        (
            vec![bundle("document", json!([]))],
            "a Bundle of type 'document' cannot be imported",
        ),
        (
            vec![json!({ "resourceType": "Bundle", "entry": [] })],
            "a Bundle of no type cannot be imported",
        ),
        (
            vec![bundle("collection", json!([5]))],
            "entry[0]: a Bundle entry must be a JSON object",
        ),
        (
            vec![bundle("collection", json!({}))],
            "entry must be an array, not an object",
        ),
        (
            vec![bundle("collection", json!([{ "fullUrl": "urn:x" }]))],
            "the entry has no resource",
        ),
        (
            vec![bundle(
                "collection",
                json!([{ "resource": bundle("collection", json!([])) }]),
            )],
            "a Bundle inside a Bundle cannot be imported",
        ),
        (
            vec![bundle(
                "transaction",
                json!([{ "resource": patient("d"), "request": { "method": "DELETE", "url": "Patient/d" } }]),
            )],
            "request method 'DELETE' is not a create or update",
        ),
        (
            vec![without(without(patient("p"), "name"), "birthDate")],
            "Patient/p: no name; ClinicDesk needs a given and a family name",
        ),
        (
            vec![without(patient("p"), "birthDate")],
            "Patient/p: no birth date; ClinicDesk needs one",
        ),
        (
            vec![with(patient("p"), "birthDate", json!("1974-13-45"))],
            "date of birth '1974-13-45' is not a date; use YYYY-MM-DD",
        ),
        (
            vec![with(patient("p"), "birthDate", json!("2999-01-01"))],
            "date of birth 2999-01-01 is in the future",
        ),
        (
            vec![with(patient("p"), "birthDate", json!(19740101))],
            "birthDate must be a string, not a number",
        ),
        (
            vec![with(patient("p"), "gender", json!("robot"))],
            "'robot' is not a valid sex",
        ),
        (
            vec![with(patient("p"), "name", json!("Jane Doe"))],
            "name must be an array, not a string",
        ),
        (
            vec![with(
                patient("p"),
                "name",
                json!([{ "family": huge(), "given": ["Jane"] }]),
            )],
            "family name is longer than 100 characters",
        ),
        (
            vec![with(
                patient("p"),
                "name",
                json!([{ "family": "Doe", "given": [7] }]),
            )],
            "name[0].given must hold strings, not a number",
        ),
        (
            vec![with(
                patient("p"),
                "modifierExtension",
                json!([{ "url": "http://x" }]),
            )],
            "modifierExtension",
        ),
        (
            vec![with(patient("p"), "implicitRules", json!("http://x"))],
            "implicitRules",
        ),
        (
            vec![with(
                json!({ "resourceType": "Location", "id": "l" }),
                "status",
                json!("active"),
            )],
            "Location/l: no name; ClinicDesk needs one for every location",
        ),
        (
            vec![with(
                json!({ "resourceType": "Location", "id": "l" }),
                "name",
                json!("Harbour Clinic"),
            )],
            "a location called 'Harbour Clinic' already exists",
        ),
        (
            vec![
                json!({ "resourceType": "Practitioner", "id": "n", "name": [{ "family": "X", "given": ["Y"] }],
                "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567890" }] }),
            ],
            "NPI '1234567890' has a wrong check digit",
        ),
        (
            vec![
                json!({ "resourceType": "Practitioner", "id": "n", "name": [{ "family": "X", "given": ["Y"] }],
                "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893" }] }),
            ],
            "a provider with NPI 1234567893 already exists",
        ),
        (
            vec![set_actor(appointment("a"), 0, "Patient/ghost")],
            "participant[0].actor 'Patient/ghost' is neither in this import nor imported before",
        ),
        (
            vec![set_actor(appointment("a"), 0, "#p")],
            "points to a contained resource ('#p')",
        ),
        (
            vec![set_actor(
                appointment("a"),
                0,
                "http://other.example/fhir/Patient/1",
            )],
            "points outside this import",
        ),
        (
            vec![with(
                appointment("a"),
                "start",
                json!("2013-02-30T09:00:00Z"),
            )],
            "start '2013-02-30T09:00:00Z' is not a date and time",
        ),
        (
            vec![with(appointment("a"), "start", json!("2031-01-06"))],
            "start '2031-01-06' is not a date and time with a time zone",
        ),
        (
            vec![with(appointment("a"), "end", json!("2031-01-06T08:00:00Z"))],
            "an appointment must end after it starts",
        ),
        (
            vec![with(appointment("a"), "end", json!("2031-01-06T19:00:00Z"))],
            "last at most 8 hours",
        ),
        (
            vec![without(appointment("a"), "start")],
            "no start; ClinicDesk needs the appointment's time",
        ),
        (
            vec![with(appointment("a"), "status", json!("confirmed"))],
            "status 'confirmed' is not an Appointment status",
        ),
        (
            vec![with(appointment("a"), "description", json!(huge()))],
            "visit reason is longer than 500 characters",
        ),
        (
            vec![without(appointment("a"), "appointmentType")],
            "ClinicDesk needs the kind of visit",
        ),
        (
            vec![with(encounter("e"), "class", json!("AMB"))],
            "class must be an object, not a string",
        ),
        (
            vec![with(
                encounter("e"),
                "subject",
                json!({ "reference": "urn:uuid:00000000-0000-4000-8000-000000000002" }),
            )],
            "Encounter/e: subject must be a Patient, not a Practitioner",
        ),
        (
            vec![with(
                encounter("e"),
                "period",
                json!({ "start": "2024-06-01T10:00:00Z", "end": "2024-06-01T09:00:00Z" }),
            )],
            "the encounter ends before it starts",
        ),
        (
            vec![with(
                encounter("e"),
                "appointment",
                json!([{ "reference": "urn:uuid:00000000-0000-4000-8000-000000000012" }]),
            )],
            "the appointment belongs to another patient",
        ),
        (
            vec![with(encounter("e"), "status", json!("planned"))],
            "it has not happened",
        ),
        (
            vec![json!({ "resourceType": "Schedule", "id": "s", "actor": [
                { "reference": "urn:uuid:00000000-0000-4000-8000-000000000002" },
                { "reference": "urn:uuid:00000000-0000-4000-8000-000000000003" },
                { "reference": "urn:uuid:00000000-0000-4000-8000-000000000001" }] })],
            "2 Practitioner actors",
        ),
        (
            vec![
                json!({ "resourceType": "Slot", "id": "s", "status": "maybe", "schedule": { "reference": "Schedule/x" },
                "start": "2031-01-06T09:00:00Z", "end": "2031-01-06T09:30:00Z" }),
            ],
            "status 'maybe' is not a Slot status",
        ),
        (
            vec![
                patient("fine"),
                with(patient("bad"), "birthDate", json!("someday")),
            ],
            "Patient/bad: date of birth 'someday' is not a date",
        ),
    ];
    for (input, expected) in cases {
        let err = match import(&mut t.store, &t.admin, input) {
            Err(e) => e,
            Ok(report) => panic!("'{expected}': imported {:?}", report.imported),
        };
        let FhirError::Rejected { problems } = &err else {
            panic!("'{expected}': {err}")
        };
        assert!(
            problems.iter().any(|p| p.to_string().contains(expected)),
            "expected '{expected}', got:\n{err}"
        );
        for p in problems {
            assert!(
                p.message.chars().count() <= 401 && p.resource.chars().count() <= 121,
                "a huge message: {}",
                p.message.len()
            );
        }
        assert_eq!(
            change_count(&t.store),
            changes,
            "'{expected}' wrote something"
        );
    }
    assert_eq!(
        normalized(&export(&mut t.store, &t.admin, ExportSelection::All).unwrap()),
        before
    );
    assert!(t.store.verify_audit(&t.admin).unwrap().intact);
}

#[test]
fn an_import_is_all_or_nothing_unless_invalid_resources_may_be_skipped() {
    let mut t = new_store();
    let input = vec![
        patient("good"),
        with(patient("bad"), "birthDate", json!("1974")),
        json!({ "resourceType": "Location", "id": "here", "name": "Here" }),
    ];
    let before = change_count(&t.store);
    let err = import(&mut t.store, &t.admin, input.clone()).unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(change_count(&t.store), before);
    assert!(t.store.locations().unwrap().is_empty());

    let report = import_with(
        &mut t.store,
        &t.admin,
        input,
        ImportOptions { skip_invalid: true },
    )
    .unwrap();
    let imported: BTreeSet<&str> = report
        .imported
        .iter()
        .map(|i| i.resource.as_str())
        .collect();
    assert_eq!(imported, ["Location/here", "Patient/good"].into());
    assert_eq!(
        report.problems_of("Patient/bad"),
        ["date of birth '1974' is not a date; use YYYY-MM-DD"]
    );
    assert_eq!(t.store.locations().unwrap().len(), 1);
    assert!(
        t.store.verify_audit(&t.admin).unwrap().intact,
        "rolled-back passes leave the audit chain whole"
    );
}

#[test]
fn resources_depending_on_invalid_ones_are_reported_not_half_imported() {
    let mut t = clinic();
    let mut appt = appointment("dep");
    appt["participant"][0]["actor"] = json!({ "reference": "Patient/nobirth" });
    let mut enc = encounter("dep");
    enc["appointment"] = json!([{ "reference": "Appointment/dep" }]);
    enc["subject"] = json!({ "reference": "Patient/nobirth" });
    let input = vec![without(patient("nobirth"), "birthDate"), appt, enc];
    let report = import_with(
        &mut t.store,
        &t.admin,
        input,
        ImportOptions { skip_invalid: true },
    )
    .unwrap();
    assert!(report.imported.is_empty());
    assert_eq!(
        report.problems_of("Appointment/dep"),
        ["participant[0].actor refers to Patient/nobirth, which could not be imported"]
    );
    assert_eq!(
        report.problems_of("Encounter/dep"),
        [
            "subject refers to Patient/nobirth, which could not be imported",
            "appointment[0] refers to Appointment/dep, which could not be imported"
        ]
    );
}

/// Every official example with each top-level element replaced by junk,
/// in one import: no panic, every resource accounted for.
#[test]
fn mangled_official_examples_never_panic() {
    let mut t = new_store();
    let junk = [
        json!(null),
        json!(-1),
        json!(true),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!([null, 7, "x", [], {}]),
        json!({ "reference": "#nowhere" }),
        json!([{ "reference": "Patient/example" }]),
        json!("9".repeat(10_000)),
    ];
    let mut input = Vec::new();
    for (k, e) in common::all_examples().into_iter().enumerate() {
        let keys: Vec<String> = e
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "resourceType" && *k != "id")
            .cloned()
            .collect();
        for (i, key) in keys.iter().enumerate() {
            for (j, value) in junk.iter().enumerate() {
                let mut m = e.clone();
                m["id"] = json!(format!("m{k}-{i}-{j}"));
                m[key.as_str()] = value.clone();
                input.push(m);
            }
        }
    }
    // And some deeply nested junk.
    let mut deep = json!("bottom");
    for _ in 0..500 {
        deep = json!({ "modifierExtension": [deep] });
    }
    input.push(with(patient("deep"), "extension", json!([deep])));
    let names: BTreeSet<String> = input
        .iter()
        .map(|r| {
            format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            )
        })
        .collect();
    let report = import_with(
        &mut t.store,
        &t.admin,
        input,
        ImportOptions { skip_invalid: true },
    )
    .unwrap();
    let accounted: BTreeSet<String> = report
        .imported
        .iter()
        .map(|i| i.resource.clone())
        .chain(report.skipped.iter().map(|s| s.resource.clone()))
        .chain(report.invalid.iter().map(|p| p.resource.clone()))
        .collect();
    assert_eq!(accounted, names);
    assert!(!report.imported.is_empty() && !report.invalid.is_empty());
    assert!(report
        .problems_of("Patient/deep")
        .iter()
        .any(|p| p.contains("modifierExtension")));
    assert!(t.store.verify_audit(&t.admin).unwrap().intact);
    validate_export(&mut t);
}

fn validate_export(t: &mut TestStore) {
    let bundle = export(&mut t.store, &t.admin, ExportSelection::All).unwrap();
    common::validate(&bundle);
}
