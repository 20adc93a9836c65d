//! Shared by the FHIR tests: stores, the official examples, the validator,
//! and a comparison of Bundles that ignores ids.
#![allow(dead_code)]

use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{KeySetup, NewClinic, NewUser, Session, Store};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct TestStore {
    pub store: Store,
    pub admin: Session,
    _dir: tempfile::TempDir,
}

pub fn new_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, admin) = Store::create(
        &dir.path().join("clinic"),
        NewClinic {
            name: "FHIR Test Clinic".into(),
            timezone: ClinicZone::parse("America/New_York").expect("zone"),
            admin: NewUser {
                username: "admin".into(),
                display_name: "Admin".into(),
                role: Role::Admin,
                password: "correct horse battery".into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .expect("create store (run the tests under scripts/with-keyring.sh)");
    TestStore {
        store,
        admin,
        _dir: dir,
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The official HL7 R4 examples; missing data fails the test, never skips it.
pub fn examples_dir() -> PathBuf {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("tests/data/fetched"));
    let dir = base.join("fhir-r4-examples");
    assert!(
        dir.join("Patient-example.json").is_file(),
        "the official FHIR R4 examples are missing from {}; run scripts/fetch-test-data.sh",
        dir.display()
    );
    dir
}

pub fn example(file: &str) -> Value {
    let path = examples_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run scripts/fetch-test-data.sh",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every official example of the seven types, in file name order.
pub fn all_examples() -> Vec<Value> {
    let mut files: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 60,
        "only {} examples found; run scripts/fetch-test-data.sh",
        files.len()
    );
    files.iter().map(|f| example(f)).collect()
}

/// The independent validator's command line.
fn validator() -> Vec<String> {
    let cmd = std::env::var("CLINICDESK_FHIR_VALIDATOR").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!(
            "{home}/.cache/clinicdesk/venv/bin/python {}",
            workspace().join("scripts/validate-fhir.py").display()
        )
    });
    let parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    assert!(
        parts.first().is_some_and(|p| std::path::Path::new(p).is_file()),
        "the FHIR validator '{cmd}' is not installed; run scripts/fetch-test-data.sh (or set CLINICDESK_FHIR_VALIDATOR)"
    );
    parts
}

/// Validates a document with fhir.resources; fails the test with its report
/// unless everything is valid. Returns the validator's output.
pub fn validate(doc: &Value) -> String {
    let cmd = validator();
    let mut child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run the FHIR validator {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(doc.to_string().as_bytes())
        .expect("write to the validator");
    let out = child.wait_with_output().expect("validator output");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "the FHIR validator rejected the export ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// How many changes the store has logged: equal before and after means
/// nothing was written.
pub fn change_count(store: &Store) -> usize {
    store
        .changes_since(0, usize::MAX >> 1)
        .expect("change log")
        .len()
}

pub fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .timestamp()
}

pub fn front_desk(t: &mut TestStore) -> Session {
    t.store
        .add_user(
            &t.admin,
            NewUser {
                username: "desk".into(),
                display_name: "Front Desk".into(),
                role: Role::FrontDesk,
                password: "front desk password".into(),
                provider_id: None,
            },
        )
        .expect("add user");
    t.store.login("desk", "front desk password").expect("login")
}

/// A Bundle with its ids replaced by what the records are: references name
/// the record they point to, and MRN systems (which name a store) go. Two
/// stores holding the same clinic data give equal results.
pub fn normalized(bundle: &Value) -> Vec<String> {
    let entries = bundle["entry"].as_array().expect("entries");
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for e in entries {
        let mut r = e["resource"].clone();
        let url = e["fullUrl"].as_str().expect("fullUrl").to_string();
        replace_refs(&mut r, &names);
        let obj = r.as_object_mut().expect("resource object");
        obj.remove("id");
        if let Some(ids) = obj.get_mut("identifier").and_then(Value::as_array_mut) {
            for i in ids {
                if i["type"]["coding"][0]["code"] == "MR" {
                    i.as_object_mut().expect("identifier").remove("system");
                }
            }
        }
        let key = format!(
            "{}:{}",
            r["resourceType"].as_str().unwrap_or(""),
            natural_key(&r)
        );
        names.insert(url, key);
        out.push(r.to_string());
    }
    out.sort();
    out
}

fn natural_key(r: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    match r["resourceType"].as_str().unwrap_or("") {
        "Patient" => s(&r["identifier"][0]["value"]),
        "Practitioner" => format!("{} {}", r["name"][0]["given"], s(&r["name"][0]["family"])),
        "Location" => s(&r["name"]),
        "Schedule" => r["actor"].to_string(),
        "Slot" => format!("{} {}", r["schedule"], s(&r["start"])),
        _ => r.to_string(),
    }
}

fn replace_refs(v: &mut Value, names: &HashMap<String, String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(target)) = o.get("reference") {
                let named = names
                    .get(target)
                    .cloned()
                    .unwrap_or_else(|| format!("UNRESOLVED {target}"));
                o.insert("reference".into(), json!(named));
            }
            for child in o.values_mut() {
                replace_refs(child, names);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| replace_refs(c, names)),
        _ => {}
    }
}

/// Resources of one type in a Bundle.
pub fn of_type<'a>(bundle: &'a Value, ty: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == ty)
        .collect()
}

fn uuid(n: u32) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-{n:012}")
}

fn post(n: u32, resource: Value) -> Value {
    let ty = resource["resourceType"].clone();
    json!({ "fullUrl": uuid(n), "resource": resource, "request": { "method": "POST", "url": ty } })
}

fn r(n: u32) -> Value {
    json!({ "reference": uuid(n) })
}

