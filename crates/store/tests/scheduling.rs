//! Schedules, slots and booking rules.

mod common;

use chrono::{Duration, NaiveDate, NaiveTime};
use clinicdesk_domain::local_time::parse_local_datetime;
use clinicdesk_domain::{AppointmentStatus, ClinicZone};
use clinicdesk_store::*;
use common::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Ny {
    _dir: tempfile::TempDir,
    store: Store,
    admin: Session,
    provider: Provider,
    location: Location,
    visit: AppointmentType,
}

/// A New York clinic (with daylight saving), Monday mornings 09:00–12:00.
fn new_york() -> Ny {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), ClinicZone::parse("America/New_York").unwrap());
    let provider = store
        .add_provider(
            &admin,
            NewProvider {
                given_name: "Rosalind".into(),
                family_name: "Franklin".into(),
                npi: Some("1234567893".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let location = store
        .add_location(
            &admin,
            NewLocation {
                name: "Harbour".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let visit = store
        .add_appointment_type(
            &admin,
            NewAppointmentType {
                name: "Visit".into(),
                duration_minutes: 30,
                color: "#ff8800".into(),
                capacity: 1,
            },
        )
        .unwrap();
    store
        .add_template(
            &admin,
            &TemplateInput {
                provider_id: provider.id.clone(),
                location_id: location.id.clone(),
                weekday: 1,
                start_time: "09:00".into(),
                end_time: "12:00".into(),
                slot_minutes: 30,
                appointment_type_id: None,
                effective_from: "2030-01-01".into(),
                effective_to: None,
            },
        )
        .unwrap();
    Ny {
        _dir: dir,
        store,
        admin,
        provider,
        location,
        visit,
    }
}

#[test]
fn materializing_is_idempotent_and_keeps_local_time_across_daylight_saving() {
    let mut c = new_york();
    // 2030-03-10 is the spring change; Mondays 4 and 11 March straddle it.
    let first = c
        .store
        .materialize(&c.admin, d("2030-03-01"), d("2030-03-31"))
        .unwrap();
    assert_eq!(first.created, 4 * 6, "four Mondays of six slots");
    let again = c
        .store
        .materialize(&c.admin, d("2030-03-01"), d("2030-03-31"))
        .unwrap();
    assert_eq!((again.created, again.removed, again.unchanged), (0, 0, 24));
    let zone = c.store.zone();
    let (from, to) = (
        zone.day_bounds(d("2030-03-04")).0,
        zone.day_bounds(d("2030-03-12")).1,
    );
    let slots = c.store.slots(&c.provider.id, from, to).unwrap();
    let local: Vec<String> = slots
        .iter()
        .map(|s| zone.to_local(s.starts_at).format("%d %H:%M").to_string())
        .collect();
    assert_eq!(local[0], "04 09:00");
    assert_eq!(
        local[6], "11 09:00",
        "09:00 stays 09:00 after the clocks change"
    );
    assert_eq!(slots[6].starts_at - slots[0].starts_at, 7 * 86400 - 3600);
}

#[test]
fn changing_a_template_never_touches_booked_appointments() {
    let mut c = new_york();
    c.store
        .materialize(&c.admin, d("2030-01-07"), d("2030-01-20"))
        .unwrap();
    let p = c
        .store
        .add_patient(
            &c.admin,
            &PatientInput {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                birth_date: "1815-12-10".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let booked = c
        .store
        .book(
            &c.admin,
            &BookingRequest {
                patient_id: p.id.clone(),
                start: Some(parse_local_datetime("2030-01-14T10:00").unwrap()),
                provider_id: Some(c.provider.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    // The template ends before that Monday; only the unbooked slots go.
    let t = c.store.templates(Some(&c.provider.id)).unwrap().remove(0);
    c.store
        .end_template(&c.admin, &t.id, d("2030-01-10"))
        .unwrap();
    let report = c
        .store
        .materialize(&c.admin, d("2030-01-07"), d("2030-01-20"))
        .unwrap();
    assert_eq!(report.removed, 5);
    assert_eq!(report.kept_booked, 1);
    let after = c.store.appointment(&c.admin, &booked.id).unwrap();
    assert_eq!(after, booked, "the appointment is exactly as it was");
    assert!(c.store.slot(booked.slot_id.as_ref().unwrap()).is_ok());
}

#[test]
fn a_time_inside_the_spring_gap_is_refused_with_a_reason() {
    let mut c = new_york();
    let p = c
        .store
        .add_patient(
            &c.admin,
            &PatientInput {
                given_name: "Night".into(),
                family_name: "Owl".into(),
                birth_date: "1990-01-01".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let err = c
        .store
        .book(
            &c.admin,
            &BookingRequest {
                patient_id: p.id,
                start: Some(parse_local_datetime("2030-03-10T02:30").unwrap()),
                provider_id: Some(c.provider.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                overbook_reason: Some("urgent".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn overlapping_templates_for_one_provider_are_refused() {
    let mut c = new_york();
    let err = c
        .store
        .add_template(
            &c.admin,
            &TemplateInput {
                provider_id: c.provider.id.clone(),
                location_id: c.location.id.clone(),
                weekday: 1,
                start_time: "11:00".into(),
                end_time: "13:00".into(),
                slot_minutes: 30,
                appointment_type_id: None,
                effective_from: "2030-02-01".into(),
                effective_to: None,
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("already has a block 09:00–12:00"),
        "{err}"
    );
}

#[test]
fn double_booking_is_refused_and_overbooking_needs_a_reason() {
    let mut c = clinic();
    let (ada, bob) = (c.patient("Ada", "Lovelace"), c.patient("Bob", "Builder"));
    let at = c.later_today(60);
    c.book_at(&ada, at).unwrap();
    let err = c.book_at(&bob, at).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    assert!(
        err.to_string()
            .contains("Grace Hopper is already booked at"),
        "{err}"
    );
    let over = c
        .store
        .book(
            &c.desk,
            &BookingRequest {
                patient_id: bob.id.clone(),
                start: Some(at),
                provider_id: Some(c.provider.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                overbook_reason: Some("Acute pain, doctor agreed".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        over.overbook_reason.as_deref(),
        Some("Acute pain, doctor agreed")
    );
}

#[test]
fn a_patient_cannot_be_in_two_places_even_when_overbooking() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    let other = c
        .store
        .add_provider(
            &c.admin,
            NewProvider {
                given_name: "Alan".into(),
                family_name: "Turing".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let at = c.later_today(60);
    c.book_at(&ada, at).unwrap();
    let err = c
        .store
        .book(
            &c.desk,
            &BookingRequest {
                patient_id: ada.id.clone(),
                start: Some(at + Duration::minutes(5)),
                provider_id: Some(other.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                overbook_reason: Some("squeeze in".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the patient already has an appointment with Grace Hopper"),
        "{err}"
    );
}

#[test]
fn booking_outside_the_schedule_or_in_an_exception_is_refused() {
    let mut c = new_york();
    c.store
        .materialize(&c.admin, d("2030-01-07"), d("2030-01-07"))
        .unwrap();
    let p = c
        .store
        .add_patient(
            &c.admin,
            &PatientInput {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                birth_date: "1815-12-10".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let req = |start: &str| BookingRequest {
        patient_id: p.id.clone(),
        start: Some(parse_local_datetime(start).unwrap()),
        provider_id: Some(c.provider.id.clone()),
        location_id: Some(c.location.id.clone()),
        appointment_type_id: Some(c.visit.id.clone()),
        ..Default::default()
    };
    let err = c
        .store
        .book(&c.admin, &req("2030-01-07T13:00"))
        .unwrap_err();
    assert!(
        err.to_string().contains("has no open schedule here"),
        "{err}"
    );
    let err = c
        .store
        .book(&c.admin, &req("2030-01-07T11:45"))
        .unwrap_err();
    assert!(
        err.to_string().contains("no open schedule"),
        "a visit running past the block: {err}"
    );
    let ex = c
        .store
        .add_exception(
            &c.admin,
            &ExceptionInput {
                provider_id: Some(c.provider.id.clone()),
                location_id: None,
                kind: "leave".into(),
                starts: "2030-01-07T00:00".into(),
                ends: "2030-01-08T00:00".into(),
                reason: "Conference".into(),
            },
        )
        .unwrap();
    assert!(ex.affected_appointments.is_empty());
    let err = c
        .store
        .book(&c.admin, &req("2030-01-07T09:00"))
        .unwrap_err();
    assert!(
        err.to_string().contains("unavailable") && err.to_string().contains("leave: Conference"),
        "{err}"
    );
    let mut forced = req("2030-01-07T09:00");
    forced.overbook_reason = Some("Doctor is back for this one".into());
    assert!(c.store.book(&c.admin, &forced).is_ok());
}

#[test]
fn group_visits_fill_a_slot_up_to_capacity() {
    let mut c = new_york();
    c.store
        .add_template(
            &c.admin,
            &TemplateInput {
                provider_id: c.provider.id.clone(),
                location_id: c.location.id.clone(),
                weekday: 2,
                start_time: "14:00".into(),
                end_time: "15:00".into(),
                slot_minutes: 60,
                appointment_type_id: None,
                effective_from: "2030-01-01".into(),
                effective_to: None,
            },
        )
        .unwrap();
    let class = c
        .store
        .add_appointment_type(
            &c.admin,
            NewAppointmentType {
                name: "Diabetes class".into(),
                duration_minutes: 60,
                color: "#00aa55".into(),
                capacity: 2,
            },
        )
        .unwrap();
    // Slots made before the template knew the type hold one patient; a typed template holds two.
    let t2 = c
        .store
        .templates(Some(&c.provider.id))
        .unwrap()
        .into_iter()
        .find(|t| t.weekday == 2)
        .unwrap();
    c.store
        .end_template(&c.admin, &t2.id, d("2029-12-31"))
        .unwrap();
    c.store
        .add_template(
            &c.admin,
            &TemplateInput {
                provider_id: c.provider.id.clone(),
                location_id: c.location.id.clone(),
                weekday: 2,
                start_time: "14:00".into(),
                end_time: "15:00".into(),
                slot_minutes: 60,
                appointment_type_id: Some(class.id.clone()),
                effective_from: "2030-01-01".into(),
                effective_to: None,
            },
        )
        .unwrap();
    c.store
        .materialize(&c.admin, d("2030-01-08"), d("2030-01-08"))
        .unwrap();
    let mut book = |given: &str| {
        let p = c
            .store
            .add_patient(
                &c.admin,
                &PatientInput {
                    given_name: given.into(),
                    family_name: "Class".into(),
                    birth_date: "1960-05-05".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        c.store.book(
            &c.admin,
            &BookingRequest {
                patient_id: p.id,
                start: Some(parse_local_datetime("2030-01-08T14:00").unwrap()),
                provider_id: Some(c.provider.id.clone()),
                location_id: Some(c.location.id.clone()),
                appointment_type_id: Some(class.id.clone()),
                ..Default::default()
            },
        )
    };
    let a = book("Ann").unwrap();
    let b = book("Ben").unwrap();
    assert_eq!(a.slot_id, b.slot_id);
    let err = book("Cat").unwrap_err();
    assert!(err.to_string().contains("is full (2 of 2 booked)"), "{err}");
}

#[test]
fn next_available_finds_only_what_booking_accepts() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    let today = c.today();
    let after = NaiveTime::from_hms_opt(0, 0, 0)
        .unwrap()
        .max(c.later_today(60).time());
    let q = NextAvailableQuery {
        appointment_type_id: c.visit.id.clone(),
        provider_id: Some(c.provider.id.clone()),
        location_id: None,
        from: today,
        to: today + Duration::days(2),
        earliest: Some(after),
        latest: None,
        limit: 3,
    };
    let first = c.store.next_available(&c.desk, &q).unwrap();
    assert_eq!(first.len(), 3);
    let booked = c
        .store
        .book(
            &c.desk,
            &BookingRequest {
                patient_id: ada.id.clone(),
                slot_id: Some(first[0].slot_id.clone()),
                appointment_type_id: Some(c.visit.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(booked.starts_at, first[0].starts_at);
    let next = c.store.next_available(&c.desk, &q).unwrap();
    assert_eq!(
        next[0].starts_at, first[1].starts_at,
        "the booked slot is no longer offered"
    );
    for open in next {
        assert!(c.store.zone().to_local(open.starts_at).time() >= after);
    }
}

#[test]
fn the_lifecycle_allows_only_legal_moves_and_records_each() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    let at = c.later_today(30);
    let a = c.book_at(&ada, at).unwrap();
    let err = c
        .store
        .set_status(&c.desk, &a.id, AppointmentStatus::NoShow, None)
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be a no-show before then"),
        "{err}"
    );
    let err = c
        .store
        .set_status(&c.desk, &a.id, AppointmentStatus::Completed, None)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Denied { .. }),
        "front desk cannot complete a visit: {err}"
    );
    c.store
        .set_status(&c.desk, &a.id, AppointmentStatus::Confirmed, None)
        .unwrap();
    let arrived = c.store.check_in(&c.desk, &a.id).unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
    assert!(arrived.arrived_at.is_some());
    let err = c
        .store
        .set_status(&c.doctor, &a.id, AppointmentStatus::Completed, None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err}");
    assert!(
        err.to_string()
            .contains("checked in cannot become completed"),
        "{err}"
    );
    let room = c.store.rooms(&c.location.id).unwrap().remove(0);
    c.store.room(&c.doctor, &a.id, Some(&room.id)).unwrap();
    c.store
        .set_status(&c.doctor, &a.id, AppointmentStatus::WithProvider, None)
        .unwrap();
    let done = c
        .store
        .set_status(&c.doctor, &a.id, AppointmentStatus::Completed, None)
        .unwrap();
    assert_eq!(done.room_name.as_deref(), Some(room.name.as_str()));
    let err = c.store.cancel(&c.desk, &a.id, "changed mind").unwrap_err();
    assert!(
        err.to_string()
            .contains("completed and can no longer become cancelled"),
        "{err}"
    );
    let history = c.store.appointment_history(&c.desk, &a.id).unwrap();
    let steps: Vec<&str> = history.iter().map(|e| e.to_status.as_str()).collect();
    assert_eq!(
        steps,
        [
            "booked",
            "confirmed",
            "arrived",
            "roomed",
            "with-provider",
            "completed"
        ]
    );
}

#[test]
fn cancelling_needs_a_reason_and_frees_the_slot() {
    let mut c = clinic();
    let (ada, bob) = (c.patient("Ada", "Lovelace"), c.patient("Bob", "Builder"));
    let at = c.later_today(90);
    let a = c.book_at(&ada, at).unwrap();
    let err = c
        .store
        .set_status(&c.desk, &a.id, AppointmentStatus::Cancelled, None)
        .unwrap_err();
    assert!(err.to_string().contains("say why"), "{err}");
    let cancelled = c
        .store
        .cancel(&c.desk, &a.id, "Patient called, feeling better")
        .unwrap();
    assert_eq!(
        cancelled.cancel_reason.as_deref(),
        Some("Patient called, feeling better")
    );
    assert!(
        c.book_at(&bob, at).is_ok(),
        "the cancelled place can be booked again"
    );
}

#[test]
fn rescheduling_links_old_and_new_and_checks_the_new_time() {
    let mut c = clinic();
    let (ada, bob) = (c.patient("Ada", "Lovelace"), c.patient("Bob", "Builder"));
    let (t1, t2) = (c.later_today(60), c.later_today(120));
    let a = c.book_at(&ada, t1).unwrap();
    c.book_at(&bob, t2).unwrap();
    let err = c
        .store
        .reschedule(
            &c.desk,
            &a.id,
            &BookingRequest {
                start: Some(t2),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("already booked"), "{err}");
    let unchanged = c.store.appointment(&c.desk, &a.id).unwrap();
    assert_eq!(
        unchanged.status,
        AppointmentStatus::Booked,
        "a refused reschedule changes nothing"
    );
    let t3 = t2 + Duration::minutes(30);
    let moved = c
        .store
        .reschedule(
            &c.desk,
            &a.id,
            &BookingRequest {
                start: Some(t3),
                ..Default::default()
            },
        )
        .unwrap();
    let old = c.store.appointment(&c.desk, &a.id).unwrap();
    assert_eq!(old.status, AppointmentStatus::Cancelled);
    assert_eq!(old.cancel_reason.as_deref(), Some("rescheduled"));
    assert_eq!(old.rescheduled_to.as_deref(), Some(moved.id.as_str()));
    assert_eq!(moved.rescheduled_from.as_deref(), Some(a.id.as_str()));
    assert_eq!(moved.patient_id, ada.id);
}

#[test]
fn the_flow_board_shows_todays_visits_with_waits() {
    let mut c = clinic();
    let (ada, bob) = (c.patient("Ada", "Lovelace"), c.patient("Bob", "Builder"));
    let a = c.book_at(&ada, c.later_today(30)).unwrap();
    c.book_at(&bob, c.later_today(45)).unwrap();
    c.store.check_in(&c.desk, &a.id).unwrap();
    let board = c
        .store
        .flow_board(&c.desk, Some(&c.location.id), None)
        .unwrap();
    assert_eq!(board.len(), 2);
    let first = &board[0];
    assert_eq!(first.appointment.patient_name, "Lovelace, Ada");
    assert_eq!(first.appointment.status, AppointmentStatus::Arrived);
    assert_eq!(first.waiting_minutes, Some(0));
    assert_eq!(board[1].waiting_minutes, None, "Bob has not arrived");
    let week = c
        .store
        .week_view(&c.doctor, &c.provider.id, c.today())
        .unwrap();
    assert_eq!(week.appointments.len(), 2);
    assert!(!week.slots.is_empty());
}

/// The calendar counts each slot's active bookings in one query; it must
/// agree with the slot looked up on its own (counted per slot).
#[test]
fn the_week_view_counts_each_slots_bookings() {
    let mut c = clinic();
    let (ada, bob) = (c.patient("Ada", "Lovelace"), c.patient("Bob", "Byron"));
    let tomorrow = c.today() + Duration::days(1);
    let at = |h| tomorrow.and_hms_opt(h, 0, 0).unwrap();
    let kept = c.book_at(&ada, at(9)).unwrap();
    let cancelled = c.book_at(&bob, at(10)).unwrap();
    c.store
        .cancel(&c.desk, &cancelled.id, "patient called")
        .unwrap();
    let view = c
        .store
        .week_view(&c.desk, &c.provider.id, tomorrow)
        .unwrap();
    assert!(view.slots.len() > 100);
    for s in &view.slots {
        assert_eq!(
            s.booked,
            c.store.slot(&s.id).unwrap().booked,
            "slot at {}",
            s.starts_at
        );
    }
    let booked: Vec<_> = view.slots.iter().filter(|s| s.booked > 0).collect();
    assert_eq!(booked.len(), 1, "a cancelled visit frees its slot");
    assert_eq!(Some(&booked[0].id), kept.slot_id.as_ref());
}

/// A recorded visit (an import, the demo generator) may name a slot only if
/// it is that provider's, at that location, and the visit starts inside it.
#[test]
fn a_recorded_visit_must_fit_its_slot() {
    let mut c = clinic();
    let ada = c.patient("Ada", "Lovelace");
    let tomorrow = c.today() + Duration::days(1);
    let view = c
        .store
        .week_view(&c.admin, &c.provider.id, tomorrow)
        .unwrap();
    let slot = view.slots[10].clone();
    let record = |starts_at: i64, location: &str| RecordedAppointment {
        patient_id: ada.id.clone(),
        provider_id: c.provider.id.clone(),
        location_id: location.to_string(),
        appointment_type_id: c.visit.id.clone(),
        slot_id: Some(slot.id.clone()),
        starts_at,
        ends_at: starts_at + 900,
        status: AppointmentStatus::Booked,
        reason: None,
        cancel_reason: None,
    };
    let outside = record(slot.ends_at, &c.location.id);
    let err = c
        .store
        .write(&c.admin, |tx| tx.record_appointment(&outside))
        .unwrap_err();
    assert!(
        err.to_string().contains("does not start within its slot"),
        "{err}"
    );
    let other = c
        .store
        .add_location(
            &c.admin,
            NewLocation {
                name: "Annex".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let elsewhere = record(slot.starts_at, &other.id);
    let err = c
        .store
        .write(&c.admin, |tx| tx.record_appointment(&elsewhere))
        .unwrap_err();
    assert!(
        err.to_string().contains("another provider or location"),
        "{err}"
    );
    let fits = record(slot.starts_at, &c.location.id);
    c.store
        .write(&c.admin, |tx| tx.record_appointment(&fits))
        .unwrap();
    assert_eq!(c.store.slot(&slot.id).unwrap().booked, 1);
}
