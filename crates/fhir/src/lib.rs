//! FHIR R4 JSON import and export for ClinicDesk: Patient, Practitioner,
//! Location, Schedule, Slot, Appointment and Encounter.
//!
//! [`import`] takes resources and Bundles (collection, transaction, batch,
//! searchset), resolves their references (`Patient/example`, `urn:uuid:`
//! fullUrls; contained resources are refused) and writes them in
//! dependency order in one store transaction: all or nothing. Anything
//! ClinicDesk cannot represent is an error; optional elements it has no
//! field for are listed in the report as ignored. Resources imported
//! before (remembered in `fhir_links`) or carrying a ClinicDesk id are
//! recognised and skipped, not duplicated.
//!
//! [`export`] returns a `collection` Bundle whose resource ids are the
//! ClinicDesk ids (UUIDs), each entry under `urn:uuid:<id>`.
//!
//! Import needs `Permission::FhirImport`, export `Permission::FhirExport`;
//! both are audited per patient.

mod appointment;
mod bundle;
mod encounter;
mod error;
mod export;
mod import;
mod json;
mod location;
mod patient;
mod person;
mod practitioner;
mod refs;
mod report;
mod schedule;
mod slot;
mod write;

pub use error::{FhirError, Problem};
pub use export::ExportSelection;
pub use report::{IgnoredElement, ImportOptions, ImportReport, ImportedResource, SkippedResource};

pub(crate) use import::Mapped;

use clinicdesk_store::{Session, Store};
use serde_json::Value;

/// Imports resources and Bundles; any invalid resource refuses the whole
/// import, with every problem listed, and nothing is written.
pub fn import(
    store: &mut Store,
    session: &Session,
    resources: Vec<Value>,
) -> Result<ImportReport, FhirError> {
    import::import_with(store, session, resources, ImportOptions::default())
}

/// As [`import`]; with `skip_invalid` the valid resources are imported and
/// the invalid ones (and those depending on them) reported.
pub fn import_with(
    store: &mut Store,
    session: &Session,
    resources: Vec<Value>,
    options: ImportOptions,
) -> Result<ImportReport, FhirError> {
    import::import_with(store, session, resources, options)
}

/// Exports a `collection` Bundle of what `what` selects.
pub fn export(
    store: &mut Store,
    session: &Session,
    what: ExportSelection,
) -> Result<Value, FhirError> {
    export::export(store, session, what)
}
