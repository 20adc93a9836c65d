//! Global options, and what almost every command starts with: open the
//! store in the data directory and log the acting user in.

use crate::error::{CliError, Result};
use crate::output::Printer;
use crate::secret::{self, Ask};
use clinicdesk_domain::ClinicZone;
use clinicdesk_keys::Keychain;
use clinicdesk_store::config::StoreConfig;
use clinicdesk_store::{
    AppointmentType, KeySource, Location, Patient, Provider, Session, Store, Unlock,
};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The clinic's data directory [default: the per-user data directory,
    /// e.g. ~/.local/share/clinicdesk]
    #[arg(
        long,
        global = true,
        env = "CLINICDESK_DATA",
        value_name = "DIR",
        display_order = 900
    )]
    pub data: Option<PathBuf>,

    /// The acting user; the password comes from CLINICDESK_PASSWORD or a prompt
    #[arg(
        long,
        global = true,
        env = "CLINICDESK_USER",
        value_name = "NAME",
        display_order = 901
    )]
    pub user: Option<String>,

    /// Print the result as one JSON document
    #[arg(long, global = true, display_order = 902)]
    pub json: bool,
}

impl Global {
    pub fn printer(&self) -> Printer {
        Printer { json: self.json }
    }

    pub fn data_dir(&self) -> Result<PathBuf> {
        match &self.data {
            Some(d) if !d.as_os_str().is_empty() => Ok(d.clone()),
            _ => clinicdesk_store::config::default_data_dir().ok_or_else(|| {
                CliError::usage("cannot tell where the per-user data directory is; give the data directory with --data DIR")
            }),
        }
    }

    fn username(&self) -> Result<&str> {
        self.user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                CliError::usage("say who is acting with --user NAME (or set CLINICDESK_USER)")
            })
    }
}

/// Opens the store, asking for the key-file passphrase when its key lives in one.
pub fn open_store(g: &Global) -> Result<Store> {
    let dir = g.data_dir()?;
    let config = StoreConfig::load(&dir)?;
    let passphrase = match config.key_source {
        KeySource::Keychain => None,
        KeySource::KeyFile => Some(
            secret::read(&Ask {
                env: secret::KEY_PASSPHRASE_ENV,
                what: "key-file passphrase",
                confirm: false,
            })?
            .to_string(),
        ),
    };
    let unlock = Unlock {
        keychain: Keychain::default(),
        passphrase,
    };
    Ok(Store::open(&dir, &unlock)?)
}

/// An open store with a logged-in user.
pub struct Ctx {
    pub store: Store,
    pub session: Session,
    pub out: Printer,
}

impl Ctx {
    pub fn open(g: &Global) -> Result<Ctx> {
        let user = g.username()?.to_string();
        let mut store = open_store(g)?;
        let password = secret::read(&Ask {
            env: secret::PASSWORD_ENV,
            what: &format!("password for {user}"),
            confirm: false,
        })?;
        let session = store.login(&user, &password)?;
        Ok(Ctx {
            store,
            session,
            out: g.printer(),
        })
    }

    pub fn zone(&self) -> ClinicZone {
        self.store.zone()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.zone().today()
    }

    /// By id, NPI or an unambiguous name.
    pub fn provider(&self, key: &str) -> Result<Provider> {
        Ok(self.store.find_provider(key)?)
    }

    /// By id or name.
    pub fn location(&self, key: &str) -> Result<Location> {
        Ok(self.store.find_location(key)?)
    }

    /// By id or name.
    pub fn appointment_type(&self, key: &str) -> Result<AppointmentType> {
        Ok(self.store.find_appointment_type(key)?)
    }

    /// By id or MRN; the read is audited.
    pub fn patient(&mut self, key: &str) -> Result<Patient> {
        Ok(self.store.find_patient(&self.session, key)?)
    }

    /// The zone of a location, or the clinic's for rows that name none.
    pub fn location_zone(&self, location_id: &str) -> ClinicZone {
        self.store
            .location_zone(location_id)
            .unwrap_or_else(|_| self.zone())
    }

    pub fn provider_id(&self, key: Option<&str>) -> Result<Option<String>> {
        key.map(|k| self.provider(k).map(|p| p.id)).transpose()
    }

    pub fn location_id(&self, key: Option<&str>) -> Result<Option<String>> {
        key.map(|k| self.location(k).map(|l| l.id)).transpose()
    }

    pub fn type_id(&self, key: Option<&str>) -> Result<Option<String>> {
        key.map(|k| self.appointment_type(k).map(|t| t.id))
            .transpose()
    }
}
