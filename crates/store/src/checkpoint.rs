//! Copies the write-ahead log into the database on a connection of its own.
//!
//! Left to SQLite, the commit that fills the log past 1,000 pages copies it
//! back and syncs the file itself: about 12 ms, landing on one booking in
//! forty. Here every commit of the store's connection wakes a background
//! thread, which checkpoints a tenth of a second later (so a burst of
//! commits is copied together) and sleeps while nothing is written. The
//! committing connection only checkpoints by itself if the log grows past
//! [`FALLBACK_PAGES`] (the thread failed or fell far behind), so the log
//! stays bounded whatever happens to the thread.

use crate::error::Result;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const DELAY: Duration = Duration::from_millis(100);

/// The committing connection's own automatic checkpoint: ten times SQLite's
/// default, about 40 MB of log.
pub(crate) const FALLBACK_PAGES: u32 = 10_000;

/// Opens the checkpointing connection; called on the thread, when first needed.
pub(crate) type Opener = Box<dyn FnOnce() -> Result<Connection> + Send>;

pub(crate) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing what `writer` commits.
    pub(crate) fn start(writer: &Connection, open: Opener) -> Checkpointer {
        // One pending wake-up is enough: it covers every commit before it is taken.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                // Opened at the first commit, so a read-only command-line run
                // never pays for a second connection.
                let mut open = Some(open);
                let mut conn: Option<Connection> = None;
                while woken.recv().is_ok() {
                    if stopped.load(Ordering::Acquire) {
                        return;
                    }
                    std::thread::park_timeout(DELAY);
                    if stopped.load(Ordering::Acquire) {
                        return;
                    }
                    if let Some(open) = open.take() {
                        conn = open().ok();
                    }
                    let Some(c) = &conn else { return };
                    // PASSIVE never waits for or blocks a writer; what it cannot
                    // copy now (pages a reader still needs) goes at the next wake-up.
                    if c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                        .is_err()
                    {
                        return;
                    }
                }
            })
            .ok();
        let notify = wake.clone();
        writer.commit_hook(Some(move || {
            let _ = notify.try_send(());
            false // never veto the commit
        }));
        Checkpointer {
            wake: Some(wake),
            stop,
            thread,
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // The commit hook still holds a sender, so the thread is woken rather
        // than left to notice a closed channel. A full channel already holds
        // a wake-up it has yet to take.
        if let Some(wake) = self.wake.take() {
            let _ = wake.try_send(());
        }
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, PageHmac};
    use crate::store::{background_checkpoints, open_connection};
    use clinicdesk_keys::StoreKey;
    use std::time::Instant;

    fn db_bytes(db: &std::path::Path) -> u64 {
        std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
    }

    /// Commits leave their pages in the log (the committing connection would
    /// only checkpoint past 10,000 pages); once the checkpointer watches, the
    /// next commit has the background connection copy them into the
    /// database file within moments.
    #[test]
    fn the_log_reaches_the_database_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let db = config::db_path(dir.path());
        let key = StoreKey::generate();
        let hmac = PageHmac::for_this_machine();
        let conn = open_connection(&db, &key, hmac, true).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB NOT NULL)")
            .unwrap();
        let before = db_bytes(&db);
        for _ in 0..50 {
            conn.execute("INSERT INTO t (b) VALUES (zeroblob(16000))", [])
                .unwrap();
        }
        assert!(
            db_bytes(&db) < before + 400_000,
            "without the background connection the pages stay in the log"
        );
        let checkpointer = background_checkpoints(&conn, &db, &key, hmac);
        conn.execute("INSERT INTO t (b) VALUES (zeroblob(16000))", [])
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while db_bytes(&db) < before + 800_000 {
            assert!(Instant::now() < deadline, "the log was never copied back");
            std::thread::sleep(Duration::from_millis(20));
        }
        let stopping = Instant::now();
        drop(checkpointer);
        assert!(
            stopping.elapsed() < Duration::from_secs(2),
            "stops promptly"
        );
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 51);
    }
}
