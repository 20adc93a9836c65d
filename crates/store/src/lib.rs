//! The encrypted local store of a ClinicDesk desktop (SQLCipher), and the
//! clinic rules that guard every write to it.
//!
//! Open a store with [`Store::open`], log in with [`Store::login`], and pass
//! the [`Session`] to every operation: each checks the user's role, writes
//! its audit entry and its sync change entries in the same transaction.

mod appointment_rows;
pub mod audit;
mod checkpoint;
pub mod config;
pub mod directory;
pub mod error;
mod migrate;
pub mod patients;
pub mod session;
mod store;
pub mod users;
pub mod write;

pub use audit::{AuditFilter, AuditRow, Verification};
pub use config::{KeySource, PageHmac};
pub use error::{Result, StoreError};
pub use migrate::{latest as latest_schema, MIGRATIONS};
pub use session::Session;
pub use store::{KeySetup, NewClinic, Store, Unlock};
pub use users::{NewUser, User};
pub use write::Tx;

pub mod booking;
pub mod changes;
pub mod claim_follow_up;
pub mod claim_outbox;
pub mod claims;
pub mod clinic;
pub mod dictations;
pub mod eligibility;
pub mod encounters;
pub mod imaging;
pub mod interop;
pub mod merge;
pub mod pacs;
pub mod payers;
mod prefs;
pub mod schedule;
pub mod sync_state;
pub mod terminology;
pub mod updates;
pub mod viewing;
pub mod views;

pub use booking::{Appointment, BookingRequest, NextAvailableQuery, OpenTime, RecordedAppointment};
pub use changes::Change;
pub use claim_outbox::delivery_session;
pub use claims::{
    Batch, Claim, ClaimDraft, ClaimLine, ClaimRow, Fee, LineDraft, PaymentPosting,
    PostedAdjustment, PostedPayment, UnbilledVisit,
};
pub use dictations::{AudioRetention, DictatedSegment, Dictation, DictationSource, DictationState};
pub use directory::{
    AppointmentType, Location, NewAppointmentType, NewLocation, NewProvider, Provider, Room,
};
pub use eligibility::{BatchReport, CheckState, EligibilityCheck, OutboxItem};
pub use encounters::{AdHocEncounter, Encounter, Note, NoteContent};
pub use imaging::{
    Incoming, InstanceMeta, InstanceOutcome, InstanceRow, LinkState, SeriesRow, StoredInstance,
    StudyDetail, StudyFilter, StudyImport, StudySummary,
};
pub use merge::{Conflict, MergeReport, Refusal};
pub use pacs::PacsSettings;
pub use patients::{Coverage, CoverageInput, Patient, PatientInput, PatientSummary};
pub use payers::{
    sftp_secret_account, BillingProvider, PayerConnection, PayerSettings, SftpDrop, SftpPickup,
    Transport,
};
pub use schedule::{
    ExceptionInput, MaterializeReport, RecordedSlot, ScheduleException, Slot, Template,
    TemplateInput,
};
pub use sync_state::{SyncProgress, SyncSettings};
pub use viewing::{Annotation, AnnotationEdit, AnnotationKind, NewAnnotation, SeriesAccess};
pub use views::{CalendarView, DayView, FlowRow, ProviderDay};
