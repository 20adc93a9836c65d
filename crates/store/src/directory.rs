//! The clinic's directory: providers, locations, rooms and appointment types.
//! None of it is PHI, so reads are not audited; writes are.

use crate::audit::Entry;
use crate::error::{OrInvalid, Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text};
use clinicdesk_domain::{validate, ClinicZone, Permission};
use rusqlite::OptionalExtension;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub npi: Option<String>,
    pub specialty: Option<String>,
    pub credentials: Option<String>,
    pub active: bool,
}

impl Provider {
    pub fn display_name(&self) -> String {
        match &self.credentials {
            Some(c) => format!("{} {}, {c}", self.given_name, self.family_name),
            None => format!("{} {}", self.given_name, self.family_name),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewProvider {
    pub given_name: String,
    pub family_name: String,
    pub npi: Option<String>,
    pub specialty: Option<String>,
    pub credentials: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct NewLocation {
    pub name: String,
    /// Defaults to the clinic's time zone.
    pub timezone: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Room {
    pub id: String,
    pub location_id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppointmentType {
    pub id: String,
    pub name: String,
    pub duration_minutes: i64,
    pub color: String,
    pub capacity: i64,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewAppointmentType {
    pub name: String,
    pub duration_minutes: i64,
    pub color: String,
    pub capacity: i64,
}

pub(crate) fn read_provider(r: &rusqlite::Row) -> rusqlite::Result<Provider> {
    Ok(Provider {
        id: r.get(0)?,
        given_name: r.get(1)?,
        family_name: r.get(2)?,
        npi: r.get(3)?,
        specialty: r.get(4)?,
        credentials: r.get(5)?,
        active: r.get(6)?,
    })
}

pub(crate) fn read_location(r: &rusqlite::Row) -> rusqlite::Result<Location> {
    Ok(Location {
        id: r.get(0)?,
        name: r.get(1)?,
        timezone: r.get(2)?,
        address: r.get(3)?,
        phone: r.get(4)?,
        active: r.get(5)?,
    })
}

pub(crate) fn read_type(r: &rusqlite::Row) -> rusqlite::Result<AppointmentType> {
    Ok(AppointmentType {
        id: r.get(0)?,
        name: r.get(1)?,
        duration_minutes: r.get(2)?,
        color: r.get(3)?,
        capacity: r.get(4)?,
        active: r.get(5)?,
    })
}

pub(crate) const PROVIDER_COLS: &str =
    "id, given_name, family_name, npi, specialty, credentials, active";
pub(crate) const LOCATION_COLS: &str = "id, name, timezone, address, phone, active";
pub(crate) const TYPE_COLS: &str = "id, name, duration_minutes, color, capacity, active";

impl Store {
    pub fn add_provider(&mut self, session: &Session, p: NewProvider) -> Result<Provider> {
        let id = self.write(session, |tx| tx.add_provider(&p))?;
        self.provider(&id)
    }

    pub fn provider(&self, id: &str) -> Result<Provider> {
        self.conn()
            .query_row(
                &format!("SELECT {PROVIDER_COLS} FROM providers WHERE id = ?1"),
                [id],
                read_provider,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("provider", id))
    }

    pub fn provider_by_npi(&self, npi: &str) -> Result<Option<Provider>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {PROVIDER_COLS} FROM providers WHERE npi = ?1"),
                [npi],
                read_provider,
            )
            .optional()?)
    }

    pub fn providers(&self) -> Result<Vec<Provider>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {PROVIDER_COLS} FROM providers ORDER BY family_name, given_name"
        ))?;
        let v = stmt
            .query_map([], read_provider)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Finds a provider by id, NPI, or an unambiguous family name.
    pub fn find_provider(&self, key: &str) -> Result<Provider> {
        if let Ok(p) = self.provider(key) {
            return Ok(p);
        }
        if let Some(p) = self.provider_by_npi(key.trim())? {
            return Ok(p);
        }
        let k = key.trim().to_lowercase();
        let matches: Vec<Provider> = self
            .providers()?
            .into_iter()
            .filter(|p| p.family_name.to_lowercase() == k || p.display_name().to_lowercase() == k)
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().expect("one")),
            0 => Err(StoreError::not_found("provider", key)),
            n => Err(StoreError::invalid(format!(
                "{n} providers are called '{key}'; use the NPI or id instead"
            ))),
        }
    }

