//! Propagation (docs/benchmarks.md, "Sync"): with BENCH_SYNC_DESKTOPS
//! (default 50) desktops connected to a clinic server over TLS on loopback,
//! each keeping itself in sync with `clinicdesk_sync::watch`, one desktop
//! registers a patient and pushes it; measured is the time from the write
//! until each other desktop has merged it. BENCH_SYNC_ROUNDS (default 40)
//! writes, one after another. Run through `bench/sync.sh propagation`.

#[path = "../tests/support/mod.rs"]
mod support;

use clinicdesk_domain::Role;
use clinicdesk_store::PatientInput;
use clinicdesk_sync::WatchEvent;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The round being measured and when its write started.
type Round = Arc<Mutex<Option<(usize, Instant)>>>;

fn main() {
    let desktops = num("BENCH_SYNC_DESKTOPS", 50).max(2);
    let rounds = num("BENCH_SYNC_ROUNDS", 40).max(1);
    let server = support::Server::start(None);
    let roles = vec![Role::FrontDesk, Role::Admin];
    let stop = Arc::new(clinicdesk_sync::WatchControl::default());
    let round: Round = Arc::new(Mutex::new(None));
    let seen: Arc<Mutex<Vec<(usize, usize, Duration)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut dirs = Vec::new();
    let mut watchers = Vec::new();
    let mut writer = None;
    let started = Instant::now();
    for d in 0..desktops {
        let (dir, mut store, admin) = support::desktop(&format!("admin-{d}"));
        clinicdesk_sync::enroll(
            &mut store,
            &admin,
            &server.url(),
            &server.code(roles.clone()),
            &format!("Desk {d}"),
        )
        .unwrap();
        clinicdesk_sync::sync_now(&mut store).unwrap();
        dirs.push(dir);
        if d == 0 {
            writer = Some((store, admin));
            continue;
        }
        let (stop, round, seen) = (stop.clone(), round.clone(), seen.clone());
        watchers.push(std::thread::spawn(move || {
            let mut last = None;
            clinicdesk_sync::watch(&mut store, Duration::from_secs(30), &stop, |e| {
                if let WatchEvent::Synced(o) = e {
                    if o.pulled == 0 {
                        return;
                    }
                    if let Some((r, t0)) = *round.lock().unwrap() {
                        if last != Some(r) {
                            last = Some(r);
                            seen.lock().unwrap().push((r, d, t0.elapsed()));
                        }
                    }
                }
            })
            .unwrap();
        }));
    }
    eprintln!(
        "bench: {desktops} desktops enrolled and watching in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let (mut a, admin) = writer.unwrap();
    // Everyone catches up with everyone's set-up before measuring.
    clinicdesk_sync::sync_now(&mut a).unwrap();
    std::thread::sleep(Duration::from_secs(3));

    let client = clinicdesk_sync::connect(&a).unwrap();
    let others = desktops - 1;
    let mut missed = 0;
    for r in 0..rounds {
        *round.lock().unwrap() = Some((r, Instant::now()));
        a.add_patient(
            &admin,
            &PatientInput {
                given_name: format!("Round{r}"),
                family_name: "Propagation".into(),
                birth_date: "1970-01-01".into(),
                ..Default::default()
            },
        )
        .unwrap();
        clinicdesk_sync::push_all(&mut a, &client).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let n = seen.lock().unwrap().iter().filter(|s| s.0 == r).count();
            if n >= others {
                break;
            }
            if Instant::now() > deadline {
                missed += others - n;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    stop.stop();
    let mut ms: Vec<f64> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.2.as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    let (p50, p95, p99) = (pct(0.5), pct(0.95), pct(0.99));
    println!(
        "propagation desktop -> server -> desktop, {desktops} desktops connected, {rounds} writes:"
    );
    println!(
        "  {} arrivals: p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms, max {:.1} ms (target p95 <= 250 ms: {}); not arrived within 10 s: {missed}",
        ms.len(),
        ms[ms.len() - 1],
        if p95 <= 250.0 && missed == 0 { "ok" } else { "MISS" }
    );
    for w in watchers {
        let _ = w.join();
    }
    if let Some(dir) = std::env::var_os("CLINICDESK_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join("sync-propagation.json");
        let v = serde_json::json!({"desktops": desktops, "rounds": rounds, "arrivals": ms.len(), "missed": missed, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99});
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }
    server.stop();
}
