-- Schema 11: two desktops that register patients offline under the same
-- typed-in MRN. Before, the second insert was refused at merge (a sync
-- refusal only administrators see) and that patient was missing from
-- every other desktop. Now both are kept and a `duplicate-mrn` conflict is
-- raised for staff, as double bookings are. Each desktop still refuses an
-- MRN already in use when a patient is registered or edited on it.
--
-- SQLite cannot drop a column's UNIQUE constraint, so the patients table
-- is rebuilt (the migration runner turns foreign keys off around it and
-- checks them before committing).
CREATE TABLE patients_new (
    id           TEXT PRIMARY KEY,
    mrn          TEXT NOT NULL,
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    given_key    TEXT NOT NULL,
    family_key   TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone        TEXT,
    phone_digits TEXT,
    email        TEXT,
    address_line TEXT,
    city         TEXT,
    state        TEXT,
    postal_code  TEXT,
    country      TEXT,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
INSERT INTO patients_new SELECT
    id, mrn, given_name, family_name, given_key, family_key, birth_date, sex,
    phone, phone_digits, email, address_line, city, state, postal_code,
    country, active, created_at, updated_at
FROM patients;
DROP TABLE patients;
ALTER TABLE patients_new RENAME TO patients;
CREATE INDEX patients_by_mrn ON patients (mrn);
CREATE INDEX patients_by_family ON patients (family_key, given_key);
CREATE INDEX patients_by_given ON patients (given_key, family_key);
CREATE INDEX patients_by_birth_date ON patients (birth_date);
CREATE INDEX patients_by_phone ON patients (phone_digits);

-- Conflicts name the patients they are about, and the new kind is allowed.
CREATE TABLE sync_conflicts_new (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('double-booking', 'duplicate-mrn')),
    appointment_ids TEXT NOT NULL,
    patient_ids     TEXT NOT NULL DEFAULT '[]',
    detail          TEXT NOT NULL,
    raised_at       INTEGER NOT NULL,
    resolved_at     INTEGER
) WITHOUT ROWID;
INSERT INTO sync_conflicts_new (id, kind, appointment_ids, detail, raised_at, resolved_at)
SELECT id, kind, appointment_ids, detail, raised_at, resolved_at FROM sync_conflicts;
DROP TABLE sync_conflicts;
ALTER TABLE sync_conflicts_new RENAME TO sync_conflicts;
CREATE INDEX sync_conflicts_open ON sync_conflicts (raised_at) WHERE resolved_at IS NULL;
