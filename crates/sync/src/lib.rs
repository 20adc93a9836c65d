//! The desktop side of sync (docs/sync-protocol.md): enroll with the clinic
//! server, push this desktop's change log, pull and merge everyone else's.
//! The store keeps working offline; `sync_now` catches up whenever the
//! server can be reached, and everything it has not sent stays queued in
//! the store across restarts.

mod client;

pub use client::Client;

use clinicdesk_keys::{KeyError, Keychain, StoreKey};
use clinicdesk_store::{
    KeySetup, KeySource, MergeReport, Session, Store, StoreError, SyncSettings,
};
use clinicdesk_sync_proto::enrollment::{self, Code};
use clinicdesk_sync_proto::{ChangeEntry, MAX_BATCH};

/// Changes per pulled page: one transaction each when merged.
const PULL_PAGE: usize = 5_000;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the device credential could not be kept: {0}")]
    Keychain(#[from] KeyError),
    #[error("this desktop is not enrolled with a clinic server; run `sync enroll URL CODE` first")]
    NotEnrolled,
    #[error("cannot reach the clinic server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the clinic server refused: {0}")]
    Refused(String),
    #[error("the server at {url} is not the one this desktop enrolled with: its certificate changed (expected {expected}, got {got})")]
    WrongServer {
        url: String,
        expected: String,
        got: String,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, SyncError>;

fn keychain_account(store: &Store) -> String {
    format!("sync-{}", store.device_id())
}

/// Enrolls this desktop with the server at `url` using a one-time `code`
/// (administrators). The credential goes to the OS keychain, or into the
/// encrypted store when the store itself uses a key file.
pub fn enroll(
    store: &mut Store,
    session: &Session,
    url: &str,
    code: &str,
    device_name: &str,
) -> Result<SyncSettings> {
    session.require(clinicdesk_domain::Permission::StoreAdmin)?;
    enroll_as(store, session, url, code, device_name)
}

/// Enrolls a new desktop that joins the clinic (a store made by
/// `Store::create_joining`, with no users yet), then receives the clinic's
/// records, its people and their sign-ins among them. The one-time code
/// from the clinic's administrator is the authority here: nobody can sign
/// in on this desktop before it holds the clinic's users, and the audit
/// trail names the enrollment itself. Enrolled but not yet received (the
/// network went away) is an error too; the desktop keeps trying.
pub fn join(store: &mut Store, url: &str, code: &str, device_name: &str) -> Result<SyncOutcome> {
    if store.has_users()? {
        return Err(SyncError::Invalid(
            "this desktop already has its own users; an administrator enrolls it instead".into(),
        ));
    }
    let session = Session {
        user_id: "enrollment".into(),
        username: "enrollment".into(),
        display_name: "Joining the clinic".into(),
        role: clinicdesk_domain::Role::Admin,
        provider_id: None,
    };
    enroll_as(store, &session, url, code, device_name)?;
    sync_now(store)
}

/// Joins with a store just made by `Store::create_joining` ([`join`]). When
/// the enrollment fails (a refused code, no server) the store is discarded,
/// so nothing is left behind, and that is the error. Once enrolled, the
/// store is kept whatever the pull did: its result comes back beside it,
/// and records still to come arrive with later syncs.
pub fn join_or_discard(
    mut store: Store,
    key: &KeySetup,
    url: &str,
    code: &str,
    device_name: &str,
) -> Result<(Store, Result<SyncOutcome>)> {
    let received = join(&mut store, url, code, device_name);
    if let Err(e) = received {
        if store.sync_settings()?.is_none() {
            store.discard_unjoined(key)?;
            return Err(e);
        }
        return Ok((store, Err(e)));
    }
    Ok((store, received))
}

fn enroll_as(
    store: &mut Store,
    session: &Session,
    url: &str,
    code: &str,
    device_name: &str,
) -> Result<SyncSettings> {
    let code = Code::parse(code).map_err(SyncError::Invalid)?;
    let url = url.trim_end_matches('/').to_string();
    // Learn the certificate, then enroll over a connection pinned to it.
    let fingerprint = Client::observe_fingerprint(&url)?;
    let client = Client::new(&url, &fingerprint, None)?;
    let res = client.enroll(
        &code.lookup,
        &enrollment::proof(&code.secret, "client", &fingerprint, store.device_id()),
        store.device_id(),
        device_name,
    )?;
    if !enrollment::verify(
        &code.secret,
        "server",
        &fingerprint,
        store.device_id(),
        &res.server_proof,
    ) {
        return Err(SyncError::Refused(
            "the server could not prove it issued this code; do not use it, and tell the administrator".into(),
        ));
    }
    let secret = match store.key_source() {
        KeySource::Keychain => {
            let key = StoreKey::from_hex(&res.token).ok_or_else(|| {
                SyncError::Refused("the server sent a malformed credential".into())
            })?;
            Keychain::default().save(&keychain_account(store), &key)?;
            None
        }
        KeySource::KeyFile => Some(res.token.clone()),
    };
    let settings = SyncSettings {
        url,
        fingerprint,
        clinic_id: res.clinic_id,
        roles: res.roles,
        device_name: device_name.to_string(),
        enrolled_at: clinicdesk_store::write::now_seconds(),
    };
    store.set_sync_settings(session, &settings, secret.as_deref())?;
    Ok(settings)
}

fn token(store: &Store) -> Result<String> {
    match store.key_source() {
        KeySource::Keychain => Ok(Keychain::default()
            .require(&keychain_account(store))?
            .to_hex()
            .to_string()),
        KeySource::KeyFile => store.sync_secret()?.ok_or(SyncError::NotEnrolled),
    }
}

/// The client for this desktop's server, with its pinned certificate.
pub fn connect(store: &Store) -> Result<Client> {
    let settings = store.sync_settings()?.ok_or(SyncError::NotEnrolled)?;
    Client::new(&settings.url, &settings.fingerprint, Some(token(store)?))
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncOutcome {
    pub pushed: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub merge: MergeReport,
    pub cursor: i64,
}

/// Pushes everything queued, then pulls and merges until caught up. A
/// failure part-way keeps what was done: pushed changes are acknowledged,
/// merged pages are committed, and the next call goes on from there.
pub fn sync_now(store: &mut Store) -> Result<SyncOutcome> {
    let client = match connect(store) {
        Ok(c) => c,
        Err(e) => {
            store.record_sync_attempt(Err(&e.to_string()))?;
            return Err(e);
        }
    };
    sync_with(store, &client)
}

/// `sync_now` with a client already made (the keychain read once, its
/// connections kept alive between rounds).
pub fn sync_with(store: &mut Store, client: &Client) -> Result<SyncOutcome> {
    let result = run(store, client);
    let note = match &result {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    store.record_sync_attempt(note.as_ref().map(|_| ()).map_err(|e| e.as_str()))?;
    result
}

fn run(store: &mut Store, client: &Client) -> Result<SyncOutcome> {
    let mut out = push_all(store, client)?;
    let pulled = pull_all(store, client)?;
    out.pulled = pulled.pulled;
    out.merge = pulled.merge;
    out.cursor = pulled.cursor;
    Ok(out)
}

/// Sends every queued own change, in batches, recording each acknowledgement.
/// The next batch is read while the server stores the one before; batches
/// still go one after another, in order.
pub fn push_all(store: &mut Store, client: &Client) -> Result<SyncOutcome> {
    let mut out = SyncOutcome::default();
    let mut batch = store.outbox(store.sync_progress()?.pushed_seq, MAX_BATCH)?;
    while let Some(last) = batch.last().map(|(seq, _)| *seq) {
        let changes: Vec<ChangeEntry> = batch.into_iter().map(|(_, c)| c).collect();
        let (sent, following) = std::thread::scope(|s| {
            let sending = s.spawn(|| client.push(&changes));
            let following = store.outbox(last, MAX_BATCH);
            (sending.join(), following)
        });
        let res =
            sent.map_err(|_| SyncError::Invalid("sending the batch failed unexpectedly".into()))??;
        let refused: Vec<_> = res
            .rejected
            .iter()
            .filter_map(|r| {
                changes
                    .iter()
                    .find(|c| c.change_id == r.change_id)
                    .map(|c| (c.clone(), r.clone()))
            })
            .collect();
        store.record_push(last, &refused)?;
        out.pushed += res.accepted;
        out.duplicates += res.duplicates;
        out.rejected += res.rejected.len();
        batch = following?;
    }
    Ok(out)
}

/// Pulls and merges page by page until caught up with the server. The
/// next page is fetched while this one merges; pages still merge in order,
/// and the cursor moves only past merged pages.
pub fn pull_all(store: &mut Store, client: &Client) -> Result<SyncOutcome> {
    let mut out = SyncOutcome::default();
    let mut page = client.pull(store.sync_cursor()?, PULL_PAGE)?;
    loop {
        out.pulled += page.changes.len();
        let (merged, following) = std::thread::scope(|s| {
            let fetching = page
                .more
                .then(|| s.spawn(|| client.pull(page.next, PULL_PAGE)));
            let merged = store.apply_remote(&page.changes);
            (merged, fetching.map(|f| f.join()))
        });
        merge_into(&mut out.merge, &merged?);
        // Past changes this device may not read, too.
        store.set_sync_cursor(page.next)?;
        out.cursor = page.next;
        match following {
            None => break,
            Some(fetched) => {
                page = fetched.map_err(|_| {
                    SyncError::Invalid("fetching the next page failed unexpectedly".into())
                })??;
            }
        }
    }
    Ok(out)
}

fn merge_into(total: &mut MergeReport, r: &MergeReport) {
    total.applied += r.applied;
    total.known += r.known;
    total.fields_superseded += r.fields_superseded;
    total.after_deletion += r.after_deletion;
    total.refused += r.refused;
    total.conflicts += r.conflicts;
    total.cursor = r.cursor.or(total.cursor);
}

/// What `watch` reports after each attempt.
#[derive(Debug)]
pub enum WatchEvent {
    Synced(SyncOutcome),
    Failed(SyncError),
}

/// Steers a running [`watch`] from another thread.
#[derive(Debug, Default)]
pub struct WatchControl {
    stop: std::sync::atomic::AtomicBool,
    nudge: std::sync::atomic::AtomicBool,
}

impl WatchControl {
    /// Ends the watch after the round in progress.
    pub fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Syncs now rather than at the next round: this desktop just queued a
    /// change that other desktops should see within a second.
    pub fn nudge(&self) {
        self.nudge.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn take_nudge(&self) -> bool {
        self.nudge.swap(false, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Keeps this desktop in sync until stopped: syncs at once, then again
/// whenever the server announces changes past this desktop's cursor or the
/// desktop is nudged, and every `every` in any case (so an outage is retried
/// and queued work goes out when the server is back).
pub fn watch(
    store: &mut Store,
    every: std::time::Duration,
    control: &WatchControl,
    mut report: impl FnMut(&WatchEvent),
) -> Result<()> {
    use std::sync::mpsc;
    let (heads, rx) = mpsc::channel::<i64>();
    let client = connect(store)?;
    let listener = connect(store)?;
    // The notification stream blocks while waiting, so it gets a thread of
    // its own; it reconnects by itself after an outage.
    std::thread::spawn(move || loop {
        if let Ok(mut events) = listener.events() {
            while let Ok(Some(head)) = events.next_head() {
                if heads.send(head).is_err() {
                    return;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        if heads.send(-1).is_err() {
            return;
        }
    });
    while !control.stopped() {
        control.take_nudge();
        let event = match sync_with(store, &client) {
            Ok(o) => WatchEvent::Synced(o),
            Err(e) => WatchEvent::Failed(e),
        };
        report(&event);
        // Wait for news past our cursor, the next round, or the stop flag.
        let deadline = std::time::Instant::now() + every;
        let cursor = store.sync_cursor()?;
        loop {
            if control.stopped() {
                return Ok(());
            }
            if control.take_nudge() {
                break;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(left.min(std::time::Duration::from_millis(50))) {
                Ok(head) if head > cursor => break,
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    }
    Ok(())
}
