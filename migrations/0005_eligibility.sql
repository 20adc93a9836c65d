-- Insurance eligibility checks (X12 270/271) and their durable outbox.
--
-- A check is queued in the same transaction as the request (check-in, the
-- "check again" button, tomorrow's batch) and sent by the desktop that
-- queued it, whenever its clearinghouse is reachable. Its id is also the
-- CORE PayloadID, so a resend after a lost answer is recognisable. Checks
-- sync, so every desktop shows the same verification.
CREATE TABLE eligibility_checks (
    id              TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    coverage_id     TEXT NOT NULL REFERENCES coverages (id),
    appointment_id  TEXT REFERENCES appointments (id),
    -- YYYY-MM-DD in the clinic's zone: the date the payer is asked about.
    service_date    TEXT NOT NULL,
    -- The desktop that sends it.
    device_id       TEXT NOT NULL,
    requested_at    INTEGER NOT NULL,
    requested_by    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- Why the last attempt did not get an answer (queued) or why the check
    -- cannot be done (failed), in words staff can act on.
    last_error      TEXT,
    connection      TEXT,
    outcome         TEXT CHECK (outcome IN ('active', 'inactive', 'rejected')),
    -- One line for lists: "Active · Gold PPO · office visit copay $25.00".
    summary         TEXT,
    -- The 271 as read (JSON), for the detail view.
    result          TEXT,
    completed_at    INTEGER
);
CREATE INDEX eligibility_by_coverage ON eligibility_checks (coverage_id, requested_at);
CREATE INDEX eligibility_by_patient ON eligibility_checks (patient_id, requested_at);
CREATE INDEX eligibility_outbox ON eligibility_checks (device_id, next_attempt_at) WHERE state = 'queued';
