//! Load generator (docs/benchmarks.md, "Sync"): BENCH_LOAD_DEVICES (default
//! 200) simulated desktops sync with one clinic server over TLS on loopback
//! for BENCH_LOAD_SECONDS (default 30): each, once a second, pushes
//! BENCH_LOAD_BATCH (default 1) changes and pulls everything new, which is
//! every other desktop's changes of that second. Measured is every request's
//! latency as the desktop sees it. BENCH_LOAD_BACKEND is `sqlite` (default)
//! or `postgres` (needs CLINICDESK_TEST_POSTGRES). Run through
//! `bench/sync.sh load-sqlite` or `load-postgres`.
//!
//! The generator shares the machine's cores with the server, so the figures
//! include its own TLS and JSON work.

use clinicdesk_domain::Role;
use clinicdesk_server::auth;
use clinicdesk_server::db::{Database, EnrollmentCode, NewDevice};
use clinicdesk_server::http::{router, App};
use clinicdesk_sync_proto::{ChangeEntry, Op, PullResponse, PushRequest, PROTOCOL_HEADER};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn enroll_all<D: Database>(db: &D, n: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let lookup = format!("L{i:04}");
        db.add_enrollment_code(&EnrollmentCode {
            lookup: lookup.clone(),
            secret: "unused".into(),
            roles: vec![Role::FrontDesk, Role::Admin],
            expires_at: i64::MAX / 2,
        })
        .await
        .unwrap();
        let token = auth::new_token();
        let device = format!("load-{i}");
        db.redeem(
            &lookup,
            &NewDevice {
                device_id: device.clone(),
                name: device.clone(),
                token_hash: auth::token_hash(&token),
            },
            1,
        )
        .await
        .unwrap();
        out.push((device, token));
    }
    out
}

