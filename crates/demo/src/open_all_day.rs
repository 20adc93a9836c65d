//! The smallest clinic a test of a whole clinic day needs: one provider who
//! works every day, all day, so there is open time to book whatever the
//! hour, and one user per role that the day involves.

use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{
    KeySetup, NewAppointmentType, NewClinic, NewLocation, NewProvider, NewUser, Store, StoreError,
    TemplateInput,
};
use std::path::Path;

/// What [`open_all_day`] made. Every user's password is the one given.
#[derive(Debug, Clone)]
pub struct OpenAllDay {
    pub provider_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    /// `admin`, `drhale` (the provider's physician) and `reception`.
    pub usernames: [&'static str; 3],
}

/// Creates the clinic in `dir` (its key in `keychain`): Dr Rowan Hale at
/// Main Street (rooms Exam 1 and 2), 15-minute Follow-up slots from 00:00 to
/// 23:45 every day from today for a week.
pub fn open_all_day(
    dir: &Path,
    zone: ClinicZone,
    keychain: Keychain,
    password: &str,
) -> Result<OpenAllDay, StoreError> {
    let user = |username: &str, display_name: &str, role, provider_id| NewUser {
        username: username.into(),
        display_name: display_name.into(),
        role,
        password: password.into(),
        provider_id,
    };
    let (mut store, admin) = Store::create(
        dir,
        NewClinic {
            name: "Harbour Family Practice".into(),
            timezone: zone,
            admin: user("admin", "Clinic Admin", Role::Admin, None),
            key: KeySetup::Keychain(keychain),
        },
    )?;
    let provider = store.add_provider(
        &admin,
        NewProvider {
            given_name: "Rowan".into(),
            family_name: "Hale".into(),
            npi: Some("1234567893".into()),
            credentials: Some("MD".into()),
            ..Default::default()
        },
    )?;
    let location = store.add_location(
        &admin,
        NewLocation {
            name: "Main Street".into(),
            ..Default::default()
        },
    )?;
    for room in ["Exam 1", "Exam 2"] {
        store.add_room(&admin, &location.id, room)?;
    }
    let follow_up = store.add_appointment_type(
        &admin,
        NewAppointmentType {
            name: "Follow-up".into(),
            duration_minutes: 15,
            color: "#1e88e5".into(),
            capacity: 1,
        },
    )?;
    let today = zone.today();
    for weekday in 1..=7 {
        store.add_template(
            &admin,
            &TemplateInput {
                provider_id: provider.id.clone(),
                location_id: location.id.clone(),
                weekday,
                start_time: "00:00".into(),
                end_time: "23:45".into(),
                slot_minutes: 15,
                appointment_type_id: Some(follow_up.id.clone()),
                effective_from: today.to_string(),
                effective_to: None,
            },
        )?;
    }
    store.materialize(&admin, today, today + chrono::Duration::days(7))?;
    store.add_user(
        &admin,
        user(
            "drhale",
            "Dr Rowan Hale",
            Role::Physician,
            Some(provider.id.clone()),
        ),
    )?;
    store.add_user(
        &admin,
        user("reception", "Robin Reception", Role::FrontDesk, None),
    )?;
    Ok(OpenAllDay {
        provider_id: provider.id,
        location_id: location.id,
        appointment_type_id: follow_up.id,
        usernames: ["admin", "drhale", "reception"],
    })
}

/// A fixed-offset zone where it is now between 08:00 and 11:00, so a test
/// that books "later today" always has most of a clinic day ahead of it.
pub fn morning_zone() -> ClinicZone {
    use chrono::Timelike;
    let utc_hour = chrono::Utc::now().hour() as i32;
    (-12..=14)
        .filter(|o| (8..11).contains(&(utc_hour + o).rem_euclid(24)))
        .find_map(|o| {
            // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
            let name = match o {
                0 => "Etc/GMT".to_string(),
                o if o > 0 => format!("Etc/GMT-{o}"),
                o => format!("Etc/GMT+{}", -o),
            };
            ClinicZone::parse(&name).ok()
        })
        .expect("some whole-hour zone is in the morning")
}

/// The demo clinic as a billing provider (NPI 1234567893, a tax id, an
/// address and phone in Portland, Maine) with one catch-all clearinghouse
/// connection to `endpoint`, named `connection`, as the clearinghouse
/// simulator expects it (sender CLINIC01, receiver CLEARINGHOUSE, user
/// `clinic`, test mode).
pub fn demo_payer_settings(connection: &str, endpoint: &str) -> clinicdesk_store::PayerSettings {
    clinicdesk_store::PayerSettings {
        billing: Some(clinicdesk_store::BillingProvider {
            organization_name: "Harbour Family Practice".into(),
            npi: "1234567893".into(),
            tax_id: Some("123456789".into()),
            address_line: Some("1 Harbour Street".into()),
            city: Some("Portland".into()),
            state: Some("ME".into()),
            postal_code: Some("04101".into()),
            phone: Some("207-555-0100".into()),
        }),
        connections: vec![clinicdesk_store::PayerConnection {
            name: connection.into(),
            endpoint: endpoint.into(),
            sender_id: "CLINIC01".into(),
            receiver_id: "CLEARINGHOUSE".into(),
            username: "clinic".into(),
            payer_ids: vec![],
            timeout_secs: 10,
            test: true,
            transport: clinicdesk_store::Transport::Core,
        }],
    }
}
