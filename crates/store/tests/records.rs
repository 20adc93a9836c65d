//! Patients, notes, permissions, preferences, the audit trail and the change log.

mod common;

use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::{AppointmentStatus, Role};
use clinicdesk_store::*;
use common::*;

fn checked_in_visit(c: &mut Clinic) -> (Patient, Appointment, Encounter) {
    let ada = c.patient("Ada", "Lovelace");
    let a = c.book_at(&ada, c.later_today(30)).unwrap();
    c.store.check_in(&c.desk, &a.id).unwrap();
    let e = c.store.open_encounter(&c.doctor, &a.id).unwrap();
    (ada, a, e)
}

fn soap(s: &str) -> NoteContent {
    NoteContent {
        subjective: format!("{s}: cough for three days"),
        objective: "T 37.9, chest clear".into(),
        assessment: "Viral bronchitis".into(),
        plan: "Fluids, rest, review in a week".into(),
        body: String::new(),
    }
}

#[test]
fn a_signed_note_never_changes_and_corrections_are_addenda() {
    let mut c = clinic();
    let (_, _, e) = checked_in_visit(&mut c);
    let draft = c
        .store
        .save_draft(&c.doctor, &e.id, None, NoteFormat::Soap, &soap("first"))
        .unwrap();
    let draft = c
        .store
        .save_draft(
            &c.doctor,
            &e.id,
            Some(&draft.id),
            NoteFormat::Soap,
            &soap("second"),
        )
        .unwrap();
    assert_eq!(draft.status, "draft");
    let signed = c.store.sign_note(&c.doctor, &draft.id).unwrap();
    assert_eq!(signed.status, "signed");
    assert_eq!(signed.content_hash.as_ref().map(String::len), Some(64));
    let err = c
        .store
        .save_draft(
            &c.doctor,
            &e.id,
            Some(&draft.id),
            NoteFormat::Soap,
            &soap("third"),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("signed and cannot change"),
        "{err}"
    );
    assert!(
        c.store.sign_note(&c.doctor, &draft.id).is_err(),
        "signing twice is refused"
    );
    let with = c
        .store
        .add_addendum(&c.doctor, &draft.id, "Correction: temperature was 38.1")
        .unwrap();
    assert_eq!(with.addenda.len(), 1);
    assert_eq!(
        with.content, signed.content,
        "the signed text is exactly as signed"
    );
}

#[test]
fn an_empty_note_cannot_be_signed_and_an_encounter_needs_a_checked_in_patient() {
    let mut c = clinic();
    let bob = c.patient("Bob", "Builder");
    let a = c.book_at(&bob, c.later_today(45)).unwrap();
    let err = c.store.open_encounter(&c.doctor, &a.id).unwrap_err();
    assert!(err.to_string().contains("has not been checked in"), "{err}");
    let (_, _, e) = checked_in_visit(&mut c);
    let empty = c
        .store
        .save_draft(
            &c.doctor,
            &e.id,
            None,
            NoteFormat::Bullets,
            &NoteContent::default(),
        )
        .unwrap();
    let err = c.store.sign_note(&c.doctor, &empty.id).unwrap_err();
    assert!(err.to_string().contains("empty note"), "{err}");
}

