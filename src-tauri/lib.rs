//! ClinicDesk, the desktop app for outpatient clinics.
//!
//! This package is the app itself: its window shell lives in `src-tauri/`
//! and its screens in `ui/`. The clinic logic it shows lives in the crates
//! re-exported here, so the app, the command line and the end-to-end tests
//! all drive the same code.

pub use clinicdesk_demo as demo;
pub use clinicdesk_domain as domain;
pub use clinicdesk_fhir as fhir;
pub use clinicdesk_keys as keys;
pub use clinicdesk_store as store;
