//! Two desktops that exchange change logs (as through the clinic server)
//! end up with the same data, by the merge rules of docs/sync-protocol.md.

mod common;

use chrono::Duration;
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_store::*;
use clinicdesk_sync_proto::{Op, ServedChange};
use common::*;

/// A second desktop of the same clinic, with its own device id.
fn second_desktop(zone: clinicdesk_domain::ClinicZone) -> (tempfile::TempDir, Store, Session) {
    another_desktop(zone, "admin-b")
}

/// Another desktop's update of one field, stamped later than anything here.
fn later_update(table: &str, record_id: &str, field: &str, value: &str) -> ServedChange {
    let mut fields = serde_json::Map::new();
    fields.insert(field.into(), value.into());
    ServedChange {
        cursor: 1_000_000,
        change: clinicdesk_sync_proto::ChangeEntry {
            change_id: uuid::Uuid::now_v7().to_string(),
            hlc: format!("{:015}-000000-other-desk", 4_000_000_000_000u64),
            device_id: "other-desk".into(),
            user_id: None,
            table: table.into(),
            record_id: record_id.into(),
            op: Op::Update,
            fields,
        },
    }
}

fn exchange(a: &mut Store, b: &mut Store) -> (MergeReport, MergeReport) {
    let (from_a, from_b) = (served(a), served(b));
    (
        b.apply_remote(&from_a).unwrap(),
        a.apply_remote(&from_b).unwrap(),
    )
}

#[test]
fn a_booking_on_one_desktop_shows_on_the_other_once() {
    let mut c = clinic();
    let (_d, mut b, b_admin) = second_desktop(c.store.zone());
    let ada = c.patient("Ada", "Lovelace");
    let appt = c.book_at(&ada, c.later_today(60)).unwrap();

    let report = b.apply_remote(&served(&c.store)).unwrap();
    assert_eq!(report.refused, 0, "{:?}", b.sync_refusals().unwrap());
    assert!(report.applied > 100, "{report:?}");
    let seen = b.appointment(&b_admin, &appt.id).unwrap();
    assert_eq!(seen, appt);
    assert_eq!(b.sync_cursor().unwrap(), report.cursor.unwrap());

    // Pulling the same page again changes nothing.
    let again = b.apply_remote(&served(&c.store)).unwrap();
    assert_eq!(
        (again.applied, again.known),
        (0, report.applied + report.refused)
    );
    // What B merged is not B's to push.
    assert!(b
        .outbox(0, 1_000_000)
        .unwrap()
        .iter()
        .all(|(_, ch)| ch.device_id == b.device_id()));
    // The merge is audited on B.
    let verify = b.verify_audit(&b_admin).unwrap();
    assert!(verify.intact, "{verify:?}");
}

#[test]
fn concurrent_edits_merge_field_by_field_and_converge() {
    let mut c = clinic();
    let (_d, mut b, b_admin) = second_desktop(c.store.zone());
    let ada = c.patient("Ada", "Lovelace");
    b.apply_remote(&served(&c.store)).unwrap();
    let input = |phone: &str, email: &str| PatientInput {
        given_name: "Ada".into(),
        family_name: "Lovelace".into(),
        birth_date: "1980-04-02".into(),
        sex: Some("female".into()),
        phone: Some(phone.into()),
        email: Some(email.into()),
        ..Default::default()
    };
    // Offline: A changes the phone, B the email, then both the city...
    c.store
        .update_patient(&c.desk, &ada.id, &input("555 010 3000", ""))
        .unwrap();
    b.update_patient(
        &b_admin,
        &ada.id,
        &PatientInput {
            email: Some("ada@example.org".into()),
            ..input("(555) 010-2000", "")
        },
    )
    .unwrap();
    let mut city = input("555 010 3000", "");
    city.city = Some("Bristol".into());
    c.store.update_patient(&c.desk, &ada.id, &city).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut later = PatientInput {
        email: Some("ada@example.org".into()),
        ..input("(555) 010-2000", "")
    };
    later.city = Some("London".into());
    b.update_patient(&b_admin, &ada.id, &later).unwrap();

    let (to_b, to_a) = exchange(&mut c.store, &mut b);
    assert_eq!((to_b.refused, to_a.refused), (0, 0));
    let on_a = c.store.patient(&c.admin, &ada.id).unwrap();
    let on_b = b.patient(&b_admin, &ada.id).unwrap();
    assert_eq!(on_a, on_b, "both desktops agree");
    assert_eq!(
        on_a.phone.as_deref(),
        Some("555 010 3000"),
        "A's phone, set only there"
    );
    assert_eq!(
        on_a.email.as_deref(),
        Some("ada@example.org"),
        "B's email, set only there"
    );
    assert_eq!(on_a.city.as_deref(), Some("London"), "the later city wins");
    assert!(to_a.fields_superseded + to_b.fields_superseded > 0);
}

