-- Professional claims (837P) from finished encounters, their
-- acknowledgements (999, 277CA) and the payments posted from 835s.

-- ICD-10-CM as published by CMS, imported from a registry package
-- (`clinicdesk-cli codes import`). Reference data: not synced, not PHI.
CREATE TABLE icd10cm_codes (
    code        TEXT PRIMARY KEY,  -- without the dot: J209
    billable    INTEGER NOT NULL CHECK (billable IN (0, 1)),
    description TEXT NOT NULL
) WITHOUT ROWID;

-- What the clinic charges for a procedure (CPT/HCPCS) and modifier.
CREATE TABLE fee_schedule (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL,
    modifier     TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL,
    charge_cents INTEGER NOT NULL CHECK (charge_cents > 0),
    UNIQUE (code, modifier)
);

-- One claim per encounter and payer. Diagnoses and lines are JSON arrays
-- written whole while the claim is a draft; the claim is frozen once sent.
CREATE TABLE claims (
    id                   TEXT PRIMARY KEY,   -- also CLM01, echoed in 277CA and 835
    encounter_id         TEXT NOT NULL REFERENCES encounters (id),
    patient_id           TEXT NOT NULL REFERENCES patients (id),
    coverage_id          TEXT NOT NULL REFERENCES coverages (id),
    provider_id          TEXT NOT NULL REFERENCES providers (id),
    service_date         TEXT NOT NULL,      -- YYYY-MM-DD, clinic-local
    diagnoses            TEXT NOT NULL,      -- ["J209", …], principal first
    lines                TEXT NOT NULL,      -- [{code, modifiers, units, charge_cents, pointers}]
    total_charge_cents   INTEGER NOT NULL,
    status               TEXT NOT NULL CHECK (status IN (
                           'draft', 'submitted', 'accepted', 'rejected',
                           'paid', 'partial', 'denied', 'void')),
    status_detail        TEXT,
    batch_id             TEXT,
    submitted_at         INTEGER,
    payer_claim_number   TEXT,
    paid_cents           INTEGER NOT NULL DEFAULT 0,
    adjusted_cents       INTEGER NOT NULL DEFAULT 0,
    patient_resp_cents   INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    created_by           TEXT NOT NULL
);
CREATE INDEX claims_by_status ON claims (status, submitted_at);
CREATE INDEX claims_by_encounter ON claims (encounter_id);

-- An 837P interchange as sent, and what the receiver's 999 said of it.
CREATE TABLE claim_batches (
    id               TEXT PRIMARY KEY,
    control_number   INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    claim_count      INTEGER NOT NULL,
    total_cents      INTEGER NOT NULL,
    x12              TEXT NOT NULL,
    ack_status       TEXT,                  -- A, E, P, R from the 999
    ack_detail       TEXT,
    acked_at         INTEGER
);

-- One claim payment (CLP) of a posted 835, matched to its claim when the
-- patient control number names one; unmatched payments are kept too.
CREATE TABLE claim_payments (
    id                     TEXT PRIMARY KEY,
    claim_id               TEXT REFERENCES claims (id),
    patient_control_number TEXT NOT NULL,
    payer_name             TEXT NOT NULL,
    trace_number           TEXT NOT NULL,  -- TRN02: the check or EFT number
    payment_date           TEXT,
    status_code            TEXT NOT NULL,  -- CLP02
    charge_cents           INTEGER NOT NULL,
    paid_cents             INTEGER NOT NULL,
    patient_resp_cents     INTEGER NOT NULL,
    payer_claim_number     TEXT,
    adjustments            TEXT NOT NULL,  -- [{group, reason, amount_cents, text}]
    posted_at              INTEGER NOT NULL,
    posted_by              TEXT NOT NULL,
    UNIQUE (trace_number, patient_control_number, status_code, paid_cents)
);
CREATE INDEX claim_payments_by_claim ON claim_payments (claim_id);
