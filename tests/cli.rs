//! End-to-end tests of the `clinicdesk-cli` binary: each test makes a clinic
//! in a temporary data directory and drives it the way a script would.
//! The binary must be built first (`cargo build -p clinicdesk-cli`); stores
//! with their key in the OS keychain need one (scripts/with-keyring.sh).

mod common;

use common::{hhmm, run, s, whole_day_template, Clinic, User, ADMIN};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DESK: User = User {
    name: "desk",
    password: "front-desk-password",
};
const DOC: User = User {
    name: "drhopper",
    password: "physician-password",
};
const NURSE: User = User {
    name: "nurse",
    password: "nurse-password-12",
};
const BILLER: User = User {
    name: "biller",
    password: "biller-password-12",
};

/// The list under `key` in every element of a JSON array.
fn column<'a>(rows: &'a Value, key: &str) -> Vec<&'a str> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not an array: {rows:#}"))
        .iter()
        .map(|r| r[key].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn init_then_the_issues_patient_add_and_search_example() {
    let clinic = Clinic::new();
    let added = clinic.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Ada",
            "--family",
            "Lovelace",
            "--dob",
            "1815-12-10",
        ],
    );
    assert_eq!(s(&added, "given_name"), "Ada");
    assert_eq!(s(&added, "family_name"), "Lovelace");
    assert_eq!(s(&added, "birth_date"), "1815-12-10");
    assert_eq!(s(&added, "sex"), "unknown");
    assert!(
        !s(&added, "mrn").is_empty(),
        "an MRN is assigned: {added:#}"
    );
    assert_eq!(added["active"], Value::Bool(true));

    // Exactly the issue's command line, --json last.
    let data = clinic.dir().to_str().unwrap();
    let found = run(
        &[
            "--data", data, "--user", "admin", "patient", "search", "Lovelace", "--json",
        ],
        &[("CLINICDESK_PASSWORD", ADMIN.password)],
    )
    .ok()
    .json();
    let found = found.as_array().expect("search prints a JSON array");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["id"], added["id"]);
    assert_eq!(found[0]["mrn"], added["mrn"]);
    assert_eq!(s(&found[0], "family_name"), "Lovelace");

    // The same through the environment, and by MRN, in plain text.
    let shown = run(
        &["patient", "show", s(&added, "mrn")],
        &[
            ("CLINICDESK_DATA", data),
            ("CLINICDESK_USER", "admin"),
            ("CLINICDESK_PASSWORD", ADMIN.password),
        ],
    )
    .ok();
    assert!(
        shown.stdout.starts_with("Lovelace, Ada\n"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("1815-12-10"), "{}", shown.stdout);

    let table = clinic
        .run_as(&ADMIN, &["patient", "search", "ada love"])
        .ok();
    assert!(table.stdout.starts_with("MRN"), "{}", table.stdout);
    assert!(table.stdout.contains("Lovelace, Ada"), "{}", table.stdout);
    let none = clinic
        .run_as(&ADMIN, &["patient", "search", "Babbage"])
        .ok();
    assert_eq!(none.stdout, "No patients found.\n");

    let info = clinic.json(&ADMIN, &["info"]);
    assert_eq!(s(&info, "clinic_name"), "Test Clinic");
    assert_eq!(s(&info, "timezone"), clinic.zone.name);
    assert_eq!(s(&info, "today"), clinic.zone.now().date);
    assert_eq!(s(&info, "key_source"), "keychain");
}

