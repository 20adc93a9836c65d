//! Creating, opening and re-keying the encrypted store.

use crate::checkpoint::{self, Checkpointer};
use crate::config::{self, KeySource, PageHmac, StoreConfig};
use crate::error::{Result, StoreError};
use crate::migrate;
use crate::session::Session;
use crate::users::NewUser;
use clinicdesk_domain::{ClinicZone, Hlc, HlcClock, Role};
use clinicdesk_keys::{keyfile, Keychain, StoreKey};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The encrypted local store of one clinic desktop.
pub struct Store {
    // First, so it stops before the connection closes.
    checkpointer: Checkpointer,
    pub(crate) conn: Connection,
    pub(crate) dir: PathBuf,
    pub(crate) config: StoreConfig,
    pub(crate) device_id: String,
    pub(crate) zone: ClinicZone,
    pub(crate) clock: HlcClock,
}

/// How to reach the key of an existing store.
#[derive(Debug, Clone, Default)]
pub struct Unlock {
    pub keychain: Keychain,
    /// Needed only for stores whose key lives in a passphrase-protected key file.
    pub passphrase: Option<String>,
}

/// Where the key of a new store is kept.
#[derive(Debug, Clone)]
pub enum KeySetup {
    Keychain(Keychain),
    /// Chosen explicitly by an administrator for machines without a keychain.
    KeyFile {
        passphrase: String,
    },
}

#[derive(Debug, Clone)]
pub struct NewClinic {
    pub name: String,
    pub timezone: ClinicZone,
    pub admin: NewUser,
    pub key: KeySetup,
}

impl Store {
    /// Creates a clinic in `dir` with its first administrator, who is returned
    /// logged in. The key is stored before any database file exists.
    pub fn create(dir: &Path, clinic: NewClinic) -> Result<(Store, Session)> {
        if clinic.admin.role != Role::Admin {
            return Err(StoreError::invalid(
                "the first user of a clinic must be an administrator",
            ));
        }
        crate::users::check_password(&clinic.admin.password)?;
        let (mut store, admin) = Store::build(
            dir,
            &clinic.name,
            clinic.timezone,
            &clinic.key,
            Some(&clinic.admin),
        )?;
        let admin = admin.expect("an administrator was asked for");
        // The founding desktop's name and zone are the clinic's: logged, so
        // they reach every desktop that joins.
        store.publish_clinic_settings(&admin)?;
        Ok((store, admin))
    }

    /// Creates the store of a desktop joining a clinic that already runs
    /// elsewhere: no users of its own, since the clinic's people and
    /// everything else arrive from the clinic server once it enrolls
    /// (`clinicdesk_sync::join`). `name` is how this desktop shows the clinic.
    pub fn create_joining(
        dir: &Path,
        name: &str,
        timezone: ClinicZone,
        key: &KeySetup,
    ) -> Result<Store> {
        Ok(Store::build(dir, name, timezone, key, None)?.0)
    }

