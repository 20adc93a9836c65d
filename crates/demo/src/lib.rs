//! The demo clinic: a generator of realistic synthetic clinic data (providers,
//! locations, rooms, appointment types, patients with coverage, weekly
//! schedules and a year of appointments) for first-run demos and benchmarks.
//!
//! Everything is written through the store's own operations, so every row
//! is checked, audited and change-logged like one a person entered: past
//! and today's visits are recorded as they happened
//! ([`Tx::record_appointment`]), upcoming ones are booked through the real
//! booking path ([`Tx::book`]), which applies every scheduling rule.
//!
//! The same [`DemoSpec`] (seed included) always makes the same clinic: the
//! same people, schedules, visits and statuses. Only record ids (UUIDv7) and
//! the times at which rows were written differ between runs.
//!
//! ```no_run
//! # fn run(store: &mut clinicdesk_store::Store, session: &clinicdesk_store::Session) -> Result<(), clinicdesk_store::StoreError> {
//! use clinicdesk_demo::{generate, DemoSpec};
//! let today = store.zone().today();
//! let spec = DemoSpec::new(12, 2_000, 365, today);
//! let report = generate(store, session, &spec, &mut |p| eprintln!("{} {}/{}", p.phase, p.done, p.total))?;
//! println!("{} appointments from {} to {}", report.appointments, report.first_day, report.last_day);
//! # Ok(()) }
//! ```
//!
//! [`Tx::record_appointment`]: clinicdesk_store::Tx::record_appointment
//! [`Tx::book`]: clinicdesk_store::Tx::book

mod names;
mod open_all_day;
mod rng;

pub use open_all_day::{demo_payer_settings, morning_zone, open_all_day, OpenAllDay};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use clinicdesk_domain::validate;
use clinicdesk_domain::{AppointmentStatus, ClinicZone};
use clinicdesk_store::{
    BookingRequest, CoverageInput, NewAppointmentType, NewLocation, NewProvider, PatientInput,
    RecordedAppointment, Session, Slot, Store, StoreError, TemplateInput,
};
use rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Bumped whenever the same spec would make a different clinic, so cached
/// data sets (benchmarks) are made again.
pub const GENERATOR_VERSION: u32 = 1;
/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_260_101;
/// One location for every this many providers (at least one).
pub const PROVIDERS_PER_LOCATION: u32 = 25;
/// Exam and procedure rooms made at each location.
pub const ROOMS_PER_LOCATION: u32 = 6;
/// The share of schedule time filled with appointments.
pub const FILL: f64 = 0.70;
/// MRNs of demo patients: this prefix and seven digits, `DM0000001` onwards.
pub const MRN_PREFIX: &str = "DM";
/// The longest range a demo covers.
pub const MAX_DAYS: u32 = 3_660;
/// Demo patients registered so recently that they have no visit yet: one in
/// this many, the last registered (benchmarks book them into free slots).
pub const NEW_PATIENT_SHARE: u32 = 100;
/// The clinic-local time of day that today's patient flow shows: visits
/// before it are done, the ones around it are in progress, later ones are
/// waiting to happen. Fixed, so a seed always makes the same flow board.
pub const FLOW_CLOCK: (u32, u32) = (11, 0);

const SLOT_MINUTES: i64 = 15;
/// Regular 15-minute blocks of every weekday, clinic-local.
const BLOCKS: [(&str, &str); 2] = [("08:00", "12:00"), ("13:00", "17:00")];
/// Patients (with their coverage, audit and change-log rows) per write transaction.
const PATIENTS_PER_WRITE: usize = 2_000;
/// Slots per materialization (about a month of a 300-provider clinic): few,
/// large transactions, with the call's in-memory map of wanted slots kept to
/// ~100 MB. (Before schema 3 indexed `slots.starts_at`, each call also
/// scanned the whole slots table, so many small calls were quadratic.)
const SLOTS_PER_MATERIALIZE: u64 = 250_000;

/// What to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSpec {
    pub providers: u32,
    pub patients: u32,
    /// Days of appointments, ending about three months (a quarter of the
    /// range) after `today`, so about three quarters are in the past.
    pub days: u32,
    /// `None`: one location per [`PROVIDERS_PER_LOCATION`] providers, at least one.
    pub locations: Option<u32>,
    pub seed: u64,
    /// The day the clinic is shown on: visits before it happened, visits after it are booked.
    pub today: NaiveDate,
}