#[test]
fn patients_are_updated_and_insured() {
    let clinic = Clinic::new();
    let p = clinic.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Charles",
            "--family",
            "Babbage",
            "--dob",
            "1891-12-26",
            "--sex",
            "male",
            "--mrn",
            "cb-1",
            "--phone",
            "555-010-2000",
            "--city",
            "London",
        ],
    );
    assert_eq!(s(&p, "mrn"), "CB-1");
    let updated = clinic.json(
        &ADMIN,
        &[
            "patient",
            "update",
            "CB-1",
            "--email",
            "charles@example.org",
            "--phone",
            "",
            "--given",
            "Chas",
        ],
    );
    assert_eq!(s(&updated, "given_name"), "Chas");
    assert_eq!(s(&updated, "email"), "charles@example.org");
    assert_eq!(
        updated["phone"],
        Value::Null,
        "an empty value clears the field"
    );
    assert_eq!(s(&updated, "city"), "London", "fields not given stay");
    assert_eq!(s(&updated, "birth_date"), "1891-12-26");

    let c = clinic.json(
        &ADMIN,
        &[
            "patient",
            "coverage",
            "add",
            "CB-1",
            "--payer-name",
            "Acme Health",
            "--payer-id",
            "ACME",
            "--member-id",
            "M123",
            "--group",
            "G9",
        ],
    );
    assert_eq!(s(&c, "subscriber_name"), "Chas Babbage");
    let again = clinic
        .run_as(
            &ADMIN,
            &[
                "patient",
                "coverage",
                "add",
                "CB-1",
                "--payer-name",
                "Other",
                "--payer-id",
                "O",
                "--member-id",
                "1",
            ],
        )
        .fails(1, "already has an active coverage at priority 1");
    assert!(again.stdout.is_empty());
    let shown = clinic.run_as(&ADMIN, &["patient", "show", "cb-1"]).ok();
    assert!(
        shown.stdout.contains(
            "primary: Acme Health (ACME), member M123, group G9, subscriber Chas Babbage (self)"
        ),
        "{}",
        shown.stdout
    );

    clinic
        .run_as(
            &ADMIN,
            &[
                "patient",
                "add",
                "--given",
                "Future",
                "--family",
                "Child",
                "--dob",
                "2999-01-01",
            ],
        )
        .fails(1, "in the future");
}

#[test]
fn roles_decide_what_each_user_may_do() {
    let clinic = Clinic::new();
    let desk = clinic.add_user(&DESK, "front-desk", "Fran Desk", None);
    assert_eq!(s(&desk, "role"), "front-desk");
    clinic.add_user(&NURSE, "nurse", "Nora Nurse", None);
    clinic.add_user(&BILLER, "biller", "Bill Biller", None);
    let users = clinic.json(&ADMIN, &["user", "list"]);
    assert_eq!(
        column(&users, "username"),
        ["admin", "biller", "desk", "nurse"]
    );
    assert_eq!(
        column(&users, "role"),
        ["admin", "biller", "front-desk", "nurse"]
    );

    // Front desk registers patients but never reads notes or manages users.
    let p = clinic.json(
        &DESK,
        &[
            "patient",
            "add",
            "--given",
            "Ada",
            "--family",
            "Lovelace",
            "--dob",
            "1815-12-10",
        ],
    );
    assert_eq!(s(&p, "family_name"), "Lovelace");
    let refused = clinic
        .run_as(
            &DESK,
            &["note", "show", "0190a0a0-0000-7000-8000-000000000000"],
        )
        .fails(1, "front-desk users may not read clinical notes");
    assert!(refused.stdout.is_empty());
    clinic
        .run_as(&DESK, &["user", "list"])
        .fails(1, "front-desk users may not manage users");
    clinic
        .run_as(
            &BILLER,
            &[
                "patient",
                "add",
                "--given",
                "X",
                "--family",
                "Y",
                "--dob",
                "2000-01-01",
            ],
        )
        .fails(1, "biller users may not register or edit patients");
    clinic
        .run_as(&NURSE, &["audit", "verify"])
        .fails(1, "nurse users may not view the audit trail");
    clinic
        .run_as(
            &ADMIN,
            &["note", "show", "0190a0a0-0000-7000-8000-000000000000"],
        )
        .fails(1, "admin users may not read clinical notes");
    clinic
        .run_as(&NURSE, &["rekey"])
        .fails(1, "nurse users may not administer the encrypted store");

    // An unknown role is a usage error, caught before anything is opened.
    let bad = clinic.run_as(
        &ADMIN,
        &["user", "add", "x1", "--role", "janitor", "--name", "X"],
    );
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr.contains("unknown role 'janitor'"),
        "{}",
        bad.stderr
    );

    // A deactivated user cannot log in; an administrator resets a password.
    clinic.run_as(&ADMIN, &["user", "deactivate", "desk"]).ok();
    clinic
        .run_as(&DESK, &["patient", "search", "Lovelace"])
        .fails(1, "not correct");
    clinic.run_as(&ADMIN, &["user", "activate", "desk"]).ok();
    clinic
        .run_with(
            &ADMIN,
            &["user", "passwd", "desk"],
            &[("CLINICDESK_NEW_PASSWORD", "a-brand-new-password")],
        )
        .ok();
    clinic
        .run_as(&DESK, &["patient", "search", "Lovelace"])
        .fails(1, "not correct");
    let renewed = User {
        name: "desk",
        password: "a-brand-new-password",
    };
    clinic
        .run_as(&renewed, &["patient", "search", "Lovelace"])
        .ok();
    clinic
        .run_with(
            &ADMIN,
            &["user", "passwd", "desk"],
            &[("CLINICDESK_NEW_PASSWORD", "short")],
        )
        .fails(1, "at least 12 characters");
}

