//! Sync throughput (docs/benchmarks.md, "Sync"): one desktop pushes N
//! changes to a clinic server over TLS on loopback, and a second desktop
//! pulls and merges all of them into its encrypted store. Run through
//! `bench/sync.sh`, which provides a keyring (and PostgreSQL).
//!
//! BENCH_SYNC_CHANGES (default 100,000): how many changes.
//! BENCH_SYNC_BACKEND: `sqlite` (default) or `postgres` (needs
//! CLINICDESK_TEST_POSTGRES, an administrator URL; a new database is made).

#[path = "../tests/support/mod.rs"]
mod support;

use clinicdesk_domain::Role;
use clinicdesk_server::db::Database;
use clinicdesk_store::PatientInput;
use std::time::Instant;

fn run<D: Database>(server: support::Server<D>, n: usize, backend: &str) -> serde_json::Value {
    let roles = vec![Role::FrontDesk, Role::Admin];
    let (_a_dir, mut a, a_admin) = support::desktop("source");
    let (_b_dir, mut b, b_admin) = support::desktop("target");
    clinicdesk_sync::enroll(
        &mut a,
        &a_admin,
        &server.url(),
        &server.code(roles.clone()),
        "Source",
    )
    .unwrap();
    clinicdesk_sync::enroll(
        &mut b,
        &b_admin,
        &server.url(),
        &server.code(roles),
        "Target",
    )
    .unwrap();

    let made = Instant::now();
    let base = a.queued_changes().unwrap() as usize;
    let mut i = 0;
    while base + i < n {
        let batch = (n - base - i).min(5_000);
        a.write(&a_admin, |tx| {
            for k in 0..batch {
                tx.add_patient(&PatientInput {
                    given_name: format!("P{}", i + k),
                    family_name: "Throughput".into(),
                    birth_date: "1970-01-01".into(),
                    ..Default::default()
                })?;
            }
            Ok(())
        })
        .unwrap();
        i += batch;
    }
    let queued = a.queued_changes().unwrap() as usize;
    eprintln!(
        "bench: {queued} changes made in {:.1}s",
        made.elapsed().as_secs_f64()
    );

    let client = clinicdesk_sync::connect(&a).unwrap();
    let t = Instant::now();
    let pushed = clinicdesk_sync::push_all(&mut a, &client).unwrap();
    let push_s = t.elapsed().as_secs_f64();
    assert_eq!(pushed.pushed, queued);

    let client = clinicdesk_sync::connect(&b).unwrap();
    // B's own set-up first, so the pull below is only A's changes.
    clinicdesk_sync::push_all(&mut b, &client).unwrap();
    let t = Instant::now();
    let pulled = clinicdesk_sync::pull_all(&mut b, &client).unwrap();
    let pull_s = t.elapsed().as_secs_f64();
    assert!(pulled.merge.applied >= queued, "{pulled:?}");
    assert_eq!(pulled.merge.refused, 0);

    let push_rate = queued as f64 / push_s;
    let pull_rate = pulled.pulled as f64 / pull_s;
    println!("sync throughput ({backend}, TLS on loopback, encrypted desktop stores):");
    println!(
        "  push {queued} changes: {push_s:.2}s = {push_rate:.0} changes/s (target >= 20000: {})",
        if push_rate >= 20_000.0 { "ok" } else { "MISS" }
    );
    println!(
        "  pull and merge {} changes: {pull_s:.2}s = {pull_rate:.0} changes/s (target >= 20000: {})",
        pulled.pulled,
        if pull_rate >= 20_000.0 { "ok" } else { "MISS" }
    );
    server.stop();
    serde_json::json!({
        "backend": backend,
        "changes": queued,
        "push_seconds": push_s,
        "push_per_second": push_rate,
        "pull_merge_changes": pulled.pulled,
        "pull_merge_seconds": pull_s,
        "pull_merge_per_second": pull_rate,
    })
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let n: usize = std::env::var("BENCH_SYNC_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let backend = std::env::var("BENCH_SYNC_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let result = match backend.as_str() {
        "sqlite" => run(support::Server::start(None), n, "sqlite"),
        "postgres" => {
            let admin_url = std::env::var("CLINICDESK_TEST_POSTGRES")
                .expect("BENCH_SYNC_BACKEND=postgres needs CLINICDESK_TEST_POSTGRES");
            let name = format!("cd_bench_{}", std::process::id());
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let (c, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
            });
            let url = match admin_url.rsplit_once('/') {
                Some((root, _)) => format!("{root}/{name}"),
                None => panic!("CLINICDESK_TEST_POSTGRES has no database part"),
            };
            let db = clinicdesk_server::postgres::PgDb::connect(&url, 16).unwrap();
            run(
                support::Server::with_db(db, tempfile::tempdir().unwrap()),
                n,
                "postgres",
            )
        }
        other => panic!("BENCH_SYNC_BACKEND must be sqlite or postgres, not {other}"),
    };
    if let Some(dir) = std::env::var_os("CLINICDESK_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join(format!("sync-throughput-{backend}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&result).unwrap()).unwrap();
        eprintln!("bench: results written to {}", path.display());
    }
}
