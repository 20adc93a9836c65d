//! What the ClinicDesk desktop app does, without its window.
//!
//! [`Desk`] is the app's one piece of state: the clinic's open store, who is
//! logged in, and when they last did something. Every screen's data and
//! every action goes through it, so the Tauri commands in `src-tauri/` only
//! parse their input, call one method and pass the result on, and the same
//! rules (idle lock, roles, plain-language errors) hold for every caller.

mod admin;
mod billing;
mod clearinghouse_worker;
mod clinical;
mod clock;
mod desk;
mod dictation;
mod eligibility;
mod error;
mod frontdesk;
mod imaging;
mod inputs;
mod scribe;
mod status;
mod sync_worker;
mod updates;
mod viewer;
mod views;

pub use admin::ClinicSettingsView;
pub use billing::{
    BillingFileInput, BillingOverview, ClaimIdsInput, ClaimInput, ClaimView, CodeMatch,
    CodeSearchInput, FeeInput, FollowUpView, ReplyDrop, StatusAnswers, StatusQuestions,
    SubmitReport,
};
pub use clearinghouse_worker::{drain_eligibility, Bell, ClearinghouseWorker};
pub use clock::{Clock, ManualClock, SystemClock};
pub use desk::{demo_spec, Desk, SharedUnlock};
pub use dictation::{DictationDraft, DraftFromDictationInput, RetentionInput, StoreTerms};
pub use eligibility::{
    CheckEligibilityInput, ConnectionInput, ConnectionView, CoverageEligibility,
    DayEligibilityInput, DayEligibilityReport, PatientEligibility, PayerSettingsInput,
    PayerSettingsView,
};
pub use error::DeskError;
pub use imaging::{AnnotationRef, ConfirmStudyInput, StudiesInput, StudyRef, StudyView};
pub use inputs::*;
pub use scribe::{
    model_candidates, DictationRef, ImportAudioInput, RecordInput, Scribe, ScribePhase,
    ScribeStatus, ScribeUpdate,
};
pub use status::{AppStatus, Can, Home, Phase, SyncStatus};
pub use sync_worker::SyncWorker;
pub use updates::{UpdateSettings, UpdateSourceInput};
pub use viewer::{
    frame_message, ExportInput, Exported, FrameFormat, FrameHeader, FrameRef, ImportImagesInput,
    ImportUpdate, PacsSearchInput, RetrieveInput, SeriesRef, Viewer,
};
pub use views::*;

pub type Result<T, E = DeskError> = std::result::Result<T, E>;
