//! Desktops that work offline in any order and sync now and then through a
//! relay (what the clinic server does) end up identical once everyone has
//! synced, without refusing any change: property-based, in one process.
//! Failing cases are printed by proptest with their operations.

mod common;

use chrono::Duration;
use clinicdesk_store::*;
use clinicdesk_sync_proto::{ChangeEntry, ServedChange};
use common::*;
use proptest::prelude::*;
use std::collections::HashSet;

const DESKTOPS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Register {
        desk: usize,
    },
    EditPhone {
        desk: usize,
        pick: usize,
        n: u16,
    },
    Book {
        desk: usize,
        pick: usize,
        quarter: i64,
    },
    Cancel {
        desk: usize,
        pick: usize,
    },
    Sync {
        desk: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let desk = 0..DESKTOPS;
    prop_oneof![
        2 => desk.clone().prop_map(|desk| Op::Register { desk }),
        2 => (desk.clone(), 0..8usize, 0..1000u16).prop_map(|(desk, pick, n)| Op::EditPhone { desk, pick, n }),
        3 => (desk.clone(), 0..8usize, 0..8i64).prop_map(|(desk, pick, quarter)| Op::Book { desk, pick, quarter }),
        1 => (desk.clone(), 0..16usize).prop_map(|(desk, pick)| Op::Cancel { desk, pick }),
        2 => desk.prop_map(|desk| Op::Sync { desk }),
    ]
}

struct Relay {
    log: Vec<ChangeEntry>,
    ids: HashSet<String>,
}

struct Desk {
    store: Store,
    admin: Session,
    pushed: i64,
    pulled: usize,
}

fn push(relay: &mut Relay, d: &mut Desk) {
    for (seq, change) in d.store.outbox(d.pushed, 100_000).unwrap() {
        d.pushed = seq;
        if relay.ids.insert(change.change_id.clone()) {
            relay.log.push(change);
        }
    }
}

fn pull(relay: &Relay, d: &mut Desk) -> MergeReport {
    let page: Vec<ServedChange> = relay.log[d.pulled..]
        .iter()
        .enumerate()
        .map(|(i, c)| ServedChange {
            cursor: (d.pulled + i + 1) as i64,
            change: c.clone(),
        })
        .collect();
    d.pulled = relay.log.len();
    d.store.apply_remote(&page).unwrap()
}

fn other_desktop(zone: clinicdesk_domain::ClinicZone, n: usize) -> (tempfile::TempDir, Desk) {
    let (dir, store, admin) = another_desktop(zone, &format!("admin-{n}"));
    let desk = Desk {
        store,
        admin,
        pushed: 0,
        pulled: 0,
    };
    (dir, desk)
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let Clinic {
        dir: _first_dir,
        store,
        admin,
        provider,
        location,
        visit,
        ..
    } = clinic();
    let zone = store.zone();
    let day = zone.today() + Duration::days(2);
    let mut relay = Relay {
        log: Vec::new(),
        ids: HashSet::new(),
    };
    let mut desks = vec![Desk {
        store,
        admin,
        pushed: 0,
        pulled: 0,
    }];
    let mut dirs = Vec::new();
    for n in 1..DESKTOPS {
        let (dir, d) = other_desktop(zone, n);
        dirs.push(dir);
        desks.push(d);
    }
    // Everyone starts from the first desktop's clinic set-up.
    for d in desks.iter_mut() {
        push(&mut relay, d);
    }
    for d in desks.iter_mut() {
        pull(&relay, d);
    }

    let mut patients: Vec<String> = Vec::new();
    let mut appointments: Vec<String> = Vec::new();
    for op in ops {
        match *op {
            Op::Register { desk } => {
                let d = &mut desks[desk];
                let p = d
                    .store
                    .add_patient(
                        &d.admin,
                        &PatientInput {
                            given_name: format!("Pat{}", patients.len()),
                            family_name: "Merge".into(),
                            birth_date: "1970-01-01".into(),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                patients.push(p.id);
            }
            Op::EditPhone { desk, pick, n } => {
                let d = &mut desks[desk];
                let Some(id) = patients.get(pick % patients.len().max(1)) else {
                    continue;
                };
                let Ok(p) = d.store.patient(&d.admin, id) else {
                    continue;
                };
                let input = PatientInput {
                    given_name: p.given_name,
                    family_name: p.family_name,
                    birth_date: p.birth_date,
                    phone: Some(format!("555 010 {n:04}")),
                    ..Default::default()
                };
                d.store.update_patient(&d.admin, id, &input).unwrap();
            }
            Op::Book {
                desk,
                pick,
                quarter,
            } => {
                let d = &mut desks[desk];
                let Some(id) = patients.get(pick % patients.len().max(1)) else {
                    continue;
                };
                if d.store.patient(&d.admin, id).is_err() {
                    continue;
                }
                let start = day.and_hms_opt(9, 0, 0).unwrap() + Duration::minutes(15 * quarter);
                // The desktop's own rules may refuse (a clash it can see).
                if let Ok(a) = d.store.book(
                    &d.admin,
                    &BookingRequest {
                        patient_id: id.clone(),
                        start: Some(start),
                        provider_id: Some(provider.id.clone()),
                        location_id: Some(location.id.clone()),
                        appointment_type_id: Some(visit.id.clone()),
                        ..Default::default()
                    },
                ) {
                    appointments.push(a.id);
                }
            }
            Op::Cancel { desk, pick } => {
                let d = &mut desks[desk];
                let Some(id) = appointments.get(pick % appointments.len().max(1)) else {
                    continue;
                };
                let _ = d.store.cancel(&d.admin, id, "patient called");
            }
            Op::Sync { desk } => {
                push(&mut relay, &mut desks[desk]);
                pull(&relay, &mut desks[desk]);
            }
        }
    }

    // The network is back: everyone pushes, then everyone pulls.
    for d in desks.iter_mut() {
        push(&mut relay, d);
    }
    for d in desks.iter_mut() {
        pull(&relay, d);
    }
    let digests: Vec<String> = desks
        .iter()
        .map(|d| d.store.sync_digest().unwrap())
        .collect();
    for d in &desks {
        let refused = d.store.sync_refusals().unwrap();
        prop_assert!(refused.is_empty(), "refused: {refused:?}");
    }
    prop_assert!(
        digests.iter().all(|x| *x == digests[0]),
        "replicas differ: {digests:?}"
    );
    let open: Vec<Vec<String>> = desks
        .iter_mut()
        .map(|d| {
            let admin = d.admin.clone();
            d.store
                .sync_conflicts(&admin)
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .collect();
    prop_assert!(
        open.iter().all(|o| *o == open[0]),
        "conflicts differ: {open:?}"
    );
    drop(dirs);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn offline_desktops_converge(ops in prop::collection::vec(op(), 5..40)) {
        run(&ops)?;
    }
}
