//! The clinic server and two to five desktops as real processes, with trouble:
//! random front-desk work at each desktop and syncs now and then, while the
//! server is killed (-9) and left down for a while (an outage for everyone),
//! a desktop is killed in the middle of a write or a sync, and the server is
//! killed in the middle of a desktop's push. Then the network heals and every
//! desktop syncs until quiet. All desktops must then hold the same records
//! (the same `sync digest`) and the same open conflicts, nothing may have
//! been refused, and every change a desktop reported done must be there.
//!
//! Seeded: each world prints its seed first, `CLINICDESK_CHAOS_SEEDS=7,42`
//! replays those seeds, and `CLINICDESK_CHAOS_WORLDS=N` runs N new ones
//! (default 2).

mod common;

use common::server::Server;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const STEPS: usize = 60;
/// Quarter hours from the first bookable one: few enough that desks
/// working offline book the same places now and then.
const PLACES: i64 = 4;

const DESK: User = User {
    name: "desk",
    password: "desk-password-1",
};

/// splitmix64: small, fast, and the same sequence everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len() as u64) as usize])
    }
}

/// Which desktop should have which record by now: what it made, and what
/// others had pushed before its last sync. Operations mostly pick from
/// these, so that they meet as they would in a clinic.
struct Spread {
    unsent: Vec<BTreeSet<String>>,
    at_server: BTreeSet<String>,
    here: Vec<BTreeSet<String>>,
}

impl Spread {
    fn new(desks: usize) -> Spread {
        Spread {
            unsent: vec![BTreeSet::new(); desks],
            at_server: BTreeSet::new(),
            here: vec![BTreeSet::new(); desks],
        }
    }

    fn made(&mut self, d: usize, id: &str) {
        self.unsent[d].insert(id.to_string());
        self.here[d].insert(id.to_string());
    }

    fn synced(&mut self, d: usize) {
        let sent = std::mem::take(&mut self.unsent[d]);
        self.at_server.extend(sent);
        self.here[d].extend(self.at_server.iter().cloned());
    }

    fn here(&self, d: usize) -> Vec<String> {
        self.here[d].iter().cloned().collect()
    }
}

/// What the desktops reported done, and what they were killed while doing.
struct Ledger {
    /// Patient id → family name, for registrations that finished.
    patients: BTreeMap<String, String>,
    /// Patient id → every phone number an update tried, finished or killed.
    phones: BTreeMap<String, BTreeSet<String>>,
    /// Appointment ids of bookings that finished.
    bookings: Vec<String>,
    /// Appointments whose cancellation was tried, and those that finished.
    cancels_tried: BTreeSet<String>,
    cancelled: BTreeSet<String>,
    names: u64,
    patients_at: Spread,
    bookings_at: Spread,
}

impl Ledger {
    fn new(desks: usize) -> Ledger {
        Ledger {
            patients: BTreeMap::new(),
            phones: BTreeMap::new(),
            bookings: Vec::new(),
            cancels_tried: BTreeSet::new(),
            cancelled: BTreeSet::new(),
            names: 0,
            patients_at: Spread::new(desks),
            bookings_at: Spread::new(desks),
        }
    }
}

struct World {
    seed: u64,
    rng: Rng,
    server: Server,
    desks: Vec<Clinic>,
    ledger: Ledger,
    /// Minutes after midnight of the first bookable quarter hour.
    first_place: i64,
    log: Vec<String>,
}

/// A failing world prints what it did, and the seed to replay it.
impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "world with seed {} failed after:\n  {}\nreplay: CLINICDESK_CHAOS_SEEDS={} cargo nextest run --test chaos",
                self.seed,
                self.log.join("\n  "),
                self.seed
            );
        }
    }
}

