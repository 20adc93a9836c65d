//! Store benchmarks on a demo clinic: by default 100,000 patients and about
//! 1,000,000 appointments (BENCH_PATIENTS, BENCH_APPOINTMENTS for other sizes).
//! Run through `bench/run.sh`, which gives them a persistent OS keychain.
//!
//! The encrypted data set takes minutes to make, so it is kept under
//! `$CLINICDESK_BENCH_DIR` (default `~/.cache/clinicdesk/bench`) and made
//! again only when its marker does not match this build. Every run works on
//! a fresh copy of it, so earlier runs' bookings never change what is
//! measured. The plain-SQLite twin (same generator, spec and seed) is cached
//! beside it the same way and copied afresh for every run, so both stores
//! are measured in the same state.
//!
//! Benchmarks (each a real store operation, audit entry and commit included):
//! - `open/sqlcipher`: `Store::open` with `Unlock::default()`: keychain, key check, migration check.
//! - `book/sqlcipher`, `book/plain`: `Store::book` of a patient into a free future
//!   slot, a fresh one each iteration, so every booking passes every rule and is written.
//! - `week_view/sqlcipher`: `Store::week_view` of one provider.
//! - `flow_board/sqlcipher`: `Store::flow_board` of one location on the data set's today.
//! - `search_patients/sqlcipher`: `Store::search_patients` by a name prefix (50 results at most).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use clinicdesk_demo::{generate, DemoReport, DemoSpec, Progress, GENERATOR_VERSION};
use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::config::StoreConfig;
use clinicdesk_store::{
    BookingRequest, KeySetup, NewClinic, NewUser, PageHmac, Session, Store, Unlock,
};
use criterion::{Criterion, SamplingMode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

const ZONE: &str = "America/New_York";
const ADMIN: &str = "admin";
const PASSWORD: &str = "benchmark password";
const DAYS: u32 = 365;
const SEARCH_PREFIXES: &[&str] = &[
    "Smi", "Joh", "Gar", "Mar", "Lee", "Ngu", "Pat", "Kim", "And", "Tho", "Rob", "Wal",
];
const SEARCH_LIMIT: usize = 50;
/// Bookings per store in the paired (alternating) comparison.
const PAIRED_ROUNDS: usize = 2_000;

/// The targets, in milliseconds (median).
const TARGETS: &[(&str, f64)] = &[
    ("open/sqlcipher", 200.0),
    ("book/sqlcipher", 1.0),
    ("book/plain", f64::NAN),
    ("book_paired/sqlcipher", f64::NAN),
    ("book_paired/plain", f64::NAN),
    ("week_view/sqlcipher", 2.0),
    ("flow_board/sqlcipher", 2.0),
    ("search_patients/sqlcipher", 5.0),
];

struct Config {
    root: PathBuf,
    /// Set by `bench/run.sh --no-fsync` (run under eatmydata): a diagnostic
    /// that shows what an operation costs besides waiting for the disk.
    no_fsync: bool,
    /// BENCH_PLAIN=0: skip the plain-SQLite twin (diagnostic runs; no ratio then).
    plain: bool,
    /// BENCH_CACHE_MIB=N: a diagnostic that gives the benchmark's encrypted
    /// connection an N MiB page cache instead of the store's 128 MiB.
    cache_mib: Option<u64>,
    patients: u32,
    appointments: u64,
}

fn config() -> Config {
    let root = std::env::var_os("CLINICDESK_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/clinicdesk/bench")
        });
    let num = |name: &str, default: u64| -> u64 {
        std::env::var(name)
            .ok()
            .map(|v| {
                v.replace('_', "")
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
            })
            .unwrap_or(default)
    };
    Config {
        root,
        no_fsync: std::env::var("BENCH_NO_FSYNC").is_ok_and(|v| v == "1"),
        plain: std::env::var("BENCH_PLAIN").map_or(true, |v| v != "0"),
        cache_mib: std::env::var("BENCH_CACHE_MIB")
            .ok()
            .map(|v| v.parse().expect("BENCH_CACHE_MIB is a number of MiB")),
        patients: num("BENCH_PATIENTS", 100_000) as u32,
        appointments: num("BENCH_APPOINTMENTS", 1_000_000),
    }
}

