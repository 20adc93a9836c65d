//! Both storage backends, made fresh for each test.

#![allow(dead_code)]

use clinicdesk_server::postgres::PgDb;
use clinicdesk_server::sqlite::SqliteDb;
use clinicdesk_sync_proto::{ChangeEntry, Op};

pub struct Fresh<D> {
    pub db: D,
    _dir: Option<tempfile::TempDir>,
}

pub fn sqlite() -> Fresh<SqliteDb> {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteDb::open(&dir.path().join("data"), &dir.path().join("server.key")).unwrap();
    Fresh {
        db,
        _dir: Some(dir),
    }
}

/// A new, empty PostgreSQL database on the server named by
/// CLINICDESK_TEST_POSTGRES (scripts/test.sh starts one on loopback). Without
/// it the PostgreSQL half of the suite fails, unless
/// CLINICDESK_SKIP_POSTGRES=1 says to leave it out on purpose.
pub async fn postgres() -> Option<Fresh<PgDb>> {
    let Ok(admin_url) = std::env::var("CLINICDESK_TEST_POSTGRES") else {
        if std::env::var("CLINICDESK_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
            eprintln!("PostgreSQL half skipped: CLINICDESK_SKIP_POSTGRES=1");
            return None;
        }
        panic!("set CLINICDESK_TEST_POSTGRES=postgres://… (scripts/test.sh does), or CLINICDESK_SKIP_POSTGRES=1");
    };
    let name = format!("cd_test_{}", uuid::Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = pg_url(&admin_url, &name);
    Some(Fresh {
        db: PgDb::connect(&url, 8).unwrap(),
        _dir: None,
    })
}

fn pg_url(admin: &str, db: &str) -> String {
    // postgres://user:pass@host:port/dbname?params -> same with another dbname
    let (base, query) = admin.split_once('?').map_or((admin, ""), |(b, q)| (b, q));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let root = path_start.map_or(base, |i| &base[..i]);
    if query.is_empty() {
        format!("{root}/{db}")
    } else {
        format!("{root}/{db}?{query}")
    }
}

pub fn change(device: &str, n: u32, table: &str) -> ChangeEntry {
    let mut fields = serde_json::Map::new();
    fields.insert("n".into(), n.into());
    ChangeEntry {
        change_id: uuid::Uuid::now_v7().to_string(),
        hlc: format!(
            "{:015}-{:06}-{device}",
            1_760_000_000_000u64 + u64::from(n),
            0
        ),
        device_id: device.into(),
        user_id: Some("u1".into()),
        table: table.into(),
        record_id: format!("r{n}"),
        op: Op::Update,
        fields,
    }
}