/// From an empty clinic to a signed note, the way a clinic's day goes.
#[test]
fn a_whole_clinic_day() {
    let clinic = Clinic::new();
    let now = clinic.zone.now();
    let today = now.date.as_str();

    // Directory and staff.
    let provider = clinic.json(
        &ADMIN,
        &[
            "provider",
            "add",
            "--given",
            "Grace",
            "--family",
            "Hopper",
            "--npi",
            "1234567893",
            "--credentials",
            "MD",
            "--specialty",
            "Family medicine",
        ],
    );
    clinic.json(
        &ADMIN,
        &[
            "location",
            "add",
            "--name",
            "Main Street",
            "--address",
            "1 Main Street",
        ],
    );
    clinic.json(
        &ADMIN,
        &[
            "room",
            "add",
            "--location",
            "main street",
            "--name",
            "Exam 1",
        ],
    );
    let ty = clinic.json(
        &ADMIN,
        &[
            "type",
            "add",
            "--name",
            "Office visit",
            "--minutes",
            "15",
            "--color",
            "#1E88E5",
        ],
    );
    assert_eq!(s(&ty, "color"), "#1e88e5");
    let doc = clinic.add_user(&DOC, "physician", "Dr Grace Hopper", Some("1234567893"));
    assert_eq!(doc["provider_id"], provider["id"]);
    clinic.add_user(&DESK, "front-desk", "Fran Desk", None);

    // A whole day of 15-minute slots today, found by name and by NPI.
    let template = clinic.json(&DESK, &whole_day_template(&now));
    assert_eq!(s(&template, "start_time"), "00:00");
    let made = clinic.json(
        &DESK,
        &["schedule", "materialize", "--from", today, "--to", today],
    );
    assert_eq!(made["created"], 95, "{made:#}");
    let again = clinic.json(
        &DESK,
        &["schedule", "materialize", "--from", today, "--to", today],
    );
    assert_eq!(
        again["created"], 0,
        "materializing twice changes nothing: {again:#}"
    );
    let slots = clinic.json(
        &DESK,
        &[
            "schedule",
            "slots",
            "--provider",
            "1234567893",
            "--date",
            today,
        ],
    );
    assert_eq!(slots.as_array().unwrap().len(), 95);

    // Patients.
    let mut mrn = Vec::new();
    for (given, family, dob) in [
        ("Ada", "Lovelace", "1815-12-10"),
        ("Charles", "Babbage", "1891-12-26"),
        ("Mary", "Somerville", "1880-12-26"),
    ] {
        let p = clinic.json(
            &DESK,
            &[
                "patient", "add", "--given", given, "--family", family, "--dob", dob,
            ],
        );
        mrn.push(s(&p, "mrn").to_string());
    }

    // Book Ada an hour or more from now; the same time for Charles is refused...
    let t1 = now.quarter_after(60);
    let t2 = t1 + 30;
    let book_at = |who: &str, at: i64, extra: &[&str]| {
        let start = now.at(at);
        let mut args = vec![
            "appointment",
            "book",
            "--patient",
            who,
            "--provider",
            "Hopper",
            "--location",
            "Main Street",
            "--start",
            start.as_str(),
            "--type",
            "Office visit",
        ];
        args.extend_from_slice(extra);
        args.push("--json");
        clinic.run_as(&DESK, &args)
    };
    let first = book_at(&mrn[0], t1, &["--reason", "Cough"]).ok().json();
    assert_eq!(s(&first, "status"), "booked");
    assert_eq!(s(&first, "reason"), "Cough");
    assert!(
        first["slot_id"].is_string(),
        "booked into the slot: {first:#}"
    );
    assert!(
        s(&first, "local_start").starts_with(&now.at(t1)),
        "{first:#}"
    );
    let refused = book_at(&mrn[1], t1, &[]).fails(
        1,
        &format!("Grace Hopper is already booked at {}", hhmm(t1)),
    );
    assert!(refused.stdout.is_empty());
    // ...unless overbooked, with a reason.
    let overbooked = book_at(&mrn[1], t1, &["--overbook", "Urgent add-on"])
        .ok()
        .json();
    assert_eq!(s(&overbooked, "overbook_reason"), "Urgent add-on");

    // Rescheduling keeps the history linked both ways.
    let moved = clinic.json(
        &DESK,
        &[
            "appointment",
            "reschedule",
            s(&first, "id"),
            "--start",
            &now.at(t2),
        ],
    );
    assert_eq!(moved["rescheduled_from"], first["id"]);
    assert_eq!(s(&moved, "reason"), "Cough", "the visit reason moves along");
    let old = clinic.json(&DESK, &["appointment", "status", s(&first, "id")]);
    assert_eq!(s(&old["appointment"], "status"), "cancelled");
    assert_eq!(old["appointment"]["rescheduled_to"], moved["id"]);
    let history = old["history"].as_array().unwrap();
    assert_eq!(
        column(&old["history"], "to_status"),
        ["booked", "cancelled"]
    );
    assert_eq!(s(&history[1], "reason"), "rescheduled");
    let text = clinic
        .run_as(&DESK, &["appointment", "status", s(&first, "id")])
        .ok()
        .stdout;
    assert!(text.contains("booked -> cancelled"), "{text}");

    // Next available finds an open slot after the two visits; book Mary into it.
    let after = hhmm(t2 + 15);
    let open = clinic.json(
        &DESK,
        &[
            "appointment",
            "next-available",
            "--type",
            "Office visit",
            "--after",
            &after,
            "--limit",
            "3",
        ],
    );
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 3, "{open:#?}");
    let mary = clinic.json(
        &DESK,
        &[
            "appointment",
            "book",
            "--patient",
            &mrn[2],
            "--slot",
            s(&open[0], "slot_id"),
        ],
    );
    assert_eq!(mary["slot_id"], open[0]["slot_id"]);
    assert_eq!(
        s(&mary, "appointment_type"),
        "Office visit",
        "the slot's type is the default"
    );

    // A no-show before the start is refused; cancelling needs no wait.
    clinic
        .run_as(&DESK, &["appointment", "no-show", s(&overbooked, "id")])
        .fails(1, "cannot be a no-show before then");
    let cancelled = clinic.json(
        &DESK,
        &[
            "appointment",
            "cancel",
            s(&mary, "id"),
            "--reason",
            "Patient called",
        ],
    );
    assert_eq!(s(&cancelled, "cancel_reason"), "Patient called");

    // Ada arrives; the flow board shows her waiting.
    let visit = s(&moved, "id");
    let arrived = clinic.json(&DESK, &["appointment", "check-in", visit]);
    assert_eq!(s(&arrived, "status"), "arrived");
    let board = clinic.json(&DESK, &["flow-board", "--location", "Main Street"]);
    let row = board
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["appointment"]["id"] == moved["id"])
        .unwrap_or_else(|| panic!("Ada is on the board: {board:#}"));
    assert_eq!(s(&row["appointment"], "status"), "arrived");
    assert!(row["waiting_minutes"].is_i64(), "{row:#}");
    let board_text = clinic.run_as(&DESK, &["flow-board"]).ok().stdout;
    assert!(board_text.contains("1 waiting"), "{board_text}");
    let ada_line = board_text
        .lines()
        .find(|l| l.contains("Lovelace, Ada"))
        .unwrap_or_else(|| panic!("{board_text}"));
    assert!(ada_line.contains("Checked in, waiting"), "{board_text}");
    assert!(
        !board_text.contains("Somerville"),
        "cancelled visits are off the board: {board_text}"
    );

    // The physician rooms and sees her, and writes the note.
    let roomed = clinic.json(&DOC, &["appointment", "room", visit, "--room", "Exam 1"]);
    assert_eq!(s(&roomed, "room_name"), "Exam 1");
    clinic.json(&DOC, &["appointment", "start", visit]);
    let encounter = clinic.json(&DOC, &["encounter", "open", visit]);
    assert_eq!(s(&encounter, "status"), "in-progress");
    assert_eq!(encounter["appointment_id"], moved["id"]);
    let enc = s(&encounter, "id");
    let draft = clinic.json(
        &DOC,
        &[
            "note",
            "draft",
            enc,
            "--subjective",
            "Dry cough for a week",
            "--objective",
            "Chest clear",
            "--assessment",
            "Viral cough",
            "--plan",
            "Fluids",
        ],
    );
    assert_eq!(s(&draft, "status"), "draft");
    assert_eq!(s(&draft, "format"), "soap");
    let note = s(&draft, "id");
    let edited = clinic.json(
        &DOC,
        &[
            "note",
            "draft",
            enc,
            "--note",
            note,
            "--plan",
            "Fluids and rest",
        ],
    );
    assert_eq!(s(&edited["content"], "plan"), "Fluids and rest");
    assert_eq!(
        s(&edited["content"], "subjective"),
        "Dry cough for a week",
        "other sections stay"
    );
    let signed = clinic.json(&DOC, &["note", "sign", note]);
    assert_eq!(s(&signed, "status"), "signed");
    assert_eq!(s(&signed, "content_hash").len(), 64);
    clinic
        .run_as(
            &DOC,
            &[
                "note",
                "draft",
                enc,
                "--note",
                note,
                "--plan",
                "Antibiotics",
            ],
        )
        .fails(
            1,
            "the note is signed and cannot change; add an addendum instead",
        );
    let with_addendum = clinic.json(
        &DOC,
        &["note", "addendum", note, "--text", "Called back: better"],
    );
    assert_eq!(with_addendum["addenda"].as_array().unwrap().len(), 1);
    let shown = clinic.run_as(&DOC, &["note", "show", note]).ok().stdout;
    assert!(
        shown.contains("Fluids and rest") && shown.contains("Called back: better"),
        "{shown}"
    );
    assert!(!shown.contains("Antibiotics"), "{shown}");
    clinic
        .run_as(&DESK, &["note", "show", note])
        .fails(1, "front-desk users may not read clinical notes");
    let done = clinic.json(&DOC, &["appointment", "complete", visit]);
    assert_eq!(s(&done, "status"), "completed");

    let week = clinic.json(&DOC, &["appointment", "week", "--provider", "Hopper"]);
    assert!(
        column(&week["appointments"], "id").contains(&visit),
        "{week:#}"
    );
    let status = clinic.json(&DESK, &["appointment", "status", visit]);
    assert_eq!(
        column(&status["history"], "to_status"),
        ["booked", "arrived", "roomed", "with-provider", "completed"]
    );

    // Everything above is in an intact audit trail.
    let verified = clinic.run_as(&ADMIN, &["audit", "verify"]).ok();
    assert!(
        verified.stdout.starts_with("The audit trail is intact"),
        "{}",
        verified.stdout
    );
    let report = clinic.json(&ADMIN, &["audit", "report"]);
    let actions = column(&report, "action");
    for a in [
        "login",
        "book",
        "reschedule",
        "cancelled",
        "arrived",
        "roomed",
        "with-provider",
        "completed",
        "write",
        "sign",
        "addendum",
        "materialize",
    ] {
        assert!(actions.contains(&a), "{a} is audited: {actions:?}");
    }
    let refusals = clinic.json(
        &ADMIN,
        &[
            "audit",
            "report",
            "--username",
            "drhopper",
            "--action",
            "sign",
        ],
    );
    assert_eq!(refusals.as_array().unwrap().len(), 1, "{refusals:#}");
}