#[test]
fn the_permission_matrix_is_enforced_by_the_store() {
    let mut c = clinic();
    let (_, a, e) = checked_in_visit(&mut c);
    let note = c
        .store
        .save_draft(&c.doctor, &e.id, None, NoteFormat::Soap, &soap("x"))
        .unwrap();
    let biller = user(&mut c.store, &c.admin, "biller", Role::Biller, None);
    let nurse = user(&mut c.store, &c.admin, "nurse", Role::Nurse, None);
    let denied = |r: Result<Note>| matches!(r, Err(StoreError::Denied { .. }));
    assert!(
        denied(c.store.note(&c.desk, &note.id)),
        "front desk cannot read note bodies"
    );
    assert!(
        denied(c.store.sign_note(&biller, &note.id)),
        "a biller cannot sign"
    );
    assert!(
        denied(c.store.sign_note(&nurse, &note.id)),
        "a nurse cannot sign"
    );
    assert!(
        c.store.note(&biller, &note.id).is_ok(),
        "billers read notes to code them"
    );
    assert!(c
        .store
        .save_draft(
            &nurse,
            &e.id,
            Some(&note.id),
            NoteFormat::Soap,
            &soap("nurse")
        )
        .is_ok());
    let err = c.store.note(&c.desk, &note.id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "front-desk users may not read clinical notes"
    );
    assert!(matches!(
        c.store.add_user(
            &c.desk,
            NewUser {
                username: "x1".into(),
                display_name: "X".into(),
                role: Role::Admin,
                password: PASSWORD.into(),
                provider_id: None
            }
        ),
        Err(StoreError::Denied { .. })
    ));
    assert!(matches!(
        c.store.list_users(&c.doctor),
        Err(StoreError::Denied { .. })
    ));
    assert!(matches!(
        c.store.audit_report(&c.desk, &AuditFilter::default()),
        Err(StoreError::Denied { .. })
    ));
    assert!(matches!(
        c.store
            .set_status(&biller, &a.id, AppointmentStatus::Cancelled, Some("x")),
        Err(StoreError::Denied { .. })
    ));
}

