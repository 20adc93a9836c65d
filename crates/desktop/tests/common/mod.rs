//! What every desktop test starts from: the demo clinics' password, and
//! logging a user in after locking whoever was at the desk.

#![allow(dead_code)]

use clinicdesk_desktop::{AppStatus, Desk, LoginInput};

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