#[test]
fn the_audit_trail_verifies_and_reports() {
    let clinic = Clinic::new();
    clinic.add_user(&DESK, "front-desk", "Fran Desk", None);
    let p = clinic.json(
        &DESK,
        &[
            "patient",
            "add",
            "--given",
            "Ada",
            "--family",
            "Lovelace",
            "--dob",
            "1815-12-10",
        ],
    );
    clinic.json(&DESK, &["patient", "show", s(&p, "id")]);
    clinic
        .run_as(&DESK, &["patient", "search", "Lovelace"])
        .ok();

    let v = clinic
        .run_as(&ADMIN, &["audit", "verify", "--json"])
        .ok()
        .json();
    assert_eq!(v["intact"], Value::Bool(true), "{v:#}");
    assert!(v["entries"].as_i64().unwrap() >= 8, "{v:#}");
    assert_eq!(v["first_broken"], Value::Null);

    let report = clinic.json(&ADMIN, &["audit", "report", "--username", "desk"]);
    let actions = column(&report, "action");
    assert_eq!(
        actions,
        ["login", "create", "login", "read", "login", "search"]
    );
    let about_ada = clinic.json(&ADMIN, &["audit", "report", "--patient", s(&p, "id")]);
    assert_eq!(
        column(&about_ada, "category"),
        ["demographics", "demographics"]
    );
    let today = clinic.zone.now().date;
    let limited = clinic.json(
        &ADMIN,
        &[
            "audit", "report", "--from", &today, "--to", &today, "--limit", "2",
        ],
    );
    assert_eq!(limited.as_array().unwrap().len(), 2);

    let csv = clinic
        .run_as(
            &ADMIN,
            &["audit", "report", "--csv", "--category", "security"],
        )
        .ok()
        .stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("seq,at,username,user_id,device_id,patient_id,category,action,record_id,detail")
    );
    assert!(lines.all(|l| l.contains(",security,")), "{csv}");
    clinic
        .run_as(&ADMIN, &["audit", "report", "--csv", "--json"])
        .fails(2, "choose one of --csv and --json");
}

