-- Schema 3: indexes for clinic-wide day views and given-name search.
-- The flow board and next-available search across all locations read one
-- day of appointments or slots; without these they scanned the whole table.
CREATE INDEX appointments_by_time ON appointments (starts_at);
CREATE INDEX slots_by_time ON slots (starts_at);
-- Given-name search orders by given then family name; with both in the
-- index it reads the first matches instead of sorting all of them.
DROP INDEX patients_by_given;
CREATE INDEX patients_by_given ON patients (given_key, family_key);