/// What a cached data set was made from; it is used only when all of it matches.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Marker {
    generator_version: u32,
    schema: i64,
    patients: u32,
    appointments: u64,
    spec: DemoSpec,
    report: DemoReport,
    generation_seconds: f64,
    phase_seconds: BTreeMap<String, f64>,
    db_bytes: u64,
}

fn new_clinic(key: KeySetup) -> NewClinic {
    NewClinic {
        name: "Benchmark Health".into(),
        timezone: ClinicZone::parse(ZONE).expect("zone"),
        admin: NewUser {
            username: ADMIN.into(),
            display_name: "Benchmark Admin".into(),
            role: Role::Admin,
            password: PASSWORD.into(),
            provider_id: None,
        },
        key,
    }
}

/// Generates with progress on stderr; returns the seconds each phase took.
fn timed_generate(
    store: &mut Store,
    admin: &Session,
    spec: &DemoSpec,
    label: &str,
) -> (DemoReport, f64, BTreeMap<String, f64>) {
    let started = Instant::now();
    let mut phases: BTreeMap<String, f64> = BTreeMap::new();
    let mut phase_start = Instant::now();
    let mut last_shown = (String::new(), 0u64);
    let report = generate(store, admin, spec, &mut |p: Progress| {
        if p.done == 0 {
            phase_start = Instant::now();
        }
        let tenth = p.done * 10 / p.total.max(1);
        if last_shown.0 != p.phase || last_shown.1 != tenth {
            eprintln!(
                "[{label} {:>6.1}s] {:<12} {:>3}% ({}/{})",
                started.elapsed().as_secs_f64(),
                p.phase,
                p.done * 100 / p.total.max(1),
                p.done,
                p.total
            );
            last_shown = (p.phase.to_string(), tenth);
        }
        if p.done == p.total {
            phases.insert(p.phase.to_string(), phase_start.elapsed().as_secs_f64());
        }
    })
    .expect("generate the demo clinic");
    (report, started.elapsed().as_secs_f64(), phases)
}

fn db_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The most recent weekday up to today in the clinic's zone: the data set's today.
fn data_set_today() -> NaiveDate {
    let mut d = ClinicZone::parse(ZONE).expect("zone").today();
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d -= Duration::days(1);
    }
    d
}