#[test]
fn a_wrong_password_is_refused_and_audited() {
    let clinic = Clinic::new();
    let wrong = User {
        name: "admin",
        password: "not-the-password",
    };
    let out = clinic
        .run_as(&wrong, &["patient", "search", "Lovelace"])
        .fails(1, "the user name or password is not correct");
    assert!(out.stdout.is_empty());
    let nobody = User {
        name: "nobody",
        password: "whatever-it-is",
    };
    clinic
        .run_as(&nobody, &["patient", "search", "Lovelace"])
        .fails(1, "the user name or password is not correct");
    let failed = clinic.json(&ADMIN, &["audit", "report", "--action", "login-failed"]);
    assert_eq!(column(&failed, "username"), ["admin", "nobody"]);
}

#[test]
fn a_missing_data_directory_says_to_run_init() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-clinic-here");
    let out = run(
        &[
            "--data",
            missing.to_str().unwrap(),
            "--user",
            "admin",
            "patient",
            "search",
            "Lovelace",
        ],
        &[("CLINICDESK_PASSWORD", ADMIN.password)],
    )
    .fails(1, "holds no ClinicDesk data");
    assert!(out.stderr.contains("init"), "{}", out.stderr);
    assert!(!missing.exists(), "nothing is created by a failed open");
}

