//! How this desktop reaches payers: the clinic as billing provider (name,
//! NPI, tax id) and its clearinghouse connections, each serving a list of
//! payer ids or every payer not listed elsewhere. Kept in the store's
//! metadata, set by administrators, audited. Passwords are never here:
//! they live in the OS keychain under each connection's name.

use crate::audit::Entry;
use crate::error::{OrInvalid, Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::{meta, meta_report, set_meta};
use crate::updates::check_secure_url;
use clinicdesk_domain::{validate, Permission};
use serde::{Deserialize, Serialize};

const KEY: &str = "payer_settings";
const PICKUPS_KEY: &str = "sftp_pickups";

/// One pick-up of 999s, 277CAs and 835s from a connection's SFTP drop on
/// this desktop: what was applied, what was put back and why, or why the
/// drop could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftpPickup {
    pub connection: String,
    /// When it ran (seconds since 1970).
    pub at: i64,
    /// (file, what applying it did)
    #[serde(default)]
    pub applied: Vec<(String, String)>,
    /// (file, why it was not applied): left in the inbound folder.
    #[serde(default)]
    pub failed: Vec<(String, String)>,
    /// The drop could not be read at all.
    #[serde(default)]
    pub error: Option<String>,
}

impl SftpPickup {
    /// One line for the audit trail and the command line.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{}: not picked up · {e}", self.connection);
        }
        if self.applied.is_empty() && self.failed.is_empty() {
            return format!("{}: nothing new", self.connection);
        }
        let mut parts: Vec<String> = self
            .applied
            .iter()
            .map(|(file, note)| format!("{file}: {note}"))
            .collect();
        parts.extend(
            self.failed.iter().map(|(file, why)| {
                format!("{file}: not applied, left in the inbound folder · {why}")
            }),
        );
        format!("{}: {}", self.connection, parts.join("; "))
    }
}

/// The clinic as it names itself to payers (the 270's information receiver).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingProvider {
    pub organization_name: String,
    /// Type 2 (organization) NPI, check digit verified.
    pub npi: String,
    /// Employer identification number, 9 digits: the 270 trace originator.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Where the clinic bills from; claims need it (837P loop 2010AA).
    #[serde(default)]
    pub address_line: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// The billing contact's phone (837P submitter contact).
    #[serde(default)]
    pub phone: Option<String>,
}

/// One clearinghouse (or payer) CORE endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerConnection {
    /// What staff call it, e.g. "Availity"; also the keychain account name.
    pub name: String,
    pub endpoint: String,
    pub sender_id: String,
    pub receiver_id: String,
    pub username: String,
    /// Payer ids sent through this connection; empty for "all others".
    #[serde(default)]
    pub payer_ids: Vec<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// ISA15 test indicator.
    #[serde(default)]
    pub test: bool,
    /// How claim batches travel: CORE (the endpoint above) or an SFTP drop.
    /// Eligibility and claim status always go to the CORE endpoint.
    #[serde(default)]
    pub transport: Transport,
}

fn default_timeout() -> u64 {
    30
}

/// How 837 batches reach a connection, and its answers come back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Transport {
    /// CORE HTTP MIME multipart in batch mode at the connection's endpoint.
    #[default]
    Core,
    /// Files dropped on, and picked up from, the clearinghouse's SFTP server.
    Sftp(SftpDrop),
}

/// An SFTP batch drop. The password, or the private key's passphrase, is
/// in the OS keychain under `sftp/<connection name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftpDrop {
    pub host: String,
    #[serde(default = "default_sftp_port")]
    pub port: u16,
    pub username: String,
    /// A private key file on this computer; password login without one.
    #[serde(default)]
    pub private_key: Option<String>,
    /// Where 837 batches are dropped.
    pub outbound_dir: String,
    /// Where the clearinghouse leaves 999s, 277CAs and 835s.
    pub inbound_dir: String,
    /// The server's host key fingerprint, `SHA256:` and 43 characters, as
    /// `ssh-keygen -l -E sha256` prints it. A server with another key is
    /// refused before any credential is sent.
    pub host_key_sha256: String,
}

fn default_sftp_port() -> u16 {
    22
}

