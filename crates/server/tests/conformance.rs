//! One suite, run against the embedded SQLite store and PostgreSQL: both
//! backends must behave the same.

mod common;

use clinicdesk_domain::Role;
use clinicdesk_server::db::{Database, DbError, EnrollmentCode, NewDevice, MAX_CODE_ATTEMPTS};
use clinicdesk_server::group_commit::PushQueue;
use clinicdesk_sync_proto::ChangeEntry;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ALL_TABLES: &[&str] = &["patients", "appointments", "notes"];

async fn enrollment<D: Database>(db: &D) {
    db.migrate().await.unwrap();
    let id = db.clinic_id().await.unwrap();
    db.migrate().await.unwrap();
    assert_eq!(
        db.clinic_id().await.unwrap(),
        id,
        "migrating again keeps the clinic"
    );

    let code = |lookup: &str, expires_at| EnrollmentCode {
        lookup: lookup.into(),
        secret: "SECRETSECRET".into(),
        roles: vec![Role::FrontDesk, Role::Nurse],
        expires_at,
    };
    let now = 1_000;
    db.add_enrollment_code(&code("AAAA", now + 60))
        .await
        .unwrap();
    db.add_enrollment_code(&code("BBBB", now - 1))
        .await
        .unwrap();
    assert!(
        db.enrollment_code("BBBB", now).await.unwrap().is_none(),
        "expired"
    );
    assert_eq!(
        db.enrollment_code("AAAA", now)
            .await
            .unwrap()
            .unwrap()
            .roles,
        vec![Role::FrontDesk, Role::Nurse]
    );

    let dev = NewDevice {
        device_id: "desk-1".into(),
        name: "Front desk 1".into(),
        token_hash: "hash-1".into(),
    };
    let d = db.redeem("AAAA", &dev, now).await.unwrap();
    assert_eq!(d.roles, vec![Role::FrontDesk, Role::Nurse]);
    assert!(
        matches!(
            db.redeem("AAAA", &dev, now).await,
            Err(DbError::BadEnrollmentCode)
        ),
        "single use"
    );
    assert!(db.enrollment_code("AAAA", now).await.unwrap().is_none());

    let seen = db
        .device_by_token("hash-1", now + 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.device_id, "desk-1");
    assert_eq!(seen.last_seen_at, Some(now + 5));
    assert!(db.device_by_token("nope", now).await.unwrap().is_none());

    assert!(db.revoke("desk-1", now + 10).await.unwrap());
    assert!(!db.revoke("desk-9", now).await.unwrap());
    assert!(
        db.device_by_token("hash-1", now + 11)
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );

    // A new code re-enrolls the same desktop with a new credential.
    db.add_enrollment_code(&code("CCCC", now + 60))
        .await
        .unwrap();
    let again = NewDevice {
        token_hash: "hash-2".into(),
        ..dev.clone()
    };
    db.redeem("CCCC", &again, now + 20).await.unwrap();
    assert!(db
        .device_by_token("hash-1", now + 21)
        .await
        .unwrap()
        .is_none());
    assert!(db
        .device_by_token("hash-2", now + 21)
        .await
        .unwrap()
        .is_some());
    let all = db.devices().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].revoked_at.is_none());

    // Wrong proofs use a code up.
    db.add_enrollment_code(&code("DDDD", now + 60))
        .await
        .unwrap();
    for _ in 0..MAX_CODE_ATTEMPTS {
        assert!(db.enrollment_code("DDDD", now).await.unwrap().is_some());
        db.count_failed_attempt("DDDD").await.unwrap();
    }
    assert!(db.enrollment_code("DDDD", now).await.unwrap().is_none());
    assert!(matches!(
        db.redeem("DDDD", &dev, now).await,
        Err(DbError::BadEnrollmentCode)
    ));
}

async fn push_and_pull<D: Database>(db: &D) {
    db.migrate().await.unwrap();
    assert_eq!(db.head().await.unwrap(), 0);
    let batch: Vec<_> = (0..10)
        .map(|n| common::change("d1", n, if n % 3 == 0 { "notes" } else { "patients" }))
        .collect();
    let out = db.push(&batch, 1).await.unwrap();
    assert_eq!((out.accepted, out.duplicates), (10, 0));
    let again = db.push(&batch[5..], 2).await.unwrap();
    assert_eq!(
        (again.accepted, again.duplicates),
        (0, 5),
        "pushing twice stores once"
    );
    assert_eq!(again.head, out.head);

    // Everything, in the order pushed.
    let page = db.pull(0, 100, ALL_TABLES).await.unwrap();
    assert!(!page.more);
    assert_eq!(page.next, out.head);
    let ids: Vec<_> = page
        .changes
        .iter()
        .map(|c| c.change.change_id.clone())
        .collect();
    let pushed: Vec<_> = batch.iter().map(|c| c.change_id.clone()).collect();
    assert_eq!(ids, pushed);
    assert_eq!(page.changes[3].change, batch[3], "served exactly as pushed");

    // Paged: pages of 4 follow on without gaps or repeats.
    let mut after = 0;
    let mut got = Vec::new();
    loop {
        let p = db.pull(after, 4, ALL_TABLES).await.unwrap();
        assert!(p.changes.len() <= 4);
        got.extend(p.changes.iter().map(|c| c.cursor));
        after = p.next;
        if !p.more {
            break;
        }
    }
    assert_eq!(got.len(), 10);
    assert!(got.windows(2).all(|w| w[0] < w[1]));

    // A device that may not read notes never receives them, and its cursor
    // still reaches the head.
    let p = db.pull(0, 100, &["patients"]).await.unwrap();
    assert!(p.changes.iter().all(|c| c.change.table == "patients"));
    assert_eq!(p.changes.len(), 6);
    assert_eq!(p.next, out.head);
    let empty = db.pull(p.next, 100, &["patients"]).await.unwrap();
    assert!(empty.changes.is_empty() && !empty.more && empty.next == out.head);
}