#[test]
fn missing_user_password_or_arguments_are_explained() {
    let clinic = Clinic::new();
    clinic
        .raw(
            &["patient", "search", "Lovelace"],
            &[("CLINICDESK_PASSWORD", ADMIN.password)],
        )
        .fails(2, "--user");
    // No CLINICDESK_PASSWORD and no terminal to ask on.
    clinic
        .raw(&["--user", "admin", "patient", "search", "Lovelace"], &[])
        .fails(1, "CLINICDESK_PASSWORD");
    let bad_date = clinic.run_as(
        &ADMIN,
        &[
            "schedule",
            "materialize",
            "--from",
            "2026-13-40",
            "--to",
            "2026-01-01",
        ],
    );
    assert_eq!(bad_date.code, Some(2), "{bad_date:?}");
    assert!(
        bad_date.stderr.contains("is not a date; use YYYY-MM-DD"),
        "{}",
        bad_date.stderr
    );
    let unknown = clinic.run_as(&ADMIN, &["patient", "teleport"]);
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    clinic
        .run_as(&ADMIN, &["appointment", "book", "--patient", "X1"])
        .fails(1, "no patient with id X1");
    // Asking again for an existing clinic is refused and changes nothing.
    clinic
        .raw(
            &["init", "--admin", "other"],
            &[("CLINICDESK_PASSWORD", "another-password")],
        )
        .fails(1, "already holds ClinicDesk data");
    clinic
        .run_as(&ADMIN, &["patient", "search", "Lovelace"])
        .ok();
}

#[test]
fn preferences_are_checked_and_kept_per_user() {
    let clinic = Clinic::new();
    let prefs = clinic.json(&ADMIN, &["preferences", "show"]);
    assert_eq!(s(&prefs, "theme"), "system");
    let set = clinic.json(&ADMIN, &["preferences", "set", "theme", "Dark"]);
    assert_eq!(s(&set, "value"), "dark");
    assert_eq!(
        s(&clinic.json(&ADMIN, &["preferences", "show"]), "theme"),
        "dark"
    );
    clinic
        .run_as(&ADMIN, &["preferences", "set", "font-size", "99"])
        .fails(1, "font-size must be a whole number from 12 to 28");
}

#[test]
fn rekey_keeps_everything_readable() {
    let clinic = Clinic::new();
    let p = clinic.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Ada",
            "--family",
            "Lovelace",
            "--dob",
            "1815-12-10",
        ],
    );
    let done = clinic.json(&ADMIN, &["rekey"]);
    assert_eq!(done["rekeyed"], Value::Bool(true));
    let found = clinic.json(&ADMIN, &["patient", "search", "Lovelace"]);
    assert_eq!(found[0]["id"], p["id"]);
    clinic.json(&ADMIN, &["rekey"]);
    let shown = clinic.json(&ADMIN, &["patient", "show", s(&p, "mrn")]);
    assert_eq!(s(&shown, "given_name"), "Ada");
    let v = clinic.json(&ADMIN, &["audit", "verify"]);
    assert_eq!(v["intact"], Value::Bool(true), "{v:#}");
    let rekeys = clinic.json(&ADMIN, &["audit", "report", "--action", "rekey"]);
    assert_eq!(rekeys.as_array().unwrap().len(), 2);
}

