-- Medical images: the study/series/instance index and the DICOM files
-- themselves, inside the encrypted store so no plaintext copy exists.
--
-- These tables never sync (no change-log entries): instances are large and
-- the clinic's PACS is the shared source, so each desktop keeps the studies
-- it imported or retrieved (docs/imaging.md).

CREATE TABLE imaging_studies (
    id                 TEXT PRIMARY KEY,
    study_uid          TEXT NOT NULL UNIQUE,
    -- The clinic's patient, once linked; NULL while the study waits for
    -- someone to confirm whose it is.
    patient_id         TEXT REFERENCES patients (id),
    link_state         TEXT NOT NULL CHECK (link_state IN ('linked', 'needs-confirmation')),
    -- Why the study was not linked on import (JSON array of sentences).
    link_issues        TEXT NOT NULL DEFAULT '[]',
    -- What the images say about the patient, as written in them.
    dicom_patient_id   TEXT,
    dicom_patient_name TEXT,
    -- YYYY-MM-DD when the file holds a valid date.
    dicom_birth_date   TEXT,
    study_date         TEXT,
    study_time         TEXT,
    accession_number   TEXT,
    description        TEXT,
    imported_at        INTEGER NOT NULL,
    imported_by        TEXT NOT NULL,
    linked_at          INTEGER,
    linked_by          TEXT
);
CREATE INDEX imaging_studies_by_patient ON imaging_studies (patient_id, study_date);
CREATE INDEX imaging_studies_by_state ON imaging_studies (link_state);

CREATE TABLE imaging_series (
    id            TEXT PRIMARY KEY,
    study_id      TEXT NOT NULL REFERENCES imaging_studies (id),
    series_uid    TEXT NOT NULL UNIQUE,
    modality      TEXT,
    series_number INTEGER,
    description   TEXT
);
CREATE INDEX imaging_series_by_study ON imaging_series (study_id, series_number);

CREATE TABLE imaging_instances (
    id                  TEXT PRIMARY KEY,
    series_id           TEXT NOT NULL REFERENCES imaging_series (id),
    sop_instance_uid    TEXT NOT NULL UNIQUE,
    sop_class_uid       TEXT NOT NULL,
    transfer_syntax_uid TEXT NOT NULL,
    instance_number     INTEGER,
    slice_location      REAL,
    rows                INTEGER,
    columns             INTEGER,
    frames              INTEGER,
    -- Bytes of the file. No checksum of our own: SQLCipher authenticates
    -- every page (HMAC-SHA512), so a stored file cannot change unnoticed.
    size                INTEGER NOT NULL,
    imported_at         INTEGER NOT NULL
);
CREATE INDEX imaging_instances_by_series ON imaging_instances (series_id, instance_number);

-- The Part 10 files, apart from the index so listing studies never pages
-- through image data.
CREATE TABLE imaging_files (
    instance_id TEXT PRIMARY KEY REFERENCES imaging_instances (id),
    bytes       BLOB NOT NULL
);