    fn build(
        dir: &Path,
        name: &str,
        timezone: ClinicZone,
        key_setup: &KeySetup,
        admin: Option<&NewUser>,
    ) -> Result<(Store, Option<Session>)> {
        let db = config::db_path(dir);
        if db.exists() || dir.join(config::CONFIG_FILE).exists() {
            return Err(StoreError::AlreadyExists(dir.display().to_string()));
        }
        let name =
            clinicdesk_domain::validate::name("clinic name", name).map_err(StoreError::Invalid)?;
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create",
            path: dir.display().to_string(),
            source,
        })?;
        let store_id = uuid::Uuid::new_v4().to_string();
        let key = StoreKey::generate();
        let cfg = match key_setup {
            KeySetup::Keychain(kc) => {
                let cfg = StoreConfig::new(store_id, KeySource::Keychain);
                kc.save(&cfg.key_account(), &key)?;
                cfg
            }
            KeySetup::KeyFile { passphrase } => {
                keyfile::create(&config::key_file_path(dir), passphrase, &key)?;
                StoreConfig::new(store_id, KeySource::KeyFile)
            }
        };
        let built = (|| {
            let mut conn = open_connection(&db, &key, cfg.page_hmac, true)?;
            migrate::migrate_to(&mut conn, migrate::latest())?;
            let device_id = uuid::Uuid::now_v7().to_string();
            let tx = conn.transaction()?;
            for (k, v) in [
                ("device_id", device_id.as_str()),
                ("store_id", cfg.store_id.as_str()),
            ] {
                tx.execute(
                    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)",
                    (k, v),
                )?;
            }
            // Not in the change log: a joining desktop's name and zone only
            // stand in until the clinic's own arrive from the server.
            crate::clinic::insert_settings(&tx, &name, timezone)?;
            tx.commit()?;
            let mut store = Store {
                checkpointer: background_checkpoints(&conn, &db, &key, cfg.page_hmac),
                conn,
                dir: dir.to_path_buf(),
                config: cfg.clone(),
                clock: HlcClock::new(device_id.clone()),
                device_id,
                zone: timezone,
            };
            let admin = admin.map(|a| store.bootstrap_admin(a)).transpose()?;
            cfg.save(dir)?;
            Ok((store, admin))
        })();
        if built.is_err() {
            // Leave nothing half-made behind: no database, no orphaned key.
            remove_store_files(dir, &cfg, key_setup);
        }
        built
    }

    /// Whether anyone can sign in here yet (a joining desktop has no users
    /// until the clinic server's arrive).
    pub fn has_users(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
    }

    /// Removes a store made by [`Store::create_joining`] whose enrollment
    /// failed. It must still be empty (no users, no changes), so nothing is
    /// lost; `key` is how it was created.
    pub fn discard_unjoined(self, key: &KeySetup) -> Result<()> {
        let empty: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM change_log)",
            [],
            |r| r.get(0),
        )?;
        if !empty {
            return Err(StoreError::invalid(
                "this clinic's store already holds records, so it is kept",
            ));
        }
        let Store {
            checkpointer,
            conn,
            dir,
            config,
            ..
        } = self;
        drop(checkpointer);
        drop(conn);
        remove_store_files(&dir, &config, key);
        Ok(())
    }

    /// Opens an existing store: fetch the key, check it, bring the schema up to date.
    pub fn open(dir: &Path, unlock: &Unlock) -> Result<Store> {
        let cfg = StoreConfig::load(dir)?;
        let db = config::db_path(dir);
        if !db.exists() {
            return Err(StoreError::NotAStore(dir.display().to_string()));
        }
        let (conn, key) = match cfg.key_source {
            KeySource::Keychain => open_with_keychain(&db, &cfg, &unlock.keychain)?,
            KeySource::KeyFile => {
                let pass = unlock.passphrase.as_deref().ok_or_else(|| {
                    StoreError::invalid(
                        "this clinic's key is kept in a passphrase-protected key file; \
                         give the passphrase (CLINICDESK_KEY_PASSPHRASE) to open it",
                    )
                })?;
                let key = keyfile::open(&config::key_file_path(dir), pass)?;
                (open_connection(&db, &key, cfg.page_hmac, false)?, key)
            }
        };
        let checkpointer = background_checkpoints(&conn, &db, &key, cfg.page_hmac);
        Store::finish_open(conn, dir, cfg, checkpointer)
    }

    fn finish_open(
        mut conn: Connection,
        dir: &Path,
        config: StoreConfig,
        checkpointer: Checkpointer,
    ) -> Result<Store> {
        migrate::migrate_to(&mut conn, migrate::latest())?;
        let meta = |conn: &Connection, k: &str| -> Result<String> {
            conn.query_row("SELECT value FROM store_meta WHERE key = ?1", [k], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| {
                StoreError::invalid(format!("the store is missing its {k}; it may be damaged"))
            })
        };
        let device_id = meta(&conn, "device_id")?;
        let zone = crate::clinic::read_zone(&conn)?;
        let last: Option<String> = conn
            .query_row("SELECT value FROM store_meta WHERE key = 'hlc'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let last = last.and_then(|s| s.parse::<Hlc>().ok());
        Ok(Store {
            checkpointer,
            clock: HlcClock::resume(device_id.clone(), last.as_ref()),
            conn,
            dir: dir.to_path_buf(),
            config,
            device_id,
            zone,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The clinic's time zone. Read afresh, since a merge on another
    /// connection (the app's sync worker) may have changed it.
    pub fn zone(&self) -> ClinicZone {
        crate::clinic::read_zone(&self.conn).unwrap_or(self.zone)
    }

    pub fn key_source(&self) -> KeySource {
        self.config.key_source
    }

    pub fn schema_version(&self) -> Result<i64> {
        migrate::current(&self.conn)
    }

    /// `PRAGMA integrity_check` plus SQLCipher's page authentication check.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            problems.push(row?);
        }
        Ok(problems)
    }

    /// Replaces the encryption key without losing data. The new key is kept
    /// beside the old one until the database is re-encrypted, so a crash at
    /// any point leaves a store that one of the two keys opens.
    pub fn rekey(&mut self, session: &Session, new_passphrase: Option<&str>) -> Result<()> {
        session.require(clinicdesk_domain::Permission::StoreAdmin)?;
        let key = StoreKey::generate();
        match self.config.key_source {
            KeySource::Keychain => {
                let kc = Keychain::default();
                kc.save(&self.config.next_key_account(), &key)?;
                self.apply_rekey(&key)?;
                kc.save(&self.config.key_account(), &key)?;
                kc.delete(&self.config.next_key_account())?;
            }
            KeySource::KeyFile => {
                let pass = new_passphrase.ok_or_else(|| {
                    StoreError::invalid(
                        "re-keying a key-file store needs the passphrase for the new key file",
                    )
                })?;
                let path = config::key_file_path(&self.dir);
                let next = path.with_extension("key.next");
                keyfile::create(&next, pass, &key)?;
                self.apply_rekey(&key)?;
                std::fs::rename(&next, &path).map_err(|source| StoreError::Io {
                    action: "replace",
                    path: path.display().to_string(),
                    source,
                })?;
            }
        }
        self.write(session, |tx| {
            tx.audit(crate::audit::Entry::new("security", "rekey").detail("store key replaced"))
        })
    }

    fn apply_rekey(&mut self, key: &StoreKey) -> Result<()> {
        // SQLCipher re-encrypts every page in one transaction; the WAL is
        // checkpointed first so no page is left under the old key.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.execute_batch(&format!(
            "PRAGMA rekey = \"{}\";",
            key.sqlcipher_literal().as_str()
        ))?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        // Its connection holds the old key.
        self.checkpointer = background_checkpoints(
            &self.conn,
            &config::db_path(&self.dir),
            key,
            self.config.page_hmac,
        );
        Ok(())
    }
}