/// The cached encrypted data set, made if missing or stale.
fn ensure_data_set(cfg: &Config) -> (PathBuf, Marker) {
    let set = cfg
        .root
        .join(format!("set-{}p-{}a", cfg.patients, cfg.appointments));
    let pristine = set.join("pristine");
    let marker_path = set.join("marker.json");
    let wanted = |m: &Marker| {
        m.generator_version == GENERATOR_VERSION
            && m.schema == clinicdesk_store::latest_schema()
            && m.patients == cfg.patients
            && m.appointments == cfg.appointments
            // A set made on a machine that chose the other page HMAC would
            // measure that machine's choice, not this one's.
            && StoreConfig::load(&pristine).map(|c| c.page_hmac).ok()
                == Some(PageHmac::for_this_machine())
    };
    if let Some(m) = std::fs::read(&marker_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Marker>(&b).ok())
    {
        if wanted(&m) {
            match Store::open(&pristine, &Unlock::default()) {
                Ok(_) => {
                    eprintln!("bench: using the cached data set in {}", set.display());
                    return (pristine, m);
                }
                Err(e) => {
                    eprintln!("bench: the cached data set does not open ({e}); making it again")
                }
            }
        } else {
            eprintln!(
                "bench: the cached data set was made by another version or size; making it again"
            );
        }
    }
    if set.exists() {
        std::fs::remove_dir_all(&set).expect("remove the stale data set");
    }
    std::fs::create_dir_all(&set).expect("create the data set directory");
    let spec = DemoSpec::for_appointments(cfg.appointments, cfg.patients, DAYS, data_set_today());
    eprintln!(
        "bench: making the encrypted data set: {} providers, {} patients, {} days (about {} appointments)",
        spec.providers,
        spec.patients,
        spec.days,
        spec.estimated_appointments()
    );
    let (mut store, admin) = Store::create(
        &pristine,
        new_clinic(KeySetup::Keychain(Keychain::default())),
    )
    .expect("create the store");
    let (report, secs, phases) = timed_generate(&mut store, &admin, &spec, "sqlcipher");
    drop(store);
    let marker = Marker {
        generator_version: GENERATOR_VERSION,
        schema: clinicdesk_store::latest_schema(),
        patients: cfg.patients,
        appointments: cfg.appointments,
        spec,
        report,
        generation_seconds: secs,
        phase_seconds: phases,
        db_bytes: db_bytes(&pristine),
    };
    std::fs::write(
        &marker_path,
        serde_json::to_vec_pretty(&marker).expect("marker json"),
    )
    .expect("write the marker");
    eprintln!("bench: data set made in {secs:.1}s: {:?}", marker.report);
    (pristine, marker)
}

/// The plain-SQLite twin of the data set, made once from the same spec and
/// seed and kept beside it (`plain-pristine/`); made again when it is missing,
/// does not open, or holds another data set.
fn ensure_plain_twin(set: &Path, marker: &Marker) -> (PathBuf, Marker) {
    let pristine = set.join("plain-pristine");
    let marker_path = set.join("plain-marker.json");
    if let Some(m) = std::fs::read(&marker_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Marker>(&b).ok())
    {
        if m.report == marker.report && m.schema == marker.schema {
            match Store::open_unencrypted_for_benchmark(&pristine) {
                Ok(_) => {
                    eprintln!(
                        "bench: using the cached plain twin in {}",
                        pristine.display()
                    );
                    return (pristine, m);
                }
                Err(e) => {
                    eprintln!("bench: the cached plain twin does not open ({e}); making it again")
                }
            }
        }
    }
    if pristine.exists() {
        std::fs::remove_dir_all(&pristine).expect("remove the stale plain twin");
    }
    eprintln!("bench: making the plain-SQLite twin of the data set");
    let (mut plain, admin) = Store::create_unencrypted_for_benchmark(
        &pristine,
        new_clinic(KeySetup::Keychain(Keychain::default())),
    )
    .expect("create the plain store");
    let (report, secs, phases) = timed_generate(&mut plain, &admin, &marker.spec, "plain");
    assert_eq!(report, marker.report, "both stores hold the same data set");
    drop(plain);
    let twin = Marker {
        report,
        generation_seconds: secs,
        phase_seconds: phases,
        db_bytes: db_bytes(&pristine),
        ..marker.clone()
    };
    std::fs::write(
        &marker_path,
        serde_json::to_vec_pretty(&twin).expect("marker json"),
    )
    .expect("write the plain marker");
    (pristine, twin)
}

/// A fresh working copy of the data set (same store id, so the same keychain entry).
fn working_copy(pristine: &Path, work: &Path) {
    if work.exists() {
        std::fs::remove_dir_all(work).expect("remove the old working copy");
    }
    std::fs::create_dir_all(work).expect("create the working copy");
    for entry in std::fs::read_dir(pristine).expect("read the data set") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), work.join(entry.file_name())).expect("copy the data set");
    }
}

