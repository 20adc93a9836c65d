#![allow(dead_code)]

use chrono::{NaiveDate, Timelike, Utc};
use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::*;

pub const PASSWORD: &str = "correct horse battery";

/// A fixed-offset zone where it is now between 08:00 and 12:00, so tests
/// that check patients in today always have a clinic day ahead of them.
pub fn daytime_zone() -> ClinicZone {
    let utc_hour = Utc::now().hour() as i32;
    for offset in -12..=14 {
        let local = (utc_hour + offset).rem_euclid(24);
        if (8..12).contains(&local) {
            // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
            let name = match offset {
                0 => "Etc/GMT".to_string(),
                o if o > 0 => format!("Etc/GMT-{o}"),
                o => format!("Etc/GMT+{}", -o),
            };
            if let Ok(z) = ClinicZone::parse(&name) {
                return z;
            }
        }
    }
    panic!("no daytime zone found");
}

pub fn new_clinic(dir: &std::path::Path, zone: ClinicZone) -> (Store, Session) {
    new_clinic_as(dir, zone, "admin", "Clinic Admin")
}

/// Another desktop of the same clinic, in its own folder with its own device
/// id, set up by an administrator named `admin`.
pub fn another_desktop(zone: ClinicZone, admin: &str) -> (tempfile::TempDir, Store, Session) {
    let dir = tempfile::tempdir().unwrap();
    let (store, session) = new_clinic_as(dir.path(), zone, admin, admin);
    (dir, store, session)
}

pub fn new_clinic_as(
    dir: &std::path::Path,
    zone: ClinicZone,
    admin: &str,
    display_name: &str,
) -> (Store, Session) {
    Store::create(
        dir,
        NewClinic {
            name: "Harbour Family Practice".into(),
            timezone: zone,
            admin: NewUser {
                username: admin.into(),
                display_name: display_name.into(),
                role: Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .expect("create store")
}

pub fn user(
    store: &mut Store,
    admin: &Session,
    name: &str,
    role: Role,
    provider_id: Option<String>,
) -> Session {
    store
        .add_user(
            admin,
            NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                password: PASSWORD.into(),
                provider_id,
            },
        )
        .unwrap();
    store.login(name, PASSWORD).unwrap()
}

pub struct Clinic {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub admin: Session,
    pub desk: Session,
    pub doctor: Session,
    pub provider: Provider,
    pub location: Location,
    pub visit: AppointmentType,
    pub group: AppointmentType,
}

/// A clinic whose only provider works every day, all day, in 15-minute slots
/// materialized for a week from today.
pub fn clinic() -> Clinic {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    let provider = store
        .add_provider(
            &admin,
            NewProvider {
                given_name: "Grace".into(),
                family_name: "Hopper".into(),
                npi: Some("1234567893".into()),
                credentials: Some("MD".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let location = store
        .add_location(
            &admin,
            NewLocation {
                name: "Main Street".into(),
                ..Default::default()
            },
        )
        .unwrap();
    store.add_room(&admin, &location.id, "Exam 1").unwrap();
    store.add_room(&admin, &location.id, "Exam 2").unwrap();
    let visit = store
        .add_appointment_type(
            &admin,
            NewAppointmentType {
                name: "Follow-up".into(),
                duration_minutes: 15,
                color: "#1e88e5".into(),
                capacity: 1,
            },
        )
        .unwrap();
    let group = store
        .add_appointment_type(
            &admin,
            NewAppointmentType {
                name: "Group class".into(),
                duration_minutes: 60,
                color: "#43a047".into(),
                capacity: 3,
            },
        )
        .unwrap();
    let today = store.zone().today();
    for weekday in 1..=7 {
        store
            .add_template(
                &admin,
                &TemplateInput {
                    provider_id: provider.id.clone(),
                    location_id: location.id.clone(),
                    weekday,
                    start_time: "00:00".into(),
                    end_time: "23:45".into(),
                    slot_minutes: 15,
                    appointment_type_id: None,
                    effective_from: (today - chrono::Duration::days(30)).to_string(),
                    effective_to: None,
                },
            )
            .unwrap();
    }
    store
        .materialize(&admin, today, today + chrono::Duration::days(7))
        .unwrap();
    let desk = user(&mut store, &admin, "desk", Role::FrontDesk, None);
    let doctor = user(
        &mut store,
        &admin,
        "hopper",
        Role::Physician,
        Some(provider.id.clone()),
    );
    Clinic {
        dir,
        store,
        admin,
        desk,
        doctor,
        provider,
        location,
        visit,
        group,
    }
}

impl Clinic {
    pub fn patient(&mut self, given: &str, family: &str) -> Patient {
        self.store
            .add_patient(
                &self.desk,
                &PatientInput {
                    given_name: given.into(),
                    family_name: family.into(),
                    birth_date: "1980-04-02".into(),
                    sex: Some("female".into()),
                    phone: Some("(555) 010-2000".into()),
                    ..Default::default()
                },
            )
            .unwrap()
    }

    /// Today, `minutes` from now rounded up to the next quarter hour, clinic-local.
    pub fn later_today(&self, minutes: i64) -> chrono::NaiveDateTime {
        let zone = self.store.zone();
        let now = zone.to_local(Utc::now().timestamp()) + chrono::Duration::minutes(minutes);
        let q = (now.minute() / 15 + 1) * 15;
        let base = now.date().and_hms_opt(now.hour(), 0, 0).unwrap();
        base + chrono::Duration::minutes(q as i64)
    }

    pub fn book_at(
        &mut self,
        patient: &Patient,
        start: chrono::NaiveDateTime,
    ) -> Result<Appointment> {
        self.store.book(
            &self.desk,
            &BookingRequest {
                patient_id: patient.id.clone(),
                start: Some(start),
                provider_id: Some(self.provider.id.clone()),
                location_id: Some(self.location.id.clone()),
                appointment_type_id: Some(self.visit.id.clone()),
                ..Default::default()
            },
        )
    }

    pub fn today(&self) -> NaiveDate {
        self.store.zone().today()
    }
}

/// Everything `from` wrote itself, as the server would serve it.
pub fn served(from: &Store) -> Vec<clinicdesk_sync_proto::ServedChange> {
    from.outbox(0, 1_000_000)
        .unwrap()
        .into_iter()
        .map(|(seq, change)| clinicdesk_sync_proto::ServedChange {
            cursor: seq,
            change,
        })
        .collect()
}

/// Opens a store's database file directly with its key and page HMAC, the
/// way someone holding the key could behind ClinicDesk's back.
pub fn raw_database(
    db: &std::path::Path,
    key: &clinicdesk_keys::StoreKey,
    hmac: PageHmac,
) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(&format!(
        "PRAGMA key = \"{}\"; PRAGMA cipher_hmac_algorithm = {};",
        key.sqlcipher_literal().as_str(),
        hmac.sqlcipher_name()
    ))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}
