//! The clinic's image archive on this desktop: DICOM instances imported
//! from files, folders and DICOMDIR media, or retrieved from the PACS over
//! DICOMweb, into the encrypted store (`clinicdesk-store`'s imaging
//! tables), where they stay viewable without the PACS.
//!
//! ```no_run
//! # fn demo(store: &mut clinicdesk_store::Store, session: &clinicdesk_store::Session) -> Result<(), clinicdesk_store::StoreError> {
//! let report = clinicdesk_archive::import_paths(store, session, &["/media/cdrom".into()], &mut |p| {
//!     eprintln!("{:?} {}/{}", p.phase, p.done, p.total);
//! })?;
//! println!("{} imported, {} already present", report.imported, report.already_present);
//! # Ok(()) }
//! ```

pub mod import;
pub mod meta;
pub mod pacs;
pub mod sources;

pub use import::{
    import_bytes, import_paths, ImportReport, NotImported, Phase, Progress, StudyResult,
    TRANSACTION_BYTES,
};
pub use meta::{read_meta, MetaError};
pub use pacs::{PacsClient, PacsError, StudyMatch, StudyQuery};
