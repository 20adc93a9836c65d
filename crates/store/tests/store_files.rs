//! The encrypted store on disk: keys, wrong keys, key files, schema
//! versions, re-keying, and that no PHI is ever written in clear.

mod common;

use clinicdesk_keys::{Keychain, StoreKey};
use clinicdesk_store::config::{self, StoreConfig};
use clinicdesk_store::*;
use common::*;
use std::path::Path;
use std::process::Command;

fn file_digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn store_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs one test of this binary in a child process with extra environment.
fn run_child(test: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--nocapture", "--include-ignored"]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_new_store_reopens_with_the_key_from_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    let p = store
        .add_patient(
            &admin,
            &PatientInput {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                birth_date: "1815-12-10".into(),
                ..Default::default()
            },
        )
        .unwrap();
    drop(store);
    let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    assert_eq!(
        store.patient(&admin, &p.id).unwrap().family_name,
        "Lovelace"
    );
    assert_eq!(store.schema_version().unwrap(), latest_schema());
    assert_eq!(store.key_source(), KeySource::Keychain);
    let header = &std::fs::read(config::db_path(dir.path())).unwrap()[..16];
    assert_ne!(
        header, b"SQLite format 3\0",
        "the database file must be encrypted from its first page"
    );
}

#[test]
fn a_wrong_key_is_refused_and_leaves_the_store_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let cfg = StoreConfig::load(dir.path()).unwrap();
    let kc = Keychain::default();
    let right = kc.require(&cfg.key_account()).unwrap();
    let before: Vec<_> = store_files(dir.path())
        .iter()
        .map(|p| (p.clone(), file_digest(p)))
        .collect();
    kc.save(&cfg.key_account(), &StoreKey::generate()).unwrap();
    let err = Store::open(dir.path(), &Unlock::default())
        .err()
        .expect("wrong key must fail");
    assert!(matches!(err, StoreError::WrongKey(_)), "{err}");
    assert!(err.to_string().contains("untouched"), "{err}");
    let after: Vec<_> = store_files(dir.path())
        .iter()
        .map(|p| (p.clone(), file_digest(p)))
        .collect();
    assert_eq!(before, after, "a failed open must not change any file");
    kc.save(&cfg.key_account(), &right).unwrap();
    assert!(Store::open(dir.path(), &Unlock::default()).is_ok());
}

#[test]
fn a_missing_keychain_entry_says_so() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let cfg = StoreConfig::load(dir.path()).unwrap();
    Keychain::default().delete(&cfg.key_account()).unwrap();
    let err = Store::open(dir.path(), &Unlock::default()).err().unwrap();
    assert!(
        err.to_string().contains("has no key for this clinic"),
        "{err}"
    );
}

#[test]
fn opening_a_folder_without_a_store_explains_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path(), &Unlock::default()).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore(_)));
    assert!(err.to_string().contains("init"), "{err}");
    assert!(
        store_files(dir.path()).is_empty(),
        "opening must not create files"
    );
}

#[test]
fn creating_twice_in_one_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let err = Store::create(
        dir.path(),
        NewClinic {
            name: "Again".into(),
            timezone: daytime_zone(),
            admin: NewUser {
                username: "admin".into(),
                display_name: "A".into(),
                role: clinicdesk_domain::Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .err()
    .unwrap();
    assert!(matches!(err, StoreError::AlreadyExists(_)));
}

#[test]
#[ignore = "run by keychain_unreachable_refuses_to_open as a child process"]
fn child_without_keychain() {
    let dir = std::path::PathBuf::from(std::env::var("CHILD_DIR").unwrap());
    match std::env::var("CHILD_MODE").unwrap().as_str() {
        "open" => {
            let err = Store::open(&dir, &Unlock::default())
                .err()
                .expect("must fail without a keychain");
            println!("ERROR: {err}");
        }
        _ => {
            let err = Store::create(
                &dir.join("new"),
                NewClinic {
                    name: "No Keychain Clinic".into(),
                    timezone: daytime_zone(),
                    admin: NewUser {
                        username: "admin".into(),
                        display_name: "A".into(),
                        role: clinicdesk_domain::Role::Admin,
                        password: PASSWORD.into(),
                        provider_id: None,
                    },
                    key: KeySetup::Keychain(Keychain::default()),
                },
            )
            .err()
            .expect("must fail without a keychain");
            println!("ERROR: {err}");
        }
    }
}

#[test]
fn keychain_unreachable_refuses_to_open_or_create() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let no_bus = [
        ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
        ("CHILD_DIR", dir.path().to_str().unwrap()),
    ];
    for mode in ["open", "create"] {
        let mut envs = no_bus.to_vec();
        envs.push(("CHILD_MODE", mode));
        let out = run_child("child_without_keychain", &envs);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("ERROR: the OS keychain is not reachable"),
            "{mode}: {stdout}"
        );
        assert!(stdout.contains("passphrase-protected key file"), "{stdout}");
    }
    assert!(
        !dir.path().join("new").join(config::DB_FILE).exists(),
        "no database may be created without a key"
    );
}

