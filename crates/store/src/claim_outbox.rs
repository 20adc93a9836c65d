//! The claim batches this desktop still has to send, and what became of
//! each attempt. Sending itself (CORE or SFTP) lives in
//! `clinicdesk-billing`; the store keeps the queue, so a batch made offline
//! or during a clearinghouse outage survives restarts and goes out later.

use crate::audit::Entry;
use crate::claims::{read_batch, Batch, BATCH_COLS};
use crate::error::Result;
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, opt_text, text, Fields};
use clinicdesk_domain::{Permission, Role};

/// Who the automatic delivery acts as: it reads the batch's claims to find
/// their connection and applies the 999 that comes back, so it needs the
/// billing permission, and the audit trail names it rather than a person.
pub fn delivery_session() -> Session {
    Session {
        user_id: "clearinghouse".into(),
        username: "clearinghouse".into(),
        display_name: "Claims delivery".into(),
        role: Role::Biller,
        provider_id: None,
    }
}

impl Store {
    /// Queued batches of this desktop that are due by `now`, oldest first.
    pub fn claim_outbox(&self, now: i64, limit: usize) -> Result<Vec<Batch>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {BATCH_COLS} FROM claim_batches
                 WHERE delivery = 'queued' AND device_id = ?1 AND next_attempt_at <= ?2
                 ORDER BY next_attempt_at, created_at LIMIT ?3"
            ))?
            .query_map((self.device_id(), now, limit as i64), read_batch)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The number of batches this desktop still has to send.
    pub fn claim_outbox_len(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM claim_batches WHERE delivery = 'queued' AND device_id = ?1",
            [self.device_id()],
            |r| r.get(0),
        )?)
    }

    /// The receiver has the batch; `note` says how ("uploaded …", "sent;
    /// 999 for batch 12: A").
    pub fn batch_delivered(&mut self, id: &str, connection: &str, note: &str) -> Result<()> {
        let batch = self.batch(id)?;
        self.settle_batch(
            &batch,
            vec![
                ("delivery", text("sent")),
                ("connection", text(connection)),
                ("delivery_note", text(note)),
                ("next_attempt_at", int(0)),
            ],
            "deliver",
            format!("batch {} to {connection}: {note}", batch.control_number),
        )
    }

    /// Nobody answered (or the receiver had trouble of its own): the batch
    /// stays queued and is tried again at `retry_at`.
    pub fn batch_put_off(
        &mut self,
        id: &str,
        connection: &str,
        why: &str,
        retry_at: i64,
    ) -> Result<()> {
        let batch = self.batch(id)?;
        self.settle_batch(
            &batch,
            vec![
                ("connection", text(connection)),
                ("delivery_note", text(why)),
                ("next_attempt_at", int(retry_at)),
            ],
            "deliver-later",
            format!("batch {} to {connection}: {why}", batch.control_number),
        )
    }

    /// The batch cannot go as things are (settings, password, host key);
    /// `why` says what to fix. A biller sends it again with
    /// [`Store::resend_batch`] once it is fixed.
    pub fn batch_failed(&mut self, id: &str, connection: Option<&str>, why: &str) -> Result<()> {
        let batch = self.batch(id)?;
        self.settle_batch(
            &batch,
            vec![
                ("delivery", text("failed")),
                ("connection", opt_text(connection)),
                ("delivery_note", text(why)),
                ("next_attempt_at", int(0)),
            ],
            "deliver-failed",
            format!("batch {}: {why}", batch.control_number),
        )
    }

    /// Queues a batch again, to be sent by this desktop now: after a failed
    /// delivery was fixed, to send one the receiver says it never got, or
    /// one waiting for its next try.
    /// The batch keeps its id and file name, so a receiver that did get it
    /// recognises the resend.
    pub fn resend_batch(&mut self, session: &Session, id: &str) -> Result<Batch> {
        session.require(Permission::Billing)?;
        let batch = self.batch(id)?;
        self.write(session, |tx| {
            let now = tx.now();
            let device = tx.device_id().to_string();
            tx.update(
                "claim_batches",
                id,
                vec![
                    ("delivery", text("queued")),
                    ("device_id", text(device)),
                    ("next_attempt_at", int(now)),
                ],
            )?;
            tx.audit(
                Entry::new("claim", "resend")
                    .record(id)
                    .detail(format!("batch {}", batch.control_number)),
            )
        })?;
        self.batch(id)
    }

    fn settle_batch(
        &mut self,
        batch: &Batch,
        mut fields: Fields,
        action: &'static str,
        detail: String,
    ) -> Result<()> {
        self.write(&delivery_session(), |tx| {
            fields.push(("attempts", int(batch.attempts + 1)));
            if action == "deliver" {
                fields.push(("sent_at", int(tx.now())));
            }
            tx.update("claim_batches", &batch.id, fields)?;
            tx.audit(Entry::new("claim", action).record(&batch.id).detail(detail))
        })
    }
}
