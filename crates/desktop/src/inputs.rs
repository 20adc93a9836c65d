//! What the screens send, as the commands receive it. Each input turns into
//! the store's own request type here, with a plain message for bad values.

use crate::error::DeskError;
use crate::Result;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewClinicInput {
    pub clinic_name: String,
    pub admin_username: String,
    #[serde(default)]
    pub admin_display_name: String,
    pub admin_password: String,
    /// When given, must equal the password (the form asks twice).
    #[serde(default)]
    pub admin_password_confirm: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Joining a clinic that runs elsewhere: its server, a one-time code from
/// its administrator, and names for this computer and the clinic.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JoinInput {
    pub server_url: String,
    pub code: String,
    pub device_name: String,
    pub clinic_name: String,
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
    /// Only for a store whose key is in a passphrase-protected key file,
    /// the first time it is opened.
    #[serde(default)]
    pub store_passphrase: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LockInput {
    /// Locked by the screens' idle timer rather than the Lock button.
    #[serde(default)]
    pub idle: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreferenceInput {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DayInput {
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WeekInput {
    pub date: String,
    pub provider_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchInput {
    pub query: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdInput {
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatientFields {
    #[serde(default)]
    pub mrn: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address_line: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

impl PatientFields {
    pub(crate) fn to_store(&self) -> clinicdesk_store::PatientInput {
        clinicdesk_store::PatientInput {
            mrn: filled(&self.mrn),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            birth_date: self.birth_date.clone(),
            sex: filled(&self.sex),
            phone: filled(&self.phone),
            email: filled(&self.email),
            address_line: filled(&self.address_line),
            city: filled(&self.city),
            state: filled(&self.state),
            postal_code: filled(&self.postal_code),
            country: filled(&self.country),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CoverageFields {
    #[serde(default)]
    pub priority: Option<i64>,
    pub payer_name: String,
    pub payer_id: String,
    pub member_id: String,
    #[serde(default)]
    pub group_number: Option<String>,
    #[serde(default)]
    pub subscriber_name: Option<String>,
    #[serde(default)]
    pub relationship: Option<String>,
}

impl CoverageFields {
    pub(crate) fn to_store(&self) -> clinicdesk_store::CoverageInput {
        clinicdesk_store::CoverageInput {
            priority: self.priority.unwrap_or(1),
            payer_name: self.payer_name.clone(),
            payer_id: self.payer_id.clone(),
            member_id: self.member_id.clone(),
            group_number: filled(&self.group_number),
            subscriber_name: filled(&self.subscriber_name),
            relationship: filled(&self.relationship),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegisterInput {
    pub patient: PatientFields,
    #[serde(default)]
    pub coverage: Option<CoverageFields>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpdatePatientInput {
    pub id: String,
    pub patient: PatientFields,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddCoverageInput {
    pub patient_id: String,
    pub coverage: CoverageFields,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NextAvailableInput {
    pub appointment_type_id: String,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

impl NextAvailableInput {
    pub(crate) fn to_store(&self) -> Result<clinicdesk_store::NextAvailableQuery> {
        Ok(clinicdesk_store::NextAvailableQuery {
            appointment_type_id: self.appointment_type_id.clone(),
            provider_id: filled(&self.provider_id),
            location_id: filled(&self.location_id),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            earliest: filled(&self.earliest)
                .map(|t| time("earliest", &t))
                .transpose()?,
            latest: filled(&self.latest)
                .map(|t| time("latest", &t))
                .transpose()?,
            limit: self.limit.unwrap_or(20).clamp(1, 100),
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BookingInput {
    pub patient_id: String,
    #[serde(default)]
    pub slot_id: Option<String>,
    /// Clinic-local "YYYY-MM-DDTHH:MM".
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub appointment_type_id: Option<String>,
    #[serde(default)]
    pub room_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub overbook_reason: Option<String>,
}

impl BookingInput {
    pub(crate) fn to_store(&self) -> Result<clinicdesk_store::BookingRequest> {
        Ok(clinicdesk_store::BookingRequest {
            patient_id: self.patient_id.clone(),
            slot_id: filled(&self.slot_id),
            start: filled(&self.start)
                .map(|s| local_datetime(&s))
                .transpose()?,
            provider_id: filled(&self.provider_id),
            location_id: filled(&self.location_id),
            appointment_type_id: filled(&self.appointment_type_id),
            room_id: filled(&self.room_id),
            reason: filled(&self.reason),
            overbook_reason: filled(&self.overbook_reason),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RescheduleInput {
    pub id: String,
    pub to: BookingInput,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReasonInput {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoomInput {
    pub id: String,
    #[serde(default)]
    pub room_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusInput {
    pub id: String,
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppointmentRef {
    pub appointment_id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoteFields {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DraftInput {
    pub encounter_id: String,
    #[serde(default)]
    pub note_id: Option<String>,
    pub format: String,
    pub content: NoteFields,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NoteRef {
    pub note_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddendumInput {
    pub note_id: String,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EncounterRef {
    pub encounter_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewUserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
    pub password: String,
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// The clinic's new name, time zone (IANA name) or both; blank is unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClinicSettingsInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserActiveInput {
    pub user_id: String,
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilterInput {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub patient_id: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// Clinic-local dates, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Empty text boxes arrive as "" or null; both mean "not given".
pub(crate) fn filled(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn date(what: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        DeskError::invalid(format!(
            "The {what} date \"{}\" is not a date. Use the date picker, or type it as YYYY-MM-DD.",
            s.trim()
        ))
    })
}

fn time(what: &str, s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|_| {
            DeskError::invalid(format!(
                "The {what} time \"{s}\" is not a time of day. Type it as HH:MM, for example 09:30."
            ))
        })
}

fn local_datetime(s: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            DeskError::invalid(format!(
                "The start \"{s}\" is not a date and time. Pick a time on the calendar."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_mean_not_given() {
        assert_eq!(filled(&Some("  ".into())), None);
        assert_eq!(filled(&Some(" x ".into())), Some("x".into()));
        assert_eq!(filled(&None), None);
    }

    #[test]
    fn bad_dates_and_times_say_what_to_type() {
        let e = date("from", "2026-13-01").unwrap_err();
        assert_eq!(e.kind, "invalid");
        assert!(e.message.contains("YYYY-MM-DD"), "{}", e.message);
        assert!(time("earliest", "9.30")
            .unwrap_err()
            .message
            .contains("HH:MM"));
        assert_eq!(
            local_datetime("2026-03-08T02:30").unwrap().to_string(),
            "2026-03-08 02:30:00"
        );
    }
}