    pub fn add_location(&mut self, session: &Session, l: NewLocation) -> Result<Location> {
        let id = self.write(session, |tx| tx.add_location(&l))?;
        self.location(&id)
    }

    pub fn location(&self, id: &str) -> Result<Location> {
        self.conn()
            .query_row(
                &format!("SELECT {LOCATION_COLS} FROM locations WHERE id = ?1"),
                [id],
                read_location,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("location", id))
    }

    pub fn locations(&self) -> Result<Vec<Location>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {LOCATION_COLS} FROM locations ORDER BY name"
        ))?;
        let v = stmt
            .query_map([], read_location)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// By id or by name (case-insensitive).
    pub fn find_location(&self, key: &str) -> Result<Location> {
        if let Ok(l) = self.location(key) {
            return Ok(l);
        }
        self.conn()
            .query_row(
                &format!("SELECT {LOCATION_COLS} FROM locations WHERE lower(name) = lower(?1)"),
                [key.trim()],
                read_location,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("location", key))
    }

    pub fn location_zone(&self, location_id: &str) -> Result<ClinicZone> {
        Ok(ClinicZone::parse(&self.location(location_id)?.timezone)?)
    }

    pub fn add_room(&mut self, session: &Session, location_id: &str, name: &str) -> Result<Room> {
        session.require(Permission::ScheduleManage)?;
        let loc = self.find_location(location_id)?;
        let name = validate::name("room name", name).or_invalid()?;
        if self.find_room(&loc.id, &name).is_ok() {
            return Err(StoreError::Conflict(format!(
                "{} already has a room called '{name}'",
                loc.name
            )));
        }
        let id = new_id();
        self.write(session, |tx| {
            tx.insert(
                "rooms",
                &id,
                vec![
                    ("location_id", text(&loc.id)),
                    ("name", text(&name)),
                    ("active", int(1)),
                ],
            )?;
            tx.audit(
                Entry::new("directory", "create")
                    .record(&id)
                    .detail(format!("room {name} at {}", loc.name)),
            )
        })?;
        Ok(Room {
            id,
            location_id: loc.id,
            name,
            active: true,
        })
    }

    pub fn rooms(&self, location_id: &str) -> Result<Vec<Room>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, location_id, name, active FROM rooms WHERE location_id = ?1 ORDER BY name",
        )?;
        let v = stmt
            .query_map([location_id], |r| {
                Ok(Room {
                    id: r.get(0)?,
                    location_id: r.get(1)?,
                    name: r.get(2)?,
                    active: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// By id, or by name within a location.
    pub fn find_room(&self, location_id: &str, key: &str) -> Result<Room> {
        self.rooms(location_id)?
            .into_iter()
            .find(|r| r.id == key || r.name.eq_ignore_ascii_case(key.trim()))
            .ok_or_else(|| StoreError::not_found("room", key))
    }

    pub fn add_appointment_type(
        &mut self,
        session: &Session,
        t: NewAppointmentType,
    ) -> Result<AppointmentType> {
        let id = self.write(session, |tx| tx.add_appointment_type(&t))?;
        self.appointment_type(&id)
    }

    pub fn appointment_type(&self, id: &str) -> Result<AppointmentType> {
        self.conn()
            .query_row(
                &format!("SELECT {TYPE_COLS} FROM appointment_types WHERE id = ?1"),
                [id],
                read_type,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("appointment type", id))
    }

    pub fn appointment_types(&self) -> Result<Vec<AppointmentType>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {TYPE_COLS} FROM appointment_types ORDER BY name"
        ))?;
        let v = stmt
            .query_map([], read_type)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn find_appointment_type(&self, key: &str) -> Result<AppointmentType> {
        if let Ok(t) = self.appointment_type(key) {
            return Ok(t);
        }
        self.conn()
            .query_row(
                &format!("SELECT {TYPE_COLS} FROM appointment_types WHERE lower(name) = lower(?1)"),
                [key.trim()],
                read_type,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("appointment type", key))
    }
}

/// The directory writes inside a larger transaction (FHIR import, the demo
/// clinic); the `Store` methods above run these in a transaction of their own.
impl crate::write::Tx<'_> {
    pub fn add_provider(&mut self, p: &NewProvider) -> Result<String> {
        self.session().require(Permission::ScheduleManage)?;
        let given = validate::name("given name", &p.given_name).or_invalid()?;
        let family = validate::name("family name", &p.family_name).or_invalid()?;
        let npi = p
            .npi
            .as_deref()
            .map(validate::npi)
            .transpose()
            .or_invalid()?;
        let specialty = validate::text("specialty", p.specialty.as_deref(), 100).or_invalid()?;
        let credentials =
            validate::text("credentials", p.credentials.as_deref(), 40).or_invalid()?;
        if let Some(n) = &npi {
            let taken: bool = self
                .conn()
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM providers WHERE npi = ?1)")?
                .query_row([n], |r| r.get(0))?;
            if taken {
                return Err(StoreError::Conflict(format!(
                    "a provider with NPI {n} already exists"
                )));
            }
        }
        let id = new_id();
        self.insert(
            "providers",
            &id,
            vec![
                ("given_name", text(&given)),
                ("family_name", text(&family)),
                ("npi", opt_text(npi)),
                ("specialty", opt_text(specialty)),
                ("credentials", opt_text(credentials)),
                ("active", int(1)),
            ],
        )?;
        self.audit(
            Entry::new("directory", "create")
                .record(&id)
                .detail(format!("provider {given} {family}")),
        )?;
        Ok(id)
    }

    pub fn add_location(&mut self, l: &NewLocation) -> Result<String> {
        self.session().require(Permission::ScheduleManage)?;
        let name = validate::name("location name", &l.name).or_invalid()?;
        let tz = match &l.timezone {
            Some(t) => ClinicZone::parse(t)?,
            None => self.zone(),
        };
        let address = validate::text("address", l.address.as_deref(), 200).or_invalid()?;
        let phone = l
            .phone
            .as_deref()
            .map(validate::phone)
            .transpose()
            .or_invalid()?;
        // As `Store::find_location`: by id or by name, ignoring case.
        let taken: bool = self
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM locations WHERE id = ?1 OR lower(name) = lower(?1))",
            )?
            .query_row([&name], |r| r.get(0))?;
        if taken {
            return Err(StoreError::Conflict(format!(
                "a location called '{name}' already exists"
            )));
        }
        let id = new_id();
        self.insert(
            "locations",
            &id,
            vec![
                ("name", text(&name)),
                ("timezone", text(tz.name())),
                ("address", opt_text(address)),
                ("phone", opt_text(phone)),
                ("active", int(1)),
            ],
        )?;
        self.audit(
            Entry::new("directory", "create")
                .record(&id)
                .detail(format!("location {name}")),
        )?;
        Ok(id)
    }

    pub fn add_appointment_type(&mut self, t: &NewAppointmentType) -> Result<String> {
        self.session().require(Permission::ScheduleManage)?;
        let name = validate::name("appointment type name", &t.name).or_invalid()?;
        let color = validate::color(&t.color).or_invalid()?;
        if !(5..=480).contains(&t.duration_minutes) {
            return Err(StoreError::invalid(
                "an appointment type lasts from 5 to 480 minutes",
            ));
        }
        if !(1..=100).contains(&t.capacity) {
            return Err(StoreError::invalid(
                "an appointment type's capacity is from 1 to 100 patients",
            ));
        }
        if self.appointment_type_named(&name)?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an appointment type called '{name}' already exists"
            )));
        }
        let id = new_id();
        self.insert(
            "appointment_types",
            &id,
            vec![
                ("name", text(&name)),
                ("duration_minutes", int(t.duration_minutes)),
                ("color", text(&color)),
                ("capacity", int(t.capacity)),
                ("active", int(1)),
            ],
        )?;
        self.audit(
            Entry::new("directory", "create")
                .record(&id)
                .detail(format!("appointment type {name}")),
        )?;
        Ok(id)
    }

    /// As `Store::find_appointment_type`: by id or by name, ignoring case.
    pub fn appointment_type_named(&self, key: &str) -> Result<Option<AppointmentType>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {TYPE_COLS} FROM appointment_types WHERE id = ?1 OR lower(name) = lower(?1) ORDER BY id = ?1 DESC LIMIT 1"
            ))?
            .query_row([key.trim()], read_type)
            .optional()?)
    }
}
