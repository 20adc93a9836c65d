//! `init`: create a clinic and its first administrator.

use crate::context::Global;
use crate::error::{CliError, Result};
use crate::output::fields;
use crate::secret::{self, Ask};
use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::{KeyError, Keychain};
use clinicdesk_store::{KeySetup, NewClinic, NewUser, Store, StoreError};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// User name of the first administrator
    #[arg(long, value_name = "NAME")]
    admin: String,
    /// The administrator's display name [default: the user name]
    #[arg(long)]
    display_name: Option<String>,
    #[command(flatten)]
    store: NewStoreArgs,
}

/// How a new store is made, for `init` and `join`.
#[derive(Debug, clap::Args)]
pub struct NewStoreArgs {
    /// The clinic's name (when joining, shown only until the clinic's own
    /// arrives from the server)
    #[arg(long, default_value = "ClinicDesk Clinic")]
    pub clinic_name: String,
    /// IANA time zone of the clinic [default: this computer's, else UTC]
    /// (when joining, used only until the clinic's own arrives)
    #[arg(long, value_name = "IANA")]
    pub timezone: Option<String>,
    /// Keep the store key in a passphrase-protected key file instead of the
    /// OS keychain (passphrase: CLINICDESK_KEY_PASSPHRASE or a prompt)
    #[arg(long)]
    pub key_file: bool,
}

#[derive(Serialize)]
struct Created {
    data_dir: String,
    clinic_name: String,
    timezone: String,
    key_source: clinicdesk_store::KeySource,
    admin: clinicdesk_store::Session,
}

/// The zone asked for, or this computer's.
pub fn zone(asked: Option<&str>) -> Result<ClinicZone> {
    ClinicZone::asked_or_local(asked).map_err(|e| CliError::usage(e.to_string()))
}

/// Where a new store's key goes: the OS keychain, or a key file under a
/// passphrase (CLINICDESK_KEY_PASSPHRASE or a prompt).
pub fn key_setup(key_file: bool) -> Result<KeySetup> {
    Ok(if key_file {
        let pass = secret::read(&Ask {
            env: secret::KEY_PASSPHRASE_ENV,
            what: "new key-file passphrase",
            confirm: true,
        })?;
        KeySetup::KeyFile {
            passphrase: pass.to_string(),
        }
    } else {
        KeySetup::Keychain(Keychain::default())
    })
}

pub fn run(g: &Global, a: InitArgs) -> Result<()> {
    let dir = g.data_dir()?;
    let timezone = zone(a.store.timezone.as_deref())?;
    let key = key_setup(a.store.key_file)?;
    let password = secret::read(&Ask {
        env: secret::PASSWORD_ENV,
        what: &format!("new password for {}", a.admin.trim()),
        confirm: true,
    })?;
    let clinic = NewClinic {
        name: a.store.clinic_name,
        timezone,
        admin: NewUser {
            username: a.admin.clone(),
            display_name: a.display_name.unwrap_or_else(|| a.admin.trim().to_string()),
            role: Role::Admin,
            password: password.to_string(),
            provider_id: None,
        },
        key,
    };
    let key_file = a.store.key_file;
    let (store, admin) = Store::create(&dir, clinic).map_err(|e| match e {
        StoreError::Key(KeyError::KeychainUnavailable(_)) if !key_file => CliError::failed(
            format!("{e}. To keep the key in a key file, run init again with --key-file"),
        ),
        e => CliError::Store(e),
    })?;
    let created = Created {
        data_dir: dir.display().to_string(),
        clinic_name: store.clinic_name()?,
        timezone: store.zone().name().to_string(),
        key_source: store.key_source(),
        admin,
    };
    g.printer().show(&created, |c| {
        let mut s = format!(
            "Created the clinic '{}' in {}.\n",
            c.clinic_name, c.data_dir
        );
        s.push_str(&fields(&[
            ("time zone", c.timezone.clone()),
            ("store key", key_source_text(c.key_source).to_string()),
            (
                "administrator",
                format!("{} ({})", c.admin.username, c.admin.display_name),
            ),
        ]));
        s
    })
}

pub fn key_source_text(k: clinicdesk_store::KeySource) -> &'static str {
    match k {
        clinicdesk_store::KeySource::Keychain => "OS keychain",
        clinicdesk_store::KeySource::KeyFile => "passphrase-protected key file",
    }
}