#[test]
fn a_signed_note_never_changes_through_sync() {
    let mut c = clinic();
    let (_d, mut b, _b_admin) = second_desktop(c.store.zone());
    let ada = c.patient("Ada", "Lovelace");
    let appt = c.book_at(&ada, c.later_today(30)).unwrap();
    c.store.check_in(&c.desk, &appt.id).unwrap();
    let enc = c.store.open_encounter(&c.doctor, &appt.id).unwrap();
    let content = NoteContent {
        subjective: "Cough for a week.".into(),
        ..Default::default()
    };
    let note = c
        .store
        .save_draft(&c.doctor, &enc.id, None, NoteFormat::Soap, &content)
        .unwrap();
    let signed = c.store.sign_note(&c.doctor, &note.id).unwrap();
    b.apply_remote(&served(&c.store)).unwrap();

    // Another desktop claims a later edit of the signed note.
    let forged = later_update("notes", &note.id, "subjective", "Rewritten");
    let report = c.store.apply_remote(std::slice::from_ref(&forged)).unwrap();
    assert_eq!(report.refused, 1);
    let refusals = c.store.sync_refusals().unwrap();
    assert_eq!(refusals[0].change_id, forged.change.change_id);
    assert!(refusals[0].reason.contains("signed note"), "{refusals:?}");
    let after = c.store.note(&c.doctor, &note.id).unwrap();
    assert_eq!(after.content, signed.content);
    // Refused once, known after: pulling it again does not refuse it twice.
    let again = c.store.apply_remote(&[forged]).unwrap();
    assert_eq!((again.refused, again.known), (0, 1));
}

#[test]
fn malformed_changes_are_refused_and_kept() {
    let c = clinic();
    let mut store = c.store;
    let mut fields = serde_json::Map::new();
    fields.insert("no_such_column".into(), 1.into());
    let bad = |table: &str, fields: serde_json::Map<String, serde_json::Value>| ServedChange {
        cursor: 1,
        change: clinicdesk_sync_proto::ChangeEntry {
            change_id: uuid::Uuid::now_v7().to_string(),
            hlc: format!("{:015}-000000-other", 1u64),
            device_id: "other".into(),
            user_id: None,
            table: table.into(),
            record_id: "x".into(),
            op: Op::Insert,
            fields,
        },
    };
    let report = store
        .apply_remote(&[
            bad("patients", fields),
            bad("audit_log", Default::default()),
        ])
        .unwrap();
    assert_eq!(report.refused, 2);
    let reasons: Vec<_> = store
        .sync_refusals()
        .unwrap()
        .into_iter()
        .map(|r| r.reason)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("no column 'no_such_column'")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("not a synced table")),
        "{reasons:?}"
    );
}

