-- Claim batches go out through the durable outbox, as eligibility checks do:
-- a batch is queued in the same transaction that marks its claims submitted,
-- and the desktop that made it sends it whenever the clearinghouse answers.
-- A resend keeps the batch's id as the CORE PayloadID and its file name on
-- an SFTP drop, so the receiver never takes it twice. Batches recorded before
-- this migration had already been handed over, so they count as sent.
ALTER TABLE claim_batches ADD COLUMN delivery TEXT NOT NULL DEFAULT 'sent'
    CHECK (delivery IN ('queued', 'sent', 'failed'));
-- The desktop that sends it.
ALTER TABLE claim_batches ADD COLUMN device_id TEXT;
ALTER TABLE claim_batches ADD COLUMN connection TEXT;
ALTER TABLE claim_batches ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE claim_batches ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
-- What the last attempt did ("uploaded out/837p-000000012.x12"), or why the
-- batch is still waiting (queued) or cannot go as it is (failed), in words
-- a biller can act on.
ALTER TABLE claim_batches ADD COLUMN delivery_note TEXT;
ALTER TABLE claim_batches ADD COLUMN sent_at INTEGER;
CREATE INDEX claim_batch_outbox ON claim_batches (device_id, next_attempt_at)
    WHERE delivery = 'queued';
