-- ClinicDesk local store, schema 1.
-- Instants are UTC seconds since the epoch (INTEGER); calendar dates are
-- 'YYYY-MM-DD' and wall times 'HH:MM' in the location's time zone.
-- Ids are UUIDv7 text, so offline desktops never collide.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE providers (
    id          TEXT PRIMARY KEY,
    given_name  TEXT NOT NULL,
    family_name TEXT NOT NULL,
    npi         TEXT UNIQUE,
    specialty   TEXT,
    credentials TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('front-desk', 'physician', 'nurse', 'biller', 'admin')),
    password_hash TEXT NOT NULL,
    provider_id   TEXT REFERENCES providers (id),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE locations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    timezone    TEXT NOT NULL,
    address     TEXT,
    phone       TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations (id),
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    UNIQUE (location_id, name)
);

CREATE TABLE appointment_types (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    color            TEXT NOT NULL,
    capacity         INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 100),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE patients (
    id           TEXT PRIMARY KEY,
    mrn          TEXT NOT NULL UNIQUE,
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
CREATE INDEX patients_by_family ON patients (family_key, given_key);
CREATE INDEX patients_by_given ON patients (given_key);
CREATE INDEX patients_by_birth_date ON patients (birth_date);
CREATE INDEX patients_by_phone ON patients (phone_digits);

CREATE TABLE coverages (
    id              TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
    payer_name      TEXT NOT NULL,
    payer_id        TEXT NOT NULL,
    member_id       TEXT NOT NULL,
    group_number    TEXT,
    subscriber_name TEXT NOT NULL,
    relationship    TEXT NOT NULL CHECK (relationship IN ('self', 'spouse', 'child', 'other')),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE INDEX coverages_by_patient ON coverages (patient_id, priority);
CREATE UNIQUE INDEX coverages_one_per_priority ON coverages (patient_id, priority) WHERE active = 1;

-- A provider's schedule at one location (FHIR Schedule).
CREATE TABLE schedules (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    comment     TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    UNIQUE (provider_id, location_id)
);

-- A recurring weekly availability block.
CREATE TABLE schedule_templates (
    id                  TEXT PRIMARY KEY,
    schedule_id         TEXT NOT NULL REFERENCES schedules (id),
    weekday             INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time          TEXT NOT NULL,
    end_time            TEXT NOT NULL,
    slot_minutes        INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480),
    appointment_type_id TEXT REFERENCES appointment_types (id),
    effective_from      TEXT NOT NULL,
    effective_to        TEXT,
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CHECK (start_time < end_time),
    CHECK (effective_to IS NULL OR effective_from <= effective_to)
);
CREATE INDEX templates_by_schedule ON schedule_templates (schedule_id);

-- Holidays, leave and blocked time. NULL provider or location means all.
CREATE TABLE schedule_exceptions (
    id          TEXT PRIMARY KEY,
    provider_id TEXT REFERENCES providers (id),
    location_id TEXT REFERENCES locations (id),
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'leave', 'blocked')),
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX exceptions_by_time ON schedule_exceptions (starts_at, ends_at);

CREATE TABLE slots (
    id                  TEXT PRIMARY KEY,
    schedule_id         TEXT NOT NULL REFERENCES schedules (id),
    provider_id         TEXT NOT NULL REFERENCES providers (id),
    location_id         TEXT NOT NULL REFERENCES locations (id),
    template_id         TEXT REFERENCES schedule_templates (id),
    appointment_type_id TEXT REFERENCES appointment_types (id),
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL,
    capacity            INTEGER NOT NULL CHECK (capacity >= 1),
    status              TEXT NOT NULL CHECK (status IN ('open', 'blocked')),
    CHECK (starts_at < ends_at),
    UNIQUE (provider_id, starts_at)
);
CREATE INDEX slots_by_location_time ON slots (location_id, starts_at);