/// Reported as the generator goes, at most about a hundred times per phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoReport {
    pub seed: u64,
    pub today: NaiveDate,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub locations: u64,
    pub rooms: u64,
    pub appointment_types: u64,
    pub providers: u64,
    pub patients: u64,
    /// Patients registered without any visit yet (the last registered).
    pub new_patients: u64,
    pub coverages: u64,
    pub templates: u64,
    pub slots: u64,
    /// Slots a visit takes up (cancelled and no-show visits excluded).
    pub slots_filled: u64,
    pub appointments: u64,
    pub past_appointments: u64,
    pub today_appointments: u64,
    /// Booked through the real booking path.
    pub future_appointments: u64,
    /// Appointments by status (`completed`, `no-show`, …).
    pub by_status: BTreeMap<String, u64>,
}

impl DemoSpec {
    pub fn new(providers: u32, patients: u32, days: u32, today: NaiveDate) -> Self {
        DemoSpec {
            providers,
            patients,
            days,
            locations: None,
            seed: DEFAULT_SEED,
            today,
        }
    }

    /// A spec sized to make about `appointments` appointments over `days` days.
    pub fn for_appointments(appointments: u64, patients: u32, days: u32, today: NaiveDate) -> Self {
        let mut spec = DemoSpec::new(1, patients, days, today);
        let per_provider = spec.appointments_per_provider().max(1.0);
        spec.providers = ((appointments as f64 / per_provider).round() as u32).max(1);
        spec
    }

    pub fn location_count(&self) -> u32 {
        self.locations
            .unwrap_or_else(|| self.providers.div_ceil(PROVIDERS_PER_LOCATION))
            .max(1)
    }

    /// Days after `today` that are covered.
    pub fn future_days(&self) -> u32 {
        self.days / 4
    }

    pub fn last_day(&self) -> NaiveDate {
        self.today + Duration::days(i64::from(self.future_days()))
    }

    pub fn first_day(&self) -> NaiveDate {
        self.last_day() - Duration::days(i64::from(self.days.max(1)) - 1)
    }

    /// Patients who get no visit (the last `new_patients()` registered).
    pub fn new_patients(&self) -> u32 {
        if self.patients < 2 * NEW_PATIENT_SHARE {
            0
        } else {
            self.patients / NEW_PATIENT_SHARE
        }
    }

    /// The MRN of the `index`th (0-based) demo patient.
    pub fn mrn(index: u32) -> String {
        format!("{MRN_PREFIX}{:07}", index + 1)
    }

    /// MRNs of the patients registered without a visit.
    pub fn new_patient_mrns(&self) -> Vec<String> {
        (self.patients - self.new_patients()..self.patients)
            .map(DemoSpec::mrn)
            .collect()
    }

    fn weekdays(&self) -> u32 {
        let mut n = 0;
        let mut d = self.first_day();
        while d <= self.last_day() {
            if d.weekday().number_from_monday() <= 5 {
                n += 1;
            }
            d += Duration::days(1);
        }
        n
    }

    /// Expected appointments of one provider over the whole range.
    pub fn appointments_per_provider(&self) -> f64 {
        let slots_per_day = BLOCKS.len() as f64 * 16.0;
        f64::from(self.weekdays()) * slots_per_day * FILL / mean_slots_per_visit()
    }

    /// About how many appointments this spec makes.
    pub fn estimated_appointments(&self) -> u64 {
        (f64::from(self.providers) * self.appointments_per_provider()).round() as u64
    }

    fn check(&self) -> Result<(), StoreError> {
        let bad = |m: &str| Err(StoreError::invalid(m));
        if self.providers == 0 || self.providers > 10_000 {
            return bad("a demo clinic has 1 to 10,000 providers");
        }
        if self.patients == 0 || self.patients > 10_000_000 {
            return bad("a demo clinic has 1 to 10,000,000 patients");
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return bad("a demo clinic covers 1 to 3,660 days");
        }
        if self.location_count() > 1_000 {
            return bad("a demo clinic has at most 1,000 locations");
        }
        Ok(())
    }
}

struct TypeDef {
    name: &'static str,
    minutes: i64,
    color: &'static str,
    capacity: i64,
    /// How often it is booked into a regular slot.
    weight: u32,
    reasons: &'static [&'static str],
}