#[test]
fn a_key_file_store_needs_its_passphrase_and_rekeys() {
    const FIRST: &str = "first key-file passphrase";
    const SECOND: &str = "second key-file passphrase";
    let clinic = Clinic::create(&["--key-file"], &[("CLINICDESK_KEY_PASSPHRASE", FIRST)]);
    assert!(clinic.dir().join("clinicdesk.key").is_file());
    let info = clinic.json(&ADMIN, &["info"]);
    assert_eq!(s(&info, "key_source"), "key-file");
    let p = clinic.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Ada",
            "--family",
            "Lovelace",
            "--dob",
            "1815-12-10",
        ],
    );

    let without = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--user", "admin"];
        all.extend_from_slice(args);
        let mut e = vec![("CLINICDESK_PASSWORD", ADMIN.password)];
        e.extend_from_slice(env);
        clinic.raw(&all, &e)
    };
    without(&["patient", "search", "Lovelace"], &[]).fails(1, "CLINICDESK_KEY_PASSPHRASE");
    without(
        &["patient", "search", "Lovelace"],
        &[("CLINICDESK_KEY_PASSPHRASE", "not the passphrase")],
    )
    .fails(1, "the passphrase does not unlock the key file");

    clinic
        .run_with(
            &ADMIN,
            &["rekey"],
            &[("CLINICDESK_NEW_KEY_PASSPHRASE", "short")],
        )
        .fails(1, "at least 12 characters");
    let rekeyed = clinic
        .run_with(
            &ADMIN,
            &["rekey", "--json"],
            &[("CLINICDESK_NEW_KEY_PASSPHRASE", SECOND)],
        )
        .ok()
        .json();
    assert_eq!(s(&rekeyed, "key_source"), "key-file");
    without(
        &["patient", "search", "Lovelace"],
        &[("CLINICDESK_KEY_PASSPHRASE", FIRST)],
    )
    .fails(1, "the passphrase does not unlock the key file");
    let found = without(
        &["patient", "search", "Lovelace", "--json"],
        &[("CLINICDESK_KEY_PASSPHRASE", SECOND)],
    )
    .ok()
    .json();
    assert_eq!(found[0]["id"], p["id"]);
}

#[test]
fn init_with_a_short_password_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic");
    run(
        &[
            "--data",
            data.to_str().unwrap(),
            "init",
            "--admin",
            "admin",
            "--timezone",
            "UTC",
        ],
        &[("CLINICDESK_PASSWORD", "short")],
    )
    .fails(1, "at least 12 characters");
    assert!(!data.join("store.json").exists());
    run(
        &[
            "--data",
            data.to_str().unwrap(),
            "init",
            "--admin",
            "admin",
            "--timezone",
            "Mars/Olympus",
        ],
        &[("CLINICDESK_PASSWORD", ADMIN.password)],
    )
    .fails(2, "unknown time zone 'Mars/Olympus'");
}

fn fhir_example(name: &str) -> PathBuf {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fetched"));
    let path = base.join("fhir-r4-examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/fetch-test-data.sh",
        path.display()
    );
    path
}

#[test]
fn fhir_import_and_export_through_the_command_line() {
    let clinic = Clinic::new();
    let patient = fhir_example("Patient-example.json");
    let report = clinic.json(&ADMIN, &["fhir", "import", patient.to_str().unwrap()]);
    assert_eq!(report["imported"][0]["resource"], "Patient/example");
    let found = clinic.json(&ADMIN, &["patient", "search", "Chalmers"]);
    assert_eq!(s(&found[0], "birth_date"), "1974-12-25");
    // An animal cannot be a patient: all or nothing, with the reason.
    let animal = fhir_example("Patient-animal.json");
    clinic
        .run_as(&ADMIN, &["fhir", "import", animal.to_str().unwrap()])
        .fails(1, "Patient/animal: it is an animal");
    let out = clinic.dir().join("export.json");
    clinic
        .run_as(&ADMIN, &["fhir", "export", "--out", out.to_str().unwrap()])
        .ok();
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert!(bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["resource"]["birthDate"] == "1974-12-25"));
    // Front-desk staff may not export the clinic.
    let desk = User {
        name: "frontdesk",
        password: "front-desk-password",
    };
    clinic
        .run_with(
            &ADMIN,
            &[
                "user",
                "add",
                desk.name,
                "--role",
                "front-desk",
                "--name",
                "Front Desk",
            ],
            &[("CLINICDESK_NEW_PASSWORD", desk.password)],
        )
        .ok();
    clinic
        .run_as(&desk, &["fhir", "export"])
        .fails(1, "may not export FHIR data");
}

