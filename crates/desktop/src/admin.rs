//! Administration: users and roles, and the audit trail.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::inputs::{
    date, filled, AuditFilterInput, ClinicSettingsInput, NewUserInput, UserActiveInput,
};
use crate::views::CsvExport;
use crate::Result;
use clinicdesk_domain::{ClinicZone, Permission, Role};
use clinicdesk_store::clinic::ClinicChange;
use clinicdesk_store::{AuditFilter, AuditRow, NewUser, User, Verification};
use std::path::{Path, PathBuf};

/// The clinic's name and time zone, as the preferences screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClinicSettingsView {
    pub name: String,
    pub timezone: String,
    /// Administrators may change them.
    pub can_change: bool,
}

impl Desk {
    pub fn clinic_settings(&mut self) -> Result<ClinicSettingsView> {
        let (store, session) = self.session()?;
        let s = store.clinic_settings()?;
        Ok(ClinicSettingsView {
            name: s.name,
            timezone: s.timezone,
            can_change: session.role.allows(Permission::StoreAdmin),
        })
    }

    /// Renames the clinic or moves it to another time zone, on every
    /// desktop of the clinic once this one syncs.
    pub fn set_clinic_settings(
        &mut self,
        input: &ClinicSettingsInput,
    ) -> Result<ClinicSettingsView> {
        let timezone = filled(&input.timezone)
            .map(|z| {
                ClinicZone::parse(&z).map_err(|_| {
                    DeskError::invalid(format!(
                        "'{z}' is not a time zone ClinicDesk knows. Choose one from the list, such as America/New_York."
                    ))
                })
            })
            .transpose()?;
        let (store, session) = self.session()?;
        store.set_clinic_settings(
            &session,
            &ClinicChange {
                name: filled(&input.name),
                timezone,
            },
        )?;
        self.clinic_settings()
    }

    pub fn users(&mut self) -> Result<Vec<User>> {
        let (store, session) = self.session()?;
        Ok(store.list_users(&session)?)
    }

    pub fn add_user(&mut self, input: &NewUserInput) -> Result<User> {
        let role: Role = input.role.parse().map_err(DeskError::invalid)?;
        let (store, session) = self.session()?;
        let display_name = match input.display_name.trim() {
            "" => input.username.trim().to_string(),
            d => d.to_string(),
        };
        Ok(store.add_user(
            &session,
            NewUser {
                username: input.username.clone(),
                display_name,
                role,
                password: input.password.clone(),
                provider_id: filled(&input.provider_id),
            },
        )?)
    }

    pub fn set_user_active(&mut self, input: &UserActiveInput) -> Result<Vec<User>> {
        let (store, session) = self.session()?;
        if input.user_id == session.user_id && !input.active {
            return Err(DeskError::invalid(
                "You cannot deactivate yourself while logged in. Ask another administrator.",
            ));
        }
        store.set_user_active(&session, &input.user_id, input.active)?;
        Ok(store.list_users(&session)?)
    }

    pub fn audit_report(&mut self, input: &AuditFilterInput) -> Result<Vec<AuditRow>> {
        let (store, session) = self.session()?;
        let filter = audit_filter(store.zone(), input)?;
        Ok(store.audit_report(&session, &filter)?)
    }

    /// Writes the filtered report as CSV into `folder` (the user's Documents
    /// folder in the app) under a name that does not overwrite earlier ones.
    pub fn export_audit_csv(
        &mut self,
        input: &AuditFilterInput,
        folder: &Path,
    ) -> Result<CsvExport> {
        let (store, session) = self.session()?;
        let zone = store.zone();
        let filter = audit_filter(zone, input)?;
        let rows = store.audit_report(&session, &filter)?;
        let csv = clinicdesk_store::audit::to_csv(&rows, zone);
        let path = free_name(folder, &format!("clinicdesk-audit-{}", zone.today()), "csv");
        std::fs::create_dir_all(folder)
            .and_then(|_| std::fs::write(&path, csv))
            .map_err(|e| {
                DeskError::new(
                    "io",
                    format!(
                        "The report could not be saved in {}: {e}.",
                        folder.display()
                    ),
                )
            })?;
        Ok(CsvExport {
            path: path.display().to_string(),
            rows: rows.len(),
        })
    }

    pub fn verify_audit(&mut self) -> Result<Verification> {
        let (store, session) = self.session()?;
        Ok(store.verify_audit(&session)?)
    }
}

fn audit_filter(zone: clinicdesk_domain::ClinicZone, f: &AuditFilterInput) -> Result<AuditFilter> {
    Ok(AuditFilter {
        username: filled(&f.username).map(|u| u.to_ascii_lowercase()),
        patient_id: filled(&f.patient_id),
        action: filled(&f.action),
        category: filled(&f.category),
        from: filled(&f.from)
            .map(|d| date("from", &d).map(|d| zone.day_bounds(d).0))
            .transpose()?,
        to: filled(&f.to)
            .map(|d| date("to", &d).map(|d| zone.day_bounds(d).1))
            .transpose()?,
        limit: Some(f.limit.unwrap_or(5000).clamp(1, 100_000)),
    })
}

fn free_name(folder: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = folder.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| folder.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !p.exists())
        .expect("some name is free")
}
