-- Dictation: what the scribe recorded or imported and what it heard, kept
-- only on the desktop that made it. Audio and transcripts never sync: the
-- audio is large, and the note drafted from it is what the clinic shares.

-- Generic and brand drug names as people say them (imported reference
-- data, `clinicdesk-cli codes import drugs`): not synced, not PHI.
CREATE TABLE drug_names (
    spoken  TEXT PRIMARY KEY,          -- lower case, single spaces
    name    TEXT NOT NULL,             -- the generic name
    brand   INTEGER NOT NULL CHECK (brand IN (0, 1))
) WITHOUT ROWID;

CREATE TABLE dictations (
    id               TEXT PRIMARY KEY,
    encounter_id     TEXT NOT NULL REFERENCES encounters (id),
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    recorded_by      TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('microphone', 'file')),
    file_name        TEXT,
    state            TEXT NOT NULL CHECK (state IN (
                       'recording', 'transcribing', 'done', 'failed', 'cancelled')),
    started_at       INTEGER NOT NULL,
    -- Written with every piece of audio or text: a dictation left
    -- 'recording' whose heartbeat stopped was cut off (the app closed or
    -- crashed) and is shown as interrupted, its audio kept.
    heartbeat_at     INTEGER NOT NULL,
    finished_at      INTEGER,
    duration_secs    REAL NOT NULL DEFAULT 0,
    error            TEXT,
    -- The draft note made from it.
    note_id          TEXT REFERENCES notes (id),
    audio_removed_at INTEGER
);
CREATE INDEX dictations_by_encounter ON dictations (encounter_id, started_at);

-- The audio as it arrives, in pieces of a few seconds: 16 kHz mono,
-- signed 16-bit little-endian samples.
CREATE TABLE dictation_audio (
    dictation_id TEXT NOT NULL REFERENCES dictations (id),
    seq          INTEGER NOT NULL,
    pcm          BLOB NOT NULL,
    PRIMARY KEY (dictation_id, seq)
) WITHOUT ROWID;

-- Timed text as the transcriber produces it.
CREATE TABLE dictation_segments (
    dictation_id TEXT NOT NULL REFERENCES dictations (id),
    seq          INTEGER NOT NULL,
    start_secs   REAL NOT NULL,
    end_secs     REAL NOT NULL,
    text         TEXT NOT NULL,
    PRIMARY KEY (dictation_id, seq)
) WITHOUT ROWID;
