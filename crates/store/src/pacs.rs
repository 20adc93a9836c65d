//! Where this desktop finds the clinic's PACS: its DICOMweb address and the
//! user name to log in with. Kept in the store's metadata, set by
//! administrators, audited. The password is never here: it lives in the OS
//! keychain (`pacs/<user name>`).

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::{meta, set_meta};
use crate::updates::check_secure_url;
use clinicdesk_domain::Permission;
use serde::{Deserialize, Serialize};

const KEY: &str = "pacs_settings";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacsSettings {
    /// The DICOMweb root, e.g. `https://pacs.clinic.lan/dicom-web`; QIDO-RS
    /// and WADO-RS paths (`/studies…`) are appended to it.
    pub url: String,
    /// HTTP basic user name; `None` for a PACS that asks for no login.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    60
}

impl PacsSettings {
    /// Cleans and checks the fields; the problem is returned as a sentence.
    pub fn checked(mut self) -> std::result::Result<PacsSettings, String> {
        let url = check_secure_url(&self.url, "PACS traffic", "a PACS address")?;
        self.url = url.trim_end_matches('/').to_string();
        self.username = self
            .username
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        if let Some(u) = &self.username {
            if u.len() > 80 || u.chars().any(|c| c.is_control() || c == ':') {
                return Err(
                    "the PACS user name is not valid (no colons, at most 80 characters)".into(),
                );
            }
        }
        if !(1..=3600).contains(&self.timeout_secs) {
            return Err("the PACS time-out should be 1 to 3600 seconds".into());
        }
        Ok(self)
    }

    /// The keychain account holding the password.
    pub fn keychain_account(&self) -> Option<String> {
        self.username.as_ref().map(|u| format!("pacs/{u}"))
    }
}

impl Store {
    /// This desktop's PACS, if one is set.
    pub fn pacs_settings(&self) -> Result<Option<PacsSettings>> {
        meta(self, KEY)?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::Invalid(format!(
                        "the stored PACS settings cannot be read ({e}); set them again"
                    ))
                })
            })
            .transpose()
    }

    /// Sets (or with `None` clears) the PACS (administrators), after checking it.
    pub fn set_pacs_settings(
        &mut self,
        session: &Session,
        settings: Option<PacsSettings>,
    ) -> Result<Option<PacsSettings>> {
        session.require(Permission::StoreAdmin)?;
        let settings = settings
            .map(PacsSettings::checked)
            .transpose()
            .map_err(StoreError::Invalid)?;
        self.write(session, |tx| {
            let detail = match &settings {
                Some(s) => {
                    let text = serde_json::to_string(s).map_err(|e| {
                        StoreError::Invalid(format!("the PACS settings cannot be saved: {e}"))
                    })?;
                    set_meta(tx.conn(), KEY, &text)?;
                    format!(
                        "PACS at {} as {}",
                        s.url,
                        s.username.as_deref().unwrap_or("no user")
                    )
                }
                None => {
                    tx.conn()
                        .execute("DELETE FROM store_meta WHERE key = ?1", [KEY])?;
                    "the PACS was removed".into()
                }
            };
            tx.audit(Entry::new("pacs", "set-settings").detail(detail))
        })?;
        Ok(settings)
    }

    /// Records a PACS search (a disclosure of the search terms and a read
    /// of the patients it lists) with its terms and result count.
    pub fn record_pacs_search(
        &mut self,
        session: &Session,
        terms: &str,
        results: usize,
    ) -> Result<()> {
        session.require(Permission::ImagingImport)?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("pacs", "search").detail(format!("{terms}; {results} studies found")),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, user: Option<&str>) -> PacsSettings {
        PacsSettings {
            url: url.into(),
            username: user.map(str::to_string),
            timeout_secs: 60,
        }
    }

    #[test]
    fn addresses_are_https_or_loopback_and_lose_their_trailing_slash() {
        let s = settings("https://pacs.clinic.lan/dicom-web/", Some(" clinic "))
            .checked()
            .unwrap();
        assert_eq!(s.url, "https://pacs.clinic.lan/dicom-web");
        assert_eq!(s.username.as_deref(), Some("clinic"));
        assert_eq!(s.keychain_account().as_deref(), Some("pacs/clinic"));
        assert!(settings("http://127.0.0.1:8042/dicom-web", None)
            .checked()
            .is_ok());
        let err = settings("http://pacs.clinic.lan/dicom-web", None)
            .checked()
            .unwrap_err();
        assert!(err.contains("https://"), "{err}");
        assert!(settings("https://pacs/x", Some("a:b")).checked().is_err());
    }
}
