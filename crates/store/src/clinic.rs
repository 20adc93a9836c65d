//! The clinic's name and time zone: one synced record, so every desktop of
//! a clinic shows the same and an administrator's change reaches them all.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::text;
use clinicdesk_domain::{validate, ClinicZone, Permission};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// The synced table and its one record.
pub const TABLE: &str = "clinic_settings";
const RECORD: &str = "clinic";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClinicSettings {
    pub name: String,
    /// IANA name, such as America/New_York.
    pub timezone: String,
}

/// A change of name, time zone or both.
#[derive(Debug, Clone, Default)]
pub struct ClinicChange {
    pub name: Option<String>,
    pub timezone: Option<ClinicZone>,
}

pub(crate) fn insert_settings(conn: &Connection, name: &str, zone: ClinicZone) -> Result<()> {
    conn.execute(
        "INSERT INTO clinic_settings (id, name, timezone) VALUES (?1, ?2, ?3)",
        (RECORD, name, zone.name()),
    )?;
    Ok(())
}

fn read(conn: &Connection) -> Result<ClinicSettings> {
    conn.prepare_cached("SELECT name, timezone FROM clinic_settings WHERE id = ?1")?
        .query_row([RECORD], |r| {
            Ok(ClinicSettings {
                name: r.get(0)?,
                timezone: r.get(1)?,
            })
        })
        .optional()?
        .ok_or_else(|| {
            StoreError::invalid(
                "the store is missing the clinic's name and time zone; it may be damaged",
            )
        })
}

pub(crate) fn read_zone(conn: &Connection) -> Result<ClinicZone> {
    Ok(ClinicZone::parse(&read(conn)?.timezone)?)
}

/// What a merge may leave behind: a name a person could type and a time
/// zone this desktop knows. Anything else is refused, so a bad change from
/// elsewhere can never stop the store from opening.
pub(crate) fn check_merged(conn: &Connection) -> std::result::Result<(), String> {
    let s = read(conn).map_err(|e| e.to_string())?;
    validate::name("clinic name", &s.name).map_err(|e| e.to_string())?;
    ClinicZone::parse(&s.timezone).map_err(|e| e.to_string())?;
    Ok(())
}

impl Store {
    pub fn clinic_settings(&self) -> Result<ClinicSettings> {
        read(&self.conn)
    }

    pub fn clinic_name(&self) -> Result<String> {
        Ok(read(&self.conn)?.name)
    }

    /// Changes the clinic's name or time zone (administrators). The change
    /// syncs to every desktop of the clinic; the last one made wins.
    pub fn set_clinic_settings(
        &mut self,
        session: &Session,
        change: &ClinicChange,
    ) -> Result<ClinicSettings> {
        session.require(Permission::StoreAdmin)?;
        let name = change
            .name
            .as_deref()
            .map(|n| validate::name("clinic name", n))
            .transpose()
            .map_err(StoreError::Invalid)?;
        if name.is_none() && change.timezone.is_none() {
            return Err(StoreError::invalid(
                "give the clinic's new name, its new time zone or both",
            ));
        }
        self.write(session, |tx| {
            let before = read(tx.conn())?;
            let mut fields = Vec::new();
            let mut said = Vec::new();
            if let Some(n) = name.as_ref().filter(|n| **n != before.name) {
                fields.push(("name", text(n)));
                said.push(format!("name '{}' to '{n}'", before.name));
            }
            if let Some(z) = change.timezone.filter(|z| z.name() != before.timezone) {
                fields.push(("timezone", text(z.name())));
                said.push(format!("time zone {} to {}", before.timezone, z.name()));
            }
            if fields.is_empty() {
                return Ok(before);
            }
            tx.update(TABLE, RECORD, fields)?;
            tx.audit(
                Entry::new("clinic", "update")
                    .record(RECORD)
                    .detail(format!("changed the clinic's {}", said.join(" and "))),
            )?;
            read(tx.conn())
        })
    }

    /// Logs the clinic's name and zone as they are, so that they reach the
    /// clinic server: the founding desktop's are the clinic's.
    pub(crate) fn publish_clinic_settings(&mut self, session: &Session) -> Result<()> {
        self.write(session, |tx| {
            let s = read(tx.conn())?;
            tx.update(
                TABLE,
                RECORD,
                vec![("name", text(&s.name)), ("timezone", text(&s.timezone))],
            )
        })
    }
}
