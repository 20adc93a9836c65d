//! The group-commit writer keeps pushes apart when storing them together
//! fails: one bad push must not cost the other desktops their pushes.

mod common;

use clinicdesk_server::db::{
    Database, Device, EnrollmentCode, NewDevice, Page, PushOutcome, Result,
};
use clinicdesk_server::group_commit::PushQueue;
use clinicdesk_server::sqlite::SqliteDb;
use clinicdesk_server::DbError;
use clinicdesk_sync_proto::ChangeEntry;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// SQLite that refuses any push holding a change to record "poison".
#[derive(Clone)]
struct Poisoned(SqliteDb);

impl Database for Poisoned {
    async fn migrate(&self) -> Result<()> {
        self.0.migrate().await
    }
    async fn clinic_id(&self) -> Result<String> {
        self.0.clinic_id().await
    }
    async fn add_enrollment_code(&self, code: &EnrollmentCode) -> Result<()> {
        self.0.add_enrollment_code(code).await
    }
    async fn enrollment_code(&self, lookup: &str, now: i64) -> Result<Option<EnrollmentCode>> {
        self.0.enrollment_code(lookup, now).await
    }
    async fn count_failed_attempt(&self, lookup: &str) -> Result<()> {
        self.0.count_failed_attempt(lookup).await
    }
    async fn redeem(&self, lookup: &str, device: &NewDevice, now: i64) -> Result<Device> {
        self.0.redeem(lookup, device, now).await
    }
    async fn device_by_token(&self, token_hash: &str, now: i64) -> Result<Option<Device>> {
        self.0.device_by_token(token_hash, now).await
    }
    async fn devices(&self) -> Result<Vec<Device>> {
        self.0.devices().await
    }
    async fn revoke(&self, device_id: &str, now: i64) -> Result<bool> {
        self.0.revoke(device_id, now).await
    }
    async fn push_group(&self, pushes: &[&[ChangeEntry]], now: i64) -> Result<Vec<PushOutcome>> {
        if pushes
            .iter()
            .flat_map(|p| p.iter())
            .any(|c| c.record_id == "poison")
        {
            return Err(DbError::Backend("poisoned push".into()));
        }
        self.0.push_group(pushes, now).await
    }
    async fn pull(&self, after: i64, limit: usize, tables: &[&str]) -> Result<Page> {
        self.0.pull(after, limit, tables).await
    }
    async fn head(&self) -> Result<i64> {
        self.0.head().await
    }
}

// Current-thread: every push below is queued before the writer runs, so
// they form groups with the poisoned one.
#[tokio::test]
async fn a_failing_push_fails_alone() {
    let fresh = common::sqlite();
    let db = Poisoned(fresh.db.clone());
    db.migrate().await.unwrap();
    let biggest = Arc::new(AtomicUsize::new(0));
    let queue = {
        let biggest = biggest.clone();
        PushQueue::start(db.clone(), move |n| {
            biggest.fetch_max(n, Ordering::Relaxed);
        })
    };
    let mut tasks = Vec::new();
    for d in 0..6u32 {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut batch: Vec<_> = (0..3)
                .map(|n| common::change(&format!("dev{d}"), n, "patients"))
                .collect();
            if d == 2 {
                batch[1].record_id = "poison".into();
            }
            queue.push(batch, 1).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        biggest.load(Ordering::Relaxed) > 1,
        "the pushes were stored as a group"
    );
    for (d, answer) in answers.iter().enumerate() {
        if d == 2 {
            assert!(
                matches!(answer, Err(DbError::Backend(m)) if m == "poisoned push"),
                "{answer:?}"
            );
        } else {
            let out = answer.as_ref().unwrap();
            assert_eq!((out.accepted, out.duplicates), (3, 0));
        }
    }
    assert_eq!(db.head().await.unwrap(), 15, "five good pushes of three");
}
