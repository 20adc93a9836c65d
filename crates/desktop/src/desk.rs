//! The app's state: the open store, who is logged in, and the idle lock.

use crate::clearinghouse_worker::Bell;
use crate::clock::{Clock, SystemClock};
use crate::error::DeskError;
use crate::inputs::{JoinInput, LoginInput, NewClinicInput, PreferenceInput};
use crate::status::{default_preferences, AppStatus, Can, Home, Phase, SyncStatus};
use crate::Result;
use chrono::NaiveDate;
use clinicdesk_demo::{DemoSpec, Progress};
use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::config::{StoreConfig, CONFIG_FILE};
use clinicdesk_store::{KeySetup, NewClinic, NewUser, Session, Store, Unlock};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the store in a data folder is opened: the keychain, plus the key
/// file's passphrase once someone has typed it. Shared with the sync
/// worker, which opens its own connection to the same store.
pub type SharedUnlock = Arc<Mutex<Unlock>>;

/// Another connection to the store in `dir`, opened the way the desk opens
/// its own (for the workers, the scribe and the viewer).
pub(crate) fn open_beside(dir: &Path, unlock: &SharedUnlock) -> clinicdesk_store::Result<Store> {
    let unlock = unlock.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Store::open(dir, &unlock)
}

/// The demo clinic the first-run screen offers: big enough to feel real,
/// small enough to be ready in well under a minute.
pub fn demo_spec(today: NaiveDate) -> DemoSpec {
    DemoSpec::new(6, 600, 120, today)
}

struct Active {
    session: Session,
    last_activity: Instant,
    idle: Duration,
    preferences: BTreeMap<String, String>,
}

pub struct Desk {
    dir: PathBuf,
    keychain: Keychain,
    unlock: SharedUnlock,
    clock: Box<dyn Clock>,
    store: Option<Store>,
    /// The store being opened on a thread of its own at start-up; taken
    /// into `store` the first time anything asks for it.
    opening: Option<JoinHandle<clinicdesk_store::Result<Store>>>,
    active: Option<Active>,
    /// Why the last lock happened, shown once on the lock screen.
    lock_reason: Option<String>,
    /// The app's version as packaged (the shell sets it from its bundle).
    version: String,
    /// Wakes the eligibility worker when a check is queued.
    outbox_bell: Arc<Bell>,
}

impl Desk {
    /// The app for the clinic in `dir`. A store whose key is in the
    /// keychain starts opening now, on a thread of its own, so the lock
    /// screen can name the clinic; a store that cannot be opened says why
    /// at login.
    pub fn new(dir: &Path, keychain: Keychain) -> Desk {
        Desk::with_clock(dir, keychain, Box::new(SystemClock))
    }

    pub fn with_clock(dir: &Path, keychain: Keychain, clock: Box<dyn Clock>) -> Desk {
        let mut desk = Desk {
            dir: dir.to_path_buf(),
            unlock: Arc::new(Mutex::new(Unlock {
                keychain: keychain.clone(),
                passphrase: None,
            })),
            keychain,
            clock,
            store: None,
            opening: None,
            active: None,
            lock_reason: None,
            version: env!("CARGO_PKG_VERSION").to_string(),
            outbox_bell: Arc::default(),
        };
        // The keychain's answer and the store's first pages come while the
        // window starts rather than before it (docs/benchmarks.md, start-up).
        // A store.json that loads is a store that exists.
        if StoreConfig::load(dir)
            .is_ok_and(|c| c.key_source == clinicdesk_store::KeySource::Keychain)
        {
            let (dir, unlock) = (desk.dir.clone(), desk.unlock.clone());
            desk.opening = Some(std::thread::spawn(move || open_beside(&dir, &unlock)));
        }
        desk
    }

    /// Takes in the store opened at start-up, once it is ready. A failure is
    /// dropped here: `open_store` tries again and says why at login.
    fn settle_opening(&mut self) {
        if let Some(opening) = self.opening.take() {
            if let Ok(Ok(store)) = opening.join() {
                if self.store.is_none() {
                    self.store = Some(store);
                }
            }
        }
    }