const TYPES: [TypeDef; 5] = [
    TypeDef {
        name: "New patient",
        minutes: 30,
        color: "#1e88e5",
        capacity: 1,
        weight: 20,
        reasons: names::REASONS_NEW,
    },
    TypeDef {
        name: "Follow-up",
        minutes: 15,
        color: "#43a047",
        capacity: 1,
        weight: 55,
        reasons: names::REASONS_FOLLOW_UP,
    },
    TypeDef {
        name: "Annual physical",
        minutes: 45,
        color: "#8e24aa",
        capacity: 1,
        weight: 15,
        reasons: names::REASONS_PHYSICAL,
    },
    TypeDef {
        name: "Procedure",
        minutes: 60,
        color: "#f4511e",
        capacity: 1,
        weight: 10,
        reasons: names::REASONS_PROCEDURE,
    },
    TypeDef {
        name: "Group education",
        minutes: 60,
        color: "#00897b",
        capacity: 8,
        weight: 0,
        reasons: names::REASONS_GROUP,
    },
];
const FOLLOW_UP: usize = 1;
const GROUP: usize = 4;

fn type_weights() -> Vec<u32> {
    TYPES.iter().map(|t| t.weight).collect()
}

fn mean_slots_per_visit() -> f64 {
    let total: f64 = TYPES.iter().map(|t| f64::from(t.weight)).sum();
    TYPES
        .iter()
        .map(|t| f64::from(t.weight) * (t.minutes / SLOT_MINUTES) as f64)
        .sum::<f64>()
        / total
}

/// The chance that a visit starts at a free slot, so that about [`FILL`] of
/// the time ends up booked: with mean length D slots, p·D / (p·D + 1 − p) = FILL.
fn start_chance() -> f64 {
    let d = mean_slots_per_visit();
    FILL / (d * (1.0 - FILL) + FILL)
}

/// Every fifth provider runs a weekly group class on Wednesday afternoons.
fn runs_group_class(provider_index: usize) -> bool {
    provider_index % 5 == 4
}

/// Calls `progress` when another hundredth of a phase is done, and once at the end.
struct Meter<'a> {
    phase: &'static str,
    total: u64,
    step: u64,
    next: u64,
    finished: bool,
    f: &'a mut dyn FnMut(Progress),
}

impl<'a> Meter<'a> {
    fn new(phase: &'static str, total: u64, f: &'a mut dyn FnMut(Progress)) -> Self {
        f(Progress {
            phase,
            done: 0,
            total,
        });
        let step = total.div_ceil(100).max(1);
        Meter {
            phase,
            total,
            step,
            next: step,
            finished: false,
            f,
        }
    }

    fn at(&mut self, done: u64) {
        if self.finished {
            return;
        }
        let done = done.min(self.total);
        if done >= self.next || done == self.total {
            (self.f)(Progress {
                phase: self.phase,
                done,
                total: self.total,
            });
            self.next = (done / self.step + 1) * self.step;
            self.finished = done == self.total;
        }
    }
}

struct Directory {
    location_ids: Vec<String>,
    type_ids: Vec<String>,
    /// Provider id and the index of its location.
    providers: Vec<(String, usize)>,
}

/// Fills `store` with a demo clinic as `spec` describes; `session` must be
/// allowed to manage schedules, register patients and coverage, and book
/// (an administrator or front-desk user).
pub fn generate(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(Progress),
) -> Result<DemoReport, StoreError> {
    spec.check()?;
    let first = DemoSpec::mrn(0);
    if !store.search_patients(session, &first, 1)?.is_empty() {
        return Err(StoreError::Conflict(format!(
            "this clinic already has a patient with MRN {first}: it already holds demo data"
        )));
    }
    let mut report = DemoReport {
        seed: spec.seed,
        today: spec.today,
        first_day: spec.first_day(),
        last_day: spec.last_day(),
        ..Default::default()
    };
    let dir = directory(store, session, spec, &mut report, progress)?;
    let patient_ids = patients(store, session, spec, &mut report, progress)?;
    templates(store, session, spec, &dir, &mut report, progress)?;
    slots(store, session, spec, &mut report, progress)?;
    appointments(
        store,
        session,
        spec,
        &dir,
        &patient_ids,
        &mut report,
        progress,
    )?;
    Ok(report)
}

fn npi(rng: &mut Rng) -> String {
    let first_nine = format!("1{:08}", rng.below(100_000_000));
    let check = validate::npi_check_digit(&first_nine);
    format!("{first_nine}{check}")
}

