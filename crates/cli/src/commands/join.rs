//! `join`: make this computer's store and join a clinic that runs on a
//! clinic server, with a one-time code from its administrator. The clinic's
//! people and records arrive from the server; there is no administrator of
//! this computer's own.

use crate::commands::init::{key_setup, zone, NewStoreArgs};
use crate::context::Global;
use crate::error::{CliError, Result};
use crate::output::fields;
use clinicdesk_store::Store;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// The clinic server's address, https://HOST:PORT
    url: String,
    /// The one-time enrollment code, like K7QP-M2XD-9TRW-4HCF
    code: String,
    /// How administrators will see this computer
    #[arg(long, value_name = "NAME")]
    name: String,
    #[command(flatten)]
    store: NewStoreArgs,
}

#[derive(Serialize)]
struct Joined {
    data_dir: String,
    clinic_name: String,
    device_name: String,
    server: String,
    received: usize,
    users: bool,
}

pub fn run(g: &Global, a: JoinArgs) -> Result<()> {
    let dir = g.data_dir()?;
    let timezone = zone(a.store.timezone.as_deref())?;
    let key = key_setup(a.store.key_file)?;
    let store = Store::create_joining(&dir, &a.store.clinic_name, timezone, &key)?;
    let (store, received) =
        clinicdesk_sync::join_or_discard(store, &key, &a.url, &a.code, a.name.trim())
            .map_err(|e| CliError::failed(format!("could not join the clinic: {e}")))?;
    let received = match received {
        Ok(outcome) => outcome.merge.applied,
        Err(e) => {
            return Err(CliError::failed(format!(
                "joined the clinic, but its records could not be received yet: {e}. Run `sync now` to go on"
            )))
        }
    };
    let settings = store.sync_settings()?.expect("enrolled");
    let joined = Joined {
        data_dir: dir.display().to_string(),
        clinic_name: store.clinic_name()?,
        device_name: settings.device_name,
        server: settings.url,
        received,
        users: store.has_users()?,
    };
    g.printer().show(&joined, |j| {
        let mut s = format!(
            "Joined the clinic '{}' as \"{}\"; its people sign in with their usual accounts.\n",
            j.clinic_name, j.device_name
        );
        s.push_str(&fields(&[
            ("data directory", j.data_dir.clone()),
            ("server", j.server.clone()),
            ("records received", j.received.to_string()),
        ]));
        s
    })
}