#[test]
fn a_key_file_store_opens_with_its_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = Store::create(
        dir.path(),
        NewClinic {
            name: "Offline Clinic".into(),
            timezone: daytime_zone(),
            admin: NewUser {
                username: "admin".into(),
                display_name: "A".into(),
                role: clinicdesk_domain::Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::KeyFile {
                passphrase: "a long passphrase here".into(),
            },
        },
    )
    .unwrap();
    store
        .add_patient(
            &admin,
            &PatientInput {
                given_name: "Mary".into(),
                family_name: "Seacole".into(),
                birth_date: "1805-11-23".into(),
                ..Default::default()
            },
        )
        .unwrap();
    drop(store);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(config::key_file_path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let none = Store::open(dir.path(), &Unlock::default()).err().unwrap();
    assert!(none.to_string().contains("passphrase"), "{none}");
    let wrong = Store::open(
        dir.path(),
        &Unlock {
            passphrase: Some("not the passphrase".into()),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(wrong.to_string().contains("does not unlock"), "{wrong}");
    let mut store = Store::open(
        dir.path(),
        &Unlock {
            passphrase: Some("a long passphrase here".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    assert_eq!(
        store.search_patients(&admin, "Seacole", 10).unwrap().len(),
        1
    );
}

#[test]
fn a_new_store_records_the_page_hmac_its_pages_carry() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let cfg = StoreConfig::load(dir.path()).unwrap();
    assert_eq!(cfg.page_hmac, PageHmac::for_this_machine());
    let key = Keychain::default().require(&cfg.key_account()).unwrap();
    let db = config::db_path(dir.path());
    raw_database(&db, &key, cfg.page_hmac).expect("the recorded HMAC reads the file");
    let other = match cfg.page_hmac {
        PageHmac::Sha256 => PageHmac::Sha512,
        PageHmac::Sha512 => PageHmac::Sha256,
    };
    assert!(
        raw_database(&db, &key, other).is_err(),
        "pages must not verify under the other HMAC"
    );
}

#[test]
fn a_store_encrypts_its_pages_with_the_clinicdesk_page_cipher() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    let provider = store
        .write(&admin, |tx| {
            Ok(tx
                .conn()
                .query_row("PRAGMA cipher_provider", [], |r| r.get::<_, String>(0))?)
        })
        .unwrap();
    assert_eq!(provider, clinicdesk_page_crypto::PROVIDER_NAME);
}

/// Stores made before the HMAC could be chosen have no `page_hmac` in
/// store.json and SHA-512 pages; they open and keep their records.
#[test]
fn a_store_from_before_the_hmac_setting_opens_as_sha512() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    store
        .add_patient(
            &admin,
            &PatientInput {
                given_name: "Florence".into(),
                family_name: "Nightingale".into(),
                birth_date: "1820-05-12".into(),
                ..Default::default()
            },
        )
        .unwrap();
    drop(store);
    let cfg = StoreConfig::load(dir.path()).unwrap();
    let key = Keychain::default().require(&cfg.key_account()).unwrap();
    let db = config::db_path(dir.path());
    let legacy = dir.path().join("legacy.db");
    {
        let conn = raw_database(&db, &key, cfg.page_hmac).unwrap();
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS legacy KEY \"{}\";
             PRAGMA legacy.cipher_hmac_algorithm = HMAC_SHA512;
             SELECT sqlcipher_export('legacy');
             PRAGMA legacy.user_version = {};
             DETACH DATABASE legacy;",
            legacy.display(),
            key.sqlcipher_literal().as_str(),
            latest_schema()
        ))
        .unwrap();
    }
    std::fs::rename(&legacy, &db).unwrap();
    let path = dir.path().join(config::CONFIG_FILE);
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json.as_object_mut()
        .unwrap()
        .remove("page_hmac")
        .expect("a new store records it");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();

    assert_eq!(
        StoreConfig::load(dir.path()).unwrap().page_hmac,
        PageHmac::Sha512
    );
    let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    assert_eq!(
        store
            .search_patients(&admin, "Nightingale", 10)
            .unwrap()
            .len(),
        1
    );
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn rekey_keeps_every_record_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    for i in 0..50 {
        store
            .add_patient(
                &admin,
                &PatientInput {
                    given_name: format!("Given{}", (b'a' + (i % 26) as u8) as char),
                    family_name: "Rekeyed".into(),
                    birth_date: "1990-01-01".into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let cfg = StoreConfig::load(dir.path()).unwrap();
    let kc = Keychain::default();
    let old = kc.require(&cfg.key_account()).unwrap();
    store.rekey(&admin, None).unwrap();
    drop(store);
    let new = kc.require(&cfg.key_account()).unwrap();
    assert_ne!(old, new);
    assert!(kc.load(&cfg.next_key_account()).unwrap().is_none());
    let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    assert_eq!(
        store.search_patients(&admin, "Rekeyed", 100).unwrap().len(),
        50
    );
    assert!(store.integrity_check().unwrap().is_empty());
    assert!(store.verify_audit(&admin).unwrap().intact);
    drop(store);
    // The old key no longer opens the data.
    kc.save(&cfg.key_account(), &old).unwrap();
    assert!(matches!(
        Store::open(dir.path(), &Unlock::default()),
        Err(StoreError::WrongKey(_))
    ));
    kc.save(&cfg.key_account(), &new).unwrap();
}

#[test]
fn a_rekey_cut_short_after_re_encryption_is_finished_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    store.rekey(&admin, None).unwrap();
    drop(store);
    let cfg = StoreConfig::load(dir.path()).unwrap();
    let kc = Keychain::default();
    let new = kc.require(&cfg.key_account()).unwrap();
    // As if the process died after re-encrypting but before promoting the key.
    kc.save(&cfg.key_account(), &StoreKey::generate()).unwrap();
    kc.save(&cfg.next_key_account(), &new).unwrap();
    let store = Store::open(dir.path(), &Unlock::default()).unwrap();
    drop(store);
    assert_eq!(kc.require(&cfg.key_account()).unwrap(), new);
    assert!(kc.load(&cfg.next_key_account()).unwrap().is_none());
}

#[test]
fn a_rekey_cut_short_before_re_encryption_keeps_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_clinic(dir.path(), daytime_zone()));
    let cfg = StoreConfig::load(dir.path()).unwrap();
    let kc = Keychain::default();
    let current = kc.require(&cfg.key_account()).unwrap();
    kc.save(&cfg.next_key_account(), &StoreKey::generate())
        .unwrap();
    drop(Store::open(dir.path(), &Unlock::default()).unwrap());
    assert_eq!(kc.require(&cfg.key_account()).unwrap(), current);
    assert!(kc.load(&cfg.next_key_account()).unwrap().is_none());
}

#[test]
#[ignore = "run by no_plaintext_phi_reaches_the_disk as a child process"]
fn child_writes_phi() {
    let dir = std::path::PathBuf::from(std::env::var("CHILD_DIR").unwrap());
    let (mut store, admin) = new_clinic(&dir, daytime_zone());
    for i in 0..300 {
        store
            .add_patient(
                &admin,
                &PatientInput {
                    given_name: format!("Zebulon{}", (b'a' + (i % 26) as u8) as char),
                    family_name: "Quixotefamily".into(),
                    birth_date: "1970-01-01".into(),
                    phone: Some("555-010-9999".into()),
                    email: Some("zebulon@quixote.example.org".into()),
                    address_line: Some("42 Windmill Lane".into()),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    // Sorting and searching over everything would spill to temp files if allowed to.
    assert_eq!(
        store
            .search_patients(&admin, "Quixotefamily", 200)
            .unwrap()
            .len(),
        200
    );
    assert!(std::fs::read_dir(&dir).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with("-wal")));
    println!("WROTE");
    std::process::exit(0); // leave the WAL in place, as a crash would
}

#[test]
fn no_plaintext_phi_reaches_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = run_child(
        "child_writes_phi",
        &[
            ("CHILD_DIR", dir.path().to_str().unwrap()),
            ("TMPDIR", tmp.path().to_str().unwrap()),
            ("SQLITE_TMPDIR", tmp.path().to_str().unwrap()),
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("WROTE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut scanned = 0;
    for base in [dir.path(), tmp.path()] {
        for entry in walk(base) {
            let bytes = std::fs::read(&entry).unwrap();
            scanned += 1;
            for marker in [
                &b"Quixote"[..],
                b"Zebulon",
                b"quixote",
                b"Windmill",
                b"010-9999",
            ] {
                assert!(
                    !contains(&bytes, marker),
                    "{} contains {:?} in clear",
                    entry.display(),
                    String::from_utf8_lossy(marker)
                );
            }
        }
    }
    assert!(
        scanned >= 3,
        "expected the database, its WAL and store.json, scanned {scanned}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