    /// The version the app was packaged as, shown in the status bar and
    /// compared with what the update server offers.
    pub fn set_version(&mut self, version: impl Into<String>) {
        self.version = version.into();
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// For the eligibility worker: rung whenever a check is queued.
    pub fn outbox_bell(&self) -> Arc<Bell> {
        self.outbox_bell.clone()
    }

    pub(crate) fn nudge_outbox(&self) {
        self.outbox_bell.ring();
    }

    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    pub(crate) fn now_seconds(&self) -> i64 {
        clinicdesk_store::write::now_seconds()
    }

    /// For the sync worker: it opens the store the way this desk does.
    pub fn unlock(&self) -> SharedUnlock {
        self.unlock.clone()
    }

    fn exists(&self) -> bool {
        self.dir.join(CONFIG_FILE).exists()
    }

    /// Opens the store once: with the keychain, or for a store whose key
    /// is in a passphrase-protected key file, with `passphrase`.
    fn open_store(&mut self, passphrase: Option<&str>) -> Result<&mut Store> {
        self.settle_opening();
        if self.store.is_none() {
            if !self.exists() {
                return Err(DeskError::new(
                    "first-run",
                    "There is no clinic on this computer yet. Create one or open the demo clinic first.",
                ));
            }
            let config = StoreConfig::load(&self.dir)?;
            let mut unlock = Unlock {
                keychain: self.keychain.clone(),
                passphrase: None,
            };
            if config.key_source == clinicdesk_store::KeySource::KeyFile {
                match passphrase.filter(|p| !p.is_empty()) {
                    Some(p) => unlock.passphrase = Some(p.to_string()),
                    None => {
                        return Err(DeskError::new(
                            "store-passphrase",
                            "This clinic's key is kept in a passphrase-protected key file. Type the store passphrase as well to open it.",
                        ))
                    }
                }
            }
            let store = Store::open(&self.dir, &unlock)?;
            self.store = Some(store);
            *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = unlock;
        }
        Ok(self.store.as_mut().expect("opened above"))
    }

    /// A key-file store that nobody has opened yet: the lock screen asks
    /// for its passphrase.
    fn needs_store_passphrase(&self) -> bool {
        self.store.is_none()
            && StoreConfig::load(&self.dir)
                .is_ok_and(|c| c.key_source == clinicdesk_store::KeySource::KeyFile)
    }

    pub fn status(&mut self) -> AppStatus {
        self.settle_opening();
        self.expire_if_idle();
        let phase = match (&self.active, self.exists()) {
            (Some(_), _) => Phase::Unlocked,
            (None, true) => Phase::Locked,
            (None, false) => Phase::FirstRun,
        };
        let (session, preferences, idle) = match &self.active {
            Some(a) => (Some(a.session.clone()), a.preferences.clone(), a.idle),
            None => {
                let defaults = default_preferences();
                let idle = idle_from(&defaults);
                (None, defaults, idle)
            }
        };
        let home = session
            .as_ref()
            .map(|s| Home::for_user(s.role, preferences.get("home-view").map(String::as_str)));
        let can = session
            .as_ref()
            .map(|s| Can::for_role(s.role))
            .unwrap_or_default();
        AppStatus {
            phase,
            // Read afresh: another desktop may have renamed the clinic.
            clinic_name: self.store.as_ref().and_then(|s| s.clinic_name().ok()),
            clinic_timezone: self.store.as_ref().map(|s| s.zone().name().to_string()),
            data_dir: self.dir.display().to_string(),
            version: self.version.clone(),
            session,
            home,
            preferences,
            idle_lock_minutes: idle.as_secs() / 60,
            can,
            lock_reason: self.lock_reason.clone(),
            store_passphrase_needed: self.needs_store_passphrase(),
            awaiting_accounts: phase == Phase::Locked
                && self
                    .store
                    .as_ref()
                    .is_some_and(|s| s.has_users().is_ok_and(|has| !has)),
        }
    }

    /// Creates the clinic with its first administrator, who is then logged in.
    pub fn create_clinic(&mut self, input: &NewClinicInput) -> Result<AppStatus> {
        if self.exists() {
            return Err(DeskError::new(
                "already-exists",
                "This computer already has a clinic. Log in to it instead.",
            ));
        }
        let zone = zone_or_system(input.time_zone.as_deref())?;
        if matches!(&input.admin_password_confirm, Some(c) if *c != input.admin_password) {
            return Err(DeskError::invalid(
                "The two passwords are not the same. Type the password again in both boxes.",
            ));
        }
        let (store, session) = Store::create(
            &self.dir,
            NewClinic {
                name: input.clinic_name.clone(),
                timezone: zone,
                admin: NewUser {
                    username: input.admin_username.clone(),
                    display_name: display_or_username(
                        &input.admin_display_name,
                        &input.admin_username,
                    ),
                    role: Role::Admin,
                    password: input.admin_password.clone(),
                    provider_id: None,
                },
                key: KeySetup::Keychain(self.keychain.clone()),
            },
        )?;
        self.store = Some(store);
        self.start_session(session)?;
        Ok(self.status())
    }

    /// Joins a clinic that runs elsewhere: makes this computer's encrypted
    /// store, enrolls it with the clinic server using the administrator's
    /// one-time code, and receives the clinic's records and people, who
    /// then sign in as usual. A failed enrollment leaves nothing behind;
    /// records that could not be received yet keep coming by themselves.
    pub fn join_clinic(&mut self, input: &JoinInput) -> Result<AppStatus> {
        if self.exists() {
            return Err(DeskError::new(
                "already-exists",
                "This computer already has a clinic. Log in to it instead.",
            ));
        }
        let zone = zone_or_system(input.time_zone.as_deref())?;
        let device = input.device_name.trim();
        if device.is_empty() {
            return Err(DeskError::invalid(
                "Give this computer a name the administrator will recognise, such as Front desk 2.",
            ));
        }
        let key = KeySetup::Keychain(self.keychain.clone());
        let store = Store::create_joining(&self.dir, &input.clinic_name, zone, &key)?;
        let (store, received) = clinicdesk_sync::join_or_discard(
            store,
            &key,
            input.server_url.trim(),
            &input.code,
            device,
        )
        .map_err(|e| {
            DeskError::new(
                "sync",
                format!("This computer could not join the clinic: {e}."),
            )
        })?;
        self.store = Some(store);
        match received {
            Ok(_) => Ok(self.status()),
            Err(e) => Err(DeskError::new(
                "sync",
                format!(
                    "This computer joined the clinic, but its records could not be received yet ({e}). It keeps trying by itself; sign in once they have arrived."
                ),
            )),
        }
    }

    /// Creates a clinic and fills it with the demo clinic (providers,
    /// schedules, patients and visits), reporting progress as it goes.
    pub fn create_demo_clinic(
        &mut self,
        input: &NewClinicInput,
        spec: &DemoSpec,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<AppStatus> {
        self.create_clinic(input)?;
        let (store, session) = self.session()?;
        clinicdesk_demo::generate(store, &session, spec, progress)?;
        Ok(self.status())
    }

    pub fn login(&mut self, input: &LoginInput) -> Result<AppStatus> {
        let store = self.open_store(input.store_passphrase.as_deref())?;
        let session = store.login(&input.username, &input.password)?;
        self.start_session(session)?;
        self.lock_reason = None;
        // Housekeeping only: a failure here is retried at the next login
        // and must not keep anyone out.
        let _ = self.apply_audio_retention();
        Ok(self.status())
    }

    fn start_session(&mut self, session: Session) -> Result<()> {
        let store = self.open_store(None)?;
        let mut preferences = default_preferences();
        preferences.extend(store.preferences(&session)?);
        self.active = Some(Active {
            idle: idle_from(&preferences),
            last_activity: self.clock.now(),
            session,
            preferences,
        });
        Ok(())
    }

    /// Locks the screen; `idle` when the screens' idle timer did it, so the
    /// lock screen says why.
    pub fn lock(&mut self, idle: bool) -> AppStatus {
        self.lock_reason = match (&self.active, idle) {
            (Some(a), true) => Some(idle_reason(a.idle)),
            _ => None,
        };
        self.active = None;
        self.status()
    }

    /// The user is at the keyboard: restart the idle timer, unless it has
    /// already run out.
    pub fn activity(&mut self) -> Result<()> {
        self.session().map(|_| ())
    }

    fn expire_if_idle(&mut self) {
        let now = self.clock.now();
        if let Some(a) = &self.active {
            if now.duration_since(a.last_activity) >= a.idle {
                self.lock_reason = Some(idle_reason(a.idle));
                self.active = None;
            }
        }
    }

    /// The open store and the logged-in user, for one action. Counts as
    /// activity; refused once the idle time has passed.
    pub(crate) fn session(&mut self) -> Result<(&mut Store, Session)> {
        self.expire_if_idle();
        let now = self.clock.now();
        let Some(active) = self.active.as_mut() else {
            return Err(DeskError::locked(self.lock_reason.clone().unwrap_or_else(
                || "The screen is locked. Log in to continue.".to_string(),
            )));
        };
        active.last_activity = now;
        let session = active.session.clone();
        let store = self
            .store
            .as_mut()
            .ok_or_else(|| DeskError::locked("The screen is locked. Log in to continue."))?;
        Ok((store, session))
    }

    pub fn set_preference(&mut self, input: &PreferenceInput) -> Result<AppStatus> {
        let (store, session) = self.session()?;
        let value = store.set_preference(&session, &input.key, &input.value)?;
        if let Some(a) = self.active.as_mut() {
            a.preferences.insert(input.key.clone(), value);
            a.idle = idle_from(&a.preferences);
        }
        Ok(self.status())
    }

    pub fn sync_status(&mut self) -> Result<SyncStatus> {
        let (store, _) = self.session()?;
        let settings = store.sync_settings()?;
        let progress = store.sync_progress()?;
        Ok(SyncStatus {
            enrolled: settings.is_some(),
            server: settings.map(|s| s.url),
            online: progress
                .last_attempt_at
                .map(|_| progress.last_error.is_none()),
            queued: store.queued_changes()?,
            last_success_at: progress.last_success_at,
            last_attempt_at: progress.last_attempt_at,
            last_error: progress.last_error,
            conflicts: store.open_conflict_count()?,
        })
    }

    /// A preference of the logged-in user (or its default).
    pub(crate) fn preference(&self, key: &str) -> String {
        self.active
            .as_ref()
            .and_then(|a| a.preferences.get(key).cloned())
            .or_else(|| default_preferences().get(key).cloned())
            .unwrap_or_default()
    }

    /// The store itself, for the background sync worker.
    pub fn store_mut(&mut self) -> Option<&mut Store> {
        self.settle_opening();
        self.store.as_mut()
    }
}

fn idle_from(preferences: &BTreeMap<String, String>) -> Duration {
    let minutes = preferences
        .get("idle-lock-minutes")
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(5);
    Duration::from_secs(minutes * 60)
}

fn idle_reason(idle: Duration) -> String {
    let minutes = match idle.as_secs() / 60 {
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    };
    format!(
        "The screen locked after {minutes} without activity, to keep patient information private."
    )
}

fn display_or_username(display: &str, username: &str) -> String {
    match display.trim() {
        "" => username.trim().to_string(),
        d => d.to_string(),
    }
}

/// The zone asked for, or this computer's.
fn zone_or_system(asked: Option<&str>) -> Result<ClinicZone> {
    ClinicZone::asked_or_local(asked).map_err(|e| DeskError::invalid(e.to_string()))
}