async fn run<D: Database>(db: D, backend: &str) -> serde_json::Value {
    let devices = num("BENCH_LOAD_DEVICES", 200);
    let seconds = num("BENCH_LOAD_SECONDS", 30);
    let batch = num("BENCH_LOAD_BATCH", 1);
    let dir = tempfile::tempdir().unwrap();
    let identity = clinicdesk_server::tls::identity(dir.path(), None, None, &[]).unwrap();
    db.migrate().await.unwrap();
    let creds = enroll_all(&db, devices).await;
    let app = App::new(db, identity.fingerprint.clone()).await.unwrap();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        identity.cert_pem.into_bytes(),
        identity.key_pem.into_bytes(),
    )
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        axum_server::from_tcp_rustls(listener, config)
            .unwrap()
            .handle(h)
            .serve(router(app).into_make_service())
            .await
            .unwrap();
    });
    let url = format!("https://127.0.0.1:{}", addr.port());
    let push_ms = Arc::new(Mutex::new(Vec::new()));
    let pull_ms = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0u64));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, (device, token)) in creds.into_iter().enumerate() {
        let (url, push_ms, pull_ms, errors) = (
            url.clone(),
            push_ms.clone(),
            pull_ms.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            // Each desktop has its own connection, as a real one does.
            let http = reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap();
            // Spread the desktops over the first second.
            tokio::time::sleep(Duration::from_millis((i as u64 * 997) % 1000)).await;
            let mut cursor = 0i64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let round = Instant::now();
                let changes: Vec<ChangeEntry> = (0..batch as u32)
                    .map(|k| {
                        n += 1;
                        let mut fields = serde_json::Map::new();
                        fields.insert("status".into(), "booked".into());
                        ChangeEntry {
                            change_id: uuid::Uuid::now_v7().to_string(),
                            hlc: format!("{:015}-{:06}-{device}", 1_760_000_000_000u64 + n, k),
                            device_id: device.clone(),
                            user_id: None,
                            table: "appointments".into(),
                            record_id: format!("{device}-{n}"),
                            op: Op::Update,
                            fields,
                        }
                    })
                    .collect();
                let t = Instant::now();
                let res = http
                    .post(format!("{url}/v1/changes"))
                    .header(PROTOCOL_HEADER, "1")
                    .bearer_auth(&token)
                    .json(&PushRequest { changes })
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        push_ms
                            .lock()
                            .unwrap()
                            .push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    _ => *errors.lock().unwrap() += 1,
                }
                loop {
                    let t = Instant::now();
                    let res = http
                        .get(format!("{url}/v1/changes?after={cursor}&limit=1000"))
                        .header(PROTOCOL_HEADER, "1")
                        .bearer_auth(&token)
                        .send()
                        .await;
                    let page: Option<PullResponse> = match res {
                        Ok(r) if r.status().is_success() => r.json().await.ok(),
                        _ => None,
                    };
                    let Some(page) = page else {
                        *errors.lock().unwrap() += 1;
                        break;
                    };
                    pull_ms
                        .lock()
                        .unwrap()
                        .push(t.elapsed().as_secs_f64() * 1e3);
                    cursor = page.next;
                    if !page.more {
                        break;
                    }
                }
                let left = Duration::from_secs(1).saturating_sub(round.elapsed());
                tokio::time::sleep(left).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    handle.shutdown();
    let stats = |v: &Arc<Mutex<Vec<f64>>>| {
        let mut v = v.lock().unwrap().clone();
        v.sort_by(f64::total_cmp);
        let p = |q: f64| {
            v.get(((v.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        (v.len(), p(0.5), p(0.95), p(0.99))
    };
    let (pn, p50, p95, p99) = stats(&push_ms);
    let (ln, l50, l95, l99) = stats(&pull_ms);
    let mut all: Vec<f64> = push_ms.lock().unwrap().clone();
    all.extend(pull_ms.lock().unwrap().iter());
    all.sort_by(f64::total_cmp);
    let a95 = all
        .get(((all.len() as f64 - 1.0) * 0.95).round() as usize)
        .copied()
        .unwrap_or(f64::NAN);
    let errors = *errors.lock().unwrap();
    println!("load: {devices} desktops for {seconds}s on {backend} (TLS on loopback), each pushing {batch} change(s) and pulling once a second:");
    println!("  push: {pn} requests, p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms");
    println!("  pull: {ln} requests, p50 {l50:.1} ms, p95 {l95:.1} ms, p99 {l99:.1} ms");
    println!(
        "  all requests p95 {a95:.1} ms (target <= 50 ms: {}); failed requests: {errors}",
        if a95 <= 50.0 && errors == 0 {
            "ok"
        } else {
            "MISS"
        }
    );
    serde_json::json!({
        "backend": backend, "devices": devices, "seconds": seconds, "batch": batch, "errors": errors,
        "push": {"requests": pn, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99},
        "pull": {"requests": ln, "p50_ms": l50, "p95_ms": l95, "p99_ms": l99},
        "all_p95_ms": a95,
    })
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let backend = std::env::var("BENCH_LOAD_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        match backend.as_str() {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let db = clinicdesk_server::sqlite::SqliteDb::open(
                    &dir.path().join("data"),
                    &dir.path().join("key"),
                )
                .unwrap();
                let r = run(db, "sqlite").await;
                drop(dir);
                r
            }
            "postgres" => {
                let admin = std::env::var("CLINICDESK_TEST_POSTGRES")
                    .expect("postgres needs CLINICDESK_TEST_POSTGRES");
                let name = format!("cd_load_{}", std::process::id());
                let (c, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
                run(
                    clinicdesk_server::postgres::PgDb::connect(&url, 16).unwrap(),
                    "postgres",
                )
                .await
            }
            other => panic!("BENCH_LOAD_BACKEND is sqlite or postgres, not {other}"),
        }
    });
    if let Some(dir) = std::env::var_os("CLINICDESK_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join(format!("sync-load-{backend}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&result).unwrap()).unwrap();
    }
}
