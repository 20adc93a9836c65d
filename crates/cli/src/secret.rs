//! Passwords and passphrases: from an environment variable (scripts) or a
//! prompt that does not echo (people). Never from the command line, where
//! other users could read them in the process list.

use crate::error::{CliError, Result};
use std::io::IsTerminal;
use zeroize::Zeroizing;

pub type Secret = Zeroizing<String>;

/// The logged-in user's password.
pub const PASSWORD_ENV: &str = "CLINICDESK_PASSWORD";
/// A new password for `user add` and `user passwd`.
pub const NEW_PASSWORD_ENV: &str = "CLINICDESK_NEW_PASSWORD";
/// The passphrase of a store whose key lives in a key file.
pub const KEY_PASSPHRASE_ENV: &str = "CLINICDESK_KEY_PASSPHRASE";
/// The passphrase for the new key file written by `rekey`.
pub const NEW_KEY_PASSPHRASE_ENV: &str = "CLINICDESK_NEW_KEY_PASSPHRASE";
/// The PACS password `dicom pacs set --password` keeps in the keychain.
pub const PACS_PASSWORD_ENV: &str = "CLINICDESK_PACS_PASSWORD";

/// What is being asked for, in words for prompts and errors.
pub struct Ask<'a> {
    pub env: &'a str,
    /// "password for admin", "key-file passphrase"...
    pub what: &'a str,
    /// Ask twice and compare: for secrets that are being chosen (at least
    /// 12 characters, as the store and key file require).
    pub confirm: bool,
}

/// Reads the secret from its environment variable, or else asks on the
/// terminal. With neither, says how to give it.
pub fn read(ask: &Ask) -> Result<Secret> {
    if let Some(v) = std::env::var_os(ask.env) {
        return v
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| CliError::failed(format!("{} is not valid UTF-8", ask.env)));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::failed(format!(
            "no {} given: set {} or run clinicdesk-cli in a terminal to be asked for it",
            ask.what, ask.env
        )));
    }
    let what = capitalize(ask.what);
    if !ask.confirm {
        return prompt(&format!("{what}: "));
    }
    // Only new secrets are confirmed, and every new one has the same rule.
    let first = prompt(&format!("{what} (at least 12 characters): "))?;
    let again = prompt(&format!("{what} (again): "))?;
    if *first != *again {
        return Err(CliError::failed(format!(
            "the two entries of the {} differ; nothing was changed",
            ask.what
        )));
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<Secret> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| CliError::failed(format!("could not read from the terminal: {e}")))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