/// Every benchmark starts from the same state: nothing left to write back
/// (`sync`), the data set's pristine copy (not used) dropped from the OS page
/// cache, and the databases in use read once so they are in the page cache,
/// as on a desktop that has had the clinic open for a while.
fn settle(read: &[PathBuf], drop: &[PathBuf]) {
    let _ = std::process::Command::new("sync").status();
    for f in drop {
        let _ = std::process::Command::new("dd")
            .arg(format!("if={}", f.display()))
            .args(["iflag=nocache", "count=0", "status=none"])
            .status();
    }
    for f in read {
        if let Ok(mut file) = std::fs::File::open(f) {
            let started = Instant::now();
            let n = std::io::copy(&mut file, &mut std::io::sink()).unwrap_or(0);
            eprintln!(
                "bench: read {} ({:.1} GB) into the page cache in {:.1}s",
                f.display(),
                n as f64 / 1e9,
                started.elapsed().as_secs_f64()
            );
        }
    }
}

/// Free future 15-minute slots, each paired with a new patient who is free
/// then, in a shuffled order: every booking from this list succeeds.
fn booking_candidates(
    store: &mut Store,
    admin: &Session,
    spec: &DemoSpec,
    report: &DemoReport,
) -> Vec<BookingRequest> {
    let follow_up = store
        .find_appointment_type("Follow-up")
        .expect("Follow-up type")
        .id;
    let mut free: Vec<(i64, String)> = Vec::new();
    let first = report.today + Duration::days(1);
    for p in store.providers().expect("providers") {
        let cal = store
            .calendar(admin, &p.id, first, report.last_day)
            .expect("calendar");
        let mut taken: HashSet<i64> = HashSet::new();
        for a in cal.appointments.iter().filter(|a| a.status.is_active()) {
            let mut t = a.starts_at;
            while t < a.ends_at {
                taken.insert(t);
                t += 15 * 60;
            }
        }
        for s in cal.slots {
            if s.status == "open"
                && s.appointment_type_id.is_none()
                && s.ends_at - s.starts_at == 15 * 60
                && !taken.contains(&s.starts_at)
            {
                free.push((s.starts_at, s.id));
            }
        }
    }
    // Fisher–Yates with a fixed seed: bookings land all over the calendar.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..free.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        free.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let pool: Vec<String> = spec
        .new_patient_mrns()
        .iter()
        .take(500)
        .map(|mrn| {
            store.search_patients(admin, mrn, 1).expect("search")[0]
                .id
                .clone()
        })
        .collect();
    assert!(!pool.is_empty(), "the data set has no new patients to book");
    // The n-th booking at a given time goes to the n-th pool patient, so no
    // patient is ever booked twice at once.
    let mut at_time: HashMap<i64, usize> = HashMap::new();
    let mut out = Vec::with_capacity(free.len());
    for (starts_at, slot_id) in free {
        let n = at_time.entry(starts_at).or_default();
        if *n < pool.len() {
            out.push(BookingRequest {
                patient_id: pool[*n].clone(),
                slot_id: Some(slot_id),
                appointment_type_id: Some(follow_up.clone()),
                reason: Some("Blood pressure check".into()),
                ..Default::default()
            });
            *n += 1;
        }
    }
    out
}

/// Per-operation times, for percentiles beside criterion's own statistics.
#[derive(Default)]
struct Recorder(BTreeMap<String, Vec<f64>>);