fn open_with_keychain(
    db: &Path,
    cfg: &StoreConfig,
    kc: &Keychain,
) -> Result<(Connection, StoreKey)> {
    let key = kc.require(&cfg.key_account())?;
    match open_connection(db, &key, cfg.page_hmac, false) {
        Err(StoreError::WrongKey(_)) => {
            // A rekey may have been cut short after re-encrypting: promote the waiting key.
            let Some(next) = kc.load(&cfg.next_key_account())? else {
                return Err(StoreError::WrongKey(db.display().to_string()));
            };
            let conn = open_connection(db, &next, cfg.page_hmac, false)?;
            kc.save(&cfg.key_account(), &next)?;
            kc.delete(&cfg.next_key_account())?;
            Ok((conn, next))
        }
        Ok(conn) => {
            // The rekey did not happen, or finished: a leftover waiting key is stale.
            if kc.load(&cfg.next_key_account())?.is_some() {
                kc.delete(&cfg.next_key_account())?;
            }
            Ok((conn, key))
        }
        Err(e) => Err(e),
    }
}

/// Checkpoints what `writer` commits on a connection of its own, opened
/// with the store's key.
pub(crate) fn background_checkpoints(
    writer: &Connection,
    db: &Path,
    key: &StoreKey,
    hmac: PageHmac,
) -> Checkpointer {
    let (db, key) = (db.to_path_buf(), key.clone());
    Checkpointer::start(
        writer,
        Box::new(move || open_connection(&db, &key, hmac, false)),
    )
}

/// Opens the database file with the key applied before anything is read or
/// written, so no unencrypted page is ever produced.
pub(crate) fn open_connection(
    db: &Path,
    key: &StoreKey,
    hmac: PageHmac,
    create: bool,
) -> Result<Connection> {
    clinicdesk_page_crypto::install()?;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(db, flags)?;
    conn.execute_batch(&format!(
        "PRAGMA key = \"{}\"; PRAGMA cipher_hmac_algorithm = {};",
        key.sqlcipher_literal().as_str(),
        hmac.sqlcipher_name()
    ))?;
    verify_and_configure(conn, db)
}

fn verify_and_configure(conn: Connection, db: &Path) -> Result<Connection> {
    // The first read decrypts page 1: a wrong key fails here, before any write.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StoreError::WrongKey(db.display().to_string()));
        }
        Err(e) => return Err(e.into()),
    }
    // secure_delete zeroes what a delete frees (removed dictation audio,
    // say), so it cannot be read back from free pages even with the key.
    // WAL with synchronous = NORMAL: a commit is in the log before it returns,
    // so a killed process loses nothing committed; the log is synced to disk at
    // checkpoints rather than at every commit, which keeps a booking under a
    // millisecond. Only an OS crash or power cut can lose the last moments.
    // The page cache holds decrypted pages: a page read again from it skips
    // the pread, the decryption and the HMAC check. It fills only as pages are
    // read, so a small clinic's store never uses all 128 MiB.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA cache_size = -131072;",
    )?;
    conn.pragma_update(None, "wal_autocheckpoint", checkpoint::FALLBACK_PAGES)?;
    // A booking alone runs about twenty distinct statements; with rusqlite's
    // default of 16 cached, the LRU would re-prepare every one of them on
    // every call.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

