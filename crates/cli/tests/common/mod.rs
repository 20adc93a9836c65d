//! Running `clinicdesk-cli` for the store-less command groups: no data
//! directory, no keychain, no login.

#![allow(dead_code)]

use std::process::{Command, Output};

pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"))
        .args(args)
        // Nowhere a store could be: these commands must not look for one.
        .env("CLINICDESK_DATA", "/nonexistent/clinicdesk")
        .env_remove("CLINICDESK_USER")
        .env_remove("CLINICDESK_PASSWORD")
        .output()
        .expect("clinicdesk-cli runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
