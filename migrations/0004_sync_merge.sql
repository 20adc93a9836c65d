-- Sync on a desktop: pulled changes that could not be applied, and
-- scheduling conflicts found when merging other desktops' bookings.

-- A pulled change the store refused (a signed note changed, a record that
-- breaks a rule): kept with the reason for staff, never dropped silently.
CREATE TABLE sync_refusals (
    change_id  TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         INTEGER NOT NULL
) WITHOUT ROWID;

-- Raised on every desktop that merges the same bookings, under the same id
-- (a hash of the kind and the appointment ids). Resolved when staff cancel
-- or move one of the appointments, which syncs like any other change.
CREATE TABLE sync_conflicts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('double-booking')),
    appointment_ids TEXT NOT NULL,
    detail          TEXT NOT NULL,
    raised_at       INTEGER NOT NULL,
    resolved_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX sync_conflicts_open ON sync_conflicts (raised_at) WHERE resolved_at IS NULL;
