//! Where this desktop looks for new versions of ClinicDesk: an address set
//! by an administrator, kept in the store's metadata. What makes an update
//! trustworthy is its signature (checked by the app against the key built
//! into it); the address rule below only keeps clinic traffic off plain
//! HTTP across the network.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::{meta, set_meta};
use clinicdesk_domain::Permission;

const KEY: &str = "update_source";

impl Store {
    /// The update address an administrator set on this desktop, if any.
    pub fn update_source(&self) -> Result<Option<String>> {
        meta(self, KEY)
    }

    /// Sets (or, with `None` or blank, clears) the update address
    /// (administrators). Returns the address as stored.
    pub fn set_update_source(
        &mut self,
        session: &Session,
        url: Option<&str>,
    ) -> Result<Option<String>> {
        session.require(Permission::StoreAdmin)?;
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(check_update_url(u).map_err(StoreError::Invalid)?),
            None => None,
        };
        if self.update_source()? == url {
            return Ok(url);
        }
        self.write(session, |tx| {
            let detail = match &url {
                Some(u) => {
                    set_meta(tx.conn(), KEY, u)?;
                    format!("updates now come from {u}")
                }
                None => {
                    tx.conn()
                        .execute("DELETE FROM store_meta WHERE key = ?1", [KEY])?;
                    "the update address was cleared; the one built into the app applies".into()
                }
            };
            tx.audit(Entry::new("updates", "set-source").detail(detail))
        })?;
        Ok(url)
    }
}

/// An update address: `https://…`, or `http://…` on this computer only
/// (a package server on loopback). `{{current_version}}`, `{{target}}`,
/// `{{arch}}` and `{{bundle_type}}` may appear and are filled in by the app.
pub fn check_update_url(url: &str) -> std::result::Result<String, String> {
    check_secure_url(url, "updates", "an update address")
}

/// A service address: `https://…`, or `http://…` on this computer only.
/// `traffic` and `address` name it in messages ("updates", "an update
/// address").
pub(crate) fn check_secure_url(
    url: &str,
    traffic: &str,
    address: &str,
) -> std::result::Result<String, String> {
    let url = url.trim();
    if url.chars().any(char::is_whitespace) {
        return Err(format!("{address} cannot contain spaces"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("\"{url}\" is not a web address; it should start with https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(format!("\"{url}\" names no server"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(url.to_string()),
        "http" if is_loopback(host) => Ok(url.to_string()),
        "http" => Err(format!(
            "{traffic} must go over https:// (plain http:// is only for a server on this computer, not {host})"
        )),
        other => Err(format!(
            "\"{other}://\" is not supported; use an https:// address"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::check_update_url;

    #[test]
    fn addresses_are_https_or_loopback() {
        let ok = [
            "https://updates.example.org/clinicdesk/latest.json",
            "https://server.clinic.lan:8443/updates/{{target}}-{{arch}}.json",
            "http://127.0.0.1:8080/latest.json",
            "http://localhost/latest.json",
            "http://[::1]:9000/latest.json",
        ];
        for u in ok {
            assert_eq!(check_update_url(u).as_deref(), Ok(u), "{u}");
        }
        let bad = [
            ("http://updates.example.org/latest.json", "https://"),
            ("http://127.evil.example/latest.json", "https://"),
            ("ftp://server/latest.json", "not supported"),
            ("updates.example.org/latest.json", "not a web address"),
            ("https:///latest.json", "names no server"),
            ("https://a b/latest.json", "spaces"),
        ];
        for (u, why) in bad {
            let err = check_update_url(u).unwrap_err();
            assert!(err.contains(why), "{u}: {err}");
        }
    }
}
