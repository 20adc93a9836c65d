//! Roles and the permission matrix. Every store operation names the
//! permission it needs; `Role::allows` is the single place that decides.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    FrontDesk,
    Physician,
    Nurse,
    Biller,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Demographics: name, birth date, contact details.
    PatientRead,
    PatientWrite,
    CoverageRead,
    CoverageWrite,
    /// Providers, locations, rooms, appointment types, templates, exceptions, slots.
    ScheduleManage,
    AppointmentRead,
    AppointmentWrite,
    CheckIn,
    /// Moving an arrived patient through rooming, the provider and completion.
    ClinicalFlow,
    EncounterOpen,
    EncounterRead,
    NoteRead,
    NoteWrite,
    NoteSign,
    UserManage,
    AuditRead,
    FhirImport,
    FhirExport,
    StoreAdmin,
    /// Claims, the fee schedule, acknowledgements and remittance posting.
    Billing,
    /// Medical images: the study list and the images themselves.
    ImagingRead,
    /// Bringing studies in: from files, folders and CDs, or from the PACS.
    ImagingImport,
    /// Deciding which patient a study belongs to when its demographics differ.
    ImagingLink,
    /// Measuring and annotating images (saved with the study, synced).
    ImagingAnnotate,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::FrontDesk,
        Role::Physician,
        Role::Nurse,
        Role::Biller,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontDesk => "front-desk",
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::Biller => "biller",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::FrontDesk => "Front desk",
            Role::Physician => "Physician",
            Role::Nurse => "Nurse / MA",
            Role::Biller => "Biller",
            Role::Admin => "Administrator",
        }
    }

    /// The permission matrix, documented in docs/security.md.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::FrontDesk => matches!(
                p,
                PatientRead
                    | PatientWrite
                    | CoverageRead
                    | CoverageWrite
                    | ScheduleManage
                    | AppointmentRead
                    | AppointmentWrite
                    | CheckIn
                    | ImagingImport
            ),
            Role::Physician => matches!(
                p,
                PatientRead
                    | PatientWrite
                    | CoverageRead
                    | AppointmentRead
                    | ClinicalFlow
                    | EncounterOpen
                    | EncounterRead
                    | NoteRead
                    | NoteWrite
                    | NoteSign
                    | ImagingRead
                    | ImagingImport
                    | ImagingLink
                    | ImagingAnnotate
            ),
            Role::Nurse => matches!(
                p,
                PatientRead
                    | CoverageRead
                    | AppointmentRead
                    | CheckIn
                    | ClinicalFlow
                    | EncounterOpen
                    | EncounterRead
                    | NoteRead
                    | NoteWrite
                    | ImagingRead
                    | ImagingImport
            ),
            Role::Biller => matches!(
                p,
                PatientRead
                    | CoverageRead
                    | CoverageWrite
                    | AppointmentRead
                    | EncounterRead
                    | NoteRead
                    | Billing
            ),
            Role::Admin => matches!(
                p,
                PatientRead
                    | PatientWrite
                    | CoverageRead
                    | CoverageWrite
                    | ScheduleManage
                    | AppointmentRead
                    | AppointmentWrite
                    | CheckIn
                    | EncounterRead
                    | UserManage
                    | AuditRead
                    | FhirImport
                    | FhirExport
                    | StoreAdmin
                    | ImagingImport
                    | ImagingLink
            ),
        }
    }
}

impl Permission {
    pub const ALL: [Permission; 24] = [
        Permission::PatientRead,
        Permission::PatientWrite,
        Permission::CoverageRead,
        Permission::CoverageWrite,
        Permission::ScheduleManage,
        Permission::AppointmentRead,
        Permission::AppointmentWrite,
        Permission::CheckIn,
        Permission::ClinicalFlow,
        Permission::EncounterOpen,
        Permission::EncounterRead,
        Permission::NoteRead,
        Permission::NoteWrite,
        Permission::NoteSign,
        Permission::UserManage,
        Permission::AuditRead,
        Permission::FhirImport,
        Permission::FhirExport,
        Permission::StoreAdmin,
        Permission::Billing,
        Permission::ImagingRead,
        Permission::ImagingImport,
        Permission::ImagingLink,
        Permission::ImagingAnnotate,
    ];

    /// What the permission lets someone do, in words for an error message.
    pub fn describe(self) -> &'static str {
        use Permission::*;
        match self {
            PatientRead => "view patient demographics",
            PatientWrite => "register or edit patients",
            CoverageRead => "view insurance coverage",
            CoverageWrite => "edit insurance coverage",
            ScheduleManage => "manage providers, locations and schedules",
            AppointmentRead => "view appointments",
            AppointmentWrite => "book, reschedule or cancel appointments",
            CheckIn => "check patients in",
            ClinicalFlow => "room patients and move them through the visit",
            EncounterOpen => "open encounters",
            EncounterRead => "view encounters",
            NoteRead => "read clinical notes",
            NoteWrite => "write clinical notes",
            NoteSign => "sign clinical notes",
            UserManage => "manage users",
            AuditRead => "view the audit trail",
            FhirImport => "import FHIR data",
            FhirExport => "export FHIR data",
            StoreAdmin => "administer the encrypted store",
            Billing => "prepare claims and post payments",
            ImagingRead => "view medical images",
            ImagingImport => "import medical images",
            ImagingLink => "confirm which patient a study belongs to",
            ImagingAnnotate => "measure and annotate images",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match norm.as_str() {
            "front-desk" | "frontdesk" => Ok(Role::FrontDesk),
            "physician" | "doctor" => Ok(Role::Physician),
            "nurse" | "ma" | "nurse-ma" => Ok(Role::Nurse),
            "biller" => Ok(Role::Biller),
            "admin" | "administrator" => Ok(Role::Admin),
            _ => Err(format!(
                "unknown role '{s}'; expected one of front-desk, physician, nurse, biller, admin"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_desk_cannot_read_notes_and_biller_cannot_sign() {
        assert!(!Role::FrontDesk.allows(Permission::NoteRead));
        assert!(!Role::Biller.allows(Permission::NoteSign));
        assert!(Role::Physician.allows(Permission::NoteSign));
        assert!(!Role::Nurse.allows(Permission::NoteSign));
        assert!(!Role::Admin.allows(Permission::NoteRead));
    }

    #[test]
    fn images_are_viewed_by_clinicians_and_linked_by_physicians_and_admins() {
        assert!(Role::Physician.allows(Permission::ImagingRead));
        assert!(Role::Nurse.allows(Permission::ImagingRead));
        assert!(!Role::FrontDesk.allows(Permission::ImagingRead));
        assert!(!Role::Admin.allows(Permission::ImagingRead));
        assert!(Role::FrontDesk.allows(Permission::ImagingImport));
        assert!(!Role::Biller.allows(Permission::ImagingImport));
        assert!(Role::Admin.allows(Permission::ImagingLink));
        assert!(!Role::Nurse.allows(Permission::ImagingLink));
        assert!(Role::Physician.allows(Permission::ImagingAnnotate));
        assert!(!Role::Nurse.allows(Permission::ImagingAnnotate));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("janitor".parse::<Role>().is_err());
    }
}
