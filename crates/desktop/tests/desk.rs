//! The desktop app's behaviour without its window: first run, login and
//! idle lock, and a clinic day from booking to a signed note, on a real
//! encrypted store with its key in the real keychain.

mod common;

use common::{login, PASSWORD};

use chrono::Utc;
use clinicdesk_demo::{morning_zone, DemoSpec};
use clinicdesk_desktop::*;
use clinicdesk_keys::Keychain;
use std::time::Duration;

fn clinic_input() -> NewClinicInput {
    NewClinicInput {
        clinic_name: "Harbour Family Practice".into(),
        admin_username: "admin".into(),
        admin_display_name: "Clinic Admin".into(),
        admin_password: PASSWORD.into(),
        admin_password_confirm: Some(PASSWORD.into()),
        time_zone: Some(morning_zone().name().to_string()),
    }
}

struct Day {
    _dir: tempfile::TempDir,
    desk: Desk,
    clock: ManualClock,
    provider_id: String,
}

/// A clinic open all day, every day, with a physician (`drhale`) and a
/// receptionist (`reception`).
fn clinic_day() -> Day {
    let dir = tempfile::tempdir().unwrap();
    let zone = morning_zone();
    let clinic =
        clinicdesk_demo::open_all_day(dir.path(), zone, Keychain::default(), PASSWORD).unwrap();
    let clock = ManualClock::default();
    let desk = Desk::with_clock(dir.path(), Keychain::default(), Box::new(clock.clone()));
    Day {
        _dir: dir,
        desk,
        clock,
        provider_id: clinic.provider_id,
    }
}

#[test]
fn the_demo_clinic_is_made_with_progress_and_its_admin_logged_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    let today = morning_zone().today();
    let mut phases = Vec::new();
    let status = desk
        .create_demo_clinic(
            &clinic_input(),
            &DemoSpec::new(2, 40, 14, today),
            &mut |p| phases.push(p.phase),
        )
        .unwrap();
    assert!(!phases.is_empty(), "the demo reports its progress");
    assert_eq!(status.phase, Phase::Unlocked);
    assert_eq!(status.home, Some(Home::Audit));
    let directory = desk.directory().unwrap();
    assert_eq!(directory.providers.len(), 2);
    assert!(!directory.appointment_types.is_empty());
    let found = desk
        .search_patients(&SearchInput {
            query: DemoSpec::mrn(0),
            limit: None,
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    // A second demo on the same computer is refused: the clinic exists.
    let e = desk
        .create_demo_clinic(
            &clinic_input(),
            &DemoSpec::new(2, 40, 14, today),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(e.kind, "already-exists");
}

#[test]
fn first_run_refuses_mismatched_passwords_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    assert_eq!(desk.status().phase, Phase::FirstRun);
    let e = desk
        .create_clinic(&NewClinicInput {
            admin_password_confirm: Some("something else entirely".into()),
            ..clinic_input()
        })
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.contains("not the same"), "{}", e.message);
    assert_eq!(desk.status().phase, Phase::FirstRun);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    let e = desk
        .login(&LoginInput {
            username: "admin".into(),
            password: PASSWORD.into(),
            store_passphrase: None,
        })
        .unwrap_err();
    assert_eq!(e.kind, "first-run");

    let status = desk.create_clinic(&clinic_input()).unwrap();
    assert_eq!(
        status.clinic_name.as_deref(),
        Some("Harbour Family Practice")
    );
    assert_eq!(status.session.unwrap().role, clinicdesk_domain::Role::Admin);
    assert!(status.can.manage_users && status.can.read_audit);
    let e = desk.create_clinic(&clinic_input()).unwrap_err();
    assert_eq!(e.kind, "already-exists");

    // A new app on the same folder opens the store and names the clinic
    // on its lock screen.
    let mut again = Desk::new(dir.path(), Keychain::default());
    let locked = again.status();
    assert_eq!(locked.phase, Phase::Locked);
    assert_eq!(
        locked.clinic_name.as_deref(),
        Some("Harbour Family Practice")
    );
    assert!(locked.session.is_none());
    let e = again
        .login(&LoginInput {
            username: "admin".into(),
            password: "not the password at all".into(),
            store_passphrase: None,
        })
        .unwrap_err();
    assert_eq!(e.kind, "bad-login");
    assert_eq!(e.message, "The user name or password is not correct.");
    assert_eq!(again.directory().unwrap_err().kind, "locked");
}