#[cfg(feature = "unencrypted-benchmark")]
impl Store {
    /// An unencrypted store for measuring what encryption costs. Benchmarks only.
    pub fn create_unencrypted_for_benchmark(
        dir: &Path,
        clinic: NewClinic,
    ) -> Result<(Store, Session)> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create",
            path: dir.display().to_string(),
            source,
        })?;
        let db = config::db_path(dir);
        let conn = Connection::open(&db)?;
        let mut conn = verify_and_configure(conn, &db)?;
        migrate::migrate_to(&mut conn, migrate::latest())?;
        let device_id = uuid::Uuid::now_v7().to_string();
        conn.execute(
            "INSERT INTO store_meta (key, value) VALUES ('device_id', ?1)",
            [&device_id],
        )?;
        crate::clinic::insert_settings(&conn, &clinic.name, clinic.timezone)?;
        let mut store = Store {
            checkpointer: plain_background_checkpoints(&conn, &db),
            conn,
            dir: dir.to_path_buf(),
            config: StoreConfig::new(uuid::Uuid::new_v4().to_string(), KeySource::KeyFile),
            clock: HlcClock::new(device_id.clone()),
            device_id,
            zone: clinic.timezone,
        };
        let admin = store.bootstrap_admin(&clinic.admin)?;
        Ok((store, admin))
    }

    /// Reopens a store made by `create_unencrypted_for_benchmark`, so a
    /// benchmark can keep its plain twin between runs. Benchmarks only.
    pub fn open_unencrypted_for_benchmark(dir: &Path) -> Result<Store> {
        let db = config::db_path(dir);
        if !db.exists() {
            return Err(StoreError::NotAStore(dir.display().to_string()));
        }
        let conn = verify_and_configure(Connection::open(&db)?, &db)?;
        let config = StoreConfig::new(uuid::Uuid::new_v4().to_string(), KeySource::KeyFile);
        let checkpointer = plain_background_checkpoints(&conn, &db);
        Store::finish_open(conn, dir, config, checkpointer)
    }
}

/// Checkpoints a plain twin the way [`background_checkpoints`] does an
/// encrypted store, so the two are compared like for like.
#[cfg(feature = "unencrypted-benchmark")]
fn plain_background_checkpoints(writer: &Connection, db: &Path) -> Checkpointer {
    let db = db.to_path_buf();
    Checkpointer::start(
        writer,
        Box::new(move || verify_and_configure(Connection::open(&db)?, &db)),
    )
}