fn directory(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<Directory, StoreError> {
    let n_loc = spec.location_count();
    let total = u64::from(n_loc) * u64::from(1 + ROOMS_PER_LOCATION)
        + TYPES.len() as u64
        + u64::from(spec.providers);
    let mut meter = Meter::new("directory", total, progress);
    let mut rng = Rng::stream(spec.seed, 1);

    // Decide everything first (reading what the clinic already has), then
    // write locations, types and providers in one transaction.
    let mut new_locations = Vec::new();
    for i in 0..n_loc as usize {
        let base = names::LOCATION_NAMES[i % names::LOCATION_NAMES.len()];
        let round = i / names::LOCATION_NAMES.len();
        let mut name = if round == 0 {
            format!("{base} Clinic")
        } else {
            format!("{base} Clinic {}", round + 1)
        };
        // A clinic that already has a location of that name keeps it; ours gets another.
        let mut extra = 1;
        while store.find_location(&name).is_ok() {
            extra += 1;
            name = format!("{base} Clinic {}", round * 100 + extra);
        }
        let (city, state, zip, area) = *rng.pick(names::CITIES);
        new_locations.push(NewLocation {
            name,
            timezone: None,
            address: Some(format!(
                "{} {} {}, {city}, {state} {zip}{:02}",
                rng.range(10, 9_999),
                rng.pick(names::STREETS),
                rng.pick(names::STREET_KINDS),
                rng.below(100)
            )),
            phone: Some(format!("({area}) 555-01{:02}", rng.below(100))),
        });
    }
    // Types the clinic already has (same length and capacity) are used as they are.
    let mut types: Vec<Result<String, NewAppointmentType>> = Vec::new();
    for t in &TYPES {
        types.push(match store.find_appointment_type(t.name) {
            Ok(existing)
                if existing.duration_minutes == t.minutes
                    && existing.capacity == t.capacity
                    && existing.active =>
            {
                Ok(existing.id)
            }
            Ok(_) => {
                return Err(StoreError::Conflict(format!(
                "this clinic already has an appointment type '{}' of another length or capacity",
                t.name
            )))
            }
            Err(_) => Err(NewAppointmentType {
                name: t.name.to_string(),
                duration_minutes: t.minutes,
                color: t.color.to_string(),
                capacity: t.capacity,
            }),
        });
    }
    let weights: Vec<u32> = names::SPECIALTIES.iter().map(|s| s.2).collect();
    let mut npis = HashSet::new();
    let mut new_providers = Vec::new();
    for _ in 0..spec.providers {
        let female = rng.chance(0.55);
        let given = *rng.pick(if female {
            names::FEMALE_GIVEN
        } else {
            names::MALE_GIVEN
        });
        let family = *rng.pick(names::FAMILY);
        let (specialty, credentials, _) = names::SPECIALTIES[rng.weighted(&weights)];
        let mut number = npi(&mut rng);
        while !npis.insert(number.clone()) || store.provider_by_npi(&number)?.is_some() {
            number = npi(&mut rng);
        }
        new_providers.push(NewProvider {
            given_name: given.to_string(),
            family_name: family.to_string(),
            npi: Some(number),
            specialty: Some(specialty.to_string()),
            credentials: Some(credentials.to_string()),
        });
    }

    let mut done = 0u64;
    let (locations, types, provider_ids) = store.write(session, |tx| {
        let mut locations = Vec::new();
        for l in &new_locations {
            locations.push(tx.add_location(l)?);
            done += 1;
            meter.at(done);
        }
        let mut type_ids = Vec::new();
        for t in &types {
            type_ids.push(match t {
                Ok(id) => id.clone(),
                Err(new) => tx.add_appointment_type(new)?,
            });
            done += 1;
            meter.at(done);
        }
        let mut providers = Vec::new();
        for p in &new_providers {
            providers.push(tx.add_provider(p)?);
            done += 1;
            meter.at(done);
        }
        Ok((locations, type_ids, providers))
    })?;
    // Rooms have no in-transaction variant: one short transaction each.
    for location_id in &locations {
        for r in 0..ROOMS_PER_LOCATION {
            let room = if r + 1 == ROOMS_PER_LOCATION {
                "Procedure 1".to_string()
            } else {
                format!("Exam {}", r + 1)
            };
            store.add_room(session, location_id, &room)?;
            done += 1;
            meter.at(done);
        }
    }
    meter.at(total);
    report.locations = locations.len() as u64;
    report.rooms = report.locations * u64::from(ROOMS_PER_LOCATION);
    report.appointment_types = types.len() as u64;
    report.providers = provider_ids.len() as u64;
    let providers = provider_ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i % locations.len()))
        .collect();
    Ok(Directory {
        location_ids: locations,
        type_ids: types,
        providers,
    })
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn patient_input(
    rng: &mut Rng,
    index: u32,
    today: NaiveDate,
) -> (PatientInput, Option<CoverageInput>) {
    let r = rng.unit();
    let sex = if r < 0.51 {
        "female"
    } else if r < 0.995 {
        "male"
    } else {
        "other"
    };
    let given_list = match sex {
        "female" => names::FEMALE_GIVEN,
        "male" => names::MALE_GIVEN,
        _ if rng.chance(0.5) => names::FEMALE_GIVEN,
        _ => names::MALE_GIVEN,
    };
    let given = *rng.pick(given_list);
    let family = *rng.pick(names::FAMILY);
    // Ages 1–95, weighted like a family practice's panel.
    let age = match rng.weighted(&[20, 36, 26, 18]) {
        0 => rng.range(1, 17),
        1 => rng.range(18, 44),
        2 => rng.range(45, 64),
        _ => rng.range(65, 95),
    };
    let birth =
        today - Duration::days(age as i64 * 365 + age as i64 / 4 + rng.range(1, 364) as i64);
    let (city, state, zip, area) = *rng.pick(names::CITIES);
    let phone = rng
        .chance(0.92)
        .then(|| format!("({area}) 555-01{:02}", rng.below(100)));
    let email = rng.chance(0.7).then(|| {
        format!(
            "{}.{}{}@example.org",
            ascii_lower(given),
            ascii_lower(family),
            rng.range(1, 999)
        )
    });
    let address = rng.chance(0.96);
    let patient = PatientInput {
        mrn: Some(DemoSpec::mrn(index)),
        given_name: given.to_string(),
        family_name: family.to_string(),
        birth_date: birth.to_string(),
        sex: Some(sex.to_string()),
        phone,
        email,
        address_line: address.then(|| {
            format!(
                "{} {} {}",
                rng.range(1, 9_999),
                rng.pick(names::STREETS),
                rng.pick(names::STREET_KINDS)
            )
        }),
        city: address.then(|| city.to_string()),
        state: address.then(|| state.to_string()),
        postal_code: address.then(|| format!("{zip}{:02}", rng.below(100))),
        country: address.then(|| "US".to_string()),
    };
    let r = rng.unit();
    let (payer, public) = if age >= 65 {
        if r < 0.92 {
            (Some(names::MEDICARE), true)
        } else {
            (None, false)
        }
    } else if r < 0.09 {
        (Some(names::MEDICAID), true)
    } else if r < 0.89 {
        (Some(*rng.pick(names::PAYERS)), false)
    } else {
        (None, false)
    };
    let coverage = payer.map(|(payer_name, payer_id)| {
        let letters: String = (0..3)
            .map(|_| (b'A' + rng.below(26) as u8) as char)
            .collect();
        let member_id = format!("{letters}{:09}", rng.below(1_000_000_000));
        let (relationship, subscriber) = if public {
            ("self", None)
        } else if age < 18 {
            let parent = if rng.chance(0.5) {
                rng.pick(names::FEMALE_GIVEN)
            } else {
                rng.pick(names::MALE_GIVEN)
            };
            ("child", Some(format!("{parent} {family}")))
        } else if rng.chance(0.2) {
            let spouse = if sex == "female" {
                rng.pick(names::MALE_GIVEN)
            } else {
                rng.pick(names::FEMALE_GIVEN)
            };
            ("spouse", Some(format!("{spouse} {family}")))
        } else {
            ("self", None)
        };
        CoverageInput {
            priority: 1,
            payer_name: payer_name.to_string(),
            payer_id: payer_id.to_string(),
            member_id,
            group_number: (!public && rng.chance(0.75))
                .then(|| format!("G{:05}", rng.below(100_000))),
            subscriber_name: subscriber,
            relationship: Some(relationship.to_string()),
        }
    });
    (patient, coverage)
}