#[test]
fn a_clinic_day_from_booking_to_a_signed_note() {
    let mut day = clinic_day();
    let desk = &mut day.desk;

    let status = login(desk, "reception");
    assert_eq!(status.home, Some(Home::Calendar));
    assert!(status.can.book && !status.can.write_notes);

    let board = desk.day_board(&DayInput::default()).unwrap();
    let column = board
        .columns
        .iter()
        .find(|c| c.provider.provider.id == day.provider_id)
        .expect("the provider works today");
    let now = Utc::now().timestamp();
    let open = column
        .slots
        .iter()
        .find(|s| s.slot.starts_at > now + 600 && s.slot.booked < s.slot.capacity)
        .expect("an open slot later today");
    assert_eq!(open.local_start.len(), "2026-11-22T09:30".len());

    let patient = desk
        .register_patient(&RegisterInput {
            patient: PatientFields {
                given_name: "Ada".into(),
                family_name: "Quill".into(),
                birth_date: "1980-02-29".into(),
                sex: Some("female".into()),
                phone: Some("555-0100".into()),
                ..Default::default()
            },
            coverage: Some(CoverageFields {
                payer_name: "Acme Health".into(),
                payer_id: "ACME1".into(),
                member_id: "M123456".into(),
                relationship: Some("self".into()),
                ..Default::default()
            }),
        })
        .unwrap();
    assert_eq!(patient.coverages.len(), 1);
    let found = desk
        .search_patients(&SearchInput {
            query: "Quill".into(),
            limit: None,
        })
        .unwrap();
    assert_eq!(found[0].id, patient.id);

    let follow_up = desk.directory().unwrap().appointment_types[0].id.clone();
    let booked = desk
        .book(&BookingInput {
            patient_id: patient.id.clone(),
            slot_id: Some(open.slot.id.clone()),
            appointment_type_id: Some(follow_up.clone()),
            reason: Some("cough".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(booked.status, clinicdesk_domain::AppointmentStatus::Booked);
    let e = desk
        .book(&BookingInput {
            patient_id: patient.id.clone(),
            slot_id: Some(open.slot.id.clone()),
            appointment_type_id: Some(follow_up),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(e.kind.as_str(), "conflict" | "invalid"), "{e:?}");
    assert!(e.message.ends_with('.'), "{}", e.message);

    assert!(desk.sync_conflicts().unwrap().is_empty());
    let arrived = desk
        .check_in(&IdInput {
            id: booked.id.clone(),
        })
        .unwrap();
    assert_eq!(
        arrived.status,
        clinicdesk_domain::AppointmentStatus::Arrived
    );
    let flow = desk.flow_board(&DayInput::default()).unwrap();
    let row = flow
        .iter()
        .find(|r| r.row.appointment.id == booked.id)
        .unwrap();
    assert_eq!(row.row.waiting_minutes, Some(0));
    assert_eq!(row.eligibility, None, "no payer settings, no check");
    let e = desk
        .open_encounter(&AppointmentRef {
            appointment_id: booked.id.clone(),
        })
        .unwrap_err();
    assert_eq!(e.kind, "denied");

    let status = login(desk, "drhale");
    assert_eq!(status.home, Some(Home::MyDay));
    let mine = desk.my_day(&DayInput::default()).unwrap();
    assert!(mine.iter().any(|a| a.id == booked.id));
    let visit = desk
        .open_encounter(&AppointmentRef {
            appointment_id: booked.id.clone(),
        })
        .unwrap();
    assert_eq!(visit.patient.id, patient.id);
    assert!(visit.notes.is_empty());
    let draft = desk
        .save_draft(&DraftInput {
            encounter_id: visit.encounter.id.clone(),
            note_id: None,
            format: "soap".into(),
            content: NoteFields {
                subjective: "Dry cough for a week.".into(),
                assessment: "Viral bronchitis.".into(),
                ..Default::default()
            },
        })
        .unwrap();
    assert_eq!(draft.status, "draft");
    let signed = desk
        .sign_note(&NoteRef {
            note_id: draft.id.clone(),
        })
        .unwrap();
    assert_eq!(signed.status, "signed");
    assert_eq!(signed.signed_by_name.as_deref(), Some("Dr Rowan Hale"));
    let e = desk
        .save_draft(&DraftInput {
            encounter_id: visit.encounter.id.clone(),
            note_id: Some(draft.id.clone()),
            format: "soap".into(),
            content: NoteFields::default(),
        })
        .unwrap_err();
    assert!(e.message.to_lowercase().contains("signed"), "{}", e.message);
    let amended = desk
        .add_addendum(&AddendumInput {
            note_id: draft.id.clone(),
            body: "Chest clear on recheck.".into(),
        })
        .unwrap();
    assert_eq!(amended.addenda[0].author_name, "Dr Rowan Hale");
    let reopened = desk
        .open_encounter(&AppointmentRef {
            appointment_id: booked.id.clone(),
        })
        .unwrap();
    assert_eq!(reopened.encounter.id, visit.encounter.id);
    assert_eq!(reopened.notes.len(), 1);

    login(desk, "admin");
    let rows = desk
        .audit_report(&AuditFilterInput {
            username: Some("DrHale".into()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"sign"), "{actions:?}");
    let out = tempfile::tempdir().unwrap();
    let export = desk
        .export_audit_csv(&AuditFilterInput::default(), out.path())
        .unwrap();
    let csv = std::fs::read_to_string(&export.path).unwrap();
    assert!(csv.starts_with("seq,at,username"));
    assert_eq!(csv.lines().count(), export.rows + 1);
    let second = desk
        .export_audit_csv(&AuditFilterInput::default(), out.path())
        .unwrap();
    assert_ne!(
        second.path, export.path,
        "an earlier export is never overwritten"
    );
    assert!(desk.verify_audit().unwrap().intact);
    let e = desk
        .audit_report(&AuditFilterInput {
            from: Some("yesterday".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.message.contains("YYYY-MM-DD"), "{}", e.message);
}

#[test]
fn the_screen_locks_after_the_idle_time_and_activity_keeps_it_open() {
    let mut day = clinic_day();
    let desk = &mut day.desk;
    let status = login(desk, "reception");
    assert_eq!(status.idle_lock_minutes, 5);

    day.clock.advance(Duration::from_secs(4 * 60));
    desk.activity().unwrap();
    day.clock.advance(Duration::from_secs(4 * 60));
    desk.directory().expect("activity restarted the idle timer");

    day.clock.advance(Duration::from_secs(5 * 60));
    let e = desk.day_board(&DayInput::default()).unwrap_err();
    assert_eq!(e.kind, "locked");
    assert!(e.message.contains("after 5 minutes"), "{}", e.message);
    let status = desk.status();
    assert_eq!(status.phase, Phase::Locked);
    assert!(status.session.is_none());
    assert!(status.lock_reason.is_some());

    let status = login(desk, "reception");
    assert!(status.lock_reason.is_none());
    let status = desk
        .set_preference(&PreferenceInput {
            key: "idle-lock-minutes".into(),
            value: "1".into(),
        })
        .unwrap();
    assert_eq!(status.idle_lock_minutes, 1);
    let e = desk
        .set_preference(&PreferenceInput {
            key: "idle-lock-minutes".into(),
            value: "0".into(),
        })
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    day.clock.advance(Duration::from_secs(61));
    assert_eq!(desk.status().phase, Phase::Locked);

    // The screens' own idle timer locks with the same explanation; the
    // Lock button needs none.
    login(desk, "reception");
    let status = desk.lock(true);
    assert!(status.lock_reason.unwrap().contains("after 1 minute"));
    login(desk, "reception");
    assert_eq!(desk.lock(false).lock_reason, None);
}

#[test]
fn only_administrators_choose_where_updates_come_from() {
    let mut day = clinic_day();
    let desk = &mut day.desk;
    login(desk, "reception");
    let settings = desk.update_settings().unwrap();
    assert_eq!(settings.source, None);
    assert!(!settings.can_change);
    let e = desk
        .set_update_source(&UpdateSourceInput {
            url: Some("https://updates.example.org/latest.json".into()),
        })
        .unwrap_err();
    assert_eq!(e.kind, "denied");

    login(desk, "admin");
    let e = desk
        .set_update_source(&UpdateSourceInput {
            url: Some("http://updates.example.org/latest.json".into()),
        })
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.contains("https://"), "{}", e.message);
    let settings = desk
        .set_update_source(&UpdateSourceInput {
            url: Some(" https://updates.example.org/latest.json ".into()),
        })
        .unwrap();
    assert_eq!(
        settings.source.as_deref(),
        Some("https://updates.example.org/latest.json")
    );
    assert!(settings.can_change);
    let rows = desk
        .audit_report(&AuditFilterInput {
            category: Some("updates".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].detail.contains("updates.example.org"));

    // The background check reads it with nobody logged in.
    desk.lock(false);
    assert_eq!(
        desk.update_source().as_deref(),
        Some("https://updates.example.org/latest.json")
    );
    login(desk, "admin");
    let cleared = desk
        .set_update_source(&UpdateSourceInput { url: None })
        .unwrap();
    assert_eq!(cleared.source, None);
    assert_eq!(desk.update_source(), None);
}

#[test]
fn a_key_file_store_opens_with_its_passphrase_at_the_lock_screen() {
    use clinicdesk_store::{KeySetup, NewClinic, NewUser, Store};
    let dir = tempfile::tempdir().unwrap();
    let passphrase = "a long store passphrase";
    let (store, _) = Store::create(
        dir.path(),
        NewClinic {
            name: "Key File Clinic".into(),
            timezone: morning_zone(),
            admin: NewUser {
                username: "admin".into(),
                display_name: "Clinic Admin".into(),
                role: clinicdesk_domain::Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::KeyFile {
                passphrase: passphrase.into(),
            },
        },
    )
    .unwrap();
    drop(store);

    let mut desk = Desk::new(dir.path(), Keychain::default());
    let status = desk.status();
    assert_eq!(status.phase, Phase::Locked);
    assert!(status.store_passphrase_needed);
    let login = |store_passphrase: Option<&str>| LoginInput {
        username: "admin".into(),
        password: PASSWORD.into(),
        store_passphrase: store_passphrase.map(str::to_string),
    };
    let e = desk.login(&login(None)).unwrap_err();
    assert_eq!(e.kind, "store-passphrase");
    let e = desk
        .login(&login(Some("not the store passphrase")))
        .unwrap_err();
    assert_eq!(e.kind, "key");
    assert!(
        e.message.contains("passphrase does not unlock"),
        "{}",
        e.message
    );
    assert!(desk.status().store_passphrase_needed);

    let status = desk.login(&login(Some(passphrase))).unwrap();
    assert_eq!(status.phase, Phase::Unlocked);
    assert!(!status.store_passphrase_needed);
    assert_eq!(status.clinic_name.as_deref(), Some("Key File Clinic"));
    // Once open the store stays open: after a lock only the password is asked.
    desk.lock(false);
    assert!(!desk.status().store_passphrase_needed);
    desk.login(&login(None)).unwrap();
    // The sync worker opens its own connection with what the desk was given.
    let unlock = desk.unlock().lock().unwrap().clone();
    Store::open(dir.path(), &unlock).expect("the worker can open the store");
}