/// Many devices pushing at once while one pulls: the puller sees every
/// change exactly once, in cursor order, never skipping one that commits late.
async fn concurrent_pushes<D: Database>(db: &D) {
    db.migrate().await.unwrap();
    let devices = 8u32;
    let batches = 15u32;
    let mut tasks = Vec::new();
    for d in 0..devices {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..batches {
                let batch: Vec<_> = (0..5)
                    .map(|i| common::change(&format!("dev{d}"), b * 5 + i, "appointments"))
                    .collect();
                db.push(&batch, 1).await.unwrap();
            }
        }));
    }
    let puller = {
        let db = db.clone();
        tokio::spawn(async move {
            let total = (devices * batches * 5) as usize;
            let mut after = 0;
            let mut seen = Vec::new();
            while seen.len() < total {
                let p = db.pull(after, 7, ALL_TABLES).await.unwrap();
                seen.extend(
                    p.changes
                        .iter()
                        .map(|c| (c.cursor, c.change.change_id.clone())),
                );
                after = p.next;
                if p.changes.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }
            seen
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), puller)
        .await
        .expect("the puller saw every change in time")
        .unwrap();
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "in cursor order");
    let unique: BTreeSet<_> = seen.iter().map(|s| s.1.clone()).collect();
    assert_eq!(unique.len(), seen.len(), "no change twice");
    assert_eq!(seen.len(), (devices * batches * 5) as usize);
}

/// Several pushes in one transaction: each is answered for itself, a change
/// in two of them is stored once and credited to the first.
async fn push_group<D: Database>(db: &D) {
    db.migrate().await.unwrap();
    let stored = vec![common::change("d1", 0, "patients")];
    db.push(&stored, 1).await.unwrap();
    let a: Vec<_> = (1..4)
        .map(|n| common::change("d1", n, "patients"))
        .collect();
    let b = vec![
        common::change("d2", 10, "appointments"),
        a[1].clone(),
        stored[0].clone(),
    ];
    let empty: Vec<ChangeEntry> = Vec::new();
    let out = db.push_group(&[&a, &empty, &b], 2).await.unwrap();
    let counts: Vec<_> = out.iter().map(|o| (o.accepted, o.duplicates)).collect();
    assert_eq!(counts, vec![(3, 0), (0, 0), (1, 2)]);
    let head = db.head().await.unwrap();
    assert!(out.iter().all(|o| o.head == head));
    let ids: Vec<_> = db
        .pull(0, 100, ALL_TABLES)
        .await
        .unwrap()
        .changes
        .into_iter()
        .map(|c| c.change.change_id)
        .collect();
    let expected: Vec<_> = stored
        .iter()
        .chain(&a)
        .chain(&b[..1])
        .map(|c| c.change_id.clone())
        .collect();
    assert_eq!(ids, expected, "stored once each, in the order given");
}

/// Many devices pushing through the group-commit writer at once: every push
/// gets its own right answer, fewer transactions than pushes store them, and
/// a retried push is answered as duplicates.
async fn group_commit<D: Database>(db: &D) {
    db.migrate().await.unwrap();
    let groups = Arc::new(AtomicUsize::new(0));
    let queue = {
        let groups = groups.clone();
        PushQueue::start(db.clone(), move |_| {
            groups.fetch_add(1, Ordering::Relaxed);
        })
    };
    let (devices, batches) = (8u32, 15u32);
    let mut tasks = Vec::new();
    for d in 0..devices {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut last = Vec::new();
            for b in 0..batches {
                last = (0..5)
                    .map(|i| common::change(&format!("dev{d}"), b * 5 + i, "appointments"))
                    .collect::<Vec<_>>();
                let out = queue.push(last.clone(), 1).await.unwrap();
                assert_eq!((out.accepted, out.duplicates), (5, 0));
            }
            let again = queue.push(last, 2).await.unwrap();
            assert_eq!((again.accepted, again.duplicates), (0, 5), "a retry");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let pushes = (devices * (batches + 1)) as usize;
    let total = (devices * batches * 5) as usize;
    let page = db.pull(0, total + 10, ALL_TABLES).await.unwrap();
    assert_eq!(page.changes.len(), total);
    let unique: BTreeSet<_> = page.changes.iter().map(|c| &c.change.change_id).collect();
    assert_eq!(unique.len(), total);
    let groups = groups.load(Ordering::Relaxed);
    assert!(
        groups < pushes,
        "{pushes} concurrent pushes took {groups} transactions"
    );
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = super::common::sqlite();
                super::$name(&f.db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(f) = super::common::postgres().await {
                    super::$name(&f.db).await;
                }
            }
        }
    };
}

both!(enrollment);
both!(push_and_pull);
both!(concurrent_pushes);
both!(push_group);
both!(group_commit);
