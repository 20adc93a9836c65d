//! Sync in the background while the app runs: the desktop keeps working
//! offline, and whenever the clinic server is reachable its queued changes
//! go out and everyone else's come in, without anyone pressing a button.

use crate::desk::SharedUnlock;
use clinicdesk_store::config::CONFIG_FILE;
use clinicdesk_store::Store;
use clinicdesk_sync::{WatchControl, WatchEvent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often a worker with nothing to do looks again: for a clinic created
/// or a desktop enrolled after the app started, and after an outage.
const RECHECK: Duration = Duration::from_secs(15);
/// A full round even without news, so an outage heals on its own.
const ROUND: Duration = Duration::from_secs(30);

/// The background sync of one data folder. Dropping it stops the worker
/// after its current round.
pub struct SyncWorker {
    control: Arc<WatchControl>,
}

impl SyncWorker {
    /// Starts syncing the store in `dir` on a thread of its own, with its
    /// own connection to the store, so neither the screens nor the network
    /// ever wait for each other. `merged` is called after every round that
    /// brought changes from other desktops.
    pub fn start(
        dir: &Path,
        unlock: SharedUnlock,
        merged: impl Fn() + Send + 'static,
    ) -> SyncWorker {
        let control = Arc::new(WatchControl::default());
        let worker = control.clone();
        let dir: PathBuf = dir.to_path_buf();
        std::thread::Builder::new()
            .name("clinicdesk-sync".into())
            .spawn(move || run(&dir, &unlock, &worker, &merged))
            .expect("the sync thread starts");
        SyncWorker { control }
    }

    /// This desktop changed something: send it now.
    pub fn nudge(&self) {
        self.control.nudge();
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.control.stop();
    }
}

fn run(dir: &Path, unlock: &SharedUnlock, control: &WatchControl, merged: &dyn Fn()) {
    while !control.stopped() {
        if let Some(mut store) = enrolled_store(dir, unlock) {
            let report = |e: &WatchEvent| {
                if let WatchEvent::Synced(o) = e {
                    if o.merge.applied > 0 {
                        merged();
                    }
                }
            };
            // Failures of single rounds are recorded in the store (the
            // status bar shows them); an error here means the store itself
            // could not be read, so the worker starts over after a pause.
            let _ = clinicdesk_sync::watch(&mut store, ROUND, control, report);
        }
        let until = std::time::Instant::now() + RECHECK;
        while !control.stopped() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The store, when it exists, can be opened (a key-file store once its
/// passphrase was typed at the lock screen) and is enrolled with a server.
fn enrolled_store(dir: &Path, unlock: &SharedUnlock) -> Option<Store> {
    if !dir.join(CONFIG_FILE).exists() {
        return None;
    }
    let store = crate::desk::open_beside(dir, unlock).ok()?;
    store.sync_settings().ok().flatten().map(|_| store)
}