/// The keychain account of a connection's SFTP password or key passphrase.
pub fn sftp_secret_account(connection: &str) -> String {
    format!("sftp/{connection}")
}

impl SftpDrop {
    fn checked(mut self, n: &str) -> std::result::Result<SftpDrop, String> {
        for (field, v) in [
            ("SFTP host", &mut self.host),
            ("SFTP user name", &mut self.username),
            ("SFTP outbound folder", &mut self.outbound_dir),
            ("SFTP inbound folder", &mut self.inbound_dir),
            ("host key fingerprint", &mut self.host_key_sha256),
        ] {
            *v = v.trim().to_string();
            if v.is_empty() {
                return Err(format!("{n}: the {field} is required"));
            }
            if v.len() > 255 || v.chars().any(char::is_control) {
                return Err(format!("{n}: the {field} is not valid"));
            }
        }
        if self.port == 0 {
            return Err(format!("{n}: the SFTP port should be 1 to 65535"));
        }
        let body = self
            .host_key_sha256
            .strip_prefix("SHA256:")
            .unwrap_or(&self.host_key_sha256)
            .trim_end_matches('=')
            .to_string();
        let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
        if body.len() != 43 || !body.chars().all(base64) {
            return Err(format!(
                "{n}: the host key fingerprint should be SHA256: and 43 characters, as `ssh-keygen -l -E sha256 -f KEY.pub` prints it"
            ));
        }
        self.host_key_sha256 = format!("SHA256:{body}");
        self.private_key = self
            .private_key
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        Ok(self)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerSettings {
    pub billing: Option<BillingProvider>,
    #[serde(default)]
    pub connections: Vec<PayerConnection>,
}

impl PayerSettings {
    /// Whether eligibility checks can be sent at all.
    pub fn configured(&self) -> bool {
        self.billing.is_some() && !self.connections.is_empty()
    }

    /// The connection that serves `payer_id`: the one listing it, else the
    /// one listing no payers.
    pub fn connection_for(&self, payer_id: &str) -> Option<&PayerConnection> {
        let id = payer_id.trim();
        self.connections
            .iter()
            .find(|c| c.payer_ids.iter().any(|p| p.eq_ignore_ascii_case(id)))
            .or_else(|| self.connections.iter().find(|c| c.payer_ids.is_empty()))
    }

    /// Cleans and checks every field; the first problem is returned as a
    /// sentence naming the connection and field.
    pub fn checked(mut self) -> std::result::Result<PayerSettings, String> {
        if let Some(b) = &mut self.billing {
            b.organization_name =
                validate::name("the clinic's billing name", &b.organization_name)?;
            b.npi = validate::npi(&b.npi)?;
            b.tax_id = match b.tax_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => None,
                Some(t) => {
                    let digits: String = t.chars().filter(|c| *c != '-').collect();
                    if digits.len() != 9 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(format!(
                            "the tax id \"{t}\" should be 9 digits (like 12-3456789)"
                        ));
                    }
                    Some(digits)
                }
            };
            for (what, v, max) in [
                ("the billing street address", &mut b.address_line, 55),
                ("the billing city", &mut b.city, 30),
                ("the billing state", &mut b.state, 2),
                ("the billing postal code", &mut b.postal_code, 15),
            ] {
                *v = validate::text(what, v.as_deref(), max)?;
            }
            b.state = b.state.take().map(|s| s.to_ascii_uppercase());
            b.phone = b
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(validate::phone)
                .transpose()?;
        }
        let mut catch_all = 0;
        for i in 0..self.connections.len() {
            let c = &mut self.connections[i];
            c.name = validate::name("a connection's name", &c.name)?;
            let n = c.name.clone();
            c.endpoint = check_endpoint(&c.endpoint).map_err(|e| format!("{n}: {e}"))?;
            for (field, v) in [
                ("sender id", &mut c.sender_id),
                ("receiver id", &mut c.receiver_id),
                ("user name", &mut c.username),
            ] {
                *v = v.trim().to_string();
                if v.is_empty() {
                    return Err(format!("{n}: the {field} is required"));
                }
                if v.len() > 80 || v.chars().any(char::is_control) {
                    return Err(format!("{n}: the {field} is not valid"));
                }
            }
            if !(1..=300).contains(&c.timeout_secs) {
                return Err(format!("{n}: the time-out should be 1 to 300 seconds"));
            }
            if let Transport::Sftp(drop) = &c.transport {
                c.transport = Transport::Sftp(drop.clone().checked(&n)?);
            }
            c.payer_ids = c
                .payer_ids
                .iter()
                .map(|p| p.trim().to_ascii_uppercase())
                .filter(|p| !p.is_empty())
                .collect();
            c.payer_ids.sort();
            c.payer_ids.dedup();
            if c.payer_ids.is_empty() {
                catch_all += 1;
            }
        }
        if catch_all > 1 {
            return Err(
                "only one connection can serve all other payers; list payer ids on the others"
                    .into(),
            );
        }
        for (i, a) in self.connections.iter().enumerate() {
            for b in &self.connections[i + 1..] {
                if a.name.eq_ignore_ascii_case(&b.name) {
                    return Err(format!("two connections are called {}", a.name));
                }
                if let Some(p) = a.payer_ids.iter().find(|p| b.payer_ids.contains(p)) {
                    return Err(format!(
                        "payer {p} is listed on both {} and {}",
                        a.name, b.name
                    ));
                }
            }
        }
        Ok(self)
    }
}