impl Recorder {
    fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> (T, StdDuration) {
        let t = Instant::now();
        let out = f();
        let d = t.elapsed();
        self.0
            .entry(name.to_string())
            .or_default()
            .push(d.as_secs_f64() * 1e3);
        (out, d)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn criterion_estimate(id: &str) -> Option<(f64, f64, f64, f64)> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("criterion"));
    let raw = std::fs::read(home.join(id).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    let ms = |k: &str, f: &str| v[k][f].as_f64().map(|ns| ns / 1e6);
    Some((
        ms("median", "point_estimate")?,
        ms("median_abs_dev", "point_estimate")?,
        v["median"]["confidence_interval"]["lower_bound"].as_f64()? / 1e6,
        v["median"]["confidence_interval"]["upper_bound"].as_f64()? / 1e6,
    ))
}

fn main() {
    let cfg = config();
    std::fs::create_dir_all(&cfg.root).expect("create the bench directory");
    if cfg.no_fsync {
        eprintln!("bench: DIAGNOSTIC RUN: fsync is disabled (eatmydata); these figures are not durable-commit figures");
    }
    if let Some(mib) = cfg.cache_mib {
        eprintln!("bench: DIAGNOSTIC RUN: the encrypted connection gets a {mib} MiB page cache (the store uses 128 MiB)");
    }
    let mut c = Criterion::default().configure_from_args();
    let mut rec = Recorder::default();

    let (pristine, marker) = ensure_data_set(&cfg);
    let set = pristine.parent().expect("the data set has a directory");
    // Made (if need be) before anything is measured: its gigabytes of writes
    // must not disturb the measurements.
    let plain_twin = cfg.plain.then(|| ensure_plain_twin(set, &marker));
    let work = set.join("work");
    let plain_dir = set.join("plain");
    working_copy(&pristine, &work);
    let mut read = vec![work.join("clinicdesk.db")];
    let mut drop_cached = vec![pristine.join("clinicdesk.db")];
    if let Some((plain_pristine, _)) = &plain_twin {
        working_copy(plain_pristine, &plain_dir);
        read.push(plain_dir.join("clinicdesk.db"));
        drop_cached.push(plain_pristine.join("clinicdesk.db"));
    }
    settle(&read, &drop_cached);

    // Opening first, while nothing else holds the database open.
    {
        let mut g = c.benchmark_group("open");
        g.bench_function("sqlcipher", |b| {
            b.iter_custom(|iters| {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    let (store, d) = rec.time("open/sqlcipher", || {
                        Store::open(&work, &Unlock::default()).expect("open")
                    });
                    total += d;
                    drop(store);
                }
                total
            })
        });
        g.finish();
    }

    let mut enc = Store::open(&work, &Unlock::default()).expect("open the working copy");
    let enc_admin = enc.login(ADMIN, PASSWORD).expect("log in");

    if let Some(mib) = cfg.cache_mib {
        enc.write(&enc_admin, |tx| {
            tx.conn()
                .execute_batch(&format!("PRAGMA cache_size = -{}", mib * 1024))?;
            Ok(())
        })
        .expect("set the page cache size");
    }

