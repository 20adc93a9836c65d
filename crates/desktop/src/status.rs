//! What the window shows around every screen: which phase the app is in,
//! who is logged in, what their role may do, and how sync is doing.

use clinicdesk_domain::{Permission, Role};
use clinicdesk_store::Session;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// No clinic in the data directory yet.
    FirstRun,
    Locked,
    Unlocked,
}

/// The screen a user lands on after unlocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Home {
    Calendar,
    FlowBoard,
    MyDay,
    Audit,
    Billing,
}

impl Home {
    /// The user's `home-view` preference, or their role's usual first screen.
    pub fn for_user(role: Role, preference: Option<&str>) -> Home {
        match preference {
            Some("calendar") => return Home::Calendar,
            Some("flow-board") => return Home::FlowBoard,
            Some("my-day") if role.allows(Permission::EncounterOpen) => return Home::MyDay,
            Some("audit") if role.allows(Permission::AuditRead) => return Home::Audit,
            Some("billing") if role.allows(Permission::Billing) => return Home::Billing,
            _ => {}
        }
        match role {
            Role::FrontDesk => Home::Calendar,
            Role::Physician => Home::MyDay,
            // Nurses room patients for every provider.
            Role::Nurse => Home::FlowBoard,
            Role::Biller => Home::Billing,
            Role::Admin => Home::Audit,
        }
    }
}

/// What the logged-in role may do. The core refuses anything else anyway;
/// this lets the screens hide buttons that could only fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Can {
    pub book: bool,
    pub check_in: bool,
    pub room: bool,
    pub write_notes: bool,
    pub sign_notes: bool,
    pub manage_users: bool,
    pub read_audit: bool,
    pub register_patients: bool,
    pub edit_coverage: bool,
    pub bill: bool,
    pub view_images: bool,
    pub import_images: bool,
    pub link_images: bool,
    pub annotate_images: bool,
}

impl Can {
    pub fn for_role(role: Role) -> Can {
        let a = |p| role.allows(p);
        Can {
            book: a(Permission::AppointmentWrite),
            check_in: a(Permission::CheckIn),
            room: a(Permission::ClinicalFlow),
            write_notes: a(Permission::NoteWrite),
            sign_notes: a(Permission::NoteSign),
            manage_users: a(Permission::UserManage),
            read_audit: a(Permission::AuditRead),
            register_patients: a(Permission::PatientWrite),
            edit_coverage: a(Permission::CoverageWrite),
            bill: a(Permission::Billing),
            view_images: a(Permission::ImagingRead),
            import_images: a(Permission::ImagingImport),
            link_images: a(Permission::ImagingLink),
            annotate_images: a(Permission::ImagingAnnotate),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AppStatus {
    pub phase: Phase,
    pub clinic_name: Option<String>,
    /// IANA zone of the clinic: "today" and every time shown are in it.
    pub clinic_timezone: Option<String>,
    pub data_dir: String,
    pub version: String,
    pub session: Option<Session>,
    pub home: Option<Home>,
    pub preferences: BTreeMap<String, String>,
    pub idle_lock_minutes: u64,
    pub can: Can,
    /// Why the screen locked by itself, for the lock screen to say.
    pub lock_reason: Option<String>,
    /// The clinic's key is in a passphrase-protected key file that is not
    /// open yet: the lock screen asks for the passphrase too.
    pub store_passphrase_needed: bool,
    /// This computer joined a clinic and nobody's account has arrived from
    /// the clinic server yet: the lock screen says so.
    pub awaiting_accounts: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub server: Option<String>,
    /// None before the first attempt; false while the server cannot be reached.
    pub online: Option<bool>,
    pub queued: i64,
    pub last_success_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub conflicts: i64,
}

/// Every preference at its default, for the lock screen.
pub fn default_preferences() -> BTreeMap<String, String> {
    clinicdesk_domain::prefs::PREFERENCES
        .iter()
        .map(|p| (p.key.to_string(), p.default.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_lands_on_its_own_screen() {
        assert_eq!(Home::for_user(Role::FrontDesk, None), Home::Calendar);
        assert_eq!(
            Home::for_user(Role::Physician, Some("role-default")),
            Home::MyDay
        );
        assert_eq!(Home::for_user(Role::Admin, None), Home::Audit);
        assert_eq!(Home::for_user(Role::Biller, None), Home::Billing);
        assert_eq!(
            Home::for_user(Role::Nurse, Some("billing")),
            Home::FlowBoard
        );
        assert_eq!(
            Home::for_user(Role::Admin, Some("flow-board")),
            Home::FlowBoard
        );
        // A preference the role cannot use falls back to the role's screen.
        assert_eq!(
            Home::for_user(Role::FrontDesk, Some("audit")),
            Home::Calendar
        );
    }

    #[test]
    fn front_desk_cannot_write_notes() {
        let c = Can::for_role(Role::FrontDesk);
        assert!(c.book && c.check_in && !c.write_notes && !c.sign_notes);
        let c = Can::for_role(Role::Physician);
        assert!(c.write_notes && c.sign_notes && !c.manage_users);
    }
}