CREATE TABLE appointments (
    id                  TEXT PRIMARY KEY,
    patient_id          TEXT NOT NULL REFERENCES patients (id),
    provider_id         TEXT NOT NULL REFERENCES providers (id),
    location_id         TEXT NOT NULL REFERENCES locations (id),
    appointment_type_id TEXT NOT NULL REFERENCES appointment_types (id),
    room_id             TEXT REFERENCES rooms (id),
    slot_id             TEXT REFERENCES slots (id),
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('booked', 'confirmed', 'arrived', 'roomed', 'with-provider', 'completed', 'cancelled', 'no-show')),
    reason              TEXT,
    overbook_reason     TEXT,
    cancel_reason       TEXT,
    rescheduled_from    TEXT REFERENCES appointments (id),
    rescheduled_to      TEXT REFERENCES appointments (id),
    status_changed_at   INTEGER NOT NULL,
    arrived_at          INTEGER,
    roomed_at           INTEGER,
    seen_at             INTEGER,
    completed_at        INTEGER,
    created_at          INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX appointments_by_provider_time ON appointments (provider_id, starts_at);
CREATE INDEX appointments_by_patient_time ON appointments (patient_id, starts_at);
CREATE INDEX appointments_by_location_time ON appointments (location_id, starts_at);
CREATE INDEX appointments_by_slot ON appointments (slot_id) WHERE slot_id IS NOT NULL;
CREATE INDEX appointments_by_room_time ON appointments (room_id, starts_at) WHERE room_id IS NOT NULL;

CREATE TABLE appointment_events (
    id             TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    at             INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    reason         TEXT
);
CREATE INDEX appointment_events_by_appointment ON appointment_events (appointment_id, at);

CREATE TABLE encounters (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    provider_id    TEXT NOT NULL REFERENCES providers (id),
    location_id    TEXT REFERENCES locations (id),
    appointment_id TEXT UNIQUE REFERENCES appointments (id),
    status         TEXT NOT NULL CHECK (status IN ('in-progress', 'finished', 'cancelled')),
    reason         TEXT,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER
);
CREATE INDEX encounters_by_patient ON encounters (patient_id, started_at);

CREATE TABLE notes (
    id           TEXT PRIMARY KEY,
    encounter_id TEXT NOT NULL REFERENCES encounters (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    author_id    TEXT NOT NULL REFERENCES users (id),
    format       TEXT NOT NULL CHECK (format IN ('soap', 'bullets')),
    subjective   TEXT NOT NULL DEFAULT '',
    objective    TEXT NOT NULL DEFAULT '',
    assessment   TEXT NOT NULL DEFAULT '',
    plan         TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    signed_at    INTEGER,
    signed_by    TEXT REFERENCES users (id),
    content_hash TEXT
);
CREATE INDEX notes_by_encounter ON notes (encounter_id);

-- Signed notes are final; corrections are addenda. Enforced here as well as
-- in the code, so no path can change a signed note.
CREATE TRIGGER signed_notes_are_final_update BEFORE UPDATE ON notes
WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed note cannot be changed; add an addendum');
END;
CREATE TRIGGER signed_notes_are_final_delete BEFORE DELETE ON notes
WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed note cannot be deleted');
END;

CREATE TABLE note_addenda (
    id         TEXT PRIMARY KEY,
    note_id    TEXT NOT NULL REFERENCES notes (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX addenda_by_note ON note_addenda (note_id, created_at);
CREATE TRIGGER addenda_are_final_update BEFORE UPDATE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum cannot be changed');
END;
CREATE TRIGGER addenda_are_final_delete BEFORE DELETE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum cannot be deleted');
END;

CREATE TABLE preferences (
    id      TEXT PRIMARY KEY, -- user id '/' key
    user_id TEXT NOT NULL REFERENCES users (id),
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    UNIQUE (user_id, key)
);

-- Append-only, hash-chained: hash = SHA-256(prev_hash, the entry's fields).
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    user_id     TEXT,
    username    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    patient_id  TEXT,
    category    TEXT NOT NULL,
    action      TEXT NOT NULL,
    record_id   TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_by_user ON audit_log (username, at);
CREATE INDEX audit_by_time ON audit_log (at);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

-- Every write, for the sync engine: what changed, when (hybrid logical
-- clock) and where. Written in the same transaction as the change itself.
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id  TEXT NOT NULL UNIQUE,
    hlc        TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    user_id    TEXT,
    table_name TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    fields     TEXT NOT NULL
);
CREATE INDEX change_log_by_record ON change_log (table_name, record_id);