    let providers: Vec<String> = enc
        .providers()
        .expect("providers")
        .into_iter()
        .map(|p| p.id)
        .collect();
    let locations: Vec<String> = enc
        .locations()
        .expect("locations")
        .into_iter()
        .map(|l| l.id)
        .collect();
    let today = marker.report.today;
    {
        let mut g = c.benchmark_group("week_view");
        let mut n = 0usize;
        g.bench_function("sqlcipher", |b| {
            b.iter_custom(|iters| {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    // Provider by provider, weeks around today.
                    let p = &providers[n % providers.len()];
                    let day = today + Duration::days(7 * ((n / providers.len()) % 9) as i64 - 28);
                    n += 1;
                    let (v, d) = rec.time("week_view/sqlcipher", || {
                        enc.week_view(&enc_admin, p, day).expect("week view")
                    });
                    total += d;
                    assert!(!v.slots.is_empty());
                }
                total
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("flow_board");
        // Slow enough per call that criterion's default 5,050-iteration ramp would take minutes.
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(StdDuration::from_secs(10));
        let mut n = 0usize;
        g.bench_function("sqlcipher", |b| {
            b.iter_custom(|iters| {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    let l = &locations[n % locations.len()];
                    n += 1;
                    let (rows, d) = rec.time("flow_board/sqlcipher", || {
                        enc.flow_board(&enc_admin, Some(l), Some(today))
                            .expect("flow board")
                    });
                    total += d;
                    assert!(!rows.is_empty());
                }
                total
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("search_patients");
        let mut n = 0usize;
        g.bench_function("sqlcipher", |b| {
            b.iter_custom(|iters| {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    let q = SEARCH_PREFIXES[n % SEARCH_PREFIXES.len()];
                    n += 1;
                    let (found, d) = rec.time("search_patients/sqlcipher", || {
                        enc.search_patients(&enc_admin, q, SEARCH_LIMIT)
                            .expect("search")
                    });
                    total += d;
                    assert!(!found.is_empty());
                }
                total
            })
        });
        g.finish();
    }
    // Booking in the encrypted store, in the same quiet state as the views.
    let mut enc_slots =
        booking_candidates(&mut enc, &enc_admin, &marker.spec, &marker.report).into_iter();
    eprintln!("bench: {} free future slots to book", enc_slots.len());
    let book_config = |g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>| {
        g.sample_size(50)
            .warm_up_time(StdDuration::from_secs(2))
            .measurement_time(StdDuration::from_secs(6));
    };
    let book = |rec: &mut Recorder,
                id: &str,
                store: &mut Store,
                admin: &Session,
                slots: &mut std::vec::IntoIter<BookingRequest>|
     -> StdDuration {
        let req = slots
            .next()
            .expect("ran out of free slots to book: make the data set larger");
        let (a, d) = rec.time(id, || {
            store
                .book(admin, &req)
                .expect("a booking into a free slot succeeds")
        });
        debug_assert_eq!(a.status, clinicdesk_domain::AppointmentStatus::Booked);
        d
    };
    {
        let mut g = c.benchmark_group("book");
        book_config(&mut g);
        g.bench_function("sqlcipher", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        book(
                            &mut rec,
                            "book/sqlcipher",
                            &mut enc,
                            &enc_admin,
                            &mut enc_slots,
                        )
                    })
                    .sum()
            })
        });
        g.finish();
    }

