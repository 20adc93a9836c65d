-- The clinic's name and time zone become a synced record, so every desktop
-- of a clinic shows the same ones and an administrator's change reaches all
-- of them. They move out of store_meta (which never syncs).
CREATE TABLE clinic_settings (
    id       TEXT PRIMARY KEY CHECK (id = 'clinic'),
    name     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone TEXT NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64)
);

INSERT INTO clinic_settings (id, name, timezone)
SELECT 'clinic', n.value, z.value
FROM store_meta n, store_meta z
WHERE n.key = 'clinic_name' AND z.key = 'timezone';

DELETE FROM store_meta WHERE key IN ('clinic_name', 'timezone');