#[test]
fn demo_fills_a_clinic_that_the_other_commands_can_use() {
    let clinic = Clinic::new();
    let report = clinic.json(
        &ADMIN,
        &[
            "demo",
            "--providers",
            "2",
            "--patients",
            "60",
            "--days",
            "21",
        ],
    );
    assert_eq!(report["providers"], 2);
    assert_eq!(report["patients"], 60);
    assert!(report["appointments"].as_u64().unwrap() > 50, "{report:#}");
    let providers = clinic.json(&ADMIN, &["provider", "list"]);
    assert_eq!(providers.as_array().unwrap().len(), 2);
    // The board shows today's visits (none on a weekend: the demo clinic works Monday to Friday).
    let board = clinic.json(&ADMIN, &["flow-board"]);
    assert_eq!(
        board.as_array().unwrap().len() as u64,
        report["today_appointments"].as_u64().unwrap(),
        "{report:#}"
    );
    clinic.run_as(&ADMIN, &["audit", "verify"]).ok();
    // A second run refuses rather than doubling the clinic.
    clinic
        .run_as(
            &ADMIN,
            &[
                "demo",
                "--providers",
                "2",
                "--patients",
                "60",
                "--days",
                "21",
            ],
        )
        .fails(1, "demo");
}

#[test]
fn billers_load_the_code_set_and_set_fees() {
    let clinic = Clinic::new();
    clinic.add_user(&BILLER, "biller", "Bill Biller", None);
    let data = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fetched"));
    let codes = data.join("icd10cm/icd10cm.tsv");
    if !codes.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing; run scripts/fetch-code-sets.sh",
            codes.display()
        );
        return;
    }
    let loaded = clinic.json(
        &BILLER,
        &["codes", "import", "icd10cm", codes.to_str().unwrap()],
    );
    assert!(loaded["codes"].as_u64().unwrap() > 90_000, "{loaded:#}");
    let j20 = clinic.json(&BILLER, &["codes", "show", "j20"]);
    assert_eq!(j20["billable"], false);
    assert_eq!(s(&j20, "description"), "Acute bronchitis");
    let j209 = clinic.run_as(&BILLER, &["codes", "show", "J20.9"]).ok();
    assert_eq!(j209.stdout, "J20.9 Acute bronchitis, unspecified\n");
    clinic
        .run_as(&BILLER, &["codes", "show", "Q99.999"])
        .fails(1, "is not an ICD-10-CM code");

    // Drug names, which the scribe drafts with, are the administrator's.
    let drugs = data.join("drugs/drug-names.tsv");
    let drugs = drugs.to_str().unwrap();
    clinic
        .run_as(&BILLER, &["codes", "import", "drugs", drugs])
        .fails(1, "biller users may not");
    let loaded = clinic.json(&ADMIN, &["codes", "import", "drugs", drugs]);
    assert!(loaded["codes"].as_u64().unwrap() > 70_000, "{loaded:#}");
    clinic
        .run_as(&ADMIN, &["codes", "import", "snomed", drugs])
        .fails(2, "icd10cm or drugs");

    let fee = clinic.json(
        &BILLER,
        &[
            "fee",
            "set",
            "99213",
            "125.00",
            "--description",
            "Office visit, established",
        ],
    );
    assert_eq!(fee["charge_cents"], 12_500);
    clinic
        .run_as(&BILLER, &["fee", "set", "9921", "10", "--description", "x"])
        .fails(1, "is not a CPT or HCPCS code");
    clinic
        .run_as(&ADMIN, &["fee", "list"])
        .fails(1, "prepare claims");
    let list = clinic.json(&BILLER, &["fee", "list"]);
    assert_eq!(column(&list, "code"), ["99213"]);
    clinic
        .run_as(
            &BILLER,
            &[
                "claim",
                "create",
                "--encounter",
                "nope",
                "--dx",
                "J20.9",
                "--line",
                "99213",
            ],
        )
        .fails(1, "no encounter with id nope");
    let aging = clinic.json(&BILLER, &["ar", "aging"]);
    assert_eq!(aging["total_cents"], 0);
}