/// A small clinic as a FHIR transaction: resources without ids, linked by
/// urn:uuid fullUrls, covering every status ClinicDesk maps.
pub fn clinic_bundle() -> Value {
    let (harbour, franklin, turing, ada, grace) = (1, 2, 3, 4, 5);
    let (franklin_sched, turing_sched) = (6, 7);
    let (slot_free, slot_booked, slot_blocked) = (8, 9, 10);
    let (booked, fulfilled) = (11, 12);
    let appointment = |status: &str, patient: u32, with: u32, start: &str, end: &str| {
        json!({
            "resourceType": "Appointment", "status": status,
            "start": start, "end": end,
            "participant": [
                { "actor": r(patient), "status": "accepted" },
                { "actor": r(with), "status": "accepted" },
                { "actor": r(harbour), "status": "accepted" },
            ],
        })
    };
    let mut booked_appt = appointment(
        "booked",
        ada,
        franklin,
        "2030-03-04T09:30:00-05:00",
        "2030-03-04T10:00:00-05:00",
    );
    booked_appt["slot"] = json!([r(slot_booked)]);
    booked_appt["reasonCode"] = json!([{ "text": "Cough" }]);
    let mut fulfilled_appt = appointment(
        "fulfilled",
        grace,
        turing,
        "2024-05-06T14:00:00Z",
        "2024-05-06T14:45:00Z",
    );
    fulfilled_appt["appointmentType"] = json!({ "text": "New patient" });
    let mut cancelled = appointment(
        "cancelled",
        ada,
        franklin,
        "2030-03-05T11:00:00-05:00",
        "2030-03-05T11:30:00-05:00",
    );
    cancelled["serviceType"] = json!([{ "coding": [{ "code": "FU", "display": "Follow-up" }] }]);
    cancelled["cancelationReason"] = json!({ "text": "Patient called to cancel" });
    let mut noshow = appointment(
        "noshow",
        grace,
        franklin,
        "2024-05-07T13:00:00Z",
        "2024-05-07T13:30:00Z",
    );
    noshow["appointmentType"] = json!({ "text": "Follow-up" });
    let mut arrived = appointment(
        "arrived",
        ada,
        turing,
        "2024-05-08T15:00:00Z",
        "2024-05-08T15:45:00Z",
    );
    arrived["appointmentType"] = json!({ "text": "New patient" });
    arrived["description"] = json!("Knee pain");
    let slot = |status: &str, start: &str, end: &str| {
        json!({ "resourceType": "Slot", "schedule": r(franklin_sched), "status": status,
                "start": start, "end": end, "appointmentType": { "text": "Follow-up" } })
    };
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            post(harbour, json!({
                "resourceType": "Location", "status": "active", "name": "Harbour Clinic",
                "address": { "line": ["1 Harbour Road"], "city": "Boston", "state": "MA", "postalCode": "02110" },
                "telecom": [{ "system": "phone", "value": "+1 617 555 0100" }],
            })),
            post(franklin, json!({
                "resourceType": "Practitioner", "active": true,
                "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893" }],
                "name": [{ "family": "Franklin", "given": ["Rosalind", "Elsie"], "suffix": ["MD", "PhD"] }],
            })),
            post(turing, json!({
                "resourceType": "Practitioner", "name": [{ "family": "Turing", "given": ["Alan"] }],
            })),
            post(ada, json!({
                "resourceType": "Patient",
                "identifier": [{ "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" }] }, "value": "MRN-001" }],
                "name": [{ "use": "official", "family": "Lovelace", "given": ["Ada"] }],
                "gender": "female", "birthDate": "1815-12-10",
                "telecom": [{ "system": "phone", "value": "(617) 555-0101" }, { "system": "email", "value": "ada@example.org" }],
                "address": [{ "line": ["12 St James's Square"], "city": "London", "postalCode": "SW1Y 4JH", "country": "GB" }],
            })),
            post(grace, json!({
                "resourceType": "Patient", "active": true,
                "identifier": [{ "type": { "coding": [{ "code": "MR" }] }, "value": "MRN-002" }],
                "name": [{ "family": "Hopper", "given": ["Grace", "Brewster"] }],
                "gender": "female", "birthDate": "1906-12-09",
            })),
            post(franklin_sched, json!({
                "resourceType": "Schedule", "active": true, "comment": "Mornings only",
                "actor": [r(franklin), r(harbour)],
            })),
            post(turing_sched, json!({ "resourceType": "Schedule", "actor": [r(turing), r(harbour)] })),
            post(slot_free, slot("free", "2030-03-04T09:00:00-05:00", "2030-03-04T09:30:00-05:00")),
            post(slot_booked, slot("busy", "2030-03-04T09:30:00-05:00", "2030-03-04T10:00:00-05:00")),
            post(slot_blocked, slot("busy-unavailable", "2030-03-04T10:00:00-05:00", "2030-03-04T10:30:00-05:00")),
            post(booked, booked_appt),
            post(fulfilled, fulfilled_appt),
            post(13, cancelled),
            post(14, noshow),
            post(15, arrived),
            post(16, json!({
                "resourceType": "Encounter", "status": "finished",
                "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
                "subject": r(grace), "participant": [{ "individual": r(turing) }],
                "appointment": [r(fulfilled)],
                "period": { "start": "2024-05-06T14:05:00Z", "end": "2024-05-06T14:40:00Z" },
                "reasonCode": [{ "text": "Annual review" }],
                "location": [{ "location": r(harbour) }],
            })),
            post(17, json!({
                "resourceType": "Encounter", "status": "in-progress",
                "class": { "code": "AMB" },
                "subject": r(ada), "participant": [{ "individual": r(franklin) }],
                "period": { "start": "2024-05-09T10:00:00-04:00" },
            })),
        ],
    })
}
