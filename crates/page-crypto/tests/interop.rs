//! Pages written with this cipher are SQLCipher 4 pages: SQLCipher's own
//! OpenSSL provider reads and extends databases written with it, and the
//! other way round. The provider is chosen once per process, so the OpenSSL
//! side runs in a child process (this test binary started again).

use rusqlite::Connection;
use std::path::Path;
use std::process::Command;

const CHILD_DIR: &str = "CLINICDESK_PAGE_CRYPTO_CHILD_DIR";
const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfe";
const HMACS: [&str; 2] = ["HMAC_SHA256", "HMAC_SHA512"];

fn open(path: &Path, hmac: &str) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA key = \"x'{KEY}'\"; PRAGMA cipher_hmac_algorithm = {hmac};"
    ))
    .unwrap();
    conn
}

/// Adds `n` rows, some long enough to need overflow pages.
fn add_rows(conn: &Connection, n: i64) {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS visits_by_note ON visits (substr(note, 1, 40));",
    )
    .unwrap();
    let start: i64 = conn
        .query_row("SELECT count(*) FROM visits", [], |r| r.get(0))
        .unwrap();
    for i in start..start + n {
        let note = format!("visit {i}: ").repeat(1 + (i as usize % 7) * 60);
        conn.execute("INSERT INTO visits (id, note) VALUES (?1, ?2)", (i, note))
            .unwrap();
    }
}

/// Pages whose HMAC does not verify, as SQLCipher reports them.
fn hmac_failures(conn: &Connection) -> Vec<String> {
    conn.prepare("PRAGMA cipher_integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Row count, after every page's HMAC has been checked.
fn verified_rows(conn: &Connection) -> i64 {
    let problems = hmac_failures(conn);
    assert!(problems.is_empty(), "pages failed their HMAC: {problems:?}");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    conn.query_row("SELECT count(*) FROM visits", [], |r| r.get(0))
        .unwrap()
}

fn provider(conn: &Connection) -> String {
    clinicdesk_page_crypto::provider_of(conn).unwrap()
}

#[test]
fn openssl_and_this_cipher_read_and_extend_each_others_databases() {
    clinicdesk_page_crypto::install().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for hmac in HMACS {
        let conn = open(&dir.path().join(format!("ours-{hmac}.db")), hmac);
        add_rows(&conn, 100);
        assert_eq!(provider(&conn), clinicdesk_page_crypto::PROVIDER_NAME);
    }

    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "openssl_side",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success() && said.contains("1 passed"),
        "the OpenSSL side failed:\n{said}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );

    for hmac in HMACS {
        let ours = open(&dir.path().join(format!("ours-{hmac}.db")), hmac);
        assert_eq!(verified_rows(&ours), 150, "{hmac}: rows OpenSSL added");
        let theirs = open(&dir.path().join(format!("openssl-{hmac}.db")), hmac);
        assert_eq!(verified_rows(&theirs), 100, "{hmac}: rows OpenSSL wrote");
        add_rows(&theirs, 25);
        assert_eq!(verified_rows(&theirs), 125);
    }
}

/// The other half of the test above, with SQLCipher's own provider.
#[test]
#[ignore = "started by openssl_and_this_cipher_read_and_extend_each_others_databases"]
fn openssl_side() {
    let dir = std::path::PathBuf::from(
        std::env::var_os(CHILD_DIR).expect("run by the interop test, which names the folder"),
    );
    for hmac in HMACS {
        let ours = open(&dir.join(format!("ours-{hmac}.db")), hmac);
        assert_eq!(provider(&ours), "openssl");
        assert_eq!(verified_rows(&ours), 100);
        add_rows(&ours, 50);
        let theirs = open(&dir.join(format!("openssl-{hmac}.db")), hmac);
        add_rows(&theirs, 100);
    }
}

#[test]
fn a_changed_byte_on_disk_fails_its_page_hmac() {
    clinicdesk_page_crypto::install().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tampered.db");
    add_rows(&open(&path, "HMAC_SHA256"), 100);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3 * 4096 + 700] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let problems = hmac_failures(&open(&path, "HMAC_SHA256"));
    assert!(
        problems.iter().any(|p| p.contains("page 4")),
        "expected page 4 to fail: {problems:?}"
    );
}

#[test]
fn a_wrong_key_opens_nothing() {
    clinicdesk_page_crypto::install().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyed.db");
    add_rows(&open(&path, "HMAC_SHA512"), 3);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", "00".repeat(32)))
        .unwrap();
    let e = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase)
    );
}
