//! How this desktop reaches payers, from the command line: the payer
//! settings as JSON (connections with their CORE endpoint and, for batch
//! files, an SFTP drop) and the passwords kept in this computer's
//! keychain. Administrators only.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::secret::{self, Ask};
use clinicdesk_domain::Permission;
use clinicdesk_keys::Keychain;
use clinicdesk_store::{sftp_secret_account, PayerSettings, Transport};
use std::path::PathBuf;

/// The password (or key passphrase) for `payers secret`.
pub const PAYER_SECRET_ENV: &str = "CLINICDESK_PAYER_SECRET";

#[derive(Debug, clap::Subcommand)]
pub enum PayersCmd {
    /// The payer settings, and which passwords this computer's keychain holds
    Show,
    /// Replace the payer settings with a JSON file (as `payers show --json` prints them)
    Set { file: PathBuf },
    /// Keep a connection's password in the keychain (from CLINICDESK_PAYER_SECRET or a prompt)
    Secret {
        connection: String,
        /// The SFTP drop's password or private key passphrase, not the CORE password
        #[arg(long)]
        sftp: bool,
    },
}

fn core_account(connection: &str) -> String {
    format!("clearinghouse/{connection}")
}

pub fn run(ctx: &mut Ctx, cmd: PayersCmd) -> Result<()> {
    ctx.session.require(Permission::StoreAdmin)?;
    let keychain = Keychain::default();
    match cmd {
        PayersCmd::Show => {
            let settings = ctx.store.payer_settings()?;
            let stored = |account: &str| keychain.load_secret(account).ok().flatten().is_some();
            let passwords: Vec<serde_json::Value> = settings
                .connections
                .iter()
                .map(|c| {
                    let sftp = matches!(c.transport, Transport::Sftp(_))
                        .then(|| stored(&sftp_secret_account(&c.name)));
                    serde_json::json!({
                        "connection": c.name,
                        "core_password": stored(&core_account(&c.name)),
                        "sftp_secret": sftp,
                    })
                })
                .collect();
            let v = serde_json::json!({ "settings": settings, "passwords": passwords });
            ctx.out.show(&v, |_| {
                let mut s = String::new();
                for (c, p) in settings.connections.iter().zip(&passwords) {
                    let transport = match &c.transport {
                        Transport::Core => "batches by CORE".to_string(),
                        Transport::Sftp(d) => format!(
                            "batches by SFTP to {}@{}:{} (host key {})",
                            d.username, d.host, d.port, d.host_key_sha256
                        ),
                    };
                    s.push_str(&format!(
                        "{} · {} · {} · password {}\n",
                        c.name,
                        c.endpoint,
                        transport,
                        if p["core_password"] == true {
                            "stored"
                        } else {
                            "missing"
                        }
                    ));
                }
                if s.is_empty() {
                    s.push_str("No connections.\n");
                }
                s
            })
        }
        PayersCmd::Set { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::failed(format!("cannot read {}: {e}", file.display())))?;
            let not_settings = |e: serde_json::Error| {
                CliError::failed(format!("{} is not payer settings: {e}", file.display()))
            };
            // `payers show --json` wraps the settings; either form is taken.
            let mut v: serde_json::Value = serde_json::from_str(&text).map_err(not_settings)?;
            if let Some(inner) = v.get_mut("settings") {
                v = inner.take();
            }
            let settings: PayerSettings = serde_json::from_value(v).map_err(not_settings)?;
            let saved = ctx.store.set_payer_settings(&ctx.session, settings)?;
            ctx.out.show(&saved, |s| {
                format!(
                    "Payer settings saved: {} connection(s).\n",
                    s.connections.len()
                )
            })
        }
        PayersCmd::Secret { connection, sftp } => {
            let settings = ctx.store.payer_settings()?;
            let conn = settings
                .connections
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&connection))
                .ok_or_else(|| CliError::failed(format!("no connection is called {connection}")))?;
            let account = if sftp {
                sftp_secret_account(&conn.name)
            } else {
                core_account(&conn.name)
            };
            let what = if sftp {
                format!("SFTP password or key passphrase for {}", conn.name)
            } else {
                format!("password for {}", conn.name)
            };
            let value = secret::read(&Ask {
                env: PAYER_SECRET_ENV,
                what: &what,
                confirm: false,
            })?;
            keychain
                .save_secret(&account, &value)
                .map_err(|e| CliError::failed(format!("the keychain could not be written: {e}")))?;
            let v = serde_json::json!({ "connection": conn.name, "account": account });
            ctx.out
                .show(&v, |_| format!("Stored the {what} in the keychain.\n"))
        }
    }
}
