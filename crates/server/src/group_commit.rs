//! Group commit. Pushes that arrive while another is being stored wait, then
//! are stored together in one transaction: one commit (one fsync) serves many
//! desktops, instead of every push queueing behind the last one's commit.
//! An idle server stores a push at once; grouping only happens under load.

use crate::db::{Database, DbError, PushOutcome, Result};
use clinicdesk_sync_proto::ChangeEntry;
use tokio::sync::{mpsc, oneshot};

/// Most changes stored in one transaction, so a group of full batches still
/// commits quickly and the pushes in it are answered soon.
pub const MAX_GROUP_CHANGES: usize = 20_000;

/// Pushes waiting for the writer before senders wait too.
const QUEUE: usize = 1024;

struct Job {
    changes: Vec<ChangeEntry>,
    now: i64,
    reply: oneshot::Sender<Result<PushOutcome>>,
}

/// The one writer of pushes; cheap to share.
#[derive(Clone)]
pub struct PushQueue {
    jobs: mpsc::Sender<Job>,
}

impl PushQueue {
    /// Starts the writer on the current tokio runtime. `stored` is told
    /// the size of every group stored.
    pub fn start<D: Database>(db: D, stored: impl Fn(usize) + Send + 'static) -> PushQueue {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write(db, queue, stored));
        PushQueue { jobs }
    }

    /// Stores `changes` in the next group and answers with its outcome.
    pub async fn push(&self, changes: Vec<ChangeEntry>, now: i64) -> Result<PushOutcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                changes,
                now,
                reply,
            })
            .await
            .map_err(|_| DbError::Backend("the server's push writer has stopped".into()))?;
        answer.await.map_err(|_| {
            DbError::Backend("the server's push writer stopped before answering".into())
        })?
    }
}

async fn write<D: Database>(
    db: D,
    mut queue: mpsc::Receiver<Job>,
    stored: impl Fn(usize) + Send + 'static,
) {
    while let Some(first) = queue.recv().await {
        let mut size = first.changes.len();
        let mut group = vec![first];
        while size < MAX_GROUP_CHANGES {
            match queue.try_recv() {
                Ok(job) => {
                    size += job.changes.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        stored(group.len());
        store(&db, group).await;
    }
}

async fn store<D: Database>(db: &D, group: Vec<Job>) {
    let now = group.iter().map(|j| j.now).max().unwrap_or_default();
    let pushes: Vec<&[ChangeEntry]> = group.iter().map(|j| j.changes.as_slice()).collect();
    match db.push_group(&pushes, now).await {
        Ok(outcomes) if outcomes.len() == group.len() => {
            for (job, out) in group.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(out));
            }
        }
        Ok(_) => {
            for job in group {
                let _ = job.reply.send(Err(DbError::Backend(
                    "the database answered a group of pushes with the wrong number of outcomes"
                        .into(),
                )));
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some(job) = group.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
        // One push must not fail the others: each is stored alone and gets
        // its own answer.
        Err(_) => {
            for job in group {
                let answer = db.push(&job.changes, job.now).await;
                let _ = job.reply.send(answer);
            }
        }
    }
}