#[test]
fn logins_check_the_password_and_are_audited() {
    let mut c = clinic();
    assert!(matches!(
        c.store.login("desk", "wrong password!!"),
        Err(StoreError::BadLogin)
    ));
    assert!(matches!(
        c.store.login("nobody", PASSWORD),
        Err(StoreError::BadLogin)
    ));
    c.store.set_user_active(&c.admin, "desk", false).unwrap();
    assert!(
        matches!(c.store.login("desk", PASSWORD), Err(StoreError::BadLogin)),
        "inactive users cannot log in"
    );
    let failed = c
        .store
        .audit_report(
            &c.admin,
            &AuditFilter {
                action: Some("login-failed".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(c
        .store
        .add_user(
            &c.admin,
            NewUser {
                username: "short".into(),
                display_name: "S".into(),
                role: Role::Nurse,
                password: "short".into(),
                provider_id: None
            }
        )
        .is_err());
}

#[test]
fn every_phi_access_is_audited_with_who_what_and_which_patient() {
    let mut c = clinic();
    let (ada, a, e) = checked_in_visit(&mut c);
    let note = c
        .store
        .save_draft(&c.doctor, &e.id, None, NoteFormat::Soap, &soap("x"))
        .unwrap();
    c.store.note(&c.doctor, &note.id).unwrap();
    c.store.patient(&c.desk, &ada.id).unwrap();
    let rows = c
        .store
        .audit_report(
            &c.admin,
            &AuditFilter {
                patient_id: Some(ada.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let seen: Vec<(String, &str, &str)> = rows
        .iter()
        .map(|r| (r.username.clone(), r.category.as_str(), r.action.as_str()))
        .collect();
    for want in [
        ("desk", "demographics", "create"),
        ("desk", "appointment", "book"),
        ("desk", "appointment", "arrived"),
        ("hopper", "encounter", "create"),
        ("hopper", "note", "write"),
        ("hopper", "note", "read"),
        ("desk", "demographics", "read"),
    ] {
        assert!(
            seen.iter().any(|s| (s.0.as_str(), s.1, s.2) == want),
            "missing {want:?} in {seen:?}"
        );
    }
    assert!(rows.iter().all(|r| r.device_id == c.store.device_id()));
    assert!(rows
        .iter()
        .any(|r| r.record_id.as_deref() == Some(a.id.as_str())));
}

#[test]
fn audit_verification_finds_the_first_altered_or_removed_entry() {
    let c = clinic();
    let dir = c.dir;
    let mut store = c.store;
    let admin = c.admin;
    let v = store.verify_audit(&admin).unwrap();
    assert!(v.intact && v.entries > 10, "{v:?}");
    drop(store);
    // Someone with the key edits the database behind ClinicDesk's back.
    let cfg = config::StoreConfig::load(dir.path()).unwrap();
    let key = clinicdesk_keys::Keychain::default()
        .require(&cfg.key_account())
        .unwrap();
    let raw = raw_database(&config::db_path(dir.path()), &key, cfg.page_hmac).unwrap();
    raw.execute_batch("DROP TRIGGER audit_is_append_only_update; UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 5;").unwrap();
    drop(raw);
    let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    let v = store.verify_audit(&admin).unwrap();
    assert!(!v.intact);
    assert_eq!(v.first_broken, Some(5));
    assert!(v.problem.unwrap().contains("altered"));
    drop(store);
    let raw = raw_database(&config::db_path(dir.path()), &key, cfg.page_hmac).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_is_append_only_delete; DELETE FROM audit_log WHERE seq >= 3;",
    )
    .unwrap();
    drop(raw);
    let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    let v = store.verify_audit(&admin).unwrap();
    assert!(!v.intact);
    assert_eq!(v.first_broken, Some(3), "{v:?}");
}

#[test]
fn the_audit_trail_refuses_edits_through_sql() {
    let c = clinic();
    let dir = c.dir;
    drop(c.store);
    let cfg = config::StoreConfig::load(dir.path()).unwrap();
    let key = clinicdesk_keys::Keychain::default()
        .require(&cfg.key_account())
        .unwrap();
    let raw = raw_database(&config::db_path(dir.path()), &key, cfg.page_hmac).unwrap();
    let err = raw
        .execute("DELETE FROM audit_log WHERE seq = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = raw.execute("UPDATE notes SET plan = 'x' WHERE status = 'signed'", []);
    assert!(err.is_ok(), "no signed notes yet, so nothing to refuse");
}

#[test]
fn every_write_leaves_a_change_entry_in_the_same_transaction() {
    let mut c = clinic();
    let before = c.store.changes_since(0, 1_000_000).unwrap();
    let ada = c.patient("Ada", "Lovelace");
    let a = c.book_at(&ada, c.later_today(30)).unwrap();
    let after = c
        .store
        .changes_since(before.last().unwrap().seq, 1000)
        .unwrap();
    let tables: Vec<(&str, &str)> = after
        .iter()
        .map(|ch| (ch.table.as_str(), ch.op.as_str()))
        .collect();
    assert_eq!(
        tables,
        [
            ("patients", "insert"),
            ("appointments", "insert"),
            ("appointment_events", "insert")
        ]
    );
    assert_eq!(after[0].record_id, ada.id);
    assert_eq!(after[0].fields["family_name"], "Lovelace");
    assert_eq!(after[1].record_id, a.id);
    assert!(
        after.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "clock stamps increase"
    );
    assert!(after.iter().all(|ch| ch.device_id == c.store.device_id()));
    // A failed write leaves neither a change nor a row behind.
    let last = after.last().unwrap().seq;
    assert!(c.book_at(&ada, c.later_today(30)).is_err());
    assert!(c.store.changes_since(last, 10).unwrap().is_empty());
    // An update records only what changed.
    let mut input = PatientInput {
        given_name: "Ada".into(),
        family_name: "Lovelace".into(),
        birth_date: "1980-04-02".into(),
        sex: Some("female".into()),
        phone: Some("(555) 010-2000".into()),
        ..Default::default()
    };
    input.email = Some("ada@example.org".into());
    c.store.update_patient(&c.desk, &ada.id, &input).unwrap();
    let upd = c.store.changes_since(last, 10).unwrap();
    assert_eq!(upd.len(), 1);
    let fields: Vec<&String> = upd[0].fields.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["email", "updated_at"]);
}

#[test]
fn patients_are_found_by_name_prefix_birth_date_mrn_and_phone() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    c.patient("Adam", "Smith");
    c.patient("Lovell", "Jones");
    let names = |v: Vec<PatientSummary>| {
        v.into_iter()
            .map(|p| format!("{} {}", p.given_name, p.family_name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(c.store.search_patients(&c.desk, "lovel", 10).unwrap()),
        ["Ada Lovelace", "Lovell Jones"]
    );
    assert_eq!(
        names(
            c.store
                .search_patients(&c.desk, "Lovelace, Ad", 10)
                .unwrap()
        ),
        ["Ada Lovelace"]
    );
    assert_eq!(
        names(c.store.search_patients(&c.desk, "ada love", 10).unwrap()),
        ["Ada Lovelace"]
    );
    assert_eq!(
        c.store
            .search_patients(&c.desk, "1980-04-02", 10)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        c.store
            .search_patients(&c.desk, "04/02/1980", 10)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        names(c.store.search_patients(&c.desk, &ada.mrn, 10).unwrap()),
        ["Ada Lovelace"]
    );
    assert_eq!(
        c.store
            .search_patients(&c.desk, "555 010 2000", 10)
            .unwrap()
            .len(),
        3
    );
    assert!(c.store.search_patients(&c.desk, "  ", 10).is_err());
}

#[test]
fn bad_patient_input_is_named_and_nothing_is_written() {
    let mut c = clinic();
    let seq = c
        .store
        .changes_since(0, 1_000_000)
        .unwrap()
        .last()
        .unwrap()
        .seq;
    for (input, expect) in [
        (
            PatientInput {
                given_name: "".into(),
                family_name: "X".into(),
                birth_date: "1990-01-01".into(),
                ..Default::default()
            },
            "given name is required",
        ),
        (
            PatientInput {
                given_name: "A".into(),
                family_name: "X".into(),
                birth_date: "2990-01-01".into(),
                ..Default::default()
            },
            "in the future",
        ),
        (
            PatientInput {
                given_name: "A".into(),
                family_name: "X".into(),
                birth_date: "1990-01-01".into(),
                email: Some("not-an-email".into()),
                ..Default::default()
            },
            "not an email",
        ),
        (
            PatientInput {
                given_name: "A".into(),
                family_name: "X".into(),
                birth_date: "1990-01-01".into(),
                sex: Some("robot".into()),
                ..Default::default()
            },
            "not a valid sex",
        ),
    ] {
        let err = c.store.add_patient(&c.desk, &input).unwrap_err();
        assert!(err.to_string().contains(expect), "{err}");
    }
    assert!(c
        .store
        .changes_since(seq, 10)
        .unwrap()
        .iter()
        .all(|ch| ch.table == "audit_log"));
}

#[test]
fn coverage_is_one_per_priority_and_hidden_from_roles_without_access() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    let cov = CoverageInput {
        priority: 1,
        payer_name: "Acme Health".into(),
        payer_id: "ACME01".into(),
        member_id: "M123456".into(),
        group_number: Some("G77".into()),
        ..Default::default()
    };
    let first = c.store.add_coverage(&c.desk, &ada.id, &cov).unwrap();
    assert_eq!(first.subscriber_name, "Ada Lovelace");
    let err = c.store.add_coverage(&c.desk, &ada.id, &cov).unwrap_err();
    assert!(
        err.to_string()
            .contains("already has an active coverage at priority 1 (Acme Health)"),
        "{err}"
    );
    c.store.end_coverage(&c.desk, &first.id).unwrap();
    c.store.add_coverage(&c.desk, &ada.id, &cov).unwrap();
    assert_eq!(
        c.store.patient(&c.desk, &ada.id).unwrap().coverages.len(),
        2
    );
}

#[test]
fn preferences_take_only_known_values() {
    let mut c = clinic();
    assert_eq!(c.store.preferences(&c.doctor).unwrap()["theme"], "system");
    c.store.set_preference(&c.doctor, "theme", "Dark").unwrap();
    c.store
        .set_preference(&c.doctor, "note-format", "bullets")
        .unwrap();
    let p = c.store.preferences(&c.doctor).unwrap();
    assert_eq!(
        (p["theme"].as_str(), p["note-format"].as_str()),
        ("dark", "bullets")
    );
    assert_eq!(
        c.store.preferences(&c.desk).unwrap()["theme"],
        "system",
        "preferences are per user"
    );
    assert!(c
        .store
        .set_preference(&c.doctor, "theme", "Ada Lovelace 1815-12-10")
        .is_err());
    assert!(c
        .store
        .set_preference(&c.doctor, "last-patient", "Ada")
        .is_err());
}
