//! The demo clinic, made small and checked through the store's own read
//! operations (no SQL): counts, rules, flow board and audit trail.

use chrono::{Datelike, NaiveDate};
use clinicdesk_demo::{generate, DemoReport, DemoSpec, Progress};
use clinicdesk_domain::{validate, AppointmentStatus, ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{Appointment, KeySetup, NewClinic, NewUser, Session, Store};
use std::collections::{BTreeMap, HashMap};

fn new_store(dir: &std::path::Path) -> (Store, Session) {
    Store::create(
        dir,
        NewClinic {
            name: "Demo Family Practice".into(),
            timezone: ClinicZone::parse("America/New_York").unwrap(),
            admin: NewUser {
                username: "admin".into(),
                display_name: "Clinic Admin".into(),
                role: Role::Admin,
                password: "correct horse battery".into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .expect("create store")
}

/// A Wednesday; the range runs over the March 2026 clock change in New York.
fn spec(seed: u64) -> DemoSpec {
    let mut s = DemoSpec::new(5, 400, 28, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
    s.seed = seed;
    s
}

fn made(spec: &DemoSpec) -> (tempfile::TempDir, Store, Session, DemoReport, Vec<Progress>) {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_store(dir.path());
    let mut calls = Vec::new();
    let report = generate(&mut store, &admin, spec, &mut |p| calls.push(p)).expect("generate");
    (dir, store, admin, report, calls)
}

/// Every appointment of every provider over the whole range, by provider display name.
fn all_appointments(
    store: &mut Store,
    admin: &Session,
    report: &DemoReport,
) -> BTreeMap<String, Vec<Appointment>> {
    let mut out = BTreeMap::new();
    for p in store.providers().unwrap() {
        let cal = store
            .calendar(admin, &p.id, report.first_day, report.last_day)
            .unwrap();
        out.insert(
            format!("{} {}", p.display_name(), p.npi.clone().unwrap()),
            cal.appointments,
        );
    }
    out
}

#[test]
fn a_small_clinic_is_complete_and_follows_every_rule() {
    let spec = spec(7);
    let (_dir, mut store, admin, report, _) = made(&spec);

    // Counts.
    assert_eq!(report.providers, 5);
    assert_eq!(report.patients, 400);
    assert_eq!(report.new_patients, 4);
    assert_eq!(report.locations, 1);
    assert_eq!(report.rooms, 6);
    assert_eq!(report.appointment_types, 5);
    assert_eq!(
        report.first_day,
        NaiveDate::from_ymd_opt(2026, 2, 12).unwrap()
    );
    assert_eq!(
        report.last_day,
        NaiveDate::from_ymd_opt(2026, 3, 11).unwrap()
    );
    let providers = store.providers().unwrap();
    assert_eq!(providers.len(), 5);
    for p in &providers {
        assert!(
            validate::npi(p.npi.as_deref().unwrap()).is_ok(),
            "{:?}",
            p.npi
        );
        assert!(p.specialty.is_some() && p.credentials.is_some());
    }
    let locations = store.locations().unwrap();
    assert_eq!(locations.len(), 1);
    assert_eq!(store.rooms(&locations[0].id).unwrap().len(), 6);
    let types = store.appointment_types().unwrap();
    assert_eq!(types.len(), 5);
    assert_eq!(
        types
            .iter()
            .find(|t| t.name == "Group education")
            .unwrap()
            .capacity,
        8
    );
    // Five providers, one with a weekly group class: 10 blocks each, plus one.
    assert_eq!(report.templates, 51);

    let by_provider = all_appointments(&mut store, &admin, &report);
    let all: Vec<&Appointment> = by_provider.values().flatten().collect();
    assert_eq!(all.len() as u64, report.appointments);
    assert_eq!(
        report.appointments,
        report.past_appointments + report.today_appointments + report.future_appointments
    );
    assert_eq!(report.by_status.values().sum::<u64>(), report.appointments);
    assert!(
        report.future_appointments > 0
            && report.today_appointments > 0
            && report.past_appointments > 0
    );
    // About 70% of schedule time is taken.
    let fill = report.slots_filled as f64 / report.slots as f64;
    assert!((0.6..0.8).contains(&fill), "fill {fill}");
    // The estimate used to size benchmarks is close.
    let est = spec.estimated_appointments() as f64;
    assert!(
        (report.appointments as f64 - est).abs() / est < 0.1,
        "{} vs {est}",
        report.appointments
    );

    // No double bookings: a provider's active visits never overlap, except
    // members of one group class sharing its slot up to its capacity.
    let zone = store.zone();
    for (name, appts) in &by_provider {
        let active: Vec<&Appointment> = appts.iter().filter(|a| a.status.is_active()).collect();
        for (i, a) in active.iter().enumerate() {
            for b in &active[i + 1..] {
                if a.starts_at < b.ends_at && b.starts_at < a.ends_at {
                    assert!(
                        a.slot_id == b.slot_id
                            && a.appointment_type == "Group education"
                            && b.appointment_type == "Group education",
                        "{name}: {} overlaps {}",
                        a.local_start,
                        b.local_start
                    );
                }
            }
        }
        let mut per_slot: HashMap<&str, usize> = HashMap::new();
        for a in &active {
            *per_slot
                .entry(a.slot_id.as_deref().expect("every demo visit is in a slot"))
                .or_default() += 1;
        }
        assert!(per_slot.values().all(|n| *n <= 8));
    }
    // Nor does a patient have two visits at once.
    let mut per_patient: HashMap<&str, Vec<&Appointment>> = HashMap::new();
    for a in all.iter().filter(|a| a.status.is_active()) {
        per_patient
            .entry(a.patient_id.as_str())
            .or_default()
            .push(a);
    }
    for visits in per_patient.values() {
        for (i, a) in visits.iter().enumerate() {
            for b in &visits[i + 1..] {
                assert!(
                    !(a.starts_at < b.ends_at && b.starts_at < a.ends_at),
                    "{} twice at {}",
                    a.mrn,
                    a.local_start
                );
            }
        }
    }
    // New patients have no visit yet.
    for mrn in spec.new_patient_mrns() {
        assert!(all.iter().all(|a| a.mrn != mrn));
    }
    // Statuses by day: the past is final, the future booked, today in flow.
    let mut groups = 0;
    for a in &all {
        let day = zone.local_date(a.starts_at);
        assert!(day >= report.first_day && day <= report.last_day);
        assert!(day.weekday().number_from_monday() <= 5);
        if a.appointment_type == "Group education" {
            groups += 1;
        }
        if day < spec.today {
            assert!(a.status.is_final(), "{:?} on {day}", a.status);
        } else if day > spec.today {
            assert_eq!(a.status, AppointmentStatus::Booked);
        }
    }
    assert!(groups > 0, "the group class has members");
    let statuses = |s: AppointmentStatus| report.by_status.get(s.as_str()).copied().unwrap_or(0);
    assert!(statuses(AppointmentStatus::Completed) > statuses(AppointmentStatus::NoShow) * 5);
    assert!(statuses(AppointmentStatus::Cancelled) > 0 && statuses(AppointmentStatus::NoShow) > 0);

    // Today's flow board shows the clinic day under way.
    let board = store
        .flow_board(&admin, Some(&locations[0].id), Some(spec.today))
        .unwrap();
    assert!(!board.is_empty());
    let mut seen: Vec<AppointmentStatus> = board.iter().map(|r| r.appointment.status).collect();
    seen.sort_by_key(|s| s.as_str());
    seen.dedup();
    for s in [
        AppointmentStatus::Completed,
        AppointmentStatus::WithProvider,
        AppointmentStatus::Arrived,
        AppointmentStatus::Booked,
    ] {
        assert!(
            seen.contains(&s),
            "{s:?} missing from today's board: {seen:?}"
        );
    }

    // Patients look real but are fictional.
    let found = store.search_patients(&admin, &DemoSpec::mrn(0), 5).unwrap();
    assert_eq!(found.len(), 1);
    let p = store.patient(&admin, &found[0].id).unwrap();
    assert!(
        p.phone.as_deref().is_none_or(|ph| ph.contains("555-01")),
        "{:?}",
        p.phone
    );
    assert!(
        p.email
            .as_deref()
            .is_none_or(|e| e.ends_with("@example.org")),
        "{:?}",
        p.email
    );
    assert!(
        report.coverages > 300 && report.coverages < 400,
        "{}",
        report.coverages
    );

    let v = store.verify_audit(&admin).unwrap();
    assert!(v.intact, "{v:?}");
    assert!(store.integrity_check().unwrap().is_empty());

    // A second run into the same clinic is refused, not doubled.
    let again = generate(&mut store, &admin, &spec, &mut |_| {});
    assert!(
        matches!(again, Err(clinicdesk_store::StoreError::Conflict(_))),
        "{again:?}"
    );
}

/// What a person would see, without ids or write times.
fn fingerprint(store: &mut Store, admin: &Session, report: &DemoReport) -> Vec<String> {
    let mut out = Vec::new();
    for (provider, appts) in all_appointments(store, admin, report) {
        for a in appts {
            out.push(format!(
                "{provider}|{}|{}|{}|{}|{}|{:?}|{:?}",
                a.local_start,
                a.mrn,
                a.patient_name,
                a.appointment_type,
                a.status.as_str(),
                a.reason,
                a.cancel_reason
            ));
        }
    }
    for q in ["Smi", "Mar", "Lee", "Ng"] {
        for p in store.search_patients(admin, q, 200).unwrap() {
            out.push(format!(
                "{}|{}|{}|{}|{:?}|{:?}",
                p.mrn, p.family_name, p.given_name, p.birth_date, p.sex, p.phone
            ));
        }
    }
    out
}

#[test]
fn the_same_seed_makes_the_same_clinic_and_reports_progress() {
    let (_a, mut store_a, admin_a, report_a, calls) = made(&spec(11));
    let (_b, mut store_b, admin_b, report_b, _) = made(&spec(11));
    assert_eq!(report_a, report_b);
    let fa = fingerprint(&mut store_a, &admin_a, &report_a);
    assert!(fa.len() > 1000);
    assert_eq!(fa, fingerprint(&mut store_b, &admin_b, &report_b));

    let (_c, mut store_c, admin_c, report_c, _) = made(&spec(12));
    assert_ne!(fa, fingerprint(&mut store_c, &admin_c, &report_c));

    // Progress: phases in order, each from 0 to its total, at most ~100 calls each.
    let mut phases: Vec<&str> = calls.iter().map(|p| p.phase).collect();
    phases.dedup();
    assert_eq!(
        phases,
        [
            "directory",
            "patients",
            "templates",
            "slots",
            "appointments"
        ]
    );
    for phase in phases {
        let mine: Vec<&Progress> = calls.iter().filter(|p| p.phase == phase).collect();
        assert!(mine.len() <= 102, "{phase}: {} calls", mine.len());
        assert_eq!(mine[0].done, 0);
        let last = mine.last().unwrap();
        assert_eq!(last.done, last.total, "{phase}");
        assert!(mine.windows(2).all(|w| w[0].done <= w[1].done));
    }
}

#[test]
fn specs_are_checked_and_sized() {
    let today = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    let s = DemoSpec::new(60, 1_000, 365, today);
    assert_eq!(s.location_count(), 3);
    assert_eq!(DemoSpec::new(1, 10, 1, today).location_count(), 1);
    assert_eq!(s.last_day(), NaiveDate::from_ymd_opt(2026, 6, 3).unwrap());
    assert_eq!((s.last_day() - s.first_day()).num_days(), 364);
    let big = DemoSpec::for_appointments(1_000_000, 100_000, 365, today);
    let est = big.estimated_appointments();
    assert!((990_000..1_010_000).contains(&est), "{est}");
    assert_eq!(DemoSpec::mrn(0), "DM0000001");
    assert_eq!(big.new_patient_mrns().len(), 1_000);
    assert_eq!(big.new_patient_mrns()[0], "DM0099001");
}

#[test]
fn a_bad_spec_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_store(dir.path());
    let mut bad = spec(1);
    bad.providers = 0;
    assert!(generate(&mut store, &admin, &bad, &mut |_| {}).is_err());
    assert!(store.providers().unwrap().is_empty());
}