/// Removes a store's database (with its WAL and journal), its config file
/// and its key, as far as they exist: for a store that was never finished
/// or never joined, which holds nothing to lose.
fn remove_store_files(dir: &Path, cfg: &StoreConfig, key: &KeySetup) {
    let db = config::db_path(dir);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let _ = std::fs::remove_file(dir.join(config::CONFIG_FILE));
    match key {
        KeySetup::Keychain(kc) => {
            let _ = kc.delete(&cfg.key_account());
        }
        KeySetup::KeyFile { .. } => {
            let _ = std::fs::remove_file(config::key_file_path(dir));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From an empty file and from every earlier schema, opening brings the
    /// store up to date in one go and keeps what was there.
    #[test]
    fn migrates_from_every_earlier_schema() {
        for start in 0..=migrate::latest() {
            let dir = tempfile::tempdir().unwrap();
            let db = config::db_path(dir.path());
            let key = StoreKey::generate();
            {
                let mut conn =
                    open_connection(&db, &key, PageHmac::for_this_machine(), true).unwrap();
                migrate::migrate_to(&mut conn, start).unwrap();
                assert_eq!(migrate::current(&conn).unwrap(), start);
                if start >= 1 {
                    conn.execute(
                        "INSERT INTO patients (id, mrn, given_name, family_name, given_key, family_key, birth_date, sex, created_at, updated_at)
                         VALUES ('p1', 'M1', 'Ada', 'Lovelace', 'ada', 'lovelace', '1815-12-10', 'female', 0, 0)",
                        [],
                    )
                    .unwrap();
                }
                if (1..12).contains(&start) {
                    conn.execute_batch(
                        "INSERT INTO store_meta (key, value) VALUES ('clinic_name', 'Harbour'), ('timezone', 'America/Chicago')",
                    )
                    .unwrap();
                }
            }
            let mut conn = open_connection(&db, &key, PageHmac::for_this_machine(), false).unwrap();
            assert_eq!(
                migrate::migrate_to(&mut conn, migrate::latest()).unwrap(),
                migrate::latest()
            );
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('patients', 'fhir_links', 'audit_log')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(tables, 3, "from schema {start}");
            if start >= 1 {
                let name: String = conn
                    .query_row(
                        "SELECT family_name FROM patients WHERE id = 'p1'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(name, "Lovelace", "from schema {start}");
            }
            if (1..12).contains(&start) {
                // Schema 12 moves the clinic's name and zone into a synced record.
                let settings: (String, String) = conn
                    .query_row("SELECT name, timezone FROM clinic_settings", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .unwrap();
                assert_eq!(settings, ("Harbour".into(), "America/Chicago".into()));
                let left: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM store_meta WHERE key IN ('clinic_name', 'timezone')",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(left, 0, "from schema {start}");
            }
        }
    }

    /// Schema 11 rebuilds the patients table (to drop the MRN's uniqueness)
    /// under the records that point at it: they survive, foreign keys are
    /// enforced again afterwards, and two patients may now share an MRN.
    #[test]
    fn the_patients_rebuild_keeps_what_refers_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = config::db_path(dir.path());
        let key = StoreKey::generate();
        let mut conn = open_connection(&db, &key, PageHmac::for_this_machine(), true).unwrap();
        migrate::migrate_to(&mut conn, 10).unwrap();
        let patient = |id: &str| {
            format!(
                "INSERT INTO patients (id, mrn, given_name, family_name, given_key, family_key, birth_date, sex, created_at, updated_at)
                 VALUES ('{id}', 'M1', 'Ada', 'Lovelace', 'ada', 'lovelace', '1815-12-10', 'female', 0, 0)"
            )
        };
        conn.execute(&patient("p1"), []).unwrap();
        assert!(conn.execute(&patient("p2"), []).is_err(), "unique before");
        conn.execute(
            "INSERT INTO coverages (id, patient_id, priority, payer_name, payer_id, member_id, subscriber_name, relationship)
             VALUES ('c1', 'p1', 1, 'Acme Health', 'ACME1', 'W1', 'Ada Lovelace', 'self')",
            [],
        )
        .unwrap();
        migrate::migrate_to(&mut conn, migrate::latest()).unwrap();
        let fk: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are on again");
        let covered: String = conn
            .query_row(
                "SELECT p.family_name FROM coverages c JOIN patients p ON p.id = c.patient_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(covered, "Lovelace");
        conn.execute(&patient("p2"), []).unwrap();
        let orphan = conn.execute(
            "INSERT INTO coverages (id, patient_id, priority, payer_name, payer_id, member_id, subscriber_name, relationship)
             VALUES ('c2', 'nobody', 1, 'Acme Health', 'ACME1', 'W2', 'X Y', 'self')",
            [],
        );
        assert!(orphan.is_err(), "a coverage of no patient is still refused");
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let db = config::db_path(dir.path());
        let key = StoreKey::generate();
        {
            let mut conn = open_connection(&db, &key, PageHmac::for_this_machine(), true).unwrap();
            migrate::migrate_to(&mut conn, migrate::latest()).unwrap();
            conn.pragma_update(None, "user_version", migrate::latest() + 1)
                .unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let before = std::fs::read(&db).unwrap();
        let mut conn = open_connection(&db, &key, PageHmac::for_this_machine(), false).unwrap();
        let err = migrate::migrate_to(&mut conn, migrate::latest()).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
        assert!(err.to_string().contains("newer ClinicDesk"), "{err}");
        drop(conn);
        assert_eq!(before, std::fs::read(&db).unwrap());
    }

    #[test]
    fn a_failing_migration_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = config::db_path(dir.path());
        let key = StoreKey::generate();
        let mut conn = open_connection(&db, &key, PageHmac::for_this_machine(), true).unwrap();
        migrate::migrate_to(&mut conn, 1).unwrap();
        // Make migration 2 fail half-way: its table already exists.
        conn.execute_batch("CREATE TABLE fhir_links (x INTEGER);")
            .unwrap();
        let err = migrate::migrate_to(&mut conn, 2).unwrap_err();
        assert!(err.to_string().contains("0002_fhir_links.sql"), "{err}");
        assert_eq!(migrate::current(&conn).unwrap(), 1);
    }
}
