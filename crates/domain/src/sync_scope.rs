//! Which synced tables a role may read and write. The desktop store checks
//! the permission of each operation; the clinic server uses this map to
//! decide which change-log entries a device may push and receive, so both
//! apply the same matrix.

use crate::access::{Permission, Role};

/// The tables whose rows travel through sync, with the permission needed to
/// receive them and the one needed to send changes to them.
pub const SYNCED_TABLES: &[(&str, Permission, Permission)] = &[
    (
        "clinic_settings",
        Permission::AppointmentRead,
        Permission::StoreAdmin,
    ),
    ("users", Permission::AppointmentRead, Permission::UserManage),
    (
        "preferences",
        Permission::AppointmentRead,
        Permission::AppointmentRead,
    ),
    (
        "providers",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "locations",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "rooms",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "appointment_types",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "schedules",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "schedule_templates",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "schedule_exceptions",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "slots",
        Permission::AppointmentRead,
        Permission::ScheduleManage,
    ),
    (
        "patients",
        Permission::PatientRead,
        Permission::PatientWrite,
    ),
    (
        "coverages",
        Permission::CoverageRead,
        Permission::CoverageWrite,
    ),
    (
        "appointments",
        Permission::AppointmentRead,
        Permission::AppointmentRead,
    ),
    // Asked for by anyone who may see coverage (a nurse checking a patient
    // in, too); the answer is written by the desktop that sent the check.
    (
        "eligibility_checks",
        Permission::CoverageRead,
        Permission::CoverageRead,
    ),
    (
        "appointment_events",
        Permission::AppointmentRead,
        Permission::AppointmentRead,
    ),
    (
        "encounters",
        Permission::EncounterRead,
        Permission::EncounterOpen,
    ),
    ("notes", Permission::NoteRead, Permission::NoteWrite),
    ("note_addenda", Permission::NoteRead, Permission::NoteWrite),
    // Billing: the biller's desktops only.
    ("fee_schedule", Permission::Billing, Permission::Billing),
    ("claims", Permission::Billing, Permission::Billing),
    ("claim_batches", Permission::Billing, Permission::Billing),
    ("claim_payments", Permission::Billing, Permission::Billing),
    // Measurements and annotations, keyed by DICOM UIDs: the images stay on
    // each desktop (and the PACS), what was drawn on them travels.
    (
        "imaging_annotations",
        Permission::ImagingRead,
        Permission::ImagingAnnotate,
    ),
];

fn entry(table: &str) -> Option<&'static (&'static str, Permission, Permission)> {
    SYNCED_TABLES.iter().find(|(t, _, _)| *t == table)
}

/// Whether `table` is synced at all.
pub fn is_synced(table: &str) -> bool {
    entry(table).is_some()
}

/// Whether a device used by `roles` may receive changes to `table`.
pub fn may_receive(roles: &[Role], table: &str) -> bool {
    entry(table).is_some_and(|(_, read, _)| roles.iter().any(|r| r.allows(*read)))
}

/// Whether a device used by `roles` may send changes to `table`. Appointments
/// move through their lifecycle by several roles (booking, check-in,
/// rooming), so reading them is enough to send their changes; the desktop
/// store checks the exact step.
pub fn may_send(roles: &[Role], table: &str) -> bool {
    entry(table).is_some_and(|(_, _, write)| roles.iter().any(|r| r.allows(*write)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_desk_devices_never_receive_notes() {
        let fd = [Role::FrontDesk];
        assert!(may_receive(&fd, "appointments"));
        assert!(may_receive(&fd, "patients"));
        assert!(!may_receive(&fd, "notes"));
        assert!(!may_receive(&fd, "note_addenda"));
        assert!(!may_send(&fd, "notes"));
    }

    #[test]
    fn a_device_gets_what_any_of_its_roles_allows() {
        let room = [Role::Nurse, Role::Physician];
        assert!(may_receive(&room, "notes"));
        assert!(may_send(&room, "notes"));
        assert!(!may_send(&room, "users"));
        assert!(may_send(&[Role::Admin], "users"));
    }

    #[test]
    fn unknown_tables_are_neither_sent_nor_received() {
        assert!(!is_synced("audit_log"));
        assert!(!may_receive(&Role::ALL, "change_log"));
        assert!(!may_send(&Role::ALL, "store_meta"));
    }
}