/// A failed command must fail the way the product promises: one `error:`
/// sentence, exit code 1 or 2, no panic.
#[track_caller]
fn clean_failure(r: &Run) {
    assert!(
        matches!(r.code, Some(1) | Some(2)),
        "`{}` exited with {:?}: {}",
        r.args.join(" "),
        r.code,
        r.stderr
    );
    assert!(
        r.stderr.starts_with("error: ") && !r.stderr.contains("panicked"),
        "`{}`: {}",
        r.args.join(" "),
        r.stderr
    );
}

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng(seed);
        let desks = 2 + rng.below(4) as usize;
        let mut server = Server::start_tls();
        let first = Clinic::new();
        first.add_user(&DESK, "front-desk", "Fran Desk", None);
        let now = first.zone.now();
        let today = now.date.as_str();
        for args in [
            &[
                "provider",
                "add",
                "--given",
                "Grace",
                "--family",
                "Hopper",
                "--npi",
                "1234567893",
            ][..],
            &["location", "add", "--name", "Main Street"],
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
            &whole_day_template(&now),
            &["schedule", "materialize", "--from", today, "--to", today],
        ] {
            first.json(&ADMIN, args);
        }
        first.json(&ADMIN, &["sync", "enroll", &server.url(), &server.code()]);
        first.json(&ADMIN, &["sync", "now"]);
        let mut clinic = vec![first];
        for n in 1..desks {
            clinic.push(join_as(&server, &clinic[0], n));
        }
        // Slots late in the day can run past midnight: keep them today.
        let first_place = now.quarter_after(60).min(24 * 60 - 15 * PLACES);
        server.kill();
        server.restart();
        World {
            seed,
            rng,
            server,
            desks: clinic,
            ledger: Ledger::new(desks),
            first_place,
            log: Vec::new(),
        }
    }

    fn step(&mut self) {
        let d = self.rng.below(self.desks.len() as u64) as usize;
        match self.rng.below(100) {
            0..=19 => self.register(d),
            20..=31 => self.update_phone(d),
            32..=51 => self.book(d),
            52..=59 => self.cancel(d),
            60..=77 => self.sync(d),
            78..=85 => self.kill_desk_midway(d),
            86..=91 => self.outage(),
            _ => self.kill_server_mid_push(d),
        }
    }

    fn note(&mut self, what: String) {
        self.log.push(what);
    }

    /// A registration; one in five with an MRN typed in from a short list,
    /// so that desktops working offline now and then give two people the
    /// same one.
    fn register_args(&mut self) -> Vec<String> {
        self.ledger.names += 1;
        let family = format!("Chaos{}x{}", self.seed % 10_000, self.ledger.names);
        let mut args: Vec<String> = ["patient", "add", "--given", "Alex", "--family", &family]
            .into_iter()
            .map(String::from)
            .chain(["--dob".into(), "1980-02-29".into(), "--json".into()])
            .collect();
        if self.rng.below(5) == 0 {
            args.push("--mrn".into());
            args.push(format!("TYPED{}", self.rng.below(3)));
        }
        args
    }

    fn register(&mut self, d: usize) {
        let args = self.register_args();
        let r = self.desks[d].run_as(&DESK, &strs(&args));
        let family = args[5].clone();
        if r.code == Some(0) {
            let id = r.json()["id"].as_str().unwrap().to_string();
            self.note(format!("desk {d}: registered {family} ({id})"));
            self.ledger.patients_at.made(d, &id);
            self.ledger.patients.insert(id, family);
        } else {
            // Only a typed MRN already in use on this desktop is refused.
            clean_failure(&r);
            assert!(
                args.contains(&"--mrn".to_string()) && r.stderr.contains("already belongs"),
                "registering offline must work: {}",
                r.stderr
            );
            self.note(format!("desk {d}: {family} refused, MRN in use here"));
        }
    }

    /// A patient this desk should have, now and then one it may not.
    fn some_patient(&mut self, d: usize) -> Option<String> {
        let ids: Vec<String> = if self.rng.below(5) == 0 {
            self.ledger.patients.keys().cloned().collect()
        } else {
            self.ledger.patients_at.here(d)
        };
        self.rng.pick(&ids).cloned()
    }

    fn update_phone(&mut self, d: usize) {
        let Some(id) = self.some_patient(d) else {
            return;
        };
        let phone = format!("617555{:04}", self.rng.below(10_000));
        self.ledger
            .phones
            .entry(id.clone())
            .or_default()
            .insert(phone.clone());
        let r = self.desks[d].run_as(
            &DESK,
            &["patient", "update", &id, "--phone", &phone, "--json"],
        );
        if r.code == Some(0) {
            self.note(format!("desk {d}: phone of {id} → {phone}"));
        } else {
            // Not here yet: this desk has not pulled the registration.
            clean_failure(&r);
            self.note(format!("desk {d}: no {id} here yet"));
        }
    }

    fn book(&mut self, d: usize) {
        let Some(id) = self.some_patient(d) else {
            return;
        };
        let at = self.first_place + 15 * self.rng.below(PLACES as u64) as i64;
        let start = self.desks[d].zone.now().at(at);
        let r = self.desks[d].run_as(
            &DESK,
            &[
                "appointment",
                "book",
                "--patient",
                &id,
                "--provider",
                "Hopper",
                "--location",
                "Main Street",
                "--start",
                &start,
                "--type",
                "Office visit",
                "--json",
            ],
        );
        if r.code == Some(0) {
            let appt = r.json()["id"].as_str().unwrap().to_string();
            self.note(format!("desk {d}: booked {id} at {start} ({appt})"));
            self.ledger.bookings_at.made(d, &appt);
            self.ledger.bookings.push(appt);
        } else {
            // Taken here already, the patient is busy then, or not here yet.
            clean_failure(&r);
            self.note(format!(
                "desk {d}: could not book {id} at {start}: {}",
                r.stderr.trim()
            ));
        }
    }

    fn cancel(&mut self, d: usize) {
        let here = self.ledger.bookings_at.here(d);
        let Some(appt) = self.rng.pick(&here).cloned() else {
            return;
        };
        self.ledger.cancels_tried.insert(appt.clone());
        let r = self.desks[d].run_as(
            &DESK,
            &[
                "appointment",
                "cancel",
                &appt,
                "--reason",
                "Patient called",
                "--json",
            ],
        );
        if r.code == Some(0) {
            self.note(format!("desk {d}: cancelled {appt}"));
            self.ledger.cancelled.insert(appt);
        } else {
            clean_failure(&r);
            self.note(format!(
                "desk {d}: could not cancel {appt}: {}",
                r.stderr.trim()
            ));
        }
    }

    fn sync(&mut self, d: usize) {
        let r = self.desks[d].run_as(&DESK, &["sync", "now", "--json"]);
        let up = self.server.is_running();
        if r.code == Some(0) {
            self.ledger.patients_at.synced(d);
            self.ledger.bookings_at.synced(d);
            self.note(format!("desk {d}: synced"));
        } else {
            clean_failure(&r);
            assert!(!up, "sync failed with the server up: {}", r.stderr);
            self.note(format!("desk {d}: offline"));
        }
    }

    /// A desktop killed in the middle of a registration or a sync: the
    /// store must open afterwards and lose nothing it had committed.
    fn kill_desk_midway(&mut self, d: usize) {
        let registering = self.rng.below(2) == 0;
        let args = if registering {
            self.register_args()
        } else {
            vec!["sync".into(), "now".into()]
        };
        let after = Duration::from_millis(self.rng.below(300));
        let mut child = self.desks[d]
            .command_as(&DESK, &strs(&args))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        let _ = child.kill();
        let status = child.wait().unwrap();
        self.note(format!(
            "desk {d}: {} killed after {} ms ({status})",
            args[..2].join(" "),
            after.as_millis()
        ));
    }

    /// The server goes down (killed), or comes back if it is down.
    fn outage(&mut self) {
        if self.server.is_running() {
            self.server.kill();
            self.note("server killed: outage".into());
        } else {
            self.server.restart();
            self.note("server back".into());
        }
    }

    /// The server killed while a desktop pushes and pulls: the desktop must
    /// fail cleanly or finish, and push again what the server did not keep.
    fn kill_server_mid_push(&mut self, d: usize) {
        if !self.server.is_running() {
            return self.outage();
        }
        let after = Duration::from_millis(self.rng.below(300));
        let child = self.desks[d]
            .command_as(&DESK, &["sync", "now", "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        self.server.kill();
        let out = child.wait_with_output().unwrap();
        let r = Run {
            args: vec!["sync".into(), "now".into()],
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if r.code != Some(0) {
            clean_failure(&r);
        }
        self.note(format!(
            "desk {d}: server killed {} ms into a sync (exit {:?})",
            after.as_millis(),
            r.code
        ));
        if self.rng.below(2) == 0 {
            self.server.restart();
            self.note("server back".into());
        }
    }

    /// The network heals: every desktop syncs until none has anything to
    /// send and all show the same digest.
    fn heal(&mut self) -> String {
        if !self.server.is_running() {
            self.server.restart();
        }
        self.note("healing".into());
        for _round in 0..4 {
            for desk in &self.desks {
                desk.json(&DESK, &["sync", "now"]);
            }
            let digests: Vec<Value> = self
                .desks
                .iter()
                .map(|desk| desk.json(&ADMIN, &["sync", "digest"]))
                .collect();
            let quiet = digests.iter().all(|d| d["queued_changes"] == 0);
            let same = digests.iter().all(|d| d["digest"] == digests[0]["digest"]);
            if quiet && same {
                return digests[0]["digest"].as_str().unwrap().to_string();
            }
        }
        panic!("the desktops did not converge after four rounds of sync");
    }

    /// Everything reported done is on every desktop (the digests being
    /// equal, reading it from one suffices), and every desktop sees the same
    /// open conflicts (double bookings, patients sharing a typed MRN) and
    /// refused nothing. Returns how many conflicts are open.
    fn check(&self) -> usize {
        let desk = &self.desks[0];
        for (id, family) in &self.ledger.patients {
            let p = desk.json(&DESK, &["patient", "show", id]);
            assert_eq!(p["family_name"], family.as_str(), "{p:#}");
            let phone = p["phone"].as_str();
            match self.ledger.phones.get(id) {
                Some(tried) => assert!(
                    phone.is_none_or(|p| tried.contains(p)),
                    "{id}: phone {phone:?} was never entered (tried {tried:?})"
                ),
                None => assert_eq!(phone, None, "{id}: nobody entered a phone"),
            }
        }
        for appt in &self.ledger.bookings {
            let s = desk.json(&DESK, &["appointment", "status", appt]);
            let status = s["appointment"]["status"].as_str().unwrap();
            if self.ledger.cancelled.contains(appt) {
                assert_eq!(status, "cancelled", "{appt}");
            } else if !self.ledger.cancels_tried.contains(appt) {
                assert_eq!(status, "booked", "{appt}");
            }
        }
        let conflicts: Vec<BTreeSet<Vec<String>>> = self
            .desks
            .iter()
            .map(|desk| {
                let list = desk.json(&DESK, &["sync", "conflicts"]);
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        let ids = |field: &str| -> Vec<String> {
                            serde_json::from_value(c[field].clone()).unwrap()
                        };
                        let mut ids = [ids("appointment_ids"), ids("patient_ids")].concat();
                        ids.sort();
                        ids
                    })
                    .collect()
            })
            .collect();
        assert!(
            conflicts.iter().all(|c| c == &conflicts[0]),
            "desktops disagree on open conflicts: {conflicts:?}"
        );
        for (n, desk) in self.desks.iter().enumerate() {
            let refused = desk.json(&ADMIN, &["sync", "refusals"]);
            assert_eq!(refused, serde_json::json!([]), "desk {n} refused changes");
        }
        conflicts[0].len()
    }
}

