-- Schema 13: lists of visits (flow board, day view, calendar) show each
-- patient's name and MRN. With them in an index keyed by id, a visit's
-- patient costs one B-tree descent instead of two (index, then table row).
CREATE INDEX patients_for_lists ON patients (id, family_name, given_name, mrn);
