-- Measurements and annotations drawn on images in the viewer.
--
-- Keyed by DICOM UIDs rather than the local study rows (which never sync),
-- so they travel to every desktop and show wherever the study is imported
-- or retrieved later. Points are image pixel coordinates (column, row)
-- with the pixel's centre at .5; millimetres are worked out from the
-- image's pixel spacing when shown, never stored.

CREATE TABLE imaging_annotations (
    id               TEXT PRIMARY KEY,
    study_uid        TEXT NOT NULL,
    series_uid       TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    frame            INTEGER NOT NULL DEFAULT 0 CHECK (frame >= 0),
    kind             TEXT NOT NULL CHECK (kind IN ('distance', 'angle', 'roi', 'arrow', 'text')),
    -- JSON array of [x, y] pairs.
    points           TEXT NOT NULL,
    label            TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX imaging_annotations_by_study ON imaging_annotations (study_uid, sop_instance_uid);