fn join_as(server: &Server, first: &Clinic, n: usize) -> Clinic {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic-data");
    let name = format!("Front desk {}", n + 1);
    join(&data, &server.url(), &server.code(), &name, &first.zone).ok();
    Clinic {
        tmp,
        data,
        zone: first.zone.clone(),
        env: Vec::new(),
    }
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn seeds() -> Vec<u64> {
    if let Ok(list) = std::env::var("CLINICDESK_CHAOS_SEEDS") {
        return list
            .split(',')
            .map(|s| s.trim().parse().expect("CLINICDESK_CHAOS_SEEDS: numbers"))
            .collect();
    }
    let worlds: u64 = std::env::var("CLINICDESK_CHAOS_WORLDS")
        .ok()
        .map(|n| n.parse().expect("CLINICDESK_CHAOS_WORLDS: a number"))
        .unwrap_or(2);
    let mut rng = Rng(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64);
    (0..worlds).map(|_| rng.below(1_000_000)).collect()
}

#[test]
fn desktops_and_server_killed_at_random_converge_and_lose_nothing() {
    for seed in seeds() {
        println!("chaos world, seed {seed}");
        let mut world = World::new(seed);
        for _ in 0..STEPS {
            world.step();
        }
        let digest = world.heal();
        let conflicts = world.check();
        println!(
            "seed {seed}: {} desktops, {} patients, {} bookings, {} cancelled, {conflicts} conflicts; digest {digest}",
            world.desks.len(),
            world.ledger.patients.len(),
            world.ledger.bookings.len(),
            world.ledger.cancelled.len()
        );
    }
}
