-- Schema 2: where imported FHIR resources landed, so that importing the same
-- resources again updates the records instead of duplicating them.
CREATE TABLE fhir_links (
    resource_type TEXT NOT NULL,
    fhir_id       TEXT NOT NULL,
    local_id      TEXT NOT NULL,
    PRIMARY KEY (resource_type, fhir_id)
) WITHOUT ROWID;
CREATE INDEX fhir_links_by_local ON fhir_links (local_id);
