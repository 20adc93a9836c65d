//! The screens' data: the store's records with the names and clinic-local
//! times a screen shows, so the front end never converts time zones itself.

use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::ClinicZone;
use clinicdesk_store::{
    Appointment, AppointmentType, Encounter, Location, Note, NoteContent, Patient, Provider, Room,
    Slot, Store,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    #[serde(flatten)]
    pub provider: Provider,
    pub display_name: String,
}

impl From<Provider> for ProviderView {
    fn from(provider: Provider) -> Self {
        ProviderView {
            display_name: provider.display_name(),
            provider,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Directory {
    pub providers: Vec<ProviderView>,
    pub locations: Vec<Location>,
    pub rooms: Vec<Room>,
    pub appointment_types: Vec<AppointmentType>,
}

/// A slot with its clinic-local start and end ("YYYY-MM-DDTHH:MM").
#[derive(Debug, Clone, Serialize)]
pub struct SlotView {
    #[serde(flatten)]
    pub slot: Slot,
    pub local_start: String,
    pub local_end: String,
}

impl SlotView {
    pub(crate) fn new(zone: ClinicZone, slot: Slot) -> SlotView {
        SlotView {
            local_start: local_minute(&zone, slot.starts_at),
            local_end: local_minute(&zone, slot.ends_at),
            slot,
        }
    }
}

pub(crate) fn local_minute(zone: &ClinicZone, at: i64) -> String {
    zone.to_local(at).format("%Y-%m-%dT%H:%M").to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct ProviderColumn {
    pub provider: ProviderView,
    pub slots: Vec<SlotView>,
    pub appointments: Vec<Appointment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayBoard {
    pub date: String,
    pub location_id: Option<String>,
    pub columns: Vec<ProviderColumn>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekDay {
    pub date: String,
    pub slots: Vec<SlotView>,
    pub appointments: Vec<Appointment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekBoard {
    pub provider: ProviderView,
    pub from: String,
    pub to: String,
    pub days: Vec<WeekDay>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenTimeView {
    pub slot_id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub location_id: String,
    pub location_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub local_start: String,
    pub local_end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddendumView {
    pub id: String,
    pub author_id: String,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// A note with the names of its author, of who signed it and of who added
/// each addendum.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    pub id: String,
    pub encounter_id: String,
    pub patient_id: String,
    pub author_id: String,
    pub author_name: String,
    pub format: NoteFormat,
    pub content: NoteContent,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub signed_at: Option<i64>,
    pub signed_by: Option<String>,
    pub signed_by_name: Option<String>,
    pub content_hash: Option<String>,
    pub addenda: Vec<AddendumView>,
}

impl NoteView {
    pub(crate) fn new(store: &Store, note: Note) -> NoteView {
        let name = |id: &str| {
            store
                .user_display_name(id)
                .ok()
                .flatten()
                .unwrap_or_else(|| "a former user".to_string())
        };
        NoteView {
            author_name: name(&note.author_id),
            signed_by_name: note.signed_by.as_deref().map(name),
            addenda: note
                .addenda
                .into_iter()
                .map(|a| AddendumView {
                    author_name: name(&a.author_id),
                    id: a.id,
                    author_id: a.author_id,
                    body: a.body,
                    created_at: a.created_at,
                })
                .collect(),
            id: note.id,
            encounter_id: note.encounter_id,
            patient_id: note.patient_id,
            author_id: note.author_id,
            format: note.format,
            content: note.content,
            status: note.status,
            created_at: note.created_at,
            updated_at: note.updated_at,
            signed_at: note.signed_at,
            signed_by: note.signed_by,
            content_hash: note.content_hash,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EncounterView {
    pub encounter: Encounter,
    pub patient: Patient,
    pub appointment: Option<Appointment>,
    pub notes: Vec<NoteView>,
}

/// A conflict raised when offline desktops' changes met: a double booking
/// with the visits involved (staff cancel or move one), or patients
/// registered under one MRN (staff give one another MRN).
#[derive(Debug, Clone, Serialize)]
pub struct ConflictView {
    pub id: String,
    /// `double-booking` (its appointments) or `duplicate-mrn` (its patients).
    pub kind: String,
    pub detail: String,
    pub raised_at: i64,
    pub appointments: Vec<Appointment>,
    pub patients: Vec<clinicdesk_store::Patient>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CsvExport {
    pub path: String,
    pub rows: usize,
}

/// A flow board row with the patient's insurance verification, if asked.
#[derive(Debug, Clone, Serialize)]
pub struct FlowRowView {
    #[serde(flatten)]
    pub row: clinicdesk_store::FlowRow,
    pub eligibility: Option<EligibilityBadge>,
}

/// The verification state in a list: the badge and its tooltip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EligibilityBadge {
    pub state: String,
    pub headline: String,
}

impl EligibilityBadge {
    pub fn of(check: &clinicdesk_store::EligibilityCheck, now: i64) -> EligibilityBadge {
        let (state, headline) = crate::eligibility::describe(check, "the payer", now);
        let headline = match &check.last_error {
            Some(why) if state != "active" => format!("{headline} ({why})"),
            _ => headline,
        };
        EligibilityBadge { state, headline }
    }
}