#[test]
fn two_offline_desktops_booking_the_same_slot_both_see_the_conflict() {
    let mut c = clinic();
    let (_d, mut b, b_admin) = second_desktop(c.store.zone());
    let ada = c.patient("Ada", "Lovelace");
    let bob = c.patient("Bob", "Byron");
    b.apply_remote(&served(&c.store)).unwrap();
    let at = (c.today() + Duration::days(2))
        .and_hms_opt(10, 0, 0)
        .unwrap();
    // Offline, each books the last place in the 10:00 slot.
    let on_a = c.book_at(&ada, at).unwrap();
    let on_b = b
        .book(
            &b_admin,
            &BookingRequest {
                patient_id: bob.id.clone(),
                start: Some(at),
                provider_id: Some(c.provider.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let (to_b, to_a) = exchange(&mut c.store, &mut b);
    assert_eq!((to_b.conflicts, to_a.conflicts), (1, 1));
    let ca = c.store.sync_conflicts(&c.desk).unwrap();
    let cb = b.sync_conflicts(&b_admin).unwrap();
    assert_eq!(ca.len(), 1);
    assert_eq!(ca[0].id, cb[0].id, "the same conflict on every desktop");
    let mut ids = vec![on_a.id.clone(), on_b.id.clone()];
    ids.sort();
    assert_eq!(ca[0].appointment_ids, ids, "both bookings are kept");

    // The front desk on A moves Bob; once B has that, the conflict is gone there too.
    let before = c.store.outbox(0, 1_000_000).unwrap().len();
    c.store
        .cancel(&c.desk, &on_b.id, "double-booked at merge; rebooked")
        .unwrap();
    assert!(c.store.sync_conflicts(&c.desk).unwrap().is_empty());
    let newer: Vec<_> = served(&c.store).into_iter().skip(before).collect();
    b.apply_remote(&newer).unwrap();
    assert!(b.sync_conflicts(&b_admin).unwrap().is_empty());
    assert_eq!(
        b.appointment(&b_admin, &on_b.id).unwrap().status,
        AppointmentStatus::Cancelled
    );
}

/// Three desktops book the same place offline and hear of one another in
/// different orders: each must end with one conflict naming all three
/// bookings (not a pair left over from the first merge), and after the
/// first of them is cancelled, one conflict of the two left, the same
/// everywhere.
#[test]
fn three_bookings_in_one_slot_make_one_conflict_whatever_the_merge_order() {
    let mut c = clinic();
    let zone = c.store.zone();
    let (_d1, mut b, b_admin) = another_desktop(zone, "admin-b");
    let (_d2, mut d, d_admin) = another_desktop(zone, "admin-d");
    let people = [
        c.patient("Ada", "Lovelace"),
        c.patient("Bob", "Byron"),
        c.patient("Cy", "Young"),
    ];
    b.apply_remote(&served(&c.store)).unwrap();
    d.apply_remote(&served(&c.store)).unwrap();
    let at = (c.today() + Duration::days(2))
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let request = |p: &Patient| BookingRequest {
        patient_id: p.id.clone(),
        start: Some(at),
        provider_id: Some(c.provider.id.clone()),
        location_id: Some(c.location.id.clone()),
        appointment_type_id: Some(c.visit.id.clone()),
        ..Default::default()
    };
    let (ask_b, ask_d) = (request(&people[1]), request(&people[2]));
    let on_a = c.book_at(&people[0], at).unwrap();
    let on_b = b.book(&b_admin, &ask_b).unwrap();
    let on_d = d.book(&d_admin, &ask_d).unwrap();
    let mut all = vec![on_a.id.clone(), on_b.id.clone(), on_d.id.clone()];
    all.sort();

    let (from_a, from_b, from_d) = (served(&c.store), served(&b), served(&d));
    // A hears of B, then of D; B of D, then of A; D of both at once.
    c.store.apply_remote(&from_b).unwrap();
    c.store.apply_remote(&from_d).unwrap();
    b.apply_remote(&from_d).unwrap();
    b.apply_remote(&from_a).unwrap();
    let both: Vec<_> = from_a.iter().chain(&from_b).cloned().collect();
    d.apply_remote(&both).unwrap();

    one_conflict_everywhere(
        [
            c.store.sync_conflicts(&c.desk).unwrap(),
            b.sync_conflicts(&b_admin).unwrap(),
            d.sync_conflicts(&d_admin).unwrap(),
        ],
        &all,
    );

    // The first of the three (the one the group is named from) is cancelled
    // at A; the other two still clash, everywhere.
    let before = c.store.outbox(0, 1_000_000).unwrap().len();
    c.store
        .cancel(&c.desk, &all[0], "moved to Thursday")
        .unwrap();
    let newer: Vec<_> = served(&c.store).into_iter().skip(before).collect();
    b.apply_remote(&newer).unwrap();
    d.apply_remote(&newer).unwrap();
    let two = all[1..].to_vec();
    one_conflict_everywhere(
        [
            c.store.sync_conflicts(&c.desk).unwrap(),
            b.sync_conflicts(&b_admin).unwrap(),
            d.sync_conflicts(&d_admin).unwrap(),
        ],
        &two,
    );
}

/// Every desktop has exactly one open conflict, the same one, about `ids`.
fn one_conflict_everywhere(seen: [Vec<Conflict>; 3], ids: &[String]) {
    for conflicts in &seen {
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].appointment_ids, ids);
        assert_eq!(conflicts[0].id, seen[0][0].id);
    }
}

/// Two offline desktops register different people under the same typed-in
/// MRN: both records are kept everywhere (none refused), every desktop
/// shows the same `duplicate-mrn` conflict, looking the MRN up says it is
/// shared instead of guessing, and once staff give one of them another
/// MRN the conflict closes on both desktops.
#[test]
fn the_same_mrn_typed_on_two_offline_desktops_raises_a_conflict_not_a_refusal() {
    let mut c = clinic();
    let (_d, mut b, b_admin) = second_desktop(c.store.zone());
    b.apply_remote(&served(&c.store)).unwrap();
    let input = |given: &str, family: &str| PatientInput {
        mrn: Some("M777".into()),
        given_name: given.into(),
        family_name: family.into(),
        birth_date: "1990-01-01".into(),
        ..Default::default()
    };
    let ada = c
        .store
        .add_patient(&c.desk, &input("Ada", "Lovelace"))
        .unwrap();
    let bob = b.add_patient(&b_admin, &input("Bob", "Byron")).unwrap();
    // On one desktop the MRN is still refused when it is in use there.
    let e = c
        .store
        .add_patient(&c.desk, &input("Cy", "Young"))
        .unwrap_err();
    assert!(e.to_string().contains("already belongs"), "{e}");

    let (rb, ra) = exchange(&mut c.store, &mut b);
    assert_eq!(
        (rb.refused, ra.refused),
        (0, 0),
        "{:?}",
        b.sync_refusals().unwrap()
    );
    assert_eq!((rb.conflicts, ra.conflicts), (1, 1));
    assert_eq!(c.store.sync_digest().unwrap(), b.sync_digest().unwrap());
    let mut both = vec![ada.id.clone(), bob.id.clone()];
    both.sort();
    let (ca, cb) = (
        c.store.sync_conflicts(&c.desk).unwrap(),
        b.sync_conflicts(&b_admin).unwrap(),
    );
    assert_eq!(ca.len(), 1, "{ca:?}");
    assert_eq!(ca[0].id, cb[0].id, "the same conflict on both desktops");
    assert_eq!(ca[0].patient_ids, cb[0].patient_ids);
    assert_eq!(ca[0].kind, "duplicate-mrn");
    assert_eq!(ca[0].patient_ids, both);
    assert!(ca[0].appointment_ids.is_empty());
    assert!(ca[0].detail.contains("MRN M777"), "{}", ca[0].detail);
    let e = c.store.find_patient(&c.desk, "M777").unwrap_err();
    assert!(e.to_string().contains("more than one patient"), "{e}");
    assert_eq!(c.store.find_patient(&c.desk, &ada.id).unwrap().id, ada.id);

    // The front desk on B gives Bob another MRN; A hears of it.
    let before = b.outbox(0, 1_000_000).unwrap().len();
    let mut fixed = input("Bob", "Byron");
    fixed.mrn = Some("M778".into());
    b.update_patient(&b_admin, &bob.id, &fixed).unwrap();
    assert!(b.sync_conflicts(&b_admin).unwrap().is_empty());
    let newer: Vec<_> = served(&b).into_iter().skip(before).collect();
    c.store.apply_remote(&newer).unwrap();
    assert!(c.store.sync_conflicts(&c.desk).unwrap().is_empty());
    assert_eq!(c.store.find_patient(&c.desk, "M777").unwrap().id, ada.id);
    assert_eq!(c.store.sync_digest().unwrap(), b.sync_digest().unwrap());
}

/// The app writes through one connection while its sync worker merges
/// through another: a change made after a merge must be stamped after what
/// the merge observed, or last-writer-wins would let the older value beat
/// it. Here the other desktop's clock runs ten minutes fast.
#[test]
fn stamps_keep_increasing_across_connections_to_one_store() {
    let mut c = clinic();
    let (_d, mut b, b_admin) = second_desktop(c.store.zone());
    let ada = c.patient("Ada", "Lovelace");
    b.apply_remote(&served(&c.store)).unwrap();
    b.update_patient(
        &b_admin,
        &ada.id,
        &PatientInput {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            birth_date: ada.birth_date.clone(),
            phone: Some("555-0199".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let fast: Vec<ServedChange> = served(&b)
        .into_iter()
        .filter(|s| s.change.table == "patients")
        .map(|mut s| {
            let h: clinicdesk_domain::Hlc = s.change.hlc.parse().unwrap();
            s.change.hlc = clinicdesk_domain::Hlc {
                millis: h.millis + 600_000,
                ..h
            }
            .to_string();
            s
        })
        .collect();
    let newest_remote = fast.iter().map(|s| s.change.hlc.clone()).max().unwrap();

    // The sync worker's own connection merges the fast stamps…
    let mut worker = Store::open(c.dir.path(), &Unlock::default()).unwrap();
    worker.apply_remote(&fast).unwrap();
    // …then the front desk corrects the phone through the app's connection.
    let seen = c
        .store
        .changes_since(0, 1_000_000)
        .unwrap()
        .last()
        .unwrap()
        .seq;
    c.store
        .update_patient(
            &c.desk,
            &ada.id,
            &PatientInput {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                birth_date: ada.birth_date.clone(),
                phone: Some("555-0100".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let remote: clinicdesk_domain::Hlc = newest_remote.parse().unwrap();
    for ch in c.store.changes_since(seen, 1_000_000).unwrap() {
        let mine: clinicdesk_domain::Hlc = ch.hlc.parse().unwrap();
        assert!(mine > remote, "{} is not after {newest_remote}", ch.hlc);
    }
    assert_eq!(
        c.store.patient(&c.desk, &ada.id).unwrap().phone.as_deref(),
        Some("555-0100")
    );
}

/// A joining desktop shows the clinic's own name and time zone once it has
/// merged, and follows an administrator's later change; a change naming a
/// time zone this desktop does not know is refused and changes nothing.
#[test]
fn the_clinic_name_and_time_zone_follow_the_clinic() {
    use clinicdesk_store::clinic::ClinicChange;
    let mut c = clinic();
    let dir = tempfile::tempdir().unwrap();
    let utc = clinicdesk_domain::ClinicZone::parse("UTC").unwrap();
    let key = KeySetup::Keychain(clinicdesk_keys::Keychain::default());
    let mut b = Store::create_joining(dir.path(), "Somewhere", utc, &key).unwrap();
    assert_eq!(b.clinic_name().unwrap(), "Somewhere");

    let report = b.apply_remote(&served(&c.store)).unwrap();
    assert_eq!(report.refused, 0, "{:?}", b.sync_refusals().unwrap());
    assert_eq!(
        b.clinic_settings().unwrap(),
        c.store.clinic_settings().unwrap()
    );
    assert_eq!(b.zone(), c.store.zone());

    let tokyo = clinicdesk_domain::ClinicZone::parse("Asia/Tokyo").unwrap();
    let desk_may_not = c.store.set_clinic_settings(
        &c.desk,
        &ClinicChange {
            name: Some("Elsewhere".into()),
            timezone: None,
        },
    );
    assert!(
        matches!(desk_may_not, Err(StoreError::Denied { .. })),
        "{desk_may_not:?}"
    );
    let renamed = c
        .store
        .set_clinic_settings(
            &c.admin,
            &ClinicChange {
                name: Some("Harbour Health".into()),
                timezone: Some(tokyo),
            },
        )
        .unwrap();
    assert_eq!(renamed.timezone, "Asia/Tokyo");
    assert_eq!(c.store.zone(), tokyo);
    b.apply_remote(&served(&c.store)).unwrap();
    assert_eq!(b.clinic_name().unwrap(), "Harbour Health");
    assert_eq!(b.zone(), tokyo);

    let forged = later_update("clinic_settings", "clinic", "timezone", "Mars/Olympus_Mons");
    let report = b.apply_remote(&[forged]).unwrap();
    assert_eq!(report.refused, 1);
    assert!(
        b.sync_refusals().unwrap()[0]
            .reason
            .contains("Mars/Olympus_Mons"),
        "{:?}",
        b.sync_refusals().unwrap()
    );
    assert_eq!(b.zone(), tokyo);
    drop(b);
    let reopened = Store::open(dir.path(), &Unlock::default()).unwrap();
    assert_eq!(reopened.zone(), tokyo);
}
