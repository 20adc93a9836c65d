//! Clinic rules that hold wherever ClinicDesk runs: on a desktop store, on the
//! clinic server, or in a sync merge. Nothing here touches a database.

pub mod access;
pub mod hlc;
pub mod lifecycle;
pub mod local_time;
pub mod money;
pub mod prefs;
pub mod sync_scope;
pub mod validate;

pub use access::{Permission, Role};
pub use hlc::{Hlc, HlcClock};
pub use lifecycle::AppointmentStatus;
pub use local_time::ClinicZone;
