//! What every desktop test starts from: the demo clinics' password, and
//! logging a user in after locking whoever was at the desk.

#![allow(dead_code)]

use clinicdesk_desktop::{AppStatus, BookingInput, DayInput, Desk, IdInput, LoginInput};

pub const PASSWORD: &str = "correct horse battery";

pub fn login(desk: &mut Desk, user: &str) -> AppStatus {
    desk.lock(false);
    desk.login(&LoginInput {
        username: user.into(),
        password: PASSWORD.into(),
        store_passphrase: None,
    })
    .unwrap_or_else(|e| panic!("{user} logs in: {e}"))
}

/// Books the patient into today's first open slot of the first column and
/// checks them in; the appointment's id.
pub fn book_and_check_in(desk: &mut Desk, patient_id: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let slot = desk.day_board(&DayInput::default()).unwrap().columns[0]
        .slots
        .iter()
        .find(|s| s.slot.starts_at > now && s.slot.booked < s.slot.capacity)
        .expect("an open slot later today")
        .slot
        .id
        .clone();
    let visit = desk
        .book(&BookingInput {
            patient_id: patient_id.into(),
            slot_id: Some(slot),
            ..Default::default()
        })
        .unwrap();
    desk.check_in(&IdInput {
        id: visit.id.clone(),
    })
    .unwrap();
    visit.id
}