    // The plain twin, copied and settled with the encrypted working copy.
    if cfg.plain {
        let mut plain =
            Store::open_unencrypted_for_benchmark(&plain_dir).expect("open the plain twin");
        let plain_admin = plain
            .login(ADMIN, PASSWORD)
            .expect("log in to the plain twin");
        let mut plain_slots =
            booking_candidates(&mut plain, &plain_admin, &marker.spec, &marker.report).into_iter();
        // Side by side: one booking in each store in turn, so both see the
        // same machine at the same time; this is what the ratio is taken from.
        // A small (--quick) data set may not have PAIRED_ROUNDS free slots left.
        let rounds = PAIRED_ROUNDS
            .min(enc_slots.len() / 2)
            .min(plain_slots.len() / 2);
        eprintln!("bench: {rounds} paired bookings, alternating between the stores");
        for _ in 0..rounds {
            book(
                &mut rec,
                "book_paired/sqlcipher",
                &mut enc,
                &enc_admin,
                &mut enc_slots,
            );
            book(
                &mut rec,
                "book_paired/plain",
                &mut plain,
                &plain_admin,
                &mut plain_slots,
            );
        }
        let mut g = c.benchmark_group("book");
        book_config(&mut g);
        g.bench_function("plain", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        book(
                            &mut rec,
                            "book/plain",
                            &mut plain,
                            &plain_admin,
                            &mut plain_slots,
                        )
                    })
                    .sum()
            })
        });
        g.finish();
    }

    c.final_summary();

    // The summary: criterion's median (of per-sample means) and every call's percentiles.
    let mut results = serde_json::Map::new();
    println!();
    println!(
        "{:<28} {:>10} {:>9} {:>21} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "benchmark (ms)", "median", "MAD", "median 95% CI", "p10", "p90", "p99", "calls", "target"
    );
    for (id, target) in TARGETS {
        let est = criterion_estimate(id);
        let mut calls = rec.0.get(*id).cloned().unwrap_or_default();
        if calls.is_empty() {
            // Not run this time (a filter, or no plain twin): an older estimate would mislead.
            continue;
        }
        calls.sort_by(f64::total_cmp);
        let (p10, p50, p90, p99) = (
            percentile(&calls, 0.10),
            percentile(&calls, 0.50),
            percentile(&calls, 0.90),
            percentile(&calls, 0.99),
        );
        let (median, mad, lo, hi) = est.unwrap_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN));
        let verdict = if target.is_nan() {
            "-".to_string()
        } else if median <= *target {
            format!("<= {target} ok")
        } else {
            format!("> {target} MISS")
        };
        println!(
            "{id:<28} {median:>10.3} {mad:>9.3} {:>21} {p10:>9.3} {p90:>9.3} {p99:>9.3} {:>8} {verdict:>7}",
            format!("[{lo:.3}, {hi:.3}]"),
            calls.len()
        );
        results.insert(
            id.to_string(),
            serde_json::json!({
                "criterion_median_ms": median, "criterion_median_abs_dev_ms": mad,
                "criterion_median_ci95_ms": [lo, hi],
                "calls": calls.len(), "p10_ms": p10, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99,
                "max_ms": calls.last().copied(),
                "target_ms": if target.is_nan() { None } else { Some(*target) },
            }),
        );
    }
    let ratio = |a: &str, b: &str| Some(criterion_estimate(a)?.0 / criterion_estimate(b)?.0);
    let paired = |id: &str| {
        let mut v = rec.0.get(id).cloned().unwrap_or_default();
        v.sort_by(f64::total_cmp);
        percentile(&v, 0.5)
    };
    if cfg.plain {
        let r = paired("book_paired/sqlcipher") / paired("book_paired/plain");
        println!(
            "book, paired (alternating): SQLCipher / plain SQLite = {r:.3}x (target <= 1.25x: {})",
            if r <= 1.25 { "ok" } else { "MISS" }
        );
        results.insert("book_paired_ratio_sqlcipher_over_plain".into(), r.into());
    }
    if let Some(r) = ratio("book/sqlcipher", "book/plain").filter(|_| cfg.plain) {
        println!(
            "book (criterion medians): SQLCipher / plain SQLite = {r:.3}x (target <= 1.25x: {})",
            if r <= 1.25 { "ok" } else { "MISS" }
        );
        results.insert("book_ratio_sqlcipher_over_plain".into(), r.into());
    }
    println!(
        "data set: {} providers, {} patients, {} appointments ({} to {}, today {}); generation {:.1}s encrypted, {:.1}s plain",
        marker.report.providers,
        marker.report.patients,
        marker.report.appointments,
        marker.report.first_day,
        marker.report.last_day,
        marker.report.today,
        marker.generation_seconds,
        plain_twin.as_ref().map_or(f64::NAN, |(_, m)| m.generation_seconds)
    );
    results.insert(
        "data_set".into(),
        serde_json::to_value(&marker).expect("json"),
    );
    if let Some((_, twin)) = &plain_twin {
        results.insert(
            "plain_twin".into(),
            serde_json::to_value(twin).expect("json"),
        );
    }
    let mut diagnostic = String::new();
    if cfg.no_fsync {
        diagnostic.push_str("-nofsync");
    }
    if let Some(mib) = cfg.cache_mib {
        diagnostic.push_str(&format!("-cache{mib}mib"));
    }
    if !cfg.plain {
        diagnostic.push_str("-noplain");
    }
    results.insert("fsync_disabled_diagnostic".into(), cfg.no_fsync.into());
    results.insert("cache_mib_diagnostic".into(), cfg.cache_mib.into());
    let out = cfg.root.join(format!(
        "results-{}p-{}a{diagnostic}.json",
        cfg.patients, cfg.appointments
    ));
    std::fs::write(&out, serde_json::to_vec_pretty(&results).expect("json"))
        .expect("write results");
    eprintln!("bench: results written to {}", out.display());
}