fn patients(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<String>, StoreError> {
    let total = u64::from(spec.patients);
    let mut meter = Meter::new("patients", total, progress);
    let mut rng = Rng::stream(spec.seed, 2);
    // Birth dates must not be after the store's own today either.
    let latest = spec.today.min(store.zone().today());
    let mut ids = Vec::with_capacity(spec.patients as usize);
    let mut next = 0u32;
    while next < spec.patients {
        let end = (next + PATIENTS_PER_WRITE as u32).min(spec.patients);
        let batch: Vec<_> = (next..end)
            .map(|i| patient_input(&mut rng, i, latest))
            .collect();
        let coverages = store.write(session, |tx| {
            let mut coverages = 0u64;
            for (p, c) in &batch {
                let id = tx.add_patient(p)?;
                if let Some(c) = c {
                    tx.add_coverage(&id, c)?;
                    coverages += 1;
                }
                ids.push(id);
            }
            Ok(coverages)
        })?;
        report.coverages += coverages;
        next = end;
        meter.at(u64::from(next));
    }
    report.patients = ids.len() as u64;
    report.new_patients = u64::from(spec.new_patients());
    Ok(ids)
}

fn templates(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    dir: &Directory,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), StoreError> {
    let mut meter = Meter::new("templates", dir.providers.len() as u64, progress);
    let from = spec.first_day().to_string();
    let group_type = dir.type_ids[GROUP].clone();
    for (chunk_no, chunk) in dir.providers.chunks(100).enumerate() {
        let made = store.write(session, |tx| {
            let mut made = 0u64;
            for (k, (provider_id, loc)) in chunk.iter().enumerate() {
                let index = chunk_no * 100 + k;
                let location_id = dir.location_ids[*loc].clone();
                let block =
                    |weekday: u32, start: &str, end: &str, minutes: i64, ty: Option<String>| {
                        TemplateInput {
                            provider_id: provider_id.clone(),
                            location_id: location_id.clone(),
                            weekday,
                            start_time: start.to_string(),
                            end_time: end.to_string(),
                            slot_minutes: minutes,
                            appointment_type_id: ty,
                            effective_from: from.clone(),
                            effective_to: None,
                        }
                    };
                for weekday in 1..=5 {
                    let (morning, afternoon) = (BLOCKS[0], BLOCKS[1]);
                    tx.add_template(&block(weekday, morning.0, morning.1, SLOT_MINUTES, None))?;
                    if weekday == 3 && runs_group_class(index) {
                        tx.add_template(&block(
                            weekday,
                            "13:00",
                            "14:00",
                            60,
                            Some(group_type.clone()),
                        ))?;
                        tx.add_template(&block(weekday, "14:00", afternoon.1, SLOT_MINUTES, None))?;
                        made += 3;
                    } else {
                        tx.add_template(&block(
                            weekday,
                            afternoon.0,
                            afternoon.1,
                            SLOT_MINUTES,
                            None,
                        ))?;
                        made += 2;
                    }
                }
            }
            Ok(made)
        })?;
        report.templates += made;
        meter.at((chunk_no * 100 + chunk.len()) as u64);
    }
    Ok(())
}

fn slots(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), StoreError> {
    let (first, last) = (spec.first_day(), spec.last_day());
    let per_day = u64::from(spec.providers) * 32 * 5 / 7;
    let chunk_days = (SLOTS_PER_MATERIALIZE / per_day.max(1))
        .clamp(1, clinicdesk_store::schedule::MAX_MATERIALIZE_DAYS as u64)
        as i64;
    let mut meter = Meter::new("slots", u64::from(spec.days), progress);
    let mut from = first;
    while from <= last {
        let to = (from + Duration::days(chunk_days - 1)).min(last);
        let r = store.write(session, |tx| tx.materialize(from, to))?;
        report.slots += (r.created + r.unchanged + r.updated) as u64;
        meter.at(((to - first).num_days() + 1) as u64);
        from = to + Duration::days(1);
    }
    Ok(())
}

/// One visit decided for a day, before it is written.
struct Planned {
    patient: usize,
    provider: usize,
    slot_id: String,
    ty: usize,
    starts_at: i64,
    ends_at: i64,
    /// `None`: booked through the booking path.
    status: Option<AppointmentStatus>,
    reason: &'static str,
    cancel_reason: Option<&'static str>,
}

/// Chooses patients: a fifth of visits go to the most frequent tenth of the
/// panel, the rest to anyone; never twice on a day, never a new patient.
struct Chooser {
    visiting: usize,
    frequent: usize,
    last_day: Vec<u32>,
}

impl Chooser {
    fn pick(&mut self, rng: &mut Rng, day: u32) -> Option<usize> {
        if self.visiting == 0 {
            return None;
        }
        for _ in 0..64 {
            let i = if rng.chance(0.2) {
                rng.below(self.frequent as u64) as usize
            } else {
                rng.below(self.visiting as u64) as usize
            };
            if self.last_day[i] != day {
                self.last_day[i] = day;
                return Some(i);
            }
        }
        let i = self.last_day.iter().position(|d| *d != day)?;
        self.last_day[i] = day;
        Some(i)
    }
}

fn flow_status(rng: &mut Rng, starts_at: i64, ends_at: i64, clock: i64) -> AppointmentStatus {
    use AppointmentStatus::*;
    if ends_at <= clock {
        if rng.chance(0.05) {
            NoShow
        } else {
            Completed
        }
    } else if starts_at <= clock {
        WithProvider
    } else if starts_at - clock <= 15 * 60 {
        Roomed
    } else if starts_at - clock <= 45 * 60 {
        if rng.chance(0.8) {
            Arrived
        } else {
            Confirmed
        }
    } else if rng.chance(0.5) {
        Confirmed
    } else {
        Booked
    }
}

fn past_status(rng: &mut Rng) -> (AppointmentStatus, Option<&'static str>) {
    let r = rng.unit();
    if r < 0.06 {
        (AppointmentStatus::NoShow, None)
    } else if r < 0.12 {
        (
            AppointmentStatus::Cancelled,
            Some(*rng.pick(names::CANCEL_REASONS)),
        )
    } else {
        (AppointmentStatus::Completed, None)
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_provider_day(
    rng: &mut Rng,
    chooser: &mut Chooser,
    day_no: u32,
    kind: std::cmp::Ordering,
    clock: i64,
    provider: usize,
    slots: &[Slot],
    group_type_id: &str,
    out: &mut Vec<Planned>,
) {
    use std::cmp::Ordering::*;
    let weights = type_weights();
    let p_start = start_chance();
    let mut push = |rng: &mut Rng, patient: usize, slot: &Slot, ty: usize, ends_at: i64| {
        let (status, cancel_reason) = match kind {
            Less => {
                let (s, c) = past_status(rng);
                (Some(s), c)
            }
            Equal => (Some(flow_status(rng, slot.starts_at, ends_at, clock)), None),
            Greater => (None, None),
        };
        out.push(Planned {
            patient,
            provider,
            slot_id: slot.id.clone(),
            ty,
            starts_at: slot.starts_at,
            ends_at,
            status,
            reason: rng.pick::<&'static str>(TYPES[ty].reasons),
            cancel_reason,
        });
    };
    let mut i = 0;
    while i < slots.len() {
        let s = &slots[i];
        if s.status != "open" {
            i += 1;
            continue;
        }
        if let Some(t) = &s.appointment_type_id {
            if t == group_type_id && rng.chance(0.85) {
                let members = rng.range(4, TYPES[GROUP].capacity.min(s.capacity) as u64);
                for _ in 0..members {
                    if let Some(p) = chooser.pick(rng, day_no) {
                        push(rng, p, s, GROUP, s.starts_at + TYPES[GROUP].minutes * 60);
                    }
                }
            }
            i += 1;
            continue;
        }
        if !rng.chance(p_start) {
            i += 1;
            continue;
        }
        // How many free regular slots follow on without a gap.
        let mut run = 1;
        while i + run < slots.len() {
            let (a, b) = (&slots[i + run - 1], &slots[i + run]);
            if b.starts_at != a.ends_at
                || b.status != "open"
                || b.appointment_type_id.is_some()
                || b.location_id != s.location_id
            {
                break;
            }
            run += 1;
        }
        let mut ty = rng.weighted(&weights);
        let mut need = (TYPES[ty].minutes / SLOT_MINUTES) as usize;
        if need > run {
            ty = FOLLOW_UP;
            need = 1;
        }
        let Some(p) = chooser.pick(rng, day_no) else {
            i += 1;
            continue;
        };
        let ends_at = s.starts_at + TYPES[ty].minutes * 60;
        push(rng, p, s, ty, ends_at);
        i += need;
    }
}

fn appointments(
    store: &mut Store,
    session: &Session,
    spec: &DemoSpec,
    dir: &Directory,
    patient_ids: &[String],
    report: &mut DemoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), StoreError> {
    let zone: ClinicZone = store.zone();
    let (first, last) = (spec.first_day(), spec.last_day());
    let mut meter = Meter::new("appointments", u64::from(spec.days), progress);
    let visiting = patient_ids.len() - spec.new_patients() as usize;
    let mut chooser = Chooser {
        visiting,
        frequent: (visiting / 10).max(1),
        last_day: vec![0; visiting],
    };
    let group_type_id = dir.type_ids[GROUP].clone();
    let clock_time = NaiveTime::from_hms_opt(FLOW_CLOCK.0, FLOW_CLOCK.1, 0).expect("valid time");
    let clock = zone
        .to_utc(spec.today, clock_time)
        .map(|t| t.timestamp())
        .unwrap_or_else(|_| zone.day_bounds(spec.today).0 + 11 * 3600);
    let mut plan = Vec::new();
    let mut day = first;
    let mut day_no = 0u32;
    while day <= last {
        day_no += 1;
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let mut rng = Rng::stream(spec.seed, 1_000 + u64::from(day_no));
            let (start, end) = zone.day_bounds(day);
            let kind = day.cmp(&spec.today);
            plan.clear();
            for (p, (provider_id, _)) in dir.providers.iter().enumerate() {
                let slots = store.slots(provider_id, start, end)?;
                plan_provider_day(
                    &mut rng,
                    &mut chooser,
                    day_no,
                    kind,
                    clock,
                    p,
                    &slots,
                    &group_type_id,
                    &mut plan,
                );
            }
            write_day(store, session, dir, patient_ids, &plan, report)?;
            let counted = match kind {
                std::cmp::Ordering::Less => &mut report.past_appointments,
                std::cmp::Ordering::Equal => &mut report.today_appointments,
                std::cmp::Ordering::Greater => &mut report.future_appointments,
            };
            *counted += plan.len() as u64;
        }
        meter.at(u64::from(day_no));
        day += Duration::days(1);
    }
    report.appointments =
        report.past_appointments + report.today_appointments + report.future_appointments;
    Ok(())
}

fn write_day(
    store: &mut Store,
    session: &Session,
    dir: &Directory,
    patient_ids: &[String],
    plan: &[Planned],
    report: &mut DemoReport,
) -> Result<(), StoreError> {
    if plan.is_empty() {
        return Ok(());
    }
    store.write(session, |tx| {
        for a in plan {
            let type_id = &dir.type_ids[a.ty];
            let (provider_id, loc) = &dir.providers[a.provider];
            match a.status {
                Some(status) => {
                    tx.record_appointment(&RecordedAppointment {
                        patient_id: patient_ids[a.patient].clone(),
                        provider_id: provider_id.clone(),
                        location_id: dir.location_ids[*loc].clone(),
                        appointment_type_id: type_id.clone(),
                        slot_id: Some(a.slot_id.clone()),
                        starts_at: a.starts_at,
                        ends_at: a.ends_at,
                        status,
                        reason: Some(a.reason.to_string()),
                        cancel_reason: a.cancel_reason.map(str::to_string),
                    })?;
                }
                None => {
                    tx.book(&BookingRequest {
                        patient_id: patient_ids[a.patient].clone(),
                        slot_id: Some(a.slot_id.clone()),
                        appointment_type_id: Some(type_id.clone()),
                        reason: Some(a.reason.to_string()),
                        ..Default::default()
                    })?;
                }
            }
        }
        Ok(())
    })?;
    let mut classes_counted = HashSet::new();
    for a in plan {
        let status = a.status.unwrap_or(AppointmentStatus::Booked);
        *report
            .by_status
            .entry(status.as_str().to_string())
            .or_default() += 1;
        if status.is_active() {
            if a.ty == GROUP {
                // A group class takes its one slot however many join it.
                if classes_counted.insert(a.slot_id.as_str()) {
                    report.slots_filled += 1;
                }
            } else {
                report.slots_filled += ((a.ends_at - a.starts_at) / 60 / SLOT_MINUTES) as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_ends_at_the_total_in_about_a_hundred_calls() {
        for total in [1u64, 7, 99, 100, 101, 365, 1_000, 100_000] {
            let mut calls = Vec::new();
            let mut f = |p: Progress| calls.push(p.done);
            let mut m = Meter::new("x", total, &mut f);
            for done in 1..=total {
                m.at(done);
            }
            m.at(total);
            assert_eq!(calls.first(), Some(&0));
            assert_eq!(calls.last(), Some(&total), "total {total}");
            assert!(calls.len() <= 102, "total {total}: {} calls", calls.len());
            assert!(
                calls.windows(2).all(|w| w[0] < w[1]),
                "total {total}: {calls:?}"
            );
        }
    }

    #[test]
    fn about_seventy_percent_of_the_time_is_booked() {
        let p = start_chance();
        let d = mean_slots_per_visit();
        let fill = p * d / (p * d + 1.0 - p);
        assert!((fill - FILL).abs() < 1e-9);
    }
}
