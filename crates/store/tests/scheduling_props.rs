//! Whatever sequence of bookings, cancellations and reschedules staff make,
//! the schedule never holds a double booking that nobody chose, nor a
//! patient in two places at once.

mod common;

use chrono::Duration;
use clinicdesk_store::*;
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Book {
        patient: usize,
        quarter: i64,
        overbook: bool,
    },
    Cancel {
        pick: usize,
    },
    Reschedule {
        pick: usize,
        quarter: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..12i64, prop::bool::weighted(0.2)).prop_map(|(patient, quarter, overbook)| Op::Book { patient, quarter, overbook }),
        1 => (0..64usize).prop_map(|pick| Op::Cancel { pick }),
        2 => (0..64usize, 0..12i64).prop_map(|(pick, quarter)| Op::Reschedule { pick, quarter }),
    ]
}

fn overlaps(a: &Appointment, b: &Appointment) -> bool {
    a.starts_at < b.ends_at && b.starts_at < a.ends_at
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_schedule_stays_consistent(ops in prop::collection::vec(op(), 1..40)) {
        let mut c = clinic();
        let patients: Vec<Patient> = ["Ann", "Ben", "Cat", "Dan"].iter().map(|g| c.patient(g, "Prop")).collect();
        let base = c.later_today(60);
        let mut booked: Vec<String> = Vec::new();
        for op in &ops {
            match op {
                Op::Book { patient, quarter, overbook } => {
                    let req = BookingRequest {
                        patient_id: patients[*patient].id.clone(),
                        start: Some(base + Duration::minutes(15 * quarter)),
                        provider_id: Some(c.provider.id.clone()),
                        location_id: Some(c.location.id.clone()),
                        appointment_type_id: Some(c.visit.id.clone()),
                        overbook_reason: overbook.then(|| "chosen by staff".to_string()),
                        ..Default::default()
                    };
                    if let Ok(a) = c.store.book(&c.desk, &req) {
                        booked.push(a.id);
                    }
                }
                Op::Cancel { pick } if !booked.is_empty() => {
                    let id = booked[pick % booked.len()].clone();
                    let _ = c.store.cancel(&c.desk, &id, "patient called");
                }
                Op::Reschedule { pick, quarter } if !booked.is_empty() => {
                    let id = booked[pick % booked.len()].clone();
                    let to = BookingRequest { start: Some(base + Duration::minutes(15 * quarter)), ..Default::default() };
                    if let Ok(a) = c.store.reschedule(&c.desk, &id, &to) {
                        booked.push(a.id);
                    }
                }
                _ => {}
            }
        }
        let day = c.today();
        let view = c.store.calendar(&c.admin, &c.provider.id, day, day + Duration::days(1)).unwrap();
        let active: Vec<&Appointment> = view.appointments.iter().filter(|a| a.status.is_active()).collect();
        for (i, a) in active.iter().enumerate() {
            for b in &active[i + 1..] {
                if overlaps(a, b) {
                    prop_assert!(a.patient_id != b.patient_id, "patient in two places: {a:?} {b:?}");
                    prop_assert!(a.overbook_reason.is_some() || b.overbook_reason.is_some(), "unchosen double booking: {a:?} {b:?}");
                }
            }
        }
        for a in &view.appointments {
            if let Some(to) = &a.rescheduled_to {
                let new = c.store.appointment(&c.admin, to).unwrap();
                prop_assert_eq!(new.rescheduled_from.as_deref(), Some(a.id.as_str()));
                prop_assert_eq!(&new.patient_id, &a.patient_id);
            }
        }
        prop_assert!(c.store.verify_audit(&c.admin).unwrap().intact);
    }
}