/// A CORE endpoint: https, or http on this computer only (a simulator).
pub fn check_endpoint(url: &str) -> std::result::Result<String, String> {
    check_secure_url(url, "insurance checks", "a clearinghouse address")
}

impl Store {
    /// This desktop's payer settings (none set: empty).
    pub fn payer_settings(&self) -> Result<PayerSettings> {
        match meta(self, KEY)? {
            None => Ok(PayerSettings::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Invalid(format!(
                    "the stored payer settings cannot be read ({e}); set them again"
                ))
            }),
        }
    }

    /// The last pick-up from each SFTP drop on this desktop, by connection.
    pub fn sftp_pickups(&self) -> Result<Vec<SftpPickup>> {
        meta_report(self.conn(), PICKUPS_KEY)
    }

    /// Records a pick-up (replacing the connection's last one), audited
    /// when it applied files, left some or failed.
    pub fn record_sftp_pickup(&mut self, session: &Session, pickup: SftpPickup) -> Result<()> {
        session.require(Permission::Billing)?;
        let names: Vec<String> = self
            .payer_settings()?
            .connections
            .into_iter()
            .map(|c| c.name)
            .collect();
        let mut all = self.sftp_pickups()?;
        all.retain(|p| p.connection != pickup.connection && names.contains(&p.connection));
        let detail = pickup.summary();
        let quiet = pickup.applied.is_empty() && pickup.failed.is_empty() && pickup.error.is_none();
        all.push(pickup);
        all.sort_by(|a, b| a.connection.cmp(&b.connection));
        let text = serde_json::to_string(&all)
            .map_err(|e| StoreError::Invalid(format!("the pick-up cannot be saved: {e}")))?;
        self.write(session, |tx| {
            set_meta(tx.conn(), PICKUPS_KEY, &text)?;
            if !quiet {
                tx.audit(Entry::new("payers", "sftp-pickup").detail(detail))?;
            }
            Ok(())
        })
    }

    /// Replaces the payer settings (administrators), after checking them.
    pub fn set_payer_settings(
        &mut self,
        session: &Session,
        settings: PayerSettings,
    ) -> Result<PayerSettings> {
        session.require(Permission::StoreAdmin)?;
        let settings = settings.checked().or_invalid()?;
        let text = serde_json::to_string(&settings)
            .map_err(|e| StoreError::Invalid(format!("the payer settings cannot be saved: {e}")))?;
        let names: Vec<&str> = settings
            .connections
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        self.write(session, |tx| {
            set_meta(tx.conn(), KEY, &text)?;
            tx.audit(Entry::new("payers", "set-settings").detail(format!(
                "billing NPI {}; connections: {}",
                settings.billing.as_ref().map_or("none", |b| b.npi.as_str()),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )))
        })?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(name: &str, payers: &[&str]) -> PayerConnection {
        PayerConnection {
            name: name.into(),
            endpoint: "https://core.example.org/eligibility".into(),
            sender_id: "CLINIC".into(),
            receiver_id: "CH".into(),
            username: "clinic".into(),
            payer_ids: payers.iter().map(|p| p.to_string()).collect(),
            timeout_secs: 30,
            test: false,
            transport: Transport::Core,
        }
    }

    #[test]
    fn sftp_drops_are_checked() {
        let mut c = connection("Drop", &[]);
        let drop = SftpDrop {
            host: " sftp.example.org ".into(),
            port: 22,
            username: "clinic".into(),
            private_key: Some(" ".into()),
            outbound_dir: "/outbound".into(),
            inbound_dir: "/inbound".into(),
            host_key_sha256: "0OsfNd6j1cE1K4C+0pGHU/YWfjuF6fJmmCs7+vaFMfE=".into(),
        };
        c.transport = Transport::Sftp(drop.clone());
        let s = PayerSettings {
            billing: None,
            connections: vec![c.clone()],
        }
        .checked()
        .unwrap();
        let Transport::Sftp(d) = &s.connections[0].transport else {
            panic!("not sftp")
        };
        assert_eq!(d.host, "sftp.example.org");
        assert_eq!(
            d.host_key_sha256,
            "SHA256:0OsfNd6j1cE1K4C+0pGHU/YWfjuF6fJmmCs7+vaFMfE"
        );
        assert_eq!(d.private_key, None);
        c.transport = Transport::Sftp(SftpDrop {
            host_key_sha256: "aa:bb:cc".into(),
            ..drop
        });
        let err = PayerSettings {
            billing: None,
            connections: vec![c],
        }
        .checked()
        .unwrap_err();
        assert!(err.contains("fingerprint"), "{err}");
        // Settings saved before transports existed read as CORE.
        let old: PayerConnection = serde_json::from_str(
            r#"{"name":"A","endpoint":"https://x.example","sender_id":"S","receiver_id":"R","username":"u"}"#,
        )
        .unwrap();
        assert_eq!(old.transport, Transport::Core);
    }

    #[test]
    fn payers_route_to_their_connection_or_the_catch_all() {
        let s = PayerSettings {
            billing: None,
            connections: vec![connection("Direct", &["60054"]), connection("Hub", &[])],
        }
        .checked()
        .unwrap();
        assert_eq!(s.connection_for("60054").unwrap().name, "Direct");
        assert_eq!(s.connection_for("87726").unwrap().name, "Hub");
        let only_direct = PayerSettings {
            billing: None,
            connections: vec![connection("Direct", &["60054"])],
        };
        assert!(only_direct.connection_for("87726").is_none());
    }

    #[test]
    fn settings_are_checked() {
        let bad_npi = PayerSettings {
            billing: Some(BillingProvider {
                organization_name: "Clinic".into(),
                npi: "1234567890".into(),
                tax_id: None,
                ..Default::default()
            }),
            connections: vec![],
        };
        assert!(bad_npi.checked().unwrap_err().contains("NPI"));
        let two_catch_all = PayerSettings {
            billing: None,
            connections: vec![connection("A", &[]), connection("B", &[])],
        };
        assert!(two_catch_all.checked().unwrap_err().contains("only one"));
        let mut plain = connection("A", &[]);
        plain.endpoint = "http://core.example.org/".into();
        let err = PayerSettings {
            billing: None,
            connections: vec![plain],
        }
        .checked()
        .unwrap_err();
        assert!(err.contains("https://"), "{err}");
        let mut local = connection("Sim", &[]);
        local.endpoint = "http://127.0.0.1:8080/core".into();
        assert!(PayerSettings {
            billing: None,
            connections: vec![local]
        }
        .checked()
        .is_ok());
        let tax = PayerSettings {
            billing: Some(BillingProvider {
                organization_name: "Clinic".into(),
                npi: "1234567893".into(),
                tax_id: Some("12-345678".into()),
                ..Default::default()
            }),
            connections: vec![],
        };
        assert!(tax.checked().unwrap_err().contains("9 digits"));
    }
}
